//! Request bodies as clients send them, and their validation into the domain's [`NewRecord`].
//!
//! Parsing is strict (unknown fields, wrong types and unknown enum values are refused, with the
//! path of the field); validation then checks what types cannot: dates, ranges, sizes and the
//! characters of names. Every problem found is reported, not only the first.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldProblem};
use crate::service::domain::{AidType, MemberRole, NewMember, NewRecord, Sex};

/// Most members a household may have in one record.
pub const MAX_MEMBERS: usize = 50;
/// Longest text field, in characters.
pub const MAX_TEXT: usize = 200;

/// `POST /v1/records` and `/v1/records/check`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// The agency's own reference; unique per agency.
    pub external_id: String,
    pub assistance: AssistanceBody,
    #[serde(default)]
    pub location: Option<LocationBody>,
    /// 1 to 50 members.
    pub members: Vec<MemberBody>,
}

/// What was given, when.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssistanceBody {
    #[serde(rename = "type")]
    pub aid_type: AidType,
    #[serde(default)]
    pub program: Option<String>,
    #[serde(default)]
    pub amount: Option<f64>,
    /// Three capital letters (ISO 4217), required with `amount`.
    #[serde(default)]
    pub currency: Option<String>,
    /// `YYYY-MM-DD`.
    pub period_start: String,
    /// `YYYY-MM-DD`, not before `period_start`; absent means one day.
    #[serde(default)]
    pub period_end: Option<String>,
}

/// Where the household lives.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    #[serde(default)]
    pub governorate: Option<String>,
    #[serde(default)]
    pub locality: Option<String>,
}

/// One member as the agency wrote it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    pub role: MemberRole,
    /// Full name, Arabic or Latin script.
    pub name: String,
    #[serde(default)]
    pub national_id: Option<String>,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    #[serde(default)]
    pub date_of_birth: Option<String>,
    #[serde(default)]
    pub sex: Option<Sex>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// `POST /v1/records/batch`: items are kept as raw JSON so that one bad item is its own error.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// Up to 10,000 records.
    #[schema(value_type = Vec<RecordBody>)]
    pub records: Vec<serde_json::Value>,
}

/// Parses JSON into `T`, naming the field at fault.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::field("body", format!("malformed JSON: {inner}"));
        }
        ApiError::field(field_name(path), inner.to_string())
    })
}

fn field_name(path: String) -> String {
    if path == "." || path == "?" || path.is_empty() { "body".to_owned() } else { path }
}

/// Parses a JSON value into `T`, naming the field at fault.
pub fn parse_value<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() { "body".to_owned() } else { path };
        ApiError::field(field, e.into_inner().to_string())
    })
}

/// Checks a strict `YYYY-MM-DD` date.
pub fn check_date(s: &str) -> Result<(), &'static str> {
    let ok = s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
    if ok { Ok(()) } else { Err("must be a real date written YYYY-MM-DD") }
}

/// Bidi controls, zero-width characters and other invisible format characters, refused in names
/// because they change how a name displays without changing what it says.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}'
        | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
        && c.is_alphabetic()
}

/// Checks a person's name: letters of one script, with spaces, hyphens, apostrophes, dots and
/// Arabic diacritics; no control, bidi or zero-width characters, no digits.
pub fn check_name(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if s.chars().count() > MAX_TEXT {
        return Err(format!("must be at most {MAX_TEXT} characters"));
    }
    let (mut arabic, mut latin) = (false, false);
    for c in s.chars() {
        if c.is_control() {
            return Err(format!("contains a control character (U+{:04X})", c as u32));
        }
        if is_invisible_format(c) {
            return Err(format!("contains an invisible bidi or zero-width character (U+{:04X})", c as u32));
        }
        if c.is_numeric() {
            return Err("must not contain digits".into());
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
    Ok(())
}

fn check_text(problems: &mut Vec<FieldProblem>, field: &str, value: &Option<String>) -> Option<String> {
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

impl RecordBody {
    /// Validates everything types cannot, reporting every problem found.
    pub fn validate(self) -> Result<NewRecord, ApiError> {
        let mut problems = Vec::new();
        let external_id = self.external_id.trim().to_owned();
        if external_id.is_empty() {
            problems.push(FieldProblem::new("external_id", "must not be empty"));
        } else if external_id.len() > MAX_TEXT || external_id.chars().any(|c| c.is_control() || is_invisible_format(c))
        {
            problems
                .push(FieldProblem::new("external_id", "must be at most 200 characters, with no control characters"));
        }
        let a = &self.assistance;
        if let Err(p) = check_date(&a.period_start) {
            problems.push(FieldProblem::new("assistance.period_start", p));
        }
        let period_end = match &a.period_end {
            Some(end) => {
                if let Err(p) = check_date(end) {
                    problems.push(FieldProblem::new("assistance.period_end", p));
                } else if check_date(&a.period_start).is_ok() && end.as_str() < a.period_start.as_str() {
                    problems.push(FieldProblem::new("assistance.period_end", "must not be before period_start"));
                }
                end.clone()
            }
            None => a.period_start.clone(),
        };
        if let Some(amount) = a.amount {
            if !amount.is_finite() || amount < 0.0 {
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
        let (governorate, locality) = match &self.location {
            Some(l) => (
                check_text(&mut problems, "location.governorate", &l.governorate),
                check_text(&mut problems, "location.locality", &l.locality),
            ),
            None => (None, None),
        };
        if self.members.is_empty() {
            problems.push(FieldProblem::new("members", "must hold at least one member"));
        } else if self.members.len() > MAX_MEMBERS {
            problems.push(FieldProblem::new("members", format!("must hold at most {MAX_MEMBERS} members")));
        }
        let mut members = Vec::with_capacity(self.members.len().min(MAX_MEMBERS));
        for (i, m) in self.members.iter().enumerate().take(MAX_MEMBERS) {
            if let Err(p) = check_name(&m.name) {
                problems.push(FieldProblem::new(format!("members[{i}].name"), p));
            }
            let national_id = match m.national_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => None,
                Some(raw) => match bawaba_matching::normalize::national_id(raw) {
                    Some(id)
                        if (5..=12).contains(&id.len())
                            && raw.chars().all(|c| c.is_numeric() || c == ' ' || c == '-') =>
                    {
                        Some(id)
                    }
                    _ => {
                        problems.push(FieldProblem::new(format!("members[{i}].national_id"), "must be 5 to 12 digits"));
                        None
                    }
                },
            };
            let date_of_birth = match m.date_of_birth.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => None,
                Some(raw) => {
                    let ok = bawaba_matching::normalize::date_of_birth(raw).is_some_and(|d| {
                        // Not before 1900 and not after today (at the precision given).
                        let today = chrono::Utc::now().date_naive();
                        let (y, m, day) = (
                            chrono::Datelike::year(&today),
                            chrono::Datelike::month(&today),
                            chrono::Datelike::day(&today),
                        );
                        let given = (i32::from(d.year), d.month.map_or(0, u32::from), d.day.map_or(0, u32::from));
                        let now = (y, if d.month.is_some() { m } else { 0 }, if d.day.is_some() { day } else { 0 });
                        d.year >= 1900 && given <= now
                    });
                    if !ok {
                        problems.push(FieldProblem::new(
                            format!("members[{i}].date_of_birth"),
                            "must be a real date written YYYY-MM-DD, YYYY-MM or YYYY, between 1900 and today",
                        ));
                    }
                    Some(raw.to_owned())
                }
            };
            let phone = match m.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => None,
                Some(raw) => {
                    let plausible = raw.chars().all(|c| c.is_numeric() || " +-()".contains(c));
                    if !plausible || bawaba_matching::normalize::phone(raw).is_none() {
                        problems.push(FieldProblem::new(
                            format!("members[{i}].phone"),
                            "must be a phone number: digits, spaces, dashes and a leading +",
                        ));
                    }
                    Some(raw.to_owned())
                }
            };
            members.push(NewMember {
                role: m.role,
                name: m.name.trim().to_owned(),
                national_id,
                date_of_birth,
                sex: m.sex,
                phone,
            });
        }
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        Ok(NewRecord {
            external_id,
            aid_type: a.aid_type,
            program,
            amount: a.amount,
            currency: a.currency.clone(),
            period_start: a.period_start.clone(),
            period_end,
            governorate,
            locality,
            members,
        })
    }
}
