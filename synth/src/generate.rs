//! The generator: true households first (by patrilineal clusters), then each household's
//! assistance records as the agencies that serve it write them.

use crate::agencies::{Agency, Program};
use crate::arabic::{self, Habit};
use crate::data::{Tables, Weighted, tables};
use crate::latin::{self, Style};
use crate::{Assistance, Caseload, Config, Location, Member, Record, TrueHousehold, TruePerson, Truth, dates, ids};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{HashSet, VecDeque};

const REGIONS: [&str; 6] = ["HEB", "BTH", "RAM", "NAB", "JEN", "GZA"];

/// Generates a caseload; the same config always gives the same caseload.
pub fn generate(config: &Config) -> Caseload {
    let t = tables();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let agencies = crate::agencies::agencies(config.agencies, &mut rng);
    let mut g =
        People { t, cfg: config, persons: Vec::new(), households: Vec::new(), ids: HashSet::new(), next_lineage: 0 };
    g.households(&mut rng);
    let records = Records::new(config, &agencies, &g.persons, &g.households).all(&mut rng);
    Caseload { agencies, households: g.households, persons: g.persons, records }
}

fn reference_day(cfg: &Config) -> i32 {
    dates::days_from_civil(cfg.start_year + 1, 1, 1)
}

fn poisson<R: Rng + ?Sized>(lambda: f64, rng: &mut R) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    let l = (-lambda).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.random::<f64>();
        if p <= l || k > 50 {
            return k;
        }
        k += 1;
    }
}

struct HeadSpec {
    first: &'static str,
    father: &'static str,
    grandfather: &'static str,
    family: &'static str,
    age: i32,
    loc: usize,
    lineage: usize,
    namesake_of: Option<usize>,
    parent: Option<usize>,
    widow: bool,
    host_mother: bool,
}

struct People<'a> {
    t: &'a Tables,
    cfg: &'a Config,
    persons: Vec<TruePerson>,
    households: Vec<TrueHousehold>,
    ids: HashSet<u32>,
    next_lineage: usize,
}

impl People<'_> {
    fn male<R: Rng + ?Sized>(&self, rng: &mut R) -> &'static str {
        self.t.male.pick(rng).copied().unwrap_or("محمد")
    }

    fn female<R: Rng + ?Sized>(&self, rng: &mut R) -> &'static str {
        self.t.female.pick(rng).copied().unwrap_or("فاطمة")
    }

    fn family<R: Rng + ?Sized>(&self, region: &str, rng: &mut R) -> &'static str {
        let w = if rng.random_bool(0.9) {
            self.t.families_by_region.get(region).unwrap_or(&self.t.families_all)
        } else {
            &self.t.families_all
        };
        w.pick(rng).copied().unwrap_or("الشاعر")
    }

    fn male_not_in<R: Rng + ?Sized>(&self, avoid: &[&str], rng: &mut R) -> &'static str {
        for _ in 0..20 {
            let n = self.male(rng);
            if !avoid.contains(&n) {
                return n;
            }
        }
        self.male(rng)
    }

    fn female_not_in<R: Rng + ?Sized>(&self, avoid: &[&str], rng: &mut R) -> &'static str {
        for _ in 0..20 {
            let n = self.female(rng);
            if !avoid.contains(&n) {
                return n;
            }
        }
        self.female(rng)
    }

    fn new_id<R: Rng + ?Sized>(&mut self, rng: &mut R) -> String {
        loop {
            let id = ids::new_id(rng);
            if self.ids.insert(id) {
                return ids::fmt(id);
            }
        }
    }

    fn phone<R: Rng + ?Sized>(rng: &mut R) -> String {
        let op = if rng.random_bool(0.7) { "59" } else { "56" };
        format!("+970{op}{:07}", rng.random_range(0..10_000_000u32))
    }

    fn dob<R: Rng + ?Sized>(&self, age: i32, rng: &mut R) -> i32 {
        reference_day(self.cfg) - age * 365 - age / 4 - rng.random_range(0..365)
    }

    #[allow(clippy::too_many_arguments)]
    fn person<R: Rng + ?Sized>(
        &mut self,
        hh: usize,
        role: &'static str,
        names: [&'static str; 4],
        sex: &'static str,
        dob: i32,
        phone_p: f64,
        rng: &mut R,
    ) -> usize {
        let national_id = self.new_id(rng);
        let phone = rng.random_bool(phone_p).then(|| Self::phone(rng));
        let index = self.persons.len();
        self.persons.push(TruePerson {
            index,
            household: hh,
            role,
            first: names[0],
            father: names[1],
            grandfather: names[2],
            family: names[3],
            sex,
            date_of_birth: dates::fmt(dob),
            national_id,
            phone,
        });
        index
    }

    fn households<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        let mut queue: VecDeque<HeadSpec> = VecDeque::new();
        while self.households.len() < self.cfg.households {
            if queue.is_empty() {
                self.new_lineage(&mut queue, rng);
            }
            if let Some(spec) = queue.pop_front() {
                self.household(spec, &mut queue, rng);
            }
        }
    }

    fn new_lineage<R: Rng + ?Sized>(&mut self, queue: &mut VecDeque<HeadSpec>, rng: &mut R) {
        let lineage = self.next_lineage;
        self.next_lineage += 1;
        // Same-name, different man: copy an existing male head's full name and place.
        if !self.households.is_empty() && rng.random_bool(self.cfg.namesake_rate) {
            let h = &self.households[rng.random_range(0..self.households.len())];
            let p = &self.persons[h.head];
            if p.sex == "M" {
                let loc = self.t.locs.iter().position(|l| l.locality == h.locality).unwrap_or(0);
                queue.push_back(HeadSpec {
                    first: p.first,
                    father: p.father,
                    grandfather: p.grandfather,
                    family: p.family,
                    age: rng.random_range(22..70),
                    loc,
                    lineage,
                    namesake_of: Some(h.index),
                    parent: None,
                    widow: false,
                    host_mother: false,
                });
                return;
            }
        }
        let loc = self.t.localities.pick(rng).copied().unwrap_or(0);
        let region = self.t.locs[loc].region;
        let family = self.family(region, rng);
        let grandfather = self.male(rng);
        let father = self.male_not_in(&[grandfather], rng);
        let n = match rng.random_range(0..100) {
            0..45 => 1,
            45..72 => 2,
            72..88 => 3,
            88..96 => 4,
            _ => 5,
        };
        let eldest = 22 + rng.random_range(0..22) + rng.random_range(0..22);
        let mut names: Vec<&'static str> = Vec::new();
        let host = rng.random_bool(0.12).then(|| rng.random_range(0..n));
        let mut age = eldest;
        for k in 0..n {
            // The eldest son is often named after his grandfather.
            let first = if k == 0 && rng.random_bool(0.4) {
                grandfather
            } else {
                self.male_not_in(&[&names[..], &[father]].concat(), rng)
            };
            names.push(first);
            let widow = age >= 30 && rng.random_bool(0.07);
            queue.push_back(HeadSpec {
                first,
                father,
                grandfather,
                family,
                age,
                loc,
                lineage,
                namesake_of: None,
                parent: None,
                widow,
                host_mother: host == Some(k) && !widow && age < 60,
            });
            age -= rng.random_range(1..5);
            if age < 20 {
                break;
            }
        }
    }

    fn household<R: Rng + ?Sized>(&mut self, spec: HeadSpec, queue: &mut VecDeque<HeadSpec>, rng: &mut R) {
        let hh = self.households.len();
        let region = self.t.locs[spec.loc].region;
        let mut members = Vec::new();
        let last_day = dates::days_from_civil(self.cfg.start_year + 2, 10, 1);
        // Head (or his widow) and wife.
        let wife_age = (spec.age - rng.random_range(0..9)).max(18);
        let wife_names = [
            self.female(rng),
            self.male(rng),
            self.male(rng),
            if rng.random_bool(0.35) { spec.family } else { self.family(region, rng) },
        ];
        let (head, spouse, mother_age) = if spec.widow {
            let dob = self.dob(wife_age, rng);
            let h = self.person(hh, "head", wife_names, "F", dob, 0.85, rng);
            (h, None, Some(wife_age))
        } else {
            let dob = self.dob(spec.age, rng);
            let h =
                self.person(hh, "head", [spec.first, spec.father, spec.grandfather, spec.family], "M", dob, 0.93, rng);
            let married = spec.age >= 25 || rng.random_bool(0.75);
            if married {
                let dob = self.dob(wife_age, rng);
                let s = self.person(hh, "spouse", wife_names, "F", dob, 0.6, rng);
                (h, Some(s), Some(wife_age))
            } else {
                (h, None, None)
            }
        };
        members.push(head);
        members.extend(spouse);
        // A husband with two wives: the second, younger, in the same household.
        let co_wife = if spouse.is_some() && spec.age >= 35 && rng.random_bool(self.cfg.co_wife_rate) {
            let age = (wife_age - 3 - rng.random_range(0..12)).max(18);
            let names = [
                self.female(rng),
                self.male(rng),
                self.male(rng),
                if rng.random_bool(0.35) { spec.family } else { self.family(region, rng) },
            ];
            let dob = self.dob(age, rng);
            let w = self.person(hh, "spouse", names, "F", dob, 0.5, rng);
            members.push(w);
            Some(w)
        } else {
            None
        };
        // Children, eldest first; born from the mother's 19th year, 1–3 years apart.
        let mut moved_out = Vec::new();
        if let Some(ma) = mother_age {
            let mut at = 18 + rng.random_range(0..6);
            let mut names: Vec<&'static str> = vec![spec.first];
            let max = 1 + rng.random_range(0..7);
            let mut kids = 0;
            let mut first_son = true;
            while kids < max && kids < 8 && at <= 45 {
                let age = ma - at;
                let dob = self.dob(age, rng);
                if dob > last_day {
                    break;
                }
                let male = rng.random_bool(0.51);
                let first = if male {
                    let n =
                        if first_son && rng.random_bool(0.45) { spec.father } else { self.male_not_in(&names, rng) };
                    first_son = false;
                    n
                } else {
                    self.female_not_in(&names, rng)
                };
                names.push(first);
                at += 1 + rng.random_range(0..3);
                if male && age >= 22 && rng.random_bool(((age - 19) as f64 * 0.12).min(0.9)) {
                    moved_out.push((first, age));
                    continue;
                }
                if !male && age >= 19 && rng.random_bool(((age - 17) as f64 * 0.15).min(0.95)) {
                    continue; // married out
                }
                let c = self.person(
                    hh,
                    "child",
                    [first, spec.first, spec.father, spec.family],
                    if male { "M" } else { "F" },
                    dob,
                    if age >= 18 { 0.5 } else { 0.0 },
                    rng,
                );
                members.push(c);
                kids += 1;
            }
        }
        // The head's widowed mother sometimes lives with one son.
        if spec.host_mother {
            let age = (spec.age + 20 + rng.random_range(0..15)).min(95);
            let names = [
                self.female(rng),
                self.male(rng),
                self.male(rng),
                if rng.random_bool(0.4) { spec.family } else { self.family(region, rng) },
            ];
            let dob = self.dob(age, rng);
            members.push(self.person(hh, "other", names, "F", dob, 0.1, rng));
        }
        // Sons who left head their own households: cousins of each other's children.
        if !moved_out.is_empty() {
            let lineage = self.next_lineage;
            self.next_lineage += 1;
            for (first, age) in moved_out {
                let loc = if rng.random_bool(0.85) {
                    spec.loc
                } else {
                    self.t.localities.pick(rng).copied().unwrap_or(spec.loc)
                };
                queue.push_back(HeadSpec {
                    first,
                    father: spec.first,
                    grandfather: spec.father,
                    family: spec.family,
                    age,
                    loc,
                    lineage,
                    namesake_of: None,
                    parent: Some(hh),
                    widow: false,
                    host_mother: false,
                });
            }
        }
        let l = &self.t.locs[spec.loc];
        let (displaced_to, displaced_from) = if l.region == "GZA" && rng.random_bool(self.cfg.displacement_rate) {
            let to = self.t.gaza_localities[rng.random_range(0..self.t.gaza_localities.len())];
            let from = dates::days_from_civil(self.cfg.start_year, 1, 1) + rng.random_range(0..600);
            let tl = &self.t.locs[to];
            if to != spec.loc { (Some((tl.governorate, tl.locality)), Some(dates::fmt(from))) } else { (None, None) }
        } else {
            (None, None)
        };
        self.households.push(TrueHousehold {
            index: hh,
            governorate: l.governorate,
            locality: l.locality,
            region: l.region,
            members,
            head,
            spouse,
            lineage: spec.lineage,
            namesake_of: spec.namesake_of,
            parent_household: spec.parent,
            displaced_to,
            displaced_from,
            female_headed: spec.widow,
            co_wife,
        });
    }
}

/// One agency's registration of one household: structural choices, and the members as its
/// clerk wrote them (copied into every record until someone re-keys them).
struct Reg {
    latin: bool,
    habit: Habit,
    wife_as_head: bool,
    /// With two wives, the registration is in the second's name.
    second_wife: bool,
    skip: Vec<usize>,
    written: Vec<(usize, Member)>,
}

struct Records<'a> {
    cfg: &'a Config,
    agencies: &'a [Agency],
    persons: &'a [TruePerson],
    households: &'a [TrueHousehold],
    by_region: Vec<Weighted<usize>>,
    window: (i32, i32),
}

fn cycle_start(p: &Program, w0: i32, k: i32) -> i32 {
    dates::add_months(w0, k * p.cycle_months as i32, p.start_day)
}

/// The cycle (start, end) of programme `p` that holds day `d`.
fn cycle_for_day(p: &Program, w0: i32, d: i32) -> (i32, Option<i32>) {
    if p.cycle_months == 0 {
        return (d, None);
    }
    let (y0, m0, _) = dates::civil_from_days(w0);
    let (y, m, _) = dates::civil_from_days(d);
    let months = (y - y0) * 12 + m as i32 - m0 as i32;
    let mut k = months.div_euclid(p.cycle_months as i32);
    if cycle_start(p, w0, k) > d {
        k -= 1;
    }
    let s = cycle_start(p, w0, k);
    (s, Some(cycle_start(p, w0, k + 1) - 1))
}

struct Spec {
    agency: usize,
    program: usize,
    start: i32,
    end: Option<i32>,
}

impl<'a> Records<'a> {
    fn new(
        cfg: &'a Config,
        agencies: &'a [Agency],
        persons: &'a [TruePerson],
        households: &'a [TrueHousehold],
    ) -> Self {
        let by_region = REGIONS
            .iter()
            .map(|r| {
                Weighted::new(
                    agencies
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| a.regions.is_empty() || a.regions.contains(r))
                        .map(|(i, a)| (i, a.weight * if a.regions.is_empty() { 1.0 } else { 3.0 }))
                        .collect(),
                )
            })
            .collect();
        let w0 = dates::days_from_civil(cfg.start_year, 1, 1);
        let w1 = dates::days_from_civil(cfg.start_year + 3, 1, 1) - 1;
        Records { cfg, agencies, persons, households, by_region, window: (w0, w1) }
    }

    fn region_index(region: &str) -> usize {
        REGIONS.iter().position(|r| *r == region).unwrap_or(0)
    }

    fn pick_program<R: Rng + ?Sized>(&self, a: usize, kind: Option<&str>, rng: &mut R) -> Option<usize> {
        let w = Weighted::new(
            self.agencies[a]
                .programs
                .iter()
                .enumerate()
                .filter(|(_, p)| kind.is_none_or(|k| p.kind == k))
                .map(|(i, p)| (i, p.weight))
                .collect(),
        );
        w.pick(rng).copied()
    }

    fn random_spec<R: Rng + ?Sized>(&self, region: usize, rng: &mut R) -> Option<Spec> {
        let a = *self.by_region[region].pick(rng)?;
        let p = self.pick_program(a, None, rng)?;
        let d = rng.random_range(self.window.0..=self.window.1);
        let (start, end) = cycle_for_day(&self.agencies[a].programs[p], self.window.0, d);
        Some(Spec { agency: a, program: p, start, end })
    }

    fn specs<R: Rng + ?Sized>(&self, h: &TrueHousehold, rng: &mut R) -> Vec<Spec> {
        let region = Self::region_index(h.region);
        let n = 1 + poisson(self.cfg.records_per_household - 1.0, rng) as usize;
        let mut specs: Vec<Spec> = Vec::with_capacity(n);
        while specs.len() < n {
            let r: f64 = rng.random();
            let spec = if specs.is_empty() {
                self.random_spec(region, rng)
            } else if r < self.cfg.overlap_rate {
                // Same type, overlapping period, from another agency (now and then the same one).
                let prev = &specs[rng.random_range(0..specs.len())];
                let kind = self.agencies[prev.agency].programs[prev.program].kind;
                let cands = Weighted::new(
                    self.agencies
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| {
                            (a.regions.is_empty() || a.regions.contains(&h.region))
                                && a.programs.iter().any(|p| p.kind == kind)
                        })
                        .map(|(i, a)| (i, if i == prev.agency { 0.15 } else { a.weight }))
                        .collect(),
                );
                cands.pick(rng).copied().and_then(|a| {
                    let p = self.pick_program(a, Some(kind), rng)?;
                    let d = rng.random_range(prev.start..=prev.end.unwrap_or(prev.start));
                    let (start, end) = cycle_for_day(&self.agencies[a].programs[p], self.window.0, d);
                    Some(Spec { agency: a, program: p, start, end })
                })
            } else if r < self.cfg.overlap_rate + 0.3 {
                // The same programme's next cycle (or a later distribution).
                let prev = &specs[rng.random_range(0..specs.len())];
                let p = &self.agencies[prev.agency].programs[prev.program];
                let d = prev.end.unwrap_or(prev.start)
                    + 1
                    + if p.cycle_months == 0 { rng.random_range(20..200) } else { 0 };
                let (start, end) = cycle_for_day(p, self.window.0, d);
                if start > self.window.1 {
                    self.random_spec(region, rng)
                } else {
                    Some(Spec { agency: prev.agency, program: prev.program, start, end })
                }
            } else {
                self.random_spec(region, rng)
            };
            match spec {
                Some(s) => specs.push(s),
                None => break,
            }
        }
        specs
    }

    fn all<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<Record> {
        let mut keyed: Vec<(i32, u64, Record)> =
            Vec::with_capacity((self.households.len() as f64 * self.cfg.records_per_household * 1.1) as usize);
        let mut regs: Vec<Option<Reg>> = Vec::new();
        for h in self.households {
            let specs = self.specs(h, rng);
            regs.clear();
            regs.resize_with(self.agencies.len(), || None);
            for s in specs {
                let rec = self.record(h, &s, &mut regs, rng);
                keyed.push((s.start, rng.random(), rec));
            }
        }
        // Sort small keys, not whole records (moving records dominated the run time).
        let mut order: Vec<(i32, u64, u32)> = keyed.iter().enumerate().map(|(i, k)| (k.0, k.1, i as u32)).collect();
        order.sort_unstable();
        let mut slots: Vec<Option<Record>> = keyed.into_iter().map(|k| Some(k.2)).collect();
        let mut seq = vec![0u32; self.agencies.len()];
        order
            .into_iter()
            .filter_map(|(start, _, i)| {
                let mut r = slots[i as usize].take()?;
                let a = self.agencies.iter().position(|a| a.code == r.agency).unwrap_or(0);
                seq[a] += 1;
                let (y, _, _) = dates::civil_from_days(start);
                let region = self.households[r.truth.household].region;
                r.external_id = format!("{}-{}-{}-{:06}", r.agency, region, y, seq[a]);
                Some(r)
            })
            .collect()
    }

    fn new_reg<R: Rng + ?Sized>(&self, ag: &Agency, h: &TrueHousehold, rng: &mut R) -> Reg {
        let skip = h
            .members
            .iter()
            .copied()
            .filter(|&p| match self.persons[p].role {
                "child" => rng.random_bool(ag.child_skip),
                "other" => rng.random_bool(0.5),
                _ => false,
            })
            .collect();
        Reg {
            latin: rng.random_bool(ag.latin_share),
            habit: Habit::draw(ag, rng),
            wife_as_head: h.spouse.is_some() && rng.random_bool(ag.wife_as_head),
            second_wife: h.co_wife.is_some() && rng.random_bool(0.5),
            skip,
            written: Vec::new(),
        }
    }

    fn record<R: Rng + ?Sized>(&self, h: &TrueHousehold, s: &Spec, regs: &mut [Option<Reg>], rng: &mut R) -> Record {
        let ag = &self.agencies[s.agency];
        let p = &ag.programs[s.program];
        let slot = &mut regs[s.agency];
        let rekey = slot.is_some() && rng.random_bool(ag.rekey_rate);
        if slot.is_none() {
            *slot = Some(self.new_reg(ag, h, rng));
        }
        let Some(reg) = slot.as_mut() else { unreachable!("registration just made") };
        if rekey {
            reg.latin = rng.random_bool(ag.latin_share);
            reg.habit = Habit::draw(ag, rng);
            reg.written.clear();
        }
        // Who is on this record.
        let mut who: Vec<(usize, &'static str)> = Vec::new();
        // With two wives, a registration in a wife's name is in one of them (the other left out).
        let wife = match (h.spouse, h.co_wife) {
            (Some(a), Some(b)) => Some(if reg.second_wife { b } else { a }),
            (a, _) => a,
        };
        let (head, spouse) = match (reg.wife_as_head, wife) {
            (true, Some(sp)) => (sp, Some(h.head)),
            _ => (h.head, h.spouse),
        };
        who.push((head, "head"));
        if ag.members != "head"
            && let Some(sp) = spouse
            && !(reg.wife_as_head && rng.random_bool(0.3))
        {
            who.push((sp, "spouse"));
        }
        if ag.members != "head"
            && !reg.wife_as_head
            && let Some(w2) = h.co_wife
            && rng.random_bool(0.8)
        {
            who.push((w2, "spouse"));
        }
        let start_s = dates::fmt(s.start);
        if ag.members == "all" {
            for &m in &h.members {
                let role = self.persons[m].role;
                if (role == "child" || role == "other")
                    && !reg.skip.contains(&m)
                    && self.persons[m].date_of_birth <= start_s
                {
                    who.push((m, role));
                }
            }
        }
        let head_phone = self.persons[h.head].phone.as_deref();
        let mut members = Vec::with_capacity(who.len());
        for (pi, role) in who {
            if let Some((_, m)) = reg.written.iter().find(|(q, _)| *q == pi) {
                let mut m = m.clone();
                m.role = role;
                members.push(m);
                continue;
            }
            let husband_family = if role == "spouse" || reg.wife_as_head && role == "head" {
                Some(self.persons[h.head].family)
            } else {
                None
            };
            let m = self.write_member(ag, reg, pi, role, husband_family, head_phone, s.start, rng);
            reg.written.push((pi, m.clone()));
            members.push(m);
        }
        // Location: displaced households give their new place, unless the agency copies its file.
        let (mut gov, mut loc) = (h.governorate, h.locality);
        if let (Some((g2, l2)), Some(from)) = (h.displaced_to, &h.displaced_from)
            && start_s >= *from
            && rng.random_bool(0.8)
        {
            gov = g2;
            loc = l2;
        }
        let location = if rng.random_bool(ag.latin_location) {
            let t = tables();
            let gl = t.locs.iter().find(|l| l.governorate == gov).map(|l| l.governorate_latin).unwrap_or("");
            Location {
                governorate: gl.to_string(),
                locality: latin::latin_part(loc, false, Style::English, 0.8, false, rng),
            }
        } else {
            Location { governorate: gov.to_string(), locality: loc.to_string() }
        };
        let amount = if p.amount_max > 0.0 {
            (rng.random_range(p.amount_min..=p.amount_max) / 10.0).round() * 10.0
        } else {
            0.0
        };
        let (y, m, _) = dates::civil_from_days(s.start);
        let program = match p.cycle_months {
            0 | 1 => format!("{}-{y}-{m:02}", p.name),
            3 => format!("{}-{y}-q{}", p.name, (m - 1) / 3 + 1),
            12 => format!("{}-{y}", p.name),
            _ => format!("{}-{y}-{m:02}", p.name),
        };
        Record {
            agency: ag.code.clone(),
            external_id: String::new(),
            assistance: Assistance {
                kind: p.kind.to_string(),
                program,
                amount,
                currency: p.currency.to_string(),
                period_start: start_s,
                period_end: s.end.map(dates::fmt),
            },
            location,
            members,
            truth: Truth { household: h.index },
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn write_member<R: Rng + ?Sized>(
        &self,
        ag: &Agency,
        reg: &Reg,
        pi: usize,
        role: &'static str,
        husband_family: Option<&'static str>,
        head_phone: Option<&str>,
        day: i32,
        rng: &mut R,
    ) -> Member {
        let p = &self.persons[pi];
        let ref_year = dates::civil_from_days(day).0;
        let age = ref_year - p.date_of_birth[..4].parse::<i32>().unwrap_or(ref_year);
        let adult = age >= 18;
        // Name parts.
        let mut family = p.family;
        if reg.latin
            && p.sex == "F"
            && p.role != "child"
            && let Some(hf) = husband_family
            && rng.random_bool(ag.wife_husband_family)
        {
            family = hf;
        }
        let mut parts: Vec<&str> = if rng.random_bool(if adult { ag.one_word * 0.1 } else { ag.one_word }) {
            vec![p.first]
        } else if rng.random_bool(ag.two_parts) {
            vec![p.first, family]
        } else if rng.random_bool(ag.four_parts) {
            vec![p.first, p.father, p.grandfather, family]
        } else {
            vec![p.first, p.father, family]
        };
        // Family name first, as in lists sorted by surname.
        let family_first = parts.len() > 1 && rng.random_bool(ag.family_first);
        if family_first {
            parts.rotate_right(1);
        }
        let last = if parts.len() == 1 {
            usize::MAX
        } else if family_first {
            0
        } else {
            parts.len() - 1
        };
        let mut name = String::with_capacity(64);
        if reg.latin {
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    name.push(' ');
                }
                name.push_str(&latin::latin_part(
                    part,
                    i == last,
                    ag.latin_style,
                    ag.latin_table_share,
                    reg.habit.drop_article,
                    rng,
                ));
            }
            if rng.random_bool(ag.typo_rate) {
                latin::typo(&mut name, rng);
                if rng.random_bool(0.1) {
                    latin::typo(&mut name, rng);
                }
            }
            if rng.random_bool(ag.latin_upper) {
                name = name.to_uppercase();
            }
            if adult && rng.random_bool(if age >= 55 { ag.title_rate } else { ag.title_rate * 0.1 }) {
                let title = match (p.sex, age >= 55) {
                    ("M", true) => ["Haj ", "Hajj ", "Al-Haj "][rng.random_range(0..3)],
                    ("F", true) => ["Hajja ", "Hajjeh "][rng.random_range(0..2)],
                    ("M", false) => ["Mr. ", "Mr ", "Dr. "][rng.random_range(0..3)],
                    _ => ["Mrs. ", "Ms "][rng.random_range(0..2)],
                };
                name.insert_str(0, title);
            }
        } else {
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    name.push(' ');
                }
                arabic::write_part(part, i == last, &reg.habit, rng, &mut name);
            }
            if rng.random_bool(ag.typo_rate) {
                arabic::typo(&mut name, rng);
                if rng.random_bool(0.1) {
                    arabic::typo(&mut name, rng);
                }
            }
            if rng.random_bool(0.005) {
                arabic::rare_noise(&mut name, rng);
            }
            if adult && rng.random_bool(if age >= 55 { ag.title_rate } else { ag.title_rate * 0.1 }) {
                let title = match (p.sex, age >= 55) {
                    ("M", true) => ["الحاج ", "الحاج ", "الشيخ "][rng.random_range(0..3)],
                    ("F", true) => "الحاجة ",
                    ("M", false) => ["السيد ", "د. ", "المهندس "][rng.random_range(0..3)],
                    _ => "السيدة ",
                };
                name.insert_str(0, title);
            }
        }
        // National ID.
        let missing = if adult { ag.id_missing_adult } else { ag.id_missing_child };
        let national_id = if rng.random_bool(missing) {
            None
        } else if role == "spouse" && pi != self.households[p.household].head && rng.random_bool(ag.id_of_head) {
            // The family's file number: the head's ID written on the wife.
            Some(self.persons[self.households[p.household].head].national_id.clone())
        } else if rng.random_bool(ag.id_typo) {
            Some(ids::mistype(&p.national_id, rng))
        } else {
            Some(p.national_id.clone())
        };
        // Date of birth.
        let dob = &p.date_of_birth;
        let r: f64 = rng.random();
        let date_of_birth = if r < ag.dob_missing {
            None
        } else if r < ag.dob_missing + ag.dob_year_only * if adult { 1.0 } else { 0.3 } {
            Some(dob[..4].to_string())
        } else if r < ag.dob_missing + ag.dob_year_only + ag.dob_year_month {
            Some(dob[..7].to_string())
        } else if r < ag.dob_missing + ag.dob_year_only + ag.dob_year_month + ag.dob_error {
            Some(wrong_dob(dob, self.cfg.start_year + 2, rng))
        } else {
            Some(dob.clone())
        };
        let sex = rng.random_bool(ag.sex_rate).then(|| p.sex.to_string());
        let phone = if rng.random_bool(ag.phone_rate) {
            let ph = p.phone.as_deref().or(if role == "spouse" || role == "head" {
                head_phone.filter(|_| rng.random_bool(0.3))
            } else {
                None
            });
            ph.map(|ph| format_phone(ph, ag.phone_formats[rng.random_range(0..ag.phone_formats.len())]))
        } else {
            None
        };
        Member { role, name, national_id, date_of_birth, sex, phone, true_person: pi }
    }
}

/// Day and month swapped (when both could be months), otherwise the year off by one.
/// A mistyped date of birth, still a real date and never after `max_year` (a date in the
/// future is refused by the gateway, so an agency would not have it on file).
fn wrong_dob<R: Rng + ?Sized>(dob: &str, max_year: i32, rng: &mut R) -> String {
    let y: i32 = dob[..4].parse().unwrap_or(1980);
    let m: u32 = dob[5..7].parse().unwrap_or(1);
    let d: u32 = dob[8..10].parse().unwrap_or(1);
    // Day and month swapped, unless that would put the date past the generator's last year.
    if d <= 12 && d != m && y < max_year && rng.random_bool(0.6) {
        format!("{y:04}-{d:02}-{m:02}")
    } else {
        let ny = if y + 1 < max_year && rng.random_bool(0.5) { y + 1 } else { y - 1 };
        let nd = d.min(dates::days_in_month(ny, m));
        format!("{ny:04}-{m:02}-{nd:02}")
    }
}

/// Writes a canonical `+970XXXXXXXXX` number in an agency format.
pub fn format_phone(canonical: &str, format: &str) -> String {
    let local = canonical.trim_start_matches("+970");
    let (a, b, c) =
        (&local[..3.min(local.len())], &local[3.min(local.len())..6.min(local.len())], &local[6.min(local.len())..]);
    match format {
        "+970" => format!("+970{local}"),
        "00970" => format!("00970{local}"),
        "970" => format!("970{local}"),
        "+972" => format!("+972{local}"),
        "+970 spaced" => format!("+970 {a} {b} {c}"),
        "0 spaced" => format!("0{a} {b} {c}"),
        "0 dashed" => format!("0{a}-{b}-{c}"),
        _ => format!("0{local}"),
    }
}
