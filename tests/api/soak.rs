//! The soak (`bash .ci/soak MINUTES`): the release gateway on a fresh SQLite file, a synthetic
//! caseload posted through batches first (`SOAK_HOUSEHOLDS`, default 20,000), then for MINUTES
//! the load run's single-post load (`SOAK_CLIENTS` concurrent clients, default 32, as
//! `benches/load.rs`): each client posts records one by one (new ones while the kept-back
//! `SOAK_NEW` last, default 10,000, then earlier ones again, answered as replays), and checks and
//! searches between. The server's resident memory is sampled every 10 s. Passes when no answer
//! is an error and memory is flat once the new records have run out (within 10% and 32 MiB of
//! its level then); prints the figures.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::scale::Gateway;
use crate::support::{Backend, MASTER, TestDb};

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The resident memory of a process, in MiB (`VmRSS`).
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[test]
#[ignore = "the soak: `bash .ci/soak MINUTES`"]
fn soak() {
    let minutes = env_f64("SOAK_MINUTES", 1.0);
    let households = env_f64("SOAK_HOUSEHOLDS", 20_000.0) as usize;
    let clients = env_f64("SOAK_CLIENTS", 32.0) as usize;
    let fresh = env_f64("SOAK_NEW", 10_000.0) as usize;
    let caseload = bawaba_synth::generate(&bawaba_synth::Config { households, ..bawaba_synth::Config::large(7) });
    let db = TestDb::new(Backend::Sqlite);
    let g = Gateway::start_with(&db.url, &[("BAWABA_RATE_PER_KEY", "off"), ("BAWABA_WORKERS", "4")]);
    let pid = g.child.id();
    let agent = ureq::AgentBuilder::new().max_idle_connections(clients * 2).timeout(Duration::from_secs(60)).build();
    let post = |path: &str, key: &str, body: &Value| {
        agent
            .post(&format!("{}{path}", g.base))
            .set("Authorization", &format!("Bearer {key}"))
            .send_json(body.clone())
            .map(|r| (r.status(), r.into_json::<Value>().unwrap_or(Value::Null)))
            .unwrap_or_else(|e| match e {
                ureq::Error::Status(s, r) => (s, r.into_json::<Value>().unwrap_or(Value::Null)),
                other => (0, Value::String(other.to_string())),
            })
    };
    let mut keys = std::collections::HashMap::new();
    for a in &caseload.agencies {
        let (s, created) = post("/v1/agencies", MASTER, &json!({"code": a.code, "name": a.name, "role": "submitter"}));
        assert_eq!(s, 201, "{created}");
        keys.insert(a.code.clone(), created["api_key"].as_str().expect("key").to_owned());
    }
    let (s, cw) =
        post("/v1/agencies", MASTER, &json!({"code": "MOSD-SOAK", "name": "caseworkers", "role": "caseworker"}));
    assert_eq!(s, 201, "{cw}");
    let cw = cw["api_key"].as_str().expect("key").to_owned();
    let split = caseload.records.len().saturating_sub(fresh);
    let (bulk, tail) = caseload.records.split_at(split);
    let t = Instant::now();
    for r in bulk.chunks(1_000) {
        // One agency per batch, as the load run posts.
        let mut by: Vec<(String, Vec<Value>)> = Vec::new();
        for x in r {
            match by.iter_mut().find(|(a, _)| *a == x.agency) {
                Some((_, v)) => v.push(x.to_api_json()),
                None => by.push((x.agency.clone(), vec![x.to_api_json()])),
            }
        }
        for (agency, items) in by {
            let (s, out) = post("/v1/records/batch", &keys[&agency], &json!({ "records": items }));
            assert_eq!(s, 200, "{out}");
        }
    }
    let loaded = t.elapsed();
    let persons = |g: &Gateway| g.ready()["persons"].as_u64().unwrap_or(0);
    let persons_start = persons(&g);
    let rss_start = rss_mib(pid);
    eprintln!(
        "soak: {} records loaded by batch in {:.1} s; {persons_start} persons; server RSS {rss_start:.1} MiB",
        bulk.len(),
        loaded.as_secs_f64()
    );

    let stop = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let (posts, replays, checks, searches) =
        (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    let errors = Mutex::new(Vec::<String>::new());
    let exhausted_at = Mutex::new(None::<Instant>);
    let samples = Mutex::new(Vec::<(f64, f64)>::new());
    let began = Instant::now();
    let length = Duration::from_secs_f64(minutes * 60.0);
    std::thread::scope(|s| {
        s.spawn(|| {
            while began.elapsed() < length {
                samples
                    .lock()
                    .expect("a lock no thread panicked in")
                    .push((began.elapsed().as_secs_f64(), rss_mib(pid)));
                let until = Instant::now() + Duration::from_secs(10);
                while Instant::now() < until && began.elapsed() < length {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            stop.store(true, Ordering::Relaxed);
        });
        for c in 0..clients {
            let (stop, next, posts, replays, checks, searches, errors, exhausted_at, post, keys, cw) =
                (&stop, &next, &posts, &replays, &checks, &searches, &errors, &exhausted_at, &post, &keys, &cw);
            let all = &caseload.records;
            let (agent, base) = (&agent, &g.base);
            s.spawn(move || {
                let mut turn = c;
                while !stop.load(Ordering::Relaxed) {
                    turn += 1;
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let (r, again) = match tail.get(i) {
                        Some(r) => (r, false),
                        None => {
                            exhausted_at.lock().expect("a lock no thread panicked in").get_or_insert_with(Instant::now);
                            (&all[(i * 7919) % all.len()], true)
                        }
                    };
                    let (s, out) = post("/v1/records", &keys[&r.agency], &r.to_api_json());
                    // A record posted again is a replay (200), or 201 when its first post is
                    // still on its way.
                    if !(s == 201 || (again && s == 200)) {
                        errors.lock().expect("a lock no thread panicked in").push(format!("post {s}: {out}"));
                    }
                    let counter = if again { replays } else { posts };
                    counter.fetch_add(1, Ordering::Relaxed);
                    if turn % 2 == 0 {
                        let other = &all[(i * 104_729) % all.len()];
                        let (s, out) = post("/v1/records/check", cw, &other.to_api_json());
                        if s != 200 {
                            errors.lock().expect("a lock no thread panicked in").push(format!("check {s}: {out}"));
                        }
                        checks.fetch_add(1, Ordering::Relaxed);
                    }
                    if turn % 4 == 0 {
                        let name = &all[(i * 15_485_863) % all.len()].members[0].name;
                        let res = agent
                            .get(&format!("{base}/v1/households/search"))
                            .query("name", name)
                            .set("Authorization", &format!("Bearer {cw}"))
                            .call();
                        if let Err(e) = res {
                            errors.lock().expect("a lock no thread panicked in").push(format!("search: {e}"));
                        }
                        searches.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let elapsed = began.elapsed().as_secs_f64();
    let rss_end = rss_mib(pid);
    let persons_end = persons(&g);
    let samples = samples.into_inner().expect("ok");
    let exhausted = exhausted_at.into_inner().expect("ok").map(|t| t.duration_since(began).as_secs_f64());
    // Memory once the new records ran out (the index stops growing): the first sample after.
    let plateau = exhausted.and_then(|at| samples.iter().find(|(t, _)| *t >= at + 10.0).map(|(_, m)| *m));
    let errors = errors.into_inner().expect("ok");
    let (posts, replays, checks, searches) =
        (posts.into_inner(), replays.into_inner(), checks.into_inner(), searches.into_inner());
    let requests = posts + replays + checks + searches;
    eprintln!(
        "soak: {minutes} min, {clients} clients: {requests} requests in {elapsed:.0} s ({:.0}/s): {posts} new records, \
         {replays} replays, {checks} checks, {searches} searches; errors {}; persons {persons_start} -> {persons_end}; \
         server RSS MiB start {rss_start:.1}, after the new records ran out {}, end {rss_end:.1}; new records ran out \
         at {} s",
        requests as f64 / elapsed,
        errors.len(),
        plateau.map_or("-".into(), |m| format!("{m:.1}")),
        exhausted.map_or("-".into(), |t| format!("{t:.0}")),
    );
    eprintln!(
        "soak: RSS samples (s, MiB): {}",
        samples.iter().map(|(t, m)| format!("{t:.0}:{m:.0}")).collect::<Vec<_>>().join(" ")
    );
    assert!(errors.is_empty(), "{} errors, the first: {:?}", errors.len(), errors.iter().take(5).collect::<Vec<_>>());
    if let Some(plateau) = plateau {
        assert!(
            rss_end <= plateau * 1.1 + 32.0,
            "memory grew while nothing new was stored: {plateau:.1} MiB -> {rss_end:.1} MiB"
        );
    }
    drop(g);
}
