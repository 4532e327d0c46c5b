//! The auditor's overlap report: filters, totals, charts by agency pair and by month, the rows a
//! page at a time, and the whole report as CSV. Everything comes from `service::reports`
//! (audited there) with the API's own query ([`ReportQuery`]).
//!
//! The service walks the selection once per page: the totals, the counts the charts draw and
//! the page's rows come from that one walk. Later pages show the totals but not the charts.

use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use maud::{Markup, html};

use super::chart::{self, Bar};
use super::layout::{self, Nav, auto, ltr, short};
use super::words::{self, Lang};
use super::{Ctx, UiError, run, url_encode};
use bawaba_wire::domain::{AidType, Band};
use bawaba_wire::reports::{OverlapRow, OverlapTotals, ReportQuery};

use crate::http::streamed;
use crate::service::Services;
use crate::service::reports::{self, Counts, LeftOut, ROLES};

const PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// The page's query: the API's report query, and whatever else a page's URL carries (`lang`),
/// which the API's strict query would refuse.
type PageQuery = std::collections::HashMap<String, String>;

/// The API's query, from the page parameters it knows.
fn report_query(mut q: PageQuery) -> ReportQuery {
    let mut take = |k: &str| q.remove(k);
    ReportQuery {
        from: take("from"),
        to: take("to"),
        governorate: take("governorate"),
        area: take("area"),
        aid_type: take("type"),
        agency: take("agency"),
        band: take("band"),
        status: take("status"),
        format: None,
        limit: take("limit"),
        cursor: take("cursor"),
    }
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty() && s.len() <= 200).map(str::to_owned)
}

/// The filter read forgivingly by the service, with what it left out said in the page's words.
fn filter(l: Lang, q: &ReportQuery) -> (ReportQuery, Vec<&'static str>) {
    let (f, left_out) = reports::forgiving(q);
    let problems = left_out
        .into_iter()
        .map(|p| match p {
            LeftOut::From => l.t("تاريخ البداية غير صالح.", "The start date is not valid."),
            LeftOut::To => l.t("تاريخ النهاية غير صالح.", "The end date is not valid."),
            LeftOut::ToBeforeFrom => l.t("تاريخ النهاية قبل تاريخ البداية.", "The end date is before the start date."),
        })
        .collect();
    (f, problems)
}

/// The filter as a query string (for paging and the CSV link).
fn query_of(f: &ReportQuery, limit: usize) -> String {
    let mut p = Vec::new();
    let mut add = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            p.push(format!("{k}={}", url_encode(v)));
        }
    };
    add("from", &f.from);
    add("to", &f.to);
    add("governorate", &f.governorate);
    add("area", &f.area);
    add("type", &f.aid_type);
    add("agency", &f.agency);
    add("band", &f.band);
    add("status", &f.status);
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
pub async fn page(ctx: Ctx, s: Data<Services>, q: Query<PageQuery>) -> Result<HttpResponse, UiError> {
    let q = report_query(q.into_inner());
    let session = ctx.require(ROLES)?;
    let l = ctx.lang;
    let (f, problems) = filter(l, &q);
    let limit = nonempty(&q.limit).and_then(|v| v.parse::<usize>().ok()).filter(|n| (1..=MAX_PAGE).contains(n));
    let limit = limit.unwrap_or(PAGE);
    let cursor = nonempty(&q.cursor).filter(|c| c.len() <= 64);
    let who = session.principal.clone();
    let first = cursor.is_none();
    let query = ReportQuery { limit: Some(limit.to_string()), cursor, ..f.clone() };
    let shown = run(l, move || {
        let (r, counts) = reports::overlaps_with_counts(&s, &who, &query)?;
        let (by_pair, by_month) = if first { buckets(counts) } else { (Vec::new(), Vec::new()) };
        Ok(Shown {
            rows: r.rows,
            totals: r.totals,
            next_cursor: r.next_cursor,
            by_pair: first.then_some(by_pair),
            by_month: first.then_some(by_month),
        })
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
fn buckets(counts: Counts) -> (Vec<Bar>, Vec<Bar>) {
    let Counts { by_pair, by_month } = counts;
    let mut pairs: Vec<Bar> =
        by_pair.into_iter().map(|((a, b), value)| Bar { label: format!("{a} ↔ {b}"), value }).collect();
    pairs.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.label.cmp(&b.label)));
    if pairs.len() > 12 {
        let rest: u64 = pairs[11..].iter().map(|b| b.value).sum();
        pairs.truncate(11);
        pairs.push(Bar { label: "…".into(), value: rest });
    }
    let mut months: Vec<Bar> = by_month.into_iter().map(|(label, value)| Bar { label, value }).collect();
    if months.len() > 36 {
        months.drain(..months.len() - 36);
    }
    (pairs, months)
}

fn filters(l: Lang, f: &ReportQuery) -> Markup {
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
                div {
                    label for="status" { (l.t("حالة المراجعة", "Review status")) }
                    select #status name="status" {
                        option value="" { (l.t("الكل عدا المرفوض", "all but dismissed")) }
                        @for st in ["open", "confirmed", "dismissed"] {
                            option value=(st) selected[f.status.as_deref() == Some(st)] { (words::status(l, st)) }
                        }
                        option value="all" selected[f.status.as_deref() == Some("all")] { (l.t("الكل", "all")) }
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
pub async fn csv(ctx: Ctx, s: Data<Services>, q: Query<PageQuery>) -> Result<HttpResponse, UiError> {
    let q = report_query(q.into_inner());
    let session = ctx.require(ROLES)?;
    let l = ctx.lang;
    let (f, problems) = filter(l, &q);
    if !problems.is_empty() {
        return Err(UiError::Api(l, crate::service::error::ServiceError::field("filter", problems.join(" "))));
    }
    let who = session.principal.clone();
    reports::csv_allowed(&who, &f).map_err(|e| UiError::Api(l, e))?;
    let body = streamed(move |sink| {
        // A byte order mark first, so that spreadsheets read the Arabic right.
        if !sink("\u{FEFF}".as_bytes().to_vec()) {
            return Ok(());
        }
        reports::overlaps_csv(&s, &who, &f, sink)
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"overlaps.csv\""))
        .streaming(body))
}
