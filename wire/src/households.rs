use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{Band, EvidenceItem};
use crate::records::{StoredFlag, StoredMember};

/// One member as one agency knows them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KnownMember {
    pub agency: String,
    pub record_id: String,
    #[serde(flatten)]
    pub member: StoredMember,
}

/// One entry of the aid history; a submitter sees only agency, type and period of others' aid.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AidEntry {
    pub agency: String,
    #[serde(rename = "type")]
    pub aid_type: String,
    pub period_start: String,
    pub period_end: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Where the aid was given: the governorate's code (absent when unresolved, or hidden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governorate_code: Option<String>,
    /// The locality's code (absent when unresolved, or hidden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality_code: Option<String>,
    /// When the agency withdrew it (aid never delivered): it counts in no report and raises no
    /// overlap, and stays here marked. Absent for aid that stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<String>,
}

/// The household view.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HouseholdView {
    pub household_id: String,
    /// Set when the id asked for was merged into this household.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<String>,
    /// Member rows of the most recent records first, at most 200; `members_total` counts all.
    pub members: Vec<KnownMember>,
    pub members_total: u64,
    /// Each real person once, resolved from the member rows shown (`members`), with the
    /// spellings, roles and identifiers each agency used.
    #[serde(default)]
    pub persons: Vec<crate::desk::Person>,
    /// Latest period first, at most 200; `aid_total` counts all.
    pub aid_history: Vec<AidEntry>,
    pub aid_total: u64,
    /// Oldest first, at most 100; `open_flags_total` counts all.
    pub open_flags: Vec<StoredFlag>,
    pub open_flags_total: u64,
}

/// A member in a search result.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CandidateMember {
    pub name: String,
    pub role: String,
    pub agency: String,
}

/// One ranked household.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    pub household_id: String,
    pub score: f64,
    pub band: Band,
    pub members: Vec<CandidateMember>,
    pub evidence: Vec<EvidenceItem>,
}

/// `GET /v1/households/search` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchAnswer {
    pub candidates: Vec<Candidate>,
}

/// Search parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// A name in any spelling, Arabic or Latin.
    pub name: Option<String>,
    pub national_id: Option<String>,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub date_of_birth: Option<String>,
    pub phone: Option<String>,
    /// Households with a record in this governorate: a code or any spelling of its name.
    #[param(schema_with = crate::schema::filter)]
    pub governorate: Option<String>,
    /// Households with a record in this governorate or locality: a code or any spelling.
    #[param(schema_with = crate::schema::filter)]
    pub area: Option<String>,
    /// 1 to 100, default 10.
    #[param(schema_with = crate::schema::limit_100)]
    pub limit: Option<String>,
    /// Why a household outside the caller's scope is looked up by its exact `national_id`
    /// ("break the glass"): with it, such households are found too, and the search is audited
    /// as `household.search.break_glass` with the reason. Up to 500 characters.
    pub reason: Option<String>,
}
