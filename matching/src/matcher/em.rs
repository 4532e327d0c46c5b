//! Expectation–maximisation of the model's m probabilities on pairs drawn from the index.

use crate::MProbabilities;
use crate::config::ModelField;
use crate::index::{Index, KeyKind};
use crate::score;
use std::collections::HashSet;

use super::*;

impl Matcher {
    /// Re-estimates the m probabilities by expectation–maximisation on pairs drawn from the
    /// index's blocks, as Splink does: pairs sharing first + family name keys train every other
    /// field; pairs sharing a national ID train the name fields. At most `max_pairs` pairs per
    /// pass. Fields without enough pairs keep their configured m.
    pub fn estimate_m(&self, index: &Index, max_pairs: usize) -> MProbabilities {
        let cfg = &self.config;
        let mut m = cfg.m.clone();
        let pass = |kind: KeyKind, fields: &[ModelField], m: &mut MProbabilities| {
            let pairs = sample_pairs(index, kind, max_pairs);
            if pairs.len() < 50 {
                return;
            }
            let vecs: Vec<[Option<u8>; 8]> =
                pairs.iter().map(|&(s, t)| score::levels(cfg, &index.view(s), &index.view(t))).collect();
            em(&vecs, fields, m, &cfg.u);
        };
        pass(
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
        );
        pass(KeyKind::NationalId, &[ModelField::First, ModelField::Family], &mut m);
        m
    }
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
            let list: Vec<u32> =
                p.as_slice().iter().copied().filter(|&s| index.recs[s as usize].alive).take(60).collect();
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

/// EM over comparison vectors for the given fields; writes the estimated m into `m`.
pub(super) fn em(vecs: &[[Option<u8>; 8]], fields: &[ModelField], m: &mut MProbabilities, u0: &MProbabilities) {
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
        }
    }
}
