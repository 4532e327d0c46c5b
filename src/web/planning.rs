//! The planning pages: the map of the governorates coloured by a measure the user picks, with
//! a governorate's localities as a table; the coverage report with its suppressed cells and the
//! coordinators' needs upload; who does what where with its CSV and HXL downloads; and the
//! directory, where each agency edits its own description and services. Everything comes from
//! `service::planning` and `service::directory`, the use cases the API calls.
//!
//! The map is inline SVG drawn from the boundaries vendored in `bawaba-places` (no tiles, no
//! script, no network); its attribution is shown under it. Choosing another measure reloads the
//! page with the map recoloured (a form, as every filter of the pages).

use std::collections::HashMap;

use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path, Query};
use maud::{Markup, html};

use super::layout::{self, Nav, auto, ltr};
use super::words::{self, Lang};
use super::{Ctx, UiError, run, see_other, url_encode};
use bawaba_places::{BOUNDARIES_ATTRIBUTION, GEONAMES_ATTRIBUTION, governorate_centroids, governorate_paths};
use bawaba_wire::directory::{
    Contact, Organization, OrganizationBody, ServiceBody, ServicePatch, WhoWhatWhereQuery, WhoWhatWhereRow,
};
use bawaba_wire::domain::{AidType, Group, OrgKind, ServiceStatus};
use bawaba_wire::planning::{CoverageQuery, CoverageReport, CoverageRow};

use crate::service::Services;
use crate::service::auth::Role;
use crate::service::error::ServiceError;
use crate::service::{directory, planning};

/// Who may open the directory and the 3W pages: every signed-in role.
pub const DIRECTORY_ROLES: &[Role] =
    &[Role::Admin, Role::Submitter, Role::Caseworker, Role::Auditor, Role::Coordinator];

type PageQuery = HashMap<String, String>;

fn take(q: &mut PageQuery, k: &str) -> Option<String> {
    q.remove(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty() && v.len() <= 200)
}

/// The most rows the who-does-what-where page draws: a national 3W has tens of thousands (one per
/// organisation, sector, place and period); the filters narrow it and the downloads hold all.
const W3_ROWS: usize = 500;

const MAP_W: f64 = 360.0;
const MAP_H: f64 = 560.0;

/// The measures the map can be coloured by.
const MEASURES: [&str; 5] = ["reached", "coverage", "gap", "agencies", "overlaps"];

fn measure_name(l: Lang, m: &str) -> &'static str {
    match m {
        "coverage" => l.t("نسبة التغطية", "Coverage"),
        "gap" => l.t("الفجوة", "Gap"),
        "agencies" => l.t("الجهات العاملة", "Agencies present"),
        "overlaps" => l.t("أسر خدمتها جهتان أو أكثر", "Households served by two or more"),
        _ => l.t("الأسر التي وصلتها المساعدة", "Households reached"),
    }
}

/// A row's value for a measure: `Err(())` when suppressed, `Ok(None)` when there is none.
fn value(r: &CoverageRow, m: &str) -> Result<Option<f64>, ()> {
    let hidden = |v: Option<i64>| if v.is_none() && r.suppressed { Err(()) } else { Ok(v.map(|v| v as f64)) };
    match m {
        "coverage" => {
            if r.coverage.is_none() && r.suppressed && r.households_targeted.is_some() {
                Err(())
            } else {
                Ok(r.coverage)
            }
        }
        "gap" => {
            if r.households_in_need.is_none() {
                Ok(None)
            } else {
                hidden(r.gap)
            }
        }
        "agencies" => Ok(Some(r.agencies.len() as f64)),
        "overlaps" => hidden(r.households_reached_by_two_or_more),
        _ => hidden(r.households_reached),
    }
}

fn shown(m: &str, v: f64) -> String {
    if m == "coverage" { words::percent(v) } else { words::int(v.round() as i64) }
}

/// Six steps of one blue, lightest first.
const STEPS: [&str; 6] = ["#f1f6fb", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
const NO_DATA: &str = "#e4e4e4";

fn colour(m: &str, v: f64, max: f64) -> &'static str {
    let share = if m == "coverage" {
        v.clamp(0.0, 1.0)
    } else if max > 0.0 {
        (v / max).clamp(0.0, 1.0)
    } else {
        0.0
    };
    if v <= 0.0 {
        return STEPS[0];
    }
    STEPS[((share * 5.0).ceil() as usize).clamp(1, 5)]
}

fn coverage_query(from: Option<String>, to: Option<String>, sector: Option<String>) -> CoverageQuery {
    CoverageQuery { from, to, sector, ..CoverageQuery::default() }
}

/// `GET /ui/map`.
pub async fn map(ctx: Ctx, s: Data<Services>, q: Query<PageQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(planning::READ)?;
    let l = ctx.lang;
    let mut q = q.into_inner();
    let measure =
        take(&mut q, "measure").filter(|m| MEASURES.contains(&m.as_str())).unwrap_or_else(|| "reached".into());
    let sector = take(&mut q, "sector").filter(|t| AidType::parse(t).is_some());
    let (from, to) = (take(&mut q, "from"), take(&mut q, "to"));
    let governorate = take(&mut q, "governorate");
    let who = session.principal.clone();
    let (top_q, gov_q) = {
        let top = coverage_query(from.clone(), to.clone(), sector.clone());
        let gov = governorate.clone().map(|g| CoverageQuery { governorate: Some(g), ..top.clone() });
        (top, gov)
    };
    let (top, localities, names) = run(l, move || {
        let top = planning::coverage_with(&s, &who, &top_q, false)?;
        let localities = match &gov_q {
            Some(g) => Some(planning::coverage(&s, &who, g)?),
            None => None,
        };
        let g = s.places.read();
        let names: HashMap<String, (String, String)> = g
            .places(Some(bawaba_places::PlaceKind::Governorate))
            .into_iter()
            .map(|p| (p.code.clone(), (p.name_ar.clone(), p.name_en.clone())))
            .collect();
        let chosen = gov_q.and_then(|q| q.governorate).and_then(|t| g.resolve(Some(&t), None).governorate_code);
        drop(g);
        Ok((top, localities.map(|r| (r, chosen)), names))
    })
    .await?;
    let rows: HashMap<String, &CoverageRow> =
        top.rows.iter().filter(|r| r.group.is_none()).filter_map(|r| r.area.as_ref().map(|a| (a.clone(), r))).collect();
    let values: HashMap<&str, Result<Option<f64>, ()>> =
        rows.iter().map(|(code, r)| (code.as_str(), value(r, &measure))).collect();
    let max = values.values().filter_map(|v| v.ok().flatten()).fold(0.0f64, f64::max);
    let mut keep = Vec::new();
    for (k, v) in
        [("measure", Some(measure.clone())), ("sector", sector.clone()), ("from", from.clone()), ("to", to.clone())]
    {
        if let Some(v) = v {
            keep.push(format!("{k}={}", url_encode(&v)));
        }
    }
    let keep = keep.join("&");
    let name = |code: &str| {
        names
            .get(code)
            .map(|(ar, en)| if l == Lang::Ar || en.is_empty() { ar.clone() } else { en.clone() })
            .unwrap_or_default()
    };
    let centroids: HashMap<String, (f64, f64)> = governorate_centroids(MAP_W, MAP_H).into_iter().collect();
    let title = l.t("خريطة التغطية", "Coverage map");
    let body = html! {
        h1 { (title) }
        form.card.filters method="get" action="/ui/map" {
            div.row {
                div {
                    label for="measure" { (l.t("المقياس", "Measure")) }
                    select #measure name="measure" {
                        @for m in MEASURES {
                            option value=(m) selected[m == measure] { (measure_name(l, m)) }
                        }
                    }
                }
                (sector_select(l, sector.as_deref(), true))
                (date_inputs(l, &from, &to))
                @if let Some(g) = &governorate { input type="hidden" name="governorate" value=(g); }
                div { button #show type="submit" { (l.t("عرض", "Show")) } }
            }
        }
        div.map-layout {
            figure.card.map {
                svg #map viewBox={ "0 0 " (MAP_W) " " (MAP_H) } role="img" aria-label=(measure_name(l, &measure)) data-measure=(measure) {
                    defs {
                        pattern #hatch width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)" {
                            rect width="6" height="6" fill="#f4f4f4" {}
                            line x1="0" y1="0" x2="0" y2="6" stroke="#9a9a9a" stroke-width="2" {}
                        }
                    }
                    @for (code, d) in governorate_paths(MAP_W, MAP_H) {
                        @let v = values.get(code.as_str()).copied().unwrap_or(Ok(None));
                        @let fill = match v { Err(()) => "url(#hatch)", Ok(None) => NO_DATA, Ok(Some(x)) => colour(&measure, x, max) };
                        @let label = match v {
                            Err(()) => l.t("محجوب (عدد صغير)", "suppressed (small count)").to_owned(),
                            Ok(None) => l.t("لا بيانات", "no data").to_owned(),
                            Ok(Some(x)) => shown(&measure, x),
                        };
                        a id={ "link-" (code) } href={ "/ui/map?governorate=" (code) @if !keep.is_empty() { "&" (keep) } } {
                            path.gov id={ "gov-" (code) } d=(d) fill=(fill) data-code=(code) data-value=(label)
                                aria-current=[(governorate_is(&localities, &code)).then_some("true")] {
                                title { (name(&code)) ": " (label) }
                            }
                        }
                    }
                    @for (code, (x, y)) in &centroids {
                        @if let Some(Ok(Some(v))) = values.get(code.as_str()) {
                            text.map-value x=(x) y=(y) text-anchor="middle" { (shown(&measure, *v)) }
                        }
                    }
                }
                figcaption {
                    (legend(l, &measure, max))
                    p.attribution { (BOUNDARIES_ATTRIBUTION) br; (GEONAMES_ATTRIBUTION) }
                }
            }
            section.card.map-side {
                @if let Some((report, code)) = &localities {
                    h2 #localities-title { (l.t("مناطق محافظة", "Localities of")) " " (name(code.as_deref().unwrap_or_default())) }
                    (coverage_table(l, "localities", &report.rows))
                } @else {
                    h2 { (l.t("اختر محافظة", "Pick a governorate")) }
                    p.muted { (l.t("اضغط على محافظة في الخريطة لترى مناطقها: الأسر التي وصلتها المساعدة، الجهات، الاحتياج والفجوة.",
                        "Click a governorate on the map to see its localities: households reached, agencies, need and gap.")) }
                    (coverage_table(l, "governorates", &top.rows))
                }
            }
        }
    };
    Ok(layout::page(&ctx, Nav::Map, title, body))
}

fn governorate_is(l: &Option<(CoverageReport, Option<String>)>, code: &str) -> bool {
    l.as_ref().is_some_and(|(_, c)| c.as_deref() == Some(code))
}

fn legend(l: Lang, m: &str, max: f64) -> Markup {
    let top = if m == "coverage" { 1.0 } else { max };
    html! {
        ul.legend {
            li.scale {
                span.end { (ltr("0")) }
                @for c in STEPS {
                    svg.swatch width="14" height="14" aria-hidden="true" { rect width="14" height="14" fill=(c) {} }
                }
                span.end { (ltr(&shown(m, top))) }
            }
            li { svg.swatch width="14" height="14" aria-hidden="true" { rect width="14" height="14" fill=(NO_DATA) {} } (l.t("لا بيانات", "no data")) }
            li { span.swatch.hatch {} (l.t("محجوب: أقل من 5 أسر", "suppressed: fewer than 5 households")) }
        }
    }
}

fn sector_select(l: Lang, chosen: Option<&str>, all_together: bool) -> Markup {
    html! {
        div {
            label for="sector" { (l.t("القطاع", "Sector")) }
            select #sector name="sector" {
                option value="" { (if all_together { l.t("كل القطاعات معاً", "all sectors together") } else { l.t("الكل", "all") }) }
                @for t in AidType::ALL {
                    option value=(t.as_str()) selected[chosen == Some(t.as_str())] { (words::aid_type(l, t.as_str())) }
                }
            }
        }
    }
}

fn date_inputs(l: Lang, from: &Option<String>, to: &Option<String>) -> Markup {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    html! {
        div { label for="from" { (l.t("من تاريخ", "From")) } input #from type="text" name="from" value=(v(from)) placeholder="YYYY-MM-DD" size="11" dir="ltr"; }
        div { label for="to" { (l.t("إلى تاريخ", "To")) } input #to type="text" name="to" value=(v(to)) placeholder="YYYY-MM-DD" size="11" dir="ltr"; }
    }
}

fn count(v: Option<i64>, suppressed: bool, l: Lang) -> Markup {
    match v {
        Some(n) => ltr(&words::int(n)),
        None if suppressed => html! {
            span.suppressed title=(l.t("عدد بين 1 و4، محجوب حتى لا تُعرف حالة بعينها", "A count from 1 to 4, hidden so no case can be picked out")) { "< 5" }
        },
        None => html! { span.muted { "—" } },
    }
}

fn coverage_table(l: Lang, id: &str, rows: &[CoverageRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            p.muted { (l.t("لا توجد بيانات بهذه الشروط.", "Nothing matches.")) }
        } @else {
            div.table-wrap {
                table id=(id) {
                    thead { tr {
                        th { (l.t("المنطقة", "Area")) }
                        th { (l.t("القطاع", "Sector")) }
                        th { (l.t("الفئة", "Group")) }
                        th.n { (l.t("الأسر التي وصلتها المساعدة", "Households reached")) }
                        th.n { (l.t("خدمتها جهتان أو أكثر", "By two or more")) }
                        th { (l.t("الجهات", "Agencies")) }
                        th.n { (l.t("الاحتياج", "In need")) }
                        th.n { (l.t("المستهدف", "Targeted")) }
                        th.n { (l.t("التغطية", "Coverage")) }
                        th.n { (l.t("الفجوة", "Gap")) }
                        th { (l.t("الحالة", "Status")) }
                    } }
                    tbody {
                        @for r in rows {
                            tr class=[r.status.map(|s| s.as_str())] {
                                td { (auto(if l == Lang::Ar || r.area_name_en.is_empty() { &r.area_name } else { &r.area_name_en })) }
                                td { @if r.sector.is_empty() { (l.t("الكل", "all")) } @else { (words::aid_type(l, &r.sector)) } }
                                td { (words::group(l, r.group.as_deref().unwrap_or(""))) }
                                td.n.reached { (count(r.households_reached, r.suppressed, l)) }
                                td.n { (count(r.households_reached_by_two_or_more, r.suppressed, l)) }
                                td { @for (i, a) in r.agencies.iter().enumerate() { @if i > 0 { " · " } (auto(a)) } }
                                td.n { (count(r.households_in_need, false, l)) }
                                td.n { (count(r.households_targeted, false, l)) }
                                td.n { @match r.coverage { Some(c) => (ltr(&words::percent(c))), None => (count(None, r.suppressed && r.households_targeted.is_some(), l)) } }
                                td.n { @match r.gap { Some(g) => (ltr(&words::int(g))), None => (count(None, r.suppressed && r.households_in_need.is_some(), l)) } }
                                td { (words::coverage_status(l, r.status.map_or("", |s| s.as_str()))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---- coverage ----

fn coverage_page_query(q: &mut PageQuery) -> CoverageQuery {
    CoverageQuery {
        from: take(q, "from"),
        to: take(q, "to"),
        governorate: take(q, "governorate"),
        area: take(q, "area"),
        sector: take(q, "sector"),
        group: take(q, "group"),
        format: None,
    }
}

fn coverage_qs(f: &CoverageQuery) -> String {
    let mut p = Vec::new();
    for (k, v) in [
        ("from", &f.from),
        ("to", &f.to),
        ("governorate", &f.governorate),
        ("area", &f.area),
        ("sector", &f.sector),
        ("group", &f.group),
    ] {
        if let Some(v) = v {
            p.push(format!("{k}={}", url_encode(v)));
        }
    }
    p.join("&")
}

/// `GET /ui/coverage`.
pub async fn coverage(ctx: Ctx, s: Data<Services>, q: Query<PageQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(planning::READ)?;
    let l = ctx.lang;
    let mut q = q.into_inner();
    let done = take(&mut q, "done");
    let f = coverage_page_query(&mut q);
    let who = session.principal.clone();
    let csrf = session.csrf.clone();
    let may_write = planning::WRITE_NEEDS.contains(&who.role);
    let query = f.clone();
    let report = run(l, move || planning::coverage(&s, &who, &query)).await;
    let (report, problem) = match report {
        Ok(r) => (Some(r), None),
        Err(UiError::Api(_, ServiceError::Validation(ps))) => (None, Some(ps)),
        Err(e) => return Err(e),
    };
    let qs = coverage_qs(&f);
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let title = l.t("التغطية والفجوات", "Coverage and gaps");
    let body = html! {
        h1 { (title) }
        @if let Some(n) = &done { p.notice role="status" { (l.t("حُفظت الاحتياجات", "Needs saved")) ": " (ltr(n)) } }
        form.card.filters method="get" action="/ui/coverage" {
            div.row {
                (date_inputs(l, &f.from, &f.to))
                div { label for="governorate" { (l.t("المحافظة", "Governorate")) } input #governorate type="text" name="governorate" value=(v(&f.governorate)) size="12"; }
                div { label for="area" { (l.t("المنطقة", "Area")) } input #area type="text" name="area" value=(v(&f.area)) size="12"; }
                (sector_select(l, f.sector.as_deref(), false))
                div {
                    label for="group" { (l.t("الفئة", "Group")) }
                    select #group name="group" {
                        option value="" { (l.t("كل الأسر", "all households")) }
                        @for g in Group::ALL {
                            option value=(g.as_str()) selected[f.group.as_deref() == Some(g.as_str())] { (words::group(l, g.as_str())) }
                        }
                    }
                }
                div { button type="submit" { (l.t("تطبيق", "Apply")) } }
            }
        }
        @if let Some(ps) = &problem {
            @for p in ps { p.error role="alert" { (p.field) ": " (p.problem) } }
        }
        @if let Some(r) = &report {
            p.muted {
                (l.t("كل أسرة تُعدّ مرة واحدة مهما تعددت الجهات التي وصلتها. الأعداد من 1 إلى 4 محجوبة (< 5) حتى لا تُعرف حالة بعينها في قرية صغيرة.",
                     "Each household is counted once however many agencies reached it. Counts from 1 to 4 are hidden (< 5) so that no case in a small village can be picked out."))
            }
            dl.totals {
                div { dt { (l.t("الأسر التي وصلتها المساعدة", "Households reached")) } dd { (count(r.totals.households_reached, r.totals.suppressed, l)) } }
                div { dt { (l.t("الاحتياج", "In need")) } dd { (ltr(&words::int(r.totals.households_in_need))) } }
                div { dt { (l.t("المستهدف", "Targeted")) } dd { (ltr(&words::int(r.totals.households_targeted))) } }
                div { dt { (l.t("احتياج بلا خدمة", "Need, no service")) } dd { (ltr(&words::int(r.totals.no_service as i64))) } }
                div { dt { (l.t("خدمة مزدوجة", "Double-served")) } dd { (ltr(&words::int(r.totals.double_served as i64))) } }
            }
            p { a.button #coverage-csv href={ "/ui/coverage.csv" @if !qs.is_empty() { "?" (qs) } } download="coverage.csv" { (l.t("تنزيل (CSV)", "Download (CSV)")) } }
            (coverage_table(l, "coverage", &r.rows))
        }
        @if may_write {
            section.card #needs {
                h2 { (l.t("إدخال الاحتياجات والأهداف (CSV)", "Enter needs and targets (CSV)")) }
                p.muted {
                    (l.t("السطر الأول يسمّي الأعمدة: ", "The first line names the columns: "))
                    (ltr(&planning::NEEDS_CSV_COLUMNS.join(",")))
                    (l.t(". كل سطر يستبدل ما سبق لنفس المنطقة والقطاع والفئة والفترة.", ". Each line replaces what was entered for the same area, sector, group and period."))
                }
                form method="post" action="/ui/needs" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="needs-file" { (l.t("ملف CSV", "CSV file")) }
                    input #needs-file type="file" accept=".csv,text/csv" data-into="needs-csv";
                    label for="needs-csv" { (l.t("أو الصق محتواه هنا", "or paste its content here")) }
                    textarea #needs-csv name="csv" rows="6" dir="ltr" placeholder="area,sector,group,period_start,period_end,households_in_need,households_targeted,source" {}
                    button type="submit" { (l.t("حفظ الاحتياجات", "Save the needs")) }
                }
            }
        }
    };
    Ok(layout::page_with(&ctx, Nav::Coverage, title, body, Some("/ui/static/needs.js")))
}

/// `GET /ui/coverage.csv`.
pub async fn coverage_csv(ctx: Ctx, s: Data<Services>, q: Query<PageQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(planning::READ)?;
    let l = ctx.lang;
    let f = coverage_page_query(&mut q.into_inner());
    let who = session.principal.clone();
    let body = run(l, move || planning::coverage_csv(&s, &who, &f)).await?;
    Ok(csv_response("coverage.csv", body))
}

fn csv_response(name: &str, body: Vec<u8>) -> HttpResponse {
    let mut out = "\u{FEFF}".as_bytes().to_vec();
    out.extend(body);
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .body(out)
}

/// `POST /ui/needs`: the coordinators' CSV of needs and targets.
pub async fn needs(ctx: Ctx, s: Data<Services>, f: Form<PageQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(planning::WRITE_NEEDS)?;
    let mut f = f.into_inner();
    ctx.check_csrf(f.get("csrf").map(String::as_str).unwrap_or_default())?;
    let l = ctx.lang;
    let text = f.remove("csv").unwrap_or_default();
    let who = session.principal.clone();
    match run(l, move || planning::put_needs_csv(&s, &who, &text)).await {
        Ok(list) => Ok(see_other(&format!("/ui/coverage?done={}", list.needs.len()))),
        Err(UiError::Api(_, ServiceError::Validation(ps))) => {
            let title = l.t("لم تُحفظ الاحتياجات", "The needs were not saved");
            let body = html! {
                h1 { (title) }
                p { (l.t("لم يُحفظ شيء. صحّح هذه الأسطر ثم أعد المحاولة:", "Nothing was saved. Correct these lines and try again:")) }
                ul #needs-problems { @for p in &ps { li.error { (ltr(&p.field)) ": " (p.problem) } } }
                p { a href="/ui/coverage#needs" { (l.t("العودة", "Back")) } }
            };
            Ok(layout::page(&ctx, Nav::Coverage, title, body))
        }
        Err(e) => Err(e),
    }
}

/// `GET /ui/static/needs.js`: reads the chosen CSV file into the form's text box (the form
/// posts text, so the upload needs no multipart parsing).
pub async fn needs_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(
            "document.querySelectorAll('input[type=file][data-into]').forEach(function (input) {\n\
             \x20 input.addEventListener('change', function () {\n\
             \x20   var f = input.files && input.files[0];\n\
             \x20   if (!f) return;\n\
             \x20   f.text().then(function (t) { document.getElementById(input.dataset.into).value = t; });\n\
             \x20 });\n\
             });\n",
        )
}

// ---- who does what where ----

fn three_w_query(q: &mut PageQuery) -> WhoWhatWhereQuery {
    WhoWhatWhereQuery {
        from: take(q, "from"),
        to: take(q, "to"),
        governorate: take(q, "governorate"),
        sector: take(q, "sector"),
        organization: take(q, "organization"),
        format: None,
    }
}

/// `GET /ui/3w`.
pub async fn three_w(ctx: Ctx, s: Data<Services>, q: Query<PageQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(DIRECTORY_ROLES)?;
    let l = ctx.lang;
    let f = three_w_query(&mut q.into_inner());
    let who = session.principal.clone();
    let query = f.clone();
    let rows = run(l, move || directory::who_what_where(&s, &who, &query)).await?.rows;
    let mut p = Vec::new();
    for (k, v) in [
        ("from", &f.from),
        ("to", &f.to),
        ("governorate", &f.governorate),
        ("sector", &f.sector),
        ("organization", &f.organization),
    ] {
        if let Some(v) = v {
            p.push(format!("{k}={}", url_encode(v)));
        }
    }
    let qs = p.join("&");
    let amp = if qs.is_empty() { String::new() } else { format!("&{qs}") };
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let title = l.t("من يعمل ماذا وأين", "Who does what where");
    let body = html! {
        h1 { (title) }
        form.card.filters method="get" action="/ui/3w" {
            div.row {
                (date_inputs(l, &f.from, &f.to))
                div { label for="governorate" { (l.t("المحافظة", "Governorate")) } input #governorate type="text" name="governorate" value=(v(&f.governorate)) size="12"; }
                (sector_select(l, f.sector.as_deref(), false))
                div { label for="organization" { (l.t("الجهة (الرمز)", "Organisation (code)")) } input #organization type="text" name="organization" value=(v(&f.organization)) size="10" dir="ltr"; }
                div { button type="submit" { (l.t("تطبيق", "Apply")) } }
            }
        }
        p.row {
            a.button #w3-csv href={ "/ui/3w.csv?format=csv" (amp) } download="3w.csv" { (l.t("تنزيل CSV", "Download CSV")) }
            " "
            a.button.secondary #w3-hxl href={ "/ui/3w.csv?format=hxl" (amp) } download="3w-hxl.csv" { (l.t("تنزيل HXL", "Download HXL")) }
        }
        @if rows.len() > W3_ROWS {
            p.muted #w3-shown {
                (l.t("تُعرض أول ", "Showing the first ")) (ltr(&words::int(W3_ROWS as i64)))
                (l.t(" من ", " of ")) (ltr(&words::int(rows.len() as i64)))
                (l.t(" صفاً: ضيّق الشروط، أو نزّل الجدول كله.", " rows: narrow the filters, or download the whole table."))
            }
        }
        (three_w_table(l, &rows[..rows.len().min(W3_ROWS)]))
    };
    Ok(layout::page(&ctx, Nav::Who, title, body))
}

fn three_w_table(l: Lang, rows: &[WhoWhatWhereRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            p.card { (l.t("لا يوجد شيء بهذه الشروط.", "Nothing matches.")) }
        } @else {
            div.table-wrap {
                table #w3 {
                    thead { tr {
                        th { (l.t("الجهة", "Organisation")) }
                        th { (l.t("القطاع", "Sector")) }
                        th { (l.t("المحافظة", "Governorate")) }
                        th { (l.t("المنطقة", "Locality")) }
                        th { (l.t("الخدمات", "Services")) }
                        th { (l.t("الفترة", "Period")) }
                        th.n { (l.t("الأسر التي وصلتها المساعدة", "Households reached")) }
                    } }
                    tbody {
                        @for r in rows {
                            tr {
                                td { (auto(&r.organization_name)) " " span.muted { "(" (ltr(&r.organization)) ")" } }
                                td { (words::aid_type(l, &r.sector)) }
                                td { (auto(if l == Lang::Ar { &r.adm1_name } else { &r.adm1_name_en })) }
                                td { @if r.adm2_code.is_some() { (auto(if l == Lang::Ar { &r.adm2_name } else { &r.adm2_name_en })) } @else { span.muted { (l.t("كل المحافظة", "whole governorate")) } } }
                                td.wrap { (r.services.join(" · ")) }
                                td { (ltr(r.period_start.as_deref().unwrap_or("…"))) " – " (ltr(r.period_end.as_deref().unwrap_or("…"))) }
                                td.n { (count(r.households_reached, r.suppressed, l)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /ui/3w.csv?format=csv|hxl`.
pub async fn three_w_csv(ctx: Ctx, s: Data<Services>, q: Query<PageQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(DIRECTORY_ROLES)?;
    let l = ctx.lang;
    let mut q = q.into_inner();
    let hxl = take(&mut q, "format").as_deref() == Some("hxl");
    let f = three_w_query(&mut q);
    let who = session.principal.clone();
    let body = run(l, move || directory::who_what_where_csv(&s, &who, &f, hxl)).await?;
    Ok(csv_response(if hxl { "3w-hxl.csv" } else { "3w.csv" }, body))
}

// ---- the directory ----

/// `GET /ui/directory`.
pub async fn directory_page(ctx: Ctx, s: Data<Services>, q: Query<PageQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(DIRECTORY_ROLES)?;
    let l = ctx.lang;
    let done = q.into_inner().remove("done");
    let who = session.principal.clone();
    let csrf = session.csrf.clone();
    let orgs = run(l, move || directory::organizations(&s, &who)).await?.organizations;
    let own = session.principal.agency_code.clone();
    let admin = session.principal.role == Role::Admin;
    let title = l.t("دليل المؤسسات والخدمات", "Directory of organisations and services");
    let body = html! {
        h1 { (title) }
        @if let Some(d) = &done { p.notice role="status" { (l.t("حُفظ", "Saved")) " (" (d) ")" } }
        @for o in &orgs {
            @let mine = admin || own.as_deref() == Some(o.code.as_str());
            section.card.org id={ "org-" (o.code) } {
                h2 {
                    (auto(if (l == Lang::Ar && !o.name_ar.is_empty()) || o.name_en.is_empty() { &o.name_ar } else { &o.name_en }))
                    " " span.muted { "(" (ltr(&o.code)) ")" }
                    @if let Some(k) = o.kind { " · " span.muted { (words::org_kind(l, k.as_str())) } }
                }
                @if let Some(d) = &o.description { p { (d) } }
                (contact_line(&o.contact))
                @if o.services.is_empty() {
                    p.muted { (l.t("لا خدمات مسجلة.", "No services listed.")) }
                }
                @for sv in &o.services {
                    @if mine {
                        (service_form(l, &csrf, Some(sv)))
                    } @else {
                        div.service {
                            strong { (auto(&sv.name)) } " · " (words::aid_type(l, &sv.sector)) " · " (words::service_status(l, sv.status.as_str()))
                            @if let Some(c) = sv.capacity_households { " · " (l.t("السعة", "capacity")) " " (ltr(&words::int(c))) }
                            br;
                            span.muted { (l.t("المناطق", "Areas")) ": " (ltr(&sv.areas.join(", "))) }
                            @if !sv.groups.is_empty() {
                                " · " span.muted { @for (i, g) in sv.groups.iter().enumerate() { @if i > 0 { "، " } (words::group(l, g)) } }
                            }
                            @if let Some(e) = &sv.eligibility { br; span { (l.t("الأهلية", "Eligibility")) ": " (e) } }
                        }
                    }
                }
                @if mine {
                    details.new-service {
                        summary { (l.t("إضافة خدمة", "Add a service")) }
                        (new_service_form(l, &csrf, &o.code))
                    }
                    details.describe {
                        summary { (l.t("تعديل وصف المؤسسة", "Edit the organisation's description")) }
                        (organization_form(l, &csrf, o))
                    }
                }
            }
        }
    };
    Ok(layout::page(&ctx, Nav::Directory, title, body))
}

fn contact_line(c: &Contact) -> Markup {
    html! {
        @if c.phone.is_some() || c.email.is_some() || c.website.is_some() {
            p.contact {
                @if let Some(p) = &c.phone { (ltr(p)) " " }
                @if let Some(e) = &c.email { (ltr(e)) " " }
                @if let Some(w) = &c.website { (ltr(w)) }
            }
        }
    }
}

fn status_select(l: Lang, chosen: ServiceStatus) -> Markup {
    html! {
        select name="status" {
            @for st in ServiceStatus::ALL {
                option value=(st.as_str()) selected[*st == chosen] { (words::service_status(l, st.as_str())) }
            }
        }
    }
}

fn service_form(l: Lang, csrf: &str, sv: Option<&bawaba_wire::directory::Service>) -> Markup {
    let Some(sv) = sv else { return html! {} };
    html! {
        form.service.edit method="post" action={ "/ui/directory/services/" (sv.id) } id={ "service-" (sv.id) } {
            input type="hidden" name="csrf" value=(csrf);
            div.row {
                div { label { (l.t("اسم الخدمة", "Service name")) } input type="text" name="name" value=(sv.name) size="24"; }
                div {
                    label { (l.t("القطاع", "Sector")) }
                    select name="sector" {
                        @for t in AidType::ALL { option value=(t.as_str()) selected[sv.sector == t.as_str()] { (words::aid_type(l, t.as_str())) } }
                    }
                }
                div { label { (l.t("المناطق (رموز أو أسماء)", "Areas (codes or names)")) } input type="text" name="areas" value=(sv.areas.join(", ")) size="28" dir="ltr"; }
                div { label { (l.t("السعة (أسر)", "Capacity (households)")) } input type="number" name="capacity_households" min="0" value=(sv.capacity_households.map(|c| c.to_string()).unwrap_or_default()) size="6"; }
                div { label { (l.t("الحالة", "Status")) } (status_select(l, sv.status)) }
            }
            div.row {
                div.grow { label { (l.t("الأهلية", "Eligibility")) } input type="text" name="eligibility" value=(sv.eligibility.clone().unwrap_or_default()) size="50"; }
                div { button type="submit" { (l.t("حفظ", "Save")) } }
            }
        }
    }
}

fn new_service_form(l: Lang, csrf: &str, org: &str) -> Markup {
    html! {
        form.service.new method="post" action="/ui/directory/services" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="organization" value=(org);
            div.row {
                div { label { (l.t("اسم الخدمة", "Service name")) } input type="text" name="name" size="24" required; }
                div {
                    label { (l.t("القطاع", "Sector")) }
                    select name="sector" { @for t in AidType::ALL { option value=(t.as_str()) { (words::aid_type(l, t.as_str())) } } }
                }
                div { label { (l.t("المناطق (رموز أو أسماء)", "Areas (codes or names)")) } input type="text" name="areas" size="28"; }
                div { label { (l.t("السعة (أسر)", "Capacity (households)")) } input type="number" name="capacity_households" min="0" size="6"; }
            }
            div.row {
                div.grow { label { (l.t("الأهلية", "Eligibility")) } input type="text" name="eligibility" size="50"; }
                div { button type="submit" { (l.t("إضافة", "Add")) } }
            }
        }
    }
}

fn organization_form(l: Lang, csrf: &str, o: &Organization) -> Markup {
    html! {
        form.org-edit method="post" action={ "/ui/directory/organizations/" (o.code) } {
            input type="hidden" name="csrf" value=(csrf);
            div.row {
                div { label { (l.t("الاسم بالعربية", "Arabic name")) } input type="text" name="name_ar" value=(o.name_ar) size="24"; }
                div { label { (l.t("الاسم بالإنجليزية", "English name")) } input type="text" name="name_en" value=(o.name_en) size="24" dir="ltr"; }
                div {
                    label { (l.t("النوع", "Kind")) }
                    select name="kind" { @for k in OrgKind::ALL { option value=(k.as_str()) selected[o.kind == Some(*k)] { (words::org_kind(l, k.as_str())) } } }
                }
            }
            div.row {
                div { label { (l.t("الهاتف", "Phone")) } input type="text" name="phone" value=(o.contact.phone.clone().unwrap_or_default()) size="14" dir="ltr"; }
                div { label { (l.t("البريد", "E-mail")) } input type="text" name="email" value=(o.contact.email.clone().unwrap_or_default()) size="20" dir="ltr"; }
                div { label { (l.t("الموقع", "Website")) } input type="text" name="website" value=(o.contact.website.clone().unwrap_or_default()) size="20" dir="ltr"; }
            }
            label { (l.t("الوصف", "Description")) }
            textarea name="description" rows="2" { (o.description.clone().unwrap_or_default()) }
            button type="submit" { (l.t("حفظ الوصف", "Save the description")) }
        }
    }
}

fn list(v: Option<String>) -> Vec<String> {
    v.unwrap_or_default().split([',', '،']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn opt(f: &mut PageQuery, k: &str) -> Option<String> {
    f.remove(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn capacity(f: &mut PageQuery) -> Result<Option<i64>, ServiceError> {
    match opt(f, "capacity_households") {
        None => Ok(None),
        Some(v) => {
            v.parse::<i64>().map(Some).map_err(|_| ServiceError::field("capacity_households", "must be a whole number"))
        }
    }
}

fn form_problems(ctx: &Ctx, ps: Vec<bawaba_wire::errors::FieldProblem>) -> HttpResponse {
    let l = ctx.lang;
    let title = l.t("لم يُحفظ شيء", "Nothing was saved");
    let body = html! {
        h1 { (title) }
        ul #form-problems { @for p in &ps { li.error { (ltr(&p.field)) ": " (p.problem) } } }
        p { a href="/ui/directory" { (l.t("العودة إلى الدليل", "Back to the directory")) } }
    };
    layout::page(ctx, Nav::Directory, title, body)
}

async fn saved(ctx: &Ctx, r: Result<String, UiError>) -> Result<HttpResponse, UiError> {
    match r {
        Ok(what) => Ok(see_other(&format!("/ui/directory?done={}", url_encode(&what)))),
        Err(UiError::Api(_, ServiceError::Validation(ps))) => Ok(form_problems(ctx, ps)),
        Err(e) => Err(e),
    }
}

/// `POST /ui/directory/services/{id}`: an agency edits its own service.
pub async fn edit_service(
    ctx: Ctx,
    s: Data<Services>,
    id: Path<String>,
    f: Form<PageQuery>,
) -> Result<HttpResponse, UiError> {
    let session = ctx.require(DIRECTORY_ROLES)?;
    let mut f = f.into_inner();
    ctx.check_csrf(f.get("csrf").map(String::as_str).unwrap_or_default())?;
    let l = ctx.lang;
    let who = session.principal.clone();
    let patch = (|| {
        Ok::<_, ServiceError>(ServicePatch {
            name: opt(&mut f, "name"),
            sector: opt(&mut f, "sector")
                .map(|t| AidType::parse(&t).ok_or_else(|| ServiceError::field("sector", "unknown")))
                .transpose()?,
            areas: f.contains_key("areas").then(|| list(opt(&mut f, "areas"))),
            eligibility: opt(&mut f, "eligibility"),
            status: opt(&mut f, "status")
                .map(|t| ServiceStatus::parse(&t).ok_or_else(|| ServiceError::field("status", "unknown")))
                .transpose()?,
            capacity_households: capacity(&mut f)?,
            ..ServicePatch::default()
        })
    })();
    let r = run(l, move || directory::patch_service(&s, &who, &id, &patch?).map(|a| a.service.name)).await;
    saved(&ctx, r).await
}

/// `POST /ui/directory/services`: an agency adds a service.
pub async fn add_service(ctx: Ctx, s: Data<Services>, f: Form<PageQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(DIRECTORY_ROLES)?;
    let mut f = f.into_inner();
    ctx.check_csrf(f.get("csrf").map(String::as_str).unwrap_or_default())?;
    let l = ctx.lang;
    let who = session.principal.clone();
    let body = (|| {
        Ok::<_, ServiceError>(ServiceBody {
            organization: opt(&mut f, "organization"),
            name: opt(&mut f, "name").unwrap_or_default(),
            sector: opt(&mut f, "sector")
                .and_then(|t| AidType::parse(&t))
                .ok_or_else(|| ServiceError::field("sector", "unknown"))?,
            groups: Vec::new(),
            areas: list(opt(&mut f, "areas")),
            eligibility: opt(&mut f, "eligibility"),
            status: None,
            period_start: None,
            period_end: None,
            capacity_households: capacity(&mut f)?,
            contact: None,
        })
    })();
    let r = run(l, move || directory::create_service(&s, &who, &body?).map(|a| a.service.name)).await;
    saved(&ctx, r).await
}

/// `POST /ui/directory/organizations/{code}`: an agency edits its own description.
pub async fn edit_organization(
    ctx: Ctx,
    s: Data<Services>,
    code: Path<String>,
    f: Form<PageQuery>,
) -> Result<HttpResponse, UiError> {
    let session = ctx.require(DIRECTORY_ROLES)?;
    let mut f = f.into_inner();
    ctx.check_csrf(f.get("csrf").map(String::as_str).unwrap_or_default())?;
    let l = ctx.lang;
    let who = session.principal.clone();
    let body = (|| {
        Ok::<_, ServiceError>(OrganizationBody {
            name_ar: opt(&mut f, "name_ar"),
            name_en: opt(&mut f, "name_en"),
            kind: opt(&mut f, "kind")
                .and_then(|k| OrgKind::parse(&k))
                .ok_or_else(|| ServiceError::field("kind", "unknown"))?,
            contact: Some(Contact {
                phone: opt(&mut f, "phone"),
                email: opt(&mut f, "email"),
                website: opt(&mut f, "website"),
            }),
            description: opt(&mut f, "description"),
        })
    })();
    let r = run(l, move || directory::put_organization(&s, &who, &code, &body?).map(|o| o.code)).await;
    saved(&ctx, r).await
}
