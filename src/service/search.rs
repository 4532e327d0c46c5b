//! Household search: a name in any spelling or script, an ID, a phone, a date of birth, a
//! governorate; ranked candidates with the evidence. Reads only: never waits on intake.

use std::collections::HashMap;

use bawaba_matching::SearchQuery;
use serde::Serialize;
use utoipa::ToSchema;

use super::Services;
use super::auth::{Principal, Role};
use super::domain::{Band, EvidenceItem};
use super::households::audit;
use super::intake::{evidence, round3};
use crate::error::ApiError;
use crate::store::queries;

/// What was asked.
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    pub name: Option<String>,
    pub national_id: Option<String>,
    pub date_of_birth: Option<String>,
    pub phone: Option<String>,
    pub governorate: Option<String>,
    pub limit: usize,
}

/// A member in a search result.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateMember {
    pub name: String,
    pub role: String,
    pub agency: String,
}

/// One ranked household.
#[derive(Debug, Serialize, ToSchema)]
pub struct Candidate {
    pub household_id: String,
    pub score: f64,
    pub band: Band,
    pub members: Vec<CandidateMember>,
    pub evidence: Vec<EvidenceItem>,
}

/// `GET /v1/households/search` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchAnswer {
    pub candidates: Vec<Candidate>,
}

/// Searches (blocking).
pub fn search(s: &Services, who: &Principal, p: &SearchParams) -> Result<SearchAnswer, ApiError> {
    let query = SearchQuery {
        name: p.name.as_deref(),
        national_id: p.national_id.as_deref(),
        date_of_birth: p.date_of_birth.as_deref(),
        phone: p.phone.as_deref(),
    };
    let filtered = p.governorate.is_some() || who.role == Role::Submitter;
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
    ]
    .iter()
    .filter(|(_, v)| v.is_some())
    .map(|(k, _)| *k)
    .collect();
    audit(&mut conn, who, "household.search", None, Some(used.join(",")))?;
    if found.is_empty() {
        return Ok(SearchAnswer { candidates: vec![] });
    }
    let ids: Vec<String> = found.iter().map(|(id, _)| id.clone()).collect();
    let records = queries::records_of_households(&mut conn, &ids)?;
    let agency_ids: Vec<String> = records.iter().map(|r| r.agency_id.clone()).collect();
    let codes: HashMap<String, String> =
        queries::agencies_by_ids(&mut conn, &agency_ids)?.into_iter().map(|a| (a.id, a.code)).collect();
    let record_agency: HashMap<&str, &str> = records.iter().map(|r| (r.id.as_str(), r.agency_id.as_str())).collect();
    let wanted_gov = p.governorate.as_deref().map(bawaba_matching::normalize::name);
    let keep = |hid: &str| {
        let mine = records.iter().filter(|r| r.household_id == hid);
        let served =
            who.role != Role::Submitter || mine.clone().any(|r| Some(r.agency_id.as_str()) == who.agency_id.as_deref());
        let in_gov = wanted_gov.as_ref().is_none_or(|g| {
            mine.clone().any(|r| r.governorate.as_deref().map(bawaba_matching::normalize::name).as_ref() == Some(g))
        });
        served && in_gov
    };
    let found: Vec<_> = found.into_iter().filter(|(id, _)| keep(id)).take(p.limit).collect();
    let ids: Vec<String> = found.iter().map(|(id, _)| id.clone()).collect();
    let persons = queries::persons_of_households(&mut conn, &ids)?;
    let full = who.role != Role::Submitter;
    let evidences = {
        let state = s.engine.state.read();
        found
            .iter()
            .map(|(_, m)| {
                let mut ev = evidence(&mut conn, &s.engine, &state, m, |_| "query".to_owned())?;
                who.redact(&mut ev);
                Ok(ev)
            })
            .collect::<Result<Vec<_>, diesel::result::Error>>()?
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
            Candidate { household_id: hid, score: round3(m.score), band: Band::from(m.band), members, evidence }
        })
        .collect();
    Ok(SearchAnswer { candidates })
}
