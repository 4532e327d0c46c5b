//! Handlers for the caseworkers' and auditors' day: search, flags and review, reports.

use actix_web::web::{self, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::body::{check_date, parse_json};
use super::{RECORD_LIMIT, blocking, read_body};
use crate::error::{ApiError, FieldProblem};
use crate::service::Services;
use crate::service::auth::{Principal, Role};
use crate::service::domain::{AidType, Band, FlagKind};
use crate::service::reports::{self, OverlapReport, ReportFilter, Summary};
use crate::service::review::{self, FlagPage, ReviewAnswer, Verdict};
use crate::service::search::{self, SearchAnswer, SearchParams};
use crate::store::queries::FlagFilter;

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn limit(problems: &mut Vec<FieldProblem>, raw: &Option<String>, default: usize, max: usize) -> usize {
    match nonempty(raw) {
        None => default,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                problems.push(FieldProblem::new("limit", format!("must be a whole number from 1 to {max}")));
                default
            }
        },
    }
}

fn date(problems: &mut Vec<FieldProblem>, field: &str, raw: &Option<String>) -> Option<String> {
    let v = nonempty(raw)?;
    if let Err(p) = check_date(&v) {
        problems.push(FieldProblem::new(field, p));
    }
    Some(v)
}

fn done<T>(problems: Vec<FieldProblem>, value: T) -> Result<T, ApiError> {
    if problems.is_empty() { Ok(value) } else { Err(ApiError::Validation(problems)) }
}

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQueryParams {
    /// A name in any spelling, Arabic or Latin.
    pub name: Option<String>,
    pub national_id: Option<String>,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub date_of_birth: Option<String>,
    pub phone: Option<String>,
    pub governorate: Option<String>,
    /// 1 to 100, default 10.
    pub limit: Option<String>,
}

/// Finds households by any spelling of a name, an ID or a phone; ranked, with evidence.
#[utoipa::path(get, path = "/v1/households/search", tag = "households", params(SearchQueryParams),
    responses((status = 200, body = SearchAnswer), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
pub async fn search_households(
    who: Principal,
    s: Data<Services>,
    q: Query<SearchQueryParams>,
) -> Result<Json<SearchAnswer>, ApiError> {
    who.require(&[Role::Caseworker, Role::Auditor, Role::Submitter])?;
    let mut problems = Vec::new();
    let params = SearchParams {
        name: nonempty(&q.name),
        national_id: nonempty(&q.national_id),
        date_of_birth: nonempty(&q.date_of_birth),
        phone: nonempty(&q.phone),
        governorate: nonempty(&q.governorate),
        limit: limit(&mut problems, &q.limit, 10, 100),
    };
    if params.name.is_none() && params.national_id.is_none() && params.phone.is_none() {
        problems.push(FieldProblem::new("name", "give at least one of name, national_id, phone"));
    }
    if let Some(n) = &params.name
        && let Err(p) = super::body::check_name(n)
    {
        problems.push(FieldProblem::new("name", p));
    }
    if let Some(id) = &params.national_id
        && bawaba_matching::normalize::national_id(id).is_none()
    {
        problems.push(FieldProblem::new("national_id", "must contain digits"));
    }
    if let Some(p) = &params.phone
        && bawaba_matching::normalize::phone(p).is_none()
    {
        problems.push(FieldProblem::new("phone", "is not a phone number"));
    }
    if let Some(d) = &params.date_of_birth
        && bawaba_matching::normalize::date_of_birth(d).is_none()
    {
        problems.push(FieldProblem::new("date_of_birth", "must be YYYY-MM-DD, YYYY-MM or YYYY"));
    }
    let params = done(problems, params)?;
    Ok(Json(blocking(move || search::search(&s, &who, &params)).await?))
}

/// Flag listing parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FlagQueryParams {
    /// open, confirmed or dismissed.
    pub status: Option<String>,
    /// overlapping_aid, duplicate_record or possible_same_household.
    pub kind: Option<String>,
    /// An agency code: flags on its records or naming it.
    pub agency: Option<String>,
    /// 1 to 1000, default 100.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of flags, oldest first.
#[utoipa::path(get, path = "/v1/flags", tag = "review", params(FlagQueryParams),
    responses((status = 200, body = FlagPage), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
pub async fn list_flags(
    who: Principal,
    s: Data<Services>,
    q: Query<FlagQueryParams>,
) -> Result<Json<FlagPage>, ApiError> {
    who.require(&[Role::Caseworker, Role::Auditor])?;
    let mut problems = Vec::new();
    let status = nonempty(&q.status);
    if status.as_deref().is_some_and(|st| !["open", "confirmed", "dismissed"].contains(&st)) {
        problems.push(FieldProblem::new("status", "must be open, confirmed or dismissed"));
    }
    let kind = nonempty(&q.kind);
    if kind.as_deref().is_some_and(|k| FlagKind::parse(k).is_none()) {
        problems
            .push(FieldProblem::new("kind", "must be overlapping_aid, duplicate_record or possible_same_household"));
    }
    let limit = limit(&mut problems, &q.limit, 100, 1000) as i64;
    let filter = done(problems, FlagFilter { status, kind, agency_id: None, after: nonempty(&q.cursor), limit })?;
    let agency = nonempty(&q.agency);
    Ok(Json(blocking(move || review::list(&s, filter, agency)).await?))
}

/// `POST /v1/flags/{flag_id}/review`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub decision: Verdict,
    /// Why; kept with the review.
    #[serde(default)]
    pub note: String,
}

/// Confirms or dismisses a flag. Confirming a possible_same_household merges the households;
/// dismissing it keeps them apart for good.
#[utoipa::path(post, path = "/v1/flags/{flag_id}/review", tag = "review", request_body = ReviewBody,
    params(("flag_id" = String, Path)),
    responses((status = 200, body = ReviewAnswer), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn review_flag(
    who: Principal,
    s: Data<Services>,
    id: Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<ReviewAnswer>, ApiError> {
    who.require(&[Role::Caseworker, Role::Auditor])?;
    let bytes = read_body(&req, payload, RECORD_LIMIT).await?;
    let body: ReviewBody = parse_json(&bytes)?;
    if body.note.chars().count() > 2000 || body.note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::field("note", "must be at most 2000 characters, with no control characters"));
    }
    Ok(Json(blocking(move || review::review(&s, &who, id.into_inner(), body.decision, body.note)).await?))
}

/// Report parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQueryParams {
    /// First day (`YYYY-MM-DD`) of the period the overlap must meet.
    pub from: Option<String>,
    /// Last day.
    pub to: Option<String>,
    pub governorate: Option<String>,
    /// Aid type.
    #[serde(rename = "type")]
    pub aid_type: Option<String>,
    /// Agency code, on either side.
    pub agency: Option<String>,
    /// certain, probable or possible.
    pub band: Option<String>,
    /// json (default) or csv.
    pub format: Option<String>,
    /// JSON page size, 1 to 10,000 (default 1,000); CSV holds every row.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

fn report_filter(q: &ReportQueryParams, problems: &mut Vec<FieldProblem>) -> ReportFilter {
    let f = ReportFilter {
        from: date(problems, "from", &q.from),
        to: date(problems, "to", &q.to),
        governorate: nonempty(&q.governorate),
        aid_type: nonempty(&q.aid_type),
        agency: nonempty(&q.agency),
        band: nonempty(&q.band),
    };
    if let (Some(a), Some(b)) = (&f.from, &f.to)
        && b < a
    {
        problems.push(FieldProblem::new("to", "must not be before from"));
    }
    if f.aid_type.as_deref().is_some_and(|t| AidType::parse(t).is_none()) {
        problems.push(FieldProblem::new("type", "is not an aid type"));
    }
    if f.band.as_deref().is_some_and(|b| Band::parse(b).is_none()) {
        problems.push(FieldProblem::new("band", "must be certain, probable or possible"));
    }
    f
}

/// One row per overlapping pair of records, with totals; JSON pages or the whole CSV.
#[utoipa::path(get, path = "/v1/reports/overlaps", tag = "reports", params(ReportQueryParams),
    responses((status = 200, body = OverlapReport, description = "JSON, or text/csv with format=csv"), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn report_overlaps(
    who: Principal,
    s: Data<Services>,
    q: Query<ReportQueryParams>,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Auditor])?;
    let mut problems = Vec::new();
    let filter = report_filter(&q, &mut problems);
    let csv = match nonempty(&q.format).as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            problems.push(FieldProblem::new("format", "must be json or csv"));
            false
        }
    };
    let limit = limit(&mut problems, &q.limit, 1000, 10_000);
    let filter = done(problems, filter)?;
    let cursor = nonempty(&q.cursor);
    if csv {
        let body = blocking(move || {
            let report = reports::overlaps(&s, &who, &filter, None, None)?;
            Ok(reports::overlaps_csv(&report.rows))
        })
        .await?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", "attachment; filename=\"overlaps.csv\""))
            .body(body));
    }
    let report = blocking(move || reports::overlaps(&s, &who, &filter, cursor.as_deref(), Some(limit))).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Totals by agency pair, governorate and type.
#[utoipa::path(get, path = "/v1/reports/summary", tag = "reports", params(ReportQueryParams),
    responses((status = 200, body = Summary), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
pub async fn report_summary(
    who: Principal,
    s: Data<Services>,
    q: Query<ReportQueryParams>,
) -> Result<Json<Summary>, ApiError> {
    who.require(&[Role::Auditor])?;
    let mut problems = Vec::new();
    let filter = report_filter(&q, &mut problems);
    let filter = done(problems, filter)?;
    Ok(Json(blocking(move || reports::summary(&s, &who, &filter)).await?))
}
