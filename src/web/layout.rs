//! The frame every page shares: `<html lang dir>`, the header with the navigation the role may
//! use, the language switch and sign-out; and the style sheet.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::{DOCTYPE, Markup, html};

use super::Ctx;
use super::words::{self, Lang};
use bawaba_wire::households::AidEntry;

use crate::service::auth::Role;
use crate::service::{audit, planning, quality, reports, review, search};

const CSS: &str = include_str!("assets/app.css");

/// `GET /ui/static/app.css`.
pub async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(CSS)
}

/// Which page of the navigation is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Search,
    Review,
    Reports,
    Audit,
    Quality,
    Map,
    Coverage,
    Who,
    Directory,
    Docs,
    None,
}

/// The same URL in the other language.
pub fn switch_href(here: &str, to: Lang) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut parts: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && !p.starts_with("lang=")).collect();
    let lang = format!("lang={}", to.code());
    parts.push(&lang);
    format!("{path}?{}", parts.join("&"))
}

fn head(l: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="same-origin";
            title { (title) " · " (l.t("بوابة", "bawaba")) }
            link rel="stylesheet" href="/ui/static/app.css";
        }
    }
}

/// A full page for a signed-in (or signing-in) user.
pub fn page(ctx: &Ctx, nav: Nav, title: &str, body: Markup) -> HttpResponse {
    page_with(ctx, nav, title, body, None)
}

/// A full page, with an extra script (served by the gateway) at the end.
pub fn page_with(ctx: &Ctx, nav: Nav, title: &str, body: Markup, script: Option<&str>) -> HttpResponse {
    let l = ctx.lang;
    let role = ctx.session.as_ref().map(|(_, s)| s.principal.role);
    let can = |roles: &[Role]| role.is_some_and(|r| roles.contains(&r));
    let markup = html! {
        (DOCTYPE)
        html lang=(l.code()) dir=(l.dir()) {
            (head(l, title))
            body {
                header.top {
                    a.brand href="/ui/" { span.logo { "بوابة" } span.sub { "bawaba" } }
                    nav {
                        @if can(search::ROLES) {
                            a href="/ui/search" aria-current=[(nav == Nav::Search).then_some("page")] { (l.t("البحث عن أسرة", "Household search")) }
                        }
                        @if can(review::ROLES) {
                            a href="/ui/review" aria-current=[(nav == Nav::Review).then_some("page")] { (l.t("المراجعة", "Review")) }
                        }
                        @if can(reports::ROLES) {
                            a href="/ui/reports" aria-current=[(nav == Nav::Reports).then_some("page")] { (l.t("تقرير التداخل", "Overlap report")) }
                        }
                        @if can(audit::READ) {
                            a href="/ui/audit" aria-current=[(nav == Nav::Audit).then_some("page")] { (l.t("سجل التدقيق", "Audit log")) }
                        }
                        @if can(quality::PAGE) {
                            a href="/ui/quality" aria-current=[(nav == Nav::Quality).then_some("page")] { (l.t("جودة المطابقة", "Match quality")) }
                        }
                        @if can(planning::READ) {
                            a href="/ui/map" aria-current=[(nav == Nav::Map).then_some("page")] { (l.t("الخريطة", "Map")) }
                            a href="/ui/coverage" aria-current=[(nav == Nav::Coverage).then_some("page")] { (l.t("التغطية", "Coverage")) }
                        }
                        @if role.is_some() {
                            a href="/ui/3w" aria-current=[(nav == Nav::Who).then_some("page")] { (l.t("من يعمل أين", "Who does what where")) }
                            a href="/ui/directory" aria-current=[(nav == Nav::Directory).then_some("page")] { (l.t("الدليل", "Directory")) }
                        }
                        a href="/docs" aria-current=[(nav == Nav::Docs).then_some("page")] { (l.t("توثيق الواجهة", "API docs")) }
                    }
                    div.who {
                        a.lang href=(switch_href(&ctx.here, l.other())) lang=(l.other().code()) hreflang=(l.other().code()) {
                            (l.other().t("العربية", "English"))
                        }
                        @if let Some((_, s)) = &ctx.session {
                            span.agency {
                                @if let Some(name) = s.display_name.as_deref().or(s.principal.username.as_deref()) {
                                    a.user href="/ui/password" title=(l.t("تغيير كلمة المرور", "Change your password")) { bdi { (name) } }
                                    " · "
                                }
                                bdi { (s.principal.agency_code.as_deref().unwrap_or("—")) }
                                " · " (words::key_role(l, s.principal.role.as_str()))
                            }
                            form.inline method="post" action="/ui/logout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button.link type="submit" { (l.t("خروج", "Sign out")) }
                            }
                        }
                    }
                }
                main { (body) }
                @if let Some(src) = script {
                    script src=(src) {}
                }
            }
        }
    };
    html_response(StatusCode::OK, markup)
}

/// A page that only says something (errors).
pub fn message(l: Lang, status: StatusCode, title: &str, text: &str) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang=(l.code()) dir=(l.dir()) {
            (head(l, title))
            body {
                header.top {
                    a.brand href="/ui/" { span.logo { "بوابة" } span.sub { "bawaba" } }
                }
                main {
                    section.card.message {
                        h1 { (title) }
                        p { (text) }
                        p.row {
                            a href="/ui/search" { (l.t("إلى الصفحة الرئيسية", "To the start page")) }
                            a href="/ui/login" { (l.t("الدخول بمفتاح آخر", "Sign in with another key")) }
                        }
                    }
                }
            }
        }
    };
    html_response(status, markup)
}

/// An HTML answer.
pub fn html_response(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(markup.into_string())
}

/// A value that must keep its own direction inside text of the other (IDs, dates, numbers).
pub fn ltr(v: &str) -> Markup {
    html! { bdi.ltr dir="ltr" { (v) } }
}

/// A value with its own direction, whatever script it is in (names).
pub fn auto(v: &str) -> Markup {
    html! { bdi { (v) } }
}

/// A score as a percentage with its band.
pub fn score(l: Lang, score: f64, band: &str) -> Markup {
    html! {
        span class={ "band band-" (band) } {
            (ltr(&words::percent(score))) " · " (words::band(l, band))
        }
    }
}

/// The evidence of a match as a list of sentences, folded under a one-line summary unless
/// `open`.
pub fn evidence(l: Lang, items: &[bawaba_wire::domain::EvidenceItem], open: bool) -> Markup {
    let lines = words::sentences(l, items);
    let count = |sign: i8| lines.iter().filter(|s| s.sign == sign).count() as i64;
    html! {
        @if lines.is_empty() {
            p.muted { (l.t("لا توجد تفاصيل للمقارنة.", "No details of the comparison.")) }
        } @else {
            details.evidence open[open] {
                summary {
                    (l.t("لماذا", "Why")) ": "
                    (ltr(&words::int(count(1)))) " " (l.t("ترجّح التطابق", "for a match")) (l.t("، ", ", "))
                    (ltr(&words::int(count(-1)))) " " (l.t("ترجّح الاختلاف", "against")) (l.t("، ", ", "))
                    (ltr(&words::int(count(0)))) " " (l.t("لا تؤثر", "do not count"))
                }
                ul.evidence {
                    @for s in &lines {
                        li class=(match s.sign { 1 => "for", -1 => "against", _ => "neutral" }) {
                            strong { (s.what) ": " } (s.verdict)
                            @if !s.ours.is_empty() || !s.theirs.is_empty() {
                                " "
                                span.values {
                                    "(" (auto(if s.ours.is_empty() { "—" } else { &s.ours }))
                                    " " (s.relation) " "
                                    (auto(if s.theirs.is_empty() { "—" } else { &s.theirs })) ")"
                                }
                            }
                            " " span.strength { "— " (s.strength) }
                        }
                    }
                }
            }
        }
    }
}

/// The last characters of an id, enough to tell households apart on screen (ids are
/// time-ordered, so their first characters are alike).
pub fn short(id: &str) -> &str {
    let n = id.chars().count();
    let at = id.char_indices().nth(n.saturating_sub(8)).map_or(0, |(i, _)| i);
    &id[at..]
}

/// An aid history table, newest first, at most `max` rows.
pub fn aid_table(l: Lang, aid: &[AidEntry], max: Option<usize>) -> Markup {
    let mut rows: Vec<&AidEntry> = aid.iter().collect();
    rows.sort_by(|a, b| b.period_start.cmp(&a.period_start));
    let shown = max.unwrap_or(rows.len()).min(rows.len());
    html! {
        @if rows.is_empty() {
            p.muted { (l.t("لا توجد مساعدات مسجلة.", "No aid recorded.")) }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th { (l.t("الجهة", "Agency")) }
                        th { (l.t("النوع", "Type")) }
                        th { (l.t("البرنامج", "Programme")) }
                        th { (l.t("من", "From")) }
                        th { (l.t("إلى", "To")) }
                        th.n { (l.t("المبلغ", "Amount")) }
                        th { (l.t("السجل", "Record")) }
                    } }
                    tbody {
                        @for a in &rows[..shown] {
                            tr class=[a.withdrawn_at.is_some().then_some("withdrawn")] {
                                td { (auto(&a.agency)) }
                                td {
                                    (words::aid_type(l, &a.aid_type))
                                    @if a.withdrawn_at.is_some() {
                                        " " span.tag.withdrawn { (words::status(l, "withdrawn")) }
                                    }
                                }
                                td.wrap { (a.program.as_deref().map(auto).unwrap_or_else(|| html! { span.muted { "—" } })) }
                                td { (ltr(&a.period_start)) }
                                td { (ltr(&a.period_end)) }
                                td.n {
                                    @if let Some(v) = a.amount {
                                        (ltr(&format!("{} {}", words::amount(v), a.currency.as_deref().unwrap_or(""))))
                                    } @else { span.muted { "—" } }
                                }
                                td {
                                    @if let Some(r) = &a.record_id {
                                        a.record href={ "/ui/records/" (super::url_encode(r)) } {
                                            (l.t("التاريخ", "History"))
                                        }
                                    } @else { span.muted { "—" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_keeps_the_query() {
        assert_eq!(switch_href("/ui/reports?band=certain&lang=ar", Lang::En), "/ui/reports?band=certain&lang=en");
        assert_eq!(switch_href("/ui/search", Lang::Ar), "/ui/search?lang=ar");
    }
}
