//! `/v1/agencies` and `/v1/whoami`.

use actix_web::web::{self, Data, Json};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{get, post};
use bawaba_wire::agencies::{AgencyList, CreatedKey, NewAgencyBody, WhoAmI};

use super::RECORD_LIMIT;
use super::body::parse_json;
use crate::http::{blocking, read_body};
use crate::service::Services;
use crate::service::agencies;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;

/// Makes an agency and a key (or adds a key of another role to an existing agency).
#[utoipa::path(request_body = NewAgencyBody, tag = "agencies",
    responses((status = 201, body = CreatedKey), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[post("/agencies")]
pub async fn create(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let body: NewAgencyBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    let created = blocking(move || agencies::create(&s, &who, &body)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Lists agencies.
#[utoipa::path(tag = "agencies",
    responses((status = 200, body = AgencyList), (status = 401), (status = 403)), security(("bearer" = [])))]
#[get("/agencies")]
pub async fn list(who: Principal, s: Data<Services>) -> Result<Json<AgencyList>, ServiceError> {
    Ok(Json(blocking(move || agencies::list(&s, &who)).await?))
}

/// The key's agency and role (any valid key).
#[utoipa::path(tag = "agencies",
    responses((status = 200, body = WhoAmI), (status = 401)), security(("bearer" = [])))]
#[get("/whoami")]
pub async fn whoami(who: Principal) -> Json<WhoAmI> {
    Json(agencies::whoami(&who))
}
