//! Validation: what a request's types cannot check (dates, ranges, sizes, the characters of
//! names, the shape of identifiers), for every door into the service (the API, the pages, the
//! import and the CLI). Every problem found is reported with its field, not only the first.
//!
//! A record's identifiers are parsed once: each member is prepared for the matcher here, and
//! its parsed national ID, birth date and phone are what validation checks and what intake
//! matches on.

use bawaba_matching::PreparedPerson;
use bawaba_places::Gazetteer;
use bawaba_wire::records::RecordBody;
use chrono::NaiveDate;

use super::domain::{Group, NewMember, NewRecord};
use super::error::{FieldProblem, ServiceError};
use super::index::person_input;
use super::intake::Item;

/// Most members a household may have in one record.
pub const MAX_MEMBERS: usize = 50;
/// Longest text field, in characters.
pub const MAX_TEXT: usize = 200;

/// Reads a strict `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Result<NaiveDate, &'static str> {
    let date = if s.len() == 10 { NaiveDate::parse_from_str(s, "%Y-%m-%d").ok() } else { None };
    date.ok_or("must be a real date written YYYY-MM-DD")
}

/// Checks a strict `YYYY-MM-DD` date.
pub fn check_date(s: &str) -> Result<(), &'static str> {
    parse_date(s).map(drop)
}

/// Bidi controls, zero-width characters and other invisible format characters, refused in names
/// because they change how a name displays without changing what it says.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// An Arabic letter. Tatweel (ـ) and the vowel and shadda marks are not letters, though
/// Unicode counts them alphabetic: a "name" of only those says nothing.
fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}'
        | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
        && c.is_alphabetic()
        && !is_arabic_mark(c)
}

/// Tatweel and the marks written over or under letters (harakat, shadda, sukun, dagger alef).
fn is_arabic_mark(c: char) -> bool {
    matches!(c, '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0610}'..='\u{061A}' | '\u{0670}')
}

/// The earliest and latest years an aid period may start or end in: a period of
/// `0000-01-01..9999-12-31` would overlap every other and is a mistake, not a programme.
const PERIOD_YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// A period's start or end: a real `YYYY-MM-DD` date within [`PERIOD_YEARS`].
fn period_date(s: &str) -> Result<NaiveDate, &'static str> {
    use chrono::Datelike;
    let date = parse_date(s)?;
    if PERIOD_YEARS.contains(&date.year()) { Ok(date) } else { Err("must be a date between 1990-01-01 and 2100-12-31") }
}

/// Checks a person's name: letters of one script, with spaces, hyphens, apostrophes, dots and
/// Arabic diacritics; no control, bidi or zero-width characters, no digits but the Arabizi ones
/// inside a Latin word (`7asan`, `Sa3eed`: see [`arabizi_digit`]).
pub fn check_name(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if s.chars().count() > MAX_TEXT {
        return Err(format!("must be at most {MAX_TEXT} characters"));
    }
    let (mut arabic, mut latin, mut digits) = (false, false, false);
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // The letters of almost every name first, without Unicode's tables: the basic Arabic
        // letters (hamza to ghain, fa to ya), ASCII letters and the space are none of what
        // the checks below refuse.
        if matches!(c, '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}') {
            arabic = true;
            continue;
        }
        if c.is_ascii_alphabetic() {
            latin = true;
            continue;
        }
        if c == ' ' {
            continue;
        }
        if c.is_control() {
            return Err(format!("contains a control character (U+{:04X})", c as u32));
        }
        if is_invisible_format(c) {
            return Err(format!("contains an invisible bidi or zero-width character (U+{:04X})", c as u32));
        }
        if c.is_numeric() {
            if !arabizi_digit(&chars, i) {
                return Err("must not contain digits".into());
            }
            digits = true;
            continue;
        }
        if is_arabic_mark(c) {
            continue;
        }
        if is_arabic_letter(c) {
            arabic = true;
        } else if c.is_alphabetic() {
            if c.is_ascii_alphabetic()
                || ('\u{00C0}'..='\u{024F}').contains(&c)
                || ('\u{1E00}'..='\u{1EFF}').contains(&c)
            {
                latin = true;
            } else {
                return Err(format!("contains a letter of an unsupported script (U+{:04X})", c as u32));
            }
        } else if !(c.is_whitespace()
            || matches!(c, '-' | '\'' | '.' | '\u{2019}' | '\u{02BC}' | '\u{02BF}' | '\u{02BE}' | '`' | '\u{0640}')
            || ('\u{064B}'..='\u{065F}').contains(&c)
            || ('\u{0610}'..='\u{061A}').contains(&c)
            || c == '\u{0670}'
            || ('\u{0300}'..='\u{036F}').contains(&c))
        {
            return Err(format!("contains a character that is not part of a name (U+{:04X})", c as u32));
        }
    }
    if arabic && latin {
        return Err("mixes Arabic and Latin script; send one spelling".into());
    }
    if !arabic && !latin {
        return Err("must contain letters".into());
    }
    if digits && arabic {
        return Err("must not contain digits".into());
    }
    Ok(())
}

/// Whether the digit at `i` is Arabizi, the Latin chat spelling of Arabic letters (2 ء, 3 ع,
/// 5 خ, 6 ط, 7 ح, 8 غ, 9 ق) that people registering themselves on a phone write: one of those
/// digits touching a Latin letter (`7asan`, `Sa3eed`, `Ma7moud`). Any other digit in a name
/// (`X1`, a lone `3`) is a mistake and refused; the matcher reads these ones as their letters.
fn arabizi_digit(chars: &[char], i: usize) -> bool {
    let latin = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(char::is_ascii_alphabetic);
    matches!(chars[i], '2' | '3' | '5' | '6' | '7' | '8' | '9') && (latin(i.checked_sub(1)) || latin(Some(i + 1)))
}

/// Longest place name or spelling the admin may add, in characters.
pub const MAX_PLACE_NAME: usize = 100;

/// Checks a place's name or another spelling of it: 1 to [`MAX_PLACE_NAME`] characters with at
/// least one letter, no control, bidi or zero-width characters. Digits and punctuation are
/// allowed ("Camp No. 1", "Al-Mawasi (Rafah)").
pub fn check_place_name(s: &str) -> Result<(), String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.chars().count() > MAX_PLACE_NAME {
        return Err(format!("must be at most {MAX_PLACE_NAME} characters"));
    }
    if let Some(c) = s.chars().find(|&c| c.is_control() || is_invisible_format(c)) {
        return Err(format!("contains a control, bidi or zero-width character (U+{:04X})", c as u32));
    }
    if !s.chars().any(|c| c.is_alphabetic() && !is_arabic_mark(c)) {
        return Err("must contain letters".into());
    }
    Ok(())
}

/// Whether a text holds an Arabic letter.
pub fn has_arabic_letter(s: &str) -> bool {
    s.chars().any(is_arabic_letter)
}

/// A place filter's value (`governorate=`, `area=`): trimmed, at most [`MAX_TEXT`] characters,
/// no control characters; `None` when absent or blank.
pub fn place_filter(problems: &mut Vec<FieldProblem>, field: &str, raw: &Option<String>) -> Option<String> {
    let v = nonempty(raw)?;
    if v.chars().count() > MAX_TEXT || v.chars().any(|c| c.is_control() || is_invisible_format(c)) {
        problems.push(FieldProblem::new(
            field,
            format!("must be a place code or name of at most {MAX_TEXT} characters, with no control characters"),
        ));
        return None;
    }
    Some(v)
}

/// A free text field: trimmed, at most 200 characters, no control or invisible characters;
/// `None` when absent or blank.
pub fn check_text(problems: &mut Vec<FieldProblem>, field: &str, value: &Option<String>) -> Option<String> {
    let v = value.as_ref()?;
    let trimmed = v.trim();
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.chars().count() > MAX_TEXT {
        problems.push(FieldProblem::new(field, format!("must be at most {MAX_TEXT} characters")));
    } else if trimmed.chars().any(|c| c.is_control() || is_invisible_format(c)) {
        problems.push(FieldProblem::new(field, "contains a control, bidi or zero-width character"));
    }
    Some(trimmed.to_owned())
}

/// Validates a record body into an intake item: everything types cannot check, every problem
/// reported, not only the first. The location's names are resolved to codes in `places`; a
/// name that resolves to nothing is kept as written with no code, never refused.
pub fn record(body: RecordBody, places: &Gazetteer) -> Result<Item, ServiceError> {
    let this = body;
    {
        let mut problems = Vec::new();
        let external_id = this.external_id.trim().to_owned();
        if external_id.is_empty() {
            problems.push(FieldProblem::new("external_id", "must not be empty"));
        } else if external_id.chars().count() > MAX_TEXT
            || external_id.chars().any(|c| c.is_control() || is_invisible_format(c))
        {
            problems
                .push(FieldProblem::new("external_id", "must be at most 200 characters, with no control characters"));
        }
        let a = &this.assistance;
        let period_start = period_date(&a.period_start)
            .map_err(|p| problems.push(FieldProblem::new("assistance.period_start", p)))
            .ok();
        let period_end = match &a.period_end {
            Some(end) => match period_date(end) {
                Err(p) => {
                    problems.push(FieldProblem::new("assistance.period_end", p));
                    None
                }
                Ok(end) => {
                    // Only a real start is compared (one out of range still is).
                    if parse_date(&a.period_start).is_ok_and(|start| end < start) {
                        problems.push(FieldProblem::new("assistance.period_end", "must not be before period_start"));
                    }
                    Some(end)
                }
            },
            None => period_start,
        };
        if let Some(amount) = a.amount {
            if !amount.is_finite() || amount.is_sign_negative() {
                problems.push(FieldProblem::new("assistance.amount", "must be a number ≥ 0"));
            } else if amount > 1e12 {
                problems.push(FieldProblem::new("assistance.amount", "is implausibly large"));
            }
            if a.currency.is_none() {
                problems.push(FieldProblem::new("assistance.currency", "is required when amount is given"));
            }
        }
        if let Some(c) = &a.currency
            && !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            problems
                .push(FieldProblem::new("assistance.currency", "must be three capital letters (ISO 4217), e.g. ILS"));
        }
        let program = check_text(&mut problems, "assistance.program", &a.program);
        let (governorate, locality) = match &this.location {
            Some(l) => (
                check_text(&mut problems, "location.governorate", &l.governorate),
                check_text(&mut problems, "location.locality", &l.locality),
            ),
            None => (None, None),
        };
        if this.members.is_empty() {
            problems.push(FieldProblem::new("members", "must hold at least one member"));
        } else if this.members.len() > MAX_MEMBERS {
            problems.push(FieldProblem::new("members", format!("must hold at most {MAX_MEMBERS} members")));
        }
        let mut members = Vec::with_capacity(this.members.len().min(MAX_MEMBERS));
        let mut prepared = Vec::with_capacity(members.capacity());
        for (i, m) in this.members.iter().enumerate().take(MAX_MEMBERS) {
            if let Err(p) = check_name(&m.name) {
                problems.push(FieldProblem::new(format!("members[{i}].name"), p));
            }
            let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
            let mut member = NewMember {
                role: m.role,
                name: m.name.trim().to_owned(),
                national_id: given(&m.national_id),
                date_of_birth: given(&m.date_of_birth),
                sex: m.sex,
                phone: given(&m.phone),
                groups: member_groups(&mut problems, i, m.groups.as_deref()),
            };
            // The one parse of this member's identifiers: the matcher's.
            let p: PreparedPerson = bawaba_matching::prepare(&person_input(&member));
            if let Some(raw) = &member.national_id {
                let id = p.national_id().filter(|id| {
                    (5..=12).contains(&id.len()) && raw.chars().all(|c| c.is_numeric() || c == ' ' || c == '-')
                });
                if id.is_none() {
                    problems.push(FieldProblem::new(format!("members[{i}].national_id"), "must be 5 to 12 digits"));
                }
                member.national_id = id;
            }
            if member.date_of_birth.is_some() && !p.date_of_birth().is_some_and(plausible_birth) {
                problems.push(FieldProblem::new(
                    format!("members[{i}].date_of_birth"),
                    "must be a real date written YYYY-MM-DD, YYYY-MM or YYYY, between 1900 and today",
                ));
            }
            if let Some(raw) = &member.phone {
                let plausible = raw.chars().all(|c| c.is_numeric() || " +-()".contains(c));
                if !plausible || p.phone().is_none() {
                    problems.push(FieldProblem::new(
                        format!("members[{i}].phone"),
                        "must be a phone number: digits, spaces, dashes and a leading +",
                    ));
                }
            }
            members.push(member);
            prepared.push(p);
        }
        let (Some(period_start), Some(period_end)) = (period_start, period_end) else {
            return Err(ServiceError::Validation(problems));
        };
        if !problems.is_empty() {
            return Err(ServiceError::Validation(problems));
        }
        let resolved = places.resolve(governorate.as_deref(), locality.as_deref());
        Ok(Item::new(
            NewRecord {
                external_id,
                aid_type: a.aid_type,
                program,
                amount: a.amount,
                currency: a.currency.clone(),
                period_start,
                period_end,
                governorate,
                locality,
                governorate_code: resolved.governorate_code,
                locality_code: resolved.locality_code,
                members,
            },
            prepared,
        ))
    }
}

/// A member's posted groups: each one of the posted groups, once; a derived group (`elderly`,
/// `female_headed`) or an unknown word is refused naming the field.
fn member_groups(problems: &mut Vec<FieldProblem>, i: usize, given: Option<&[String]>) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    let given = given.unwrap_or_default();
    if given.len() > Group::ALL.len() * 2 {
        problems.push(FieldProblem::new(format!("members[{i}].groups"), "must hold at most 12 values"));
        return out;
    }
    for (j, raw) in given.iter().enumerate() {
        let field = format!("members[{i}].groups[{j}]");
        match Group::parse(raw.trim()) {
            Some(g) if !g.is_posted() => problems.push(FieldProblem::new(
                field,
                format!("`{g}` is derived by the gateway (from the birth date or the head's sex), never posted"),
            )),
            Some(g) => {
                if !out.contains(&g) {
                    out.push(g);
                }
            }
            None => problems.push(FieldProblem::new(
                field,
                "must be one of disability, chronic_illness, child_protection, women_protection",
            )),
        }
    }
    out
}

/// A birth date not before 1900 and not after today, at the precision given.
fn plausible_birth(d: bawaba_matching::normalize::PartialDate) -> bool {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let given = (i32::from(d.year), d.month.map_or(0, u32::from), d.day.map_or(0, u32::from));
    let now = (
        today.year(),
        if d.month.is_some() { today.month() } else { 0 },
        if d.day.is_some() { today.day() } else { 0 },
    );
    d.year >= 1900 && given <= now
}

/// A query parameter's value, trimmed; `None` when absent or blank.
pub fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// A page size from 1 to `max`, `default` when absent.
pub fn limit(problems: &mut Vec<FieldProblem>, raw: &Option<String>, default: usize, max: usize) -> usize {
    match nonempty(raw) {
        None => default,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                problems.push(FieldProblem::new("limit", format!("must be a whole number from 1 to {max}")));
                default
            }
        },
    }
}

/// An optional `YYYY-MM-DD` parameter; `None` (and a problem) when it is not a date.
pub fn date(problems: &mut Vec<FieldProblem>, field: &str, raw: &Option<String>) -> Option<NaiveDate> {
    let v = nonempty(raw)?;
    parse_date(&v).map_err(|p| problems.push(FieldProblem::new(field, p))).ok()
}

pub use bawaba_matching::normalize::ascii_digits;

/// Whether `s` reads as a phone number.
pub fn is_phone(s: &str) -> bool {
    bawaba_matching::normalize::phone(s).is_some()
}

/// Whether `s` reads as a date of birth (`YYYY-MM-DD`, `YYYY-MM` or `YYYY`).
pub fn is_birth_date(s: &str) -> bool {
    bawaba_matching::normalize::date_of_birth(s).is_some()
}

/// Parses a JSON value into `T`, naming the field at fault.
pub fn parse_value<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ServiceError> {
    if !value.is_object() {
        return Err(ServiceError::field("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let problem = e.into_inner().to_string();
        ServiceError::field(field_name(&path, &problem), problem)
    })
}

/// Parses a JSON body into a wire type strictly (unknown fields, wrong types and unknown enum
/// values refused), naming the field at fault; every edge that takes a JSON body (the API, the
/// offline dedup of a file) parses it here, so they name fields alike.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ServiceError> {
    // Every body is an object; serde's derive would also read a struct from an array.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|&b| b != b'{') && serde_json::from_slice::<serde_json::Value>(bytes).is_ok() {
        return Err(ServiceError::field("body", "must be a JSON object"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ServiceError::field("body", format!("malformed JSON: {inner}"));
        }
        let problem = inner.to_string();
        ServiceError::field(field_name(&path, &problem), problem)
    })
}

/// The field a parse error is about: its path, and for a missing field the field itself
/// (`assistance`, `members[0].name`) rather than the object that lacks it.
pub fn field_name(path: &str, problem: &str) -> String {
    let root = path == "." || path == "?" || path.is_empty();
    let missing = problem.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
    match (root, missing) {
        (true, Some(f)) => f.to_owned(),
        (false, Some(f)) => format!("{path}.{f}"),
        (true, None) => "body".to_owned(),
        (false, None) => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::check_name;

    /// The common letters take a path of their own (no Unicode tables): what the checks refuse
    /// around them is refused still.
    #[test]
    fn names_pass_and_fail_as_their_letters_say() {
        assert_eq!(check_name("محمد احمد محمود الشاعر"), Ok(()));
        assert_eq!(check_name("Mohammed Ahmad Al-Shaer"), Ok(()));
        assert_eq!(check_name("M7amad"), Ok(()), "an Arabizi digit between Latin letters");
        assert_eq!(check_name("پرویز"), Ok(()), "Arabic-script letters outside the basic block");
        let refused = |name: &str, why: &str| {
            let e = check_name(name).expect_err(name);
            assert!(e.contains(why), "{name}: {e}");
        };
        refused("محمد Ahmad", "mixes Arabic and Latin");
        refused("محمد 7", "digits");
        refused("محمد\u{200D}علي", "invisible");
        refused("محمد\u{0007}", "control");
        refused("ـــ\u{064E}\u{0651} ـ", "letters");
        refused("Андрей", "unsupported script");
        refused("محمد!", "not part of a name");
    }
}
