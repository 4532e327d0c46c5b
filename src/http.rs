//! The HTTP edge shared by the API ([`crate::api`]) and the pages ([`crate::web`]): the one table
//! from a use case's error code to an HTTP status and the error body, running blocking use
//! cases off actix's async workers, reading bounded bodies, the bearer key of a request, and
//! the rate limits in front of both. Neither edge imports the other; both import this.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
pub use bawaba_wire::errors::{ErrorBody, ErrorDetail};
use futures_util::StreamExt;

use crate::service::Services;
use crate::service::error::{Outage, ServiceError};

/// The HTTP status of each error code: the only place statuses are chosen.
pub fn status(e: &ServiceError) -> StatusCode {
    match e {
        ServiceError::Validation(_) => StatusCode::BAD_REQUEST,
        ServiceError::Unauthorized => StatusCode::UNAUTHORIZED,
        ServiceError::Forbidden => StatusCode::FORBIDDEN,
        ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
        ServiceError::Conflict(_) => StatusCode::CONFLICT,
        ServiceError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ServiceError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        ServiceError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        ServiceError::Unavailable | ServiceError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// When to come back, in seconds, for the errors that say it (`Retry-After`): busy or down for
/// a moment, or over a rate limit.
pub fn retry_after(e: &ServiceError) -> Option<u64> {
    match e {
        ServiceError::Unavailable | ServiceError::Store(Outage::Unreachable) => Some(1),
        // Space is not freed, nor a database made writable, in a second.
        ServiceError::Store(Outage::Full | Outage::ReadOnly) => Some(30),
        ServiceError::RateLimited(seconds) => Some(*seconds),
        _ => None,
    }
}

/// The JSON error body of `e`.
pub fn error_body(e: &ServiceError) -> ErrorBody {
    ErrorBody { error: error_detail(e) }
}

/// What went wrong, as a batch item's `error` says it.
pub fn error_detail(e: &ServiceError) -> ErrorDetail {
    ErrorDetail { code: e.code().to_owned(), message: e.to_string(), details: e.problems().to_vec() }
}

impl ResponseError for ServiceError {
    fn status_code(&self) -> StatusCode {
        status(self)
    }

    fn error_response(&self) -> HttpResponse {
        if let ServiceError::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
        let mut res = HttpResponse::build(self.status_code());
        if let Some(seconds) = retry_after(self) {
            res.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        res.json(error_body(self))
    }
}

/// Runs blocking work (a use case: SQL, the writer, heavy matching) off the async workers.
pub async fn blocking<T, F>(f: F) -> Result<T, ServiceError>
where
    F: FnOnce() -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    web::block(f).await.map_err(|_| ServiceError::Unavailable)?
}

/// An answer as JSON, written on the blocking thread that made it: a large one (the 3W over a
/// whole caseload is megabytes) is not serialised on the async worker, where it would hold up
/// every other request that worker serves.
pub fn json_body<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ServiceError> {
    serde_json::to_vec(value).map_err(|e| ServiceError::Internal(format!("writing JSON: {e}")))
}

/// A 200 with a body [`json_body`] wrote.
pub fn json_ok(body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(body)
}

/// A body written as it is made: `produce` runs on a blocking thread and hands chunks to
/// `sink` over a small channel, so a slow reader slows it and a reader that leaves stops it
/// (`sink` answers `false`). An error after the first chunk can no longer change the status:
/// it is logged and the response is cut, so the reader sees an incomplete transfer rather than a
/// short file that looks whole.
pub fn streamed<F>(produce: F) -> impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>>
where
    F: FnOnce(&mut dyn FnMut(Vec<u8>) -> bool) -> Result<(), ServiceError> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, ServiceError>>(4);
    actix_web::rt::task::spawn_blocking(move || {
        let mut sink = |chunk: Vec<u8>| tx.blocking_send(Ok(chunk)).is_ok();
        if let Err(e) = produce(&mut sink) {
            tracing::error!(error = %e, "a streamed answer stopped early");
            let _ = tx.blocking_send(Err(e));
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        let next = rx.recv().await?;
        Some((next.map(Bytes::from).map_err(actix_web::Error::from), rx))
    })
}

/// Reads a body of at most `limit` bytes, answering 413 past that.
pub async fn read_body(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<Bytes, ServiceError> {
    if let Some(len) = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && len > limit
    {
        return Err(ServiceError::PayloadTooLarge(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ServiceError::field("body", "the body could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(ServiceError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The key of an `Authorization: Bearer <key>` header, if any.
pub fn bearer(headers: &actix_web::http::header::HeaderMap) -> Option<&str> {
    headers
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

/// The rate limits, in front of every route (see `service::limits`): a request is charged to
/// its known key or to its client address (the TCP peer: a proxy's `Forwarded` headers are
/// not trusted, as any client could write them), `/healthz` and `/metrics` to a budget of their
/// own; over budget it is answered 429 `rate_limited` with `Retry-After`, before any handler
/// runs, so it costs no database work. Batches are one request like any other.
pub async fn rate_limit<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(services) = req.app_data::<web::Data<Services>>() else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    let operations = matches!(req.path(), "/healthz" | "/readyz" | "/metrics");
    let addr = req.peer_addr().map(|a| a.ip());
    match services.admit(bearer(req.headers()), addr, operations) {
        Ok(()) => next.call(req).await.map(ServiceResponse::map_into_left_body),
        Err(e) => Ok(req.into_response(e.error_response()).map_into_right_body()),
    }
}

/// On a follower (see `service::cluster`), what only the writer does is sent on to the writer:
/// the body of a `/v1/` request other than GET is kept (at most [`FORWARD_MAX`] bytes), and when
/// the follower answers it 503 (it does not write what needs the writer) and the writer speaks
/// plain HTTP, the request is sent to the writer once, marked so it is not sent on again, and the
/// writer's answer is the answer. Otherwise a 503 says where the writer is, in
/// `X-Bawaba-Writer` (beside `Retry-After`), for the client to send it there itself.
pub async fn writer_hint<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let cluster = req.app_data::<web::Data<Services>>().map(|s| s.cluster.clone());
    let follower = cluster.as_ref().is_some_and(|c| !c.is_writer());
    let forwardable = follower
        && !matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD)
        && req.path().starts_with("/v1/")
        && !req.headers().contains_key(FORWARDED_HEADER)
        && req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_none_or(|n| n <= FORWARD_MAX);
    let mut kept = None;
    if forwardable {
        let mut payload = req.take_payload();
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > FORWARD_MAX {
                let e = ServiceError::PayloadTooLarge(FORWARD_MAX);
                return Ok(req.into_response(e.error_response()).map_into_right_body());
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();
        req.set_payload(actix_web::dev::Payload::from(body.clone()));
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "authorization" | "content-type" | "accept" | "accept-language" | "idempotency-key"
                )
            })
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let target = req.uri().path_and_query().map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned());
        kept = Some((req.method().as_str().to_owned(), target, headers, body));
    }
    let res = next.call(req).await?;
    if res.status() != StatusCode::SERVICE_UNAVAILABLE || !follower {
        return Ok(res.map_into_left_body());
    }
    let Some(address) = cluster.and_then(|c| c.writer_address()) else {
        return Ok(res.map_into_left_body());
    };
    if let Some((method, target, headers, body)) = kept
        && address.starts_with("http://")
    {
        let url = format!("{}{target}", address.trim_end_matches('/'));
        let sent = web::block(move || forward(&method, &url, &headers, &body)).await;
        if let Ok(Some((status, content_type, retry, answer))) = sent {
            let mut out = HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY));
            if let Some(ct) = content_type {
                out.insert_header((actix_web::http::header::CONTENT_TYPE, ct));
            }
            if let Some(r) = retry {
                out.insert_header((actix_web::http::header::RETRY_AFTER, r));
            }
            out.insert_header((actix_web::http::header::HeaderName::from_static(WRITER_HEADER), address.clone()));
            let (req, _) = res.into_parts();
            return Ok(ServiceResponse::new(req, out.body(answer)).map_into_right_body());
        }
    }
    let mut res = res;
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&address) {
        res.headers_mut().insert(actix_web::http::header::HeaderName::from_static(WRITER_HEADER), v);
    }
    Ok(res.map_into_left_body())
}

/// The writer's answer to a request sent on: status, content type, `Retry-After` and body.
type Forwarded = (u16, Option<String>, Option<String>, Vec<u8>);

/// Sends a request on to the writer (blocking): its answer, or `None` when the writer cannot be
/// reached.
fn forward(method: &str, url: &str, headers: &[(String, String)], body: &[u8]) -> Option<Forwarded> {
    let mut r = ureq::request(method, url).timeout(std::time::Duration::from_secs(120)).set(FORWARDED_HEADER, "1");
    for (k, v) in headers {
        r = r.set(k, v);
    }
    let resp = match r.send_bytes(body) {
        Ok(resp) | Err(ureq::Error::Status(_, resp)) => resp,
        Err(_) => return None,
    };
    let status = resp.status();
    let content_type = resp.header("content-type").map(str::to_owned);
    let retry = resp.header("retry-after").map(str::to_owned);
    let mut answer = Vec::new();
    use std::io::Read;
    resp.into_reader().take(FORWARD_MAX as u64 * 4).read_to_end(&mut answer).ok()?;
    Some((status, content_type, retry, answer))
}

/// The most a follower keeps of a request's body to send it on to the writer (as a batch's).
pub const FORWARD_MAX: usize = 64 * 1024 * 1024;

/// Marks a request a follower sent on to the writer: it is never sent on again.
pub const FORWARDED_HEADER: &str = "x-bawaba-forwarded";

/// The header a follower's 503 (and an answer it brought back from the writer) names the writer in.
pub const WRITER_HEADER: &str = "x-bawaba-writer";
