//! Model parameters: Fellegi–Sunter m and u probabilities per field and agreement level, the
//! prior, the household rules, and the band thresholds.
//!
//! m is the probability of a level among true matches, u among non-matches; each level weighs
//! log2(m/u). For name parts the u of an exact (or transliterated) agreement is not taken from
//! here but from the index's term frequencies (agreeing on محمد says little, on a rare family name
//! a lot); the `u` arrays below are used only when the index has no count for a name.

/// Confidence band of a match, from the thresholds in [`MatchConfig`].
///
/// Ordered by confidence: `Certain > Probable > Possible`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Band {
    /// The same household beyond reasonable doubt.
    Certain,
    /// Very likely the same household.
    Probable,
    /// Worth a human look.
    Possible,
}

impl Band {
    /// `"certain"`, `"probable"` or `"possible"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Certain => "certain",
            Band::Probable => "probable",
            Band::Possible => "possible",
        }
    }
    fn rank(self) -> u8 {
        match self {
            Band::Certain => 2,
            Band::Probable => 1,
            Band::Possible => 0,
        }
    }
}

impl PartialOrd for Band {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Band {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// Per-level probabilities of every compared field (m or u).
///
/// Name parts: `[exact, variant, one_typo, similar, different]`; national ID:
/// `[exact, one_typo, different]`; date of birth: `[exact, year_month, year, day_month_swapped,
/// partial, year_off_by_one, different, far]` (far: five years or more apart); phone: `[exact, last7, different]`; sex:
/// `[agree, disagree]`. A missing value on either side is never a level: it weighs 0.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LevelProbabilities {
    /// First name.
    pub first_name: [f64; 5],
    /// Father's name.
    pub father_name: [f64; 5],
    /// Grandfather's name.
    pub grandfather_name: [f64; 5],
    /// Family name.
    pub family_name: [f64; 5],
    /// National ID.
    pub national_id: [f64; 3],
    /// Date of birth.
    pub date_of_birth: [f64; 8],
    /// Phone.
    pub phone: [f64; 3],
    /// Sex.
    pub sex: [f64; 2],
}

/// m probabilities: how often each level occurs among true matches.
pub type MProbabilities = LevelProbabilities;
/// u probabilities: how often each level occurs among non-matches.
pub type UProbabilities = LevelProbabilities;

impl LevelProbabilities {
    /// Defaults for m: data entry in humanitarian registries (IDs nearly always right when
    /// given, names with spelling variation, dates of birth often partial).
    pub fn default_m() -> Self {
        LevelProbabilities {
            first_name: [0.86, 0.08, 0.03, 0.015, 0.015],
            father_name: [0.85, 0.08, 0.03, 0.02, 0.005],
            grandfather_name: [0.80, 0.08, 0.04, 0.03, 0.05],
            family_name: [0.85, 0.09, 0.03, 0.015, 0.015],
            national_id: [0.97, 0.022, 0.004],
            date_of_birth: [0.88, 0.88, 0.88, 0.015, 0.05, 0.03, 0.025, 0.005],
            phone: [0.65, 0.05, 0.30],
            sex: [0.98, 0.02],
        }
    }

    /// Defaults for u, among candidate pairs that share a blocking key.
    ///
    /// An ID one typo away is common among non-matches: IDs are handed out in series
    /// (registration batches), so most IDs have several neighbours one digit apart. Its u is set
    /// for that (weight ≈ 5.5 bits, weak to moderate), and the scorer counts it, like a phone
    /// agreeing on its last seven digits only, only when no name part differs.
    pub fn default_u() -> Self {
        LevelProbabilities {
            first_name: [0.02, 0.01, 0.004, 0.01, 0.956],
            father_name: [0.02, 0.01, 0.004, 0.01, 0.956],
            grandfather_name: [0.02, 0.01, 0.004, 0.01, 0.956],
            family_name: [0.005, 0.003, 0.002, 0.005, 0.985],
            national_id: [1e-6, 5e-4, 0.9995],
            date_of_birth: [7e-5, 0.002, 0.025, 1e-4, 0.01, 0.05, 0.15, 0.76],
            phone: [1e-4, 1e-4, 0.9998],
            sex: [0.5, 0.5],
        }
    }

    /// The array of one field.
    pub(crate) fn field(&self, f: ModelField) -> &[f64] {
        match f {
            ModelField::First => &self.first_name,
            ModelField::Father => &self.father_name,
            ModelField::Grandfather => &self.grandfather_name,
            ModelField::Family => &self.family_name,
            ModelField::NationalId => &self.national_id,
            ModelField::Dob => &self.date_of_birth,
            ModelField::Phone => &self.phone,
            ModelField::Sex => &self.sex,
        }
    }

    /// The array of one field, mutable.
    pub(crate) fn field_mut(&mut self, f: ModelField) -> &mut [f64] {
        match f {
            ModelField::First => &mut self.first_name,
            ModelField::Father => &mut self.father_name,
            ModelField::Grandfather => &mut self.grandfather_name,
            ModelField::Family => &mut self.family_name,
            ModelField::NationalId => &mut self.national_id,
            ModelField::Dob => &mut self.date_of_birth,
            ModelField::Phone => &mut self.phone,
            ModelField::Sex => &mut self.sex,
        }
    }
}

impl Default for LevelProbabilities {
    fn default() -> Self {
        Self::default_m()
    }
}

/// The fields of the model, in a fixed order (for EM and the weight tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModelField {
    First,
    Father,
    Grandfather,
    Family,
    NationalId,
    Dob,
    Phone,
    Sex,
}

impl ModelField {
    pub(crate) const ALL: [ModelField; 8] = [
        ModelField::First,
        ModelField::Father,
        ModelField::Grandfather,
        ModelField::Family,
        ModelField::NationalId,
        ModelField::Dob,
        ModelField::Phone,
        ModelField::Sex,
    ];
}

/// Everything the matcher's decisions depend on.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct MatchConfig {
    /// Posterior probability from which a household match is `certain`.
    pub certain: f64,
    /// Posterior probability from which a household match is `probable`.
    pub probable: f64,
    /// Posterior probability from which a household match is reported at all (`possible`).
    pub possible: f64,
    /// m probabilities.
    pub m: MProbabilities,
    /// u probabilities (name exact-agreement u comes from term frequencies instead).
    pub u: UProbabilities,
    /// Highest prior probability that an incoming record is one given stored household (or
    /// person): the prior of a small index. As the index grows the prior is
    /// `min(prior, repeat_rate / households)` (persons for person-level scores), so scores mean
    /// the same at ten thousand people and at ten million.
    pub prior: f64,
    /// Numerator of the population prior: the prior that an incoming record is one given
    /// stored household is `repeat_rate / households` (Splink's
    /// `probability_two_random_records_match`, which shrinks as the population grows), capped
    /// at `prior`. Set so that the cap and the population prior meet at about 25,000 stored
    /// households (the size the weights were first tuned at); a constant of the model, like m,
    /// not of the population.
    pub repeat_rate: f64,
    /// The households the registry is expected to hold once full (0: unknown). The population
    /// prior is taken at this size at least, so that the first records of a registry (or of a
    /// file deduplicated at once) are judged as the last will be: two namesakes born the same
    /// year are not one household because the other family has not been posted yet.
    pub expected_households: usize,
    /// Smallest u for a name agreement from term frequencies (caps the weight of rare names).
    pub tf_floor: f64,
    /// Pseudo-count of name slots with which term frequencies are smoothed towards `u`
    /// (so a small index does not make every name look common).
    pub tf_prior_weight: f64,
    /// Weight of the grandfather name agreement when the father's name agrees too, as a
    /// fraction: siblings and cousins share their lineage, so the two are not independent.
    pub lineage_dependence: f64,
    /// Weight kept of a father or grandfather name agreement when the first names differ
    /// (siblings share their lineage: such an agreement says little).
    pub sibling_dependence: f64,
    /// Log2-odds subtracted from a household match resting on no head/spouse pair (children or
    /// other members only).
    pub no_anchor_penalty: f64,
    /// Log2-odds subtracted from a household match resting on a father named in one record and
    /// present as the children's father in the other.
    pub lineage_penalty: f64,
    /// Highest log2 weight that one child/other pair may bring to a household.
    pub non_anchor_cap: f64,
    /// Log2-odds subtracted per adult left unpaired on both sides (two different wives).
    pub unmatched_adult_penalty: f64,
    /// Log2-odds subtracted per man left unpaired on both sides (two different husbands).
    pub unmatched_man_penalty: f64,
    /// Log2-odds subtracted when the children of one household name a father that the other
    /// plainly does not have (children of another father).
    pub father_contradiction_penalty: f64,
    /// Pair weight under which two adults left unpaired on both sides are plainly different
    /// (a clash); at or over it they may be one person written very differently.
    pub clash_below: f64,
    /// Factor on the weight of a different national ID when both IDs are valid and differ in
    /// three digits or more (another person's number rather than a slip).
    pub nid_far_factor: f64,
    /// A household match with contradicting members (two husbands, two wives, children of
    /// another father) is held at `possible` at most: a merge for a reviewer, not automatic.
    pub contradiction_to_review: bool,
    /// Fraction of the weight of each further member pair added to the best anchor pair.
    pub extra_pair_factor: f64,
    /// Posting lists longer than this are narrowed by a second key instead of being read whole.
    pub max_block: usize,
    /// A search's `max_block` (the larger of the two is taken): a block longer than this keeps
    /// the persons whose names and birth year agree most with the query's.
    pub search_block: usize,
    /// Smallest probability a search result may have.
    pub search_floor: f64,
    /// Most log2 weight taken off an agreement on the whole name and the birth year when that
    /// combination is common (namesakes in other households beyond what the frequencies of the
    /// names and of the year predict: a clan naming its sons after one grandfather); 0 turns
    /// the combination frequency off.
    pub combination_cap: f64,
}

impl Default for MatchConfig {
    fn default() -> Self {
        MatchConfig {
            certain: 0.95,
            probable: 0.80,
            possible: 0.30,
            m: LevelProbabilities::default_m(),
            u: LevelProbabilities::default_u(),
            prior: 1e-4,
            repeat_rate: 2.5,
            expected_households: 0,
            tf_floor: 2e-5,
            tf_prior_weight: 2000.0,
            lineage_dependence: 0.5,
            sibling_dependence: 0.15,
            no_anchor_penalty: 8.0,
            lineage_penalty: 3.0,
            non_anchor_cap: 10.0,
            unmatched_adult_penalty: 6.0,
            unmatched_man_penalty: 10.0,
            father_contradiction_penalty: 10.0,
            contradiction_to_review: true,
            clash_below: 0.0,
            nid_far_factor: 2.0,
            extra_pair_factor: 0.5,
            max_block: 200,
            search_block: 500,
            search_floor: 0.001,
            combination_cap: 6.0,
        }
    }
}

impl MatchConfig {
    /// The band of a posterior probability, if it reaches `possible`.
    pub fn band(&self, p: f64) -> Option<Band> {
        if p >= self.certain {
            Some(Band::Certain)
        } else if p >= self.probable {
            Some(Band::Probable)
        } else if p >= self.possible {
            Some(Band::Possible)
        } else {
            None
        }
    }

    /// The prior probability that an incoming record (person) is one given stored household
    /// (person) of a population of `population`.
    pub fn population_prior(&self, population: usize) -> f64 {
        let population = population.max(self.expected_households);
        let p = if population == 0 { self.prior } else { self.prior.min(self.repeat_rate / population as f64) };
        p.clamp(1e-12, 1.0 - 1e-12)
    }

    /// The share of random pairs of persons born the same year (from u of the date levels that
    /// agree on the year).
    pub(crate) fn year_share(&self) -> f64 {
        let u = &self.u.date_of_birth;
        (u[0] + u[1] + u[2] + u[3] + u[4]).clamp(1e-4, 1.0)
    }

    /// The log2 weight a name common with its birth year loses (see `combination_cap`), from
    /// the namesake households found and the number expected.
    pub(crate) fn combination_penalty(&self, found: f64, expected: f64) -> f64 {
        // The household the person may really be is among those found.
        let others = found - 1.0;
        if self.combination_cap <= 0.0 || others < 1.0 || others <= expected {
            return 0.0;
        }
        (others / expected.max(1e-9)).log2().min(self.combination_cap)
    }

    /// log2 prior odds for a population.
    pub(crate) fn population_prior_log2(&self, population: usize) -> f64 {
        let p = self.population_prior(population);
        (p / (1.0 - p)).log2()
    }
}

/// Posterior probability from log2 odds.
pub(crate) fn posterior(log2_odds: f64) -> f64 {
    let l = log2_odds.clamp(-60.0, 60.0);
    1.0 / (1.0 + (-l).exp2())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_order_and_thresholds() {
        assert!(Band::Certain > Band::Probable && Band::Probable > Band::Possible);
        let c = MatchConfig::default();
        assert_eq!(c.band(0.99), Some(Band::Certain));
        assert_eq!(c.band(0.85), Some(Band::Probable));
        assert_eq!(c.band(0.01), None);
        assert!((posterior(0.0) - 0.5).abs() < 1e-12);
    }
}
