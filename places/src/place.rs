//! The place record, its kinds, and the errors of changing a gazetteer.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether a place is a governorate or a locality within one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// One of the 16 governorates (ISO 3166-2 subdivisions of PS).
    Governorate,
    /// A city, town, village, camp or area inside a governorate.
    Locality,
}

impl PlaceKind {
    /// The API form: `governorate` or `locality`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Governorate => "governorate",
            PlaceKind::Locality => "locality",
        }
    }

    /// Parses the API form (any case); `None` for anything else.
    pub fn parse(s: &str) -> Option<PlaceKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "governorate" => Some(PlaceKind::Governorate),
            "locality" => Some(PlaceKind::Locality),
            _ => None,
        }
    }
}

/// What kind of locality a place is, where the gazetteer knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalityKind {
    /// A city (a governorate centre or a large municipality).
    City,
    /// A town.
    Town,
    /// A village.
    Village,
    /// A refugee camp (the 27 UNRWA camps are listed).
    Camp,
    /// Not known, or none of the above (an area such as al-Mawasi, a neighbourhood).
    Unknown,
}

impl LocalityKind {
    /// The data and API form: `city`, `town`, `village`, `camp` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            LocalityKind::City => "city",
            LocalityKind::Town => "town",
            LocalityKind::Village => "village",
            LocalityKind::Camp => "camp",
            LocalityKind::Unknown => "unknown",
        }
    }

    /// Parses the data and API form (any case); `None` for anything else.
    pub fn parse(s: &str) -> Option<LocalityKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "city" => Some(LocalityKind::City),
            "town" => Some(LocalityKind::Town),
            "village" => Some(LocalityKind::Village),
            "camp" => Some(LocalityKind::Camp),
            "unknown" | "" => Some(LocalityKind::Unknown),
            _ => None,
        }
    }
}

/// One place of the gazetteer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Stable code: the ISO 3166-2 code for a governorate (`PS-HBN`), the governorate's code, a
    /// hyphen and an uppercase ASCII slug of the English name for a locality (`PS-HBN-YATTA`).
    pub code: String,
    /// Governorate or locality.
    pub kind: PlaceKind,
    /// For a locality, what kind of locality; `None` for a governorate.
    pub locality_kind: Option<LocalityKind>,
    /// Arabic name (may be empty when no source gives one).
    pub name_ar: String,
    /// English name, as agencies usually write it.
    pub name_en: String,
    /// For a locality, the code of its governorate; `None` for a governorate.
    pub parent: Option<String>,
    /// Other spellings, in either script (the GeoNames romanisation, GeoNames Arabic variants,
    /// the spellings agencies use, aliases added by the admin).
    pub aliases: Vec<String>,
    /// Latitude (WGS 84), when known.
    pub lat: Option<f64>,
    /// Longitude (WGS 84), when known.
    pub lon: Option<f64>,
    /// GeoNames id, for places taken from GeoNames.
    pub geonameid: Option<u64>,
}

impl Place {
    /// A locality with no aliases and no coordinates, for the caller to complete.
    ///
    /// ```
    /// use bawaba_places::{Gazetteer, LocalityKind, Place};
    /// let mut g = Gazetteer::builtin();
    /// let code = g.new_locality_code("PS-HBN", "Umm al-Khair");
    /// let mut p = Place::locality(&code, "PS-HBN", "Umm al-Khair", "أم الخير");
    /// p.locality_kind = Some(LocalityKind::Village);
    /// g.add(p).expect("a new code under a known governorate");
    /// assert_eq!(g.resolve(None, Some("ام الخير")).locality_code.as_deref(), Some("PS-HBN-UMM-AL-KHAIR"));
    /// ```
    pub fn locality(code: &str, parent: &str, name_en: &str, name_ar: &str) -> Place {
        Place {
            code: code.to_owned(),
            kind: PlaceKind::Locality,
            locality_kind: Some(LocalityKind::Unknown),
            name_ar: name_ar.to_owned(),
            name_en: name_en.to_owned(),
            parent: Some(parent.to_owned()),
            aliases: Vec::new(),
            lat: None,
            lon: None,
            geonameid: None,
        }
    }

    /// Whether the place is a refugee camp.
    pub fn is_camp(&self) -> bool {
        self.locality_kind == Some(LocalityKind::Camp)
    }

    /// Every spelling of the place: English name, Arabic name, then the aliases.
    pub fn spellings(&self) -> impl Iterator<Item = &str> {
        [self.name_en.as_str(), self.name_ar.as_str()]
            .into_iter()
            .chain(self.aliases.iter().map(String::as_str))
            .filter(|s| !s.trim().is_empty())
    }
}

/// Why a place or an alias could not be added.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlaceError {
    /// A place with this code is already in the gazetteer.
    DuplicateCode(String),
    /// No place has this code.
    UnknownCode(String),
    /// The code is not uppercase ASCII letters, digits and single hyphens, or a locality's code
    /// does not start with its governorate's code and a hyphen.
    InvalidCode(String),
    /// A locality's parent is not a governorate of the gazetteer (or a governorate has a parent).
    InvalidParent(String),
    /// The place has neither an English nor an Arabic name, or the alias is empty.
    MissingName,
    /// A locality without a locality kind, or a governorate with one.
    InvalidKind,
}

impl fmt::Display for PlaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlaceError::DuplicateCode(c) => write!(f, "a place with code {c} already exists"),
            PlaceError::UnknownCode(c) => write!(f, "no place has code {c}"),
            PlaceError::InvalidCode(c) => write!(
                f,
                "invalid place code {c}: uppercase ASCII letters, digits and hyphens, a locality's code starting with its governorate's"
            ),
            PlaceError::InvalidParent(c) => write!(f, "{c} is not a governorate"),
            PlaceError::MissingName => f.write_str("a place needs an English or an Arabic name"),
            PlaceError::InvalidKind => f.write_str("a locality needs a locality kind and a governorate has none"),
        }
    }
}

impl std::error::Error for PlaceError {}
