//! `/v1/records`: post one, check one, post a batch, read one back; and the record's life after
//! intake: correct it, withdraw it, read its history, export the agency's own records.

use actix_web::web::{self, Data, Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{delete, get, post, put};
use bawaba_wire::domain::Answer;
use bawaba_wire::life::{RecordHistory, RecordPage, RecordsQuery, WithdrawAnswer, WithdrawBody};
use bawaba_wire::records::{BatchAnswer, BatchBody, BatchResult, RecordBody, StoredRecord};

use super::body::parse_json;
use super::{BATCH_LIMIT, RECORD_LIMIT};
use crate::http::{blocking, error_detail, read_body, streamed};
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;
use crate::service::intake::Outcome;
use crate::service::{life, records};

/// Submits one assistance record: matched, checked for overlaps and stored in one transaction.
#[utoipa::path(request_body = RecordBody, tag = "records",
    responses((status = 201, description = "stored", body = Answer), (status = 200, description = "a replay: the first answer", body = Answer),
        (status = 400), (status = 401), (status = 403), (status = 409), (status = 413)),
    security(("bearer" = [])))]
#[post("/records")]
pub async fn post(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let body: RecordBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    match blocking(move || records::submit(&s, &who, body)).await? {
        Outcome::Created(a) => Ok(HttpResponse::Created().json(a)),
        Outcome::Replayed(a) => Ok(HttpResponse::Ok().json(a)),
    }
}

/// Answers as `POST /v1/records` would, storing nothing.
#[utoipa::path(request_body = RecordBody, tag = "records",
    responses((status = 200, body = Answer), (status = 400), (status = 401), (status = 403), (status = 413)),
    security(("bearer" = [])))]
#[post("/records/check")]
pub async fn check(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<Answer>, ServiceError> {
    let body: RecordBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    Ok(Json(blocking(move || records::check(&s, &who, body)).await?))
}

/// Submits up to 10,000 records, taken in order as if posted one by one.
#[utoipa::path(request_body = BatchBody, tag = "records",
    responses((status = 200, body = BatchAnswer), (status = 400), (status = 401), (status = 403), (status = 413)),
    security(("bearer" = [])))]
#[post("/records/batch")]
pub async fn batch(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<BatchAnswer>, ServiceError> {
    let body: BatchBody = parse_json(&read_body(&req, payload, BATCH_LIMIT).await?)?;
    let results = blocking(move || records::submit_batch(&s, &who, body.records)).await?;
    let results = results
        .into_iter()
        .enumerate()
        .map(|(index, r)| match r {
            Ok(outcome) => {
                let replayed = matches!(outcome, Outcome::Replayed(_));
                let (Outcome::Created(a) | Outcome::Replayed(a)) = outcome;
                BatchResult {
                    index,
                    record_id: a.record_id,
                    household_id: a.household_id,
                    decision: Some(a.decision),
                    flags: Some(a.flags),
                    governorate_code: a.governorate_code,
                    locality_code: a.locality_code,
                    replayed,
                    error: None,
                }
            }
            Err(e) => BatchResult {
                index,
                record_id: None,
                household_id: None,
                decision: None,
                flags: None,
                governorate_code: None,
                locality_code: None,
                replayed: false,
                error: Some(error_detail(&e)),
            },
        })
        .collect();
    Ok(Json(BatchAnswer { results }))
}

/// A record as stored, its household and its flags.
#[utoipa::path(tag = "records",
    params(("record_id" = String, Path)),
    responses((status = 200, body = StoredRecord), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[get("/records/{record_id}")]
pub async fn get(who: Principal, s: Data<Services>, id: Path<String>) -> Result<Json<StoredRecord>, ServiceError> {
    Ok(Json(blocking(move || records::get(&s, &who, &id)).await?))
}

/// Corrects a record (the agency that posted it; same `external_id`): matched again, the answer
/// is the new intake answer; flags the correction no longer supports close as `superseded`.
#[utoipa::path(request_body = RecordBody, tag = "records",
    params(("record_id" = String, Path)),
    responses((status = 200, description = "corrected (or unchanged): the intake answer", body = Answer),
        (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 413)),
    security(("bearer" = [])))]
#[put("/records/{record_id}")]
pub async fn correct(
    who: Principal,
    s: Data<Services>,
    id: Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<Answer>, ServiceError> {
    let body: RecordBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    let (Outcome::Created(a) | Outcome::Replayed(a)) = blocking(move || life::correct(&s, &who, &id, body)).await?;
    Ok(Json(a))
}

/// Withdraws a record (the agency that posted it) with a reason: out of reports and overlap
/// checks, its open flags closed as `withdrawn`, its history kept.
#[utoipa::path(request_body = WithdrawBody, tag = "records",
    params(("record_id" = String, Path)),
    responses((status = 200, body = WithdrawAnswer), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[delete("/records/{record_id}")]
pub async fn withdraw(
    who: Principal,
    s: Data<Services>,
    id: Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<WithdrawAnswer>, ServiceError> {
    let body: WithdrawBody = parse_json(&read_body(&req, payload, RECORD_LIMIT).await?)?;
    Ok(Json(blocking(move || life::withdraw(&s, &who, &id, body)).await?))
}

/// A record's versions, oldest first, the current one last.
#[utoipa::path(tag = "records",
    params(("record_id" = String, Path)),
    responses((status = 200, body = RecordHistory), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[get("/records/{record_id}/history")]
pub async fn history(who: Principal, s: Data<Services>, id: Path<String>) -> Result<Json<RecordHistory>, ServiceError> {
    Ok(Json(blocking(move || life::history(&s, &who, &id)).await?))
}

/// The agency's own records (submitter), in the order they were stored: JSON pages, or every
/// one as CSV (one line per member).
#[utoipa::path(tag = "records", params(RecordsQuery),
    responses((status = 200, description = "JSON, or text/csv with format=csv", content((RecordPage = "application/json"), (String = "text/csv"))), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/records")]
pub async fn list(
    who: Principal,
    s: Data<Services>,
    q: web::Query<RecordsQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = q.into_inner();
    if life::export_request(&who, &q)?.csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", "attachment; filename=\"records.csv\""))
            .streaming(streamed(move |sink| life::export_csv(&s, &who, &q, sink))));
    }
    Ok(HttpResponse::Ok().json(blocking(move || life::export(&s, &who, &q)).await?))
}
