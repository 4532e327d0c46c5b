//! Issue 9: λ, m and u estimated by EM on the stored data, against a synthetic caseload whose
//! truth is known. Each record is indexed as a household of its own, as a gateway that has
//! linked nothing yet would hold them.

use bawaba_matching::*;
use bawaba_synth::{Config, generate};
use std::collections::HashMap;

mod common;
use common::prepared;

#[test]
fn lambda_m_and_u_come_from_the_data() {
    let c = generate(&Config { households: 3_000, seed: 5, ..Config::default() });
    let mut persons = Vec::new();
    let mut copies: HashMap<usize, f64> = HashMap::new();
    for (r, rec) in c.records.iter().enumerate() {
        for (k, p) in prepared(rec).into_iter().enumerate() {
            persons.push(((r * 64 + k) as PersonId, r as HouseholdId, p));
        }
        for m in &rec.members {
            *copies.entry(m.true_person).or_default() += 1.0;
        }
    }
    let n = persons.len() as f64;
    // The truth: how many other stored persons one stored person is, on average.
    let true_repeat: f64 = copies.values().map(|k| k * (k - 1.0)).sum::<f64>() / n;
    let ix = Index::build(persons);
    let est = Matcher::default().estimate(&ix, 50_000);
    eprintln!(
        "λ {:.3e}, repeat rate {:.2} (true {:.2}), {} pairs; m id {:?}; u id {:?}; u dob {:?}",
        est.lambda, est.repeat_rate, true_repeat, est.pairs, est.m.national_id, est.u.national_id, est.u.date_of_birth
    );
    assert!(est.pairs > 1_000);
    assert!(
        est.repeat_rate > true_repeat / 4.0 && est.repeat_rate < true_repeat * 4.0,
        "repeat rate {} against {true_repeat}",
        est.repeat_rate
    );
    assert!((est.lambda * (n - 1.0) - est.repeat_rate).abs() < 0.2 * est.repeat_rate + 0.06);
    // An ID agreeing is likely among matches and rare among the rest; a different ID the
    // reverse.
    assert!(est.m.national_id[0] > 0.5 && est.u.national_id[0] < 0.05, "{est:?}");
    assert!(est.u.national_id[2] > est.m.national_id[2]);
    assert!(est.u.date_of_birth[0] < est.m.date_of_birth[0]);
    for arr in [&est.u.national_id[..], &est.u.date_of_birth[..], &est.u.phone[..], &est.u.sex[..]] {
        assert!((arr.iter().sum::<f64>() - 1.0).abs() < 0.01, "{arr:?}");
    }
    // And it makes a configuration the gateway can serve with.
    let cfg = est.apply(&MatchConfig::default());
    assert_eq!(cfg.repeat_rate, est.repeat_rate);
    assert_eq!(cfg.u, est.u);
}
