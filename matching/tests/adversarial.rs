//! Adversarial identifiers: national IDs and phones handed out in consecutive series
//! (registration batches, recycled phone ranges), so that every number is one typo away from
//! many others. A near ID or phone may support a name match; it must never make one on its own.
//!
//! Size: `BAWABA_ADVERSARIAL_HOUSEHOLDS` (default 5,500: ~5,000 stored, ~550 incoming).
//! Run with `--release -- --nocapture` for the figures (matches per household, time per match).

use bawaba_matching::*;
use std::collections::HashSet;
use std::time::Instant;

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

/// A deterministic scramble (splitmix64).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A weighted name table from synth's data (`name<TAB>weight…`), as a cumulative list.
struct Table {
    names: Vec<&'static str>,
    cum: Vec<u64>,
}

impl Table {
    fn parse(text: &'static str) -> Table {
        let (mut names, mut cum, mut total) = (Vec::new(), Vec::new(), 0u64);
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let mut f = line.split('\t');
            let (Some(name), Some(w)) = (f.next(), f.next()) else { continue };
            total += w.trim().parse::<u64>().unwrap_or(1).max(1);
            names.push(name.trim());
            cum.push(total);
        }
        Table { names, cum }
    }
    fn pick(&self, seed: u64) -> &'static str {
        let x = mix(seed) % self.cum.last().copied().unwrap_or(1);
        self.names[self.cum.partition_point(|&c| c <= x)]
    }
}

struct Tables {
    male: Table,
    female: Table,
    family: Table,
}

fn tables() -> Tables {
    Tables {
        male: Table::parse(include_str!("../../synth/data/first_male.tsv")),
        female: Table::parse(include_str!("../../synth/data/first_female.tsv")),
        family: Table::parse(include_str!("../../synth/data/families.tsv")),
    }
}

/// One generated member: (role, name, national id, date of birth, sex, phone).
#[derive(Clone)]
struct Member {
    role: Role,
    name: String,
    nid: String,
    dob: String,
    sex: Sex,
    phone: Option<String>,
}

impl Member {
    fn prepared(&self, with_ids: bool) -> PreparedPerson {
        let mut p = PersonInput::new(self.role, &self.name).dob(&self.dob).sex(self.sex);
        if with_ids {
            p.national_id = Some(self.nid.as_str()).filter(|s| !s.is_empty());
            p.phone = self.phone.as_deref();
        }
        prepare(&p)
    }
}

/// Households of one or two members, names drawn from the weighted tables, IDs and the head's
/// phone handed out in one consecutive series (401000001, 401000002…, 0599000001…).
fn households(t: &Tables, n: usize) -> Vec<Vec<Member>> {
    let mut next_id = 401_000_001u64;
    let mut next_phone = 599_000_001u64;
    (0..n)
        .map(|h| {
            let s = (h as u64) << 8;
            let family = t.family.pick(s);
            let year = 1950 + mix(s | 9) % 50;
            let dob =
                |salt: u64, y: u64| format!("{y}-{:02}-{:02}", 1 + mix(s | salt) % 12, 1 + mix(s | (salt + 1)) % 28);
            let head = Member {
                role: Role::Head,
                name: format!("{} {} {} {family}", t.male.pick(s | 1), t.male.pick(s | 2), t.male.pick(s | 3)),
                nid: format!("{next_id:09}"),
                dob: dob(10, year),
                sex: Sex::M,
                phone: Some(format!("0{next_phone}")),
            };
            next_id += 1;
            next_phone += 1;
            let mut v = vec![head];
            if mix(s | 4).is_multiple_of(2) {
                v.push(Member {
                    role: Role::Spouse,
                    name: format!(
                        "{} {} {} {}",
                        t.female.pick(s | 5),
                        t.male.pick(s | 6),
                        t.male.pick(s | 7),
                        t.family.pick(s | 8)
                    ),
                    nid: format!("{next_id:09}"),
                    dob: dob(20, year + 3),
                    sex: Sex::F,
                    phone: None,
                });
                next_id += 1;
            }
            v
        })
        .collect()
}

/// (first, father, family) of a name, the parts that make two people namesakes.
fn namesake_key(name: &str) -> (String, String, String) {
    let w: Vec<&str> = name.split(' ').collect();
    (w[0].to_string(), w[1].to_string(), w[w.len() - 1].to_string())
}

/// The same digit string with one digit replaced (the last but two, +1 mod 10).
fn one_typo(id: &str) -> String {
    let mut b = id.as_bytes().to_vec();
    let i = b.len() - 3;
    b[i] = b'0' + (b[i] - b'0' + 1) % 10;
    String::from_utf8(b).expect("digits")
}

#[test]
fn consecutive_ids_and_phones_make_no_match_on_their_own() {
    let n = env_usize("BAWABA_ADVERSARIAL_HOUSEHOLDS", if cfg!(debug_assertions) { 2_200 } else { 5_500 });
    let t = tables();
    let all = households(&t, n);
    // One household in ten came through another agency: it is matched against the others.
    let (incoming, stored): (Vec<_>, Vec<_>) = all.iter().enumerate().partition(|(h, _)| h % 10 == 7);
    let mut persons = Vec::new();
    let mut pid = 0u64;
    let mut names: HashSet<(String, String, String)> = HashSet::new();
    for (h, members) in &stored {
        for m in *members {
            persons.push((pid, *h as HouseholdId, m.prepared(true)));
            names.insert(namesake_key(&m.name));
            pid += 1;
        }
    }
    let index = Index::build(persons);
    let matcher = Matcher::default();
    // Unrelated households: nobody stored shares a member's first, father and family name.
    let unrelated: Vec<&Vec<Member>> =
        incoming.iter().map(|x| x.1).filter(|ms| ms.iter().all(|m| !names.contains(&namesake_key(&m.name)))).collect();
    let (mut found, mut flagged, mut found_no_ids) = (0usize, 0usize, 0usize);
    let mut worst: Option<(f64, String, String)> = None;
    let t0 = Instant::now();
    for ms in &unrelated {
        let q: Vec<PreparedPerson> = ms.iter().map(|m| m.prepared(true)).collect();
        let r = matcher.match_household(&index, &q, &|_| false, 10);
        found += r.len();
        flagged += usize::from(!r.is_empty());
        if let Some(m) = r.first()
            && worst.as_ref().is_none_or(|w| m.score > w.0)
        {
            let theirs = m.pairs.first().map(|p| p.theirs_name.clone()).unwrap_or_default();
            worst = Some((m.score, ms[0].name.clone(), theirs));
        }
    }
    let took = t0.elapsed();
    for ms in &unrelated {
        let q: Vec<PreparedPerson> = ms.iter().map(|m| m.prepared(false)).collect();
        found_no_ids += matcher.match_household(&index, &q, &|_| false, 10).len();
    }
    println!(
        "adversarial: {} stored households ({} persons), {} incoming, {} with different names",
        stored.len(),
        index.persons(),
        incoming.len(),
        unrelated.len()
    );
    println!(
        "unrelated: {found} matches ({flagged} households flagged; {found_no_ids} without IDs and phones), \
         {:.3} matches per household, {:.1} µs per match_household",
        found as f64 / unrelated.len().max(1) as f64,
        took.as_secs_f64() * 1e6 / unrelated.len().max(1) as f64
    );
    if let Some(w) = &worst {
        println!("  strongest: {:.3} {} ~ {}", w.0, w.1, w.2);
    }
    assert!(unrelated.len() * 2 > incoming.len(), "too few unrelated households: {}", unrelated.len());
    assert_eq!(found, 0, "unrelated households matched through near IDs/phones; strongest {worst:?}");

    // The same people again, through another agency: name agreeing, ID one typo away.
    let (mut top, mut top_no_dob) = (0usize, 0usize);
    let mut missed = Vec::new();
    let sample: Vec<_> = stored.iter().step_by(25).collect();
    let t0 = Instant::now();
    for (h, ms) in &sample {
        let head = &ms[0];
        let nid = one_typo(&head.nid);
        let p = PersonInput::new(Role::Head, &head.name).id(&nid).dob(&head.dob).sex(Sex::M);
        let r = matcher.match_household(&index, &[prepare(&p)], &|_| false, 10);
        if r.first().is_some_and(|m| m.household == *h as HouseholdId && m.band >= Band::Probable) {
            top += 1;
        } else {
            missed.push((head.name.clone(), r.first().map(|m| (m.household, m.score))));
        }
        let p = PersonInput::new(Role::Head, &head.name).id(&nid);
        let r = matcher.match_household(&index, &[prepare(&p)], &|_| false, 10);
        top_no_dob += usize::from(r.first().is_some_and(|m| m.household == *h as HouseholdId));
    }
    println!(
        "same heads, one-typo ID: {top}/{} probable or better with their birth date, {top_no_dob}/{} found \
         (any band) on name and ID alone; {:.1} µs per match_household",
        sample.len(),
        sample.len(),
        t0.elapsed().as_secs_f64() * 1e6 / (2 * sample.len()) as f64
    );
    assert_eq!(top, sample.len(), "missed: {missed:?}");
}
const IMPORT_FIRST: [&str; 40] = [
    "محمد",
    "أحمد",
    "محمود",
    "خالد",
    "يوسف",
    "عمر",
    "علي",
    "حسن",
    "سامي",
    "ياسر",
    "إبراهيم",
    "عبد الله",
    "مصطفى",
    "جمال",
    "نبيل",
    "رامي",
    "وليد",
    "طارق",
    "زياد",
    "فادي",
    "هاني",
    "ماجد",
    "سليم",
    "كمال",
    "عادل",
    "بسام",
    "رائد",
    "نضال",
    "إياد",
    "أيمن",
    "باسل",
    "حازم",
    "شادي",
    "عماد",
    "فارس",
    "قاسم",
    "لؤي",
    "مازن",
    "نزار",
    "هشام",
];
const IMPORT_WOMEN: [&str; 30] = [
    "فاطمة",
    "مريم",
    "عائشة",
    "خديجة",
    "زينب",
    "سارة",
    "هدى",
    "منى",
    "سلمى",
    "ليلى",
    "رنا",
    "دعاء",
    "أسماء",
    "نور",
    "آمنة",
    "حنان",
    "سناء",
    "رهام",
    "إيمان",
    "وفاء",
    "سهى",
    "عبير",
    "لينا",
    "ميساء",
    "نادية",
    "هبة",
    "ياسمين",
    "رغدة",
    "شيماء",
    "تغريد",
];
const IMPORT_FAMILY: [&str; 50] = [
    "الشاعر",
    "النجار",
    "داود",
    "الحلبي",
    "الخطيب",
    "المصري",
    "العمري",
    "الجعبري",
    "التميمي",
    "البرغوثي",
    "الزعتري",
    "القواسمي",
    "الرجبي",
    "السعدي",
    "الشريف",
    "الطويل",
    "العلمي",
    "الفاخوري",
    "الكرد",
    "اللحام",
    "المحتسب",
    "النتشة",
    "الهشلمون",
    "أبو سنينة",
    "أبو عيشة",
    "أبو زينة",
    "الجمل",
    "حمدان",
    "سلامة",
    "صيام",
    "عوض",
    "غنيم",
    "قنديل",
    "مهنا",
    "نصار",
    "يونس",
    "بركات",
    "جابر",
    "حماد",
    "خليل",
    "درويش",
    "رزق",
    "زيدان",
    "شحادة",
    "صالح",
    "ضاهر",
    "عاشور",
    "فرحات",
    "كحيل",
    "مطر",
];

/// The import test's former CSV generator: households of four (head, wife, son, daughter) with
/// names from small lists spread over the record number, IDs 400000000 + 4r + k (the daughter
/// without one), the head's phone 059 + r.
fn import_household(r: usize) -> Vec<Member> {
    let pick = |list: &[&'static str], n: usize| list[n % list.len()];
    let (first, women, family) = (&IMPORT_FIRST[..], &IMPORT_WOMEN[..], &IMPORT_FAMILY[..]);
    let (a, b, c, f) = (r % 40, (r / 40) % 37, (r / 1480) % 31, r * 7919 % 50);
    let head = format!("{} {} {} {}", pick(first, a), pick(first, b + 1), pick(first, c + 3), pick(family, f));
    let wife = format!(
        "{} {} {} {}",
        pick(women, r * 13),
        pick(first, r * 17 + 5),
        pick(first, r * 3 + 7),
        pick(family, f + 11)
    );
    let son = format!("{} {} {} {}", pick(first, r * 11 + 9), pick(first, a), pick(first, b + 1), pick(family, f));
    let girl = format!("{} {} {} {}", pick(women, r * 7 + 3), pick(first, a), pick(first, b + 1), pick(family, f));
    let (day, year) = (1 + r % 28, 1960 + r % 30);
    let m = |role, name, k: Option<usize>, dob: String, sex, phone: Option<String>| Member {
        role,
        name,
        nid: k.map(|k| format!("{:09}", 400_000_000 + r * 4 + k)).unwrap_or_default(),
        dob,
        sex,
        phone,
    };
    vec![
        m(Role::Head, head, Some(0), format!("{year}-{:02}-{day:02}", 1 + r % 12), Sex::M, Some(format!("059{r:07}"))),
        m(Role::Spouse, wife, Some(1), format!("{}", year + 4), Sex::F, None),
        m(Role::Child, son, Some(2), format!("{}-{:02}-{day:02}", 2005 + r % 10, 1 + r % 12), Sex::M, None),
        m(Role::Child, girl, None, format!("{}", 2008 + r % 10), Sex::F, None),
    ]
}

/// The intake loop on the import's former test file: every record is new and distinct, so
/// every match reported is a false flag.
#[test]
fn import_series_raises_no_flags() {
    let n = env_usize("BAWABA_ADVERSARIAL_RECORDS", if cfg!(debug_assertions) { 1_500 } else { 7_500 });
    let matcher = Matcher::default();
    let run = |with_ids: bool| {
        let mut index = Index::new();
        let (mut found, mut flagged, mut pid) = (0usize, 0usize, 0u64);
        let mut worst: Option<(f64, String, String)> = None;
        let mut per: Vec<Vec<(HouseholdId, f64, String)>> = Vec::with_capacity(n);
        let t0 = Instant::now();
        for r in 0..n {
            let ms = import_household(r);
            let q: Vec<PreparedPerson> = ms.iter().map(|m| m.prepared(with_ids)).collect();
            // No limit: the two runs' match sets compare one for one.
            let res = matcher.match_household(&index, &q, &|_| false, usize::MAX);
            found += res.len();
            flagged += usize::from(!res.is_empty());
            per.push(
                res.iter()
                    .map(|m| {
                        let ev = m.pairs.first().map(|p| {
                            let e: Vec<String> = p
                                .evidence
                                .iter()
                                .map(|e| format!("{}:{}:{:.1}", e.field.as_str(), e.level, e.weight))
                                .collect();
                            format!("{} ~ {} [{}]", ms[p.ours].name, p.theirs_name, e.join(" "))
                        });
                        (m.household, m.score, ev.unwrap_or_default())
                    })
                    .collect(),
            );
            if let Some(m) = res.first()
                && worst.as_ref().is_none_or(|w| m.score > w.0)
            {
                let theirs = m.pairs.first().map(|p| p.theirs_name.clone()).unwrap_or_default();
                worst = Some((m.score, ms[0].name.clone(), theirs));
            }
            for p in q {
                index.insert(pid, r as HouseholdId, p);
                pid += 1;
            }
        }
        let took = t0.elapsed();
        println!(
            "import series ({} IDs and phones): {n} records, {found} matches ({:.3} per record, {flagged} records \
             flagged), {:.1} µs per record (match + insert)",
            if with_ids { "with" } else { "without" },
            found as f64 / n as f64,
            took.as_secs_f64() * 1e6 / n as f64
        );
        if let Some(w) = &worst {
            println!("  strongest: {:.3} {} ~ {}", w.0, w.1, w.2);
        }
        (found, worst, per)
    };
    let (without, _, per_without) = run(false);
    let (with, worst, per_with) = run(true);
    let mut added = 0;
    for (r, (a, b)) in per_with.iter().zip(&per_without).enumerate() {
        for m in a {
            if !b.iter().any(|x| x.0 == m.0) {
                added += 1;
                if added <= 8 {
                    println!("  added by IDs: record {r} ~ household {} ({:.3}) {}", m.0, m.1, m.2);
                }
            }
        }
    }
    println!("  {added} matches only with IDs and phones");
    assert_eq!(added, 0, "IDs and phones one typo apart made matches ({with} with them, {without} without); {worst:?}");
}
