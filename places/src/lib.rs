//! # bawaba-places
//!
//! The gazetteer of the State of Palestine for the bawaba gateway: the 16 governorates with
//! their ISO 3166-2 codes, their localities (cities, towns, villages, the 27 UNRWA refugee
//! camps), every spelling agencies write in Arabic or Latin script, and the governorate
//! boundaries for an inline SVG map. A pure library: no I/O at run time, the data is embedded
//! from `places/data/` (see its README for sources, licences and attribution).
//!
//! Policy:
//! - **Codes are stable.** Governorates keep their ISO 3166-2 codes; a locality's code is its
//!   governorate's code, a hyphen and an uppercase ASCII slug of its English name
//!   (`PS-HBN-YATTA`, `PS-NGZ-JABALIA-CAMP`), written in the data file and never recomputed,
//!   so adding places never changes a code.
//! - **Resolution never refuses.** [`Gazetteer::resolve`] gives codes for what it recognises
//!   and `None` for the rest; the caller keeps the text as written and counts it unresolved.
//! - **Exact first, loose only on a miss.** A text is looked up as written, then by its loose
//!   key (scripts folded, article and kind words dropped, words joined, Latin vowels loosened),
//!   and only when that misses by the consonant skeleton shared by both scripts, then with one
//!   typo. A name shared by several places is told apart by the governorate, or not resolved.
//!
//! ```
//! use bawaba_places::{Gazetteer, PlaceKind};
//!
//! let g = Gazetteer::builtin();
//! let r = g.resolve(Some("Khan Younis"), Some("Bani Suheila"));
//! assert_eq!(r.governorate_code.as_deref(), Some("PS-KYS"));
//! assert_eq!(r.locality_code.as_deref(), Some("PS-KYS-BANI-SUHEILA"));
//! // Either script, the camp word, the governorate inferred.
//! let r = g.resolve(None, Some("مخيم جباليا"));
//! assert_eq!(r.locality_code.as_deref(), Some("PS-NGZ-JABALIA-CAMP"));
//! assert_eq!(r.governorate_code.as_deref(), Some("PS-NGZ"));
//! // Filters take a code or any spelling.
//! assert_eq!(g.resolve_area("خانيونس").map(|p| p.code.as_str()), Some("PS-KYS"));
//! assert_eq!(g.search("beit lah", Some(PlaceKind::Locality))[0].code, "PS-NGZ-BEIT-LAHIA");
//! ```

#![deny(missing_docs)]

mod data;
mod gazetteer;
mod key;
mod map;
mod place;

pub use gazetteer::{Gazetteer, Resolved};
pub use map::{BOUNDARIES_ATTRIBUTION, GEONAMES_ATTRIBUTION, governorate_centroids, governorate_paths, project};
pub use place::{LocalityKind, Place, PlaceError, PlaceKind};
