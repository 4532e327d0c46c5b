//! Learning m and u from labelled pairs: reviewers' decisions (a confirmed flag's paired members
//! are one person, a dismissed flag's are not), beside expectation–maximisation's estimate on
//! unlabelled pairs ([`Matcher::estimate`]).
//!
//! For each field, the share of each agreement level among the labelled matches is a direct
//! estimate of m, and among the labelled non-matches of u. Decisions are few and come from the
//! hard cases (the `possible` band), so they are blended with the model in use: each level's
//! probability is `(count + strength × current) / (labelled + strength)`, with `strength`
//! pseudo-pairs of the current model. A field no labelled pair compares keeps its m and u.

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
    /// // Birth dates were compared in the labelled pairs: their m and u move; phones were not.
    /// assert_ne!(learned.u.date_of_birth, m.config.u.date_of_birth);
    /// assert_ne!(learned.m.date_of_birth, m.config.m.date_of_birth);
    /// assert_eq!(learned.m.phone, m.config.m.phone);
    /// ```
    pub fn learn(&self, index: &Index, pairs: &[(PreparedPerson, PreparedPerson, bool)], strength: f64) -> Learned {
        let cfg = &self.config;
        let strength = strength.max(0.0);
        let fields = ModelField::ALL;
        // Level counts per field, among matches and non-matches.
        let mut cm: Vec<Vec<f64>> = fields.iter().map(|&f| vec![0.0; cfg.m.field(f).len()]).collect();
        let mut cu: Vec<Vec<f64>> = fields.iter().map(|&f| vec![0.0; cfg.u.field(f).len()]).collect();
        let (mut matches, mut non_matches) = (0, 0);
        for (a, b, same) in pairs {
            let (va, vb) = (index.view_of(a), index.view_of(b));
            let levels = score::levels(cfg, &va, &vb);
            if *same {
                matches += 1;
            } else {
                non_matches += 1;
            }
            let counts = if *same { &mut cm } else { &mut cu };
            for (fi, l) in levels.iter().enumerate() {
                if let Some(l) = l
                    && let Some(c) = counts[fi].get_mut(*l as usize)
                {
                    *c += 1.0;
                }
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
            blend(&cm[fi], m.field_mut(f));
            blend(&cu[fi], u.field_mut(f));
        }
        Learned { m, u, matches, non_matches }
    }
}
