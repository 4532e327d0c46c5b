//! The matcher alone on a caseload written by other hands (`benches/othercase/make.py`), for
//! iterating on the matcher without rebuilding the gateway (development aid).
//!
//! ```sh
//! cargo run --release -p bawaba-matching --example othercase -- CASELOAD.jsonl ANSWERS.jsonl
//! CSV=caseload.csv cargo run …   # also the flat file for benches/splink/splink_run.py
//! REUSE=1 WORK=DIR python3 benches/othercase/run.py HH SEED   # scores ANSWERS.jsonl (in DIR)
//! ```
//! The gateway's linkage loop as `examples/quality.rs` runs it (in file order: match, join the
//! best household in band certain/probable or make a new one, index the members), writing one
//! line per record in `bawaba dedup`'s form (`household_id`, `decision`, and `flags` of band
//! `possible` for each household considered and not joined, at most 3). No overlap policy and
//! no parallel chunks: the figures are close to `bawaba dedup`'s, not equal; the gateway run
//! (`run.py` without `REUSE`) is the one to quote.

use bawaba_matching::*;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::time::Instant;

/// `MATCH_LIMIT` of the gateway.
const MATCH_LIMIT: usize = 10;
/// `POSSIBLE_LIMIT` of the gateway.
const POSSIBLE_LIMIT: usize = 3;

mod common;
use common::members;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, cases, answers] = args.as_slice() else {
        return Err("usage: othercase CASELOAD.jsonl ANSWERS.jsonl".into());
    };
    let mut w = std::io::BufWriter::new(std::fs::File::create(answers)?);
    // `CSV=path` also writes the file `benches/splink/splink_run.py` reads (Splink on the same records).
    let mut csv = match std::env::var("CSV") {
        Ok(path) => {
            let mut c = std::io::BufWriter::new(std::fs::File::create(path)?);
            writeln!(c, "{}", common::SPLINK_HEADER)?;
            Some(c)
        }
        Err(_) => None,
    };
    // The registry is expected to hold at most one household per record of the file, as `bawaba
    // dedup` takes it (`MatchConfig::expected_households`); `POPULATION` sets another size.
    let expected_households = match std::env::var("POPULATION").ok().and_then(|v| v.parse().ok()) {
        Some(n) => n,
        None => std::io::BufReader::new(std::fs::File::open(cases)?).lines().count(),
    };
    let m = Matcher::new(MatchConfig { expected_households, ..MatchConfig::default() });
    let mut index = Index::new();
    // Each household's latest record: (agency, external_id).
    let mut latest: HashMap<HouseholdId, (String, String)> = HashMap::new();
    let (mut next_h, mut next_p) = (0u64, 0u64);
    let t = Instant::now();
    for (i, line) in std::io::BufReader::new(std::fs::File::open(cases)?).lines().enumerate() {
        let line: serde_json::Value = serde_json::from_str(&line?)?;
        let ours = members(&line);
        if let Some(c) = csv.as_mut() {
            fn s(v: &serde_json::Value) -> &str {
                v.as_str().unwrap_or_default()
            }
            let a = &line["body"]["assistance"];
            let ms = &line["body"]["members"];
            let record = common::SplinkRecord {
                truth: line["truth"]["household"].as_u64().unwrap_or_default(),
                agency: s(&line["agency"]),
                aid_type: s(&a["type"]),
                period_start: s(&a["period_start"]),
                period_end: a["period_end"].as_str().unwrap_or(s(&a["period_start"])),
                dates_of_birth: [ms[0]["date_of_birth"].as_str(), ms[1]["date_of_birth"].as_str()],
            };
            writeln!(c, "{}", common::splink_row(i, &record, &ours))?;
        }
        let found = m.match_household_brief(&index, &ours, &|_| false, MATCH_LIMIT);
        let target = found.first().filter(|f| f.band >= Band::Probable).map(|f| f.household);
        let mut flags = Vec::new();
        let mut possible = 0;
        for f in &found {
            if Some(f.household) == target || f.band >= Band::Probable || possible == POSSIBLE_LIMIT {
                continue;
            }
            possible += 1;
            let (a, e) = latest.get(&f.household).cloned().unwrap_or_default();
            flags.push(serde_json::json!({
                "kind": "possible_same_household", "band": "possible", "score": f.score,
                "matched_household_id": format!("h{}", f.household),
                "matched_agency": a, "matched_external_id": e,
            }));
        }
        let decision = match (target, flags.is_empty()) {
            (Some(_), _) => "duplicate",
            (None, false) => "possible_duplicate",
            (None, true) => "unique",
        };
        let h = target.unwrap_or_else(|| {
            next_h += 1;
            next_h
        });
        for p in ours {
            next_p += 1;
            index.insert(next_p, h, p);
        }
        let agency = line["agency"].as_str().unwrap_or_default().to_owned();
        let external = line["body"]["external_id"].as_str().unwrap_or_default().to_owned();
        writeln!(
            w,
            "{}",
            serde_json::json!({
                "agency": agency, "external_id": external, "household_id": format!("h{h}"),
                "decision": decision, "flags": flags,
            })
        )?;
        latest.insert(h, (agency, external));
        if (i + 1).is_multiple_of(50_000) {
            eprintln!("  {} records, {:.0} records/s", i + 1, (i + 1) as f64 / t.elapsed().as_secs_f64());
        }
    }
    w.flush()?;
    if let Some(mut c) = csv {
        c.flush()?;
    }
    eprintln!("{:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}
