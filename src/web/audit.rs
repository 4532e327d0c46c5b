//! The audit log page, for auditors and admins: who read or changed what, when and from where,
//! newest first, with filters (dates, person or key, action, household) and the whole selection
//! as CSV. Everything comes from `service::audit` (the reading itself is audited there) with the
//! API's own query ([`AuditQuery`]).

use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use maud::{Markup, html};

use super::layout::{self, Nav, ltr, short};
use super::words::Lang;
use super::{Ctx, UiError, run, url_encode};
use bawaba_wire::access::{AuditEntry, AuditPage, AuditQuery};

use crate::http::streamed;
use crate::service::Services;
use crate::service::audit::{self, READ};
use crate::service::error::ServiceError;

/// The page's query (it may carry `lang` too, which the API's strict query would refuse).
type PageQuery = std::collections::HashMap<String, String>;

fn audit_query(mut q: PageQuery) -> AuditQuery {
    let mut take = |k: &str| q.remove(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty() && v.len() <= 200);
    AuditQuery {
        from: take("from"),
        to: take("to"),
        actor: take("actor"),
        action: take("action"),
        household_id: take("household_id"),
        cursor: take("cursor"),
        limit: None,
        format: None,
    }
}

fn query_of(f: &AuditQuery) -> String {
    let mut p = Vec::new();
    for (k, v) in [
        ("from", &f.from),
        ("to", &f.to),
        ("actor", &f.actor),
        ("action", &f.action),
        ("household_id", &f.household_id),
    ] {
        if let Some(v) = v {
            p.push(format!("{k}={}", url_encode(v)));
        }
    }
    p.join("&")
}

/// An action in words.
fn action(l: Lang, a: &str) -> &'static str {
    match a {
        "household.search" => l.t("بحث عن أسرة", "household search"),
        "household.search.break_glass" => l.t("بحث خارج النطاق (كسر الزجاج)", "search outside scope (break-glass)"),
        "household.view" => l.t("عرض أسرة", "household view"),
        "record.view" => l.t("عرض سجل", "record view"),
        "record.check" => l.t("فحص سجل", "record check"),
        "record.create" => l.t("إضافة سجل", "record posted"),
        "flag.list" => l.t("قائمة التنبيهات", "flag list"),
        "flag.review" => l.t("مراجعة تنبيه", "flag review"),
        "report.overlaps" => l.t("تقرير التداخل", "overlap report"),
        "report.summary" => l.t("ملخص التقرير", "report summary"),
        "audit.read" => l.t("قراءة سجل التدقيق", "audit log read"),
        "key.create" => l.t("إنشاء مفتاح", "key made"),
        "key.revoke" => l.t("إلغاء مفتاح", "key revoked"),
        "key.rotate" => l.t("تدوير مفتاح", "key rotated"),
        "user.create" => l.t("إنشاء مستخدم", "user made"),
        "user.update" => l.t("تعديل مستخدم", "user changed"),
        "user.password" => l.t("تغيير كلمة المرور", "password changed"),
        _ => "",
    }
}

fn filters(l: Lang, f: &AuditQuery) -> Markup {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    html! {
        form.card.filters method="get" action="/ui/audit" {
            div.row {
                div { label for="from" { (l.t("من تاريخ", "From")) } input #from type="text" name="from" value=(v(&f.from)) placeholder="YYYY-MM-DD" size="11" dir="ltr"; }
                div { label for="to" { (l.t("إلى تاريخ", "To")) } input #to type="text" name="to" value=(v(&f.to)) placeholder="YYYY-MM-DD" size="11" dir="ltr"; }
                div { label for="actor" { (l.t("المستخدم أو المفتاح", "User or key")) } input #actor type="text" name="actor" value=(v(&f.actor)) size="14" dir="ltr"; }
                div { label for="action" { (l.t("الإجراء", "Action")) } input #action type="text" name="action" value=(v(&f.action)) size="16" dir="ltr" placeholder="household.view"; }
                div { label for="household_id" { (l.t("الأسرة", "Household")) } input #household_id type="text" name="household_id" value=(v(&f.household_id)) size="20" dir="ltr"; }
                div { button type="submit" { (l.t("تطبيق", "Apply")) } }
            }
        }
    }
}

fn who(l: Lang, e: &AuditEntry) -> Markup {
    html! {
        @if let Some(u) = &e.username {
            bdi.user { (e.display_name.as_deref().unwrap_or(u)) } " " span.muted { "(" (ltr(u)) ")" }
        } @else if let Some(k) = &e.key_id {
            (l.t("مفتاح", "key")) " " (ltr(e.key_label.as_deref().unwrap_or(short(k))))
        } @else {
            (l.t("المفتاح الرئيسي أو سطر الأوامر", "master key or command line"))
        }
    }
}

/// `GET /ui/audit`.
pub async fn page(ctx: Ctx, s: Data<Services>, q: Query<PageQuery>) -> Result<HttpResponse, UiError> {
    let f = audit_query(q.into_inner());
    let session = ctx.require(READ)?;
    let l = ctx.lang;
    let principal = session.principal.clone();
    let query = f.clone();
    let (page, refused) = match run(l, move || audit::list(&s, &principal, &query)).await {
        Ok(p) => (p, false),
        Err(UiError::Api(_, ServiceError::Validation(_))) => (AuditPage { events: vec![], next_cursor: None }, true),
        Err(e) => return Err(e),
    };
    let qs = query_of(&f);
    let csv_href = if qs.is_empty() { "/ui/audit.csv".to_owned() } else { format!("/ui/audit.csv?{qs}") };
    let older = page.next_cursor.as_ref().map(|c| {
        let sep = if qs.is_empty() { "" } else { "&" };
        format!("/ui/audit?{qs}{sep}cursor={}", url_encode(c))
    });
    let body = html! {
        h1 { (l.t("سجل التدقيق", "Audit log")) }
        p.muted { (l.t(
            "كل قراءة لبيانات شخصية وكل تغيير: من، ماذا، أي أسرة أو سجل، متى ومن أي عنوان. الأحدث أولاً.",
            "Every read of personal data and every change: who, what, which household or record, when and from where. Newest first."
        )) }
        (filters(l, &f))
        @if refused { p.error role="alert" { (l.t("أحد المرشحات غير صالح (التواريخ بصيغة YYYY-MM-DD).", "A filter is not valid (dates as YYYY-MM-DD).")) } }
        p { a.button #csv href=(csv_href) download="audit.csv" { (l.t("تنزيل السجل (CSV)", "Download the log (CSV)")) } }
        @if page.events.is_empty() {
            p.muted #none { (l.t("لا أحداث بهذه المرشحات.", "No events with these filters.")) }
        } @else {
            div.table-wrap {
                table.audit {
                    thead { tr {
                        th { (l.t("الوقت", "Time")) }
                        th { (l.t("من", "Who")) }
                        th { (l.t("الجهة", "Agency")) }
                        th { (l.t("الدور", "Role")) }
                        th { (l.t("الإجراء", "Action")) }
                        th { (l.t("على", "On")) }
                        th { (l.t("التفاصيل", "Detail")) }
                        th { (l.t("العنوان", "Address")) }
                    } }
                    tbody {
                        @for e in &page.events {
                            tr {
                                td { (ltr(&e.at.replace('T', " ").chars().take(19).collect::<String>())) }
                                td { (who(l, e)) }
                                td { (ltr(e.agency.as_deref().unwrap_or("—"))) }
                                td { (super::words::key_role(l, &e.role)) }
                                td { span { (action(l, &e.action)) } " " code.muted { (e.action) } }
                                td { @if let Some(t) = &e.target { (ltr(short(t))) } }
                                td.wrap { @if let Some(d) = &e.detail { (ltr(d)) } }
                                td { (ltr(e.address.as_deref().unwrap_or(""))) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(href) = &older {
            p { a href=(href) { (l.t("الأقدم ←", "Older →")) } }
        }
    };
    Ok(layout::page(&ctx, Nav::Audit, l.t("سجل التدقيق", "Audit log"), body))
}

/// `GET /ui/audit.csv`: every event the filters select.
pub async fn csv(ctx: Ctx, s: Data<Services>, q: Query<PageQuery>) -> Result<HttpResponse, UiError> {
    let f = audit_query(q.into_inner());
    let session = ctx.require(READ)?;
    let l = ctx.lang;
    let who = session.principal.clone();
    let (s2, who2, f2) = (s.clone(), who.clone(), f.clone());
    run(l, move || audit::csv_allowed(&s2, &who2, &f2)).await?;
    let body = streamed(move |sink| {
        // A byte order mark first, so that spreadsheets read the Arabic right.
        if !sink("\u{FEFF}".as_bytes().to_vec()) {
            return Ok(());
        }
        audit::csv(&s, &who, &f, sink)
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"audit.csv\""))
        .streaming(body))
}
