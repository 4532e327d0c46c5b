use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{AidType, Decision, EvidenceItem, FlagOut, MemberRole, Sex};

/// A record as stored.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoredRecord {
    pub record_id: String,
    pub external_id: String,
    pub agency: String,
    pub household_id: String,
    pub assistance: StoredAssistance,
    pub location: StoredLocation,
    pub members: Vec<StoredMember>,
    /// Every group the household falls in by this record, posted or derived (`elderly`,
    /// `female_headed`); protection marks only for who may see them (see `StoredMember`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    pub created_at: String,
    pub decision: Decision,
    pub flags: Vec<StoredFlag>,
    /// `active`, or `withdrawn` by the agency that posted it (see its history).
    #[serde(default)]
    pub status: String,
    /// 1, and one more with each correction.
    #[serde(default)]
    pub version: u32,
}

/// Aid as stored.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoredAssistance {
    #[serde(rename = "type")]
    pub aid_type: String,
    pub program: Option<String>,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub period_start: String,
    pub period_end: String,
}

/// Where, as stored.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoredLocation {
    /// As the agency wrote it.
    pub governorate: Option<String>,
    /// As the agency wrote it.
    pub locality: Option<String>,
    /// The governorate's ISO 3166-2 code (written, or implied by the locality); `null` when the
    /// names resolve to no governorate.
    pub governorate_code: Option<String>,
    /// The locality's code; `null` when unresolved.
    pub locality_code: Option<String>,
}

/// A member as stored.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoredMember {
    /// This member row's id (what `POST /v1/persons/{person_id}/erase` takes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    pub role: String,
    pub name: String,
    pub national_id: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub phone: Option<String>,
    /// The groups posted for this member. Protection marks (`child_protection`,
    /// `women_protection`) appear only to the agency that posted them and to caseworkers whose
    /// scope holds the household; to everyone else they are left out (counted in reports only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

/// A flag as stored, with its review status.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoredFlag {
    pub flag_id: String,
    pub record_id: String,
    pub household_id: String,
    pub kind: String,
    pub band: String,
    pub score: f64,
    pub status: String,
    pub matched_household_id: String,
    pub matched_record_id: Option<String>,
    /// For an aid overlap: how many of that agency's records of the household it stands for
    /// (see the intake answer's flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_records: Option<u32>,
    pub overlap: Option<serde_json::Value>,
    pub evidence: Vec<EvidenceItem>,
    pub created_at: String,
}

/// `POST /v1/records` and `/v1/records/check`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = record_example)]
pub struct RecordBody {
    /// The agency's own reference; unique per agency.
    pub external_id: String,
    #[serde(deserialize_with = "crate::strict::object")]
    pub assistance: AssistanceBody,
    #[serde(default, deserialize_with = "crate::strict::optional_object")]
    pub location: Option<LocationBody>,
    /// 1 to 50 members.
    #[serde(deserialize_with = "crate::strict::objects")]
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
    /// Vulnerable groups: `disability`, `chronic_illness`, `child_protection`,
    /// `women_protection`. `elderly` and `female_headed` are derived by the gateway and refused
    /// here.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
}

/// Most records in one batch.
pub const BATCH_MAX: usize = 10_000;

/// A record the gateway takes, as the document's example (so that generated clients and
/// schemathesis can create records).
fn record_example() -> serde_json::Value {
    serde_json::json!({
        "external_id": "WFP-2026-0001",
        "assistance": {"type": "cash", "program": "winter-2026", "amount": 1500, "currency": "ILS",
                       "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "location": {"governorate": "Hebron", "locality": "Yatta"},
        "members": [
            {"role": "head", "name": "Mohammed Ahmad Al-Shaer", "national_id": "401234563",
             "date_of_birth": "1980-05-01", "sex": "M", "phone": "0599123456"},
            {"role": "spouse", "name": "Fatima Ali Hassan", "date_of_birth": "1984", "sex": "F"}
        ]
    })
}

/// `POST /v1/records/batch`: items are kept as raw JSON so that one bad item is its own error.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = batch_example)]
pub struct BatchBody {
    /// Up to 10,000 records; one more is refused while the body is read, naming `records`.
    #[schema(value_type = Vec<RecordBody>, max_items = 10000)]
    #[serde(deserialize_with = "at_most_batch_max")]
    pub records: Vec<serde_json::Value>,
}

fn batch_example() -> serde_json::Value {
    serde_json::json!({"records": [record_example()]})
}

/// The records of a batch, refused as soon as there is one more than [`BATCH_MAX`]: the rest of
/// an absurd batch is never parsed.
fn at_most_batch_max<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<serde_json::Value>, D::Error> {
    struct AtMost;
    impl<'de> serde::de::Visitor<'de> for AtMost {
        type Value = Vec<serde_json::Value>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "an array of at most {BATCH_MAX} records")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut records = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(BATCH_MAX));
            while records.len() < BATCH_MAX {
                match seq.next_element()? {
                    Some(r) => records.push(r),
                    None => return Ok(records),
                }
            }
            if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                return Err(serde::de::Error::custom(format_args!("must hold at most {BATCH_MAX} records")));
            }
            Ok(records)
        }
    }
    d.deserialize_seq(AtMost)
}

/// One item of a batch answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchResult {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub household_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<FlagOut>>,
    /// The governorate the item's location resolves to; absent when unresolved or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governorate_code: Option<String>,
    /// The locality the item's location resolves to; absent when unresolved or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality_code: Option<String>,
    /// True when this item replayed an earlier submission.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
    /// Present instead of the rest when the item failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::errors::ErrorDetail>,
}

/// `POST /v1/records/batch` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchAnswer {
    pub results: Vec<BatchResult>,
}
