//! How two records of a caseload compare (development aid): why a pair was missed.
//!
//! ```sh
//! cargo run --release -p bawaba-matching --example pair -- CASELOAD.jsonl ANSWERS.jsonl K J
//! ```
//! Rebuilds the index as the run left it before line `K` (as `explain` does, for the term
//! frequencies and the population prior), then compares line `K` with line `J` directly
//! (`Matcher::compare_households`) and prints the score and every pair's evidence.

use bawaba_matching::*;
use std::io::BufRead;

mod common;
use common::members;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, cases, answers, k, j] = args.as_slice() else {
        return Err("usage: pair CASELOAD.jsonl ANSWERS.jsonl K J".into());
    };
    let (k, j): (usize, usize) = (k.parse()?, j.parse()?);
    let read = |p: &str| -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
        let mut v = Vec::new();
        for line in std::io::BufReader::new(std::fs::File::open(p)?).lines().take(k.max(j) + 1) {
            v.push(serde_json::from_str(&line?)?);
        }
        Ok(v)
    };
    let (cases, answers) = (read(cases)?, read(answers)?);
    let mut index = Index::new();
    let mut person = 0u64;
    for (line, answer) in cases.iter().zip(&answers).take(k) {
        let Some(h) = answer["household_id"].as_str().and_then(|h| h.trim_start_matches('h').parse::<u64>().ok())
        else {
            continue;
        };
        for p in members(line) {
            person += 1;
            index.insert(person, h, p);
        }
    }
    // Every score is shown, however low.
    let m = Matcher::new(MatchConfig { possible: 0.0, ..MatchConfig::default() });
    println!("line {k}: {}", cases[k]["body"]["members"]);
    println!("line {j}: {}", cases[j]["body"]["members"]);
    let (a, b) = (members(&cases[k]), members(&cases[j]));
    let show = |found: &HouseholdMatch| {
        for pair in &found.pairs {
            println!("  ours[{}] ~ {} ({:.4})", pair.ours, pair.theirs_name, pair.score);
            for e in &pair.evidence {
                println!("      {:?} {} {:?} / {:?} {:+.2}", e.field, e.level, e.ours, e.theirs, e.weight);
            }
        }
    };
    if std::env::var_os("EACH").is_some() {
        // Every member of one against every member of the other, alone.
        for x in &a {
            for y in &b {
                if let Some(found) = m.compare_households(&index, std::slice::from_ref(x), std::slice::from_ref(y)) {
                    println!("{} ~ {}: {:.4}", x.original_name(), y.original_name(), found.score);
                    show(&found);
                }
            }
        }
    }
    match m.compare_households(&index, &a, &b) {
        None => println!("under possible"),
        Some(found) => {
            println!("score {:.4} band {}", found.score, found.band.as_str());
            for pair in &found.pairs {
                println!("  ours[{}] ~ {} ({:.4})", pair.ours, pair.theirs_name, pair.score);
                for e in &pair.evidence {
                    println!("      {:?} {} {:?} / {:?} {:+.2}", e.field, e.level, e.ours, e.theirs, e.weight);
                }
            }
        }
    }
    Ok(())
}
