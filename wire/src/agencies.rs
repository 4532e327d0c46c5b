use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An agency as clients see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Agency {
    pub id: String,
    pub code: String,
    pub name: String,
}

/// A new key, shown once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedKey {
    pub agency: Agency,
    /// The key itself: shown this once, stored only as a hash.
    pub api_key: String,
    pub role: String,
    /// Whether the agency was made now (false: a key was added to an existing one).
    #[serde(skip)]
    pub created: bool,
}

/// `POST /v1/agencies`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgencyBody {
    /// Short unique code: capital letters, digits, `-` and `_`, 2 to 32 characters.
    #[schema(schema_with = crate::schema::agency_code)]
    pub code: String,
    #[schema(schema_with = crate::schema::label)]
    pub name: String,
    /// Role of the new key: admin, submitter, caseworker, auditor or coordinator.
    #[schema(value_type = crate::domain::AccessRole)]
    pub role: String,
}

/// `GET /v1/agencies`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgencyList {
    pub agencies: Vec<Agency>,
}

/// Who a key belongs to.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WhoAmI {
    /// The agency's code; absent for the master key.
    pub agency: Option<String>,
    pub role: String,
}
