//! Needs and coverage (API.md, "Needs and coverage"): what a coordinator says an area needs,
//! and how much of it the agencies' records reached.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{AidType, CoverageStatus};

/// `PUT /v1/needs`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedsBody {
    /// 1 to 10,000 needs, each upserted by area × sector × group × period.
    #[serde(deserialize_with = "crate::strict::objects")]
    #[schema(min_items = 1, max_items = 10000)]
    pub needs: Vec<NeedBody>,
}

/// One need and target.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedBody {
    /// A governorate's or locality's code, or any spelling of its name.
    pub area: String,
    /// An `assistance.type` value.
    pub sector: AidType,
    /// A vulnerable group (posted or derived: `elderly`, `female_headed` too); absent for every
    /// household.
    #[serde(default)]
    pub group: Option<String>,
    /// `YYYY-MM-DD`.
    pub period_start: String,
    /// `YYYY-MM-DD`, not before `period_start`.
    pub period_end: String,
    /// Households in need, ≥ 0.
    pub households_in_need: i64,
    /// Households the plan targets, ≥ 0.
    #[serde(default)]
    pub households_targeted: Option<i64>,
    /// Where the figure comes from (a survey, a directorate's list).
    #[serde(default)]
    pub source: Option<String>,
}

/// One need as stored.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct NeedOut {
    /// The place's code.
    pub area: String,
    /// The place's Arabic name.
    pub area_name: String,
    /// The place's English name.
    pub area_name_en: String,
    pub sector: String,
    /// `null` for every household.
    pub group: Option<String>,
    pub period_start: String,
    pub period_end: String,
    pub households_in_need: i64,
    pub households_targeted: Option<i64>,
    pub source: Option<String>,
    pub updated_at: String,
}

/// `GET /v1/needs` and the answer to `PUT /v1/needs`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct NeedsList {
    pub needs: Vec<NeedOut>,
    /// In a `PUT` answer: how many needs replaced one already stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<usize>,
}

/// `GET /v1/needs` parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NeedsQuery {
    /// A place's code or any spelling; a governorate takes its localities' needs too.
    #[param(schema_with = crate::schema::filter)]
    pub area: Option<String>,
    /// An `assistance.type` value.
    #[param(schema_with = crate::schema::word::<crate::domain::AidType>)]
    pub sector: Option<String>,
    /// A group; `all` for the needs of every household.
    pub group: Option<String>,
    /// Needs whose period meets `[from, to]`.
    #[param(schema_with = crate::schema::day)]
    pub from: Option<String>,
    #[param(schema_with = crate::schema::day)]
    pub to: Option<String>,
}

/// `GET /v1/reports/coverage` parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    /// Records and needs whose period meets `[from, to]` (`YYYY-MM-DD`).
    #[param(schema_with = crate::schema::day)]
    pub from: Option<String>,
    #[param(schema_with = crate::schema::day)]
    pub to: Option<String>,
    /// A governorate (code or any spelling): one row per locality of it. Without it and
    /// without `area`, one row per governorate.
    pub governorate: Option<String>,
    /// One place (code or any spelling): its rows alone.
    #[param(schema_with = crate::schema::filter)]
    pub area: Option<String>,
    /// An `assistance.type` value.
    #[param(schema_with = crate::schema::word::<crate::domain::AidType>)]
    pub sector: Option<String>,
    /// A vulnerable group: only households in it. Without it, rows for every household, and
    /// rows per group where a need is entered for that group.
    pub group: Option<String>,
    /// `json` (default) or `csv`.
    #[param(schema_with = crate::schema::word::<crate::domain::TableFormat>)]
    pub format: Option<String>,
}

/// One row of the coverage report: one area × sector × group.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct CoverageRow {
    /// The place's code; `null` for records whose place resolved to nothing.
    pub area: Option<String>,
    /// The place's Arabic name (`غير محدد` when unresolved).
    pub area_name: String,
    /// The place's English name.
    pub area_name_en: String,
    pub sector: String,
    /// `null`: every household.
    pub group: Option<String>,
    /// Distinct resolved households reached, each once however many agencies reached it.
    pub households_reached: Option<i64>,
    pub records: Option<i64>,
    /// The agencies (codes) that reached anyone here.
    pub agencies: Vec<String>,
    pub households_reached_by_two_or_more: Option<i64>,
    pub households_in_need: Option<i64>,
    pub households_targeted: Option<i64>,
    /// Reached ÷ targeted.
    pub coverage: Option<f64>,
    /// In need − reached.
    pub gap: Option<i64>,
    pub status: Option<CoverageStatus>,
    /// Whether a count between 1 and 4 is hidden (as `null`) from this caller.
    pub suppressed: bool,
}

/// The report's totals.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct CoverageTotals {
    /// Distinct resolved households reached over the whole selection (one household in two
    /// areas or sectors counted once).
    pub households_reached: Option<i64>,
    pub records: Option<i64>,
    pub households_in_need: i64,
    pub households_targeted: i64,
    pub coverage: Option<f64>,
    pub gap: Option<i64>,
    /// Rows by status.
    pub no_service: usize,
    pub under: usize,
    pub met: usize,
    pub double_served: usize,
    pub suppressed: bool,
}

/// `GET /v1/reports/coverage`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct CoverageReport {
    pub rows: Vec<CoverageRow>,
    pub totals: CoverageTotals,
    /// The share of a row's households reached by two or more agencies from which it is
    /// `double_served`.
    pub double_served_share: f64,
    /// Counts from 1 to this minus one are suppressed for every role but admin.
    pub suppress_below: i64,
}
