//! The auditor's page (`/ui/quality`): how often the matcher is right, per band, from
//! reviewers' decisions and blind spot checks (`service::quality::quality`, for auditors and the
//! admin), and the spot checks themselves (`service::quality::draw`, `open_first`, `answer`, for
//! caseworkers and auditors): drawn at random from the automatic links, each shown as the
//! record's members beside the household's, with no score and no band, answered "same" or
//! "different". Everything is audited by the use cases.

use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path, Query};
use maud::{Markup, html};
use serde::Deserialize;

use bawaba_wire::desk::{BandQuality, DrawBody, SpotAnswerBody, SpotCheck};
use bawaba_wire::households::KnownMember;
use bawaba_wire::records::StoredMember;

use super::layout::{self, Nav, auto, ltr, short};
use super::words::{self, Lang};
use super::{Ctx, UiError, run, see_other, url_encode};
use crate::service::Services;
use crate::service::quality::{self, CHECK, PAGE, READ};

/// Spot checks shown at once on the page (the rest wait their turn).
const SHOWN: usize = 5;

#[derive(Deserialize)]
pub struct QualityQuery {
    done: Option<String>,
}

/// `GET /ui/quality`.
pub async fn page(ctx: Ctx, s: Data<Services>, q: Query<QualityQuery>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(PAGE)?;
    let l = ctx.lang;
    let role = session.principal.role;
    let estimate = if READ.contains(&role) {
        let (s, who) = (s.clone(), session.principal.clone());
        Some(run(l, move || quality::quality(&s, &who)).await?)
    } else {
        None
    };
    let checks = if CHECK.contains(&role) {
        let (s, who) = (s.clone(), session.principal.clone());
        Some(run(l, move || quality::open_first(&s, &who, SHOWN)).await?)
    } else {
        None
    };
    let body = html! {
        h1 { (l.t("جودة المطابقة", "Match quality")) }
        p.muted { (l.t(
            "كم مرة تصيب البوابة حين تربط سجلاً بأسرة: من قرارات المراجعين على التنبيهات، ومن فحوص عشوائية عمياء للروابط التلقائية.",
            "How often the gateway is right when it links a record to a household: from reviewers' decisions on flags, and from blind random checks of the automatic links.")) }
        @match q.done.as_deref() {
            Some("same") | Some("different") => p.notice #answered role="status" {
                (l.t("حُفظت الإجابة.", "The answer was saved.")) @if estimate.is_some() { " " (l.t("تغيّر التقدير أدناه.", "The estimate below has moved.")) }
            },
            Some("drawn") => p.notice #drawn role="status" { (l.t("سُحبت فحوص جديدة.", "New spot checks were drawn.")) },
            _ => {},
        }
        @if let Some(e) = &estimate {
            h2 { (l.t("الدقة في كل فئة", "Precision per band")) }
            (bands(l, &e.bands))
            p.hint {
                (l.t("الدقة: نسبة الروابط الصحيحة مما حُكم عليه، مع احتمال مسبق منتظم؛ والمجال فاصل ويلسون بثقة 95٪. فئة «محتمل» لا تُربط تلقائياً: تُقدَّر من قرارات المراجعين.",
                    "Precision: the share of judged links that were right, with a uniform prior; the range is a 95% Wilson interval. The possible band is never linked automatically: it is estimated from reviewers' decisions."))
            }
            // Who answers checks sees the count with the checks below; who cannot, sees it here.
            @if checks.is_none() {
                p #open-total { (l.t("فحوص تنتظر إجابة: ", "Spot checks waiting for an answer: ")) (ltr(&words::int(e.spot_checks_open as i64))) }
            }
        }
        @if let Some((open, waiting)) = &checks {
            h2 { (l.t("فحوص عمياء للروابط التلقائية", "Blind spot checks of automatic links")) }
            p.muted { (l.t(
                "كل فحص سجلٌ ربطته البوابة بأسرة دون مراجعة، مختار عشوائياً. الدرجة مخفية: احكم من الأفراد وحدهم.",
                "Each check is a record the gateway linked to a household with no review, chosen at random. The score is hidden: judge from the members alone.")) }
            form.row.draw method="post" action="/ui/quality/draw" {
                input type="hidden" name="csrf" value=(session.csrf);
                div {
                    label for="size" { (l.t("كم فحصاً يُسحب", "How many to draw")) }
                    select #size name="size" {
                        @for n in [5, 10, 20, 50] { option value=(n) selected[n == 10] { (n) } }
                    }
                }
                div { button #draw type="submit" { (l.t("اسحب فحوصاً", "Draw spot checks")) } }
            }
            p #waiting role="status" {
                (l.t("تنتظر إجابة: ", "Waiting for an answer: ")) (ltr(&words::int(*waiting as i64)))
                @if *waiting > open.spot_checks.len() {
                    (l.t("، تُعرض أول ", "; the first ")) (ltr(&words::int(open.spot_checks.len() as i64)))
                    (l.t(" منها", " are shown"))
                }
            }
            @for (i, c) in open.spot_checks.iter().enumerate() {
                (spot_check(l, &session.csrf, c, i + 1, *waiting))
            }
        }
    };
    Ok(layout::page(&ctx, Nav::Quality, l.t("جودة المطابقة", "Match quality"), body))
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The estimate per band: counts, precision, its interval in figures and as a small bar.
fn bands(l: Lang, bs: &[BandQuality]) -> Markup {
    let n = |v: u64| ltr(&words::int(v as i64));
    html! {
        div.table-wrap {
            table.quality #quality {
                thead {
                    tr {
                        th rowspan="2" { (l.t("الفئة", "Band")) }
                        th colspan="2" { (l.t("قرارات المراجعين", "Reviewers' decisions")) }
                        th colspan="2" { (l.t("الفحوص العمياء", "Blind spot checks")) }
                        th.n rowspan="2" { (l.t("حُكم عليها", "Judged")) }
                        th.n rowspan="2" { (l.t("الدقة", "Precision")) }
                        th rowspan="2" { (l.t("مجال الثقة 95٪", "95% interval")) }
                    }
                    tr {
                        th.n { (l.t("مؤكَّدة", "confirmed")) } th.n { (l.t("مرفوضة", "dismissed")) }
                        th.n { (l.t("الأسرة نفسها", "same")) } th.n { (l.t("مختلفة", "different")) }
                    }
                }
                tbody {
                    @for b in bs {
                        @let (lo, hi) = (b.interval.first().copied().unwrap_or(0.0), b.interval.get(1).copied().unwrap_or(1.0));
                        tr data-band=(b.band) {
                            td { span class={ "band band-" (b.band) } { (words::band(l, &b.band)) } }
                            td.n { (n(b.confirmed)) } td.n { (n(b.dismissed)) }
                            td.n { (n(b.spot_checked_same)) } td.n { (n(b.spot_checked_different)) }
                            td.n.judged { (n(b.judged)) }
                            td.n.precision { (ltr(&pct(b.precision))) }
                            td.interval {
                                (ltr(&format!("{} – {}", pct(lo), pct(hi))))
                                (interval_bar(l, b.precision, lo, hi))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The interval as a bar from 0% to 100%, the estimate a dot on it. It runs the way the page
/// reads, as the pages' other charts do: from the right in Arabic.
fn interval_bar(l: Lang, p: f64, lo: f64, hi: f64) -> Markup {
    let (w, pad) = (120.0_f64, 4.0_f64);
    let rtl = l == Lang::Ar;
    let x = |v: f64| {
        let v = v.clamp(0.0, 1.0);
        let along = if rtl { 1.0 - v } else { v };
        pad + along * w
    };
    html! {
        svg.interval xmlns="http://www.w3.org/2000/svg" width=(w + 2.0 * pad) height="14" viewBox={ "0 0 " (w + 2.0 * pad) " 14" }
            role="img" aria-label=(format!("{} {} – {}", l.t("المجال", "interval"), pct(lo), pct(hi))) {
            line x1=(x(0.0)) x2=(x(1.0)) y1="7" y2="7" stroke="#d5dae3" stroke-width="2" {}
            line x1=(x(lo)) x2=(x(hi)) y1="7" y2="7" stroke="#3f6fb5" stroke-width="6" stroke-linecap="round" {}
            circle cx=(x(p)) cy="7" r="4" fill="#fff" stroke="#1d3557" stroke-width="2" {}
        }
    }
}

/// One spot check: the record's members beside the household's, and the two answers.
fn spot_check(l: Lang, csrf: &str, c: &SpotCheck, k: usize, n: usize) -> Markup {
    html! {
        section.card.spot id={ "spot-" (c.spot_check_id) } {
            header.row {
                strong { (l.t("فحص ", "Spot check ")) (ltr(&words::int(k as i64))) (l.t(" من ", " of ")) (ltr(&words::int(n as i64))) }
                span.muted { (l.t("السجل", "Record")) " " a href={ "/ui/records/" (url_encode(&c.record_id)) } { (ltr(short(&c.record_id))) } }
                span.muted { (l.t("الأسرة", "Household")) " " a href={ "/ui/households/" (url_encode(&c.household_id)) } { (ltr(short(&c.household_id))) } }
            }
            div.sides {
                div {
                    h3 { (l.t("السجل الذي رُبط", "The record that was linked")) }
                    (members(l, c.record_members.iter().map(|m| (m, None))))
                }
                div {
                    h3 { (l.t("الأسرة التي رُبط بها", "The household it was linked to")) }
                    (members(l, c.household_members.iter().map(|k: &KnownMember| (&k.member, Some(k.agency.as_str())))))
                }
            }
            form.decide method="post" action={ "/ui/quality/spot-checks/" (url_encode(&c.spot_check_id)) } {
                input type="hidden" name="csrf" value=(csrf);
                div.actions {
                    button.same type="submit" name="answer" value="same" { (l.t("الأسرة نفسها: الربط صحيح", "The same household: the link is right")) }
                    button.secondary.different type="submit" name="answer" value="different" { (l.t("أسرتان مختلفتان: الربط خطأ", "Different households: the link is wrong")) }
                }
            }
        }
    }
}

fn members<'a>(l: Lang, ms: impl Iterator<Item = (&'a StoredMember, Option<&'a str>)>) -> Markup {
    let ms: Vec<_> = ms.collect();
    let with_agency = ms.iter().any(|(_, a)| a.is_some());
    let opt = |v: Option<&str>| match v {
        Some(v) if !v.is_empty() => ltr(v),
        _ => html! { span.muted { "—" } },
    };
    html! {
        @if ms.is_empty() {
            p.muted { (l.t("لا أفراد.", "No members.")) }
        } @else {
            div.table-wrap { table {
                thead { tr {
                    th { (l.t("الاسم", "Name")) } th { (l.t("الصفة", "Role")) }
                    th { (l.t("رقم الهوية", "National ID")) } th { (l.t("تاريخ الميلاد", "Date of birth")) }
                    th { (l.t("الجنس", "Sex")) } th { (l.t("الهاتف", "Phone")) }
                    @if with_agency { th { (l.t("الجهة", "Agency")) } }
                } }
                tbody { @for (m, agency) in &ms { tr {
                    td.wrap { (auto(&m.name)) }
                    td { (words::member_role(l, &m.role)) }
                    td { (opt(m.national_id.as_deref())) }
                    td { (opt(m.date_of_birth.as_deref())) }
                    td { (m.sex.as_deref().map(|s| words::sex(l, s)).unwrap_or("—")) }
                    td { (opt(m.phone.as_deref())) }
                    @if with_agency { td { (auto(agency.unwrap_or("—"))) } }
                } } }
            } }
        }
    }
}

#[derive(Deserialize)]
pub struct DrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    size: String,
}

/// `POST /ui/quality/draw`: draws spot checks, then the page with them.
pub async fn draw(ctx: Ctx, s: Data<Services>, f: Form<DrawForm>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(CHECK)?;
    ctx.check_csrf(&f.csrf)?;
    let l = ctx.lang;
    let size = match f.size.trim() {
        "" => None,
        v => Some(v.parse::<u32>().unwrap_or(0)),
    };
    let who = session.principal.clone();
    run(l, move || quality::draw(&s, &who, DrawBody { size })).await?;
    Ok(see_other("/ui/quality?done=drawn"))
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    answer: String,
}

/// `POST /ui/quality/spot-checks/{id}`: `same` or `different`, then the page again.
pub async fn answer(
    ctx: Ctx,
    s: Data<Services>,
    id: Path<String>,
    f: Form<AnswerForm>,
) -> Result<HttpResponse, UiError> {
    let session = ctx.require(CHECK)?;
    ctx.check_csrf(&f.csrf)?;
    let l = ctx.lang;
    let who = session.principal.clone();
    let body = SpotAnswerBody { answer: f.answer.clone() };
    let done = run(l, move || quality::answer(&s, &who, &id, body)).await?;
    Ok(see_other(&format!("/ui/quality?done={}", url_encode(&done.answer))))
}
