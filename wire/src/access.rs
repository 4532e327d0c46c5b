//! Access: named users, keys with a scope and an expiry, and the audit log (`/v1/users`,
//! `/v1/keys`, `/v1/audit`).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Where a key or a user may look: households with a record in one of these governorates or
/// localities (place codes, as `GET /v1/places` lists them). Absent means everywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeBody {
    #[serde(default)]
    pub governorates: Vec<String>,
    #[serde(default)]
    pub localities: Vec<String>,
}

/// `POST /v1/keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    /// The agency's code (it must exist).
    pub agency: String,
    /// admin, submitter, caseworker, auditor or coordinator.
    #[schema(value_type = crate::domain::AccessRole)]
    pub role: String,
    #[serde(default, deserialize_with = "crate::strict::optional_object")]
    pub scope: Option<ScopeBody>,
    /// What the key is for, up to 200 characters.
    #[serde(default)]
    #[schema(schema_with = crate::schema::optional_label)]
    pub label: Option<String>,
    /// RFC 3339; after it the key stops working.
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// A key as listed: never the key itself.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyInfo {
    pub id: String,
    pub agency: String,
    pub role: String,
    pub scope: Option<ScopeBody>,
    pub label: Option<String>,
    pub created_at: String,
    /// Written in batches, so up to a few seconds behind.
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// `GET /v1/keys`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyList {
    pub keys: Vec<KeyInfo>,
}

/// A key made (`POST /v1/keys`) or rotated: the key is shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuedKey {
    pub key: KeyInfo,
    pub api_key: String,
    /// For a rotation: the key replaced, and when it stops working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<KeyInfo>,
}

/// `POST /v1/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// The agency's code (it must exist).
    pub agency: String,
    /// 3 to 64 characters: lower-case letters, digits, `.`, `-`, `_`.
    #[schema(schema_with = crate::schema::username)]
    pub username: String,
    #[schema(schema_with = crate::schema::label)]
    pub display_name: String,
    #[schema(value_type = crate::domain::AccessRole)]
    pub role: String,
    #[serde(default, deserialize_with = "crate::strict::optional_object")]
    pub scope: Option<ScopeBody>,
}

/// A user as listed: never the password or its hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: String,
    pub agency: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub scope: Option<ScopeBody>,
    pub disabled: bool,
    pub created_at: String,
}

/// A user made: the one-time password is shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedUser {
    pub user: User,
    pub password: String,
}

/// `GET /v1/users`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
}

/// `PATCH /v1/users/{id}`: what is given changes; `"scope": null` means everywhere.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::AccessRole>)]
    pub role: Option<String>,
    /// Absent: unchanged; `null`: everywhere; an object: that scope.
    #[serde(default, deserialize_with = "patch_scope")]
    #[schema(value_type = Option<ScopeBody>)]
    pub scope: Option<Option<ScopeBody>>,
    #[serde(default)]
    pub disabled: Option<bool>,
}

fn patch_scope<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<ScopeBody>>, D::Error> {
    crate::strict::optional_object(d).map(Some)
}

/// `GET /v1/audit` parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Events at or after this date (`YYYY-MM-DD`) or time (RFC 3339).
    #[param(schema_with = crate::schema::day)]
    pub from: Option<String>,
    /// Events up to this date (inclusive) or before this time.
    #[param(schema_with = crate::schema::day)]
    pub to: Option<String>,
    /// A username, or a key id.
    pub actor: Option<String>,
    /// An action (`household.view`), or a family of them ending in `.` (`household.`).
    pub action: Option<String>,
    pub household_id: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 1000, default 100 (JSON only; CSV is every event).
    #[param(schema_with = crate::schema::limit_1000)]
    pub limit: Option<String>,
    /// `json` (default) or `csv`.
    #[param(schema_with = crate::schema::word::<crate::domain::TableFormat>)]
    pub format: Option<String>,
}

/// One audit event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub at: String,
    /// The agency's code (absent for the master key and the command line).
    pub agency: Option<String>,
    /// The named user, when a person acted.
    pub username: Option<String>,
    pub display_name: Option<String>,
    /// The key, when a key acted.
    pub key_id: Option<String>,
    pub key_label: Option<String>,
    pub role: String,
    pub action: String,
    /// The household, record, flag or other thing acted on.
    pub target: Option<String>,
    pub detail: Option<String>,
    /// The client address.
    pub address: Option<String>,
}

/// `GET /v1/audit`: newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}
