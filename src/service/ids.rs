//! The gateway's clock and identifiers, written one way everywhere: timestamps as RFC 3339 UTC
//! with milliseconds (they sort as text), ids as time-ordered UUIDs (v7).

/// Now, as stored.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A new id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
