//! `/v1/flags`: the flags raised, and their review.

use actix_web::HttpRequest;
use actix_web::web::{self, Data, Json, Path, Query};
use actix_web::{get, post};
use bawaba_wire::review::{FlagPage, FlagQuery, ReviewAnswer, ReviewBody};

use super::RECORD_LIMIT;
use super::body::parse_json;
use crate::http::{blocking, read_body};
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;
use crate::service::review as flags;

/// A page of flags, oldest first.
#[utoipa::path(tag = "review", params(FlagQuery),
    responses((status = 200, body = FlagPage), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
#[get("/flags")]
pub async fn list(who: Principal, s: Data<Services>, q: Query<FlagQuery>) -> Result<Json<FlagPage>, ServiceError> {
    Ok(Json(blocking(move || flags::list(&s, &who, &q)).await?))
}

/// Confirms or dismisses a flag. Confirming a possible_same_household merges the households;
/// dismissing it keeps them apart for good.
#[utoipa::path(tag = "review", request_body = ReviewBody,
    params(("flag_id" = String, Path)),
    responses((status = 200, body = ReviewAnswer), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/flags/{flag_id}/review")]
pub async fn review(
    who: Principal,
    s: Data<Services>,
    id: Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<ReviewAnswer>, ServiceError> {
    let body: ReviewBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    Ok(Json(blocking(move || flags::review(&s, &who, id.into_inner(), body)).await?))
}
