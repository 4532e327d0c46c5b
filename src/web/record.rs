//! One record's life (`/ui/records/{id}`): what it is now, and each version it had, with what
//! ended it (a correction or the withdrawal), when, by whom and why. It shows no personal data
//! (a version counts its members); the view is `service::life::history`, audited there.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use maud::{Markup, html};

use bawaba_wire::life::{RecordHistory, RecordVersion};

use super::layout::{self, Nav, auto, ltr, short};
use super::words::{self, Lang};
use super::{Ctx, UiError, run, url_encode};
use crate::service::Services;
use crate::service::life::{self, HISTORY};

/// `GET /ui/records/{id}`.
pub async fn page(ctx: Ctx, s: Data<Services>, id: Path<String>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(HISTORY)?;
    let l = ctx.lang;
    let who = session.principal.clone();
    let id = id.into_inner();
    let h = run(l, move || life::history(&s, &who, &id)).await?;
    let title = format!("{} {}", l.t("سجل", "Record"), h.external_id);
    let withdrawn = h.status == "withdrawn";
    let current = h.versions.iter().find(|v| v.current);
    let body = html! {
        h1 { (l.t("سجل", "Record")) " " (ltr(&h.external_id)) }
        @if withdrawn {
            p.notice.withdrawn role="status" {
                (l.t("سحبت الجهة هذا السجل: لا يدخل في التقارير ولا في فحص التداخل، ويبقى هنا للتاريخ.",
                    "The agency withdrew this record: it counts in no report and no overlap check, and stays here for the history."))
            }
        }
        (facts(l, &h, current))
        h2 { (l.t("الإصدارات والتصحيحات", "Versions and corrections")) }
        (versions(l, &h.versions))
    };
    Ok(layout::page(&ctx, Nav::Search, &title, body))
}

fn facts(l: Lang, h: &RecordHistory, current: Option<&RecordVersion>) -> Markup {
    html! {
        section.card {
            dl.facts {
                dt { (l.t("رقم السجل في البوابة", "Gateway record id")) } dd { (ltr(&h.record_id)) }
                dt { (l.t("الجهة", "Agency")) } dd { (auto(&h.agency)) }
                dt { (l.t("الحالة", "Status")) }
                dd.status { @if h.status == "withdrawn" { (words::status(l, "withdrawn")) } @else { (l.t("قائم", "active")) } }
                dt { (l.t("الإصدار", "Version")) } dd { (ltr(&h.version.to_string())) }
                dt { (l.t("سُجّل في", "Posted at")) } dd { (ltr(&h.created_at)) }
                @if let Some(v) = current {
                    dt { (l.t("الأسرة", "Household")) }
                    dd { a href={ "/ui/households/" (url_encode(&v.household_id)) } { (ltr(short(&v.household_id))) } }
                }
            }
        }
    }
}

fn versions(l: Lang, vs: &[RecordVersion]) -> Markup {
    html! {
        div.table-wrap {
            table.versions {
                thead { tr {
                    th.n { (l.t("الإصدار", "Version")) }
                    th { (l.t("النوع", "Type")) }
                    th { (l.t("من", "From")) }
                    th { (l.t("إلى", "To")) }
                    th.n { (l.t("المبلغ", "Amount")) }
                    th { (l.t("المكان", "Place")) }
                    th.n { (l.t("الأفراد", "Members")) }
                    th { (l.t("ما أنهاه", "Ended by")) }
                    th { (l.t("متى", "When")) }
                    th { (l.t("من قام به", "Who")) }
                    th { (l.t("السبب", "Reason")) }
                } }
                tbody {
                    @for v in vs.iter().rev() {
                        tr class=[v.current.then_some("current")] {
                            td.n { (ltr(&v.version.to_string())) @if v.current { " " span.muted { (l.t("(الحالي)", "(current)")) } } }
                            td { (words::aid_type(l, &v.assistance.aid_type)) }
                            td { (ltr(&v.assistance.period_start)) }
                            td { (ltr(&v.assistance.period_end)) }
                            td.n {
                                @if let Some(a) = v.assistance.amount {
                                    (ltr(&format!("{} {}", words::amount(a), v.assistance.currency.as_deref().unwrap_or(""))))
                                } @else { span.muted { "—" } }
                            }
                            td.wrap { (place(v)) }
                            td.n { (ltr(&words::int(v.members))) }
                            @if let Some(e) = &v.ended {
                                td.ended { (ended(l, &e.action)) }
                                td { (ltr(&e.at)) }
                                td { (e.by.as_deref().map(auto).unwrap_or_else(|| html! { span.muted { "—" } })) }
                                td.wrap { (e.reason.as_deref().map(auto).unwrap_or_else(|| html! { span.muted { "—" } })) }
                            } @else {
                                td.ended { span.muted { (l.t("قائم", "stands")) } }
                                td { span.muted { "—" } } td { span.muted { "—" } } td { span.muted { "—" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn place(v: &RecordVersion) -> Markup {
    let parts: Vec<&str> = [v.governorate.as_deref(), v.locality.as_deref()].into_iter().flatten().collect();
    if parts.is_empty() {
        html! { span.muted { "—" } }
    } else {
        auto(&parts.join(" / "))
    }
}

fn ended(l: Lang, action: &str) -> &'static str {
    match action {
        "corrected" => l.t("صُحّح", "corrected"),
        "withdrawn" => l.t("سُحب", "withdrawn"),
        _ => l.t("انتهى", "ended"),
    }
}
