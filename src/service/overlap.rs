//! Which stored aid a new record overlaps, and how that is told in flags that grow linearly.
//!
//! A household's records are compared with a new one by the overlap policy (types that
//! conflict) and their periods (dates inclusive). The overlapping records are grouped by the
//! agency that posted them: one flag per agency (and kind) names the most recent of them and
//! counts the rest, so a family posted 10,000 times raises one flag per record, not 50 million.
//! Pure: used by intake, by check, by the merge a reviewer confirms and by offline dedup.

use std::sync::Arc;

use chrono::NaiveDate;

use super::domain::{AidType, shared_period};
use super::policy::OverlapPolicy;

/// One stored record as overlap finding needs it.
#[derive(Debug, Clone)]
pub struct Aid {
    pub record_id: Arc<str>,
    /// The agency that posted it (a slot the caller keeps; compared for equality only).
    pub agency: u32,
    pub aid_type: AidType,
    /// Inclusive.
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// When it was stored, in order: the larger, the more recent.
    pub order: u64,
}

/// The new record's side of the comparison.
#[derive(Debug, Clone, Copy)]
pub struct Incoming {
    pub agency: u32,
    pub aid_type: AidType,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The overlap with one agency's records in one household.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The agency whose records these are.
    pub agency: u32,
    /// The same agency as the incoming record: a duplicate record, not overlapping aid.
    pub same_agency: bool,
    /// The most recent overlapping record.
    pub record_id: Arc<str>,
    pub aid_type: AidType,
    /// The days the incoming record shares with that record.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// How many of that agency's records it overlaps (the one named included).
    pub count: u32,
}

/// The overlaps of `new` with `stored`, one per agency, in the order the agencies were first
/// met among the overlapping records (oldest first), so answers are stable.
pub fn find(policy: &OverlapPolicy, stored: &[Aid], new: Incoming) -> Vec<Found> {
    let (start, end) = (new.start, new.end);
    let mut by_agency: Vec<(u32, &Aid, u32)> = Vec::new();
    for a in stored {
        if !policy.conflicts(new.aid_type, a.aid_type) || a.start > end || a.end < start {
            continue;
        }
        match by_agency.iter_mut().find(|(agency, _, _)| *agency == a.agency) {
            Some((_, latest, count)) => {
                *count += 1;
                if a.order > latest.order {
                    *latest = a;
                }
            }
            None => by_agency.push((a.agency, a, 1)),
        }
    }
    by_agency
        .into_iter()
        .map(|(agency, a, count)| {
            let (from, to) = shared_period((a.start, a.end), (new.start, new.end));
            Found {
                agency,
                same_agency: agency == new.agency,
                record_id: a.record_id.clone(),
                aid_type: a.aid_type,
                from,
                to,
                count,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::domain::stored_date as d;

    fn aid(id: &str, agency: u32, t: AidType, start: &str, end: &str, order: u64) -> Aid {
        Aid { record_id: id.into(), agency, aid_type: t, start: d(start), end: d(end), order }
    }

    fn days(f: &Found) -> (String, String) {
        (f.from.to_string(), f.to.to_string())
    }

    #[test]
    fn one_per_agency_naming_the_latest_and_counting_all() {
        let stored = vec![
            aid("a1", 1, AidType::Cash, "2026-01-01", "2026-03-31", 1),
            aid("b1", 2, AidType::Cash, "2026-02-01", "2026-02-28", 2),
            aid("a2", 1, AidType::Cash, "2026-01-15", "2026-01-20", 3),
            aid("a3", 1, AidType::Food, "2026-01-01", "2026-12-31", 4),
            aid("a4", 1, AidType::Cash, "2025-01-01", "2025-12-31", 5),
        ];
        let new = Incoming { agency: 1, aid_type: AidType::Cash, start: d("2026-01-10"), end: d("2026-02-10") };
        let found = find(&OverlapPolicy::default(), &stored, new);
        assert_eq!(found.len(), 2);
        assert_eq!(&*found[0].record_id, "a2");
        assert!(found[0].same_agency);
        assert_eq!(found[0].count, 2);
        assert_eq!(days(&found[0]), ("2026-01-15".into(), "2026-01-20".into()));
        assert_eq!(&*found[1].record_id, "b1");
        assert!(!found[1].same_agency);
        assert_eq!(days(&found[1]), ("2026-02-01".into(), "2026-02-10".into()));
    }

    #[test]
    fn periods_touch_inclusively_and_the_policy_decides_types() {
        let stored = vec![aid("v", 2, AidType::Voucher, "2026-03-31", "2026-03-31", 1)];
        let new = Incoming { agency: 1, aid_type: AidType::Cash, start: d("2026-01-01"), end: d("2026-03-31") };
        assert!(find(&OverlapPolicy::default(), &stored, new).is_empty());
        let policy: OverlapPolicy = "cash=voucher".parse().expect("a policy");
        let found = find(&policy, &stored, new);
        assert_eq!(found.len(), 1);
        assert_eq!(days(&found[0]), ("2026-03-31".into(), "2026-03-31".into()));
    }

    #[test]
    fn stored_dates_round_trip() {
        for s in ["1990-01-01", "2026-12-31", "2100-02-28"] {
            assert_eq!(d(s).to_string(), s);
        }
        assert!(d("2026-01-02") > d("2026-01-01"));
        assert!(d("not a date") < d("1990-01-01"));
    }
}
