//! One household: its members as every agency knows them, its aid history across agencies and
//! its open flags with their evidence. The view is `service::households::get`, audited there.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use maud::{Markup, html};

use bawaba_wire::households::KnownMember;

use super::flags::flag_card;
use super::layout::{self, Nav, aid_table, auto, ltr, short};
use super::words::{self, Lang};
use super::{Ctx, UiError, run};
use crate::service::Services;
use crate::service::households::{self, VIEW};
use crate::service::review;

/// `GET /ui/households/{id}`.
pub async fn page(ctx: Ctx, s: Data<Services>, id: Path<String>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(VIEW)?;
    let l = ctx.lang;
    let id = id.into_inner();
    let who = session.principal.clone();
    let may_review = review::ROLES.contains(&who.role);
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
                dt { (l.t("عدد سجلات الأفراد", "Member entries")) } dd { (ltr(&words::int(v.members_total as i64))) }
                dt { (l.t("سجلات المساعدات", "Aid records")) } dd { (ltr(&words::int(v.aid_total as i64))) }
                dt { (l.t("تنبيهات مفتوحة", "Open flags")) } dd { (ltr(&words::int(v.open_flags_total as i64))) }
            }
        }
        h2 { (l.t("الأفراد كما تعرفهم كل جهة", "Members as each agency knows them")) }
        (shown_of(l, v.members.len(), v.members_total))
        (members(l, &v.members))
        h2 { (l.t("المساعدات من كل الجهات", "Aid from every agency")) }
        (shown_of(l, v.aid_history.len(), v.aid_total))
        (aid_table(l, &v.aid_history, None))
        h2 { (l.t("تنبيهات مفتوحة", "Open flags")) }
        (shown_of(l, v.open_flags.len(), v.open_flags_total))
        @if v.open_flags.is_empty() {
            p.muted { (l.t("لا توجد تنبيهات مفتوحة.", "No open flags.")) }
        }
        @for f in &v.open_flags { (flag_card(l, f, may_review.then_some((csrf.as_str(), back.as_str())), true)) }
    };
    Ok(layout::page(&ctx, Nav::Search, &title, body))
}

/// "The latest N of M" when a list was capped.
fn shown_of(l: Lang, shown: usize, total: u64) -> Markup {
    html! {
        @if (shown as u64) < total {
            p.muted {
                (l.t("تُعرض أحدث ", "Showing the latest ")) (ltr(&words::int(shown as i64)))
                (l.t(" من ", " of ")) (ltr(&words::int(total as i64))) "."
            }
        }
    }
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
