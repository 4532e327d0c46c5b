//! Issue 16, nothing blows up: rate limits per key and per address (429 `rate_limited` with
//! Retry-After), unknown keys cached so that a flood of them costs no SQL, absurd batches
//! refused while they are read, and a master key that must be strong and never on the command
//! line. (The sign-in form's throttle and CSRF token are with the pages, in `pages.rs`.)

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Backend, MASTER, TestApp, TestDb, record};

both_backends!(rate_limits_per_key_and_per_address, unknown_keys_cost_one_look_up_and_new_keys_work_at_once);

/// A request's status, `Retry-After` and body.
fn call(app: &TestApp, method: &str, path: &str, key: Option<&str>) -> (u16, Option<String>, Value) {
    let mut r = ureq::request(method, &format!("{}{path}", app.base));
    if let Some(k) = key {
        r = r.set("Authorization", &format!("Bearer {k}"));
    }
    let res = match r.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = res.status();
    let retry = res.header("Retry-After").map(str::to_owned);
    let text = res.into_string().unwrap_or_default();
    (status, retry, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A Prometheus counter's value.
fn counter(app: &TestApp, line: &str) -> f64 {
    let (s, text) = app.get("/metrics", MASTER);
    assert_eq!(s, 200);
    let text = text.as_str().expect("metrics text").to_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{line}` in the metrics:\n{text}"))
}

fn assert_rate_limited(what: &str, (status, retry, body): (u16, Option<String>, Value), most: u64) {
    assert_eq!(status, 429, "{what}: {body}");
    assert_eq!(body["error"]["code"], "rate_limited", "{what}: {body}");
    let wait: u64 = retry.as_deref().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{what}: Retry-After"));
    assert!((1..=most).contains(&wait), "{what}: Retry-After {wait}");
}

/// A known key is charged to itself, anything else to its address; `/healthz` and `/metrics`
/// have a budget of their own; a batch is one request. (Budgets per hour, so that a slow run
/// sees no budget refill.)
fn rate_limits_per_key_and_per_address(b: Backend) {
    let app = TestApp::start_with(TestDb::new(b), |s| {
        s.rate_limits.per_key = "3/h".parse().expect("rate");
        s.rate_limits.per_address = "4/h".parse().expect("rate");
    });
    // The master key: one request of its three.
    let wfp = app.agency("WFP", "submitter");
    // A key's first request is the address's (1 of 4): the key is not known before it.
    assert_eq!(app.get("/v1/whoami", &wfp).0, 200);
    // Then the key's own three, a batch of five records among them.
    let batch: Vec<Value> = (0..5).map(|i| record(&format!("b-{i}"))).collect();
    let (s, out) = app.post("/v1/records/batch", &wfp, &json!({ "records": batch }));
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["results"].as_array().map(Vec::len), Some(5));
    assert_eq!(app.get("/v1/whoami", &wfp).0, 200);
    assert_eq!(app.get("/v1/whoami", &wfp).0, 200);
    assert_rate_limited("the key's fourth", call(&app, "GET", "/v1/whoami", Some(&wfp)), 1200);
    let (_, _, refused) = call(&app, "POST", "/v1/records", Some(&wfp));
    assert_eq!(refused["error"]["code"], "rate_limited", "refused before the body is read: {refused}");
    assert_eq!(app.db.count("records"), 5, "nothing more was stored");

    // Another key has a budget of its own (its first request the address's: 2 of 4).
    let unrwa = app.agency("UNRWA", "submitter");
    assert_eq!(app.get("/v1/whoami", &unrwa).0, 200);
    assert_eq!(app.get("/v1/whoami", &unrwa).0, 200);
    // Requests with no known key count against the address: two more, then refused, whether
    // they carry no key or made-up ones, before any of those is looked up.
    let lookups = counter(&app, "bawaba_key_lookups_total");
    assert_eq!(call(&app, "GET", "/openapi.json", None).0, 200);
    assert_eq!(call(&app, "GET", "/v1/whoami", Some("bwb_made_up_1")).0, 401);
    assert_rate_limited("no key", call(&app, "GET", "/openapi.json", None), 900);
    for i in 2..50 {
        let (s, _, _) = call(&app, "GET", "/v1/whoami", Some(&format!("bwb_made_up_{i}")));
        assert_eq!(s, 429, "made-up key {i}");
    }
    assert_eq!(counter(&app, "bawaba_key_lookups_total"), lookups + 1.0, "refused keys cost no look-up");
    assert_rate_limited("a page", call(&app, "GET", "/ui/login", None), 900);
    // Known keys are not the address's: they still answer, within their own budgets.
    assert_eq!(app.get("/v1/whoami", &unrwa).0, 200);
    assert_eq!(call(&app, "GET", "/v1/whoami", Some(MASTER)).0, 200);

    // Health and metrics have a budget of their own per address (the two look-up counts above,
    // these counts, one health check, then 429).
    let (_, metrics) = app.get("/metrics", MASTER);
    let metrics = metrics.as_str().expect("text").to_owned();
    assert!(metrics.contains("bawaba_rate_limited_total{budget=\"address\"} 50"), "{metrics}");
    assert!(metrics.contains("bawaba_rate_limited_total{budget=\"key\"} 2"), "{metrics}");
    assert_eq!(call(&app, "GET", "/healthz", None).0, 200);
    assert_rate_limited("health", call(&app, "GET", "/healthz", None), 900);
}

/// A flood of one unknown key is looked up once, not once per request; a key made a moment
/// later works at once.
fn unknown_keys_cost_one_look_up_and_new_keys_work_at_once(b: Backend) {
    let app = TestApp::start(b);
    let before = counter(&app, "bawaba_key_lookups_total");
    let bad = format!("bwb_{}", "0".repeat(64));
    let started = std::time::Instant::now();
    for _ in 0..300 {
        let (s, body) = app.get("/v1/whoami", &bad);
        assert_eq!((s, body["error"]["code"].as_str()), (401, Some("unauthorized")));
    }
    let flood = started.elapsed();
    let looked_up = counter(&app, "bawaba_key_lookups_total") - before;
    eprintln!("300 requests with one unknown key: {looked_up} look-up(s) in the database, {flood:?}");
    assert_eq!(looked_up, 1.0, "one look-up, then the unknown key is remembered");
    // Distinct unknown keys are each looked up once (the address's budget bounds those).
    for i in 0..5 {
        assert_eq!(app.get("/v1/whoami", &format!("bwb_other_{i}")).0, 401);
        assert_eq!(app.get("/v1/whoami", &format!("bwb_other_{i}")).0, 401);
    }
    assert_eq!(counter(&app, "bawaba_key_lookups_total") - before, 6.0);
    // A new key works at once, and is looked up once only.
    let key = app.agency("WFP", "submitter");
    assert_eq!(app.get("/v1/whoami", &key).0, 200);
    assert_eq!(app.get("/v1/whoami", &key).0, 200);
    assert_eq!(counter(&app, "bawaba_key_lookups_total") - before, 7.0);
}

/// A batch of one record too many is refused while it is read: the rest of the body is never
/// parsed, and nothing is stored. Exactly 10,000 is taken.
#[test]
fn an_absurd_batch_is_refused_while_it_is_read() {
    let app = TestApp::start(Backend::Sqlite);
    let key = app.agency("WFP", "submitter");
    let items = |n: usize| vec!["{}"; n].join(",");
    // 10,001 items and then garbage: had the whole body been parsed first, the answer would be
    // "malformed JSON"; it names `records` instead.
    let body = format!("{{\"records\": [{}, this is not JSON", items(10_001));
    let started = std::time::Instant::now();
    let (s, out) = app.raw("POST", "/v1/records/batch", Some(&key), body.as_bytes());
    eprintln!("10,001 items refused in {:?}", started.elapsed());
    assert_eq!(s, 400, "{out}");
    assert_eq!(out["error"]["code"], "validation_failed");
    assert_eq!(out["error"]["details"][0]["field"], "records", "{out}");
    let problem = out["error"]["details"][0]["problem"].as_str().expect("problem");
    assert!(problem.contains("at most 10000 records"), "{problem}");
    // 10,000 and then garbage: read on to the garbage.
    let body = format!("{{\"records\": [{}, this is not JSON", items(10_000));
    let (s, out) = app.raw("POST", "/v1/records/batch", Some(&key), body.as_bytes());
    assert_eq!(s, 400);
    assert_eq!(out["error"]["details"][0]["field"], "body", "{out}");
    // Exactly 10,000 (each item its own error here) is a batch.
    let body = format!("{{\"records\": [{}]}}", items(10_000));
    let (s, out) = app.raw("POST", "/v1/records/batch", Some(&key), body.as_bytes());
    assert_eq!(s, 200);
    let results = out["results"].as_array().expect("results");
    assert_eq!(results.len(), 10_000);
    assert!(results.iter().all(|r| r["error"]["code"] == "validation_failed"));
    assert_eq!(app.db.counts()[..4], [0, 0, 0, 0], "nothing stored");
}

/// `bawaba serve`, run for real: what it printed and how it ended, or `None` while it was
/// still running after `wait` (then stopped).
fn serve(db: &str, env: &[(&str, &str)], args: &[&str], wait: Duration) -> Option<(bool, String)> {
    use std::process::{Command, Stdio};
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bawaba"));
    cmd.arg("serve")
        .args(args)
        .env_remove("BAWABA_MASTER_KEY")
        .env_remove("BAWABA_MASTER_KEY_FILE")
        .env("BAWABA_DATABASE_URL", db)
        .env("BAWABA_LISTEN", format!("127.0.0.1:{port}"))
        .env("BAWABA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start bawaba");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + wait;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err).expect("stderr");
            return Some((status.success(), err));
        }
        if ureq::get(&format!("{base}/healthz")).call().is_ok() {
            // Up: the admin key given, if any, answers as admin.
            let who = ureq::get(&format!("{base}/v1/whoami"))
                .set("Authorization", &format!("Bearer {}", MASTER))
                .call()
                .ok()
                .and_then(|r| r.into_json::<Value>().ok());
            let _ = child.kill();
            let _ = child.wait();
            assert_eq!(who.map(|w| w["role"].clone()), Some(json!("admin")), "the master key works");
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("bawaba neither started nor stopped");
}

/// The gateway refuses to start with a weak master key, saying why and not echoing it; the
/// key is taken from the environment or a file, never from the command line.
#[test]
fn weak_or_command_line_master_keys_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("b.db").to_string_lossy().into_owned();
    let long = Duration::from_secs(60);
    for weak in ["change-me", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "abcdefghij abcdefghij abcdefghij abcdefghij"]
    {
        let (ok, err) = serve(&db, &[("BAWABA_MASTER_KEY", weak)], &[], long).expect("it stops");
        assert!(!ok, "started with {weak}");
        assert!(err.contains("BAWABA_MASTER_KEY"), "{err}");
        assert!(!err.contains(weak), "the key is not echoed: {err}");
    }
    let (_, err) = serve(&db, &[("BAWABA_MASTER_KEY", "change-me")], &[], long).expect("it stops");
    assert!(err.contains("at least 32"), "{err}");
    // No command-line flag takes the key.
    let (ok, err) = serve(&db, &[], &["--master-key", MASTER], long).expect("it stops");
    assert!(!ok && err.contains("--master-key"), "{err}");
    // The environment, or a file (first line; both at once is refused).
    assert!(serve(&db, &[("BAWABA_MASTER_KEY", MASTER)], &[], long).is_none(), "starts");
    let file = dir.path().join("master.key");
    std::fs::write(&file, format!("{MASTER}\n")).expect("key file");
    let file = file.to_str().expect("path");
    assert!(serve(&db, &[], &["--master-key-file", file], long).is_none(), "starts");
    assert!(serve(&db, &[("BAWABA_MASTER_KEY_FILE", file)], &[], long).is_none(), "starts");
    let (ok, err) = serve(&db, &[("BAWABA_MASTER_KEY", MASTER)], &["--master-key-file", file], long).expect("stops");
    assert!(!ok && err.contains("not both"), "{err}");
    std::fs::write(dir.path().join("weak.key"), "change-me\n").expect("key file");
    let weak = dir.path().join("weak.key");
    let (ok, err) = serve(&db, &[], &["--master-key-file", weak.to_str().expect("path")], long).expect("stops");
    assert!(!ok && err.contains("too weak"), "{err}");
    // `serve --help` says where the key goes.
    let help =
        std::process::Command::new(env!("CARGO_BIN_EXE_bawaba")).args(["serve", "--help"]).output().expect("help");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("BAWABA_MASTER_KEY") && help.contains("--master-key-file"), "{help}");
    assert!(!help.contains("--master-key <"), "{help}");
    assert!(help.contains("BAWABA_RATE_PER_KEY") && help.contains("BAWABA_RATE_PER_ADDRESS"), "{help}");
}
