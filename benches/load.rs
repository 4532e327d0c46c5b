//! The load run: the project's synthetic caseload posted to the real gateway (the release
//! binary, on a fresh SQLite file) through the batch endpoint and through concurrent single
//! posts, then household searches. Prints records/s and latency percentiles as measured by the
//! client, and the server's own request-latency histogram.
//!
//! `cargo bench --bench load` runs the full 200,000-household caseload (about 500,000 records,
//! 1M people). `LOAD_HOUSEHOLDS=20000 cargo bench --bench load` runs a smaller one.
//! `LOAD_SINGLE` (default 20,000) records are kept back and posted one by one at the end, with
//! `LOAD_CLIENTS` (default 32) concurrent clients as fast as they are answered (the most the
//! writer takes); then `LOAD_PACED` (default 20,000) more by the same clients at `LOAD_RATE`
//! records/s in all (default 2,000, the bar's rate), each latency counted from when its record
//! was due (the latency a caller meets at that load); `LOAD_SEARCHES` (default 2,000) searches.
//! The restart reports the start-up time and the matching index's bytes per person (from the
//! gateway's `/metrics`); the same searches then run again on the restarted gateway, with no
//! writes before them (the first ones follow the paced posts and their checkpoints).
//! `BAWABA_BIN` names another gateway binary to run (the one before a change, say);
//! `LOAD_KEEP=dir` keeps the database in `dir` (to look at its query plans after; a run that
//! takes the caseload in removes the one an earlier run kept there first); with
//! `LOAD_REUSE=1` too, a database already kept there is only searched (no intake, no restart). Each write
//! phase also reports the largest the SQLite write-ahead log grew to (watched every 10 ms) and
//! the checkpoints the gateway ran (`service::wal`). `LOAD_DATABASE_URL=postgres://…` runs it
//! on PostgreSQL instead (the database's `public` schema is dropped and made afresh first,
//! unless `LOAD_REUSE=1`; no write-ahead log is watched). The
//! machine's load average is printed beside the figures: they mean little without it.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const MASTER: &str = "load-run-master-key-0123456789abcdef";

fn start(db: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let base = format!("http://127.0.0.1:{port}");
    // `BAWABA_BIN` runs another build (say, the one before a change) under the same load.
    let bin = std::env::var("BAWABA_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_bawaba").to_owned());
    let mut cmd = Command::new(bin);
    if db.starts_with("postgres") {
        // PostgreSQL keeps no key file beside the database: the run's own data key.
        cmd.env("BAWABA_DATA_KEY", "6c6f61642d72756e2d646174612d6b65792d3031323334353637383961626364");
    }
    let child = cmd
        .arg("serve")
        .env("BAWABA_DATABASE_URL", db)
        .env("BAWABA_LISTEN", format!("127.0.0.1:{port}"))
        .env("BAWABA_MASTER_KEY", MASTER)
        .env("BAWABA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start bawaba");
    let server = Server { child, base };
    for _ in 0..1200 {
        if ureq::get(&format!("{}/healthz", server.base)).call().is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("bawaba did not start");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(what: &str, n: usize, elapsed: Duration, mut lat_ms: Vec<f64>) {
    lat_ms.sort_by(f64::total_cmp);
    println!(
        "{what}: {n} in {:.1} s = {:.0}/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        percentile(&lat_ms, 0.5),
        percentile(&lat_ms, 0.9),
        percentile(&lat_ms, 0.99),
        percentile(&lat_ms, 1.0),
    );
}

/// The server's histogram of one route, as (p50, p99) upper bucket bounds in ms.
fn server_percentiles(metrics: &str, route: &str) -> Option<(f64, f64)> {
    histogram_percentiles(metrics, &format!("bawaba_http_request_duration_seconds_bucket{{route=\"{route}\","))
}

/// A histogram's (p50, p99) upper bucket bounds in ms (in the histogram's unit × 1000), its
/// bucket lines being those that start with `prefix` followed by `le="…"`.
fn histogram_percentiles(metrics: &str, prefix: &str) -> Option<(f64, f64)> {
    bucket_percentiles(&buckets(metrics, prefix))
}

/// A histogram's cumulative buckets, (upper bound, count), lowest first.
fn buckets(metrics: &str, prefix: &str) -> Vec<(f64, f64)> {
    let prefix = format!("{prefix}le=\"");
    let mut buckets: Vec<(f64, f64)> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|rest| {
            let (le, count) = rest.split_once("\"} ")?;
            let le = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
            Some((le, count.trim().parse().ok()?))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    buckets
}

fn bucket_percentiles(buckets: &[(f64, f64)]) -> Option<(f64, f64)> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let at = |p: f64| buckets.iter().find(|(_, c)| *c >= total * p).map(|(le, _)| le * 1000.0).unwrap_or(f64::NAN);
    Some((at(0.5), at(0.99)))
}

/// A histogram's cumulative shares under each bound up to 50 ms ("≤ 1 ms 40.1%, …"): the
/// tail's shape, which p50 and p99 alone hide.
fn shares(buckets: &[(f64, f64)]) -> String {
    let total = buckets.last().map_or(0.0, |b| b.1).max(1.0);
    let shown: Vec<String> = buckets
        .iter()
        .filter(|(le, _)| *le <= 0.05)
        .map(|(le, c)| format!("≤ {} ms {:.1}%", le * 1000.0, c / total * 100.0))
        .collect();
    shown.join(", ")
}

/// The value of the metrics line `series` (a name, with its labels if any), 0 when absent.
fn metric(metrics: &str, series: &str) -> f64 {
    metrics.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok()).unwrap_or(0.0)
}

/// What a histogram gained between two readings of the metrics: its buckets, sum and count.
fn histogram_between(before: &str, after: &str, name: &str) -> (Vec<(f64, f64)>, f64, f64) {
    let prefix = format!("{name}_bucket{{");
    let (b0, b1) = (buckets(before, &prefix), buckets(after, &prefix));
    let gained =
        b1.iter().map(|(le, c)| (*le, c - b0.iter().find(|(l, _)| l == le).map_or(0.0, |(_, c0)| *c0))).collect();
    let value = |m: &str, what: &str| metric(m, &format!("{name}_{what}"));
    (gained, value(after, "sum") - value(before, "sum"), value(after, "count") - value(before, "count"))
}

/// The gateway's metrics, as text.
fn metrics_text(agent: &ureq::Agent, base: &str) -> String {
    agent
        .get(&format!("{base}/metrics"))
        .set("Authorization", &format!("Bearer {MASTER}"))
        .call()
        .expect("metrics")
        .into_string()
        .expect("text")
}

/// A process's resident memory, in MiB.
fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmRSS:")?.trim().strip_suffix("kB")?.trim().parse().ok()))
        .map_or(f64::NAN, |kb: f64| kb / 1024.0)
}

/// The machine's one-minute load average.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default()
}

/// Watches the size of SQLite's write-ahead log every 10 ms: [`WalWatch::take`] gives the
/// largest seen since the last call. Stops when dropped. PostgreSQL keeps its own log, which
/// is not watched (nor checkpointed by the gateway).
struct WalWatch {
    largest: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    sqlite: bool,
}

impl WalWatch {
    fn start(db: &str) -> WalWatch {
        let (largest, stop) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
        let sqlite = !db.starts_with("postgres");
        let (l, st, wal) = (largest.clone(), stop.clone(), format!("{db}-wal"));
        if sqlite {
            std::thread::spawn(move || {
                while !st.load(Ordering::Relaxed) {
                    l.fetch_max(std::fs::metadata(&wal).map_or(0, |m| m.len()), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(10));
                }
            });
        }
        WalWatch { largest, stop, sqlite }
    }

    /// The largest size seen since the last call, in MB.
    fn take(&self) -> f64 {
        self.largest.swap(0, Ordering::Relaxed) as f64 / 1e6
    }

    /// What a phase did to the log (its largest size since the last `take`, and the gateway's
    /// checkpoints between two readings of the metrics), as one line.
    fn phase(&self, before: &str, after: &str) -> String {
        let largest = self.take();
        if self.sqlite {
            format!("write-ahead log at most {largest:.0} MB; checkpoints: {}", checkpoints(before, after))
        } else {
            "write-ahead log: PostgreSQL's own (not watched here)".to_owned()
        }
    }
}

impl Drop for WalWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The checkpoints of the write-ahead log between two readings of the metrics, by kind.
fn checkpoints(before: &str, after: &str) -> String {
    ["passive", "sync", "restart"]
        .iter()
        .map(|kind| {
            let value = |m: &str, what: &str| -> f64 {
                let prefix = format!("bawaba_wal_checkpoint_duration_seconds_{what}{{kind=\"{kind}\"}} ");
                m.lines().find_map(|l| l.strip_prefix(&prefix)?.parse().ok()).unwrap_or(0.0)
            };
            let n = value(after, "count") - value(before, "count");
            let sum = value(after, "sum") - value(before, "sum");
            format!("{n:.0} {kind} of {:.1} ms on average", sum / n.max(1.0) * 1000.0)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The single posts after the batches: `fast` as fast as `clients` are answered, then `paced`
/// at `rate` records/s in all.
struct Singles {
    fast: usize,
    paced: usize,
    rate: f64,
    clients: usize,
}

/// The intake phases: the caseload's agencies, its records in batches, then the rest one by one.
fn intake(caseload: &bawaba_synth::Caseload, server: &Server, db: &str, agent: &ureq::Agent, singles: &Singles) {
    let &Singles { fast, paced, rate, clients } = singles;
    let wal = WalWatch::start(db);
    let mut keys = std::collections::HashMap::new();
    for a in &caseload.agencies {
        let created: Value = agent
            .post(&format!("{}/v1/agencies", server.base))
            .set("Authorization", &format!("Bearer {MASTER}"))
            .send_json(json!({"code": a.code, "name": a.name, "role": "submitter"}))
            .expect("agency")
            .into_json()
            .expect("json");
        keys.insert(a.code.clone(), created["api_key"].as_str().expect("key").to_owned());
    }
    let split = caseload.records.len().saturating_sub(fast + paced);
    let (bulk, tail) = caseload.records.split_at(split);

    // Batches of 1,000, one agency per batch, in posting order; two clients.
    // Each agency's records in its own posting order, in batches of up to 1,000.
    let mut by_agency: Vec<(String, Vec<Value>)> = Vec::new();
    for r in bulk {
        match by_agency.iter_mut().find(|(a, _)| *a == r.agency) {
            Some((_, items)) => items.push(r.to_api_json()),
            None => by_agency.push((r.agency.clone(), vec![r.to_api_json()])),
        }
    }
    let mut batches: Vec<(String, Vec<Value>)> = Vec::new();
    for (agency, items) in by_agency {
        for chunk in items.chunks(1_000) {
            batches.push((agency.clone(), chunk.to_vec()));
        }
    }
    let next = AtomicUsize::new(0);
    let lat = Mutex::new(Vec::new());
    let flagged = AtomicUsize::new(0);
    let before_batch = metrics_text(agent, &server.base);
    wal.take();
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((agency, items)) = batches.get(i) else { break };
                    let started = Instant::now();
                    let out: Value = agent
                        .post(&format!("{}/v1/records/batch", server.base))
                        .set("Authorization", &format!("Bearer {}", keys[agency]))
                        .send_json(json!({"records": items}))
                        .expect("batch")
                        .into_json()
                        .expect("json");
                    lat.lock().expect("lock").push(started.elapsed().as_secs_f64() * 1000.0);
                    let results = out["results"].as_array().expect("results");
                    assert!(results.iter().all(|r| r["record_id"].is_string()), "every batch item stored");
                    flagged.fetch_add(results.iter().filter(|r| r["decision"] != "unique").count(), Ordering::Relaxed);
                }
            });
        }
    });
    let elapsed = t.elapsed();
    println!("batches of up to 1,000 records, 2 clients (load average {}):", load_average());
    report("  records via POST /v1/records/batch", bulk.len(), elapsed, Vec::new());
    report("  batch requests", batches.len(), elapsed, lat.into_inner().expect("lat"));
    println!("  {} of {} records flagged", flagged.load(Ordering::Relaxed), bulk.len());
    let after_batch = metrics_text(agent, &server.base);
    println!("  {}", wal.phase(&before_batch, &after_batch));

    // Concurrent single posts: as fast as the clients go (the most the writer takes), then at
    // a set rate (the latency a caller meets at that load).
    let (closed_loop, open_loop) = tail.split_at(fast);
    post_singly(agent, server, &keys, &wal, closed_loop, clients, None);
    post_singly(agent, server, &keys, &wal, open_loop, clients, Some(rate));
}

/// Posts `records` one by one from `clients` concurrent clients and prints the rate, the
/// latency each client met, the server's own latency histogram for the phase and the writer's
/// groups and commits.
///
/// With `rate` (records/s in all), record `i` is due at `i / rate` seconds from the start and
/// the next free client sends it then (open loop): a latency counts from when the record was
/// due, so a client held up by a slow answer does not hide the wait of the ones behind it.
/// Without, each client sends its next record as soon as it has its answer (closed loop: with
/// `clients` waiting, a latency is about `clients` / the rate the writer keeps up).
fn post_singly(
    agent: &ureq::Agent,
    server: &Server,
    keys: &std::collections::HashMap<String, String>,
    wal: &WalWatch,
    records: &[bawaba_synth::Record],
    clients: usize,
    rate: Option<f64>,
) {
    if records.is_empty() {
        return;
    }
    let before = metrics_text(agent, &server.base);
    let next = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    let lat = Mutex::new(Vec::with_capacity(records.len()));
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(r) = records.get(i) else { break };
                    let body = r.to_api_json();
                    let due = rate.map(|x| t + Duration::from_secs_f64(i as f64 / x));
                    if let Some(wait) = due.and_then(|d| d.checked_duration_since(Instant::now())) {
                        std::thread::sleep(wait);
                    }
                    let started = due.unwrap_or_else(Instant::now);
                    let resp = agent
                        .post(&format!("{}/v1/records", server.base))
                        .set("Authorization", &format!("Bearer {}", keys[&r.agency]))
                        .send_json(body);
                    mine.push(started.elapsed().as_secs_f64() * 1000.0);
                    match resp {
                        Ok(resp) => assert_eq!(resp.status(), 201),
                        Err(ureq::Error::Status(code, resp)) if code < 500 => {
                            refused.fetch_add(1, Ordering::Relaxed);
                            eprintln!("refused {code}: {}", resp.into_string().unwrap_or_default());
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
                lat.lock().expect("lock").extend(mine);
            });
        }
    });
    match rate {
        None => println!("single posts, {clients} concurrent clients (load average {}):", load_average()),
        Some(x) => println!(
            "single posts at {x:.0}/s, {clients} concurrent clients, latency from when each was due (load average {}):",
            load_average()
        ),
    }
    report("  records via POST /v1/records", records.len(), t.elapsed(), lat.into_inner().expect("lat"));
    println!("  {} refused as invalid", refused.load(Ordering::Relaxed));
    // The writer's side of this phase alone (the histograms hold the earlier phases' too).
    let after = metrics_text(agent, &server.base);
    let route_prefix = "bawaba_http_request_duration_seconds_bucket{route=\"/v1/records\",";
    let (b0, b1) = (buckets(&before, route_prefix), buckets(&after, route_prefix));
    let gained: Vec<(f64, f64)> =
        b1.iter().map(|(le, c)| (*le, c - b0.iter().find(|(l, _)| l == le).map_or(0.0, |(_, c0)| *c0))).collect();
    if let Some((p50, p99)) = bucket_percentiles(&gained) {
        println!("  server-side POST /v1/records: p50 ≤ {p50} ms, p99 ≤ {p99} ms (histogram bucket bounds)");
        println!("  server-side share answered within: {}", shares(&gained));
    }
    let (_, size_sum, groups) = histogram_between(&before, &after, "bawaba_intake_group_size");
    let (commits, commit_sum, n) = histogram_between(&before, &after, "bawaba_intake_commit_duration_seconds");
    let (p50, p99) = bucket_percentiles(&commits).unwrap_or((f64::NAN, f64::NAN));
    println!(
        "  writer: {groups} groups of {:.1} items on average; {n} commits of {:.2} ms on average, p50 ≤ {p50} ms, p99 ≤ {p99} ms",
        size_sum / groups.max(1.0),
        commit_sum / n.max(1.0) * 1000.0,
    );
    println!("  {}", wal.phase(&before, &after));
}

/// Runs statements on the PostgreSQL database of `url`.
fn pg_sql(url: &str, sql: &str) {
    use diesel::connection::SimpleConnection;
    let mut c = <diesel::PgConnection as diesel::Connection>::establish(url).expect("LOAD_DATABASE_URL");
    c.batch_execute(sql).expect("statements");
}

/// The bytes the PostgreSQL database of `url` takes on disk.
fn pg_database_size(url: &str) -> u64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Size {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        bytes: i64,
    }
    let mut c = <diesel::PgConnection as diesel::Connection>::establish(url).expect("LOAD_DATABASE_URL");
    diesel::sql_query("SELECT pg_database_size(current_database()) AS bytes")
        .get_result::<Size>(&mut c)
        .map_or(0, |s| s.bytes as u64)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let households = env_usize("LOAD_HOUSEHOLDS", 200_000);
    let single = env_usize("LOAD_SINGLE", 20_000);
    let paced = env_usize("LOAD_PACED", 20_000);
    let rate = env_usize("LOAD_RATE", 2_000).max(1) as f64;
    let clients = env_usize("LOAD_CLIENTS", 32);
    let searches = env_usize("LOAD_SEARCHES", 2_000);
    let t = Instant::now();
    let caseload = bawaba_synth::generate(&bawaba_synth::Config { households, ..bawaba_synth::Config::large(7) });
    let people: usize = caseload.records.iter().map(|r| r.members.len()).sum();
    println!(
        "caseload: {} households, {} records, {} people in records, generated in {:.1} s",
        caseload.households.len(),
        caseload.records.len(),
        people,
        t.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let keep = std::env::var("LOAD_KEEP").ok().map(std::path::PathBuf::from);
    if let Some(k) = &keep {
        std::fs::create_dir_all(k).expect("LOAD_KEEP dir");
    }
    let home = keep.as_deref().unwrap_or(dir.path());
    let pg = std::env::var("LOAD_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"));
    let db = pg.clone().unwrap_or_else(|| home.join("load.db").to_string_lossy().into_owned());
    // `LOAD_REUSE=1` with `LOAD_KEEP`: the database kept by an earlier run is searched again,
    // with no intake (the same caseload, so the same names are searched).
    let asked = std::env::var("LOAD_REUSE").is_ok_and(|v| v == "1");
    let reuse = match &pg {
        Some(_) => asked,
        None => keep.is_some() && asked && std::path::Path::new(&db).exists(),
    };
    if !reuse {
        // A run that takes the caseload in starts from an empty database, not a kept one (whose
        // records would all be replays).
        match &pg {
            Some(url) => pg_sql(url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"),
            None => {
                for suffix in ["", "-wal", "-shm", ".key"] {
                    let _ = std::fs::remove_file(format!("{db}{suffix}"));
                }
            }
        }
    }
    let server = start(&db);
    let agent = ureq::AgentBuilder::new().max_idle_connections(clients * 2).build();
    if !reuse {
        intake(&caseload, &server, &db, &agent, &Singles { fast: single, paced, rate, clients });
    }
    // Searches: a member's name as another agency may have spelt it, best first.
    let caseworker: Value = agent
        .post(&format!("{}/v1/agencies", server.base))
        .set("Authorization", &format!("Bearer {MASTER}"))
        .send_json(json!({"code": "MOSD-LOAD", "name": "caseworkers", "role": "caseworker"}))
        .expect("agency")
        .into_json()
        .expect("json");
    let cw = caseworker["api_key"].as_str().expect("key").to_owned();
    let step = (caseload.records.len() / searches.max(1)).max(1);
    let names: Vec<String> =
        caseload.records.iter().step_by(step).take(searches).map(|r| r.members[0].name.clone()).collect();
    let (took, lat) = search_phase(&agent, &server.base, &cw, &names);
    println!("household search by name, 4 clients (load average {}):", load_average());
    report("  searches", names.len(), took, lat);

    let metrics = metrics_text(&agent, &server.base);
    for route in ["/v1/records", "/v1/records/batch", "/v1/households/search"] {
        if let Some((p50, p99)) = server_percentiles(&metrics, route) {
            println!("server-side {route}: p50 ≤ {p50} ms, p99 ≤ {p99} ms (histogram bucket bounds)");
        }
    }
    let search = |what: &str| {
        metric(&metrics, &format!("bawaba_http_request_duration_seconds_{what}{{route=\"/v1/households/search\"}}"))
    };
    let (sum, count) = (search("sum"), search("count"));
    println!("server-side /v1/households/search: mean {:.2} ms over {count} requests", sum / count.max(1.0) * 1000.0);
    for (name, label) in [
        ("bawaba_prematch_duration_seconds", "parallel pre-match, per record"),
        ("bawaba_match_duration_seconds", "planning one record on the writer (overlaps)"),
        ("bawaba_intake_commit_duration_seconds", "one group commit"),
        ("bawaba_intake_group_size", "items per group"),
    ] {
        let (sum, count) = (metric(&metrics, &format!("{name}_sum")), metric(&metrics, &format!("{name}_count")));
        println!("server-side {label}: mean {:.4} over {count} observations", sum / count.max(1.0));
    }
    if let Some((p50, p99)) = histogram_percentiles(&metrics, "bawaba_intake_commit_duration_seconds_bucket{") {
        println!("server-side one group commit: p50 ≤ {p50} ms, p99 ≤ {p99} ms (histogram bucket bounds)");
    }
    if reuse {
        return;
    }
    let after_intake = rss_mib(server.child.id());
    drop(server);
    // Start-up time with everything stored: the index is rebuilt from the database.
    let t = Instant::now();
    let server = start(&db);
    println!(
        "restart with {people} people stored: healthy after {:.1} s (load average {})",
        t.elapsed().as_secs_f64(),
        load_average()
    );
    println!(
        "gateway resident memory: {after_intake:.0} MiB after intake, {:.0} MiB after the restart",
        rss_mib(server.child.id())
    );
    // The index's own cost and the rebuild's share of the start, as the gateway reports them.
    let metrics = metrics_text(&agent, &server.base);
    let gauge = |name: &str| -> f64 {
        metrics.lines().find_map(|l| l.strip_prefix(&format!("{name} "))?.trim().parse().ok()).unwrap_or(f64::NAN)
    };
    let (persons, index_bytes) = (gauge("bawaba_index_persons"), gauge("bawaba_index_bytes"));
    println!(
        "matching index: {persons:.0} persons, {:.0} MiB, {:.0} bytes per person; rebuilt in {:.1} s of the start",
        index_bytes / (1 << 20) as f64,
        index_bytes / persons.max(1.0),
        gauge("bawaba_engine_load_seconds")
    );
    let bytes: u64 = match &pg {
        Some(url) => pg_database_size(url),
        None => {
            std::fs::read_dir(home).map_or(0, |d| d.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        }
    };
    println!(
        "database files: {:.0} MB, {:.0} bytes per record",
        bytes as f64 / 1e6,
        bytes as f64 / caseload.records.len().max(1) as f64
    );
    // The same searches on the restarted gateway, with no writes before them: the first ones
    // came right after the paced posts and the checkpoints they leave behind.
    let (took, lat) = search_phase(&agent, &server.base, &cw, &names);
    println!(
        "household search by name after the restart, no writes meanwhile, 4 clients (load average {}):",
        load_average()
    );
    report("  searches", names.len(), took, lat);
    let metrics = metrics_text(&agent, &server.base);
    if let Some((p50, p99)) = server_percentiles(&metrics, "/v1/households/search") {
        println!("  server-side: p50 ≤ {p50} ms, p99 ≤ {p99} ms (histogram bucket bounds)");
    }
    drop(server);
}

/// Searches each name once, 4 clients at a time, as a caseworker; how long it took and each
/// search's latency in ms as the client met it.
fn search_phase(agent: &ureq::Agent, base: &str, key: &str, names: &[String]) -> (Duration, Vec<f64>) {
    let lat = Mutex::new(Vec::with_capacity(names.len()));
    let next = AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(name) = names.get(i) else { break };
                    let started = Instant::now();
                    let resp = agent
                        .get(&format!("{base}/v1/households/search"))
                        .query("name", name)
                        .set("Authorization", &format!("Bearer {key}"))
                        .call()
                        .expect("search");
                    mine.push(started.elapsed().as_secs_f64() * 1000.0);
                    assert_eq!(resp.status(), 200);
                }
                lat.lock().expect("lock").extend(mine);
            });
        }
    });
    (t.elapsed(), lat.into_inner().expect("lat"))
}
