//! Operations: /metrics scraped and parsed, /healthz.

use std::collections::HashMap;

use crate::both_backends;
use crate::support::{Backend, MASTER, TestApp, record};

both_backends!(metrics_are_scraped_and_parsed, cli_reports_and_estimates);

/// Parses the Prometheus text format into `name{labels}` → value.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (series, value) = line.rsplit_once(' ').expect("series and value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("a number in `{line}`"));
        out.insert(series.to_owned(), value);
    }
    out
}

fn metrics_are_scraped_and_parsed(b: Backend) {
    let app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    assert_eq!(app.post("/v1/records", &w, &record("m-1")).0, 201);
    assert_eq!(app.post("/v1/records", &u, &record("m-2")).0, 201);
    assert_eq!(app.post("/v1/records", &u, &record("m-2")).0, 200);
    assert_eq!(app.get("/v1/metrics-nowhere", &w).0, 404);
    assert_eq!(app.get("/metrics", &w).0, 403);
    let resp = ureq::get(&format!("{}/metrics", app.base))
        .set("Authorization", &format!("Bearer {MASTER}"))
        .call()
        .expect("scrape");
    assert!(resp.content_type().starts_with("text/plain"));
    let m = parse(&resp.into_string().expect("text"));
    assert_eq!(m["bawaba_http_requests_total{method=\"POST\",route=\"/v1/records\",status=\"201\"}"], 2.0);
    assert_eq!(m["bawaba_http_requests_total{method=\"POST\",route=\"/v1/records\",status=\"200\"}"], 1.0);
    assert_eq!(m["bawaba_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"403\"}"], 1.0);
    assert_eq!(m["bawaba_records_stored_total"], 2.0);
    assert_eq!(m["bawaba_flags_raised_total{kind=\"overlapping_aid\"}"], 1.0);
    assert_eq!(m["bawaba_match_duration_seconds_count"], 2.0);
    assert!(m["bawaba_http_request_duration_seconds_count{route=\"/v1/records\"}"] >= 3.0);
    assert_eq!(
        m["bawaba_http_request_duration_seconds_bucket{route=\"/v1/records\",le=\"+Inf\"}"],
        m["bawaba_http_request_duration_seconds_count{route=\"/v1/records\"}"]
    );
}

/// The `bawaba` binary run on a test's database.
pub(crate) fn bawaba(db: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_bawaba"))
        .args(args)
        .env("BAWABA_DATABASE_URL", db)
        .env("BAWABA_LOG", "warn")
        .envs(crate::support::data_key_env(db))
        .output()
        .expect("run bawaba")
}

fn cli_reports_and_estimates(b: Backend) {
    let app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    app.post("/v1/records", &w, &record("c-1"));
    app.post("/v1/records", &u, &record("c-2"));
    let out =
        bawaba(&app.db.url, &["report", "overlaps", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("flag_id,kind,household_id"));
    assert!(lines[1].contains(",UNRWA,") && lines[1].contains(",WFP,"));
    let bad = bawaba(&app.db.url, &["report", "overlaps", "--from", "2026-02-30"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--from"));
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("model.json");
    let path = path.to_str().expect("path");
    let out = bawaba(&app.db.url, &["model", "estimate", "--out", path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let model: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).expect("model")).expect("json");
    assert!(model["certain"].is_number() && model["m"].is_object(), "{model}");
}
