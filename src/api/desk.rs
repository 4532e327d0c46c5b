//! The review desk: `GET /v1/flags/{flag_id}` (side by side, with the score as a waterfall),
//! `POST /v1/flags/review` (a decision on many flags, as one batch, with a dry run) and
//! `POST /v1/reviews/{batch_id}/undo`; blind spot checks of automatic links and the per-band
//! precision (`/v1/review/spot-checks`, `/v1/review/quality`).

use actix_web::HttpRequest;
use actix_web::web::{self, Data, Json, Path};
use actix_web::{get, post};
use bawaba_wire::desk::{
    BatchReviewAnswer, BatchReviewBody, DrawBody, FlagDetail, Quality, SpotAnswerBody, SpotAnswered, SpotChecks,
    UndoAnswer,
};

use super::RECORD_LIMIT;
use super::body::parse_json;
use crate::http::{blocking, read_body};
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;
use crate::service::{desk, quality};

/// One flag with both households' paired members side by side (`comparison`) and its score as a
/// waterfall: the prior, each field's weight (name parts with their frequency adjustment), what
/// the household rules add, and the total, whose weight is the sum of the steps before it.
#[utoipa::path(tag = "review", params(("flag_id" = String, Path)),
    responses((status = 200, body = FlagDetail), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[get("/flags/{flag_id}")]
pub async fn flag(who: Principal, s: Data<Services>, id: Path<String>) -> Result<Json<FlagDetail>, ServiceError> {
    Ok(Json(blocking(move || desk::flag_detail(&s, &who, &id)).await?))
}

/// Confirms or dismisses up to 500 flags at once, as one review batch (audited once). With
/// `dry_run`, answers what would change and changes nothing. A flag not found or outside the
/// caller's scope is 400 naming it; one already reviewed is 409; nothing is half-done.
#[utoipa::path(tag = "review", request_body = BatchReviewBody,
    responses((status = 200, body = BatchReviewAnswer), (status = 400), (status = 401), (status = 403), (status = 409)),
    security(("bearer" = [])))]
#[post("/flags/review")]
pub async fn review_batch(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<BatchReviewAnswer>, ServiceError> {
    let body: BatchReviewBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    Ok(Json(blocking(move || desk::review_batch(&s, &who, body)).await?))
}

/// Reverses a review batch (a single review is a batch of one): merges split back, dismissals
/// lifted, the flags open again. 409 naming what depends on it when a later merge or review
/// does, or when it was already undone.
#[utoipa::path(tag = "review", params(("batch_id" = String, Path)),
    responses((status = 200, body = UndoAnswer), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/reviews/{batch_id}/undo")]
pub async fn undo(who: Principal, s: Data<Services>, id: Path<String>) -> Result<Json<UndoAnswer>, ServiceError> {
    Ok(Json(blocking(move || desk::undo(&s, &who, id.into_inner())).await?))
}

/// Draws up to `size` automatic `certain`/`probable` links, at random and not drawn before, for
/// blind review: each with the record's members and its household's, no score.
#[utoipa::path(tag = "review", request_body = DrawBody,
    responses((status = 200, body = SpotChecks), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[post("/review/spot-checks")]
pub async fn draw(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<SpotChecks>, ServiceError> {
    let body: DrawBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    Ok(Json(blocking(move || quality::draw(&s, &who, body)).await?))
}

/// The spot checks waiting for an answer, oldest first (at most 100).
#[utoipa::path(tag = "review",
    responses((status = 200, body = SpotChecks), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/review/spot-checks")]
pub async fn spot_checks(who: Principal, s: Data<Services>) -> Result<Json<SpotChecks>, ServiceError> {
    Ok(Json(blocking(move || quality::open(&s, &who)).await?))
}

/// Answers a spot check: `same` (the automatic link is right) or `different`; once.
#[utoipa::path(tag = "review", request_body = SpotAnswerBody, params(("spot_check_id" = String, Path)),
    responses((status = 200, body = SpotAnswered), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/review/spot-checks/{spot_check_id}")]
pub async fn answer(
    who: Principal,
    s: Data<Services>,
    id: Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<SpotAnswered>, ServiceError> {
    let body: SpotAnswerBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    Ok(Json(blocking(move || quality::answer(&s, &who, &id, body)).await?))
}

/// Per band, the precision estimated from reviewers' decisions and blind spot checks.
#[utoipa::path(tag = "review",
    responses((status = 200, body = Quality), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/review/quality")]
pub async fn review_quality(who: Principal, s: Data<Services>) -> Result<Json<Quality>, ServiceError> {
    Ok(Json(blocking(move || quality::quality(&s, &who)).await?))
}
