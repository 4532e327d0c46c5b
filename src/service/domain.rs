//! The gateway's domain: a validated record as the use cases take it. The contract's words and
//! answers ([`bawaba_wire::domain`]) are re-exported here, so the service speaks of one set of
//! types from the body it validates to the answer it gives.
//!
//! Values are typed inside: dates are [`NaiveDate`] from validation to the overlap finder and
//! the report filters, written as `YYYY-MM-DD` text only where they are stored or answered;
//! aid types, roles, kinds, bands, decisions and flag statuses are enums, their text read once
//! where a row is read ([`FlagStatus::parse`] and the like).

use chrono::NaiveDate;
use serde::Serialize;

pub use bawaba_wire::domain::*;

/// A record that passed validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewRecord {
    pub external_id: String,
    pub aid_type: AidType,
    pub program: Option<String>,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    /// Serialised as `YYYY-MM-DD`, so the body hash that tells a replay is what it was when
    /// dates were text.
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub governorate: Option<String>,
    pub locality: Option<String>,
    /// The code the names resolve to (see `service::places`): not part of the body, so not of
    /// the hash that tells a replay (the gazetteer grows; the body does not change).
    #[serde(skip)]
    pub governorate_code: Option<String>,
    #[serde(skip)]
    pub locality_code: Option<String>,
    pub members: Vec<NewMember>,
}

/// A member that passed validation (original spellings kept). The birth date may be a year or
/// a month (`YYYY`, `YYYY-MM`), so it stays text here; its parsed form is the matcher's
/// (`bawaba_matching::PreparedPerson`), made once by validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewMember {
    pub role: MemberRole,
    pub name: String,
    pub national_id: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<Sex>,
    pub phone: Option<String>,
    /// The groups posted for this member (never a derived one). Left out of the body hash when
    /// empty, so records posted before groups existed replay as they did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
}

/// The days two periods (inclusive) share: the later start and the earlier end. Only
/// meaningful when they overlap.
pub fn shared_period(a: (NaiveDate, NaiveDate), b: (NaiveDate, NaiveDate)) -> (NaiveDate, NaiveDate) {
    (a.0.max(b.0), a.1.min(b.1))
}

/// A date as the store keeps it (`YYYY-MM-DD`, validated when it came in); one that cannot be
/// read sorts first, as it did before dates were typed.
pub fn stored_date(s: &str) -> NaiveDate {
    // `YYYY-MM-DD` is `NaiveDate`'s own form: read without interpreting a format string.
    s.parse().unwrap_or(NaiveDate::MIN)
}

/// The gateway's band of a matcher's band (the matcher's lower bands are all `possible` here).
pub fn band_of(b: bawaba_matching::Band) -> Band {
    match b {
        bawaba_matching::Band::Certain => Band::Certain,
        bawaba_matching::Band::Probable => Band::Probable,
        _ => Band::Possible,
    }
}
