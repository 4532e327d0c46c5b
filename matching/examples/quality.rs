//! The quality run: a synthetic caseload with ground truth (bawaba-synth) posted through the
//! gateway's linkage loop exactly as `src/service/intake.rs` runs it, and scored.
//!
//! For each record, in posting order: `match_household(&index, &members, no dismissals, 10)`;
//! the best match in band certain/probable is joined (the record's members are indexed under
//! that household), otherwise a new household is made. Flags as the gateway raises them: a
//! `possible_same_household` flag for every considered household not joined (the best when not
//! joined, then others, at most 3 of band possible), and an overlap flag for each stored record
//! of a considered household with the same aid type and an overlapping period, at the band of
//! that household's match.
//!
//! Figures: pairwise P/R/F1 of household linkage (record pairs put in one household vs true
//! pairs), of overlap flags in the certain+probable bands (flagged record pairs vs true
//! overlaps: same household, same type, overlapping periods), review flags (band possible, any
//! kind) per 100 records, records/s of the loop, and what goes wrong at scale (records of
//! households no one else serves answered `duplicate`/overlapping, or flagged possible; the
//! largest resolved household).
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/target-matching HH=20000 cargo run --release -p bawaba-matching --example quality
//! HH=200000 CSV=/tmp/caseload.csv cargo run --release -p bawaba-matching --example quality
//! ```
//! `CSV` also writes one row per record for `benches/splink/splink_run.py` (the same file for
//! Splink). `SEED` (default 11). `MAX_BLOCK` sets `MatchConfig::max_block` (default 200).

use bawaba_matching::*;
use bawaba_synth::{Caseload, Config, generate};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;
use common::{Prf, env_usize, prepared};
#[path = "common/mod.rs"]
mod othercase;

/// `MATCH_LIMIT` of the gateway.
const MATCH_LIMIT: usize = 10;
/// `POSSIBLE_LIMIT` of the gateway.
const POSSIBLE_LIMIT: usize = 3;

fn overlaps(c: &Caseload, i: usize, j: usize) -> bool {
    let (x, y) = (&c.records[i].assistance, &c.records[j].assistance);
    x.kind == y.kind && x.period_start.as_str() <= y.last_day() && y.period_start.as_str() <= x.last_day()
}

/// What the loop did.
struct Outcome {
    /// Resolved household of every record.
    household: Vec<u64>,
    /// Overlap flags in certain/probable: (new record, stored record).
    overlap_flags: Vec<(usize, usize)>,
    /// Flags of band possible, any kind.
    review_flags: usize,
    /// Records with at least one review flag.
    records_flagged: Vec<bool>,
    /// Records answered with a certain/probable overlap flag.
    records_overlapping: Vec<bool>,
    /// Seconds in the loop (prepare + match + index insert).
    secs: f64,
}

fn run(c: &Caseload, m: &Matcher) -> Outcome {
    let mut index = Index::new();
    let mut records_of: HashMap<u64, Vec<usize>> = HashMap::new();
    let (mut next_h, mut next_p) = (0u64, 0u64);
    let n = c.records.len();
    let mut out = Outcome {
        household: Vec::with_capacity(n),
        overlap_flags: Vec::new(),
        review_flags: 0,
        records_flagged: vec![false; n],
        records_overlapping: vec![false; n],
        secs: 0.0,
    };
    let t = Instant::now();
    let step = (n / 20).max(1);
    for (i, r) in c.records.iter().enumerate() {
        let members = prepared(r);
        let found = m.match_household(&index, &members, &|_| false, MATCH_LIMIT);
        let target = found.first().filter(|f| f.band >= Band::Probable).map(|f| f.household);
        // The gateway's considered households: the best, then the others (possible ones capped).
        let mut considered: Vec<(HouseholdId, Band, bool)> = Vec::new();
        let mut possible = 0usize;
        if let Some(b) = found.first() {
            considered.push((b.household, b.band, Some(b.household) == target));
            possible = usize::from(target.is_none());
        }
        for f in found.iter().skip(1) {
            if f.band < Band::Probable {
                if possible == POSSIBLE_LIMIT {
                    continue;
                }
                possible += 1;
            }
            considered.push((f.household, f.band, false));
        }
        for &(h, band, joined) in &considered {
            let review = band == Band::Possible;
            if !joined && review {
                out.review_flags += 1;
                out.records_flagged[i] = true;
            }
            for &j in records_of.get(&h).map(Vec::as_slice).unwrap_or(&[]) {
                if overlaps(c, i, j) {
                    if review {
                        out.review_flags += 1;
                        out.records_flagged[i] = true;
                    } else {
                        out.overlap_flags.push((j.min(i), j.max(i)));
                        out.records_overlapping[i] = true;
                    }
                }
            }
        }
        let h = target.unwrap_or_else(|| {
            next_h += 1;
            next_h
        });
        records_of.entry(h).or_default().push(i);
        for p in members {
            next_p += 1;
            index.insert(next_p, h, p);
        }
        out.household.push(h);
        if (i + 1) % step == 0 {
            eprintln!(
                "  {:>8} records, {:>9} persons, {:.0} records/s",
                i + 1,
                index.persons(),
                (i + 1) as f64 / t.elapsed().as_secs_f64()
            );
        }
    }
    out.secs = t.elapsed().as_secs_f64();
    out
}

fn pairwise_link(pred: &[u64], truth: &[(usize, usize)]) -> Prf {
    let mut by: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, &h) in pred.iter().enumerate() {
        by.entry(h).or_default().push(i);
    }
    let predicted: u64 = by.values().map(|v| (v.len() * (v.len() - 1) / 2) as u64).sum();
    let tp = truth.iter().filter(|&&(i, j)| pred[i] == pred[j]).count() as u64;
    Prf { tp, fp: predicted - tp, fn_: truth.len() as u64 - tp }
}

fn write_csv(c: &Caseload, path: &str) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "{}", othercase::SPLINK_HEADER)?;
    for (i, r) in c.records.iter().enumerate() {
        let last = r.assistance.last_day();
        let dob = |k: usize| r.members.get(k).and_then(|m| m.date_of_birth.as_deref());
        let record = othercase::SplinkRecord {
            truth: r.truth.household as u64,
            agency: &r.agency,
            aid_type: &r.assistance.kind,
            period_start: &r.assistance.period_start,
            period_end: last,
            dates_of_birth: [dob(0), dob(1)],
        };
        writeln!(w, "{}", othercase::splink_row(i, &record, &prepared(r)))?;
    }
    w.flush()
}

fn main() {
    let hh = env_usize("HH", 20_000);
    let seed = env_usize("SEED", 11) as u64;
    let t = Instant::now();
    let c = generate(&Config { households: hh, seed, ..Config::default() });
    let persons: usize = c.records.iter().map(|r| r.members.len()).sum();
    println!(
        "caseload: seed {seed}, {} true households, {} persons, {} records ({} members), generated in {:.1?}",
        c.households.len(),
        c.persons.len(),
        c.records.len(),
        persons,
        t.elapsed()
    );
    if let Ok(path) = std::env::var("CSV") {
        match write_csv(&c, &path) {
            Ok(()) => println!("wrote {path}"),
            Err(e) => eprintln!("writing {path}: {e}"),
        }
    }
    let truth = c.same_household_pairs();
    let true_overlaps = c.true_overlaps_same_type();
    let mut config = MatchConfig::default();
    config.max_block = env_usize("MAX_BLOCK", config.max_block);
    // The whole caseload is one file, as `bawaba dedup` takes it: the registry is expected to
    // hold at most one household per record (`POPULATION` to set another size, 0 for none).
    config.expected_households = env_usize("POPULATION", c.records.len());
    let m = Matcher::new(config);
    let o = run(&c, &m);
    let n = c.records.len();
    let link = pairwise_link(&o.household, &truth);
    let mut flagged: Vec<(usize, usize)> = o.overlap_flags.clone();
    flagged.sort_unstable();
    flagged.dedup();
    let truth_set: HashSet<(usize, usize)> = true_overlaps.iter().copied().collect();
    let otp = flagged.iter().filter(|p| truth_set.contains(p)).count() as u64;
    let over = Prf { tp: otp, fp: flagged.len() as u64 - otp, fn_: true_overlaps.len() as u64 - otp };
    // Records of households served by no one else (one record only in truth).
    let by_truth = c.records_by_household();
    let lone: Vec<usize> = (0..n).filter(|&i| by_truth[&c.records[i].truth.household].len() == 1).collect();
    let lone_dup = lone.iter().filter(|&&i| o.records_overlapping[i]).count();
    let lone_flag = lone.iter().filter(|&&i| o.records_flagged[i]).count();
    let lone_joined =
        lone.iter().filter(|&&i| o.household.iter().filter(|&&h| h == o.household[i]).count() > 1).count();
    let mut sizes: HashMap<u64, (usize, HashSet<usize>)> = HashMap::new();
    for (i, &h) in o.household.iter().enumerate() {
        let e = sizes.entry(h).or_default();
        e.0 += 1;
        e.1.insert(c.records[i].truth.household);
    }
    let impure = sizes.values().filter(|v| v.1.len() > 1).count();
    let biggest = sizes.iter().max_by_key(|(h, v)| (v.0, std::cmp::Reverse(**h)));
    println!(
        "records/s {:.0} ({:.1} s for {} records, {:.0} µs/record)",
        n as f64 / o.secs,
        o.secs,
        n,
        o.secs * 1e6 / n as f64
    );
    println!("linkage   {}", link.line());
    println!("overlap   {}", over.line());
    println!("review flags per 100 records {:.2} ({} flags)", o.review_flags as f64 * 100.0 / n as f64, o.review_flags);
    println!(
        "lone households' records: {} ; joined to another {} ; answered overlapping {} ; flagged possible {} ({:.2} %)",
        lone.len(),
        lone_joined,
        lone_dup,
        lone_flag,
        lone_flag as f64 * 100.0 / lone.len().max(1) as f64
    );
    if let Some((h, (records, households))) = biggest {
        println!(
            "largest resolved household {h}: {records} records of {} true households; {impure} resolved households \
             mix true ones",
            households.len()
        );
    }
    println!(
        "SUMMARY hh={hh} records={n} link_p={:.4} link_r={:.4} link_f1={:.4} over_p={:.4} over_r={:.4} over_f1={:.4} review_per_100={:.2} records_per_s={:.0}",
        link.p(),
        link.r(),
        link.f1(),
        over.p(),
        over.r(),
        over.f1(),
        o.review_flags as f64 * 100.0 / n as f64,
        n as f64 / o.secs
    );
}
