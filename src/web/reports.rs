//! The auditor's overlap report: filters, totals, charts by agency pair and by month, the rows a
//! page at a time, and the whole report as CSV. Everything comes from
//! `service::reports::overlaps` (audited there) with the filters the API takes.
//!
//! The first page walks the whole selection once: its totals, both charts and the first rows
//! come from that one walk. Later pages ask the service for one page after the cursor, and show
//! the totals but not the charts again.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use maud::{Markup, html};
use serde::Deserialize;

use super::chart::{self, Bar};
use super::layout::{self, Nav, auto, ltr};
use super::search::short;
use super::words::{self, Lang};
use super::{Ctx, UiError, run, url_encode};
use crate::service::Services;
use crate::service::auth::Role;
use crate::service::domain::{AidType, Band};
use crate::service::reports::{self, OverlapRow, OverlapTotals, ReportFilter};

/// Who may see reports: as `/v1/reports/*`.
pub const ROLES: &[Role] = &[Role::Auditor];
const PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    governorate: Option<String>,
    #[serde(rename = "type")]
    aid_type: Option<String>,
    agency: Option<String>,
    band: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty() && s.len() <= 200).map(str::to_owned)
}

/// The filter, with the problems found in it (shown on the page; bad values are left out).
fn filter(l: Lang, q: &ReportQuery) -> (ReportFilter, Vec<&'static str>) {
    let mut problems = Vec::new();
    let mut date = |v: &Option<String>, what: &'static str| {
        let v = nonempty(v)?;
        if crate::api::body::check_date(&v).is_ok() {
            Some(v)
        } else {
            problems.push(what);
            None
        }
    };
    let from = date(&q.from, l.t("تاريخ البداية غير صالح.", "The start date is not valid."));
    let to = date(&q.to, l.t("تاريخ النهاية غير صالح.", "The end date is not valid."));
    let aid_type = nonempty(&q.aid_type).filter(|t| AidType::parse(t).is_some());
    let band = nonempty(&q.band).filter(|b| Band::parse(b).is_some());
    let mut f =
        ReportFilter { from, to, governorate: nonempty(&q.governorate), aid_type, agency: nonempty(&q.agency), band };
    if let (Some(a), Some(b)) = (&f.from, &f.to)
        && b < a
    {
        problems.push(l.t("تاريخ النهاية قبل تاريخ البداية.", "The end date is before the start date."));
        f.to = None;
    }
    (f, problems)
}

/// The filter as a query string (for paging and the CSV link).
fn query_of(f: &ReportFilter, limit: usize) -> String {
    let mut p = Vec::new();
    let mut add = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            p.push(format!("{k}={}", url_encode(v)));
        }
    };
    add("from", &f.from);
    add("to", &f.to);
    add("governorate", &f.governorate);
    add("type", &f.aid_type);
    add("agency", &f.agency);
    add("band", &f.band);
    if limit != PAGE {
        p.push(format!("limit={limit}"));
    }
    p.join("&")
}

struct Shown {
    rows: Vec<OverlapRow>,
    totals: OverlapTotals,
    next_cursor: Option<String>,
    by_pair: Option<Vec<Bar>>,
    by_month: Option<Vec<Bar>>,
}

/// `GET /ui/reports`.
pub async fn page(ctx: Ctx, s: Data<Services>, q: Query<ReportQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(ROLES)?;
    let l = ctx.lang;
    let (f, problems) = filter(l, &q);
    let limit = nonempty(&q.limit).and_then(|v| v.parse::<usize>().ok()).filter(|n| (1..=MAX_PAGE).contains(n));
    let limit = limit.unwrap_or(PAGE);
    let cursor = nonempty(&q.cursor).filter(|c| c.len() <= 64);
    let who = session.principal.clone();
    let filter = f.clone();
    let first = cursor.is_none();
    let shown = run(l, move || {
        if let Some(c) = cursor {
            let r = reports::overlaps(&s, &who, &filter, Some(&c), Some(limit))?;
            return Ok(Shown {
                rows: r.rows,
                totals: r.totals,
                next_cursor: r.next_cursor,
                by_pair: None,
                by_month: None,
            });
        }
        let r = reports::overlaps(&s, &who, &filter, None, None)?;
        let (by_pair, by_month) = buckets(&r.rows);
        let mut rows = r.rows;
        let next_cursor = (rows.len() > limit).then(|| rows[limit - 1].flag_id.clone());
        rows.truncate(limit);
        Ok(Shown { rows, totals: r.totals, next_cursor, by_pair: Some(by_pair), by_month: Some(by_month) })
    })
    .await?;
    let qs = query_of(&f, limit);
    let base = if qs.is_empty() { "/ui/reports?".to_owned() } else { format!("/ui/reports?{qs}&") };
    let csv_href =
        if qs.is_empty() { "/ui/reports/overlaps.csv".to_owned() } else { format!("/ui/reports/overlaps.csv?{qs}") };
    let body = html! {
        h1 { (l.t("تقرير المساعدات المتداخلة", "Overlapping aid report")) }
        (filters(l, &f))
        @for p in &problems { p.error role="alert" { (p) } }
        (totals(l, &shown.totals))
        p { a.button #csv href=(csv_href) download="overlaps.csv" { (l.t("تنزيل التقرير كاملاً (CSV)", "Download the whole report (CSV)")) } }
        @if let (Some(pairs), Some(months)) = (&shown.by_pair, &shown.by_month) {
            @if !pairs.is_empty() {
                div.charts {
                    section.card {
                        h2 { (l.t("حسب زوج الجهات", "By agency pair")) }
                        (chart::horizontal(l, l.t("عدد حالات التداخل حسب زوج الجهات", "Overlaps by agency pair"), pairs))
                    }
                    section.card {
                        h2 { (l.t("حسب الشهر (بداية التداخل)", "By month (start of overlap)")) }
                        (chart::vertical(l, l.t("عدد حالات التداخل حسب الشهر", "Overlaps by month"), months))
                    }
                }
            }
        } @else {
            p.muted { (l.t("الرسوم البيانية في الصفحة الأولى.", "The charts are on the first page.")) " "
                a href=(base.trim_end_matches(['&', '?'])) { (l.t("الصفحة الأولى", "First page")) } }
        }
        h2 { (l.t("الحالات", "Overlaps")) }
        (table(l, &shown.rows))
        div.pager {
            @if !first { a href=(base.trim_end_matches(['&', '?'])) { (l.t("الصفحة الأولى", "First page")) } }
            @if let Some(c) = &shown.next_cursor {
                a.button.secondary #next href={ (base) "cursor=" (url_encode(c)) } { (l.t("الصفحة التالية", "Next page")) }
            }
            span.muted { (l.t("في هذه الصفحة", "On this page")) ": " (ltr(&words::int(shown.rows.len() as i64)))
                " " (l.t("من", "of")) " " (ltr(&words::int(shown.totals.rows as i64))) }
        }
    };
    Ok(layout::page(&ctx, Nav::Reports, l.t("تقرير التداخل", "Overlap report"), body))
}

/// Counts by agency pair (largest first, the tail folded into "others") and by month.
fn buckets(rows: &[OverlapRow]) -> (Vec<Bar>, Vec<Bar>) {
    let mut pairs: BTreeMap<String, u64> = BTreeMap::new();
    let mut months: BTreeMap<String, u64> = BTreeMap::new();
    for r in rows {
        let (a, b) =
            if r.agency <= r.matched_agency { (&r.agency, &r.matched_agency) } else { (&r.matched_agency, &r.agency) };
        *pairs.entry(format!("{a} ↔ {b}")).or_default() += 1;
        if let Some(m) = r.overlap_from.get(..7) {
            *months.entry(m.to_owned()).or_default() += 1;
        }
    }
    let mut pairs: Vec<Bar> = pairs.into_iter().map(|(label, value)| Bar { label, value }).collect();
    pairs.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.label.cmp(&b.label)));
    if pairs.len() > 12 {
        let rest: u64 = pairs[11..].iter().map(|b| b.value).sum();
        pairs.truncate(11);
        pairs.push(Bar { label: "…".into(), value: rest });
    }
    let mut months: Vec<Bar> = months.into_iter().map(|(label, value)| Bar { label, value }).collect();
    if months.len() > 36 {
        months.drain(..months.len() - 36);
    }
    (pairs, months)
}

fn filters(l: Lang, f: &ReportFilter) -> Markup {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    html! {
        form.card.filters method="get" action="/ui/reports" {
            div.row {
                div { label for="from" { (l.t("من تاريخ", "From")) } input #from type="text" name="from" value=(v(&f.from)) placeholder="YYYY-MM-DD" size="11" dir="ltr" inputmode="numeric" pattern="[0-9]{4}-[0-9]{2}-[0-9]{2}"; }
                div { label for="to" { (l.t("إلى تاريخ", "To")) } input #to type="text" name="to" value=(v(&f.to)) placeholder="YYYY-MM-DD" size="11" dir="ltr" inputmode="numeric" pattern="[0-9]{4}-[0-9]{2}-[0-9]{2}"; }
                div { label for="governorate" { (l.t("المحافظة", "Governorate")) } input #governorate type="text" name="governorate" value=(v(&f.governorate)) size="12"; }
                div {
                    label for="type" { (l.t("نوع المساعدة", "Aid type")) }
                    select #type name="type" {
                        option value="" { (l.t("الكل", "all")) }
                        @for t in AidType::ALL {
                            option value=(t.as_str()) selected[f.aid_type.as_deref() == Some(t.as_str())] { (words::aid_type(l, t.as_str())) }
                        }
                    }
                }
                div { label for="agency" { (l.t("الجهة (الرمز)", "Agency (code)")) } input #agency type="text" name="agency" value=(v(&f.agency)) size="10" dir="ltr"; }
                div {
                    label for="band" { (l.t("درجة التطابق", "Band")) }
                    select #band name="band" {
                        option value="" { (l.t("الكل", "all")) }
                        @for b in Band::ALL {
                            option value=(b.as_str()) selected[f.band.as_deref() == Some(b.as_str())] { (words::band(l, b.as_str())) }
                        }
                    }
                }
                div { button type="submit" { (l.t("تطبيق", "Apply")) } }
            }
        }
    }
}

fn totals(l: Lang, t: &OverlapTotals) -> Markup {
    html! {
        dl.totals {
            div { dt { (l.t("حالات التداخل", "Overlapping pairs")) } dd { (ltr(&words::int(t.rows as i64))) } }
            div { dt { (l.t("الأسر", "Households")) } dd { (ltr(&words::int(t.households as i64))) } }
            div { dt { (l.t("السجلات المتداخلة", "Overlapping records")) } dd { (ltr(&words::int(t.overlapping_records as i64))) } }
            div { dt { (l.t("أيام التداخل", "Overlapping days")) } dd { (ltr(&words::int(t.overlapping_days))) } }
            @for (cur, amt) in &t.amount {
                div { dt { (l.t("المبلغ المتداخل", "Overlapping amount")) " (" (cur) ")" } dd { (ltr(&words::amount(*amt))) } }
            }
        }
    }
}

fn money(a: Option<f64>, c: &Option<String>) -> Markup {
    match a {
        Some(v) => ltr(&format!("{} {}", words::amount(v), c.as_deref().unwrap_or(""))),
        None => html! { span.muted { "—" } },
    }
}

fn table(l: Lang, rows: &[OverlapRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            p.card { (l.t("لا توجد حالات تداخل بهذه الشروط.", "No overlaps match.")) }
        } @else {
            div.table-wrap {
                table #rows {
                    thead { tr {
                        th { (l.t("الأسرة", "Household")) }
                        th { (l.t("الجهتان", "Agencies")) }
                        th { (l.t("النوع", "Type")) }
                        th { (l.t("فترة التداخل", "Overlap")) }
                        th.n { (l.t("أيام", "Days")) }
                        th.n { (l.t("المبلغ", "Amount")) }
                        th.n { (l.t("مبلغ الجهة الأخرى", "Other agency's amount")) }
                        th { (l.t("التطابق", "Match")) }
                        th { (l.t("المراجعة", "Review")) }
                    } }
                    tbody {
                        @for r in rows {
                            tr {
                                td { a href={ "/ui/households/" (r.household_id) } { (ltr(short(&r.household_id))) } }
                                td { (auto(&r.agency)) " ↔ " (auto(&r.matched_agency)) }
                                td { (words::aid_type(l, &r.aid_type)) }
                                td { (ltr(&r.overlap_from)) " – " (ltr(&r.overlap_to)) }
                                td.n { (ltr(&words::int(r.overlapping_days))) }
                                td.n { (money(r.amount, &r.currency)) }
                                td.n { (money(r.matched_amount, &r.matched_currency)) }
                                td { (layout::score(l, r.score, &r.band)) }
                                td { (words::status(l, &r.review_status)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /ui/reports/overlaps.csv`: every row the filters select, as the API's CSV, with a byte
/// order mark so that spreadsheets read the Arabic right.
pub async fn csv(ctx: Ctx, s: Data<Services>, q: Query<ReportQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(ROLES)?;
    let l = ctx.lang;
    let (f, problems) = filter(l, &q);
    if !problems.is_empty() {
        return Err(UiError::Api(l, crate::error::ApiError::field("filter", problems.join(" "))));
    }
    let who = session.principal.clone();
    let body = run(l, move || {
        let r = reports::overlaps(&s, &who, &f, None, None)?;
        Ok(reports::overlaps_csv(&r.rows))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"overlaps.csv\""))
        .body(format!("\u{FEFF}{body}")))
}
