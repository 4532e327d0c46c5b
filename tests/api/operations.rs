//! Operations: /metrics scraped and parsed, /healthz.

use std::collections::HashMap;

use crate::both_backends;
use crate::support::{Backend, MASTER, TestApp, record};

both_backends!(metrics_are_scraped_and_parsed);

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
