//! The directory of organisations and their services, shaped like Open Referral's HSDS, and
//! who does what where (API.md, "The directory").

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{AidType, OrgKind, ServiceStatus};

/// How to reach an organisation or a service.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
}

/// `PUT /v1/directory/organizations/{code}`: an organisation's public description, whole.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationBody {
    /// Arabic name; this or `name_en` is required.
    #[serde(default)]
    pub name_ar: Option<String>,
    /// English name.
    #[serde(default)]
    pub name_en: Option<String>,
    pub kind: OrgKind,
    #[serde(default, deserialize_with = "crate::strict::optional_object")]
    pub contact: Option<Contact>,
    /// What it does, in a few lines.
    #[serde(default)]
    pub description: Option<String>,
}

/// An organisation of the directory.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct Organization {
    /// Its agency's code.
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    /// `null` until the organisation describes itself.
    pub kind: Option<OrgKind>,
    pub contact: Contact,
    pub description: Option<String>,
    pub services: Vec<Service>,
}

/// `GET /v1/directory/organizations`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct OrganizationList {
    pub organizations: Vec<Organization>,
}

/// `POST /v1/directory/services`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceBody {
    /// The organisation's code; absent for the caller's own agency (required for the admin).
    #[serde(default)]
    pub organization: Option<String>,
    pub name: String,
    /// An `assistance.type` value.
    pub sector: AidType,
    /// Vulnerable groups it serves; empty for everyone.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Place codes or names it serves (governorates or localities).
    #[serde(default)]
    pub areas: Vec<String>,
    /// Who may use it, as text.
    #[serde(default)]
    pub eligibility: Option<String>,
    /// `active` (default), `paused` or `closed`.
    #[serde(default)]
    pub status: Option<ServiceStatus>,
    #[serde(default)]
    pub period_start: Option<String>,
    #[serde(default)]
    pub period_end: Option<String>,
    #[serde(default)]
    pub capacity_households: Option<i64>,
    #[serde(default, deserialize_with = "crate::strict::optional_object")]
    pub contact: Option<Contact>,
}

/// `PATCH /v1/directory/services/{id}`: the fields given replace the stored ones.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub sector: Option<AidType>,
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    #[serde(default)]
    pub areas: Option<Vec<String>>,
    #[serde(default)]
    pub eligibility: Option<String>,
    #[serde(default)]
    pub status: Option<ServiceStatus>,
    #[serde(default)]
    pub period_start: Option<String>,
    #[serde(default)]
    pub period_end: Option<String>,
    #[serde(default)]
    pub capacity_households: Option<i64>,
    #[serde(default, deserialize_with = "crate::strict::optional_object")]
    pub contact: Option<Contact>,
}

/// A service of the directory.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct Service {
    pub id: String,
    pub organization: String,
    pub name: String,
    pub sector: String,
    pub groups: Vec<String>,
    /// Place codes.
    pub areas: Vec<String>,
    pub eligibility: Option<String>,
    pub status: ServiceStatus,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub capacity_households: Option<i64>,
    pub contact: Contact,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /v1/directory/services` and `PATCH`, `DELETE` answers.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ServiceAnswer {
    pub service: Service,
}

/// `GET /v1/directory/services`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ServiceList {
    pub services: Vec<Service>,
}

/// `GET /v1/directory/services` parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ServicesQuery {
    /// A place's code or any spelling: services serving it (a governorate-wide service serves
    /// each of its localities).
    #[param(schema_with = crate::schema::filter)]
    pub area: Option<String>,
    #[param(schema_with = crate::schema::word::<crate::domain::AidType>)]
    pub sector: Option<String>,
    #[param(schema_with = crate::schema::word::<crate::domain::Group>)]
    pub group: Option<String>,
    pub organization: Option<String>,
    #[param(schema_with = crate::schema::word::<crate::domain::ServiceStatus>)]
    pub status: Option<String>,
}

/// `GET /v1/directory/3w` parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WhoWhatWhereQuery {
    /// Records and services whose period meets `[from, to]`.
    #[param(schema_with = crate::schema::day)]
    pub from: Option<String>,
    #[param(schema_with = crate::schema::day)]
    pub to: Option<String>,
    /// Only this governorate (code or any spelling).
    #[param(schema_with = crate::schema::filter)]
    pub governorate: Option<String>,
    #[param(schema_with = crate::schema::word::<crate::domain::AidType>)]
    pub sector: Option<String>,
    pub organization: Option<String>,
    /// `json` (default), `csv`, or `hxl` (CSV with the HXL hashtag row under the headers).
    #[param(schema_with = crate::schema::word::<crate::domain::ThreeWFormat>)]
    pub format: Option<String>,
}

/// One line of who does what where: an organisation × sector × place.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct WhoWhatWhereRow {
    pub organization: String,
    pub organization_name: String,
    pub organization_kind: Option<OrgKind>,
    pub sector: String,
    pub adm1_code: Option<String>,
    /// Arabic name.
    pub adm1_name: String,
    pub adm1_name_en: String,
    /// `null` for a governorate-wide line.
    pub adm2_code: Option<String>,
    /// Arabic name.
    pub adm2_name: String,
    pub adm2_name_en: String,
    /// The services listed here (names).
    pub services: Vec<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// Distinct resolved households with a record in the period; `null` when suppressed.
    pub households_reached: Option<i64>,
    pub suppressed: bool,
}

/// `GET /v1/directory/3w`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct WhoWhatWhere {
    pub rows: Vec<WhoWhatWhereRow>,
}
