//! Learning from the review desk, measured: a synthetic caseload with ground truth
//! (bawaba-synth) is linked as the gateway links it (`examples/quality.rs`'s loop: join the
//! best household in band certain/probable, else a new household). Two samples are labelled by
//! the truth, as the desk labels them:
//!
//! - **decisions**: every `possible` best match not joined is a flag a reviewer would decide;
//!   `DECISIONS` of them, drawn at random, are decided (one household or not);
//! - **spot checks**: `SPOTS` of the automatic links (joined at band certain or probable),
//!   drawn at random, are answered blind (`same` or `different`).
//!
//! Each decided case's paired members become labelled person pairs (one person or not). Three
//! ways of learning are measured against the model before, each blended into it with
//! `STRENGTH` pseudo-pairs: `queue only` (the decisions alone, unweighted, m and u: what
//! `bawaba model estimate` did first), `weighted` (both samples, each pair weighed by the
//! inverse of its sample's drawing rate, m only, u left to the model), and `weighted, m and u`.
//! The caseload is linked again with each; pairwise precision, recall and F1 of household
//! linkage and the review flags per 100 records are printed.
//!
//! ```sh
//! HH=30000 DECISIONS=300 SPOTS=300 cargo run --release -p bawaba-matching --example learn
//! CASELOAD=/tmp/othercase-20000-7/caseload.jsonl cargo run --release -p bawaba-matching --example learn
//! ```
//! `CASELOAD` reads a caseload written by other hands (`benches/othercase/make.py`, its truth
//! in each line) instead of generating one.

use bawaba_matching::*;
use bawaba_synth::{Config, generate};
use std::collections::HashMap;

#[path = "../tests/common/mod.rs"]
mod common;
use common::{Prf, env_usize, prepared};
#[path = "common/mod.rs"]
mod othercase;

/// The records to link, in order: each one's members prepared, and its true household.
struct Caseload {
    members: Vec<Vec<PreparedPerson>>,
    truth: Vec<u64>,
}

impl Caseload {
    /// The project's generator's caseload.
    fn generated(households: usize, seed: u64) -> Caseload {
        let c = generate(&Config { households, seed, ..Config::default() });
        Caseload {
            members: c.records.iter().map(prepared).collect(),
            truth: c.records.iter().map(|r| r.truth.household as u64).collect(),
        }
    }

    /// A caseload written by other hands: one JSON line per record with its truth.
    fn read(path: &str) -> Caseload {
        let lines = othercase::read_lines(path, usize::MAX).expect("the caseload");
        Caseload {
            members: lines.iter().map(othercase::members).collect(),
            truth: lines.iter().map(|l| l["truth"]["household"].as_u64().expect("truth.household")).collect(),
        }
    }

    /// Every pair of records of one true household.
    fn same_household_pairs(&self) -> Vec<(usize, usize)> {
        let mut by: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, &h) in self.truth.iter().enumerate() {
            by.entry(h).or_default().push(i);
        }
        let mut out = Vec::new();
        for v in by.values() {
            for (a, &i) in v.iter().enumerate() {
                out.extend(v[a + 1..].iter().map(|&j| (i, j)));
            }
        }
        out
    }
}

/// One case the desk could label: the record, and its best match's paired members as
/// (record, member, stored record, stored member), and whether the truth says one household.
struct Case {
    pairs: Vec<(usize, usize, usize, usize)>,
    same: bool,
}

/// What one linkage run gives.
struct Run {
    household: Vec<u64>,
    /// Possible best matches not joined: the review queue.
    flags: Vec<Case>,
    /// Records joined at certain or probable: the automatic links.
    links: Vec<Case>,
}

fn run(c: &Caseload, m: &Matcher) -> Run {
    let mut index = Index::new();
    let mut records_of: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut person_of: HashMap<PersonId, (usize, usize)> = HashMap::new();
    let (mut next_h, mut next_p) = (0u64, 0u64);
    let mut out = Run { household: Vec::new(), flags: Vec::new(), links: Vec::new() };
    for (i, members) in c.members.iter().enumerate() {
        let members = members.clone();
        let found = m.match_household(&index, &members, &|_| false, 10);
        let target = found.first().filter(|f| f.band >= Band::Probable).map(|f| f.household);
        if let Some(best) = found.first().filter(|f| f.band >= Band::Possible) {
            // The reviewer's answer: the household the stored side mostly is (its first record).
            if let Some(&j) = records_of.get(&best.household).and_then(|v| v.first()) {
                let pairs = best
                    .pairs
                    .iter()
                    .filter_map(|p| person_of.get(&p.theirs).map(|&(sj, sk)| (i, p.ours, sj, sk)))
                    .collect();
                let case = Case { pairs, same: c.truth[j] == c.truth[i] };
                if best.band == Band::Possible { out.flags.push(case) } else { out.links.push(case) }
            }
        }
        let h = target.unwrap_or_else(|| {
            next_h += 1;
            next_h
        });
        records_of.entry(h).or_default().push(i);
        for (k, p) in members.into_iter().enumerate() {
            next_p += 1;
            person_of.insert(next_p, (i, k));
            index.insert(next_p, h, p);
        }
        out.household.push(h);
    }
    out
}

fn pairwise(pred: &[u64], truth: &[(usize, usize)]) -> Prf {
    let mut by: HashMap<u64, u64> = HashMap::new();
    for &h in pred {
        *by.entry(h).or_default() += 1;
    }
    let predicted: u64 = by.values().map(|n| n * (n - 1) / 2).sum();
    let tp = truth.iter().filter(|&&(i, j)| pred[i] == pred[j]).count() as u64;
    Prf { tp, fp: predicted - tp, fn_: truth.len() as u64 - tp }
}

/// `k` of `0..n` at random (a seeded partial Fisher–Yates, splitmix64).
fn sample(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut v: Vec<usize> = (0..n).collect();
    let k = k.min(n);
    for i in 0..k {
        let j = i + (next() % (n - i) as u64) as usize;
        v.swap(i, j);
    }
    v.truncate(k);
    v
}

/// The labelled person pairs of the drawn cases, each weighed by `weight`.
fn labelled(c: &Caseload, cases: &[Case], drawn: &[usize], weight: f64) -> Vec<LabelledPair> {
    drawn
        .iter()
        .flat_map(|&d| {
            let case = &cases[d];
            case.pairs.iter().map(move |&(i, k, j, l)| LabelledPair {
                ours: c.members[i][k].clone(),
                theirs: c.members[j][l].clone(),
                same: case.same,
                weight,
            })
        })
        .collect()
}

fn main() {
    let hh = env_usize("HH", 20_000);
    let seed = env_usize("SEED", 11) as u64;
    let decisions = env_usize("DECISIONS", 300);
    let spots = env_usize("SPOTS", 300);
    let strength = env_usize("STRENGTH", 200) as f64;
    let c = match std::env::var("CASELOAD") {
        Ok(path) => Caseload::read(&path),
        Err(_) => Caseload::generated(hh, seed),
    };
    let truth = c.same_household_pairs();
    let n = c.members.len();
    let households = c.truth.iter().collect::<std::collections::HashSet<_>>().len();
    println!("caseload: seed {seed}, {households} true households, {n} records");
    let before = Matcher::default();
    let r0 = run(&c, &before);
    let l0 = pairwise(&r0.household, &truth);
    let per100 = |flags: usize| flags as f64 * 100.0 / n as f64;
    println!("before                  {}  review flags/100 {:.2}", l0.line(), per100(r0.flags.len()));

    // The two samples, drawn at random.
    let queue = sample(r0.flags.len(), decisions, seed ^ 0xD1);
    let checked = sample(r0.links.len(), spots, seed ^ 0x5C);
    let rate = |drawn: usize, of: usize| if drawn == 0 { 1.0 } else { of as f64 / drawn as f64 };
    let (wq, ws) = (rate(queue.len(), r0.flags.len()), rate(checked.len(), r0.links.len()));
    let wrong = checked.iter().filter(|&&d| !r0.links[d].same).count();
    let confirmed = queue.iter().filter(|&&d| r0.flags[d].same).count();
    println!(
        "decisions {} of {} flags ({confirmed} confirmed, weight {wq:.1}); spot checks {} of {} automatic links ({wrong} wrong, weight {ws:.1}); strength {strength}",
        queue.len(),
        r0.flags.len(),
        checked.len(),
        r0.links.len()
    );
    let from_queue = labelled(&c, &r0.flags, &queue, 1.0);
    let mut both = labelled(&c, &r0.flags, &queue, wq);
    both.extend(labelled(&c, &r0.links, &checked, ws));
    let ways: [(&str, &[LabelledPair], bool); 3] =
        [("queue only", &from_queue, true), ("weighted", &both, false), ("weighted, m and u", &both, true)];
    let mut summary = format!(
        "SUMMARY hh={hh} records={n} decisions={} spot_checks={} f1_before={:.4} p_before={:.4} r_before={:.4}",
        queue.len(),
        checked.len(),
        l0.f1(),
        l0.p(),
        l0.r()
    );
    for (name, pairs, u_too) in ways {
        let learned = before.learn_weighted(&Index::new(), pairs, strength, u_too);
        let after = Matcher::new(learned.apply(&before.config));
        let r1 = run(&c, &after);
        let l1 = pairwise(&r1.household, &truth);
        println!(
            "{name:<23} {}  review flags/100 {:.2}  (pairs {}: {} one person, {} not)",
            l1.line(),
            per100(r1.flags.len()),
            pairs.len(),
            learned.matches,
            learned.non_matches
        );
        let key = name.replace([' ', ','], "_").replace("__", "_");
        summary.push_str(&format!(" f1_{key}={:.4}", l1.f1()));
    }
    println!("{summary}");
}
