//! One household: each person once (with every agency's spelling and identifiers), its
//! members as every agency knows them, its aid history across agencies and
//! its open flags with their evidence. The view is `service::households::get`, audited there.
//! Caseworkers and auditors may split a wrong join from here (`service::life::split`).

use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path, Query};
use maud::{Markup, html};

use bawaba_wire::desk::{Person, SaidBy};
use bawaba_wire::households::{AidEntry, KnownMember};
use bawaba_wire::life::SplitBody;

use super::flags::flag_card;
use super::layout::{self, Nav, aid_table, auto, ltr, short};
use super::words::{self, Lang};
use super::{Ctx, UiError, run, see_other, url_encode};
use crate::service::Services;
use crate::service::households::{self, VIEW};
use crate::service::{life, review};

/// `GET /ui/households/{id}`.
pub async fn page(
    ctx: Ctx,
    s: Data<Services>,
    id: Path<String>,
    q: Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, UiError> {
    let session = ctx.require(VIEW)?;
    let l = ctx.lang;
    let id = id.into_inner();
    let who = session.principal.clone();
    let may_review = review::ROLES.contains(&who.role);
    let may_split = life::SPLIT.contains(&who.role);
    let split_done = q.get("done").is_some_and(|d| d == "split");
    let csrf = session.csrf.clone();
    let back = ctx.here.clone();
    let v = run(l, move || households::get(&s, &who, &id)).await?;
    let head = v.members.iter().find(|m| m.member.role == "head").or(v.members.first());
    let title = head.map(|m| m.member.name.clone()).unwrap_or_else(|| short(&v.household_id).to_owned());
    let agencies: std::collections::BTreeSet<&str> = v.members.iter().map(|m| m.agency.as_str()).collect();
    let body = html! {
        h1 { (l.t("أسرة", "Household")) " " (auto(&title)) }
        @if split_done {
            p.notice role="status" { (l.t("فُصلت السجلات المختارة في هذه الأسرة الجديدة، ولن تُربط بالأسرة الأخرى.",
                "The chosen records now form this new household; it will not be linked with the other again.")) }
        }
        section.card {
            dl.facts {
                dt { (l.t("رقم الأسرة في البوابة", "Gateway household id")) } dd { (ltr(&v.household_id)) }
                @if let Some(m) = &v.merged_from {
                    dt { (l.t("دُمجت من", "Merged from")) } dd { (ltr(m)) }
                }
                dt { (l.t("الجهات التي تعرفها", "Agencies that know it")) }
                dd { @for (i, a) in agencies.iter().enumerate() { @if i > 0 { "، " } (auto(a)) } }
                dt { (l.t("عدد الأفراد", "Persons")) } dd { (ltr(&words::int(v.persons.len() as i64))) }
                dt { (l.t("عدد سجلات الأفراد", "Member entries")) } dd { (ltr(&words::int(v.members_total as i64))) }
                dt { (l.t("سجلات المساعدات", "Aid records")) } dd { (ltr(&words::int(v.aid_total as i64))) }
                dt { (l.t("تنبيهات مفتوحة", "Open flags")) } dd { (ltr(&words::int(v.open_flags_total as i64))) }
            }
        }
        h2 { (l.t("أفراد الأسرة، كل فرد مرة واحدة", "The family, each person once")) }
        (persons(l, &v.persons))
        details.rows {
            summary { (l.t("الأفراد كما تعرفهم كل جهة", "Members as each agency knows them")) " ("
                (ltr(&words::int(v.members.len() as i64))) ")" }
            (shown_of(l, v.members.len(), v.members_total))
            (members(l, &v.members))
        }
        h2 { (l.t("المساعدات من كل الجهات", "Aid from every agency")) }
        (shown_of(l, v.aid_history.len(), v.aid_total))
        (aid_table(l, &v.aid_history, None))
        h2 { (l.t("تنبيهات مفتوحة", "Open flags")) }
        (shown_of(l, v.open_flags.len(), v.open_flags_total))
        @if v.open_flags.is_empty() {
            p.muted { (l.t("لا توجد تنبيهات مفتوحة.", "No open flags.")) }
        }
        @for f in &v.open_flags { (flag_card(l, f, may_review.then_some((csrf.as_str(), back.as_str())), true)) }
        @if may_split && v.aid_history.iter().filter(|a| a.record_id.is_some()).count() > 1 {
            (split_form(l, &v.household_id, &v.aid_history, &csrf))
        }
    };
    Ok(layout::page(&ctx, Nav::Search, &title, body))
}

/// The form that splits a wrong join: the records checked leave for a new household.
fn split_form(l: Lang, household_id: &str, aid: &[AidEntry], csrf: &str) -> Markup {
    html! {
        h2 { (l.t("فصل أسرة رُبطت خطأً", "Split a wrong join")) }
        form.card.split method="post" action={ "/ui/households/" (url_encode(household_id)) "/split" } {
            input type="hidden" name="csrf" value=(csrf);
            p.muted { (l.t("اختر السجلات التي لا تخص هذه الأسرة: تنتقل إلى أسرة جديدة، ولا تُربط الأسرتان بعد ذلك.",
                "Check the records that do not belong to this household: they move to a new household, and the two are never linked again.")) }
            ul.choices {
                @for a in aid {
                    @if let Some(r) = &a.record_id {
                        li { label {
                            input type="checkbox" name="records" value=(r);
                            " " (auto(&a.agency)) " · " (words::aid_type(l, &a.aid_type)) " · "
                            (ltr(&a.period_start)) " – " (ltr(&a.period_end))
                        } }
                    }
                }
            }
            label for="split-note" { (l.t("السبب", "Why")) }
            textarea #split-note name="note" rows="2" maxlength="2000" {}
            div { button #split type="submit" { (l.t("فصل السجلات المختارة", "Split the checked records")) } }
        }
    }
}

/// `POST /ui/households/{id}/split`: the checked records leave for a new household, whose page
/// follows.
pub async fn split(
    ctx: Ctx,
    s: Data<Services>,
    id: Path<String>,
    form: Form<Vec<(String, String)>>,
) -> Result<HttpResponse, UiError> {
    let session = ctx.require(life::SPLIT)?;
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    ctx.check_csrf(&field("csrf"))?;
    let l = ctx.lang;
    let records: Vec<String> = form.iter().filter(|(n, _)| n == "records").map(|(_, v)| v.clone()).collect();
    let body = SplitBody { records, note: field("note").replace("\r\n", "\n") };
    let who = session.principal.clone();
    let id = id.into_inner();
    let done = run(l, move || life::split(&s, &who, &id, body)).await?;
    Ok(see_other(&format!("/ui/households/{}?done=split", url_encode(&done.new_household_id))))
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

/// Each person once: every spelling with the agency that used it, the roles, the fullest birth
/// date, and each identifier with who gave it.
fn persons(l: Lang, ps: &[Person]) -> Markup {
    let said = |v: &[SaidBy]| {
        html! {
            @if v.is_empty() { span.muted { "—" } }
            @for (i, x) in v.iter().enumerate() {
                @if i > 0 { br; }
                (ltr(&x.value)) " " span.muted.said { "(" (auto(&x.agency)) ")" }
            }
        }
    };
    html! {
        div.table-wrap {
            table.persons {
                thead { tr {
                    th.n { "#" }
                    th { (l.t("الاسم كما كتبته كل جهة", "Name as each agency wrote it")) }
                    th { (l.t("الصفة", "Role")) }
                    th { (l.t("تاريخ الميلاد", "Date of birth")) }
                    th { (l.t("الجنس", "Sex")) }
                    th { (l.t("رقم الهوية", "National ID")) }
                    th { (l.t("الهاتف", "Phone")) }
                } }
                tbody {
                    @for (i, p) in ps.iter().enumerate() {
                        tr.person {
                            td.n { (ltr(&(i + 1).to_string())) }
                            td.wrap {
                                @for (j, n) in p.names.iter().enumerate() {
                                    @if j > 0 { br; }
                                    (auto(&n.name)) " " span.muted.said { "(" (auto(&n.agency)) ")" }
                                }
                            }
                            td { @for (j, r) in p.roles.iter().enumerate() { @if j > 0 { "، " } (words::member_role(l, r)) } }
                            td { (opt_ltr(p.date_of_birth.as_deref())) }
                            td { (p.sex.as_deref().map(|s| words::sex(l, s)).unwrap_or("—")) }
                            td { (said(&p.national_ids)) }
                            td { (said(&p.phones)) }
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
