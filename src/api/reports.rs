//! `/v1/reports`: the overlap report (JSON pages or CSV) and the summary.

use actix_web::HttpResponse;
use actix_web::get;
use actix_web::web::{Data, Query};
use bawaba_wire::reports::{OverlapReport, ReportQuery, Summary};

use crate::http::{blocking, streamed};
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;
use crate::service::reports::{self, Format};

/// One row per overlapping pair of records, with totals; JSON pages or the whole CSV.
#[utoipa::path(tag = "reports", params(ReportQuery),
    responses((status = 200, description = "JSON, or text/csv with format=csv", content((OverlapReport = "application/json"), (String = "text/csv"))), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/reports/overlaps")]
pub async fn overlaps(who: Principal, s: Data<Services>, q: Query<ReportQuery>) -> Result<HttpResponse, ServiceError> {
    let q = q.into_inner();
    if reports::request(&q)?.format == Format::Csv {
        reports::csv_allowed(&who, &q)?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", "attachment; filename=\"overlaps.csv\""))
            .streaming(streamed(move |sink| reports::overlaps_csv(&s, &who, &q, sink))));
    }
    Ok(HttpResponse::Ok().json(blocking(move || reports::overlaps(&s, &who, &q)).await?))
}

/// Totals by agency pair, governorate and type; JSON, or CSV with `format=csv`.
#[utoipa::path(tag = "reports", params(ReportQuery),
    responses((status = 200, description = "JSON, or text/csv with format=csv", content((Summary = "application/json"), (String = "text/csv"))), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/reports/summary")]
pub async fn summary(who: Principal, s: Data<Services>, q: Query<ReportQuery>) -> Result<HttpResponse, ServiceError> {
    let q = q.into_inner();
    if reports::request(&q)?.format == Format::Csv {
        let csv = blocking(move || reports::summary_csv(&s, &who, &q)).await?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", "attachment; filename=\"summary.csv\""))
            .body(csv));
    }
    Ok(HttpResponse::Ok().json(blocking(move || reports::summary(&s, &who, &q)).await?))
}
