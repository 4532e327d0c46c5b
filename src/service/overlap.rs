//! Which stored aid a new record overlaps, and how that is told in flags that grow linearly.
//!
//! A household's records are compared with a new one by the overlap policy (types that
//! conflict) and their periods (dates inclusive). The overlapping records are grouped by the
//! agency that posted them: one flag per agency (and kind) names the most recent of them and
//! counts the rest, so a family posted 10,000 times raises one flag per record, not 50 million.
//! Pure: used by intake, by check, by the merge a reviewer confirms and by offline dedup.

use std::sync::Arc;

use super::domain::{AidType, shared_period};
use super::policy::OverlapPolicy;

/// One stored record as overlap finding needs it.
#[derive(Debug, Clone)]
pub struct Aid {
    pub record_id: Arc<str>,
    /// The agency that posted it (a slot the caller keeps; compared for equality only).
    pub agency: u32,
    pub aid_type: AidType,
    /// `YYYY-MM-DD`, inclusive.
    pub start: DateKey,
    pub end: DateKey,
    /// When it was stored, in order: the larger, the more recent.
    pub order: u64,
}

/// A calendar date as a comparable integer, `YYYYMMDD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateKey(u32);

impl DateKey {
    /// Reads `YYYY-MM-DD` (validated upstream); anything else sorts first.
    pub fn parse(s: &str) -> DateKey {
        let digits: String = s.chars().filter(char::is_ascii_digit).take(8).collect();
        DateKey(digits.parse().unwrap_or(0))
    }

    /// Back to `YYYY-MM-DD`.
    pub fn text(self) -> String {
        let d = self.0;
        format!("{:04}-{:02}-{:02}", d / 10_000, d / 100 % 100, d % 100)
    }
}

/// The new record's side of the comparison.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub agency: u32,
    pub aid_type: AidType,
    pub start: &'a str,
    pub end: &'a str,
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
    pub from: String,
    pub to: String,
    /// How many of that agency's records it overlaps (the one named included).
    pub count: u32,
}

/// The overlaps of `new` with `stored`, one per agency, in the order the agencies were first
/// met among the overlapping records (oldest first), so answers are stable.
pub fn find(policy: &OverlapPolicy, stored: &[Aid], new: Incoming<'_>) -> Vec<Found> {
    let (start, end) = (DateKey::parse(new.start), DateKey::parse(new.end));
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
            let (from, to) = shared_period((&a.start.text(), &a.end.text()), (new.start, new.end));
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

    fn aid(id: &str, agency: u32, t: AidType, start: &str, end: &str, order: u64) -> Aid {
        Aid { record_id: id.into(), agency, aid_type: t, start: DateKey::parse(start), end: DateKey::parse(end), order }
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
        let new = Incoming { agency: 1, aid_type: AidType::Cash, start: "2026-01-10", end: "2026-02-10" };
        let found = find(&OverlapPolicy::default(), &stored, new);
        assert_eq!(found.len(), 2);
        assert_eq!(&*found[0].record_id, "a2");
        assert!(found[0].same_agency);
        assert_eq!(found[0].count, 2);
        assert_eq!((found[0].from.as_str(), found[0].to.as_str()), ("2026-01-15", "2026-01-20"));
        assert_eq!(&*found[1].record_id, "b1");
        assert!(!found[1].same_agency);
        assert_eq!((found[1].from.as_str(), found[1].to.as_str()), ("2026-02-01", "2026-02-10"));
    }

    #[test]
    fn periods_touch_inclusively_and_the_policy_decides_types() {
        let stored = vec![aid("v", 2, AidType::Voucher, "2026-03-31", "2026-03-31", 1)];
        let new = Incoming { agency: 1, aid_type: AidType::Cash, start: "2026-01-01", end: "2026-03-31" };
        assert!(find(&OverlapPolicy::default(), &stored, new).is_empty());
        let policy: OverlapPolicy = "cash=voucher".parse().expect("a policy");
        let found = find(&policy, &stored, new);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].from.as_str(), found[0].to.as_str()), ("2026-03-31", "2026-03-31"));
    }

    #[test]
    fn date_keys_round_trip() {
        for d in ["1990-01-01", "2026-12-31", "2100-02-28"] {
            assert_eq!(DateKey::parse(d).text(), d);
        }
        assert!(DateKey::parse("2026-01-02") > DateKey::parse("2026-01-01"));
    }
}
