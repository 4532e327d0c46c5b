//! `/v1/needs` and `/v1/reports/coverage`: needs and targets per area × sector × group × period,
//! and how much of them the agencies reached.

use actix_web::web::{self, Data, Json, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{get, put};
use bawaba_wire::planning::{CoverageQuery, CoverageReport, NeedsBody, NeedsList, NeedsQuery};

use super::BATCH_LIMIT;
use super::body::parse_json;
use crate::http::{blocking, json_body, json_ok, read_body};
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;
use crate::service::planning::{self, Format};

/// Writes needs and targets (admin, coordinator), each replacing the one of the same area ×
/// sector × group × period; all or none.
#[utoipa::path(request_body = NeedsBody, tag = "planning",
    responses((status = 200, body = NeedsList), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[put("/needs")]
pub async fn put_needs(
    who: Principal,
    s: Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<NeedsList>, ServiceError> {
    let body: NeedsBody = parse_json(&read_body(&req, payload, BATCH_LIMIT).await?)?;
    Ok(Json(blocking(move || planning::put_needs(&s, &who, &body)).await?))
}

/// Needs and targets (admin, coordinator, auditor), by area (a governorate takes its
/// localities'), sector and group (`all` for every household).
#[utoipa::path(tag = "planning", params(NeedsQuery),
    responses((status = 200, body = NeedsList), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/needs")]
pub async fn needs(who: Principal, s: Data<Services>, q: Query<NeedsQuery>) -> Result<Json<NeedsList>, ServiceError> {
    Ok(Json(blocking(move || planning::needs(&s, &who, &q)).await?))
}

/// Coverage (admin, coordinator, auditor): distinct resolved households reached per area ×
/// sector × group beside need and target, with coverage, gap and status; counts from 1 to 4
/// suppressed for every role but admin.
#[utoipa::path(tag = "reports", params(CoverageQuery),
    responses((status = 200, description = "JSON, or text/csv with format=csv", content((CoverageReport = "application/json"), (String = "text/csv"))),
        (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/reports/coverage")]
pub async fn coverage(
    who: Principal,
    s: Data<Services>,
    q: Query<CoverageQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = q.into_inner();
    if planning::coverage_format(&q)? == Format::Csv {
        let body = blocking(move || planning::coverage_csv(&s, &who, &q)).await?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", "attachment; filename=\"coverage.csv\""))
            .body(body));
    }
    Ok(json_ok(blocking(move || json_body(&planning::coverage(&s, &who, &q)?)).await?))
}
