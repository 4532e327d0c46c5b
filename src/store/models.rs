//! Rows as they are stored. These are not API bodies: the service layer converts between the
//! two with `From`.

use diesel::prelude::*;

use super::schema::*;

/// An agency (ministry directorate, UN agency, NGO).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = agencies)]
pub struct AgencyRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub created_at: String,
}

/// An API key, stored only as the hex SHA-256 of the key.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: String,
    pub agency_id: String,
    pub role: String,
    pub key_hash: String,
    pub created_at: String,
    pub label: Option<String>,
    /// JSON `{"governorates", "localities"}`; none: everywhere.
    pub scope: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// A named person who signs in to the pages, with the agency, role and scope they act with.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub agency_id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub scope: Option<String>,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// 1 when disabled.
    pub disabled: i32,
    pub created_at: String,
    pub password_changed_at: Option<String>,
}

/// A user's page session; the id itself only as its SHA-256.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_sessions)]
pub struct UserSessionRow {
    pub id_hash: String,
    pub user_id: String,
    pub csrf: String,
    pub created_at: String,
    pub used_at: String,
}

/// A resolved household; `seq` is its integer id in the in-memory index.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = households, treat_none_as_default_value = false)]
pub struct HouseholdRow {
    pub id: String,
    pub seq: i64,
    pub merged_into: Option<String>,
    pub created_at: String,
}

/// An assistance record as stored, with the first answer given for it (for replays).
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = records, treat_none_as_default_value = false)]
pub struct RecordRow {
    pub id: String,
    pub agency_id: String,
    pub external_id: String,
    pub household_id: String,
    pub body_hash: String,
    pub answer: String,
    pub assistance_type: String,
    pub program: Option<String>,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub period_start: String,
    pub period_end: String,
    pub governorate: Option<String>,
    pub locality: Option<String>,
    pub created_at: String,
    pub governorate_code: Option<String>,
    pub locality_code: Option<String>,
}

/// One member as one record gave it. `national_id` and `phone` are stored sealed (AES-256-GCM,
/// see `service::vault`), never in clear.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = persons, treat_none_as_default_value = false)]
pub struct PersonRow {
    pub id: i64,
    pub record_id: String,
    pub household_id: String,
    pub position: i32,
    pub role: String,
    pub name: String,
    pub national_id: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    /// Sealed (see `service::vault`), like `national_id`.
    pub phone: Option<String>,
    /// The keyed hash of the national ID, for exact look-ups.
    pub national_id_hash: Option<String>,
    /// The keyed hash of the phone, for exact look-ups.
    pub phone_hash: Option<String>,
    /// The groups the agency posted for this member, comma-joined (see `service::planning`).
    pub groups: Option<String>,
}

/// A stored person as the matching index is rebuilt from it (`queries::persons_for_index`):
/// its national ID and phone still sealed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = persons)]
pub struct IndexPersonRow {
    pub id: i64,
    pub household_id: String,
    pub role: String,
    pub name: String,
    pub national_id: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub phone: Option<String>,
    /// The record that listed the person.
    pub record_id: String,
}

/// A flag raised on a record; `evidence` is JSON text.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = flags, treat_none_as_default_value = false)]
pub struct FlagRow {
    pub id: String,
    pub record_id: String,
    pub household_id: String,
    pub kind: String,
    pub band: String,
    pub score: f64,
    pub matched_household_id: String,
    pub matched_record_id: Option<String>,
    pub matched_agency_id: Option<String>,
    pub overlap_type: Option<String>,
    pub overlap_from: Option<String>,
    pub overlap_to: Option<String>,
    /// The evidence as JSON; on flags whose evidence is shared (`evidence_id`), filled in
    /// when read and empty as stored.
    pub evidence: String,
    pub status: String,
    pub created_at: String,
    pub matched_records: Option<i32>,
    pub evidence_id: Option<String>,
}

/// The evidence of one match, stored once for the flags it explains.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = match_evidence, treat_none_as_default_value = false)]
pub struct EvidenceRow {
    pub id: String,
    pub body: String,
}

/// A flag without its evidence, for reports over many rows.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = flags)]
pub struct FlagBrief {
    pub id: String,
    pub record_id: String,
    pub household_id: String,
    pub kind: String,
    pub band: String,
    pub score: f64,
    pub matched_record_id: Option<String>,
    pub overlap_from: Option<String>,
    pub overlap_to: Option<String>,
    pub status: String,
    pub matched_records: Option<i32>,
}

/// A record without its stored answer, for reports over many rows.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = records)]
pub struct RecordBrief {
    pub id: String,
    pub agency_id: String,
    pub household_id: String,
    pub assistance_type: String,
    pub program: Option<String>,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub period_start: String,
    pub period_end: String,
    pub governorate: Option<String>,
    pub locality: Option<String>,
    pub governorate_code: Option<String>,
    pub locality_code: Option<String>,
    pub withdrawn_at: Option<String>,
}

/// Where a record is and whose it is: what a search reads of each record of the households it
/// found (all of it held in the index `records_household`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = records)]
pub struct RecordWhere {
    pub id: String,
    pub agency_id: String,
    pub household_id: String,
    pub governorate: Option<String>,
    pub locality: Option<String>,
    pub governorate_code: Option<String>,
    pub locality_code: Option<String>,
}

/// A member as a search shows it (all of it held in the index `persons_household`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = persons)]
pub struct MemberBrief {
    pub household_id: String,
    pub record_id: String,
    pub role: String,
    pub name: String,
}

/// A record's aid, as the in-memory engine keeps it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = records)]
pub struct AidRow {
    pub id: String,
    pub household_id: String,
    pub agency_id: String,
    pub assistance_type: String,
    pub period_start: String,
    pub period_end: String,
    pub created_at: String,
}

/// A reviewer's decision on a flag.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reviews)]
pub struct ReviewRow {
    pub id: String,
    pub flag_id: String,
    pub agency_id: Option<String>,
    pub key_id: Option<String>,
    pub role: String,
    pub decision: String,
    pub note: String,
    pub created_at: String,
}

/// Two households kept apart for good.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = dismissed_pairs)]
pub struct DismissedPairRow {
    pub household_a: String,
    pub household_b: String,
    pub created_at: String,
}

/// Who looked at or changed what, and when.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
pub struct AuditRow {
    pub id: String,
    pub at: String,
    pub agency_id: Option<String>,
    pub key_id: Option<String>,
    pub role: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    /// The named user, when a person (not a key) acted.
    pub user_id: Option<String>,
    /// The client address the request came from.
    pub address: Option<String>,
}

/// A place the admin added to the gazetteer.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = places)]
pub struct PlaceRow {
    pub code: String,
    pub kind: String,
    pub locality_kind: Option<String>,
    pub name_ar: String,
    pub name_en: String,
    pub parent: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub created_at: String,
}

/// Another spelling of a place (built-in or added).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = place_aliases)]
pub struct PlaceAliasRow {
    pub code: String,
    pub alias: String,
    pub created_at: String,
}

/// A record's location as written and as resolved, for resolving it again.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = records)]
pub struct RecordPlace {
    pub id: String,
    pub governorate: Option<String>,
    pub locality: Option<String>,
    pub governorate_code: Option<String>,
    pub locality_code: Option<String>,
}

/// Where a record stands in its life: its version, and whether (when, why) it was withdrawn.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = records)]
pub struct RecordLife {
    pub id: String,
    pub version: i32,
    pub withdrawn_at: Option<String>,
    /// Sealed (see `service::vault`).
    pub withdrawn_reason: Option<String>,
}

/// A record as it was before a change (a correction or a withdrawal), and the change.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = record_versions)]
pub struct RecordVersionRow {
    pub id: String,
    pub record_id: String,
    pub version: i32,
    /// `corrected` or `withdrawn`.
    pub action: String,
    pub at: String,
    pub key_id: Option<String>,
    /// Sealed (see `service::vault`).
    pub reason: Option<String>,
    pub household_id: String,
    pub assistance_type: String,
    pub program: Option<String>,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub period_start: String,
    pub period_end: String,
    pub governorate: Option<String>,
    pub locality: Option<String>,
    pub members: i32,
    pub decision: String,
}

/// A webhook an agency registered; `secret` is sealed (see `service::vault`).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: String,
    pub agency_id: String,
    pub url: String,
    pub secret: String,
    pub created_at: String,
    /// The last alert (flag id) copied into the outbox; later ones are still to copy.
    pub enqueued_through: String,
    /// When it was deleted: nothing more is delivered to it, and no route shows it.
    pub deleted_at: Option<String>,
}

/// An alert waiting for (or done with) delivery to one webhook.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_outbox)]
pub struct OutboxRow {
    pub id: String,
    pub webhook_id: String,
    pub flag_id: String,
    pub body: String,
    pub created_at: String,
    pub attempts: i32,
    pub next_attempt_at: String,
    pub delivered_at: Option<String>,
}

/// One attempt at delivering an alert.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub outbox_id: String,
    pub flag_id: String,
    pub attempt: i32,
    pub at: String,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    /// 1 when the receiver answered 2xx.
    pub delivered: i32,
}

/// One group a record's household falls in (posted for a member, or derived).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = record_groups, treat_none_as_default_value = false)]
pub struct RecordGroupRow {
    pub record_id: String,
    pub grp: String,
}

/// An organisation's public description; `code` is its agency's code.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = organizations, treat_none_as_null = true)]
pub struct OrganizationRow {
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub kind: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub description: Option<String>,
    pub updated_at: String,
}

/// A service of the directory; `groups` and `areas` comma-joined.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = services, treat_none_as_null = true)]
pub struct ServiceRow {
    pub id: String,
    pub organization: String,
    pub name: String,
    pub sector: String,
    pub groups: String,
    pub areas: String,
    pub eligibility: Option<String>,
    pub status: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub capacity_households: Option<i64>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A need and target per area × sector × group (`''` for every household) × period.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = needs)]
pub struct NeedRow {
    pub area: String,
    pub sector: String,
    pub grp: String,
    pub period_start: String,
    pub period_end: String,
    pub households_in_need: i64,
    pub households_targeted: Option<i64>,
    pub source: Option<String>,
    pub updated_at: String,
}
