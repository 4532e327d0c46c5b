//! Review batches: what one review (or one decision on many flags) did, kept by id only so it
//! can be undone (`desk::undo`), and the engine's side of reviews once committed. Also the
//! queue's priority order (`GET /v1/flags?sort=priority`).

use std::collections::HashMap;

use bawaba_wire::desk::FlagChange;
use bawaba_wire::records::StoredFlag;
use bawaba_wire::review::Verdict;
use serde::{Deserialize, Serialize};

use super::auth::Principal;
use super::error::ServiceError;
use super::ids::{new_id, now};
use super::index::Engine;
use crate::store::DbConn;
use crate::store::desk::{self as store, ReviewBatchRow};

/// What a merge did, to undo it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MergeDone {
    pub from: String,
    pub into: String,
    /// The records `from` held when it was merged.
    pub records: Vec<String>,
    /// Households that had been merged into `from` and were redirected to `into`.
    pub redirected: Vec<String>,
}

/// What a review did to one flag.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Action {
    pub flag_id: String,
    pub review_id: String,
    pub kind: String,
    pub status_before: String,
    pub status_after: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge: Option<MergeDone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_apart: Option<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_flags: Vec<String>,
}

impl Action {
    /// The flag's change as the API shows it.
    pub fn change(&self) -> FlagChange {
        FlagChange {
            flag_id: self.flag_id.clone(),
            kind: self.kind.clone(),
            status_before: self.status_before.clone(),
            status_after: self.status_after.clone(),
            merged_from: self.merge.as_ref().map(|m| m.from.clone()),
            merged_into: self.merge.as_ref().map(|m| m.into.clone()),
            kept_apart: self.kept_apart.clone().map(|(a, b)| vec![a, b]).unwrap_or_default(),
            new_flags: self.new_flags.clone(),
        }
    }
}

/// A batch's body as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BatchBody {
    pub actions: Vec<Action>,
}

/// Stores a batch of actions (inside the caller's transaction).
pub fn store_batch(
    c: &mut DbConn,
    who: &Principal,
    verdict: Verdict,
    actions: &[Action],
) -> Result<String, ServiceError> {
    let id = new_id();
    let body = serde_json::to_string(&BatchBody { actions: actions.to_vec() })
        .map_err(|e| ServiceError::Internal(format!("review batch: {e}")))?;
    store::insert_batch(
        c,
        &ReviewBatchRow {
            id: id.clone(),
            agency_id: who.agency_id.clone(),
            key_id: who.key_id.clone(),
            role: who.role.as_str().to_owned(),
            decision: verdict_str(verdict).to_owned(),
            body,
            created_at: now(),
            undone_at: None,
        },
    )?;
    Ok(id)
}

pub fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Confirm => "confirm",
        Verdict::Dismiss => "dismiss",
    }
}

/// The engine's side of reviews once committed: merges and pairs kept apart.
pub fn follow(engine: &Engine, actions: &[Action]) {
    let mut state = engine.state.write();
    for a in actions {
        if let Some(m) = &a.merge {
            state.merge(&m.from, &m.into);
        }
        if let Some((x, y)) = &a.kept_apart
            && let (Some(x), Some(y)) = (state.seq(x), state.seq(y))
        {
            state.dismiss(x, y);
        }
    }
}

/// The queue's priority of a flag: how much its decision matters. An uncertain score (near
/// 0.5) counts most, then the amount of aid at stake (its record's and the matched record's,
/// on a log scale) and then its age (up to 30 days).
pub fn priority(f: &StoredFlag, amounts: &HashMap<String, f64>, today: chrono::NaiveDate) -> f64 {
    let uncertain = 1.0 - (2.0 * f.score - 1.0).abs();
    let amount = amounts.get(&f.record_id).copied().unwrap_or(0.0)
        + f.matched_record_id.as_ref().and_then(|r| amounts.get(r)).copied().unwrap_or(0.0);
    let money = ((1.0 + amount.max(0.0)).log10() / 4.0).min(1.0);
    let age = f
        .created_at
        .get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(|d| ((today - d).num_days().max(0) as f64 / 30.0).min(1.0))
        .unwrap_or(0.0);
    2.0 * uncertain + money + age
}

/// Sorts flags by priority, highest first (then in the order given), reading their records'
/// amounts.
pub fn sort_by_priority(conn: &mut DbConn, flags: Vec<StoredFlag>) -> Result<Vec<StoredFlag>, ServiceError> {
    let mut ids: Vec<String> = flags.iter().map(|f| f.record_id.clone()).collect();
    ids.extend(flags.iter().filter_map(|f| f.matched_record_id.clone()));
    ids.sort_unstable();
    ids.dedup();
    let amounts: HashMap<String, f64> =
        store::amounts(conn, &ids)?.into_iter().filter_map(|(id, a)| a.map(|a| (id, a))).collect();
    let today = chrono::Utc::now().date_naive();
    let mut keyed: Vec<(f64, usize, StoredFlag)> =
        flags.into_iter().enumerate().map(|(i, f)| (priority(&f, &amounts, today), i, f)).collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(keyed.into_iter().map(|(_, _, f)| f).collect())
}
