//! Household search: a name in any spelling or script, an ID, a phone, a date of birth, a
//! governorate or area (a code or any spelling: households with a record there); ranked
//! candidates with the evidence. Reads only: never waits on intake.
//!
//! A scoped caller finds only households with a record in its scope, except by an exact
//! national ID with a `reason` ("break the glass"), audited as such with the reason.

use std::collections::{HashMap, HashSet};

use bawaba_matching::SearchQuery as MatchQuery;
use bawaba_wire::households::{AidEntry, Candidate, CandidateMember, SearchAnswer, SearchQuery};

use super::Services;
use super::audit::record;
use super::auth::{Principal, Role};
use super::domain::band_of;
use super::error::{FieldProblem, ServiceError, validated};
use super::evidence::{evidence, round3};
use super::households::aid_entry;
use super::places::PlaceFilters;
use super::validate::{check_name, limit, nonempty, place_filter};
use crate::store::queries;
use bawaba_matching::normalize;

/// Who may search (a submitter finds only households its agency serves).
pub const ROLES: &[Role] = &[Role::Caseworker, Role::Auditor, Role::Submitter];

/// What was asked, validated.
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    pub name: Option<String>,
    pub national_id: Option<String>,
    pub date_of_birth: Option<String>,
    pub phone: Option<String>,
    pub governorate: Option<String>,
    pub area: Option<String>,
    pub limit: usize,
    /// Why a household outside scope is looked up by exact national ID (break the glass).
    pub reason: Option<String>,
}

/// Validates a search: at least one of name, national ID, phone; each well formed.
pub fn params(q: &SearchQuery) -> Result<SearchParams, ServiceError> {
    let mut problems = Vec::new();
    let params = SearchParams {
        name: nonempty(&q.name),
        national_id: nonempty(&q.national_id),
        date_of_birth: nonempty(&q.date_of_birth),
        phone: nonempty(&q.phone),
        governorate: place_filter(&mut problems, "governorate", &q.governorate),
        area: place_filter(&mut problems, "area", &q.area),
        limit: limit(&mut problems, &q.limit, 10, 100),
        reason: nonempty(&q.reason),
    };
    if let Some(r) = &params.reason {
        if params.national_id.is_none() {
            problems.push(FieldProblem::new("reason", "is taken only with national_id (an exact look-up)"));
        }
        if r.chars().count() > 500 || r.chars().any(char::is_control) {
            problems.push(FieldProblem::new("reason", "must be at most 500 characters, with no control characters"));
        }
    }
    if params.name.is_none() && params.national_id.is_none() && params.phone.is_none() {
        problems.push(FieldProblem::new("name", "give at least one of name, national_id, phone"));
    }
    if let Some(n) = &params.name
        && let Err(p) = check_name(n)
    {
        problems.push(FieldProblem::new("name", p));
    }
    if params.national_id.as_deref().is_some_and(|id| normalize::national_id(id).is_none()) {
        problems.push(FieldProblem::new("national_id", "must contain digits"));
    }
    if params.phone.as_deref().is_some_and(|p| normalize::phone(p).is_none()) {
        problems.push(FieldProblem::new("phone", "is not a phone number"));
    }
    if params.date_of_birth.as_deref().is_some_and(|d| normalize::date_of_birth(d).is_none()) {
        problems.push(FieldProblem::new("date_of_birth", "must be YYYY-MM-DD, YYYY-MM or YYYY"));
    }
    validated(problems, params)
}

/// Searches (blocking): validates, finds, audits once.
pub fn search(s: &Services, who: &Principal, q: &SearchQuery) -> Result<SearchAnswer, ServiceError> {
    let found = find(s, who, &params(q)?)?;
    Ok(SearchAnswer { candidates: found.candidates })
}

/// One candidate with the household's aid history (as [`super::households::get`] would show it
/// to this caller) and how many flags are open on it: the search page's results.
#[derive(Debug)]
pub struct CandidateWithAid {
    pub candidate: Candidate,
    pub aid_history: Vec<AidEntry>,
    pub open_flags: usize,
}

/// Searches and gives each candidate's aid history and open flag count, in a few queries and
/// one audit event for the whole search (blocking).
pub fn search_with_aid(s: &Services, who: &Principal, q: &SearchQuery) -> Result<Vec<CandidateWithAid>, ServiceError> {
    let found = find(s, who, &params(q)?)?;
    let ids: Vec<String> = found.candidates.iter().map(|c| c.household_id.clone()).collect();
    // A submitter counts only the flags on its own records, as its household view shows them.
    let only_agency = if who.sees_others_values() { None } else { who.agency_id.as_deref() };
    let (open, records): (HashMap<String, usize>, _) = if ids.is_empty() {
        (HashMap::new(), Vec::new())
    } else {
        let mut conn = s.conn()?;
        (
            queries::open_flag_counts(&mut conn, &ids, only_agency)?.into_iter().collect(),
            queries::records_of_households(&mut conn, &ids)?,
        )
    };
    Ok(found
        .candidates
        .into_iter()
        .map(|c| {
            let aid_history = records
                .iter()
                .filter(|r| r.household_id == c.household_id)
                .map(|r| aid_entry(who, r, &found.codes))
                .collect();
            let open_flags = open.get(&c.household_id).copied().unwrap_or(0);
            CandidateWithAid { candidate: c, aid_history, open_flags }
        })
        .collect())
}

/// What a search found, with the agencies' codes (by id) of every record it read.
struct Found {
    candidates: Vec<Candidate>,
    codes: HashMap<String, String>,
}

/// Searches with parameters already validated (blocking); audited.
fn find(s: &Services, who: &Principal, p: &SearchParams) -> Result<Found, ServiceError> {
    who.require(ROLES)?;
    let query = MatchQuery {
        name: p.name.as_deref(),
        national_id: p.national_id.as_deref(),
        date_of_birth: p.date_of_birth.as_deref(),
        phone: p.phone.as_deref(),
    };
    let places = PlaceFilters::read(s, p.governorate.as_deref(), p.area.as_deref());
    let filtered = !places.is_empty() || who.role == Role::Submitter || who.scope.is_some();
    let want = if filtered { p.limit * 5 } else { p.limit };
    let found: Vec<(String, bawaba_matching::HouseholdMatch)> = {
        let state = s.engine.state.read();
        s.engine
            .matcher
            .search(&state.index, &query, want)
            .into_iter()
            .filter_map(|m| state.household_id(m.household).map(|id| (id.to_owned(), m)))
            .collect()
    };
    let mut conn = s.conn()?;
    let used: Vec<&str> = [
        ("name", &p.name),
        ("national_id", &p.national_id),
        ("phone", &p.phone),
        ("date_of_birth", &p.date_of_birth),
        ("governorate", &p.governorate),
        ("area", &p.area),
    ]
    .iter()
    .filter(|(_, v)| v.is_some())
    .map(|(k, _)| *k)
    .collect();
    let used = used.join(",");
    // Break the glass: a scoped caller looking a national ID up with a reason finds the
    // households where a person has exactly that ID, in scope or not. The engine names them
    // (the ID's block); the stored keyed hash confirms each, so only a stored person with
    // exactly that ID ever opens a household outside scope.
    let glass: HashSet<String> = match (&who.scope, &p.national_id, &p.reason) {
        (Some(_), Some(id), Some(_)) => match s.vault.national_id_hash(id) {
            Some(h) => {
                let named = s.engine.state.read().households_with_national_id(id);
                let confirmed = queries::persons_with_national_id_hash(&mut conn, &named, &h)?;
                let state = s.engine.state.read();
                confirmed.into_iter().map(|p| state.resolve(&p.household_id).to_owned()).collect()
            }
            None => HashSet::new(),
        },
        _ => HashSet::new(),
    };
    if found.is_empty() {
        record(s, who, "household.search", None, Some(format!("by={used} households=")))?;
        return Ok(Found { candidates: vec![], codes: HashMap::new() });
    }
    let ids: Vec<String> = found.iter().map(|(id, _)| id.clone()).collect();
    let records = queries::record_places_of_households(&mut conn, &ids)?;
    let mut agency_ids: Vec<String> = records.iter().map(|r| r.agency_id.clone()).collect();
    agency_ids.sort_unstable();
    agency_ids.dedup();
    // Agencies' codes never change: the engine knows those of every agency with a stored
    // record; the database is asked for any it does not.
    let mut codes: HashMap<String, String> = HashMap::with_capacity(agency_ids.len());
    let mut unknown: Vec<String> = Vec::new();
    {
        let state = s.engine.state.read();
        for id in agency_ids {
            match state.agency_by_id(&id).and_then(|slot| state.agency(slot)) {
                Some((_, code)) => {
                    codes.insert(id, code.to_owned());
                }
                None => unknown.push(id),
            }
        }
    }
    if !unknown.is_empty() {
        codes.extend(queries::agencies_by_ids(&mut conn, &unknown)?.into_iter().map(|a| (a.id, a.code)));
    }
    let record_agency: HashMap<&str, &str> = records.iter().map(|r| (r.id.as_str(), r.agency_id.as_str())).collect();
    let in_scope = |hid: &str| {
        records
            .iter()
            .filter(|r| r.household_id == hid)
            .any(|r| who.in_scope(r.governorate_code.as_deref(), r.locality_code.as_deref()))
    };
    let keep = |hid: &str| {
        let mine = records.iter().filter(|r| r.household_id == hid);
        let served =
            who.role != Role::Submitter || mine.clone().any(|r| Some(r.agency_id.as_str()) == who.agency_id.as_deref());
        let in_place = places.is_empty()
            || mine.clone().any(|r| {
                places.matches(
                    r.governorate.as_deref(),
                    r.locality.as_deref(),
                    r.governorate_code.as_deref(),
                    r.locality_code.as_deref(),
                )
            });
        served && in_place && (in_scope(hid) || glass.contains(hid))
    };
    let found: Vec<_> = found.into_iter().filter(|(id, _)| keep(id)).take(p.limit).collect();
    let shown: Vec<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
    let broken: Vec<&str> = shown.iter().copied().filter(|h| !in_scope(h)).collect();
    if broken.is_empty() {
        record(s, who, "household.search", None, Some(format!("by={used} households={}", shown.join(","))))?;
    } else {
        let reason = p.reason.as_deref().unwrap_or_default();
        record(
            s,
            who,
            "household.search.break_glass",
            broken.first().copied(),
            Some(format!("by={used} households={} reason={reason}", shown.join(","))),
        )?;
    }
    let ids: Vec<String> = found.iter().map(|(id, _)| id.clone()).collect();
    let persons = queries::members_of_households(&mut conn, &ids)?;
    let full = who.role != Role::Submitter;
    let evidences: Vec<_> = {
        let state = s.engine.state.read();
        found
            .iter()
            .map(|(_, m)| {
                let mut ev = evidence(&state, m, |_| "query".to_owned());
                who.redact(&mut ev);
                ev
            })
            .collect()
    };
    let candidates = found
        .into_iter()
        .zip(evidences)
        .map(|((hid, m), evidence)| {
            let mut members: Vec<CandidateMember> = Vec::new();
            for person in persons.iter().filter(|x| x.household_id == hid) {
                let agency_id = record_agency.get(person.record_id.as_str()).copied().unwrap_or_default();
                if !full && Some(agency_id) != who.agency_id.as_deref() {
                    continue;
                }
                if members.iter().any(|x| x.name == person.name && x.role == person.role) {
                    continue;
                }
                members.push(CandidateMember {
                    name: person.name.clone(),
                    role: person.role.clone(),
                    agency: codes.get(agency_id).cloned().unwrap_or_default(),
                });
            }
            Candidate { household_id: hid, score: round3(m.score), band: band_of(m.band), members, evidence }
        })
        .collect();
    Ok(Found { candidates, codes })
}
