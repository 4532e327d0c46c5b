//! What the matcher and the overlap policy say of a record before anything is written: the
//! household it joins, the households it may be, and the stored aid it overlaps.

use bawaba_matching::{Band as MBand, HouseholdMatch};

use super::{Item, MATCH_LIMIT, POSSIBLE_LIMIT};
use crate::service::domain::*;
use crate::service::evidence::{evidence, round3};
use crate::service::index::{Engine, EngineState};
use crate::service::policy::OverlapPolicy;
use crate::store::{DbConn, queries};

/// What the matcher and the overlap policy say of a record, before anything is written.
pub struct Plan {
    /// The household the record joins, or `None` for a new one.
    pub target: Option<(String, u64)>,
    /// Flags, without ids.
    pub flags: Vec<FlagOut>,
    /// Agency code → id for the agencies named in `flags`.
    pub agency_ids: std::collections::HashMap<String, String>,
}

/// A household the record was matched with, as read from the index.
struct Considered {
    household_id: String,
    /// Whether the record joins it.
    joined: bool,
    band: Band,
    score: f64,
    evidence: Vec<EvidenceItem>,
}

/// Matches a record against the index and finds its overlaps. Used by intake (on the writer,
/// inside its transaction) and by check (on a reader connection). The engine's lock is held
/// only while the index is read, never across SQL.
pub fn plan(
    c: &mut DbConn,
    engine: &Engine,
    policy: &OverlapPolicy,
    agency_id: &str,
    item: &Item,
    prematched: Option<Vec<HouseholdMatch>>,
) -> Result<Plan, diesel::result::Error> {
    let record = &item.record;
    let (target, considered) = {
        let state = engine.state.read();
        consider(&state, engine, item, prematched)
    };
    let types: Vec<&str> = policy.conflicting(record.aid_type).into_iter().map(AidType::as_str).collect();
    let mut flags = Vec::new();
    let mut agency_ids = std::collections::HashMap::new();
    for m in considered {
        if !m.joined {
            flags.push(FlagOut {
                flag_id: None,
                kind: FlagKind::PossibleSameHousehold,
                band: m.band,
                score: m.score,
                matched_household_id: m.household_id.clone(),
                matched_record_id: None,
                matched_agency: None,
                overlap: None,
                evidence: m.evidence.clone(),
            });
        }
        let overlapping = queries::overlapping_records(
            c,
            std::slice::from_ref(&m.household_id),
            &types,
            &record.period_start,
            &record.period_end,
        )?;
        for r in overlapping {
            let code = engine.agency_code(c, &r.agency_id)?;
            agency_ids.insert(code.clone(), r.agency_id.clone());
            let (from, to) =
                shared_period((&r.period_start, &r.period_end), (&record.period_start, &record.period_end));
            flags.push(FlagOut {
                flag_id: None,
                kind: if r.agency_id == agency_id { FlagKind::DuplicateRecord } else { FlagKind::OverlappingAid },
                band: m.band,
                score: m.score,
                matched_household_id: m.household_id.clone(),
                matched_record_id: Some(r.id),
                matched_agency: Some(code),
                overlap: Some(Overlap {
                    aid_type: AidType::parse(&r.assistance_type).unwrap_or(AidType::Other),
                    from,
                    to,
                }),
                evidence: m.evidence.clone(),
            });
        }
    }
    Ok(Plan { target, flags, agency_ids })
}

/// The households a record is matched with (the one it joins first), read from the index.
fn consider(
    state: &EngineState,
    engine: &Engine,
    item: &Item,
    prematched: Option<Vec<HouseholdMatch>>,
) -> (Option<(String, u64)>, Vec<Considered>) {
    let matches = prematched
        .unwrap_or_else(|| engine.matcher.match_household(&state.index, &item.prepared, &|_| false, MATCH_LIMIT));
    let mut matches = matches.into_iter().filter(|m| state.household_id(m.household).is_some());
    let best = matches.next();
    let target = best.as_ref().filter(|m| matches!(m.band, MBand::Certain | MBand::Probable)).map(|m| m.household);
    let mut chosen: Vec<(HouseholdMatch, bool)> = Vec::new();
    if let Some(b) = best {
        let joined = Some(b.household) == target;
        chosen.push((b, joined));
    }
    let mut possible = usize::from(target.is_none() && !chosen.is_empty());
    for m in matches {
        if target.is_some_and(|t| state.is_dismissed(t, m.household)) {
            continue;
        }
        if !matches!(m.band, MBand::Certain | MBand::Probable) {
            if possible == POSSIBLE_LIMIT {
                continue;
            }
            possible += 1;
        }
        chosen.push((m, false));
    }
    let considered = chosen
        .into_iter()
        .filter_map(|(m, joined)| {
            Some(Considered {
                household_id: state.household_id(m.household)?.to_owned(),
                joined,
                band: band_of(m.band),
                score: round3(m.score),
                evidence: evidence(state, &m, |i| format!("members[{i}]")),
            })
        })
        .collect();
    let target = target.and_then(|seq| state.household_id(seq).map(|id| (id.to_owned(), seq)));
    (target, considered)
}
