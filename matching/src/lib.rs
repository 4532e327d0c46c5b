//! # bawaba-matching
//!
//! Arabic-aware, cross-script household record linkage for the bawaba gateway. A pure library:
//! no I/O, no database, no knowledge of the gateway's types.
//!
//! The flow:
//! 1. [`prepare`] turns one member as received ([`PersonInput`]) into a [`PreparedPerson`]:
//!    the name normalised ([`normalize`]) and parsed into parts (first, father, grandfather,
//!    family), cross-script keys ([`phonetic`]), the national ID, date of birth and phone parsed.
//! 2. An [`Index`] holds every stored person, interned into compact arrays and blocking keys.
//! 3. A [`Matcher`] finds the households that an incoming household may be
//!    ([`Matcher::match_household`]), answers caseworkers' searches ([`Matcher::search`]), and
//!    re-estimates its model ([`Matcher::estimate_m`]). Scores are Fellegi–Sunter posterior
//!    probabilities; every weight that went into one is returned as [`Evidence`].
//!
//! ```
//! use bawaba_matching::*;
//!
//! let stored = [
//!     PersonInput::new(Role::Head, "محمد أحمد محمود الشاعر").dob("1980-05-01").sex(Sex::M),
//!     PersonInput::new(Role::Spouse, "فاطمة علي حسن النجار").dob("1984"),
//! ];
//! let mut index = Index::new();
//! for (i, p) in stored.iter().enumerate() {
//!     index.insert(i as PersonId, 7, prepare(p));
//! }
//! // Another agency, Latin script, the wife as head of household.
//! let incoming = [
//!     prepare(&PersonInput::new(Role::Head, "Fatmeh Ali Al-Najjar").dob("1984-02-11").sex(Sex::F)),
//!     prepare(&PersonInput::new(Role::Spouse, "Mohammed Ahmad Al-Shaer").dob("1980-05-01")),
//! ];
//! let matcher = Matcher::new(MatchConfig::default());
//! let found = matcher.match_household(&index, &incoming, &|_| false, 5);
//! assert_eq!(found[0].household, 7);
//! assert!(found[0].band >= Band::Probable);
//! ```

#![deny(missing_docs)]

mod config;
mod index;
mod matcher;
pub mod normalize;
pub mod phonetic;
mod prepare;
mod score;
mod similarity;

pub use config::{Band, LevelProbabilities, MProbabilities, MatchConfig, UProbabilities};
pub use index::{Index, IndexBuilder};
pub use matcher::{Estimated, HouseholdMatch, LabelledPair, Learned, Matcher, MemberMatch, SearchQuery};
pub use prepare::{NamePart, PreparedPerson, prepare};
pub use score::{Evidence, Field};

/// Identifier of a household, chosen by the caller (dense ids are cheapest).
pub type HouseholdId = u64;
/// Identifier of a person (one member of one stored record), chosen by the caller.
pub type PersonId = u64;

/// The role of a member in the household as the submitting agency recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Role {
    /// Head of household.
    Head,
    /// Spouse of the head.
    Spouse,
    /// Child of the head.
    Child,
    /// Any other member (parent, sibling, grandchild…).
    Other,
}

impl Role {
    /// The API's word for the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Head => "head",
            Role::Spouse => "spouse",
            Role::Child => "child",
            Role::Other => "other",
        }
    }

    /// Head or spouse: the members whose pairing anchors a household match.
    pub fn is_adult_anchor(self) -> bool {
        matches!(self, Role::Head | Role::Spouse)
    }
}

/// Sex as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Sex {
    /// Male.
    M,
    /// Female.
    F,
}

impl Sex {
    /// `"M"` or `"F"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::M => "M",
            Sex::F => "F",
        }
    }
}

/// One household member as received, borrowed from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonInput<'a> {
    /// Role in the household.
    pub role: Role,
    /// Full name as written by the agency, Arabic or Latin script.
    pub name: &'a str,
    /// National ID as written (may hold Arabic-Indic digits, dashes, a lost leading zero).
    pub national_id: Option<&'a str>,
    /// Date of birth: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub date_of_birth: Option<&'a str>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Phone number in any common Palestinian form.
    pub phone: Option<&'a str>,
}

impl<'a> PersonInput<'a> {
    /// A member with a role and a name and nothing else.
    pub fn new(role: Role, name: &'a str) -> Self {
        PersonInput { role, name, national_id: None, date_of_birth: None, sex: None, phone: None }
    }
    /// With a national ID.
    pub fn id(mut self, national_id: &'a str) -> Self {
        self.national_id = Some(national_id);
        self
    }
    /// With a date of birth.
    pub fn dob(mut self, date_of_birth: &'a str) -> Self {
        self.date_of_birth = Some(date_of_birth);
        self
    }
    /// With a sex.
    pub fn sex(mut self, sex: Sex) -> Self {
        self.sex = Some(sex);
        self
    }
    /// With a phone number.
    pub fn phone(mut self, phone: &'a str) -> Self {
        self.phone = Some(phone);
        self
    }
}
