//! `/v1/alerts` and `/v1/webhooks`: telling an agency of overlaps raised against its records.

use actix_web::web::{self, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse, delete, get, post};
use bawaba_wire::life::{AlertPage, DeliveryPage, PageQuery, WebhookAnswer, WebhookBody, WebhookList, WebhooksQuery};

use super::body::parse_json;
use crate::http::{blocking, read_body};
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;
use crate::service::webhooks;

/// The agency's alerts: overlap flags raised by later records of other agencies against its
/// records, oldest first.
#[utoipa::path(tag = "alerts", params(PageQuery),
    responses((status = 200, body = AlertPage), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
#[get("/alerts")]
pub async fn alerts(who: Principal, s: Data<Services>, q: Query<PageQuery>) -> Result<Json<AlertPage>, ServiceError> {
    Ok(Json(blocking(move || webhooks::alerts(&s, &who, &q)).await?))
}

/// Registers a webhook told of each new alert (signed, retried until a 2xx, in order).
#[utoipa::path(request_body = WebhookBody, tag = "alerts",
    responses((status = 201, body = WebhookAnswer), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
#[post("/webhooks")]
pub async fn create(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let body: WebhookBody = parse_json(&read_body(&req, payload, 16 * 1024).await?)?;
    Ok(HttpResponse::Created().json(blocking(move || webhooks::register(&s, &who, body)).await?))
}

/// Every attempt at delivering alerts to a webhook, oldest first.
#[utoipa::path(tag = "alerts", params(("webhook_id" = String, Path), PageQuery),
    responses((status = 200, body = DeliveryPage), (status = 400), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[get("/webhooks/{webhook_id}/deliveries")]
pub async fn deliveries(
    who: Principal,
    s: Data<Services>,
    id: Path<String>,
    q: Query<PageQuery>,
) -> Result<Json<DeliveryPage>, ServiceError> {
    Ok(Json(blocking(move || webhooks::deliveries(&s, &who, &id, &q)).await?))
}

/// The webhooks registered: the agency's own, or (the admin) every agency's or the one named.
#[utoipa::path(tag = "alerts", params(WebhooksQuery),
    responses((status = 200, body = WebhookList), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
#[get("/webhooks")]
pub async fn list(
    who: Principal,
    s: Data<Services>,
    q: Query<WebhooksQuery>,
) -> Result<Json<WebhookList>, ServiceError> {
    Ok(Json(blocking(move || webhooks::list(&s, &who, &q)).await?))
}

/// Deletes a webhook: nothing more is delivered to it, and no route shows it again.
#[utoipa::path(tag = "alerts", params(("webhook_id" = String, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[delete("/webhooks/{webhook_id}")]
pub async fn remove(who: Principal, s: Data<Services>, id: Path<String>) -> Result<HttpResponse, ServiceError> {
    blocking(move || webhooks::delete(&s, &who, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
