//! `/v1/directory`: organisations, their services, and who does what where.

use actix_web::web::{self, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{delete, get, patch, post, put};
use bawaba_wire::directory::{
    Organization, OrganizationBody, OrganizationList, ServiceAnswer, ServiceBody, ServiceList, ServicePatch,
    ServicesQuery, WhoWhatWhere, WhoWhatWhereQuery,
};

use super::RECORD_LIMIT;
use super::body::parse_json;
use crate::http::{blocking, json_body, json_ok, read_body};
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::directory::{self, Format};
use crate::service::error::ServiceError;

/// Every organisation (any key): its description and its services.
#[utoipa::path(tag = "directory",
    responses((status = 200, body = OrganizationList), (status = 401)), security(("bearer" = [])))]
#[get("/directory/organizations")]
pub async fn organizations(who: Principal, s: Data<Services>) -> Result<Json<OrganizationList>, ServiceError> {
    Ok(Json(blocking(move || directory::organizations(&s, &who)).await?))
}

/// An organisation's public description, whole (the admin, or the agency's own keys).
#[utoipa::path(request_body = OrganizationBody, tag = "directory", params(("code" = String, Path)),
    responses((status = 200, body = Organization), (status = 400), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[put("/directory/organizations/{code}")]
pub async fn put_organization(
    who: Principal,
    s: Data<Services>,
    code: Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<Organization>, ServiceError> {
    let body: OrganizationBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    Ok(Json(blocking(move || directory::put_organization(&s, &who, &code, &body)).await?))
}

/// A new service of the caller's organisation (the admin names the organisation).
#[utoipa::path(request_body = ServiceBody, tag = "directory",
    responses((status = 201, body = ServiceAnswer), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[post("/directory/services")]
pub async fn create_service(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let body: ServiceBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    let created = blocking(move || directory::create_service(&s, &who, &body)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Services (any key), by area (a code or any spelling), sector, group, organisation, status.
#[utoipa::path(tag = "directory", params(ServicesQuery),
    responses((status = 200, body = ServiceList), (status = 400), (status = 401)), security(("bearer" = [])))]
#[get("/directory/services")]
pub async fn services(
    who: Principal,
    s: Data<Services>,
    q: Query<ServicesQuery>,
) -> Result<Json<ServiceList>, ServiceError> {
    Ok(Json(blocking(move || directory::services(&s, &who, &q)).await?))
}

/// Changes a service (the admin, or its organisation's keys): the fields given replace the
/// stored ones.
#[utoipa::path(request_body = ServicePatch, tag = "directory", params(("id" = String, Path)),
    responses((status = 200, body = ServiceAnswer), (status = 400), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[patch("/directory/services/{id}")]
pub async fn patch_service(
    who: Principal,
    s: Data<Services>,
    id: Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<ServiceAnswer>, ServiceError> {
    let body: ServicePatch = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    Ok(Json(blocking(move || directory::patch_service(&s, &who, &id, &body)).await?))
}

/// Closes a service (the admin, or its organisation's keys): marked `closed`, kept in history.
#[utoipa::path(tag = "directory", params(("id" = String, Path)),
    responses((status = 200, body = ServiceAnswer), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[delete("/directory/services/{id}")]
pub async fn close_service(
    who: Principal,
    s: Data<Services>,
    id: Path<String>,
) -> Result<Json<ServiceAnswer>, ServiceError> {
    Ok(Json(blocking(move || directory::close_service(&s, &who, &id)).await?))
}

/// Who does what where (any key): one row per organisation × sector × place with households
/// reached; JSON, CSV, or HXL (CSV with a hashtag row).
#[utoipa::path(tag = "directory", params(WhoWhatWhereQuery),
    responses((status = 200, description = "JSON, or text/csv with format=csv or hxl", content((WhoWhatWhere = "application/json"), (String = "text/csv"))),
        (status = 400), (status = 401)),
    security(("bearer" = [])))]
#[get("/directory/3w")]
pub async fn who_what_where(
    who: Principal,
    s: Data<Services>,
    q: Query<WhoWhatWhereQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = q.into_inner();
    let format = directory::format(&q)?;
    if format == Format::Json {
        let body = blocking(move || {
            let started = std::time::Instant::now();
            let body = json_body(&directory::who_what_where(&s, &who, &q)?);
            tracing::debug!(took = ?started.elapsed(), "3W with its JSON");
            body
        })
        .await?;
        return Ok(json_ok(body));
    }
    let hxl = format == Format::Hxl;
    let body = blocking(move || directory::who_what_where_csv(&s, &who, &q, hxl)).await?;
    let name = if hxl { "3w-hxl.csv" } else { "3w.csv" };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .body(body))
}
