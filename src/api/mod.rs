//! The HTTP API (`/v1/…`, `/healthz`, `/metrics`, `/openapi.json`), one module per resource.
//! Handlers stay thin: they extract the caller ([`Principal`], from the bearer key) and the
//! body or query as the wire types ([`bawaba_wire`]), call one use case of [`crate::service`]
//! off the async workers, and render its answer; the use case checks the role, validates and
//! audits. Errors are mapped to statuses once, in [`crate::http`].

pub mod agencies;
pub mod body;
pub mod households;
pub mod openapi;
pub mod operations;
pub mod records;
pub mod reports;
pub mod review;

use actix_web::dev::Payload;
use actix_web::web;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use std::future::Future;
use std::pin::Pin;

use crate::http::blocking;
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;

/// Largest body of one record.
pub const RECORD_LIMIT: usize = 1024 * 1024;
/// Largest body of a batch.
pub const BATCH_LIMIT: usize = 64 * 1024 * 1024;

impl FromRequest for Principal {
    type Error = ServiceError;
    type Future = Pin<Box<dyn Future<Output = Result<Principal, ServiceError>>>>;

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
            let services = services.ok_or_else(|| ServiceError::Internal("services missing".into()))?;
            let key = key.ok_or(ServiceError::Unauthorized)?;
            blocking(move || services.authenticate(&key)).await
        })
    }
}

/// Every route of the API.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .route("/agencies", web::post().to(agencies::create))
            .route("/agencies", web::get().to(agencies::list))
            .route("/whoami", web::get().to(agencies::whoami))
            .route("/records", web::post().to(records::post))
            .route("/records/check", web::post().to(records::check))
            .route("/records/batch", web::post().to(records::batch))
            .route("/records/{id}", web::get().to(records::get))
            .route("/households/search", web::get().to(households::search))
            .route("/households/{id}", web::get().to(households::get))
            .route("/flags", web::get().to(review::list))
            .route("/flags/{id}/review", web::post().to(review::review))
            .route("/reports/overlaps", web::get().to(reports::overlaps))
            .route("/reports/summary", web::get().to(reports::summary)),
    )
    .route("/healthz", web::get().to(operations::healthz))
    .route("/metrics", web::get().to(operations::metrics))
    .route("/openapi.json", web::get().to(openapi::serve));
}

/// What an unknown path answers.
pub async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ServiceError::NotFound("route"))
}

/// Query-string errors in the API's error shape, naming the parameter.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        let text = err.to_string();
        let field = text.split('`').nth(1).map(str::to_owned).unwrap_or_else(|| "query".to_owned());
        ServiceError::field(field, text).into()
    })
}

/// Path errors in the API's error shape.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _| ServiceError::field("path", err.to_string()).into())
}
