//! The review desk and the family as one (API.md): persons resolved within a household, a flag
//! side by side with its score as a waterfall, review batches and their undo.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::records::StoredFlag;
use crate::review::Verdict;

/// A value one agency gave for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SaidBy {
    /// The agency's code.
    pub agency: String,
    /// The value as that agency wrote it.
    pub value: String,
}

/// A spelling of a person's name and the agency that used it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonName {
    pub agency: String,
    pub name: String,
}

/// One real person of a household, once, with what each agency said of them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Person {
    /// The id of the person's first member row (what `POST /v1/persons/{person_id}/erase` takes).
    pub person_id: String,
    /// Each distinct spelling, with the agency that used it.
    pub names: Vec<PersonName>,
    /// The roles the agencies gave (head, spouse, child, other), each once.
    pub roles: Vec<String>,
    /// The fullest date of birth given.
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    /// National IDs as each agency gave them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub national_ids: Vec<SaidBy>,
    /// Phones as each agency gave them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<SaidBy>,
    /// The agencies that know the person.
    pub agencies: Vec<String>,
    /// The member rows resolved into this person.
    pub member_rows: Vec<String>,
}

/// One line of a side-by-side comparison: a field of a paired member, both values, whether
/// they agree (`null`: one side does not say).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ComparisonRow {
    /// e.g. `members[0].name.family`.
    pub field: String,
    pub ours: String,
    /// `null` when the viewer may not see the stored value.
    pub theirs: Option<String>,
    pub agrees: Option<bool>,
    /// The agreement level, e.g. `exact`, `one_typo`, `missing`.
    pub level: String,
}

/// One step of the score's waterfall, in bits (log2 odds).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WaterfallStep {
    /// `prior`, a field such as `members[0].name.family`, `household` (how the member pairs
    /// combine: further pairs count at a fraction, caps, contradiction penalties), or `total`.
    pub step: String,
    /// The bits this step adds (for `total`: the sum of every step before it).
    pub weight: f64,
    /// For a name part that agreed: how much of the weight comes from how rare the name is
    /// here (the weight minus the weight an average name would get).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tf_adjustment: Option<f64>,
    /// For `total`: the probability the total stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

/// `GET /v1/flags/{flag_id}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FlagDetail {
    pub flag: StoredFlag,
    /// The paired members field by field.
    pub comparison: Vec<ComparisonRow>,
    /// The score built step by step; the weights before `total` add up to its weight.
    pub waterfall: Vec<WaterfallStep>,
}

/// `POST /v1/flags/review`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchReviewBody {
    /// 1 to 500 flag ids.
    pub flags: Vec<String>,
    pub decision: Verdict,
    #[serde(default)]
    #[schema(schema_with = crate::schema::note)]
    pub note: String,
    /// true: say what would change and change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a review did (or would do) to one flag.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlagChange {
    pub flag_id: String,
    pub kind: String,
    pub status_before: String,
    pub status_after: String,
    /// For a confirmed possible_same_household: the household merged away and the one kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
    /// For a dismissed possible_same_household: the two households kept apart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_apart: Vec<String>,
    /// Aid flags raised because a merge revealed overlaps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_flags: Vec<String>,
}

/// The answer to `POST /v1/flags/review`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchReviewAnswer {
    /// The batch's id (what `POST /v1/reviews/{batch_id}/undo` takes); absent on a dry run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
    pub dry_run: bool,
    pub decision: Verdict,
    pub changes: Vec<FlagChange>,
}

/// What an undo did to one flag.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlagRestored {
    pub flag_id: String,
    /// The flag's status now (`open` again).
    pub status: String,
    /// For an undone merge: the household split back out, and the one it had joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_out: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_from: Option<String>,
    /// For an undone dismissal: the pair that may be linked again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lifted: Vec<String>,
    /// Flags the merge had raised, closed as superseded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<String>,
}

/// The answer to `POST /v1/reviews/{batch_id}/undo`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UndoAnswer {
    pub batch_id: String,
    pub undone_at: String,
    pub flags: Vec<FlagRestored>,
}

/// `POST /v1/review/spot-checks`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawBody {
    /// How many automatic links to draw, 1 to 100 (default 20).
    #[serde(default, deserialize_with = "crate::strict::optional_count")]
    #[schema(minimum = 1, maximum = 100)]
    pub size: Option<u32>,
}

/// One automatic link for blind review: the record and the household it joined, as their
/// members; no score, no band.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SpotCheck {
    pub spot_check_id: String,
    pub record_id: String,
    pub household_id: String,
    /// The record's members.
    pub record_members: Vec<crate::records::StoredMember>,
    /// The household's other members, as each agency knows them (at most 50).
    pub household_members: Vec<crate::households::KnownMember>,
    pub drawn_at: String,
}

/// Spot checks drawn or waiting.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SpotChecks {
    pub spot_checks: Vec<SpotCheck>,
}

/// `POST /v1/review/spot-checks/{spot_check_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpotAnswerBody {
    /// `same` (the link is right) or `different` (it is wrong).
    #[schema(schema_with = crate::schema::same_or_different)]
    pub answer: String,
}

/// The answer to a spot check's answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SpotAnswered {
    pub spot_check_id: String,
    pub answer: String,
    pub answered_at: String,
}

/// The precision of one band as estimated.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BandQuality {
    /// certain, probable or possible.
    pub band: String,
    /// Reviewers' decisions on possible_same_household flags of this band.
    pub confirmed: u64,
    pub dismissed: u64,
    /// Blind spot checks of automatic links of this band.
    pub spot_checked_same: u64,
    pub spot_checked_different: u64,
    /// confirmed / (confirmed + dismissed); absent with no decision.
    pub precision_from_decisions: Option<f64>,
    /// same / (same + different); absent with no answer.
    pub precision_from_spot_checks: Option<f64>,
    /// Both together, (right + 1) / (judged + 2) (a uniform prior); 0.5 with nothing judged.
    pub precision: f64,
    /// A 95% Wilson interval of `precision`'s proportion; [0, 1] with nothing judged.
    pub interval: Vec<f64>,
    /// How many links were judged (decisions and answered spot checks).
    pub judged: u64,
}

/// `GET /v1/review/quality`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Quality {
    pub bands: Vec<BandQuality>,
    /// Spot checks drawn and not answered yet.
    pub spot_checks_open: u64,
}
