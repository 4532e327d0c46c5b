//! Why one record of a `bawaba dedup` run matched what it matched (development aid).
//!
//! ```sh
//! cargo run --release -p bawaba-matching --example explain -- CASELOAD.jsonl ANSWERS.jsonl K
//! ```
//! Rebuilds the index as the run left it before line `K` (each earlier record's members under
//! the household the run answered), matches line `K` again and prints every candidate
//! household with its paired members and their field-by-field evidence.

use bawaba_matching::*;
use std::io::BufRead;

mod common;
use common::members;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, cases, answers, k] = args.as_slice() else {
        return Err("usage: explain CASELOAD.jsonl ANSWERS.jsonl K".into());
    };
    let k: usize = k.parse()?;
    let read = |p: &str| -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
        let mut v = Vec::new();
        for line in std::io::BufReader::new(std::fs::File::open(p)?).lines().take(k + 1) {
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
    let m = Matcher::default();
    let ours = members(&cases[k]);
    println!("line {k}: {}", cases[k]["body"]["members"]);
    println!("answered: {}", answers[k]);
    for found in m.match_household(&index, &ours, &|_| false, 5) {
        println!("\nhousehold h{}: score {:.4} band {}", found.household, found.score, found.band.as_str());
        for pair in &found.pairs {
            println!("  ours[{}] ~ {} ({:.4})", pair.ours, pair.theirs_name, pair.score);
            for e in &pair.evidence {
                println!("      {:?} {} {:?} / {:?} {:+.2}", e.field, e.level, e.ours, e.theirs, e.weight);
            }
        }
    }
    Ok(())
}
