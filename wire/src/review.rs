use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::records::StoredFlag;

/// A reviewer's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The flag is right.
    Confirm,
    /// The flag is wrong.
    Dismiss,
}

/// The answer to a review.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewAnswer {
    pub review_id: String,
    pub flag: StoredFlag,
    /// When a confirmation merged two households: the one that remains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
    /// Aid flags raised because the merge revealed overlaps.
    pub new_flags: Vec<String>,
    /// The review batch (of this one flag) the review made: `POST /v1/reviews/{batch_id}/undo`
    /// reverses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
}

/// A page of flags.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FlagPage {
    pub flags: Vec<StoredFlag>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// `POST /v1/flags/{flag_id}/review`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub decision: Verdict,
    /// Why; kept with the review.
    #[serde(default)]
    #[schema(schema_with = crate::schema::note)]
    pub note: String,
}

/// Flag listing parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FlagQuery {
    /// open, confirmed or dismissed.
    #[param(schema_with = crate::schema::word::<crate::domain::FlagStatus>)]
    pub status: Option<String>,
    /// overlapping_aid, duplicate_record or possible_same_household.
    #[param(schema_with = crate::schema::word::<crate::domain::FlagKind>)]
    pub kind: Option<String>,
    /// An agency code: flags on its records or naming it.
    pub agency: Option<String>,
    /// 1 to 1000, default 100.
    #[param(schema_with = crate::schema::limit_1000)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `priority`: open flags whose decision matters most first (an uncertain score, an
    /// overlapping amount, age); default: oldest first.
    #[param(schema_with = crate::schema::flag_order)]
    pub sort: Option<String>,
}
