//! The review queue: flags a page at a time, each with the form to confirm or dismiss it with a
//! note, through `service::review` (which records who, when and why).

use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path, Query};
use maud::html;
use serde::Deserialize;

use bawaba_wire::domain::FlagKind;
use bawaba_wire::review::{FlagQuery, ReviewBody, Verdict};

use super::flags::flag_card;
use super::layout::{self, Nav, ltr};
use super::words::{self, Lang};
use super::{Ctx, UiError, run, safe_next, see_other, url_encode};
use crate::service::Services;
use crate::service::error::ServiceError;
use crate::service::review::{self, ROLES};

const PAGE: usize = 25;

#[derive(Deserialize)]
pub struct ReviewQuery {
    status: Option<String>,
    kind: Option<String>,
    agency: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
    batch: Option<String>,
    n: Option<String>,
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    decision: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// `GET /ui/review`.
pub async fn page(ctx: Ctx, s: Data<Services>, q: Query<ReviewQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(ROLES)?;
    let l = ctx.lang;
    let status = nonempty(&q.status).filter(|v| ["open", "confirmed", "dismissed", "all"].contains(&v.as_str()));
    let status = status.unwrap_or_else(|| "open".to_owned());
    let kind = nonempty(&q.kind).filter(|k| FlagKind::parse(k).is_some());
    let agency = nonempty(&q.agency).filter(|a| a.len() <= 64);
    let query = FlagQuery {
        status: (status != "all").then(|| status.clone()),
        kind: kind.clone(),
        agency: agency.clone(),
        limit: Some(PAGE.to_string()),
        cursor: nonempty(&q.cursor).filter(|c| c.len() <= 64),
        sort: None,
    };
    let who = session.principal.clone();
    let page = run(l, move || review::list(&s, &who, &query)).await?;
    let base = {
        let mut p = vec![format!("status={status}")];
        if let Some(k) = &kind {
            p.push(format!("kind={k}"));
        }
        if let Some(a) = &agency {
            p.push(format!("agency={}", url_encode(a)));
        }
        format!("/ui/review?{}", p.join("&"))
    };
    let back = base.clone();
    let done = nonempty(&q.done);
    let batch = nonempty(&q.batch).filter(|b| b.len() <= 64 && done.as_deref() == Some("batch"));
    let body = html! {
        h1 { (l.t("مراجعة التنبيهات", "Review flags")) }
        @if let Some(b) = &batch {
            (super::desk::batch_notice(l, &session.csrf, b, nonempty(&q.n).and_then(|n| n.parse().ok()).unwrap_or(0)))
        } @else if let Some(d) = &done {
            p.notice role="status" { (match d.as_str() {
                "undone" => l.t("تم التراجع: عادت التنبيهات مفتوحة.", "Undone: the flags are open again."),
                "confirmed" => l.t("تم تأكيد التنبيه وحُفظت ملاحظتك.", "The flag was confirmed and your note kept."),
                "dismissed" => l.t("تم رفض التنبيه وحُفظت ملاحظتك.", "The flag was dismissed and your note kept."),
                _ => l.t("تم.", "Done."),
            }) }
        }
        form.card.filters.row method="get" action="/ui/review" {
            div {
                label for="status" { (l.t("الحالة", "Status")) }
                select #status name="status" {
                    @for (v, text) in [("open", words::status(l, "open")), ("confirmed", words::status(l, "confirmed")),
                                        ("dismissed", words::status(l, "dismissed")), ("all", l.t("الكل", "all"))] {
                        option value=(v) selected[status == v] { (text) }
                    }
                }
            }
            div {
                label for="kind" { (l.t("النوع", "Kind")) }
                select #kind name="kind" {
                    option value="" { (l.t("الكل", "all")) }
                    @for k in FlagKind::ALL {
                        option value=(k.as_str()) selected[kind.as_deref() == Some(k.as_str())] { (words::kind(l, k.as_str())) }
                    }
                }
            }
            div {
                label for="agency" { (l.t("الجهة (الرمز)", "Agency (code)")) }
                input #agency type="text" name="agency" value=(agency.as_deref().unwrap_or("")) size="10" dir="ltr";
            }
            div { button type="submit" { (l.t("عرض", "Show")) } }
        }
        @if page.flags.is_empty() {
            p.card { (l.t("لا توجد تنبيهات بهذه الشروط.", "No flags match.")) }
        }
        p { a.button #desk href="/ui/desk" { (l.t("راجع واحداً تلو الآخر، الأهم أولاً", "Step through, most important first")) } }
        @if page.flags.iter().any(|f| f.status == "open") {
            form.card.bulk #bulk method="post" action="/ui/review/bulk" {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="step" value="preview";
                span.muted { (l.t("اختر تنبيهات من القائمة لرفضها معاً؛ ستُعرض عليك معاينة أولاً.",
                    "Check flags in the list to dismiss them together; you will see a preview first.")) }
                " "
                button.secondary #bulk-preview type="submit" { (l.t("معاينة رفض المختارة", "Preview dismissing the checked")) }
            }
        }
        @for f in &page.flags {
            @if f.status == "open" {
                label.pick {
                    input type="checkbox" name="flags" value=(f.flag_id) form="bulk";
                    " " (l.t("اختر للرفض الجماعي", "Check to dismiss together"))
                }
            }
            (flag_card(l, f, Some((session.csrf.as_str(), back.as_str())), false))
        }
        div.pager {
            @if q.cursor.is_some() { a href=(base) { (l.t("الصفحة الأولى", "First page")) } }
            @if let Some(c) = &page.next_cursor {
                a.button.secondary href={ (base) "&cursor=" (url_encode(c)) } { (l.t("الصفحة التالية", "Next page")) }
            }
            span.muted { (l.t("في الصفحة", "On this page")) ": " (ltr(&words::int(page.flags.len() as i64))) }
        }
    };
    Ok(layout::page(&ctx, Nav::Review, l.t("المراجعة", "Review"), body))
}

/// A form's `decision`: confirm or dismiss (400 naming the field otherwise).
pub(super) fn verdict_of(l: Lang, decision: &str) -> Result<Verdict, UiError> {
    match decision {
        "confirm" => Ok(Verdict::Confirm),
        "dismiss" => Ok(Verdict::Dismiss),
        _ => Err(UiError::Api(l, ServiceError::field("decision", "must be confirm or dismiss"))),
    }
}

/// `POST /ui/review/{flag_id}`.
pub async fn submit(
    ctx: Ctx,
    s: Data<Services>,
    id: Path<String>,
    f: Form<ReviewForm>,
) -> Result<HttpResponse, UiError> {
    let session = ctx.require(ROLES)?;
    ctx.check_csrf(&f.csrf)?;
    let l = ctx.lang;
    let verdict = verdict_of(l, &f.decision)?;
    let note = f.note.replace("\r\n", "\n");
    let who = session.principal.clone();
    let flag_id = id.into_inner();
    run(l, move || review::review(&s, &who, flag_id, ReviewBody { decision: verdict, note })).await?;
    let back = safe_next(&f.back).unwrap_or("/ui/review");
    let (path, query) = back.split_once('?').unwrap_or((back, ""));
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && !p.starts_with("done=")).collect();
    params.push(match verdict {
        Verdict::Confirm => "done=confirmed",
        Verdict::Dismiss => "done=dismissed",
    });
    Ok(see_other(&format!("{path}?{}", params.join("&"))))
}
