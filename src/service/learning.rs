//! Reviewers' decisions as labelled pairs for the matching model (`bawaba model estimate`):
//! each reviewed `possible_same_household` flag's record is compared again with the household
//! it was flagged against (the engine's matcher pairs their members), and each member pair is
//! labelled as the reviewer decided: confirmed, one person; dismissed, not.
//! `Matcher::learn` blends them into the m and u that EM estimated.

use bawaba_matching::{Index, Matcher, PreparedPerson, prepare};

use super::error::ServiceError;
use super::vault::Vault;
use crate::store::DbConn;
use crate::store::desk as store;
use crate::store::queries;

/// The most decisions read.
pub const DECISIONS: i64 = 20_000;

/// How many pseudo-pairs of the estimated model the decisions are blended with.
pub const STRENGTH: f64 = 200.0;

/// Person pairs labelled by a reviewer: `true`, one person.
pub type Labelled = Vec<(PreparedPerson, PreparedPerson, bool)>;

/// Labelled person pairs from reviewers' decisions, and how many decisions gave them.
pub fn labelled_pairs(
    conn: &mut DbConn,
    vault: &Vault,
    matcher: &Matcher,
    index: &Index,
) -> Result<(Labelled, usize), ServiceError> {
    let mut out = Vec::new();
    let mut used = 0;
    for (record_id, household_id, status) in store::household_reviews(conn, DECISIONS)? {
        let prepared = |rows: Vec<crate::store::models::PersonRow>| -> Result<Vec<PreparedPerson>, ServiceError> {
            let mut v = Vec::with_capacity(rows.len());
            for p in rows {
                let row = vault.open_person(p)?;
                v.push(prepare(&super::index::person_input(&super::index::member_of_row(&row))));
            }
            Ok(v)
        };
        let ours = prepared(queries::persons_of_record(conn, &record_id)?)?;
        let (rest, _) = queries::members_of_household(conn, &household_id, None, 200)?;
        let theirs = prepared(rest.into_iter().map(|(p, _)| p).filter(|p| p.record_id != record_id).collect())?;
        if ours.is_empty() || theirs.is_empty() {
            continue;
        }
        let Some(found) = matcher.compare_households(index, &ours, &theirs) else { continue };
        let same = status == "confirmed";
        let before = out.len();
        for pair in &found.pairs {
            if let (Some(a), Some(b)) = (ours.get(pair.ours), theirs.get(pair.theirs as usize)) {
                out.push((a.clone(), b.clone(), same));
            }
        }
        used += usize::from(out.len() > before);
    }
    Ok((out, used))
}
