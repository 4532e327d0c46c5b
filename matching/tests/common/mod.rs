//! What the quality test and the quality run (`examples/quality.rs`) share: the synthetic
//! records as the matcher's inputs, and pairwise precision and recall.

#![allow(dead_code, reason = "each includer uses its own part")]

use bawaba_matching::{PersonInput, PreparedPerson, Role, Sex, prepare};
use bawaba_synth::Record;

/// A number from the environment, or `d`.
pub fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

/// A record's members, prepared as intake prepares them.
pub fn prepared(r: &Record) -> Vec<PreparedPerson> {
    r.members
        .iter()
        .map(|m| {
            prepare(&PersonInput {
                role: match m.role {
                    "head" => Role::Head,
                    "spouse" => Role::Spouse,
                    "child" => Role::Child,
                    _ => Role::Other,
                },
                name: &m.name,
                national_id: m.national_id.as_deref(),
                date_of_birth: m.date_of_birth.as_deref(),
                sex: match m.sex.as_deref() {
                    Some("M") => Some(Sex::M),
                    Some("F") => Some(Sex::F),
                    _ => None,
                },
                phone: m.phone.as_deref(),
            })
        })
        .collect()
}

/// Pairwise counts: true positives, false positives, false negatives.
#[derive(Debug, Default, Clone, Copy)]
pub struct Prf {
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
}

impl Prf {
    /// Precision.
    pub fn p(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    /// Recall.
    pub fn r(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
    /// F1.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.p(), self.r());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
    /// `P … R … F1 … (tp, fp, fn)`.
    pub fn line(&self) -> String {
        format!(
            "P {:.4}  R {:.4}  F1 {:.4}   (tp {}, fp {}, fn {})",
            self.p(),
            self.r(),
            self.f1(),
            self.tp,
            self.fp,
            self.fn_
        )
    }
    /// Prints the line under a label.
    pub fn show(&self, what: &str) {
        println!("{what:<34} {}", self.line());
    }
}
