//! The handlers. Each one: authenticate, check the role, parse and validate, call one use
//! case off the async workers, shape the answer.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::{BatchBody, RecordBody, parse_json, parse_value};
use super::{BATCH_LIMIT, BATCH_MAX, RECORD_LIMIT, blocking, read_body};
use crate::error::ApiError;
use crate::service::agencies::{self, Agency, CreatedKey};
use crate::service::auth::{Principal, Role};
use crate::service::domain::{Answer, FlagOut};
use crate::service::households::{self, HouseholdView};
use crate::service::intake::Outcome;
use crate::service::records::{self, StoredRecord};
use crate::service::{Services, domain::Decision};

/// `POST /v1/agencies`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgencyBody {
    /// Short unique code: capital letters, digits, `-` and `_`, 2 to 32 characters.
    pub code: String,
    pub name: String,
    /// Role of the new key: admin, submitter, caseworker or auditor.
    pub role: String,
}

/// `GET /v1/agencies`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyList {
    pub agencies: Vec<Agency>,
}

fn valid_code(code: &str) -> bool {
    (2..=32).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Makes an agency and a key (or adds a key of another role to an existing agency).
#[utoipa::path(post, path = "/v1/agencies", request_body = NewAgencyBody, tag = "agencies",
    responses((status = 201, body = CreatedKey), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn create_agency(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Admin])?;
    let bytes = read_body(&req, payload, RECORD_LIMIT).await?;
    let body: NewAgencyBody = parse_json(&bytes)?;
    let mut problems = Vec::new();
    if !valid_code(&body.code) {
        problems.push(crate::error::FieldProblem::new("code", "must be 2 to 32 capital letters, digits, - or _"));
    }
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        problems
            .push(crate::error::FieldProblem::new("name", "must be 1 to 200 characters with no control characters"));
    }
    let role = Role::parse(&body.role);
    if role.is_none() {
        problems.push(crate::error::FieldProblem::new("role", "must be one of admin, submitter, caseworker, auditor"));
    }
    let Some(role) = role.filter(|_| problems.is_empty()) else {
        return Err(ApiError::Validation(problems));
    };
    let created = blocking(move || agencies::create(&mut *s.conn()?, &body.code, &name, role)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Lists agencies.
#[utoipa::path(get, path = "/v1/agencies", tag = "agencies",
    responses((status = 200, body = AgencyList), (status = 401), (status = 403)), security(("bearer" = [])))]
pub async fn list_agencies(who: Principal, s: Data<Services>) -> Result<Json<AgencyList>, ApiError> {
    who.require(&[Role::Admin])?;
    let agencies = blocking(move || agencies::list(&mut *s.conn()?)).await?;
    Ok(Json(AgencyList { agencies }))
}

async fn parse_record(req: &HttpRequest, payload: web::Payload) -> Result<crate::service::domain::NewRecord, ApiError> {
    let bytes = read_body(req, payload, RECORD_LIMIT).await?;
    parse_json::<RecordBody>(&bytes)?.validate()
}

/// Submits one assistance record: matched, checked for overlaps and stored in one transaction.
#[utoipa::path(post, path = "/v1/records", request_body = RecordBody, tag = "records",
    responses((status = 201, description = "stored", body = Answer), (status = 200, description = "a replay: the first answer", body = Answer),
        (status = 400), (status = 401), (status = 403), (status = 409), (status = 413)),
    security(("bearer" = [])))]
pub async fn post_record(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Submitter])?;
    let record = parse_record(&req, payload).await?;
    match blocking(move || records::submit(&s, &who, record)).await? {
        Outcome::Created(a) => Ok(HttpResponse::Created().json(a)),
        Outcome::Replayed(a) => Ok(HttpResponse::Ok().json(a)),
    }
}

/// Answers as `POST /v1/records` would, storing nothing.
#[utoipa::path(post, path = "/v1/records/check", request_body = RecordBody, tag = "records",
    responses((status = 200, body = Answer), (status = 400), (status = 401), (status = 403), (status = 413)),
    security(("bearer" = [])))]
pub async fn check_record(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<Answer>, ApiError> {
    who.require(&[Role::Submitter, Role::Caseworker, Role::Auditor])?;
    let record = parse_record(&req, payload).await?;
    Ok(Json(blocking(move || records::check(&s, &who, record)).await?))
}

/// One item of a batch answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub household_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<FlagOut>>,
    /// True when this item replayed an earlier submission.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
    /// Present instead of the rest when the item failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub error: Option<serde_json::Value>,
}

/// `POST /v1/records/batch` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchAnswer {
    pub results: Vec<BatchResult>,
}

/// Submits up to 10,000 records, taken in order as if posted one by one.
#[utoipa::path(post, path = "/v1/records/batch", request_body = BatchBody, tag = "records",
    responses((status = 200, body = BatchAnswer), (status = 400), (status = 401), (status = 403), (status = 413)),
    security(("bearer" = [])))]
pub async fn post_batch(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<BatchAnswer>, ApiError> {
    who.require(&[Role::Submitter])?;
    let bytes = read_body(&req, payload, BATCH_LIMIT).await?;
    let body: BatchBody = parse_json(&bytes)?;
    if body.records.len() > BATCH_MAX {
        return Err(ApiError::field("records", format!("must hold at most {BATCH_MAX} records")));
    }
    let results = blocking(move || {
        let parsed: Vec<_> =
            body.records.into_iter().map(|v| parse_value::<RecordBody>(v).and_then(RecordBody::validate)).collect();
        records::submit_batch(&s, &who, parsed)
    })
    .await?;
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
                replayed: false,
                error: Some(e.body()["error"].clone()),
            },
        })
        .collect();
    Ok(Json(BatchAnswer { results }))
}

/// A record as stored, its household and its flags.
#[utoipa::path(get, path = "/v1/records/{record_id}", tag = "records",
    params(("record_id" = String, Path)),
    responses((status = 200, body = StoredRecord), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn get_record(who: Principal, s: Data<Services>, id: Path<String>) -> Result<Json<StoredRecord>, ApiError> {
    who.require(&[Role::Submitter, Role::Caseworker, Role::Auditor])?;
    Ok(Json(blocking(move || records::get(&s, &who, &id)).await?))
}

/// A household: members as every agency knows them, aid history, open flags.
#[utoipa::path(get, path = "/v1/households/{household_id}", tag = "households",
    params(("household_id" = String, Path)),
    responses((status = 200, body = HouseholdView), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn get_household(
    who: Principal,
    s: Data<Services>,
    id: Path<String>,
) -> Result<Json<HouseholdView>, ApiError> {
    who.require(&[Role::Caseworker, Role::Auditor, Role::Submitter])?;
    Ok(Json(blocking(move || households::get(&s, &who, &id)).await?))
}

/// Who a key belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    /// The agency's code; absent for the master key.
    pub agency: Option<String>,
    pub role: String,
}

/// The key's agency and role (any valid key).
#[utoipa::path(get, path = "/v1/whoami", tag = "agencies",
    responses((status = 200, body = WhoAmI), (status = 401)), security(("bearer" = [])))]
pub async fn whoami(who: Principal) -> Json<WhoAmI> {
    Json(WhoAmI { agency: who.agency_code, role: who.role.as_str().to_owned() })
}

/// Prometheus metrics (admin, auditor).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn metrics(who: Principal, s: Data<Services>) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Admin, Role::Auditor])?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(s.metrics.render()))
}

/// Up when the process is and the database answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200), (status = 503)))]
pub async fn healthz(s: Data<Services>) -> Result<HttpResponse, ApiError> {
    blocking(move || {
        use diesel::RunQueryDsl;
        let mut conn = s.conn()?;
        diesel::sql_query("SELECT 1").execute(&mut *conn).map_err(|_| ApiError::Unavailable)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::build(StatusCode::OK).json(serde_json::json!({"status": "ok"})))
}
