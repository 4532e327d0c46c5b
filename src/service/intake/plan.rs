//! What the matcher and the overlap policy say of a record before anything is written: the
//! household it joins, the households it may be, and the stored aid it overlaps (one flag per
//! matched household, kind and agency, naming that agency's latest overlapping record and
//! counting the rest: flags grow with records, not with pairs of them).

use bawaba_matching::{Band as MBand, HouseholdMatch};

use super::{Item, MATCH_LIMIT, POSSIBLE_LIMIT};
use crate::service::domain::*;
use crate::service::evidence::{evidence, round3};
use crate::service::index::{Engine, EngineState};
use crate::service::overlap::{self, Found, Incoming};
use crate::service::policy::OverlapPolicy;

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
    /// The household's aid the record overlaps, one per agency.
    overlaps: Vec<(Option<String>, String, Found)>,
}

/// Matches a record against the index and finds its overlaps in the household aid the engine
/// keeps: no SQL, so intake (on the writer, inside its transaction) and check (on a reader)
/// read the engine once, under its lock, and nothing else.
pub fn plan(
    engine: &Engine,
    policy: &OverlapPolicy,
    agency_id: &str,
    item: &Item,
    prematched: Option<Vec<HouseholdMatch>>,
) -> Plan {
    plan_with(engine, policy, agency_id, item, prematched, true)
}

/// [`plan`] with flags that carry no evidence: for offline deduplication, whose output names
/// the other record and the score but not the field-by-field evidence (so none is built).
pub fn plan_without_evidence(
    engine: &Engine,
    policy: &OverlapPolicy,
    agency_id: &str,
    item: &Item,
    prematched: Option<Vec<HouseholdMatch>>,
) -> Plan {
    plan_with(engine, policy, agency_id, item, prematched, false)
}

fn plan_with(
    engine: &Engine,
    policy: &OverlapPolicy,
    agency_id: &str,
    item: &Item,
    prematched: Option<Vec<HouseholdMatch>>,
    with_evidence: bool,
) -> Plan {
    let (target, considered) = {
        let state = engine.state.read();
        consider(&state, engine, policy, agency_id, item, prematched, with_evidence)
    };
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
                matched_records: None,
                overlap: None,
                evidence: m.evidence.clone(),
            });
        }
        for (id, code, found) in m.overlaps {
            if let Some(id) = id {
                agency_ids.insert(code.clone(), id);
            }
            flags.push(FlagOut {
                flag_id: None,
                kind: if found.same_agency { FlagKind::DuplicateRecord } else { FlagKind::OverlappingAid },
                band: m.band,
                score: m.score,
                matched_household_id: m.household_id.clone(),
                matched_record_id: Some(found.record_id.to_string()),
                matched_agency: Some(code),
                matched_records: Some(found.count),
                overlap: Some(Overlap {
                    aid_type: found.aid_type,
                    from: found.from.to_string(),
                    to: found.to.to_string(),
                }),
                evidence: m.evidence.clone(),
            });
        }
    }
    Plan { target, flags, agency_ids }
}

/// The households a record is matched with (the one it joins first), read from the index.
fn consider(
    state: &EngineState,
    engine: &Engine,
    policy: &OverlapPolicy,
    agency_id: &str,
    item: &Item,
    prematched: Option<Vec<HouseholdMatch>>,
    with_evidence: bool,
) -> (Option<(String, u64)>, Vec<Considered>) {
    let matches = prematched.unwrap_or_else(|| {
        let (m, ix) = (&engine.matcher, &state.index);
        if with_evidence {
            m.match_household(ix, &item.prepared, &|_| false, MATCH_LIMIT)
        } else {
            m.match_household_brief(ix, &item.prepared, &|_| false, MATCH_LIMIT)
        }
    });
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
    let record = &item.record;
    let incoming = Incoming {
        agency: state.agency_by_id(agency_id).unwrap_or(u32::MAX),
        aid_type: record.aid_type,
        start: record.period_start,
        end: record.period_end,
    };
    let considered = chosen
        .into_iter()
        .filter_map(|(m, joined)| {
            let overlaps = overlap::find(policy, state.aid_of(m.household), incoming)
                .into_iter()
                .map(|f| {
                    let (id, code) = state.agency(f.agency).unwrap_or((None, ""));
                    (id.map(str::to_owned), code.to_owned(), f)
                })
                .collect();
            Some(Considered {
                household_id: state.household_id(m.household)?.to_owned(),
                joined,
                band: band_of(m.band),
                score: round3(m.score),
                evidence: if with_evidence { evidence(state, &m, |i| format!("members[{i}]")) } else { Vec::new() },
                overlaps,
            })
        })
        .collect();
    let target = target.and_then(|seq| state.household_id(seq).map(|id| (id.to_owned(), seq)));
    (target, considered)
}
