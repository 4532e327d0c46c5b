use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One overlapping pair.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OverlapRow {
    pub flag_id: String,
    pub kind: String,
    pub household_id: String,
    pub band: String,
    pub score: f64,
    pub review_status: String,
    #[serde(rename = "type")]
    pub aid_type: String,
    pub overlap_from: String,
    pub overlap_to: String,
    pub overlapping_days: i64,
    pub record_id: String,
    pub agency: String,
    pub program: Option<String>,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub period_start: String,
    pub period_end: String,
    /// The flagged record's governorate, as written.
    pub governorate: Option<String>,
    pub matched_record_id: String,
    pub matched_agency: String,
    pub matched_type: String,
    pub matched_program: Option<String>,
    pub matched_amount: Option<f64>,
    pub matched_currency: Option<String>,
    pub matched_period_start: String,
    pub matched_period_end: String,
    /// How many of the matched agency's records of the household the record overlaps; the
    /// row names the most recent (see the intake answer's `matched_records`).
    pub matched_records: u32,
    /// The flagged record's governorate code; `null` when unresolved.
    pub governorate_code: Option<String>,
    /// The flagged record's locality, as written.
    pub locality: Option<String>,
    /// The flagged record's locality code; `null` when unresolved.
    pub locality_code: Option<String>,
}

/// Totals over every row the filters select.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct OverlapTotals {
    pub rows: usize,
    pub households: usize,
    pub overlapping_records: usize,
    pub overlapping_days: i64,
    /// Overlapping amount per currency.
    pub amount: BTreeMap<String, f64>,
}

/// A page of the overlap report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OverlapReport {
    pub rows: Vec<OverlapRow>,
    pub totals: OverlapTotals,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// One group of the summary.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SummaryLine {
    /// The group: `AGENCY_A|AGENCY_B`, a governorate's code (`(unresolved)` for names that
    /// resolve to no governorate, `(none)` for records without one), or an aid type.
    pub key: String,
    /// For a governorate: its English name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// For a governorate: its Arabic name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_ar: Option<String>,
    pub households: usize,
    pub overlapping_records: usize,
    pub amount: BTreeMap<String, f64>,
}

/// `GET /v1/reports/summary`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    pub from: Option<String>,
    pub to: Option<String>,
    pub by_agency_pair: Vec<SummaryLine>,
    pub by_governorate: Vec<SummaryLine>,
    pub by_type: Vec<SummaryLine>,
    pub totals: OverlapTotals,
    /// Records in the period (and the filters) whose location was written but resolves to no
    /// place: kept as written, counted here.
    pub unresolved: Unresolved,
}

/// Records whose location names resolve to nothing.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Unresolved {
    /// Records with a governorate or a locality that did not resolve.
    pub records: usize,
    /// Records whose governorate (written or implied) did not resolve though a name was given.
    pub governorate: usize,
    /// Records whose locality was written but did not resolve.
    pub locality: usize,
}

/// Report parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First day (`YYYY-MM-DD`) of the period the overlap must meet.
    #[param(schema_with = crate::schema::day)]
    pub from: Option<String>,
    /// Last day.
    #[param(schema_with = crate::schema::day)]
    pub to: Option<String>,
    /// Pairs with a record in this governorate: a code (`PS-HBN`) or any spelling of its name.
    #[param(schema_with = crate::schema::filter)]
    pub governorate: Option<String>,
    /// Pairs with a record in this governorate or locality: a code or any spelling.
    #[param(schema_with = crate::schema::filter)]
    pub area: Option<String>,
    /// Aid type.
    #[serde(rename = "type")]
    #[param(schema_with = crate::schema::word::<crate::domain::AidType>)]
    pub aid_type: Option<String>,
    /// Agency code, on either side.
    pub agency: Option<String>,
    /// certain, probable or possible.
    #[param(schema_with = crate::schema::word::<crate::domain::Band>)]
    pub band: Option<String>,
    /// Review status of the pairs: open, confirmed, dismissed or all (default: all but
    /// dismissed). Totals count what this keeps.
    #[param(schema_with = crate::schema::word::<crate::domain::ReportStatus>)]
    pub status: Option<String>,
    /// json (default) or csv.
    #[param(schema_with = crate::schema::word::<crate::domain::TableFormat>)]
    pub format: Option<String>,
    /// JSON page size, 1 to 10,000 (default 1,000); CSV holds every row.
    #[param(schema_with = crate::schema::limit_10000)]
    pub limit: Option<String>,
    pub cursor: Option<String>,
}
