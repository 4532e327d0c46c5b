//! `/v1/keys`, `/v1/users` and `/v1/audit`: who may see what, and what they saw.

use actix_web::web::{self, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{delete, get, patch, post};
use bawaba_wire::access::{
    AuditPage, AuditQuery, CreatedUser, IssuedKey, KeyInfo, KeyList, NewKeyBody, NewUserBody, User, UserList, UserPatch,
};

use super::RECORD_LIMIT;
use super::body::parse_json;
use crate::http::{blocking, read_body, streamed};
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;
use crate::service::{access, audit};

/// Lists keys (admin): id, agency, role, scope, label, created, last used, expiry; never the key.
#[utoipa::path(tag = "access",
    responses((status = 200, body = KeyList), (status = 401), (status = 403)), security(("bearer" = [])))]
#[get("/keys")]
pub async fn list_keys(who: Principal, s: Data<Services>) -> Result<Json<KeyList>, ServiceError> {
    Ok(Json(blocking(move || access::list_keys(&s, &who)).await?))
}

/// Makes a key (admin) with a role, a scope, a label and an expiry; the key is shown once.
#[utoipa::path(tag = "access", request_body = NewKeyBody,
    responses((status = 201, body = IssuedKey), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
#[post("/keys")]
pub async fn create_key(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let body: NewKeyBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    let issued = blocking(move || access::create_key(&s, &who, &body)).await?;
    Ok(HttpResponse::Created().json(issued))
}

/// Revokes a key (admin): refused at once, in every process.
#[utoipa::path(tag = "access", params(("key_id" = String, Path)),
    responses((status = 200, body = KeyInfo), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[delete("/keys/{key_id}")]
pub async fn revoke_key(who: Principal, s: Data<Services>, id: Path<String>) -> Result<Json<KeyInfo>, ServiceError> {
    Ok(Json(blocking(move || access::revoke_key(&s, &who, &id)).await?))
}

/// Rotates a key (admin): a new key like it; the old one works for the grace period (24 h by
/// default), then stops.
#[utoipa::path(tag = "access", params(("key_id" = String, Path)),
    responses((status = 201, body = IssuedKey), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/keys/{key_id}/rotate")]
pub async fn rotate_key(who: Principal, s: Data<Services>, id: Path<String>) -> Result<HttpResponse, ServiceError> {
    let issued = blocking(move || access::rotate_key(&s, &who, &id)).await?;
    Ok(HttpResponse::Created().json(issued))
}

/// Makes a named user (admin); the one-time password is shown once.
#[utoipa::path(tag = "access", request_body = NewUserBody,
    responses((status = 201, body = CreatedUser), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
#[post("/users")]
pub async fn create_user(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let body: NewUserBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    let created = blocking(move || access::create_user(&s, &who, &body)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Lists users (admin).
#[utoipa::path(tag = "access",
    responses((status = 200, body = UserList), (status = 401), (status = 403)), security(("bearer" = [])))]
#[get("/users")]
pub async fn list_users(who: Principal, s: Data<Services>) -> Result<Json<UserList>, ServiceError> {
    Ok(Json(blocking(move || access::list_users(&s, &who)).await?))
}

/// Changes a user's role, scope or whether disabled (admin); disabling ends their sessions.
#[utoipa::path(tag = "access", request_body = UserPatch, params(("user_id" = String, Path)),
    responses((status = 200, body = User), (status = 400), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[patch("/users/{user_id}")]
pub async fn patch_user(
    who: Principal,
    s: Data<Services>,
    id: Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<User>, ServiceError> {
    let body: UserPatch = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    Ok(Json(blocking(move || access::patch_user(&s, &who, &id, &body)).await?))
}

/// The audit log (admin, auditor), newest first: who, what, which household or record, when,
/// from where. JSON pages, or every event as CSV.
#[utoipa::path(tag = "access", params(AuditQuery),
    responses((status = 200, description = "JSON, or text/csv with format=csv", content((AuditPage = "application/json"), (String = "text/csv"))), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/audit")]
pub async fn audit_log(who: Principal, s: Data<Services>, q: Query<AuditQuery>) -> Result<HttpResponse, ServiceError> {
    let q = q.into_inner();
    if q.format.as_deref().map(str::trim) == Some("csv") {
        let (s2, who2, q2) = (s.clone(), who.clone(), q.clone());
        blocking(move || audit::csv_allowed(&s2, &who2, &q2)).await?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", "attachment; filename=\"audit.csv\""))
            .streaming(streamed(move |sink| audit::csv(&s, &who, &q, sink))));
    }
    Ok(HttpResponse::Ok().json(blocking(move || audit::list(&s, &who, &q)).await?))
}
