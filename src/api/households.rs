//! `/v1/households`: search by any spelling, ID or phone, the household view, and the split of
//! a wrong join.

use actix_web::web::{self, Data, Json, Path, Query};
use actix_web::{HttpRequest, get, post};
use bawaba_wire::households::{HouseholdView, SearchAnswer, SearchQuery};
use bawaba_wire::life::{SplitAnswer, SplitBody};

use super::body::parse_json;
use crate::http::{blocking, read_body};
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;
use crate::service::{households, life, search as find};

/// Finds households by any spelling of a name, an ID or a phone; ranked, with evidence.
#[utoipa::path(tag = "households", params(SearchQuery),
    responses((status = 200, body = SearchAnswer), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
#[get("/households/search")]
pub async fn search(
    who: Principal,
    s: Data<Services>,
    q: Query<SearchQuery>,
) -> Result<Json<SearchAnswer>, ServiceError> {
    Ok(Json(blocking(move || find::search(&s, &who, &q)).await?))
}

/// A household: members as every agency knows them, aid history, open flags.
#[utoipa::path(tag = "households",
    params(("household_id" = String, Path)),
    responses((status = 200, body = HouseholdView), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[get("/households/{household_id}")]
pub async fn get(who: Principal, s: Data<Services>, id: Path<String>) -> Result<Json<HouseholdView>, ServiceError> {
    Ok(Json(blocking(move || households::get(&s, &who, &id)).await?))
}

/// Undoes a wrong join: the records listed leave for a new household, and the two are kept
/// apart as a dismissed pair is.
#[utoipa::path(request_body = SplitBody, tag = "households",
    params(("household_id" = String, Path)),
    responses((status = 200, body = SplitAnswer), (status = 400), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[post("/households/{household_id}/split")]
pub async fn split(
    who: Principal,
    s: Data<Services>,
    id: Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<SplitAnswer>, ServiceError> {
    let body: SplitBody = parse_json(&read_body(&req, payload, SPLIT_LIMIT).await?)?;
    Ok(Json(blocking(move || life::split(&s, &who, &id, body)).await?))
}

/// Largest body of a split.
const SPLIT_LIMIT: usize = 256 * 1024;
