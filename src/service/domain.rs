//! The gateway's domain: a validated record as the use cases take it. The contract's words and
//! answers ([`bawaba_wire::domain`]) are re-exported here, so the service speaks of one set of
//! types from the body it validates to the answer it gives.

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
    pub period_start: String,
    pub period_end: String,
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

/// A member that passed validation (original spellings kept).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewMember {
    pub role: MemberRole,
    pub name: String,
    pub national_id: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<Sex>,
    pub phone: Option<String>,
}

/// The days two periods (`YYYY-MM-DD`, inclusive) share: the later start and the earlier end.
/// Only meaningful when they overlap.
pub fn shared_period(a: (&str, &str), b: (&str, &str)) -> (String, String) {
    (a.0.max(b.0).to_owned(), a.1.min(b.1).to_owned())
}

/// The gateway's band of a matcher's band (the matcher's lower bands are all `possible` here).
pub fn band_of(b: bawaba_matching::Band) -> Band {
    match b {
        bawaba_matching::Band::Certain => Band::Certain,
        bawaba_matching::Band::Probable => Band::Probable,
        _ => Band::Possible,
    }
}
