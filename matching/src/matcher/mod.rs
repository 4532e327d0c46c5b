//! Household matching, search and model estimation.
//!
//! A household match is decided on its strongest member pairs. The members of the two
//! households are paired greedily by pair weight (each member used once), regardless of role,
//! so a wife recorded as head by one agency and as spouse by another still pairs. Two persons
//! born five years apart or more (sharing no ID or phone) are never paired on their names: a
//! son named after his grandfather carries his father's name, so across a generation a name
//! agreement is what namesakes look like. An incoming couple's unknown sex is filled in from
//! the partner's before scoring. The household
//! log-odds are the prior plus the best head/spouse ↔ head/spouse pair plus a fraction of every
//! further pair; without any such anchor pair (children or other members only) the pairs are
//! capped and a penalty applies, so one child who now heads a household of his own does not join
//! his parents', while several shared children do. A household recorded with fewer members, or
//! with children added later, loses nothing: an unpaired member is simply missing.
//!
//! Contradictions weigh against and hold the match at `possible` (a reviewer's decision, never an
//! automatic merge): two men left unpaired on both sides (a household has one husband), two
//! women plainly different (co-wives exist: a smaller penalty), children naming a father the
//! other record plainly does not have. One adult's match cannot carry a household whose other
//! members contradict it. A stored household is compared as its members are: each distinct
//! person once (the index keeps a person written again exactly as one), a person paired with
//! one incoming member pairs with no other under another of its spellings, and a stored adult
//! who is a paired one written again is not another adult. A household that already holds two
//! plainly different husbands (two families joined once) takes no record automatically: at
//! most `possible`. At most `MAX_PEOPLE` persons of one household are aligned with a record
//! (those the candidate search hit, then the most recent), so the work per record is bounded
//! however many records a household absorbs. The prior comes from the number of households in
//! the index (`MatchConfig::population_prior`); a name common with its birth year in this
//! population (namesakes in other households beyond what its parts' frequencies predict), or
//! common alone when a birth year is missing, loses up to `MatchConfig::combination_cap` bits. A record is one household at most: an uncertain
//! candidate beside a likelier one is weighed against both (see `household::one_household`), so
//! a namesake that scores `possible` beside the household a record plainly joins raises no flag.

mod assess;
mod dedup;
mod em;
pub use em::Estimated;
mod household;
mod learn;
pub use learn::{LabelledPair, Learned};
mod search;

use crate::config::MatchConfig;
use crate::score::Evidence;
use crate::{Band, HouseholdId, PersonId};

/// A caseworker's search: a name in any spelling or script and/or an ID, a phone, a date of
/// birth. At least one of name, national ID or phone is needed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchQuery<'a> {
    /// Full or partial name.
    pub name: Option<&'a str>,
    /// National ID.
    pub national_id: Option<&'a str>,
    /// Date of birth (`YYYY[-MM[-DD]]`).
    pub date_of_birth: Option<&'a str>,
    /// Phone.
    pub phone: Option<&'a str>,
}

/// One paired member: ours (index into the incoming members; 0 for a search) and theirs.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MemberMatch {
    /// Index of the incoming member (0 for a search, for `compare_households` an index into `a`).
    pub ours: usize,
    /// The stored person (for `compare_households`, an index into `b`).
    pub theirs: PersonId,
    /// The stored person's name as originally written.
    pub theirs_name: String,
    /// Posterior probability that the two are one person.
    pub score: f64,
    /// Field-by-field evidence.
    pub evidence: Vec<Evidence>,
}

/// A household the incoming one may be.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HouseholdMatch {
    /// The stored household (0 from `compare_households`).
    pub household: HouseholdId,
    /// Posterior probability in [0, 1] that the two are one household.
    pub score: f64,
    /// Band of the score.
    pub band: Band,
    /// Paired members, strongest first.
    pub pairs: Vec<MemberMatch>,
}

/// The matching engine: a configuration and the algorithms that use it.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    /// Thresholds and model parameters.
    pub config: MatchConfig,
}

/// The smallest pair weight (log2 likelihood ratio) that counts as a member pair.
pub(crate) const PAIR_MIN: f64 = 6.0;

/// Candidate households above which scoring runs in parallel.
pub(super) const PAR_HOUSEHOLDS: usize = 24;

/// How a member pair was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// The same person.
    Person,
    /// Ours is the father of theirs (their child's father name is our first name…).
    OursParent,
    /// Theirs is the father of ours.
    TheirsParent,
}

/// Member pairs of one assessed household: (ours, theirs, weight, link).
type Pairs = Vec<(usize, usize, f64, Link)>;

impl Matcher {
    /// A matcher with a configuration.
    pub fn new(config: MatchConfig) -> Self {
        Matcher { config }
    }
}
