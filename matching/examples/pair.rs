//! How two records of a caseload compare (development aid): why a pair was missed.
//!
//! ```sh
//! cargo run --release -p bawaba-matching --example pair -- CASELOAD.jsonl ANSWERS.jsonl K J
//! ```
//! Rebuilds the index as the run left it before line `K` (as `explain` does, for the term
//! frequencies and the population prior), then compares line `K` with line `J` directly
//! (`Matcher::compare_households`) and prints the score and every pair's evidence.

use bawaba_matching::*;

mod common;
use common::{index_before, members, read_lines};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, cases, answers, k, j] = args.as_slice() else {
        return Err("usage: pair CASELOAD.jsonl ANSWERS.jsonl K J".into());
    };
    let (k, j): (usize, usize) = (k.parse()?, j.parse()?);
    let (cases, answers) = (read_lines(cases, k.max(j) + 1)?, read_lines(answers, k.max(j) + 1)?);
    let index = index_before(&cases, &answers, k);
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
