//! `/v1/places`: the gazetteer of governorates and localities, and what the admin adds to it.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{LocalityKind, PlaceKind};

/// One place of the gazetteer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlaceOut {
    /// Stable code: ISO 3166-2 for a governorate (`PS-HBN`), the governorate's code and a slug
    /// of the English name for a locality (`PS-HBN-YATTA`).
    pub code: String,
    pub kind: PlaceKind,
    /// Arabic name (empty when no source gives one).
    pub name_ar: String,
    /// English name, as agencies usually write it (empty when none was given).
    pub name_en: String,
    /// A locality's governorate code; `null` for a governorate.
    pub parent: Option<String>,
    /// A locality's kind; `null` for a governorate.
    pub locality_kind: Option<LocalityKind>,
    /// Other spellings the gateway resolves, in either script.
    pub aliases: Vec<String>,
    /// Latitude (WGS 84), when known.
    pub lat: Option<f64>,
    /// Longitude (WGS 84), when known.
    pub lon: Option<f64>,
}

/// `GET /v1/places` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlaceList {
    /// Best match first when `q` is given; otherwise governorates, then localities, by code.
    pub places: Vec<PlaceOut>,
    /// The credit the data's licences ask for (GeoNames, CC BY), to show wherever the names are.
    pub attribution: String,
}

/// `GET /v1/places` parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlacesQuery {
    /// `governorate` or `locality`; absent for both.
    #[param(schema_with = crate::schema::word::<crate::domain::PlaceKind>)]
    pub kind: Option<String>,
    /// A code, or a name in any spelling or script (or its start).
    pub q: Option<String>,
    /// Only the localities of this governorate (a code or any spelling).
    pub parent: Option<String>,
}

/// `POST /v1/places` (admin): a place agencies write that the gazetteer lacks.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlaceBody {
    /// `locality` (the 16 governorates are fixed).
    pub kind: PlaceKind,
    /// Arabic name; this or `name_en` is required.
    #[serde(default)]
    pub name_ar: Option<String>,
    /// English name; this or `name_ar` is required.
    #[serde(default)]
    pub name_en: Option<String>,
    /// The governorate: its code or any spelling of its name.
    #[serde(default)]
    pub parent: Option<String>,
    /// Default `unknown`.
    #[serde(default)]
    pub locality_kind: Option<LocalityKind>,
    /// Other spellings, in either script (at most 50).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Latitude (WGS 84).
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude (WGS 84).
    #[serde(default)]
    pub lon: Option<f64>,
}

/// `PATCH /v1/places/{code}` (admin): more spellings of a place.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceAliasesBody {
    /// Other spellings to add (1 to 50); one the place already has is ignored.
    #[schema(schema_with = crate::schema::spellings)]
    pub aliases: Vec<String>,
}

/// The answer to `POST /v1/places` (201) and `PATCH /v1/places/{code}` (200).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlaceAnswer {
    pub place: PlaceOut,
    /// How many stored records whose location had not resolved resolve now.
    pub records_resolved: usize,
}
