//! `/v1/households`: search by any spelling, ID or phone, and the household view.

use actix_web::get;
use actix_web::web::{Data, Json, Path, Query};
use bawaba_wire::households::{HouseholdView, SearchAnswer, SearchQuery};

use crate::http::blocking;
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;
use crate::service::{households, search as find};

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
