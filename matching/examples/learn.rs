//! Learning from reviewers' decisions, measured: a synthetic caseload with ground truth
//! (bawaba-synth) is linked as the gateway links it (`examples/quality.rs`'s loop: join the
//! best household in band certain/probable, else a new household). Every `possible` best match
//! not joined is a flag a reviewer would decide; the first `DECISIONS` of them are decided by
//! the truth (one household or not), and each decided flag's paired members become a labelled
//! person pair (confirmed: one person; dismissed: not). `Matcher::learn` blends m and u from
//! those pairs into the model (`STRENGTH` pseudo-pairs), and the caseload is linked again with
//! the learned model. Prints pairwise precision, recall and F1 of household linkage and the
//! review flags per 100 records, before and after.
//!
//! ```sh
//! HH=20000 DECISIONS=300 cargo run --release -p bawaba-matching --example learn
//! ```

use bawaba_matching::*;
use bawaba_synth::{Caseload, Config, generate};
use std::collections::HashMap;

#[path = "../tests/common/mod.rs"]
mod common;
use common::{Prf, env_usize, prepared};

/// What one linkage run gives.
struct Run {
    household: Vec<u64>,
    review_flags: usize,
    /// Decided flags' labelled person pairs: (record, member, stored record, stored member, same).
    labelled: Vec<(usize, usize, usize, usize, bool)>,
    decided: usize,
}

fn run(c: &Caseload, m: &Matcher, decisions: usize) -> Run {
    let mut index = Index::new();
    let mut records_of: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut person_of: HashMap<PersonId, (usize, usize)> = HashMap::new();
    let (mut next_h, mut next_p) = (0u64, 0u64);
    let mut out = Run { household: Vec::new(), review_flags: 0, labelled: Vec::new(), decided: 0 };
    for (i, r) in c.records.iter().enumerate() {
        let members = prepared(r);
        let found = m.match_household(&index, &members, &|_| false, 10);
        let target = found.first().filter(|f| f.band >= Band::Probable).map(|f| f.household);
        if let Some(best) = found.first().filter(|f| f.band == Band::Possible) {
            out.review_flags += 1;
            if out.decided < decisions {
                // The reviewer's decision: the household the stored side mostly is.
                let theirs = records_of.get(&best.household).and_then(|v| v.first()).copied();
                if let Some(j) = theirs {
                    out.decided += 1;
                    let same = c.records[j].truth.household == r.truth.household;
                    for pair in &best.pairs {
                        if let Some(&(sj, sk)) = person_of.get(&pair.theirs) {
                            out.labelled.push((i, pair.ours, sj, sk, same));
                        }
                    }
                }
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

fn main() {
    let hh = env_usize("HH", 20_000);
    let seed = env_usize("SEED", 11) as u64;
    let decisions = env_usize("DECISIONS", 300);
    let strength = env_usize("STRENGTH", 200) as f64;
    let c = generate(&Config { households: hh, seed, ..Config::default() });
    let truth = c.same_household_pairs();
    let n = c.records.len();
    println!("caseload: seed {seed}, {} true households, {n} records", c.households.len());
    let before = Matcher::default();
    let r0 = run(&c, &before, decisions);
    let l0 = pairwise(&r0.household, &truth);
    let pairs: Vec<(PreparedPerson, PreparedPerson, bool)> = r0
        .labelled
        .iter()
        .map(|&(i, k, j, l, same)| (prepared(&c.records[i])[k].clone(), prepared(&c.records[j])[l].clone(), same))
        .collect();
    let learned = before.learn(&Index::new(), &pairs, strength);
    println!(
        "decisions {} (flags decided), labelled person pairs {} ({} one person, {} not), strength {strength}",
        r0.decided,
        pairs.len(),
        learned.matches,
        learned.non_matches
    );
    let after = Matcher::new(learned.apply(&before.config));
    let r1 = run(&c, &after, 0);
    let l1 = pairwise(&r1.household, &truth);
    let per100 = |r: &Run| r.review_flags as f64 * 100.0 / n as f64;
    println!("before    {}  review flags/100 {:.2}", l0.line(), per100(&r0));
    println!("after     {}  review flags/100 {:.2}", l1.line(), per100(&r1));
    println!(
        "SUMMARY hh={hh} decisions={} pairs={} f1_before={:.4} f1_after={:.4} p_before={:.4} p_after={:.4} r_before={:.4} r_after={:.4}",
        r0.decided,
        pairs.len(),
        l0.f1(),
        l1.f1(),
        l0.p(),
        l1.p(),
        l0.r(),
        l1.r()
    );
}
