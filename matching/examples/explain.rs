//! Why one record of a `bawaba dedup` run matched what it matched (development aid).
//!
//! ```sh
//! cargo run --release -p bawaba-matching --example explain -- CASELOAD.jsonl ANSWERS.jsonl K
//! ```
//! Rebuilds the index as the run left it before line `K` (each earlier record's members under
//! the household the run answered), matches line `K` again and prints every candidate
//! household with its paired members and their field-by-field evidence.

use bawaba_matching::*;

mod common;
use common::{index_before, members, read_lines};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, cases, answers, k] = args.as_slice() else {
        return Err("usage: explain CASELOAD.jsonl ANSWERS.jsonl K".into());
    };
    let k: usize = k.parse()?;
    let (cases, answers) = (read_lines(cases, k + 1)?, read_lines(answers, k + 1)?);
    let index = index_before(&cases, &answers, k);
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
