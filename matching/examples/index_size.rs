//! The index's memory at a given size, part by part, built as a restart builds it
//! ([`Index::builder`]) and as intake grows it ([`Index::insert`]),
//! then the time of `SEARCHES` searches by a member's name (as the load run asks them).
//! `HH=200000 cargo run --release --example index_size`.
use bawaba_matching::*;
use bawaba_synth::{Config, generate};
use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let hh = common::env_usize("HH", 20_000);
    let cl = generate(&Config { households: hh, seed: 7, ..Config::default() });
    let mut persons = Vec::new();
    for r in &cl.records {
        for p in common::prepared(r) {
            persons.push((persons.len() as u64 + 1, r.truth.household as u64, p));
        }
    }
    let n = persons.len();
    let searches = common::env_usize("SEARCHES", 2_000);
    let step = (cl.records.len() / searches.max(1)).max(1);
    let names: Vec<String> =
        cl.records.iter().step_by(step).take(searches).map(|r| r.members[0].name.clone()).collect();
    println!("{} households, {} records, {n} persons", hh, cl.records.len());
    let t = Instant::now();
    let mut incremental = Index::new();
    for (pid, h, p) in &persons {
        incremental.insert_ref(*pid, *h, p);
    }
    println!("grown one by one in {:.1} s", t.elapsed().as_secs_f64());
    show(&incremental, n);
    drop(incremental);
    let t = Instant::now();
    let mut b = Index::builder();
    b.add(persons);
    let built = b.finish();
    println!("built at once in {:.1} s", t.elapsed().as_secs_f64());
    show(&built, n);
    let mut config = MatchConfig::default();
    config.search_block = common::env_usize("SEARCH_BLOCK", config.search_block);
    let m = Matcher::new(config);
    let mut times = Vec::with_capacity(names.len());
    let (mut found, mut own) = (0, 0);
    for (name, r) in names.iter().zip(cl.records.iter().step_by(step)) {
        let t = Instant::now();
        let q = SearchQuery { name: Some(name), ..SearchQuery::default() };
        let hits = m.search(&built, &q, 10);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        found += hits.len();
        own += usize::from(hits.iter().any(|h| h.household == r.truth.household as u64));
    }
    if let Ok(path) = std::env::var("ANSWERS") {
        // Each search's households, one line each, to compare two settings' answers.
        let lines: Vec<String> = names
            .iter()
            .map(|name| {
                let q = SearchQuery { name: Some(name), ..SearchQuery::default() };
                m.search(&built, &q, 10).iter().map(|h| h.household.to_string()).collect::<Vec<_>>().join(" ")
            })
            .collect();
        std::fs::write(path, lines.join("\n")).expect("answers written");
    }
    if std::env::var("SLOWEST").is_ok() {
        let mut by: Vec<(f64, &String)> = times.iter().copied().zip(&names).collect();
        by.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (ms, name) in by.iter().take(15) {
            println!("  {ms:6.2} ms  {name}");
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "{} searches by name: p50 {:.2} ms, p90 {:.2}, p99 {:.2}, max {:.2}; {found} households found, \
         the searched person's own in {own}",
        times.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}

fn show(ix: &Index, n: usize) {
    let parts = ix.memory_parts();
    let total: usize = parts.iter().map(|p| p.1).sum();
    for (name, bytes) in parts {
        println!("  {name:12} {:8.1} MiB {:6.1} B/person", bytes as f64 / 1048576.0, bytes as f64 / n as f64);
    }
    println!("  {:12} {:8.1} MiB {:6.1} B/person", "total", total as f64 / 1048576.0, total as f64 / n as f64);
}
