//! HTTP: routes, authentication and bodies. Handlers stay thin: authenticate, parse and
//! validate, then hand one use case to a blocking thread and shape its answer.

pub mod body;
pub mod handlers;
pub mod openapi;
pub mod workflow;

use actix_web::dev::Payload;
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use std::future::Future;
use std::pin::Pin;

use crate::error::ApiError;
use crate::service::Services;
use crate::service::auth::Principal;

/// Largest body of one record.
pub const RECORD_LIMIT: usize = 1024 * 1024;
/// Largest body of a batch.
pub const BATCH_LIMIT: usize = 64 * 1024 * 1024;
/// Most records in a batch.
pub const BATCH_MAX: usize = 10_000;

/// Runs blocking work (diesel, the writer, heavy matching) off the async workers.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    web::block(f).await?
}

/// Reads a body of at most `limit` bytes, answering 413 past that.
pub async fn read_body(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<Bytes, ApiError> {
    if let Some(len) = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && len > limit
    {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::field("body", "the body could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Principal, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let services = req.app_data::<web::Data<Services>>().cloned();
        let key = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty());
        Box::pin(async move {
            let services = services.ok_or_else(|| ApiError::Internal("services missing".into()))?;
            let key = key.ok_or(ApiError::Unauthorized)?;
            blocking(move || services.keys.authenticate(&services.pool, &key)).await
        })
    }
}

/// Every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .route("/agencies", web::post().to(handlers::create_agency))
            .route("/agencies", web::get().to(handlers::list_agencies))
            .route("/whoami", web::get().to(handlers::whoami))
            .route("/records", web::post().to(handlers::post_record))
            .route("/records/check", web::post().to(handlers::check_record))
            .route("/records/batch", web::post().to(handlers::post_batch))
            .route("/records/{id}", web::get().to(handlers::get_record))
            .route("/households/search", web::get().to(workflow::search_households))
            .route("/households/{id}", web::get().to(handlers::get_household))
            .route("/flags", web::get().to(workflow::list_flags))
            .route("/flags/{id}/review", web::post().to(workflow::review_flag))
            .route("/reports/overlaps", web::get().to(workflow::report_overlaps))
            .route("/reports/summary", web::get().to(workflow::report_summary)),
    )
    .route("/healthz", web::get().to(handlers::healthz))
    .route("/metrics", web::get().to(handlers::metrics))
    .route("/openapi.json", web::get().to(openapi::serve))
    .configure(crate::web::routes)
    .default_service(web::to(not_found));
}

async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::NotFound("route"))
}

/// Query-string errors in the API's error shape, naming the parameter.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        let text = err.to_string();
        let field = text.split('`').nth(1).map(str::to_owned).unwrap_or_else(|| "query".to_owned());
        ApiError::field(field, text).into()
    })
}

/// Path errors in the API's error shape.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _| ApiError::field("path", err.to_string()).into())
}
