//! Matching quality on a synthetic caseload with ground truth (bawaba-synth), linked the way the
//! gateway links: records in order, each matched against the index; it joins the best household
//! if the match is certain or probable, else it starts a new one; then its members are indexed.
//!
//! Pairwise precision / recall / F1 for household linkage (two records in one household) and
//! for overlap flags (same true household, same aid type, overlapping periods), for the matcher
//! and for a plain baseline (Jaro–Winkler ≥ 0.92 on the raw full names of heads blocked by their
//! first letter, or an equal national ID). Size: `BAWABA_QUALITY_HOUSEHOLDS` (default 1,500 in debug, 20,000 in release),
//! seed `BAWABA_QUALITY_SEED` (default 7). Run with `--nocapture` to see the figures.

use bawaba_matching::*;
use bawaba_synth::{Caseload, Config, Record, generate};
use std::collections::HashMap;
use std::time::Instant;

mod common;
use common::{Prf, env_usize, prepared};

/// Pairwise scores of a predicted clustering (one cluster id per record) against truth pairs.
fn pairwise(pred: &[u64], truth: &[(usize, usize)], caseload: &Caseload, overlap_only: bool) -> Prf {
    let overlaps = |i: usize, j: usize| {
        let (x, y) = (&caseload.records[i].assistance, &caseload.records[j].assistance);
        x.kind == y.kind && x.period_start.as_str() <= y.last_day() && y.period_start.as_str() <= x.last_day()
    };
    let mut by: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, &c) in pred.iter().enumerate() {
        by.entry(c).or_default().push(i);
    }
    let mut predicted = Vec::new();
    for v in by.values() {
        for (a, &i) in v.iter().enumerate() {
            for &j in &v[a + 1..] {
                if !overlap_only || overlaps(i, j) {
                    predicted.push((i.min(j), i.max(j)));
                }
            }
        }
    }
    predicted.sort_unstable();
    let truth_set: std::collections::HashSet<(usize, usize)> = truth.iter().copied().collect();
    let tp = predicted.iter().filter(|p| truth_set.contains(p)).count() as u64;
    Prf { tp, fp: predicted.len() as u64 - tp, fn_: truth.len() as u64 - tp }
}

fn is_latin(r: &Record) -> bool {
    r.members.first().is_some_and(|m| m.name.chars().any(|c| c.is_ascii_alphabetic()))
}

/// The gateway's linkage through Index + Matcher.
fn link_with_matcher(c: &Caseload, m: &Matcher) -> (Vec<u64>, Index) {
    let mut index = Index::new();
    let mut next_h = 0u64;
    let mut next_p = 0u64;
    let mut out = Vec::with_capacity(c.records.len());
    for r in &c.records {
        let members = prepared(r);
        let found = m.match_household(&index, &members, &|_| false, 3);
        let h = match found.first() {
            Some(f) if f.band >= Band::Probable => f.household,
            _ => {
                next_h += 1;
                next_h
            }
        };
        for p in members {
            next_p += 1;
            index.insert(next_p, h, p);
        }
        out.push(h);
    }
    (out, index)
}

/// The plain baseline: JW ≥ 0.92 on raw head names, or an equal raw national ID.
fn link_baseline(c: &Caseload) -> Vec<u64> {
    let mut out: Vec<u64> = Vec::with_capacity(c.records.len());
    let mut by_id: HashMap<&str, u64> = HashMap::new();
    // Heads blocked by their first letter (a full scan is quadratic).
    let mut heads: HashMap<char, Vec<(String, u64)>> = HashMap::new();
    let mut next_h = 0u64;
    for r in &c.records {
        let mut h = None;
        for m in &r.members {
            if let Some(id) = m.national_id.as_deref()
                && let Some(&x) = by_id.get(id)
            {
                h = Some(x);
                break;
            }
        }
        let head = r.members.first().map(|m| m.name.to_lowercase()).unwrap_or_default();
        if h.is_none() {
            h = heads
                .get(&head.chars().next().unwrap_or(' '))
                .and_then(|b| b.iter().find(|(n, _)| strsim::jaro_winkler(n, &head) >= 0.92))
                .map(|x| x.1);
        }
        let h = h.unwrap_or_else(|| {
            next_h += 1;
            next_h
        });
        for m in &r.members {
            if let Some(id) = m.national_id.as_deref() {
                by_id.entry(id).or_insert(h);
            }
        }
        heads.entry(head.chars().next().unwrap_or(' ')).or_default().push((head, h));
        out.push(h);
    }
    out
}

#[test]
fn household_linkage_quality() {
    let hh = env_usize("BAWABA_QUALITY_HOUSEHOLDS", if cfg!(debug_assertions) { 1_500 } else { 20_000 });
    let seed = env_usize("BAWABA_QUALITY_SEED", 7) as u64;
    let c = generate(&Config { households: hh, seed, ..Config::default() });
    let truth = c.same_household_pairs();
    let overlaps = c.true_overlaps_same_type();
    println!(
        "caseload: {} households, {} records, {} true same-household pairs, {} true overlaps",
        c.households.len(),
        c.records.len(),
        truth.len(),
        overlaps.len()
    );
    let m = Matcher::default();
    let t = Instant::now();
    let (pred, index) = link_with_matcher(&c, &m);
    let took = t.elapsed();
    println!(
        "matcher: {:.2?} for {} records ({:.1} µs/record)",
        took,
        c.records.len(),
        took.as_secs_f64() * 1e6 / c.records.len() as f64
    );
    let link = pairwise(&pred, &truth, &c, false);
    let over = pairwise(&pred, &overlaps, &c, true);
    link.show("matcher household linkage");
    over.show("matcher overlap flags");

    // Recall by script pair (cross-script pairs must be found as well as Arabic ones).
    let mut rec = [[0u64; 2]; 3];
    for &(i, j) in &truth {
        let k = usize::from(is_latin(&c.records[i])) + usize::from(is_latin(&c.records[j]));
        rec[k][1] += 1;
        if pred[i] == pred[j] {
            rec[k][0] += 1;
        }
    }
    for (k, what) in ["arabic-arabic", "arabic-latin", "latin-latin"].iter().enumerate() {
        println!("  recall {what:<14} {:.4} of {}", rec[k][0] as f64 / rec[k][1].max(1) as f64, rec[k][1]);
    }

    // m re-estimated by EM on the linked index (printed, not applied).
    let t = Instant::now();
    let em = m.estimate_m(&index, 200_000);
    println!(
        "EM ({:.2?}): first {:?}\n    family {:?}\n    national_id {:?}\n    date_of_birth {:?}",
        t.elapsed(),
        em.first_name.map(|x| (x * 1000.0).round() / 1000.0),
        em.family_name.map(|x| (x * 1000.0).round() / 1000.0),
        em.national_id.map(|x| (x * 1000.0).round() / 1000.0),
        em.date_of_birth.map(|x| (x * 1000.0).round() / 1000.0),
    );

    // The batch path: the whole caseload deduplicated at once.
    let t = Instant::now();
    let recs: Vec<Vec<PreparedPerson>> = c.records.iter().map(prepared).collect();
    let dd: Vec<u64> = m.deduplicate(&recs).into_iter().map(|x| x as u64).collect();
    println!("batch deduplicate: {:.2?}", t.elapsed());
    let dlink = pairwise(&dd, &truth, &c, false);
    let dover = pairwise(&dd, &overlaps, &c, true);
    dlink.show("batch dedup household linkage");
    dover.show("batch dedup overlap flags");

    let t = Instant::now();
    let base = link_baseline(&c);
    println!("baseline: {:.2?}", t.elapsed());
    let blink = pairwise(&base, &truth, &c, false);
    let bover = pairwise(&base, &overlaps, &c, true);
    blink.show("baseline household linkage");
    bover.show("baseline overlap flags");

    // Floors set below the figures measured (debug 1,500 households: linkage F1 0.998, overlap
    // 0.998, batch 0.998, Latin-Arabic recall 0.993; release 20,000: 0.9976 / 0.9987 / 0.995).
    assert!(link.f1() >= 0.99, "linkage F1 {}", link.f1());
    // Over-merging is what grows with the population (issue 9): precision has its own floor
    // (measured 0.9998 at 20,000 households, 0.9995+ at 1,500).
    assert!(link.p() >= 0.995, "linkage precision {}", link.p());
    assert!(over.f1() >= 0.99, "overlap F1 {}", over.f1());
    assert!(link.f1() > blink.f1());
    assert!(dlink.f1() >= 0.985, "batch linkage F1 {}", dlink.f1());
    let cross = rec[1][0] as f64 / rec[1][1].max(1) as f64;
    assert!(cross >= 0.98, "cross-script recall {cross}");
}
