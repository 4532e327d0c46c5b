//! Operations: `/healthz`, `/readyz` and `/metrics`.

use actix_web::HttpResponse;
use actix_web::get;
use actix_web::web::Data;

use crate::http::blocking;
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;

/// Prometheus metrics (admin, auditor).
#[utoipa::path(tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/metrics")]
pub async fn metrics(who: Principal, s: Data<Services>) -> Result<HttpResponse, ServiceError> {
    let text = s.metrics_text(&who)?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}

/// Up when the process is and the database answers.
#[utoipa::path(tag = "operations", responses((status = 200), (status = 503)))]
#[get("/healthz")]
pub async fn healthz(s: Data<Services>) -> Result<HttpResponse, ServiceError> {
    blocking(move || s.health()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ok"})))
}

/// Ready to serve: the index loaded and the database answering (503 otherwise), with this
/// gateway's role among several on one database (`writer` or `follower`) and the writer's
/// address. For a load balancer: send reads to any ready gateway, writes to the writer.
#[utoipa::path(tag = "operations", responses(
    (status = 200, body = crate::service::cluster::Readiness),
    (status = 503, body = crate::service::cluster::Readiness)))]
#[get("/readyz")]
pub async fn readyz(s: Data<Services>) -> Result<HttpResponse, ServiceError> {
    let r = blocking(move || Ok(s.readiness())).await?;
    let mut res = if r.database { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() };
    Ok(res.json(r))
}
