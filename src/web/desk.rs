//! The review desk's pages: a flag side by side (`/ui/flags/{id}`: both sides' paired members
//! field by field, differing fields marked, the score as a small waterfall chart and in words),
//! the queue stepped through in priority order (`/ui/desk?k=`: "k of n", keyboard shortcuts with
//! a visible legend, `/ui/static/desk.js`), and bulk dismissal with a preview and an undo
//! (`/ui/review/bulk`, `/ui/reviews/{batch}/undo`). Everything goes through `service::desk` and
//! `service::review`, which audit and check scope.

use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path, Query};
use maud::{Markup, html};
use serde::Deserialize;

use bawaba_wire::desk::{BatchReviewBody, ComparisonRow, FlagDetail, WaterfallStep};
use bawaba_wire::review::{FlagQuery, ReviewBody, Verdict};

use super::layout::{self, Nav, auto, ltr, short};
use super::words::{self, Lang};
use super::{Ctx, UiError, run, see_other, url_encode};
use crate::service::review::{self, ROLES};
use crate::service::{Services, desk};

/// The most open flags the desk steps through.
const QUEUE: usize = 1000;

#[derive(Deserialize)]
pub struct DeskQuery {
    k: Option<String>,
    d: Option<String>,
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    decision: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    k: String,
    #[serde(default)]
    d: String,
}

fn number(v: Option<&str>, default: usize) -> usize {
    v.and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(default).min(1_000_000)
}

/// `GET /ui/flags/{id}`: one flag side by side.
pub async fn flag_page(ctx: Ctx, s: Data<Services>, id: Path<String>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(ROLES)?;
    let l = ctx.lang;
    let who = session.principal.clone();
    let id = id.into_inner();
    let d = run(l, move || desk::flag_detail(&s, &who, &id)).await?;
    let action = format!("/ui/desk/{}", url_encode(&d.flag.flag_id));
    let body = html! {
        h1 { (l.t("تنبيه جنباً إلى جنب", "Flag side by side")) }
        (side_by_side(l, &d))
        @if d.flag.status == "open" {
            (decide_form(l, &session.csrf, &action, 0, 0, false))
        }
    };
    Ok(layout::page_with(&ctx, Nav::Review, l.t("تنبيه", "Flag"), body, Some("/ui/static/desk.js")))
}

/// `GET /ui/desk?k=&d=`: the k-th open flag in priority order, "k of n", `d` decided so far.
pub async fn page(ctx: Ctx, s: Data<Services>, q: Query<DeskQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(ROLES)?;
    let l = ctx.lang;
    let decided = number(q.d.as_deref(), 0);
    let who = session.principal.clone();
    let query = FlagQuery {
        status: Some("open".to_owned()),
        limit: Some(QUEUE.to_string()),
        sort: Some("priority".to_owned()),
        ..FlagQuery::default()
    };
    let s2 = s.clone();
    let queue = run(l, move || review::list(&s2, &who, &query)).await?;
    let n = queue.flags.len();
    let k = number(q.k.as_deref(), 1).clamp(1, n.max(1));
    let detail = match queue.flags.get(k - 1) {
        Some(f) => {
            let who = session.principal.clone();
            let id = f.flag_id.clone();
            Some(run(l, move || desk::flag_detail(&s, &who, &id)).await?)
        }
        None => None,
    };
    let body = html! {
        h1 { (l.t("مكتب المراجعة", "Review desk")) }
        p.counter #counter role="status" {
            @if n == 0 {
                (l.t("لا توجد تنبيهات مفتوحة.", "No open flags.")) " "
            } @else {
                (l.t("التنبيه ", "Flag ")) (ltr(&words::int(k as i64))) (l.t(" من ", " of ")) (ltr(&words::int(n as i64)))
                (l.t("، الأهم أولاً", ", most important first")) " · "
            }
            (l.t("قُرّر في هذه الجلسة: ", "Decided this session: ")) span #decided { (ltr(&words::int(decided as i64))) }
        }
        @if let Some(d) = &detail {
            (legend(l))
            (side_by_side(l, d))
            (decide_form(l, &session.csrf, &format!("/ui/desk/{}", url_encode(&d.flag.flag_id)), k, decided, true))
            nav.steps {
                @if k > 1 {
                    a #prev data-key="p" href={ "/ui/desk?k=" (k - 1) "&d=" (decided) } { (l.t("السابق", "Previous")) }
                }
                @if k < n {
                    a #skip data-key="s" href={ "/ui/desk?k=" (k + 1) "&d=" (decided) } { (l.t("تخطَّ", "Skip")) }
                    a #next data-key="n" href={ "/ui/desk?k=" (k + 1) "&d=" (decided) } { (l.t("التالي", "Next")) }
                }
            }
        } @else {
            p { a href="/ui/review?status=all" { (l.t("كل التنبيهات", "All flags")) } }
        }
    };
    Ok(layout::page_with(&ctx, Nav::Review, l.t("مكتب المراجعة", "Review desk"), body, Some("/ui/static/desk.js")))
}

/// `POST /ui/desk/{flag_id}`: confirm or dismiss, then the flag now at the same place.
pub async fn decide(
    ctx: Ctx,
    s: Data<Services>,
    id: Path<String>,
    f: Form<DecideForm>,
) -> Result<HttpResponse, UiError> {
    let session = ctx.require(ROLES)?;
    ctx.check_csrf(&f.csrf)?;
    let l = ctx.lang;
    let verdict = super::review::verdict_of(l, &f.decision)?;
    let note = f.note.replace("\r\n", "\n");
    let who = session.principal.clone();
    let flag_id = id.into_inner();
    let back = flag_id.clone();
    run(l, move || review::review(&s, &who, flag_id, ReviewBody { decision: verdict, note })).await?;
    let k = number(Some(f.k.as_str()), 0);
    if k == 0 {
        return Ok(see_other(&format!("/ui/flags/{}", url_encode(&back))));
    }
    // The decided flag leaves the queue: the next one takes its place.
    Ok(see_other(&format!("/ui/desk?k={k}&d={}", number(Some(f.d.as_str()), 0) + 1)))
}

fn legend(l: Lang) -> Markup {
    html! {
        aside.keys #keys aria-label=(l.t("اختصارات لوحة المفاتيح", "Keyboard shortcuts")) {
            strong { (l.t("لوحة المفاتيح", "Keyboard")) ": " }
            span { kbd { "C" } " " (l.t("تأكيد", "confirm")) }
            span { kbd { "D" } " " (l.t("رفض", "dismiss")) }
            span { kbd { "S" } " " (l.t("تخطٍّ", "skip")) }
            span { kbd { "N" } " " (l.t("التالي", "next")) }
            span { kbd { "P" } " " (l.t("السابق", "previous")) }
        }
    }
}

fn decide_form(l: Lang, csrf: &str, action: &str, k: usize, d: usize, keys: bool) -> Markup {
    html! {
        form.review.decide method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="k" value=(k);
            input type="hidden" name="d" value=(d);
            label for="note" { (l.t("ملاحظة (لماذا؟)", "Note (why?)")) }
            textarea #note name="note" maxlength="2000" rows="2" {}
            div.actions {
                button #confirm type="submit" name="decision" value="confirm" data-key=[keys.then_some("c")] {
                    (l.t("تأكيد: الأسرة نفسها", "Confirm: the same")) @if keys { " " kbd { "C" } }
                }
                button.secondary #dismiss type="submit" name="decision" value="dismiss" data-key=[keys.then_some("d")] {
                    (l.t("رفض: ليست نفسها", "Dismiss: not the same")) @if keys { " " kbd { "D" } }
                }
            }
        }
    }
}

/// Both sides of a flag: its facts, the paired members field by field, and the waterfall.
fn side_by_side(l: Lang, d: &FlagDetail) -> Markup {
    let f = &d.flag;
    html! {
        section.card.flag id={ "flag-" (f.flag_id) } {
            header.row {
                strong { (words::kind(l, &f.kind)) }
                (layout::score(l, f.score, &f.band))
                span.muted { (words::status(l, &f.status)) }
            }
            div.meta {
                span { (l.t("هذه الأسرة", "This household")) ": " a href={ "/ui/households/" (url_encode(&f.household_id)) } { (ltr(short(&f.household_id))) } }
                @if f.matched_household_id != f.household_id {
                    span { (l.t("الأسرة المطابقة", "Matched household")) ": " a href={ "/ui/households/" (url_encode(&f.matched_household_id)) } { (ltr(short(&f.matched_household_id))) } }
                }
                span { (l.t("رُفع في", "Raised")) " " (ltr(f.created_at.get(..10).unwrap_or(&f.created_at))) }
            }
        }
        h2 { (l.t("جنباً إلى جنب", "Side by side")) }
        (comparison(l, &d.comparison))
        h2 { (l.t("كيف بُنيت الدرجة", "How the score was built")) }
        (waterfall_svg(l, &d.waterfall))
        (waterfall_words(l, &d.waterfall))
    }
}

fn comparison(l: Lang, rows: &[ComparisonRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            p.muted { (l.t("لا توجد تفاصيل للمقارنة.", "No details of the comparison.")) }
        } @else {
            div.table-wrap {
                table.compare {
                    thead { tr {
                        th { (l.t("الفرد", "Member")) }
                        th { (l.t("الحقل", "Field")) }
                        th { (l.t("هذه الأسرة", "This household")) }
                        th { (l.t("الأسرة المطابقة", "Matched household")) }
                        th { (l.t("النتيجة", "Result")) }
                    } }
                    tbody {
                        @for r in rows {
                            @let (member, field) = words::split_field(&r.field);
                            @let class = match r.agrees { Some(true) => "agrees", Some(false) => "differs", None => "unknown" };
                            tr class=(class) {
                                td.n { (member.map(|m| ltr(&(m + 1).to_string())).unwrap_or_else(|| html! { "—" })) }
                                td { (words::field_label(l, field)) }
                                td.wrap { (value(l, field, &r.ours)) }
                                td.wrap { (match &r.theirs { Some(t) => value(l, field, t), None => html! { span.muted { (l.t("محجوب", "hidden")) } } }) }
                                td {
                                    (match r.agrees { Some(true) => "✓ ", Some(false) => "✗ ", None => "— " })
                                    (words::verdict(l, field, &r.level).0)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn value(l: Lang, field: &str, v: &str) -> Markup {
    match field {
        _ if v.is_empty() => html! { span.muted { "—" } },
        "sex" => html! { (words::sex(l, v)) },
        "role" => html! { (words::member_role(l, v)) },
        "national_id" | "phone" | "date_of_birth" => ltr(v),
        _ => auto(v),
    }
}

fn step_label(l: Lang, step: &str) -> String {
    match step {
        "prior" => {
            l.t("نقطة البداية (نسبة الأسر المتطابقة عادةً)", "Starting point (how often households match)").to_owned()
        }
        "household" => l.t("كيف يجتمع أفراد الأسرة", "How the household's members combine").to_owned(),
        "total" => l.t("المجموع", "Total").to_owned(),
        s => {
            let (member, field) = words::split_field(s);
            let label = words::field_label(l, field);
            match member {
                Some(m) => format!("{label} ({} {})", l.t("الفرد", "member"), m + 1),
                None => label.to_owned(),
            }
        }
    }
}

/// A step's label in the chart: short enough for its column.
fn chart_label(l: Lang, step: &str) -> String {
    match step {
        "prior" => l.t("نقطة البداية", "Prior").to_owned(),
        "household" => l.t("قواعد الأسرة", "Household rules").to_owned(),
        "total" => l.t("المجموع", "Total").to_owned(),
        s => {
            let (member, field) = words::split_field(s);
            let label = words::field_label(l, field);
            match member {
                Some(m) => format!("{label} ({})", m + 1),
                None => label.to_owned(),
            }
        }
    }
}

fn bits(w: f64) -> String {
    format!(
        "{}{:.1}",
        if w > 0.0 {
            "+"
        } else if w < 0.0 {
            "−"
        } else {
            ""
        },
        w.abs()
    )
}

/// The waterfall as a small chart: one bar per step from the running sum before it to the one
/// after it, green for, red against, the total in grey; a line at zero (even odds).
fn waterfall_svg(l: Lang, steps: &[WaterfallStep]) -> Markup {
    let (row, label_w, bar_w, pad) = (22.0_f64, 230.0_f64, 330.0_f64, 8.0_f64);
    let mut run = 0.0_f64;
    let mut spans = Vec::with_capacity(steps.len());
    for s in steps {
        if s.step == "total" {
            spans.push((0.0, s.weight));
        } else {
            spans.push((run, run + s.weight));
            run += s.weight;
        }
    }
    let lo = spans.iter().map(|(a, b)| a.min(*b)).fold(0.0_f64, f64::min);
    let hi = spans.iter().map(|(a, b)| a.max(*b)).fold(0.0_f64, f64::max);
    let scale = if hi > lo { bar_w / (hi - lo) } else { 1.0 };
    let x = |v: f64| label_w + pad + (v - lo) * scale;
    let height = row * steps.len() as f64 + 6.0;
    let width = label_w + bar_w + 2.0 * pad + 60.0;
    let rtl = l == Lang::Ar;
    html! {
        figure.waterfall {
            svg xmlns="http://www.w3.org/2000/svg" role="img" width=(width) height=(height)
                viewBox={ "0 0 " (width) " " (height) }
                aria-label=(l.t("مخطط شلالي لأوزان المطابقة", "Waterfall chart of the match weights")) {
                line x1=(x(0.0)) x2=(x(0.0)) y1="0" y2=(height) stroke="#888" stroke-dasharray="3 3" {}
                @for (i, (s, (a, b))) in steps.iter().zip(&spans).enumerate() {
                    @let y = i as f64 * row + 3.0;
                    @let fill = if s.step == "total" || s.step == "prior" { "#546e7a" } else if s.weight >= 0.0 { "#2e7d32" } else { "#c62828" };
                    // Right-aligned to the bars in Arabic (the start of right-to-left text is its
                    // right end), left-aligned in English.
                    text x=(if rtl { label_w } else { 0.0 }) y=(y + 14.0) font-size="12" fill="#222"
                        text-anchor="start" direction=(if rtl { "rtl" } else { "ltr" }) {
                        (chart_label(l, &s.step))
                    }
                    rect x=(x(a.min(*b))) y=(y + 2.0) width=(((b - a).abs() * scale).max(1.0)) height=(row - 6.0) fill=(fill) {}
                    text x=(x(a.max(*b)) + 4.0) y=(y + 14.0) font-size="11" fill="#222" direction="ltr" { (bits(s.weight)) }
                }
            }
            figcaption.muted {
                (l.t("بالبت (لوغاريتم الأرجحية للأساس 2): الأخضر يرجّح التطابق، والأحمر يرجّح الاختلاف.",
                    "In bits (log2 odds): green counts for a match, red against."))
            }
        }
    }
}

fn waterfall_words(l: Lang, steps: &[WaterfallStep]) -> Markup {
    html! {
        ol.waterfall-words {
            @for s in steps {
                li {
                    strong { (step_label(l, &s.step)) ": " }
                    (ltr(&bits(s.weight))) " " (l.t("بت", "bits"))
                    @if let Some(tf) = s.tf_adjustment.filter(|t| t.abs() >= 0.05) {
                        " ("
                        @if tf > 0.0 { (l.t("منها ", "of which ")) (ltr(&bits(tf))) (l.t(" لأن الاسم نادر هنا", " because the name is rare here")) }
                        @else { (ltr(&bits(tf))) (l.t(" لأن الاسم شائع هنا", " because the name is common here")) }
                        ")"
                    }
                    @if let Some(p) = s.probability {
                        " = " (ltr(&words::percent(p))) " " (l.t("احتمال أن تكونا أسرة واحدة", "chance they are one household"))
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    note: String,
}

/// `POST /ui/review/bulk`: the checked flags dismissed, a preview (a dry run) first; the
/// applied batch comes back to the queue with its undo.
pub async fn bulk(ctx: Ctx, s: Data<Services>, form: Form<Vec<(String, String)>>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(ROLES)?;
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let f = BulkForm { csrf: field("csrf"), step: field("step"), note: field("note") };
    ctx.check_csrf(&f.csrf)?;
    let l = ctx.lang;
    let flags: Vec<String> = form.iter().filter(|(n, _)| n == "flags").map(|(_, v)| v.clone()).collect();
    let apply = f.step == "apply";
    let body = BatchReviewBody {
        flags: flags.clone(),
        decision: Verdict::Dismiss,
        note: f.note.replace("\r\n", "\n"),
        dry_run: !apply,
    };
    let who = session.principal.clone();
    let answer = run(l, move || desk::review_batch(&s, &who, body)).await?;
    if let Some(batch) = &answer.batch_id {
        return Ok(see_other(&format!("/ui/review?done=batch&batch={}&n={}", url_encode(batch), answer.changes.len())));
    }
    let body = html! {
        h1 { (l.t("معاينة الرفض الجماعي", "Preview: dismiss several flags")) }
        p #preview role="status" {
            (l.t("سيُرفض ", "These ")) (ltr(&words::int(answer.changes.len() as i64)))
            (l.t(" تنبيهاً، ولن تُربط كل أسرتين منها بعد ذلك. لم يتغير شيء بعد.", " flags will be dismissed, and each pair kept apart. Nothing has changed yet."))
        }
        div.table-wrap { table {
            thead { tr {
                th { (l.t("التنبيه", "Flag")) } th { (l.t("النوع", "Kind")) }
                th { (l.t("الآن", "Now")) } th { (l.t("بعد", "After")) } th { (l.t("أسرتان تبقيان منفصلتين", "Households kept apart")) }
            } }
            tbody { @for c in &answer.changes { tr {
                td { a href={ "/ui/flags/" (url_encode(&c.flag_id)) } { (ltr(short(&c.flag_id))) } }
                td { (words::kind(l, &c.kind)) }
                td { (words::status(l, &c.status_before)) }
                td { (words::status(l, &c.status_after)) }
                td { @for (i, h) in c.kept_apart.iter().enumerate() { @if i > 0 { " · " } (ltr(short(h))) } }
            } } }
        } }
        form.card method="post" action="/ui/review/bulk" {
            input type="hidden" name="csrf" value=(session.csrf);
            input type="hidden" name="step" value="apply";
            @for id in &flags { input type="hidden" name="flags" value=(id); }
            label for="bulk-note" { (l.t("ملاحظة (لماذا؟)", "Note (why?)")) }
            textarea #bulk-note name="note" maxlength="2000" rows="2" { (f.note) }
            div.actions {
                button #apply type="submit" { (l.t("ارفض هذه التنبيهات", "Dismiss these flags")) }
                a.button.secondary href="/ui/review" { (l.t("إلغاء", "Cancel")) }
            }
        }
    };
    Ok(layout::page(&ctx, Nav::Review, l.t("معاينة", "Preview"), body))
}

#[derive(Deserialize)]
pub struct UndoForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /ui/reviews/{batch}/undo`.
pub async fn undo(ctx: Ctx, s: Data<Services>, id: Path<String>, f: Form<UndoForm>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(ROLES)?;
    ctx.check_csrf(&f.csrf)?;
    let l = ctx.lang;
    let who = session.principal.clone();
    let id = id.into_inner();
    let done = run(l, move || desk::undo(&s, &who, id)).await?;
    Ok(see_other(&format!("/ui/review?done=undone&n={}", done.flags.len())))
}

/// The notice of a batch just applied, with its undo, for the queue page.
pub fn batch_notice(l: Lang, csrf: &str, batch: &str, n: usize) -> Markup {
    html! {
        div.notice #batch-done role="status" {
            (l.t("رُفضت التنبيهات المختارة: ", "The checked flags were dismissed: ")) (ltr(&words::int(n as i64))) ". "
            form.inline method="post" action={ "/ui/reviews/" (url_encode(batch)) "/undo" } {
                input type="hidden" name="csrf" value=(csrf);
                button #undo type="submit" { (l.t("تراجع", "Undo")) }
            }
        }
    }
}

/// `/ui/static/desk.js`: the desk's keyboard shortcuts. A key clicks the element whose
/// `data-key` it is (the legend lists them); not while typing in a field or with a modifier.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(DESK_JS)
}

const DESK_JS: &str = "document.addEventListener('keydown', function (e) {\n\
  if (e.ctrlKey || e.metaKey || e.altKey) return;\n\
  var t = e.target && e.target.tagName;\n\
  if (t === 'TEXTAREA' || t === 'INPUT' || t === 'SELECT') return;\n\
  var k = (e.key || '').toLowerCase();\n\
  var el = document.querySelector('[data-key=\"' + k + '\"]');\n\
  if (!el) return;\n\
  e.preventDefault();\n\
  el.click();\n\
});\n";
