//! What a use case can refuse or fail with: one enum, each variant with its stable snake_case
//! code ([`ServiceError::code`]) and its message. Nothing here knows HTTP: the edges map the
//! codes to statuses once (`crate::http` for the API and the pages, the CLI prints them).
//! Store errors convert into it with `From`.
//!
//! Policy: typed errors inside the gateway, `anyhow` only at the edges (`main.rs`, the CLI and
//! test helpers). A bad request is never an internal error; internal errors are logged without
//! personal data and answered with a generic message.

pub use bawaba_wire::errors::FieldProblem;

pub use crate::store::Outage;
use crate::store::StoreError;

/// Every error a client can be answered with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The body or query failed validation; each problem names its field.
    #[error("the request is not valid")]
    Validation(Vec<FieldProblem>),
    /// No key, or a key that is not known.
    #[error("a valid API key is required (Authorization: Bearer <key>)")]
    Unauthorized,
    /// The key's role may not use this route.
    #[error("this key's role may not do this")]
    Forbidden,
    /// Nothing with that id (or not visible to this key).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// The path exists, but not with this method.
    #[error("this path does not take this method")]
    MethodNotAllowed,
    /// The body is larger than the route accepts.
    #[error("the body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// Too many requests from this key or address, or too many failed sign-ins: try again in
    /// this many seconds.
    #[error("too many requests, try again in {0} s")]
    RateLimited(u64),
    /// The gateway cannot serve now (database down, shutting down).
    #[error("the service is unavailable, try again")]
    Unavailable,
    /// The database cannot take work for now (unreachable, full or read-only): nothing of the
    /// request was stored; the code is `unavailable`, the message says which.
    #[error("{}", .0.message())]
    Store(Outage),
    /// A fault of the gateway's own.
    #[error("internal error")]
    Internal(String),
}

impl ServiceError {
    /// The stable snake_case code clients branch on; the edges map it to a status.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Validation(_) => "validation_failed",
            ServiceError::Unauthorized => "unauthorized",
            ServiceError::Forbidden => "forbidden",
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Conflict(_) => "conflict",
            ServiceError::MethodNotAllowed => "method_not_allowed",
            ServiceError::PayloadTooLarge(_) => "payload_too_large",
            ServiceError::RateLimited(_) => "rate_limited",
            ServiceError::Unavailable | ServiceError::Store(_) => "unavailable",
            ServiceError::Internal(_) => "internal",
        }
    }

    /// A validation error on one field.
    pub fn field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        ServiceError::Validation(vec![FieldProblem::new(field, problem)])
    }

    /// The problems of a validation error (none for the others).
    pub fn problems(&self) -> &[FieldProblem] {
        match self {
            ServiceError::Validation(d) => d,
            _ => &[],
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Connection(_) => ServiceError::Store(Outage::Unreachable),
            StoreError::Query(q) => ServiceError::from(q),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

impl From<crate::store::Checkout> for ServiceError {
    fn from(e: crate::store::Checkout) -> Self {
        match e {
            crate::store::Checkout::Busy => ServiceError::Unavailable,
            crate::store::Checkout::Degraded => ServiceError::Store(Outage::Unreachable),
        }
    }
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        match Outage::of(&e) {
            Some(outage) => ServiceError::Store(outage),
            None => ServiceError::Internal(e.to_string()),
        }
    }
}

/// Collects field problems and gives the value only when there are none.
pub fn validated<T>(problems: Vec<FieldProblem>, value: T) -> Result<T, ServiceError> {
    if problems.is_empty() { Ok(value) } else { Err(ServiceError::Validation(problems)) }
}
