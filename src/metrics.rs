//! Prometheus metrics: requests by route and status, latency histograms, records stored, flags
//! raised and matcher timings. One registry per running gateway (no globals), so tests that run
//! several gateways in one process each see their own figures.

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// The gateway's metrics.
pub struct Metrics {
    registry: Registry,
    /// HTTP requests by route pattern, method and status.
    pub requests: IntCounterVec,
    /// HTTP latency by route pattern, in seconds.
    pub latency: HistogramVec,
    /// Records stored (replays not counted).
    pub records_stored: IntCounter,
    /// Flags raised, by kind.
    pub flags_raised: IntCounterVec,
    /// Time to plan one record on the writer (matching it alone when the pre-match could not
    /// be used, and finding its overlaps), in seconds.
    pub match_seconds: Histogram,
    /// Items per group commit.
    pub group_size: Histogram,
    /// Wall time of the parallel pre-match of a group, per item, in seconds.
    pub prematch_seconds: Histogram,
    /// Time to commit one group, in seconds.
    pub commit_seconds: Histogram,
    /// Presented keys looked up in the database (those found in neither cache).
    pub key_lookups: IntCounter,
    /// Requests refused over a rate limit, by budget (`key`, `address`, `operations`,
    /// `sign_in`).
    pub rate_limited: IntCounterVec,
    /// Persons in the matching index, and the index's heap bytes (set when the metrics are
    /// read): the index's cost per person is the one over the other.
    pub index_persons: IntGauge,
    pub index_bytes: IntGauge,
    /// How long the last rebuild of the engine from the database took at start, in seconds.
    pub engine_load_seconds: Gauge,
    /// SQLite: checkpoints of the write-ahead log by kind, in seconds (see `service::wal`):
    /// `passive` beside the writer, `restart` the copy of the rest in a turn at the write lock,
    /// after which the log starts again.
    pub checkpoint_seconds: HistogramVec,
    /// SQLite: frames (pages) in the write-ahead log at the last checkpoint.
    pub wal_frames: IntGauge,
    /// PostgreSQL: tables analysed by the gateway for the planner's statistics
    /// (`service::stats`).
    pub tables_analyzed: IntCounter,
}

/// Request, commit and checkpoint latencies. Finer between 5 and 25 ms, where the bars for a
/// single post's (5 ms) and a search's (10 ms) 99th percentile lie.
const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new_custom(Some("bawaba".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route, method and status"),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by route")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["route"],
        )?;
        let records_stored = IntCounter::new("records_stored_total", "Assistance records stored")?;
        let flags_raised = IntCounterVec::new(Opts::new("flags_raised_total", "Flags raised by kind"), &["kind"])?;
        let match_seconds = Histogram::with_opts(
            HistogramOpts::new("match_duration_seconds", "Matching one record and finding its overlaps")
                .buckets(vec![0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05]),
        )?;
        let prematch_seconds = Histogram::with_opts(
            HistogramOpts::new("prematch_duration_seconds", "Parallel matching of a group against the index, per item")
                .buckets(vec![0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05]),
        )?;
        let group_size = Histogram::with_opts(
            HistogramOpts::new("intake_group_size", "Items per group commit")
                .buckets(vec![1.0, 2.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 2000.0]),
        )?;
        let commit_seconds = Histogram::with_opts(
            HistogramOpts::new("intake_commit_duration_seconds", "Writing and committing one group")
                .buckets(LATENCY_BUCKETS.to_vec()),
        )?;
        let key_lookups = IntCounter::new("key_lookups_total", "Presented keys looked up in the database")?;
        let rate_limited = IntCounterVec::new(
            Opts::new("rate_limited_total", "Requests refused over a rate limit, by budget"),
            &["budget"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(records_stored.clone()))?;
        registry.register(Box::new(flags_raised.clone()))?;
        registry.register(Box::new(match_seconds.clone()))?;
        registry.register(Box::new(group_size.clone()))?;
        registry.register(Box::new(prematch_seconds.clone()))?;
        registry.register(Box::new(commit_seconds.clone()))?;
        registry.register(Box::new(key_lookups.clone()))?;
        let index_persons = IntGauge::new("index_persons", "Persons in the matching index")?;
        let index_bytes = IntGauge::new("index_bytes", "Heap bytes the matching index holds (approximate)")?;
        let engine_load_seconds =
            Gauge::new("engine_load_seconds", "Rebuilding the engine from the database at start, in seconds")?;
        registry.register(Box::new(rate_limited.clone()))?;
        registry.register(Box::new(index_persons.clone()))?;
        registry.register(Box::new(index_bytes.clone()))?;
        registry.register(Box::new(engine_load_seconds.clone()))?;
        let checkpoint_seconds = HistogramVec::new(
            HistogramOpts::new("wal_checkpoint_duration_seconds", "Checkpoints of SQLite's write-ahead log, by kind")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["kind"],
        )?;
        let wal_frames = IntGauge::new("wal_frames", "Frames in SQLite's write-ahead log at the last checkpoint")?;
        registry.register(Box::new(checkpoint_seconds.clone()))?;
        registry.register(Box::new(wal_frames.clone()))?;
        let tables_analyzed = IntCounter::new(
            "pg_tables_analyzed_total",
            "PostgreSQL tables the gateway analysed for the planner's statistics",
        )?;
        registry.register(Box::new(tables_analyzed.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            records_stored,
            flags_raised,
            match_seconds,
            group_size,
            prematch_seconds,
            commit_seconds,
            key_lookups,
            rate_limited,
            index_persons,
            index_bytes,
            engine_load_seconds,
            checkpoint_seconds,
            wal_frames,
            tables_analyzed,
        })
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}
