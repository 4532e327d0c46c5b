//! Issue 16: one batch does not stop everyone. A large batch is committed in bounded
//! transactions, so searches and household views (which write an audit row) made while it runs
//! answer, and never with a 500; the SQLite file holds personal data and is its owner's only.
//! (How fast they answer is measured by the load run, not asserted here.)

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
    let batch: Vec<Value> = (0..4_000).map(household).collect();
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let (app, done, reads, cw) = (app.clone(), done.clone(), reads.clone(), cw.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                let (s, _) = app.get("/v1/households/search?national_id=401234563", &cw);
                let (v, _) = app.get(&format!("/v1/households/{hid}"), &cw);
                reads.lock().expect("reads").push((s, v, t.elapsed()));
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
    assert!(!reads.is_empty(), "the reader ran while the batch was written");
    let worst = reads.iter().map(|r| r.2).max().unwrap_or_default();
    eprintln!("{} reads during a 4,000-record batch, the slowest pair {worst:?}", reads.len());
    let mut ms: Vec<u128> = reads.iter().map(|r| r.2.as_millis()).collect();
    ms.sort_unstable();
    eprintln!("search + household view, ms: median {}, max {}", ms[ms.len() / 2], ms[ms.len() - 1]);
    for (s, v, _) in reads.iter() {
        assert_eq!((*s, *v), (200, 200), "reads answer while the batch is written");
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
