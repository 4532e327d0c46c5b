//! Expectation–maximisation of the model (λ, m and u) on pairs drawn from the index.

use crate::config::MatchConfig;
use crate::config::ModelField;
use crate::index::{Index, KeyKind};
use crate::score;
use crate::{MProbabilities, UProbabilities};
use rayon::prelude::*;
use std::collections::HashSet;

use super::*;

/// What expectation–maximisation estimates from the stored data (see [`Matcher::estimate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Estimated {
    /// m probabilities.
    pub m: MProbabilities,
    /// u probabilities among compared (blocked) pairs; for a name's exact agreement the
    /// scorer keeps using term frequencies.
    pub u: UProbabilities,
    /// λ: the probability that two stored persons drawn at random are one person.
    pub lambda: f64,
    /// λ × (persons − 1): how many other stored persons one person is expected to be, the
    /// numerator of the population prior (`MatchConfig::repeat_rate`).
    pub repeat_rate: f64,
    /// Candidate pairs the estimate rests on (both passes).
    pub pairs: usize,
}

impl Estimated {
    /// The configuration with the estimated m, u and repeat rate.
    pub fn apply(&self, config: &MatchConfig) -> MatchConfig {
        MatchConfig { m: self.m.clone(), u: self.u.clone(), repeat_rate: self.repeat_rate, ..config.clone() }
    }
}

impl Matcher {
    /// Re-estimates the m probabilities (see [`Matcher::estimate`]; this keeps its m only).
    pub fn estimate_m(&self, index: &Index, max_pairs: usize) -> MProbabilities {
        self.estimate(index, max_pairs).m
    }

    /// Estimates λ, m and u by expectation–maximisation on pairs drawn from the index's blocks,
    /// as Splink does: pairs sharing a national ID train the name fields, pairs sharing first +
    /// family name keys every other field (a field is never trained on pairs blocked on it). At
    /// most `max_pairs` pairs per pass; fields without pairs keep their configured m and u.
    ///
    /// λ comes from the first + family pass: the share of matches among that pass's pairs,
    /// times the number of such pairs in the whole index, over every pair of stored persons,
    /// over the share of true matches the key finds (its recall, from the estimated m of
    /// first and family name agreeing by skeleton). It is per pair of persons, so it shrinks
    /// as the population grows; `repeat_rate` (λ × persons) is the constant the prior uses.
    pub fn estimate(&self, index: &Index, max_pairs: usize) -> Estimated {
        let cfg = &self.config;
        let (mut m, mut u) = (cfg.m.clone(), cfg.u.clone());
        let mut used = 0;
        let mut pass = |kind: KeyKind, fields: &[ModelField], m: &mut MProbabilities, u: &mut UProbabilities| {
            let pairs = sample_pairs(index, kind, max_pairs);
            if pairs.len() < 50 {
                return None;
            }
            used += pairs.len();
            let vecs: Vec<[Option<u8>; 8]> =
                pairs.par_iter().map(|&(s, t)| score::levels(cfg, &index.view(s), &index.view(t))).collect();
            Some(em(&vecs, fields, m, u))
        };
        pass(KeyKind::NationalId, &[ModelField::First, ModelField::Family], &mut m, &mut u);
        let lambda_block = pass(
            KeyKind::FirstFamily,
            &[
                ModelField::Father,
                ModelField::Grandfather,
                ModelField::NationalId,
                ModelField::Dob,
                ModelField::Phone,
                ModelField::Sex,
            ],
            &mut m,
            &mut u,
        );
        let persons = index.recs.iter().enumerate().filter(|&(s, r)| r.alive && r.primary == s as u32).count() as f64;
        let all_pairs = persons * (persons - 1.0) / 2.0;
        let recall = ((m.first_name[0] + m.first_name[1]) * (m.family_name[0] + m.family_name[1])).clamp(0.05, 1.0);
        let (lambda, repeat_rate) = match lambda_block {
            Some(lb) if all_pairs >= 1.0 => {
                let lambda = (lb * block_pairs(index, KeyKind::FirstFamily) / all_pairs / recall).clamp(1e-12, 0.5);
                (lambda, (lambda * (persons - 1.0)).clamp(0.05, 50.0))
            }
            _ => (cfg.repeat_rate / persons.max(1.0), cfg.repeat_rate),
        };
        Estimated { m, u, lambda, repeat_rate, pairs: used }
    }
}

/// Pairs of stored persons sharing a key of one kind, over the whole index.
fn block_pairs(index: &Index, kind: KeyKind) -> f64 {
    let mut seen: HashSet<u64> = HashSet::new();
    let mut ks = [(KeyKind::Family, 0u64); 10];
    let mut total = 0.0;
    for r in index.recs.iter().filter(|r| r.alive) {
        let k = index.rec_keys(r, &mut ks);
        for &(kd, h) in &ks[..k] {
            if kd == kind
                && seen.insert(h)
                && let Some(p) = index.blocks.get(&h)
            {
                let n = p.slots().filter(|&s| index.recs[s as usize].alive).count() as f64;
                total += n * (n - 1.0) / 2.0;
            }
        }
    }
    total
}

/// Pairs of alive slots sharing a key of one kind, in slot order, at most `max`.
pub(super) fn sample_pairs(index: &Index, kind: KeyKind, max: usize) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut seen: HashSet<u64> = HashSet::new();
    let mut ks = [(KeyKind::Family, 0u64); 10];
    for r in index.recs.iter().filter(|r| r.alive) {
        let k = index.rec_keys(r, &mut ks);
        for &(kd, h) in &ks[..k] {
            if kd != kind || !seen.insert(h) {
                continue;
            }
            let Some(p) = index.blocks.get(&h) else {
                continue;
            };
            let list: Vec<u32> = p.slots().filter(|&s| index.recs[s as usize].alive).take(60).collect();
            for x in 0..list.len() {
                for y in x + 1..list.len() {
                    out.push((list[x], list[y]));
                    if out.len() >= max {
                        return out;
                    }
                }
            }
        }
    }
    out
}

/// EM over comparison vectors for the given fields; writes the estimated m and u into `m` and
/// `u0` and returns λ, the share of matches among the pairs.
pub(super) fn em(
    vecs: &[[Option<u8>; 8]],
    fields: &[ModelField],
    m: &mut MProbabilities,
    u0: &mut UProbabilities,
) -> f64 {
    let idx = |f: ModelField| ModelField::ALL.iter().position(|&g| g == f).unwrap_or(0);
    let mut mm: Vec<Vec<f64>> = fields.iter().map(|&f| m.field(f).to_vec()).collect();
    let mut uu: Vec<Vec<f64>> = fields.iter().map(|&f| u0.field(f).to_vec()).collect();
    let mut lambda = 0.1f64;
    let mut p = vec![0.0f64; vecs.len()];
    for _ in 0..30 {
        for (k, v) in vecs.iter().enumerate() {
            let (mut lm, mut lu) = (0.0f64, 0.0f64);
            for (fi, &f) in fields.iter().enumerate() {
                if let Some(l) = v[idx(f)] {
                    lm += mm[fi][l as usize].max(1e-9).ln();
                    lu += uu[fi][l as usize].max(1e-9).ln();
                }
            }
            let a = lambda.ln() + lm;
            let b = (1.0 - lambda).ln() + lu;
            let mx = a.max(b);
            p[k] = (a - mx).exp() / ((a - mx).exp() + (b - mx).exp());
        }
        lambda = (p.iter().sum::<f64>() / p.len() as f64).clamp(1e-6, 1.0 - 1e-6);
        for (fi, &f) in fields.iter().enumerate() {
            let levels = mm[fi].len();
            let mut sm = vec![1e-3; levels];
            let mut su = vec![1e-3; levels];
            for (k, v) in vecs.iter().enumerate() {
                if let Some(l) = v[idx(f)] {
                    sm[l as usize] += p[k];
                    su[l as usize] += 1.0 - p[k];
                }
            }
            let (tm, tu) = (sm.iter().sum::<f64>(), su.iter().sum::<f64>());
            for l in 0..levels {
                mm[fi][l] = sm[l] / tm;
                uu[fi][l] = su[l] / tu;
            }
        }
    }
    for (fi, &f) in fields.iter().enumerate() {
        let dst = m.field_mut(f);
        // Keep the configured m where the data had no pair with the field.
        if vecs.iter().any(|v| v[idx(f)].is_some()) {
            dst.copy_from_slice(&mm[fi]);
            u0.field_mut(f).copy_from_slice(&uu[fi]);
        }
    }
    lambda
}
