//! Issue 16: one batch does not stop everyone. A large batch is committed in bounded
//! transactions and reads queue their audit events without waiting on intake, so searches and
//! household views made while it runs answer, never with a 500, and without waiting for the
//! writer; the SQLite file holds personal data and is its owner's only.
//!
//! The reads' times are printed (median, p99, max). What is asserted is a bound that holds on a
//! loaded 2-core machine, where the batch's matching takes both cores: far below what waiting
//! for the writer cost (a median of 0.7 s on SQLite and 1.7 s on PostgreSQL, a max of seconds).
//! `BAWABA_FAIRNESS_N=10000` runs it at the size (4,000 by default).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Backend, TestApp, record};

both_backends!(reads_answer_while_a_large_batch_is_written);

/// A name of letters only, different for every `i`.
fn name(i: usize) -> String {
    const SYL: [&str; 16] =
        ["ba", "ki", "lu", "ma", "no", "ra", "si", "tu", "wa", "ya", "za", "fe", "ho", "di", "ge", "jo"];
    let mut n = i + 4096;
    let mut out = String::new();
    while n > 0 {
        out.push_str(SYL[n % 16]);
        n /= 16;
    }
    out
}

fn household(i: usize) -> Value {
    json!({
        "external_id": format!("big-{i}"),
        "assistance": {"type": "food", "period_start": "2026-03-01"},
        "members": [
            {"role": "head", "name": format!("Ahmad {} Qasem", name(i)), "national_id": format!("{}", 700_000_000 + i * 7),
             "date_of_birth": "1975", "sex": "M"},
            {"role": "spouse", "name": format!("Huda {} Saleh", name(i + 100_000)), "sex": "F"}
        ]
    })
}

fn reads_answer_while_a_large_batch_is_written(b: Backend) {
    let app = Arc::new(TestApp::start(b));
    let key = app.agency("WFP", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let (s, first) = app.post("/v1/records", &key, &record("known-1"));
    assert_eq!(s, 201, "{first}");
    let hid = first["household_id"].as_str().expect("household").to_owned();
    let n: usize = std::env::var("BAWABA_FAIRNESS_N").ok().and_then(|v| v.parse().ok()).unwrap_or(4_000);
    let batch: Vec<Value> = (0..n).map(household).collect();
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let (app, done, reads, cw) = (app.clone(), done.clone(), reads.clone(), cw.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                let (s, _) = app.get("/v1/households/search?national_id=401234563", &cw);
                let ts = t.elapsed();
                let t = Instant::now();
                let (v, _) = app.get(&format!("/v1/households/{hid}"), &cw);
                reads.lock().expect("reads").push((s, v, ts, t.elapsed()));
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let (s, out) = app.post("/v1/records/batch", &key, &json!({"records": batch}));
    done.store(true, Ordering::Relaxed);
    reader.join().expect("reader");
    assert_eq!(s, 200, "{out}");
    let results = out["results"].as_array().expect("results");
    let failed: Vec<&Value> = results.iter().filter(|r| !r["record_id"].is_string()).take(3).collect();
    assert!(failed.is_empty(), "every item stored: {failed:?}");
    let reads = reads.lock().expect("reads");
    assert!(reads.len() >= 10, "the reader ran while the batch was written: {} pairs", reads.len());
    let (search, view) = (spread(reads.iter().map(|r| r.2)), spread(reads.iter().map(|r| r.3)));
    eprintln!(
        "{b:?}: {} searches and household views during a {n}-record batch, ms (median, p99, max): \
         search {search:?}, household view {view:?}",
        reads.len()
    );
    for (s, v, _, _) in reads.iter() {
        assert_eq!((*s, *v), (200, 200), "reads answer while the batch is written");
    }
    // Honest on a loaded 2-core machine (the batch keeps both cores busy): no read waits for a
    // writer's transaction, so the typical read is fast and none takes a second.
    for (what, (median, _, max)) in [("search", search), ("household view", view)] {
        assert!(median < 250, "{what}: median {median} ms");
        assert!(max < 1_500, "{what}: slowest {max} ms");
    }
    if b == Backend::Sqlite {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&app.db.url).expect("the database file").permissions().mode();
            assert_eq!(mode & 0o077, 0, "the database file is its owner's only: {mode:o}");
        }
    }
}

/// Median, 99th percentile and max of some durations, in ms.
fn spread(d: impl Iterator<Item = Duration>) -> (u128, u128, u128) {
    let mut ms: Vec<u128> = d.map(|d| d.as_millis()).collect();
    ms.sort_unstable();
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99), at(1.0))
}
