//! What the review desk labelled, as pairs for the matching model (`bawaba model estimate`):
//! each reviewed `possible_same_household` flag's record and each answered spot check's record
//! is compared again with the household it was flagged against or linked to (the engine's
//! matcher pairs their members), and each member pair is labelled as the person decided:
//! confirmed or `same`, one person; dismissed or `different`, not.
//!
//! The two samples are drawn differently: reviewers decide (nearly) every flag of the queue, the
//! hard `possible` cases, while spot checks draw a few of the many automatic links. Each pair is
//! weighed by how many cases its sample stands for (flags raised ÷ decided, automatic links ÷
//! spot checks answered), so the few easy links checked speak for all of them and the queue's
//! hard cases do not speak for every match. `Matcher::learn_weighted` then learns m from them,
//! blended by counts with what EM estimated, and leaves u to EM: labelled non-matches are near
//! misses, not the run of compared pairs u describes. (Measured on the synthetic caseload by
//! `matching/examples/learn.rs`: learning from the queue alone cost recall; weighed, it does
//! not.)

use bawaba_matching::{Index, LabelledPair, Matcher, PreparedPerson, prepare};

use super::error::ServiceError;
use super::vault::Vault;
use crate::store::DbConn;
use crate::store::desk as store;
use crate::store::queries;

/// The most decisions, and the most spot checks, read.
pub const DECISIONS: i64 = 20_000;

/// How many pseudo-pairs of the estimated model the labelled pairs are blended with.
pub const STRENGTH: f64 = 200.0;

/// Whether labelled pairs teach u as well as m (no: see the module).
pub const LEARN_U: bool = false;

/// Labelled person pairs and how many decisions and spot checks gave them.
pub struct Labelled {
    pub pairs: Vec<LabelledPair>,
    pub decisions: usize,
    pub spot_checks: usize,
}

/// Labelled person pairs from reviewers' decisions and answered spot checks, weighed by sample.
pub fn labelled_pairs(
    conn: &mut DbConn,
    vault: &Vault,
    matcher: &Matcher,
    index: &Index,
) -> Result<Labelled, ServiceError> {
    let reviews = store::household_reviews(conn, DECISIONS)?;
    let answers = store::answered_spot_checks(conn, DECISIONS)?;
    let weight = |of: i64, drawn: usize| if drawn == 0 { 1.0 } else { (of as f64 / drawn as f64).max(1.0) };
    let flag_weight = weight(store::household_flags_raised(conn)?, reviews.len());
    let link_weight = if answers.is_empty() { 1.0 } else { weight(store::automatic_links(conn)?, answers.len()) };
    let mut out = Labelled { pairs: Vec::new(), decisions: 0, spot_checks: 0 };
    for (record_id, household_id, status) in reviews {
        let same = status == "confirmed";
        if label(conn, vault, matcher, index, (&record_id, &household_id), same, flag_weight, &mut out.pairs)? {
            out.decisions += 1;
        }
    }
    for (record_id, household_id, answer) in answers {
        let same = answer == "same";
        if label(conn, vault, matcher, index, (&record_id, &household_id), same, link_weight, &mut out.pairs)? {
            out.spot_checks += 1;
        }
    }
    Ok(out)
}

/// Pairs a record's members with the rest of a household's, labelled `same` and weighed
/// `weight`, into `out`; whether any pair was made.
#[expect(clippy::too_many_arguments, reason = "the store, the engine and one labelled case, borrowed apart")]
fn label(
    conn: &mut DbConn,
    vault: &Vault,
    matcher: &Matcher,
    index: &Index,
    (record_id, household_id): (&str, &str),
    same: bool,
    weight: f64,
    out: &mut Vec<LabelledPair>,
) -> Result<bool, ServiceError> {
    let prepared = |rows: Vec<crate::store::models::PersonRow>| -> Result<Vec<PreparedPerson>, ServiceError> {
        let mut v = Vec::with_capacity(rows.len());
        for p in rows {
            let row = vault.open_person(p)?;
            v.push(prepare(&super::index::person_input(&super::index::member_of_row(&row))));
        }
        Ok(v)
    };
    let ours = prepared(queries::persons_of_record(conn, record_id)?)?;
    let (rest, _) = queries::members_of_household(conn, household_id, None, 200)?;
    let theirs = prepared(rest.into_iter().map(|(p, _)| p).filter(|p| p.record_id != record_id).collect())?;
    if ours.is_empty() || theirs.is_empty() {
        return Ok(false);
    }
    let Some(found) = matcher.compare_households(index, &ours, &theirs) else { return Ok(false) };
    let before = out.len();
    for pair in &found.pairs {
        if let (Some(a), Some(b)) = (ours.get(pair.ours), theirs.get(pair.theirs as usize)) {
            out.push(LabelledPair { ours: a.clone(), theirs: b.clone(), same, weight });
        }
    }
    Ok(out.len() > before)
}
