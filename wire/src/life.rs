//! The life of a record after intake: its correction (`PUT /v1/records/{id}`, answered with the
//! intake answer), withdrawal, history, an agency's export of its own records, and the split of
//! a household a wrong join made.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::records::{StoredAssistance, StoredLocation, StoredMember};

/// `DELETE /v1/records/{record_id}`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// Why (aid never delivered, posted by mistake): 1 to 2,000 characters.
    #[schema(schema_with = crate::schema::reason)]
    pub reason: String,
}

/// The answer to a withdrawal.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct WithdrawAnswer {
    pub record_id: String,
    /// `withdrawn`.
    pub status: String,
    pub withdrawn_at: String,
    /// The open flags raised by the record or naming it, now closed as `withdrawn`.
    pub flags_closed: Vec<String>,
}

/// `GET /v1/records/{record_id}/history`: the record's versions, oldest first, the current one
/// last.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RecordHistory {
    pub record_id: String,
    pub external_id: String,
    pub agency: String,
    /// `active` or `withdrawn`.
    pub status: String,
    /// The current version (1 until the first correction).
    pub version: u32,
    pub created_at: String,
    pub versions: Vec<RecordVersion>,
}

/// One version of a record as it was (members counted, not shown: they are in the record).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RecordVersion {
    pub version: u32,
    /// Whether this is the record as it stands.
    pub current: bool,
    pub household_id: String,
    pub assistance: StoredAssistance,
    /// As the agency wrote it.
    pub governorate: Option<String>,
    pub locality: Option<String>,
    /// How many members it gave.
    pub members: u32,
    /// The decision intake gave it.
    pub decision: String,
    /// What ended it (a correction or the withdrawal); absent on the current, active version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<VersionEnd>,
}

/// What ended a version.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct VersionEnd {
    /// `corrected` or `withdrawn`.
    pub action: String,
    pub at: String,
    /// Why (a withdrawal's reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who ended it: the key's label (or `key:<id>` when it has none), else the agency (a
    /// named user of the agency that posted the record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// `GET /v1/records` parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RecordsQuery {
    /// Records whose period ends on or after this day (`YYYY-MM-DD`).
    #[param(schema_with = crate::schema::day)]
    pub from: Option<String>,
    /// Records whose period starts on or before this day.
    #[param(schema_with = crate::schema::day)]
    pub to: Option<String>,
    /// `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// JSON page size, 1 to 1,000 (default 100); CSV holds every record.
    #[param(schema_with = crate::schema::limit_1000)]
    pub limit: Option<String>,
    /// json (default) or csv (one line per member).
    #[param(schema_with = crate::schema::word::<crate::domain::TableFormat>)]
    pub format: Option<String>,
}

/// A page of an agency's own records, in the order they were stored.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RecordPage {
    pub records: Vec<ExportedRecord>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// One of the agency's records, for its own books.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ExportedRecord {
    pub record_id: String,
    pub external_id: String,
    pub household_id: String,
    /// `active` or `withdrawn`.
    pub status: String,
    pub version: u32,
    pub assistance: StoredAssistance,
    pub location: StoredLocation,
    pub members: Vec<StoredMember>,
    pub decision: String,
    pub created_at: String,
}

/// `POST /v1/households/{household_id}/split`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitBody {
    /// The records (ids) that leave for a new household: some, not all, of this household's.
    pub records: Vec<String>,
    /// Why; kept in the audit log.
    #[serde(default)]
    #[schema(schema_with = crate::schema::note)]
    pub note: String,
}

/// The answer to a split.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct SplitAnswer {
    /// The household the others stay in.
    pub household_id: String,
    /// The new household of the records listed.
    pub new_household_id: String,
    pub records: Vec<String>,
    /// Open aid flags between the two sides, closed as `superseded`.
    pub flags_closed: Vec<String>,
}

/// `POST /v1/persons/{person_id}/erase`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseBody {
    /// Why (the person asked, a court order): 1 to 2,000 characters.
    #[schema(schema_with = crate::schema::reason)]
    pub reason: String,
}

/// The answer to an erasure.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct EraseAnswer {
    pub person_id: String,
    /// Every member row erased: this one, and any other with the same national ID.
    pub person_ids: Vec<String>,
    /// The records those rows belong to (kept: aid amounts and counts stay for reports).
    pub records: Vec<String>,
    /// Stored evidence of matches rewritten without the erased values.
    pub evidence_rewritten: usize,
}

/// `GET /v1/alerts` and `GET /v1/webhooks/{id}/deliveries` parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// Page size, 1 to 1,000 (default 100).
    #[param(schema_with = crate::schema::limit_1000)]
    pub limit: Option<String>,
}

/// A page of alerts: overlap flags raised by later records of other agencies against this
/// agency's records, oldest first, in the shape of a flag (evidence left out: it quotes the
/// other agency's people).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlertPage {
    pub alerts: Vec<crate::records::StoredFlag>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// `POST /v1/webhooks`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// `https://…` (or `http://…`); loopback and private addresses only when the gateway allows
    /// them (`BAWABA_WEBHOOK_ALLOW_PRIVATE=true`).
    pub url: String,
    /// The key of the signature (`X-Bawaba-Signature: sha256=<hex HMAC-SHA256 of the body>`),
    /// 16 to 256 characters.
    #[schema(schema_with = crate::schema::secret)]
    pub secret: String,
    /// The agency (code) whose alerts it receives: the admin names one; an agency's own key
    /// may leave it out.
    #[serde(default)]
    pub agency: Option<String>,
}

/// A webhook as registered (its secret never shown again).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct WebhookAnswer {
    pub webhook_id: String,
    pub agency: String,
    pub url: String,
    pub created_at: String,
}

/// `GET /v1/webhooks` parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WebhooksQuery {
    /// The agency (code) whose webhooks to list: the admin's choice (every agency's when left
    /// out); an agency's own key lists its own.
    pub agency: Option<String>,
}

/// An agency's webhooks (or every agency's, to the admin), oldest first; secrets never shown.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookAnswer>,
}

/// One attempt at delivering an alert to a webhook.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct Delivery {
    pub delivery_id: String,
    pub flag_id: String,
    /// 1 for the first attempt at this alert.
    pub attempt: u32,
    pub at: String,
    /// The receiver's status, when it answered.
    pub status_code: Option<u16>,
    /// Why it failed, when it did not answer.
    pub error: Option<String>,
    /// Whether the receiver answered 2xx.
    pub delivered: bool,
}

/// A page of delivery attempts, oldest first.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub deliveries: Vec<Delivery>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}
