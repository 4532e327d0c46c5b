//! Household search: one box that takes a name in any spelling or script, a national ID, a phone
//! number and a date of birth, in any order. The words are told apart here and handed to the
//! same search use case as the API; each candidate comes with its evidence in sentences and its
//! aid history across agencies (a household look-up, audited as one).

use actix_web::HttpResponse;
use actix_web::web::{Data, Form};
use maud::{Markup, html};
use serde::Deserialize;

use bawaba_wire::domain::EvidenceItem;
use bawaba_wire::households::SearchQuery;

use super::layout::{self, Nav, aid_table, auto, ltr, short};
use super::words::{self, Lang};
use super::{Ctx, UiError, run};
use crate::service::Services;
use crate::service::search::{self, CandidateWithAid, ROLES};
use crate::service::validate::{ascii_digits, check_name, is_birth_date, is_phone};
/// Candidates shown.
const LIMIT: usize = 10;
/// Aid entries shown under a candidate before "see all".
const AID_SHOWN: usize = 8;

#[derive(Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    csrf: String,
}

/// What the box held, told apart.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub name: Option<String>,
    pub national_id: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<String>,
}

fn is_date(t: &str) -> bool {
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    match b.len() {
        4 => digits(0..4) && (b[0] == b'1' || b[0] == b'2'),
        7 => digits(0..4) && b[4] == b'-' && digits(5..7),
        10 => digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10),
        _ => false,
    }
}

/// Tells apart the words of the box: dates of birth, one number (an ID or a phone), and the
/// rest as a name.
pub fn parse(q: &str) -> Parsed {
    let q = ascii_digits(q);
    let mut out = Parsed::default();
    let mut name = Vec::new();
    let mut number = String::new();
    for tok in q.split_whitespace() {
        if is_date(tok) && out.date_of_birth.is_none() {
            out.date_of_birth = Some(tok.to_owned());
        } else if tok.chars().any(|c| c.is_ascii_digit())
            && tok.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | '.' | '/'))
        {
            number.push_str(tok);
        } else {
            name.push(tok);
        }
    }
    if !name.is_empty() {
        out.name = Some(name.join(" "));
    }
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        let phone_like = number.starts_with('+') || digits.starts_with('0') || digits.len() > 9;
        if phone_like {
            out.phone = Some(number);
        } else {
            out.national_id = Some(digits);
        }
    }
    out
}

fn problems(l: Lang, p: &Parsed) -> Vec<String> {
    let mut out = Vec::new();
    if p.name.is_none() && p.national_id.is_none() && p.phone.is_none() {
        out.push(l.t("اكتب اسماً أو رقم هوية أو رقم هاتف.", "Type a name, a national ID or a phone number.").to_owned());
    }
    if let Some(n) = &p.name
        && check_name(n).is_err()
    {
        out.push(
            l.t(
                "الاسم يحتوي على رموز غير مقبولة (اكتب الاسم بحروف عربية أو لاتينية).",
                "The name has characters that are not accepted (write it in Arabic or Latin letters).",
            )
            .to_owned(),
        );
    }
    if let Some(p) = &p.phone
        && !is_phone(p)
    {
        out.push(l.t("رقم الهاتف غير صالح.", "The phone number is not valid.").to_owned());
    }
    if let Some(d) = &p.date_of_birth
        && !is_birth_date(d)
    {
        out.push(l.t("تاريخ الميلاد غير صالح.", "The date of birth is not valid.").to_owned());
    }
    out
}

fn form(l: Lang, csrf: &str, q: &str) -> Markup {
    html! {
        form.card method="post" action="/ui/search" role="search" {
            input type="hidden" name="csrf" value=(csrf);
            label for="q" { (l.t("ابحث عن أسرة", "Find a household")) }
            div.row {
                div.grow { input #q .big type="search" name="q" value=(q) required autofocus autocomplete="off"; }
                button type="submit" { (l.t("بحث", "Search")) }
            }
            p.hint {
                (l.t(
                    "اسم بأي تهجئة، بالعربية أو بالإنجليزية، أو رقم هوية، أو رقم هاتف، ويمكن إضافة تاريخ الميلاد، مثل",
                    "A name in any spelling, Arabic or Latin, or a national ID, or a phone number; a date of birth may be added, like"
                ))
                " " (ltr("1980-05-01")) "."
            }
        }
    }
}

/// `GET /ui/search`: the box.
pub async fn page(ctx: Ctx) -> Result<HttpResponse, UiError> {
    let s = ctx.require(ROLES)?;
    let l = ctx.lang;
    let body = html! {
        h1 { (l.t("البحث عن أسرة", "Household search")) }
        (form(l, &s.csrf, ""))
    };
    Ok(layout::page(&ctx, Nav::Search, l.t("البحث", "Search"), body))
}

/// `POST /ui/search`: the results.
pub async fn submit(ctx: Ctx, s: Data<Services>, f: Form<SearchForm>) -> Result<HttpResponse, UiError> {
    let session = ctx.require(ROLES)?;
    ctx.check_csrf(&f.csrf)?;
    let l = ctx.lang;
    let q = f.q.trim().chars().take(300).collect::<String>();
    let parsed = parse(&q);
    let errors = problems(l, &parsed);
    let found: Vec<CandidateWithAid> = if errors.is_empty() {
        let who = session.principal.clone();
        let query = SearchQuery {
            name: parsed.name.clone(),
            national_id: parsed.national_id.clone(),
            date_of_birth: parsed.date_of_birth.clone(),
            phone: parsed.phone.clone(),
            governorate: None,
            area: None,
            limit: Some(LIMIT.to_string()),
            reason: None,
        };
        run(l, move || search::search_with_aid(&s, &who, &query)).await?
    } else {
        Vec::new()
    };
    let body = html! {
        h1 { (l.t("البحث عن أسرة", "Household search")) }
        (form(l, &session.csrf, &q))
        @for e in &errors { p.error role="alert" { (e) } }
        @if errors.is_empty() {
            p.muted {
                (l.t("بحثت عن", "Searched for")) ": "
                @if let Some(n) = &parsed.name { (l.t("الاسم", "name")) " " strong { (auto(n)) } " " }
                @if let Some(n) = &parsed.national_id { (l.t("رقم الهوية", "national ID")) " " strong { (ltr(n)) } " " }
                @if let Some(n) = &parsed.phone { (l.t("الهاتف", "phone")) " " strong { (ltr(n)) } " " }
                @if let Some(n) = &parsed.date_of_birth { (l.t("تاريخ الميلاد", "date of birth")) " " strong { (ltr(n)) } }
            }
            @if found.is_empty() {
                p.card { (l.t("لم يُعثر على أي أسرة. جرّب تهجئة أخرى أو رقم الهوية أو الهاتف.",
                    "No household found. Try another spelling, the national ID or the phone.")) }
            } @else {
                p { (l.t("عدد النتائج", "Results")) ": " (ltr(&words::int(found.len() as i64))) " "
                    span.muted { (l.t("(الأقرب أولاً)", "(closest first)")) } }
            }
            @for (i, f) in found.iter().enumerate() { (candidate(l, i + 1, f)) }
        }
    };
    Ok(layout::page(&ctx, Nav::Search, l.t("نتائج البحث", "Search results"), body))
}

fn candidate(l: Lang, rank: usize, f: &CandidateWithAid) -> Markup {
    let c = &f.candidate;
    let href = format!("/ui/households/{}", c.household_id);
    html! {
        article.card.candidate {
            header {
                h2 {
                    (ltr(&format!("{rank}."))) " "
                    a href=(href) { (l.t("أسرة", "Household")) " " (c.members.first().map(|m| m.name.as_str()).map(auto).unwrap_or_else(|| ltr(short(&c.household_id)))) }
                }
                (layout::score(l, c.score, c.band.as_str()))
            }
            h3 { (l.t("لماذا ظهرت هذه الأسرة", "Why this household came up")) }
            (layout::evidence(l, &without_role(&c.evidence), true))
            h3 { (l.t("الأفراد", "Members")) " " span.muted { "(" (ltr(&words::int(c.members.len() as i64))) ")" } }
            ul.members {
                @for m in &c.members {
                    li { (auto(&m.name)) " " span.muted { "· " (words::member_role(l, &m.role)) " · " (auto(&m.agency)) } }
                }
            }
            h3 { (l.t("المساعدات من كل الجهات", "Aid from every agency")) }
            (aid_table(l, &f.aid_history, Some(AID_SHOWN)))
            @if f.aid_history.len() > AID_SHOWN {
                p { a href=(href) { (l.t("كل المساعدات", "All aid")) " (" (ltr(&words::int(f.aid_history.len() as i64))) ")" } }
            }
            @if f.open_flags > 0 {
                p.error { (l.t("تنبيهات مفتوحة", "Open flags")) ": " (ltr(&words::int(f.open_flags as i64))) }
            }
            p { a.button.secondary href=(href) { (l.t("فتح ملف الأسرة", "Open the household")) } }
        }
    }
}

/// Search evidence without the comparison of roles: the one searching gave none.
fn without_role(items: &[EvidenceItem]) -> Vec<EvidenceItem> {
    items.iter().filter(|e| e.field != "query.role").cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_box_tells_words_apart() {
        let p = parse("محمد الشاعر 1980-05-01");
        assert_eq!(p.name.as_deref(), Some("محمد الشاعر"));
        assert_eq!(p.date_of_birth.as_deref(), Some("1980-05-01"));
        assert_eq!(parse("401234563").national_id.as_deref(), Some("401234563"));
        assert_eq!(parse("٤٠١٢٣٤٥٦٣").national_id.as_deref(), Some("401234563"));
        assert_eq!(parse("+970599123456").phone.as_deref(), Some("+970599123456"));
        assert_eq!(parse("0599 123 456").phone.as_deref(), Some("0599123456"));
        assert_eq!(parse("Mohammed Al-Shaer").name.as_deref(), Some("Mohammed Al-Shaer"));
        assert_eq!(parse("  "), Parsed::default());
    }
}
