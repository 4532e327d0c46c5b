//! Learning m and u from labelled pairs: reviewers' decisions (a confirmed flag's paired members
//! are one person, a dismissed flag's are not), beside expectation–maximisation's estimate on
//! unlabelled pairs ([`Matcher::estimate`]).
//!
//! For each field, the share of each agreement level among the labelled matches is a direct
//! estimate of m, and among the labelled non-matches of u. Decisions are few and come from the
//! hard cases (the `possible` band), so they are blended with the model in use: each level's
//! probability is `(count + strength × current) / (labelled + strength)`, with `strength`
//! pseudo-pairs of the current model. A field no labelled pair compares keeps its m and u.
//!
//! [`Matcher::learn_weighted`] takes labels drawn from several samples (the review queue, the
//! spot checks of automatic links), each pair weighed by how many pairs it stands for (the
//! inverse of the chance its sample drew it), so a sample of the hard cases does not speak for
//! every match. The weights set the shares of the levels; the blend with the model is still by
//! counts (the weights are scaled to sum to the number of labelled pairs), so a few hundred
//! pairs move the model as much as a few hundred unweighted pairs would. It can leave u alone:
//! labelled non-matches are the near misses that reached a reviewer, not the run of compared
//! pairs that u describes (EM, over every compared pair, estimates u well).

use crate::config::{MatchConfig, ModelField};
use crate::index::Index;
use crate::prepare::PreparedPerson;
use crate::score;
use crate::{MProbabilities, UProbabilities};

use super::Matcher;

/// m and u learned from labelled pairs (see [`Matcher::learn`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Learned {
    /// m probabilities, blended with the model's.
    pub m: MProbabilities,
    /// u probabilities, blended with the model's.
    pub u: UProbabilities,
    /// Labelled pairs that were one person.
    pub matches: usize,
    /// Labelled pairs that were not.
    pub non_matches: usize,
}

/// A person pair labelled by a reviewer or a spot check, for [`Matcher::learn_weighted`].
#[derive(Debug, Clone)]
pub struct LabelledPair {
    /// The new record's member.
    pub ours: PreparedPerson,
    /// The stored member it was paired with.
    pub theirs: PreparedPerson,
    /// One person (the reviewer confirmed, or the spot check said `same`).
    pub same: bool,
    /// How many pairs it stands for: the inverse of the chance that its sample drew it (1 for a
    /// pair of a sample that took every case).
    pub weight: f64,
}

impl Learned {
    /// The configuration with the learned m and u.
    pub fn apply(&self, config: &MatchConfig) -> MatchConfig {
        MatchConfig { m: self.m.clone(), u: self.u.clone(), ..config.clone() }
    }
}

impl Matcher {
    /// Learns m and u from person pairs labelled by reviewers (`true`: one person), blended
    /// with this matcher's model by `strength` pseudo-pairs (see the module). The index gives
    /// term frequencies only.
    ///
    /// ```
    /// use bawaba_matching::*;
    /// let p = |name: &str, dob: &str| prepare(&PersonInput::new(Role::Head, name).dob(dob));
    /// let same = (p("راتب محمد هديب", "1975-03-02"), p("راتب محمد اهديب", "1975-03-02"), true);
    /// let other = (p("راتب محمد هديب", "1975-03-02"), p("راتب محمد هديب", "1981-07-09"), false);
    /// let m = Matcher::default();
    /// let learned = m.learn(&Index::new(), &[same, other], 10.0);
    /// assert_eq!((learned.matches, learned.non_matches), (1, 1));
    /// // Birth dates were compared in the labelled pairs: their u moves (their default m is
    /// // conditional on the precision given, and kept); names' m moves; phones were not compared.
    /// assert_ne!(learned.u.date_of_birth, m.config.u.date_of_birth);
    /// assert_eq!(learned.m.date_of_birth, m.config.m.date_of_birth);
    /// assert_ne!(learned.m.family_name, m.config.m.family_name);
    /// assert_eq!(learned.m.phone, m.config.m.phone);
    /// ```
    pub fn learn(&self, index: &Index, pairs: &[(PreparedPerson, PreparedPerson, bool)], strength: f64) -> Learned {
        let weighted: Vec<LabelledPair> = pairs
            .iter()
            .map(|(a, b, same)| LabelledPair { ours: a.clone(), theirs: b.clone(), same: *same, weight: 1.0 })
            .collect();
        self.learn_weighted(index, &weighted, strength, true)
    }

    /// Learns m (and u when `u_too`) from labelled pairs each weighed by its sample (see the
    /// module): per field, each level's share among the labelled matches, the weights summing
    /// to their count, blended with the model by `strength` pseudo-pairs. Without `u_too`, u
    /// stays the model's.
    ///
    /// ```
    /// use bawaba_matching::*;
    /// let p = |name: &str, dob: &str| prepare(&PersonInput::new(Role::Head, name).dob(dob));
    /// let pair = |a, b, same, weight| LabelledPair { ours: a, theirs: b, same, weight };
    /// let m = Matcher::default();
    /// // A hard case from the queue (birth dates differ) and an automatic link (they agree),
    /// // drawn one in ten: the link speaks for ten.
    /// let hard = pair(p("راتب محمد هديب", "1975-03-02"), p("راتب محمد اهديب", "1976-03-02"), true, 1.0);
    /// let easy = pair(p("راتب محمد هديب", "1975-03-02"), p("راتب محمد هديب", "1975-03-02"), true, 10.0);
    /// let other = pair(p("راتب محمد هديب", "1975-03-02"), p("راتب محمد هديب", "1981-07-09"), false, 1.0);
    /// // Learned from a model whose date-of-birth m is a distribution (as EM leaves it).
    /// let mut cfg = m.config.clone();
    /// cfg.m.date_of_birth = [0.6, 0.1, 0.1, 0.02, 0.05, 0.08, 0.04, 0.01];
    /// let m = Matcher::new(cfg);
    /// let even = m.learn_weighted(&Index::new(), &[hard.clone(), pair(easy.ours.clone(), easy.theirs.clone(), true, 1.0)], 2.0, false);
    /// let weighed = m.learn_weighted(&Index::new(), &[hard, easy, other], 2.0, false);
    /// let exact = |l: &Learned| l.m.date_of_birth[0];
    /// assert!(exact(&weighed) > exact(&even), "the automatic link weighs more");
    /// assert_eq!(weighed.u, m.config.u, "u is left to EM");
    /// assert_eq!((weighed.matches, weighed.non_matches), (2, 1));
    /// ```
    pub fn learn_weighted(&self, index: &Index, pairs: &[LabelledPair], strength: f64, u_too: bool) -> Learned {
        let cfg = &self.config;
        let strength = strength.max(0.0);
        let fields = ModelField::ALL;
        // Level counts per field, among matches and non-matches.
        let mut cm: Vec<Vec<f64>> = fields.iter().map(|&f| vec![0.0; cfg.m.field(f).len()]).collect();
        let mut cu: Vec<Vec<f64>> = fields.iter().map(|&f| vec![0.0; cfg.u.field(f).len()]).collect();
        let (mut matches, mut non_matches) = (0, 0);
        let (mut wm, mut wu) = (0.0_f64, 0.0_f64);
        for pair in pairs {
            let weight = if pair.weight.is_finite() && pair.weight > 0.0 { pair.weight } else { continue };
            let (va, vb) = (index.view_of(&pair.ours), index.view_of(&pair.theirs));
            let levels = score::levels(cfg, &va, &vb);
            if pair.same {
                matches += 1;
                wm += weight;
            } else {
                non_matches += 1;
                wu += weight;
            }
            let counts = if pair.same { &mut cm } else { &mut cu };
            for (fi, l) in levels.iter().enumerate() {
                if let Some(l) = l
                    && let Some(c) = counts[fi].get_mut(*l as usize)
                {
                    *c += weight;
                }
            }
        }
        // The weights share the levels out; the blend counts pairs.
        for (counts, n, w) in [(&mut cm, matches, wm), (&mut cu, non_matches, wu)] {
            if w > 0.0 {
                let k = n as f64 / w;
                counts.iter_mut().flatten().for_each(|c| *c *= k);
            }
        }
        let (mut m, mut u) = (cfg.m.clone(), cfg.u.clone());
        let blend = |counts: &[f64], current: &mut [f64]| {
            let n: f64 = counts.iter().sum();
            if n == 0.0 {
                return;
            }
            for (p, c) in current.iter_mut().zip(counts) {
                *p = ((c + strength * *p) / (n + strength)).max(1e-6);
            }
            let total: f64 = current.iter().sum();
            for p in current.iter_mut() {
                *p /= total;
            }
        };
        for (fi, &f) in fields.iter().enumerate() {
            // An m whose levels sum past one is conditional on what both sides give (a date of
            // birth agrees "at the precision given": the default is 0.88 at each): shares of
            // labelled pairs are not, and would halve its weights. Kept.
            if m.field(f).iter().sum::<f64>() <= 1.0 + 1e-6 {
                blend(&cm[fi], m.field_mut(f));
            }
            if u_too {
                blend(&cu[fi], u.field_mut(f));
            }
        }
        Learned { m, u, matches, non_matches }
    }
}
