//! One household: its members as every agency knows them, its aid history across agencies and
//! its open flags with their evidence. The view is `service::households::get`, audited there.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use maud::{Markup, html};

use super::layout::{self, Nav, auto, ltr};
use super::search::{ROLES, aid_table, short};
use super::words::{self, Lang};
use super::{Ctx, UiError, run};
use crate::service::Services;
use crate::service::auth::Role;
use crate::service::households::{self, KnownMember};
use crate::service::records::StoredFlag;

/// `GET /ui/households/{id}`.
pub async fn page(ctx: Ctx, s: Data<Services>, id: Path<String>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(ROLES)?;
    let l = ctx.lang;
    let id = id.into_inner();
    if id.len() > 100 {
        return Err(UiError::NotFound(l));
    }
    let who = session.principal.clone();
    let may_review = matches!(who.role, Role::Caseworker | Role::Auditor);
    let csrf = session.csrf.clone();
    let back = ctx.here.clone();
    let v = run(l, move || households::get(&s, &who, &id)).await?;
    let head = v.members.iter().find(|m| m.member.role == "head").or(v.members.first());
    let title = head.map(|m| m.member.name.clone()).unwrap_or_else(|| short(&v.household_id).to_owned());
    let agencies: std::collections::BTreeSet<&str> = v.members.iter().map(|m| m.agency.as_str()).collect();
    let body = html! {
        h1 { (l.t("أسرة", "Household")) " " (auto(&title)) }
        section.card {
            dl.facts {
                dt { (l.t("رقم الأسرة في البوابة", "Gateway household id")) } dd { (ltr(&v.household_id)) }
                @if let Some(m) = &v.merged_from {
                    dt { (l.t("دُمجت من", "Merged from")) } dd { (ltr(m)) }
                }
                dt { (l.t("الجهات التي تعرفها", "Agencies that know it")) }
                dd { @for (i, a) in agencies.iter().enumerate() { @if i > 0 { "، " } (auto(a)) } }
                dt { (l.t("عدد سجلات الأفراد", "Member entries")) } dd { (ltr(&words::int(v.members.len() as i64))) }
                dt { (l.t("تنبيهات مفتوحة", "Open flags")) } dd { (ltr(&words::int(v.open_flags.len() as i64))) }
            }
        }
        h2 { (l.t("الأفراد كما تعرفهم كل جهة", "Members as each agency knows them")) }
        (members(l, &v.members))
        h2 { (l.t("المساعدات من كل الجهات", "Aid from every agency")) }
        (aid_table(l, &v.aid_history, None))
        h2 { (l.t("تنبيهات مفتوحة", "Open flags")) }
        @if v.open_flags.is_empty() {
            p.muted { (l.t("لا توجد تنبيهات مفتوحة.", "No open flags.")) }
        }
        @for f in &v.open_flags { (flag_card(l, f, may_review.then_some((csrf.as_str(), back.as_str())), true)) }
    };
    Ok(layout::page(&ctx, Nav::Search, &title, body))
}

fn members(l: Lang, ms: &[KnownMember]) -> Markup {
    html! {
        div.table-wrap {
            table {
                thead { tr {
                    th.n { "#" }
                    th { (l.t("الاسم", "Name")) }
                    th { (l.t("الصفة", "Role")) }
                    th { (l.t("رقم الهوية", "National ID")) }
                    th { (l.t("تاريخ الميلاد", "Date of birth")) }
                    th { (l.t("الجنس", "Sex")) }
                    th { (l.t("الهاتف", "Phone")) }
                    th { (l.t("الجهة", "Agency")) }
                } }
                tbody {
                    @for (i, m) in ms.iter().enumerate() {
                        tr {
                            td.n { (ltr(&(i + 1).to_string())) }
                            td.wrap { (auto(&m.member.name)) }
                            td { (words::member_role(l, &m.member.role)) }
                            td { (opt_ltr(m.member.national_id.as_deref())) }
                            td { (opt_ltr(m.member.date_of_birth.as_deref())) }
                            td { (m.member.sex.as_deref().map(|s| words::sex(l, s)).unwrap_or("—")) }
                            td { (opt_ltr(m.member.phone.as_deref())) }
                            td { (auto(&m.agency)) }
                        }
                    }
                }
            }
        }
    }
}

fn opt_ltr(v: Option<&str>) -> Markup {
    match v {
        Some(v) if !v.is_empty() => ltr(v),
        _ => html! { span.muted { "—" } },
    }
}

/// A flag with what it says, its evidence and, when `review` gives the session's CSRF token and
/// the page to come back to, the form to confirm or dismiss it.
pub fn flag_card(l: Lang, f: &StoredFlag, review: Option<(&str, &str)>, open_evidence: bool) -> Markup {
    let overlap = f.overlap.as_ref();
    let get = |k: &str| overlap.and_then(|o| o.get(k)).and_then(|v| v.as_str()).unwrap_or("");
    html! {
        article.card.flag id={ "flag-" (f.flag_id) } {
            header.row {
                strong { (words::kind(l, &f.kind)) }
                (layout::score(l, f.score, &f.band))
                span.muted { (words::status(l, &f.status)) }
            }
            div.meta {
                @if overlap.is_some() {
                    span { (l.t("المساعدة المتداخلة", "Overlapping aid")) ": " (words::aid_type(l, get("type")))
                        " " (l.t("من", "from")) " " (ltr(get("from"))) " " (l.t("إلى", "to")) " " (ltr(get("to"))) }
                }
                span { (l.t("الأسرة", "Household")) ": " a href={ "/ui/households/" (f.household_id) } { (ltr(short(&f.household_id))) } }
                @if f.matched_household_id != f.household_id {
                    span { (l.t("الأسرة المطابقة", "Matched household")) ": " a href={ "/ui/households/" (f.matched_household_id) } { (ltr(short(&f.matched_household_id))) } }
                }
                span { (l.t("رُفع في", "Raised")) " " (ltr(f.created_at.get(..10).unwrap_or(&f.created_at))) }
            }
            (layout::evidence(l, &f.evidence, open_evidence))
            @if let Some((csrf, back)) = review && f.status == "open" {
                (super::review::form(l, csrf, &f.flag_id, back))
            }
        }
    }
}
