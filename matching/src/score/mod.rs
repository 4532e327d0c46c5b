//! Pair comparison: agreement levels per field and their Fellegi–Sunter weights.
//!
//! Names are compared part by part (first ↔ first, father ↔ father, grandfather ↔ grandfather,
//! family ↔ family); a part missing on either side weighs nothing. A three-part name is also
//! tried as first + father + grandfather (family left out) against a longer one, at a small
//! cost, and the better reading kept. Tokens in different scripts meet through the name table
//! or, failing that, the consonant skeleton. A woman's
//! first name is weighed by its frequency among women's first names (about half the persons),
//! not among every given-name slot (fathers' and grandfathers' names are men's). The scoring
//! path allocates nothing unless evidence is asked for.

mod fields;
mod names;
mod pair;

use crate::prepare::MAX_PARTS;
use crate::{Role, Sex};
pub(crate) use fields::*;
pub(crate) use names::*;
pub(crate) use pair::*;

/// A compared field, as reported in [`Evidence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Field {
    /// The full name (sum of the parts).
    Name,
    /// First name.
    FirstName,
    /// Father's name.
    FatherName,
    /// Grandfather's name.
    GrandfatherName,
    /// Family name.
    FamilyName,
    /// National ID.
    NationalId,
    /// Date of birth.
    DateOfBirth,
    /// Phone.
    Phone,
    /// Sex.
    Sex,
    /// Role in the household.
    Role,
}

impl Field {
    /// snake_case name of the field.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::FirstName => "first_name",
            Field::FatherName => "father_name",
            Field::GrandfatherName => "grandfather_name",
            Field::FamilyName => "family_name",
            Field::NationalId => "national_id",
            Field::DateOfBirth => "date_of_birth",
            Field::Phone => "phone",
            Field::Sex => "sex",
            Field::Role => "role",
        }
    }
}

/// One line of evidence: what was compared, how alike, how much it weighed.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Evidence {
    /// The field.
    pub field: Field,
    /// Agreement level: `exact`, `transliteration`, `spelling_variant`, `one_typo`, `similar`,
    /// `different`, `missing`, `year_month`, `year`, `day_month_swapped`, `partial`,
    /// `year_off_by_one`, `last7`, `agree`, `disagree`, `same`, `compatible`….
    pub level: &'static str,
    /// Our value (normalised), empty when missing.
    pub ours: String,
    /// Their value (normalised), empty when missing.
    pub theirs: String,
    /// Similarity in [0, 1].
    pub similarity: f64,
    /// log2(m/u) as applied (0 for missing).
    pub weight: f64,
}

/// Name agreement levels (indices into the name arrays of the model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameLevel {
    Exact = 0,
    Variant = 1,
    OneTypo = 2,
    Similar = 3,
    Different = 4,
}

/// A token as seen by the scorer: its bytes and keys, plus term frequencies from the index.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokView<'a> {
    pub code: &'a [u8],
    pub skel: u64,
    pub skel_full: u64,
    pub groups: &'a [u32],
    /// Interned id in the index, `u32::MAX` if unknown.
    pub id: u32,
    /// Which index `id` is of ([`crate::index::Index`]'s identity; 0 for none): a token's
    /// comparisons are remembered by its id within one index (`names::compare_levels`).
    pub index: u32,
    /// Occurrences of the token in the index as a given name / as a family name.
    pub tf: [f32; 2],
    /// Occurrences of the token's concept (skeleton) likewise.
    pub ctf: [f32; 2],
    /// Given-name and family-name slots in the index (the denominators).
    pub total: [f32; 2],
}

pub(crate) const NO_ID: u32 = u32::MAX;

impl TokView<'_> {
    pub(crate) const EMPTY: TokView<'static> = TokView {
        code: &[],
        skel: 0,
        skel_full: 0,
        groups: &[],
        id: NO_ID,
        index: 0,
        tf: [0.0; 2],
        ctf: [0.0; 2],
        total: [0.0; 2],
    };
}

/// A person as seen by the scorer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PView<'a> {
    pub toks: [TokView<'a>; MAX_PARTS],
    pub n: usize,
    pub nid: u64,
    pub dob: u32,
    pub phone: u64,
    pub sex: Option<Sex>,
    pub role: Role,
    /// Log2 weight taken off an agreement on the whole name and the birth year, for a name
    /// that is common with that year (namesakes in other households beyond what the name's
    /// and the year's own frequencies predict; of every year for a person with no birth
    /// year); 0 when not known (stored persons).
    pub common: f32,
    /// Persons in the index (0 for an empty one): the denominator of a woman's first name's
    /// frequency (see [`reading`]).
    pub people: f32,
}

/// Result of comparing two tokens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokCmp {
    pub level: NameLevel,
    pub sim: f64,
    pub label: &'static str,
    /// The u comes from the concept frequency (a spelling or script variant of the same name).
    pub concept: bool,
}
