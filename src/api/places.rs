//! `/v1/places`: the gazetteer (any key), and the places and spellings the admin adds.

use actix_web::web::{self, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{get, patch, post};
use bawaba_wire::places::{NewPlaceBody, PlaceAliasesBody, PlaceAnswer, PlaceList, PlacesQuery};

use super::RECORD_LIMIT;
use super::body::parse_json;
use crate::http::{blocking, read_body};
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;
use crate::service::places;

/// Governorates and localities: those matching `q` (a code, or a name in any spelling or script)
/// best first, of one `kind`, or the localities of a `parent` governorate.
#[utoipa::path(tag = "places", params(PlacesQuery),
    responses((status = 200, body = PlaceList), (status = 400), (status = 401)), security(("bearer" = [])))]
#[get("/places")]
pub async fn list(who: Principal, s: Data<Services>, q: Query<PlacesQuery>) -> Result<Json<PlaceList>, ServiceError> {
    Ok(Json(blocking(move || places::list(&s, &who, &q)).await?))
}

/// Adds a locality the gazetteer lacks (admin); stored records whose location had not resolved
/// are resolved again.
#[utoipa::path(request_body = NewPlaceBody, tag = "places",
    responses((status = 201, body = PlaceAnswer), (status = 400), (status = 401), (status = 403),
        (status = 409, description = "a spelling already names another place there")),
    security(("bearer" = [])))]
#[post("/places")]
pub async fn create(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let body: NewPlaceBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    let created = blocking(move || places::create(&s, &who, &body)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Adds other spellings of a place, built-in or added (admin); stored records whose location had
/// not resolved are resolved again.
#[utoipa::path(request_body = PlaceAliasesBody, tag = "places",
    params(("code" = String, Path)),
    responses((status = 200, body = PlaceAnswer), (status = 400), (status = 401), (status = 403), (status = 404),
        (status = 409, description = "a spelling already names another place there")),
    security(("bearer" = [])))]
#[patch("/places/{code}")]
pub async fn patch(
    who: Principal,
    s: Data<Services>,
    code: Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<PlaceAnswer>, ServiceError> {
    let body: PlaceAliasesBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    Ok(Json(blocking(move || places::add_aliases(&s, &who, &code, &body)).await?))
}
