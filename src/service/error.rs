//! One table of stable error codes. Every failure that reaches a client is an [`ApiError`]; its
//! `code`, HTTP status and message come from one `match`, and `ResponseError` is implemented
//! once. Domain and store errors convert into it with `From`.
//!
//! Policy: typed errors inside the gateway, `anyhow` only at the edges (`main.rs`, the CLI and
//! test helpers). A bad request is never a 500; internal errors are logged without personal
//! data and answered with a generic message.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::StoreError;

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// Path of the field, e.g. `members[0].national_id`.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

impl FieldProblem {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        FieldProblem { field: field.into(), problem: problem.into() }
    }
}

/// Every error a client can be answered with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
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
    /// The body is larger than the route accepts.
    #[error("the body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The gateway cannot serve now (database down, shutting down).
    #[error("the service is unavailable, try again")]
    Unavailable,
    /// A fault of the gateway's own.
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

/// The body of every error answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable snake_case code.
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<FieldProblem>,
}

impl ApiError {
    /// The stable code and the status, from one table.
    pub fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            ApiError::Validation(_) => ("validation_failed", StatusCode::BAD_REQUEST),
            ApiError::Unauthorized => ("unauthorized", StatusCode::UNAUTHORIZED),
            ApiError::Forbidden => ("forbidden", StatusCode::FORBIDDEN),
            ApiError::NotFound(_) => ("not_found", StatusCode::NOT_FOUND),
            ApiError::Conflict(_) => ("conflict", StatusCode::CONFLICT),
            ApiError::PayloadTooLarge(_) => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE),
            ApiError::Unavailable => ("unavailable", StatusCode::SERVICE_UNAVAILABLE),
            ApiError::Internal(_) => ("internal", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    /// A validation error on one field.
    pub fn field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldProblem::new(field, problem)])
    }

    /// The JSON body of this error.
    pub fn body(&self) -> serde_json::Value {
        let (code, _) = self.code_and_status();
        let details = match self {
            ApiError::Validation(d) => d.clone(),
            _ => Vec::new(),
        };
        serde_json::to_value(ErrorBody { error: ErrorDetail { code, message: self.to_string(), details } })
            .unwrap_or_default()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code_and_status().1
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
        HttpResponse::build(self.status_code()).json(self.body())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Connection(_) => ApiError::Unavailable,
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        ApiError::Unavailable
    }
}
