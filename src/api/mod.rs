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
pub mod places;
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
        let key = crate::http::bearer(req.headers()).map(str::to_owned);
        Box::pin(async move {
            let services = services.ok_or_else(|| ServiceError::Internal("services missing".into()))?;
            let key = key.ok_or(ServiceError::Unauthorized)?;
            blocking(move || services.authenticate(&key)).await
        })
    }
}

/// Every route of the API. A known path asked with a method it does not take answers 405 with
/// an `Allow` header, not 404.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use actix_web::Route;
    fn resource(path: &str, routes: Vec<(&'static str, Route)>) -> actix_web::Resource {
        let allow = routes.iter().map(|(m, _)| *m).collect::<Vec<_>>().join(", ");
        let mut r = web::resource(path);
        for (_, route) in routes {
            r = r.route(route);
        }
        r.default_service(web::to(move || {
            let allow = allow.clone();
            async move {
                let mut res = actix_web::ResponseError::error_response(&ServiceError::MethodNotAllowed);
                if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow) {
                    res.headers_mut().insert(actix_web::http::header::ALLOW, v);
                }
                res
            }
        }))
    }
    cfg.service(
        web::scope("/v1")
            .service(resource(
                "/agencies",
                vec![("POST", web::post().to(agencies::create)), ("GET", web::get().to(agencies::list))],
            ))
            .service(resource("/whoami", vec![("GET", web::get().to(agencies::whoami))]))
            .service(resource("/records", vec![("POST", web::post().to(records::post))]))
            .service(resource("/records/check", vec![("POST", web::post().to(records::check))]))
            .service(resource("/records/batch", vec![("POST", web::post().to(records::batch))]))
            .service(resource("/records/{id}", vec![("GET", web::get().to(records::get))]))
            .service(resource("/households/search", vec![("GET", web::get().to(households::search))]))
            .service(resource("/households/{id}", vec![("GET", web::get().to(households::get))]))
            .service(resource("/flags", vec![("GET", web::get().to(review::list))]))
            .service(resource("/flags/{id}/review", vec![("POST", web::post().to(review::review))]))
            .service(resource("/reports/overlaps", vec![("GET", web::get().to(reports::overlaps))]))
            .service(resource("/reports/summary", vec![("GET", web::get().to(reports::summary))]))
            .service(resource(
                "/places",
                vec![("GET", web::get().to(places::list)), ("POST", web::post().to(places::create))],
            ))
            .service(resource("/places/{code}", vec![("PATCH", web::patch().to(places::patch))])),
    )
    .service(resource("/healthz", vec![("GET", web::get().to(operations::healthz))]))
    .service(resource("/metrics", vec![("GET", web::get().to(operations::metrics))]))
    .service(resource("/openapi.json", vec![("GET", web::get().to(openapi::serve))]));
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
