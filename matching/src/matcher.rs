//! Household matching, search and model estimation.
//!
//! A household match is decided on its strongest member pairs. The members of the two
//! households are paired greedily by pair weight (each member used once), regardless of role,
//! so a wife recorded as head by one agency and as spouse by another still pairs. The household
//! log-odds are the prior plus the best head/spouse ↔ head/spouse pair plus a fraction of every
//! further pair; without any such anchor pair (children or other members only) the pairs are
//! capped and a penalty applies, so one child who now heads a household of his own does not join
//! his parents', while several shared children do. A household recorded with fewer members, or
//! with children added later, loses nothing: an unpaired member is simply missing.
//!
//! Contradictions weigh against and hold the match at `possible` (a reviewer's decision, never an
//! automatic merge): two men left unpaired on both sides (a household has one husband), two
//! women plainly different (co-wives exist: a smaller penalty), children naming a father the
//! other record plainly does not have. One adult's match cannot carry a household whose other
//! members contradict it. A stored household is compared as its members are: a stored adult who
//! is a paired one written again by another record is not another adult. The prior comes from
//! the number of households in the index (`MatchConfig::population_prior`).

use crate::config::{MatchConfig, ModelField, posterior};
use crate::index::{Index, KeyKind};
use crate::phonetic::FxMap;
use crate::prepare::{PreparedPerson, prepare};
use crate::score::{self, Evidence, Field, PView};
use crate::{Band, HouseholdId, MProbabilities, PersonId, PersonInput, Role, Sex};
use rayon::prelude::*;
use std::collections::HashSet;

/// A caseworker's search: a name in any spelling or script and/or an ID, a phone, a date of
/// birth. At least one of name, national ID or phone is needed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchQuery<'a> {
    /// Full or partial name.
    pub name: Option<&'a str>,
    /// National ID.
    pub national_id: Option<&'a str>,
    /// Date of birth (`YYYY[-MM[-DD]]`).
    pub date_of_birth: Option<&'a str>,
    /// Phone.
    pub phone: Option<&'a str>,
}

/// One paired member: ours (index into the incoming members; 0 for a search) and theirs.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MemberMatch {
    /// Index of the incoming member (0 for a search, for `compare_households` an index into `a`).
    pub ours: usize,
    /// The stored person (for `compare_households`, an index into `b`).
    pub theirs: PersonId,
    /// The stored person's name as originally written.
    pub theirs_name: String,
    /// Posterior probability that the two are one person.
    pub score: f64,
    /// Field-by-field evidence.
    pub evidence: Vec<Evidence>,
}

/// A household the incoming one may be.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HouseholdMatch {
    /// The stored household (0 from `compare_households`).
    pub household: HouseholdId,
    /// Posterior probability in [0, 1] that the two are one household.
    pub score: f64,
    /// Band of the score.
    pub band: Band,
    /// Paired members, strongest first.
    pub pairs: Vec<MemberMatch>,
}

/// The matching engine: a configuration and the algorithms that use it.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    /// Thresholds and model parameters.
    pub config: MatchConfig,
}

/// The smallest pair weight (log2 likelihood ratio) that counts as a member pair.
const PAIR_MIN: f64 = 6.0;

/// Candidate households above which scoring runs in parallel.
const PAR_HOUSEHOLDS: usize = 24;

/// How a member pair was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// The same person.
    Person,
    /// Ours is the father of theirs (their child's father name is our first name…).
    OursParent,
    /// Theirs is the father of ours.
    TheirsParent,
}

/// Member pairs of one assessed household: (ours, theirs, weight, link).
type Pairs = Vec<(usize, usize, f64, Link)>;

impl Matcher {
    /// A matcher with a configuration.
    pub fn new(config: MatchConfig) -> Self {
        Matcher { config }
    }

    /// Households in the index that the incoming members may be, best first, only those
    /// scoring at least `config.possible`, at most `limit`. `exclude` hides households (the
    /// submitter's own, a pair dismissed in review…).
    ///
    /// ```
    /// use bawaba_matching::*;
    /// let mut index = Index::new();
    /// index.insert(1, 100, prepare(&PersonInput::new(Role::Head, "محمد احمد محمود الشاعر").dob("1980-05-01")));
    /// index.insert(2, 200, prepare(&PersonInput::new(Role::Head, "علي احمد محمود الشاعر").dob("1983-01-09")));
    /// let m = Matcher::new(MatchConfig::default());
    /// let q = [prepare(&PersonInput::new(Role::Head, "Mohammed Ahmad Mahmoud Al-Shaer").dob("1980-05-01"))];
    /// let found = m.match_household(&index, &q, &|_| false, 10);
    /// assert_eq!(found.len(), 1); // his brother's household is not a match
    /// assert_eq!(found[0].household, 100);
    /// ```
    pub fn match_household(
        &self,
        index: &Index,
        members: &[PreparedPerson],
        exclude: &dyn Fn(HouseholdId) -> bool,
        limit: usize,
    ) -> Vec<HouseholdMatch> {
        if members.is_empty() || limit == 0 || index.persons() == 0 {
            return Vec::new();
        }
        let cfg = &self.config;
        let prior = cfg.population_prior_log2(index.households());
        let views: Vec<PView<'_>> = members.iter().map(|p| index.view_of(p)).collect();
        // Candidate (member, slot) hits.
        let mut hits: Vec<(u32, u16)> = Vec::new();
        let mut buf = Vec::new();
        for (i, p) in members.iter().enumerate() {
            buf.clear();
            index.candidates(p, cfg.max_block, false, &mut buf);
            buf.sort_unstable();
            buf.dedup();
            hits.extend(buf.iter().map(|&s| (s, i as u16)));
        }
        // Pre-screen: households with at least one hit strong enough to count as a pair.
        let score_hit = |&(s, i): &(u32, u16)| -> Option<HouseholdId> {
            if !index.plausible(&views[i as usize], s) {
                return None;
            }
            let w = score::pair_weight_min(cfg, &views[i as usize], &index.view(s), PAIR_MIN - 1.0);
            (w >= PAIR_MIN - 1.0).then(|| index.recs[s as usize].household)
        };
        let mut households: Vec<HouseholdId> = if hits.len() > 512 {
            hits.par_iter().filter_map(score_hit).collect()
        } else {
            hits.iter().filter_map(score_hit).collect()
        };
        // Households related by lineage: a father in one record, his children in the other.
        for (i, p) in members.iter().enumerate() {
            buf.clear();
            index.lineage_candidates(p, cfg.max_block, &mut buf);
            buf.sort_unstable();
            buf.dedup();
            for &s in &buf {
                let (a, b) = (&views[i], index.view(s));
                let w = score::lineage(cfg, a, &b, None).or_else(|| score::lineage(cfg, &b, a, None));
                if w.is_some_and(|w| w >= PAIR_MIN) {
                    households.push(index.recs[s as usize].household);
                }
            }
        }
        households.sort_unstable();
        households.dedup();
        households.retain(|&h| !exclude(h));
        // Full assessment.
        let assess = |&h: &HouseholdId| -> Option<(HouseholdId, f64, Pairs)> {
            let slots = index.households.get(&h)?;
            let theirs: Vec<PView<'_>> = slots.iter().map(|&s| index.view(s)).collect();
            let (l, pairs) = self.assess(prior, &views, &theirs);
            let p = posterior(l);
            (p >= cfg.possible).then_some((h, p, pairs))
        };
        let mut scored: Vec<(HouseholdId, f64, Pairs)> = if households.len() > PAR_HOUSEHOLDS {
            households.par_iter().filter_map(assess).collect()
        } else {
            households.iter().filter_map(assess).collect()
        };
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(limit);
        scored
            .into_iter()
            .filter_map(|(h, p, pairs)| {
                let slots = index.households.get(&h)?;
                let band = cfg.band(p)?;
                let pairs = pairs
                    .into_iter()
                    .map(|(i, j, _, link)| {
                        let s = slots[j];
                        self.member_match(
                            prior,
                            link,
                            i,
                            &views[i],
                            &index.view(s),
                            index.recs[s as usize].person,
                            index.name_of(s),
                            &members[i].original,
                        )
                    })
                    .collect();
                Some(HouseholdMatch { household: h, score: p, band, pairs })
            })
            .collect()
    }

    /// Compares two member lists directly (no candidate search; the index supplies term
    /// frequencies only). `None` when they are not even a `possible` match. In the result,
    /// `household` is 0 and `MemberMatch::theirs` is an index into `b`.
    ///
    /// ```
    /// use bawaba_matching::*;
    /// let a = [prepare(&PersonInput::new(Role::Head, "راتب محمد هديب").dob("1975"))];
    /// let b = [prepare(&PersonInput::new(Role::Head, "راتب محمد اهديب").dob("1975-03-02"))];
    /// let m = Matcher::default();
    /// let found = m.compare_households(&Index::new(), &a, &b).expect("a match");
    /// assert!(found.score > 0.5);
    /// ```
    pub fn compare_households(
        &self,
        index: &Index,
        a: &[PreparedPerson],
        b: &[PreparedPerson],
    ) -> Option<HouseholdMatch> {
        let va: Vec<PView<'_>> = a.iter().map(|p| index.view_of(p)).collect();
        let vb: Vec<PView<'_>> = b.iter().map(|p| index.view_of(p)).collect();
        let prior = self.config.population_prior_log2(index.households());
        let (l, pairs) = self.assess(prior, &va, &vb);
        let p = posterior(l);
        let band = self.config.band(p)?;
        let pairs = pairs
            .into_iter()
            .map(|(i, j, _, link)| {
                self.member_match(prior, link, i, &va[i], &vb[j], j as PersonId, &b[j].original, &a[i].original)
            })
            .collect();
        Some(HouseholdMatch { household: 0, score: p, band, pairs })
    }

    /// Caseworker search: ranked households, best first, at most `limit`. Results under
    /// `config.possible` (down to `config.search_floor`) are kept, with band `Possible`.
    ///
    /// ```
    /// use bawaba_matching::*;
    /// let mut index = Index::new();
    /// index.insert(1, 100, prepare(&PersonInput::new(Role::Head, "إبراهيم خليل الشاعر").id("401234563")));
    /// let m = Matcher::default();
    /// let q = SearchQuery { name: Some("Ebrahim Khalil Al-Shaer"), ..Default::default() };
    /// assert_eq!(m.search(&index, &q, 10)[0].household, 100);
    /// let q = SearchQuery { national_id: Some("401-234-563"), ..Default::default() };
    /// assert_eq!(m.search(&index, &q, 10)[0].household, 100);
    /// ```
    pub fn search(&self, index: &Index, query: &SearchQuery<'_>, limit: usize) -> Vec<HouseholdMatch> {
        let cfg = &self.config;
        let input = PersonInput {
            role: Role::Other,
            name: query.name.unwrap_or(""),
            national_id: query.national_id,
            date_of_birth: query.date_of_birth,
            sex: None,
            phone: query.phone,
        };
        let q = prepare(&input);
        if (q.parts.is_empty() && q.nid == 0 && q.phone == 0) || limit == 0 {
            return Vec::new();
        }
        let qv = index.view_of(&q);
        let mut slots = Vec::new();
        index.candidates(&q, cfg.max_block.max(2000), true, &mut slots);
        slots.sort_unstable();
        slots.dedup();
        let score_one = |&s: &u32| (s, score::pair_weight(cfg, &qv, &index.view(s), None));
        let scored: Vec<(u32, f64)> = if slots.len() > 2048 {
            slots.par_iter().map(score_one).collect()
        } else {
            slots.iter().map(score_one).collect()
        };
        let prior = cfg.population_prior_log2(index.households());
        let mut best: FxMap<HouseholdId, (u32, f64)> = FxMap::default();
        for (s, w) in scored {
            let h = index.recs[s as usize].household;
            let e = best.entry(h).or_insert((s, f64::NEG_INFINITY));
            if w > e.1 {
                *e = (s, w);
            }
        }
        let mut ranked: Vec<(HouseholdId, u32, f64)> = best
            .into_iter()
            .map(|(h, (s, w))| (h, s, posterior(prior + w)))
            .filter(|x| x.2 >= cfg.search_floor)
            .collect();
        ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        ranked.truncate(limit);
        ranked
            .into_iter()
            .map(|(h, s, p)| HouseholdMatch {
                household: h,
                score: p,
                band: cfg.band(p).unwrap_or(Band::Possible),
                pairs: vec![self.member_match(
                    prior,
                    Link::Person,
                    0,
                    &qv,
                    &index.view(s),
                    index.recs[s as usize].person,
                    index.name_of(s),
                    &q.original,
                )],
            })
            .collect()
    }

    /// Posterior probability that two prepared persons are one person (term frequencies from
    /// the index). Symmetric.
    ///
    /// ```
    /// use bawaba_matching::*;
    /// let a = prepare(&PersonInput::new(Role::Head, "إبراهيم خليل الشاعر").dob("1970-01-02"));
    /// let b = prepare(&PersonInput::new(Role::Head, "Ebrahim Khalil Al-Shaer").dob("1970-01-02"));
    /// assert!(Matcher::default().score_pair(&Index::new(), &a, &b) > 0.95);
    /// ```
    pub fn score_pair(&self, index: &Index, a: &PreparedPerson, b: &PreparedPerson) -> f64 {
        let (va, vb) = (index.view_of(a), index.view_of(b));
        posterior(
            self.config.population_prior_log2(index.households()) + score::pair_weight(&self.config, &va, &vb, None),
        )
    }

    /// Deduplicates a whole caseload in one batch run: every record (a list of members) is
    /// matched in parallel against an index of all the others, certain and probable matches are
    /// linked, and linked records are grouped (transitively). Returns one group number per
    /// record, numbered from 0 in order of first appearance.
    ///
    /// ```
    /// use bawaba_matching::*;
    /// let recs = vec![
    ///     vec![prepare(&PersonInput::new(Role::Head, "محمد احمد محمود الشاعر").dob("1980-05-01"))],
    ///     vec![prepare(&PersonInput::new(Role::Head, "علي حسن النجار").dob("1971"))],
    ///     vec![prepare(&PersonInput::new(Role::Head, "Mohammed Ahmad Mahmoud Al-Shaer").dob("1980-05"))],
    /// ];
    /// assert_eq!(Matcher::default().deduplicate(&recs), vec![0, 1, 0]);
    /// ```
    pub fn deduplicate(&self, records: &[Vec<PreparedPerson>]) -> Vec<usize> {
        let mut persons = Vec::with_capacity(records.iter().map(Vec::len).sum());
        let mut pid = 0u64;
        for (r, members) in records.iter().enumerate() {
            for p in members {
                persons.push((pid, r as HouseholdId, p.clone()));
                pid += 1;
            }
        }
        let index = Index::build(persons);
        let edges: Vec<(usize, usize)> = records
            .par_iter()
            .enumerate()
            .flat_map_iter(|(r, members)| {
                // Each link is looked for from its earlier record only (half the work).
                let own = r as HouseholdId;
                self.match_household(&index, members, &|h| h <= own, 8)
                    .into_iter()
                    .filter(|m| m.band >= Band::Probable)
                    .map(move |m| (r, m.household as usize))
            })
            .collect();
        let mut parent: Vec<usize> = (0..records.len()).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for (a, b) in edges {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
        let mut label = vec![usize::MAX; records.len()];
        let mut next = 0;
        (0..records.len())
            .map(|r| {
                let root = find(&mut parent, r);
                if label[root] == usize::MAX {
                    label[root] = next;
                    next += 1;
                }
                label[root]
            })
            .collect()
    }

    /// Household log2 odds and member pairs (ours, theirs, weight), strongest first.
    fn assess(&self, prior: f64, ours: &[PView<'_>], theirs: &[PView<'_>]) -> (f64, Pairs) {
        let cfg = &self.config;
        let (n, m) = (ours.len(), theirs.len());
        // Stored households hold the same person once per record: score each distinct stored
        // person once (same interned tokens and fields).
        let sig: Vec<u64> = theirs.iter().map(signature).collect();
        let mut first_of: Vec<usize> = (0..m).collect();
        for j in 1..m {
            if let Some(k) = (0..j).find(|&k| sig[k] == sig[j]) {
                first_of[j] = first_of[k];
            }
        }
        let mut cands: Vec<(f64, usize, usize)> = Vec::with_capacity(n * m);
        let mut row = vec![f64::NEG_INFINITY; m];
        for (i, a) in ours.iter().enumerate() {
            for (j, b) in theirs.iter().enumerate() {
                let w = if first_of[j] < j {
                    row[first_of[j]]
                } else {
                    score::pair_weight_min(cfg, a, b, PAIR_MIN - 1.0) + score::role_weight(a.role, b.role).0
                };
                row[j] = w;
                if w >= PAIR_MIN {
                    cands.push((w, i, j));
                }
            }
        }
        cands.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut used_a = vec![false; n];
        let mut used_b = vec![false; m];
        let mut pairs: Pairs = Vec::new();
        for (w, i, j) in cands {
            if !used_a[i] && !used_b[j] {
                used_a[i] = true;
                used_b[j] = true;
                pairs.push((i, j, w, Link::Person));
            }
        }
        // Sex where a record leaves it out: a paired person's from the other side, then a
        // spouse's from the partner's (a couple is a man and a woman).
        let (sa, sb) = infer_sexes(ours, theirs, &pairs);
        let man = |v: &[Option<Sex>], people: &[PView<'_>]| {
            people.iter().zip(v).any(|(p, s)| p.role.is_adult_anchor() && *s == Some(Sex::M))
        };
        let (men_a, men_b) = (man(&sa, ours), man(&sb, theirs));
        let mut l = prior;
        let extras = |pairs: &Pairs, skip: Option<usize>| -> f64 {
            pairs
                .iter()
                .enumerate()
                .filter(|(x, _)| Some(*x) != skip)
                .map(|(_, p)| cfg.extra_pair_factor * p.2.min(2.0 * cfg.non_anchor_cap))
                .sum()
        };
        let is_anchor =
            |p: &(usize, usize, f64, Link)| ours[p.0].role.is_adult_anchor() && theirs[p.1].role.is_adult_anchor();
        if let Some(k) = pairs.iter().position(is_anchor) {
            l += pairs[k].2 + extras(&pairs, Some(k));
        } else {
            // No head/spouse pair: several children, or a father present in one record only
            // and named as the children's father in the other.
            let no_anchor = if pairs.is_empty() {
                f64::NEG_INFINITY
            } else {
                pairs.iter().map(|p| p.2.min(cfg.non_anchor_cap)).sum::<f64>() - cfg.no_anchor_penalty
            };
            let mut best_lin: Option<(f64, usize, usize, Link)> = None;
            // A father present in one record only: not when the children's record has a man of
            // its own (then he is their father, and the two are other families).
            for (i, a) in ours.iter().enumerate().filter(|(i, _)| !used_a[*i] && !men_b) {
                for (j, b) in theirs.iter().enumerate() {
                    if let Some(w) = score::lineage(cfg, a, b, None)
                        && best_lin.is_none_or(|x| w > x.0)
                    {
                        best_lin = Some((w, i, j, Link::OursParent));
                    }
                }
            }
            for (j, b) in theirs.iter().enumerate().filter(|(j, _)| !used_b[*j] && !men_a) {
                for (i, a) in ours.iter().enumerate() {
                    if let Some(w) = score::lineage(cfg, b, a, None)
                        && best_lin.is_none_or(|x| w > x.0)
                    {
                        best_lin = Some((w, i, j, Link::TheirsParent));
                    }
                }
            }
            let lin = best_lin.map_or(f64::NEG_INFINITY, |x| x.0 - cfg.lineage_penalty + extras(&pairs, None));
            if lin > no_anchor {
                if let Some((w, i, j, link)) = best_lin {
                    // The parent is accounted for: not an unpaired adult.
                    match link {
                        Link::OursParent => used_a[i] = true,
                        _ => used_b[j] = true,
                    }
                    pairs.insert(0, (i, j, w, link));
                }
                l += lin;
            } else {
                l += no_anchor;
            }
        }
        if pairs.is_empty() {
            return (f64::NEG_INFINITY, pairs);
        }
        // Adults unpaired on both sides (two different wives), of the same sex where known.
        let unpaired = |v: &[PView<'_>], sexes: &[Option<Sex>], used: &[bool]| {
            let mut c = [0usize; 3];
            for (x, p) in v.iter().enumerate() {
                if !used[x] && p.role.is_adult_anchor() {
                    c[match sexes[x] {
                        Some(Sex::M) => 0,
                        Some(Sex::F) => 1,
                        None => 2,
                    }] += 1;
                }
            }
            c
        };
        // Adults unpaired on both sides that are not plainly different (a pair weight short of
        // a pair but not against it: a name written very differently) are left out of the
        // count: they may be one person.
        let (mut used_a, mut used_b) = (used_a.clone(), used_b.clone());
        // Only adults unpaired on both sides can clash: nothing to look at when all of ours
        // are paired.
        let ours_unpaired = (0..n).any(|i| !used_a[i] && ours[i].role.is_adult_anchor());
        // A stored household holds its people once per record: an unpaired stored adult who is
        // a paired one written again is no other adult.
        for j in 0..m {
            if !ours_unpaired || used_b[j] || !theirs[j].role.is_adult_anchor() {
                continue;
            }
            if pairs.iter().any(|&(_, k, _, link)| link == Link::Person && first_of[k] == first_of[j]) {
                used_b[j] = true;
                continue;
            }
            let again = pairs.iter().any(|&(_, k, _, link)| {
                link == Link::Person && score::pair_weight_min(cfg, &theirs[j], &theirs[k], PAIR_MIN) >= PAIR_MIN
            });
            if again {
                used_b[j] = true;
            }
        }
        for (i, a) in ours.iter().enumerate() {
            if !ours_unpaired || used_a[i] || !a.role.is_adult_anchor() {
                continue;
            }
            for (j, b) in theirs.iter().enumerate() {
                if used_b[j] || !b.role.is_adult_anchor() || (sa[i].is_some() && sb[j].is_some() && sa[i] != sb[j]) {
                    continue;
                }
                if score::pair_weight_min(cfg, a, b, cfg.clash_below) >= cfg.clash_below {
                    used_a[i] = true;
                    used_b[j] = true;
                    break;
                }
            }
        }
        let (mut ua, mut ub) = (unpaired(ours, &sa, &used_a), unpaired(theirs, &sb, &used_b));
        let mut clashes = 0;
        // Two different husbands: a household has one (it may have two wives).
        let men = ua[0].min(ub[0]);
        l -= cfg.unmatched_man_penalty * men as f64;
        ua[0] -= men;
        ub[0] -= men;
        let k = ua[1].min(ub[1]);
        clashes += k;
        ua[1] -= k;
        ub[1] -= k;
        // An adult of unknown sex may clash with anyone left.
        let k = ua[2].min(ub[0] + ub[1] + ub[2]);
        clashes += k;
        ub[2] -= k.min(ub[2]);
        clashes += ub[2].min(ua[0] + ua[1]);
        l -= cfg.unmatched_adult_penalty * clashes as f64;
        // Children of another father: the father's name the children carry on one side is not
        // the children's father's name nor the husband's first name on the other.
        let other_father = father_contradicts(ours, &sa, theirs, &sb);
        if other_father {
            l -= cfg.father_contradiction_penalty;
        }
        // A merge of households whose adults or children contradict each other is for a person
        // to decide, however strong the pairs that carry it: at most `possible`.
        if cfg.contradiction_to_review && (men > 0 || clashes > 0 || other_father) {
            let p = (cfg.probable - 1e-3).clamp(1e-9, 1.0 - 1e-9);
            l = l.min((p / (1.0 - p)).log2());
        }
        (l, pairs)
    }

    /// A member match with its evidence.
    #[expect(clippy::too_many_arguments, reason = "internal helper")]
    fn member_match(
        &self,
        prior: f64,
        link: Link,
        ours: usize,
        a: &PView<'_>,
        b: &PView<'_>,
        theirs: PersonId,
        theirs_name: &str,
        our_name: &str,
    ) -> MemberMatch {
        let cfg = &self.config;
        let mut ev = Vec::with_capacity(10);
        if link != Link::Person {
            // A father present in one record, named as the child's father in the other.
            let w = match link {
                Link::OursParent => score::lineage(cfg, a, b, Some(&mut ev)),
                _ => score::lineage(cfg, b, a, Some(&mut ev)),
            }
            .unwrap_or(0.0);
            ev.insert(
                0,
                Evidence {
                    field: Field::Name,
                    level: if link == Link::OursParent { "father_of_theirs" } else { "child_of_theirs" },
                    ours: our_name.to_string(),
                    theirs: theirs_name.to_string(),
                    similarity: 0.0,
                    weight: w,
                },
            );
            return MemberMatch { ours, theirs, theirs_name: theirs_name.to_string(), score: 0.0, evidence: ev };
        }
        let w = score::pair_weight(cfg, a, b, Some(&mut ev));
        // Summary of the name parts first.
        let parts: Vec<&Evidence> = ev
            .iter()
            .filter(|e| {
                matches!(e.field, Field::FirstName | Field::FatherName | Field::GrandfatherName | Field::FamilyName)
                    && e.level != "missing"
            })
            .collect();
        let name_w: f64 = parts.iter().map(|e| e.weight).sum();
        let name_sim =
            if parts.is_empty() { 0.0 } else { parts.iter().map(|e| e.similarity).sum::<f64>() / parts.len() as f64 };
        let level = if parts.is_empty() {
            "missing"
        } else if parts.iter().all(|e| e.level == "exact") {
            "exact"
        } else if name_w > 0.0 {
            "similar"
        } else {
            "different"
        };
        ev.insert(
            0,
            Evidence {
                field: Field::Name,
                level,
                ours: our_name.to_string(),
                theirs: theirs_name.to_string(),
                similarity: name_sim,
                weight: name_w,
            },
        );
        let (rw, rl) = score::role_weight(a.role, b.role);
        ev.push(Evidence {
            field: Field::Role,
            level: rl,
            ours: a.role.as_str().to_string(),
            theirs: b.role.as_str().to_string(),
            similarity: if rl == "same" { 1.0 } else { 0.0 },
            weight: rw,
        });
        MemberMatch { ours, theirs, theirs_name: theirs_name.to_string(), score: posterior(prior + w), evidence: ev }
    }

    /// Re-estimates the m probabilities by expectation–maximisation on pairs drawn from the
    /// index's blocks, as Splink does: pairs sharing first + family name keys train every other
    /// field; pairs sharing a national ID train the name fields. At most `max_pairs` pairs per
    /// pass. Fields without enough pairs keep their configured m.
    pub fn estimate_m(&self, index: &Index, max_pairs: usize) -> MProbabilities {
        let cfg = &self.config;
        let mut m = cfg.m.clone();
        let pass = |kind: KeyKind, fields: &[ModelField], m: &mut MProbabilities| {
            let pairs = sample_pairs(index, kind, max_pairs);
            if pairs.len() < 50 {
                return;
            }
            let vecs: Vec<[Option<u8>; 8]> =
                pairs.iter().map(|&(s, t)| score::levels(cfg, &index.view(s), &index.view(t))).collect();
            em(&vecs, fields, m, &cfg.u);
        };
        pass(
            KeyKind::FirstFamily,
            &[
                ModelField::Father,
                ModelField::Grandfather,
                ModelField::NationalId,
                ModelField::Dob,
                ModelField::Phone,
                ModelField::Sex,
            ],
            &mut m,
        );
        pass(KeyKind::NationalId, &[ModelField::First, ModelField::Family], &mut m);
        m
    }
}

/// The names a household gives its father: the second name part of each child with three
/// parts or more, and the first and last name parts of each man among its head and spouse (the
/// last in case the name is written family name first). Returns whether there were children.
fn fathers<'a>(v: &'a [PView<'a>], sexes: &[Option<Sex>], out: &mut Vec<&'a score::TokView<'a>>) -> bool {
    let mut children = false;
    for (p, s) in v.iter().zip(sexes) {
        if p.role == Role::Child && p.n >= 3 {
            out.push(&p.toks[1]);
            children = true;
        } else if p.role.is_adult_anchor() && *s == Some(Sex::M) && p.n >= 1 {
            out.push(&p.toks[0]);
            if p.n >= 2 {
                out.push(&p.toks[p.n - 1]);
            }
        }
    }
    children
}

/// Whether the children on one side name a father that the other side plainly does not have:
/// no name the one side gives its father (children's father names, husbands' names) agrees
/// with any the other side gives. Needs children on at least one side (two different men with
/// no children are the unpaired-adult rule's business).
fn father_contradicts(ours: &[PView<'_>], sa: &[Option<Sex>], theirs: &[PView<'_>], sb: &[Option<Sex>]) -> bool {
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    let kids_a = fathers(ours, sa, &mut fa);
    let kids_b = fathers(theirs, sb, &mut fb);
    if fa.is_empty() || fb.is_empty() || !(kids_a || kids_b) {
        return false;
    }
    !fa.iter().any(|x| fb.iter().any(|y| score::compare_tokens(x, y).level != score::NameLevel::Different))
}

/// Sexes of both sides' members, filled in where a record leaves them out: a paired person
/// takes the sex the other side gives, and the head and spouse of a record with exactly one
/// of them known are taken as a man and a woman.
fn infer_sexes(ours: &[PView<'_>], theirs: &[PView<'_>], pairs: &Pairs) -> (Vec<Option<Sex>>, Vec<Option<Sex>>) {
    let mut sa: Vec<Option<Sex>> = ours.iter().map(|p| p.sex).collect();
    let mut sb: Vec<Option<Sex>> = theirs.iter().map(|p| p.sex).collect();
    let across = |sa: &mut [Option<Sex>], sb: &mut [Option<Sex>]| {
        for &(i, j, _, link) in pairs {
            if link == Link::Person {
                match (sa[i], sb[j]) {
                    (None, Some(x)) => sa[i] = Some(x),
                    (Some(x), None) => sb[j] = Some(x),
                    _ => {}
                }
            }
        }
    };
    let couple = |v: &[PView<'_>], s: &mut [Option<Sex>]| {
        let anchors: Vec<usize> = (0..v.len()).filter(|&x| v[x].role.is_adult_anchor()).collect();
        if let [x, y] = anchors[..] {
            let other = |z: Sex| if z == Sex::M { Sex::F } else { Sex::M };
            match (s[x], s[y]) {
                (Some(a), None) => s[y] = Some(other(a)),
                (None, Some(b)) => s[x] = Some(other(b)),
                _ => {}
            }
        }
    };
    across(&mut sa, &mut sb);
    couple(ours, &mut sa);
    couple(theirs, &mut sb);
    across(&mut sa, &mut sb);
    couple(ours, &mut sa);
    couple(theirs, &mut sb);
    (sa, sb)
}

/// A signature of a person view: equal for the same interned tokens and fields.
fn signature(v: &PView<'_>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::phonetic::FxHasher::default();
    for t in &v.toks[..v.n] {
        (t.code.as_ptr() as usize, t.code.len()).hash(&mut h);
    }
    (v.n, v.nid, v.dob, v.phone, v.sex, v.role).hash(&mut h);
    h.finish()
}

/// Pairs of alive slots sharing a key of one kind, in slot order, at most `max`.
fn sample_pairs(index: &Index, kind: KeyKind, max: usize) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut seen: HashSet<u64> = HashSet::new();
    let mut ks = [(KeyKind::Family, 0u64); 10];
    for r in index.recs.iter().filter(|r| r.alive) {
        let k = index.rec_keys(r, &mut ks);
        for &(kd, h) in &ks[..k] {
            if kd != kind || !seen.insert(h) {
                continue;
            }
            let Some(p) = index.blocks.get(&h) else {
                continue;
            };
            let list: Vec<u32> =
                p.as_slice().iter().copied().filter(|&s| index.recs[s as usize].alive).take(60).collect();
            for x in 0..list.len() {
                for y in x + 1..list.len() {
                    out.push((list[x], list[y]));
                    if out.len() >= max {
                        return out;
                    }
                }
            }
        }
    }
    out
}

/// EM over comparison vectors for the given fields; writes the estimated m into `m`.
fn em(vecs: &[[Option<u8>; 8]], fields: &[ModelField], m: &mut MProbabilities, u0: &MProbabilities) {
    let idx = |f: ModelField| ModelField::ALL.iter().position(|&g| g == f).unwrap_or(0);
    let mut mm: Vec<Vec<f64>> = fields.iter().map(|&f| m.field(f).to_vec()).collect();
    let mut uu: Vec<Vec<f64>> = fields.iter().map(|&f| u0.field(f).to_vec()).collect();
    let mut lambda = 0.1f64;
    let mut p = vec![0.0f64; vecs.len()];
    for _ in 0..30 {
        for (k, v) in vecs.iter().enumerate() {
            let (mut lm, mut lu) = (0.0f64, 0.0f64);
            for (fi, &f) in fields.iter().enumerate() {
                if let Some(l) = v[idx(f)] {
                    lm += mm[fi][l as usize].max(1e-9).ln();
                    lu += uu[fi][l as usize].max(1e-9).ln();
                }
            }
            let a = lambda.ln() + lm;
            let b = (1.0 - lambda).ln() + lu;
            let mx = a.max(b);
            p[k] = (a - mx).exp() / ((a - mx).exp() + (b - mx).exp());
        }
        lambda = (p.iter().sum::<f64>() / p.len() as f64).clamp(1e-6, 1.0 - 1e-6);
        for (fi, &f) in fields.iter().enumerate() {
            let levels = mm[fi].len();
            let mut sm = vec![1e-3; levels];
            let mut su = vec![1e-3; levels];
            for (k, v) in vecs.iter().enumerate() {
                if let Some(l) = v[idx(f)] {
                    sm[l as usize] += p[k];
                    su[l as usize] += 1.0 - p[k];
                }
            }
            let (tm, tu) = (sm.iter().sum::<f64>(), su.iter().sum::<f64>());
            for l in 0..levels {
                mm[fi][l] = sm[l] / tm;
                uu[fi][l] = su[l] / tu;
            }
        }
    }
    for (fi, &f) in fields.iter().enumerate() {
        let dst = m.field_mut(f);
        // Keep the configured m where the data had no pair with the field.
        if vecs.iter().any(|v| v[idx(f)].is_some()) {
            dst.copy_from_slice(&mm[fi]);
        }
    }
}
