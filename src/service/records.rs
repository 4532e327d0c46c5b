//! Records: submit one or many, check without storing, read one back.

use serde::Serialize;
use utoipa::ToSchema;

use super::Services;
use super::auth::{Principal, Role};
use super::domain::EvidenceItem;
use super::domain::{Answer, Decision, FlagOut, NewRecord};
use super::households::audit;
use super::intake::{AgencyRef, Item, Outcome, plan};
use crate::error::ApiError;
use crate::store::models::{FlagRow, PersonRow, RecordRow};
use crate::store::queries;

fn agency_of(p: &Principal) -> Result<AgencyRef, ApiError> {
    match (&p.agency_id, &p.agency_code) {
        (Some(id), Some(code)) => Ok(AgencyRef { id: id.clone(), code: code.clone() }),
        _ => Err(ApiError::Forbidden),
    }
}

/// Hides from the caller what the answer's evidence may not show it (see [`Principal::redact`]).
fn redact_outcome(who: &Principal, outcome: &mut Outcome) {
    let (Outcome::Created(a) | Outcome::Replayed(a)) = outcome;
    for f in &mut a.flags {
        who.redact(&mut f.evidence);
    }
}

/// Stores one record (blocking).
pub fn submit(s: &Services, who: &Principal, record: NewRecord) -> Result<Outcome, ApiError> {
    let agency = agency_of(who)?;
    let mut out = s.intake.submit(agency, vec![Item::new(record)]);
    let mut outcome = out.pop().unwrap_or(Err(ApiError::Unavailable))?;
    redact_outcome(who, &mut outcome);
    Ok(outcome)
}

/// Stores many records in order; `records[i]` is `Err` for items that failed validation.
pub fn submit_batch(
    s: &Services,
    who: &Principal,
    records: Vec<Result<NewRecord, ApiError>>,
) -> Result<Vec<Result<Outcome, ApiError>>, ApiError> {
    use rayon::prelude::*;
    let agency = agency_of(who)?;
    let prepared: Vec<Result<Item, ApiError>> = records.into_par_iter().map(|r| r.map(Item::new)).collect();
    let mut items = Vec::new();
    let mut slots = Vec::with_capacity(prepared.len());
    for p in prepared {
        match p {
            Ok(item) => {
                slots.push(None);
                items.push(item);
            }
            Err(e) => slots.push(Some(e)),
        }
    }
    let mut stored = s.intake.submit(agency, items).into_iter();
    Ok(slots
        .into_iter()
        .map(|slot| match slot {
            Some(err) => Err(err),
            None => stored.next().unwrap_or(Err(ApiError::Unavailable)).map(|mut outcome| {
                redact_outcome(who, &mut outcome);
                outcome
            }),
        })
        .collect())
}

/// Answers as intake would, storing nothing; audited, since it reads what others posted.
///
/// A submitter learns only whether and with whom the household overlaps (agency, aid type and
/// period, band and score): no evidence, no other agency's record id. A check is how a
/// submitter could probe for people it does not serve, so it gets no values at all.
pub fn check(s: &Services, who: &Principal, record: NewRecord) -> Result<Answer, ApiError> {
    let item = Item::new(record);
    let mut conn = s.conn()?;
    let agency_id = who.agency_id.clone().unwrap_or_default();
    let plan = {
        let state = s.engine.state.read();
        plan(&mut conn, &state, &s.engine, &s.policy, &agency_id, &item, None)?
    };
    let mut flags: Vec<FlagOut> = plan.flags;
    if !who.sees_others_values() {
        for f in &mut flags {
            f.evidence.clear();
            if f.matched_agency != who.agency_code {
                f.matched_record_id = None;
            }
        }
    }
    let household_id = plan.target.map(|(id, _)| id);
    audit(&mut conn, who, "record.check", household_id.as_deref(), Some(format!("flags={}", flags.len())))?;
    Ok(Answer { record_id: None, household_id, decision: Decision::from_flags(&flags), flags })
}

/// A record as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredRecord {
    pub record_id: String,
    pub external_id: String,
    pub agency: String,
    pub household_id: String,
    pub assistance: StoredAssistance,
    pub location: StoredLocation,
    pub members: Vec<StoredMember>,
    pub created_at: String,
    pub decision: Decision,
    pub flags: Vec<StoredFlag>,
}

/// Aid as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredAssistance {
    #[serde(rename = "type")]
    pub aid_type: String,
    pub program: Option<String>,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub period_start: String,
    pub period_end: String,
}

/// Where, as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredLocation {
    pub governorate: Option<String>,
    pub locality: Option<String>,
}

/// A member as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredMember {
    pub role: String,
    pub name: String,
    pub national_id: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub phone: Option<String>,
}

impl From<PersonRow> for StoredMember {
    fn from(p: PersonRow) -> Self {
        StoredMember {
            role: p.role,
            name: p.name,
            national_id: p.national_id,
            date_of_birth: p.date_of_birth,
            sex: p.sex,
            phone: p.phone,
        }
    }
}

/// A flag as stored, with its review status.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredFlag {
    pub flag_id: String,
    pub record_id: String,
    pub household_id: String,
    pub kind: String,
    pub band: String,
    pub score: f64,
    pub status: String,
    pub matched_household_id: String,
    pub matched_record_id: Option<String>,
    pub overlap: Option<serde_json::Value>,
    pub evidence: Vec<EvidenceItem>,
    pub created_at: String,
}

impl StoredFlag {
    /// Hides from `who` the evidence values it may not see.
    pub fn redacted_for(mut self, who: &Principal) -> StoredFlag {
        who.redact(&mut self.evidence);
        self
    }
}

impl From<FlagRow> for StoredFlag {
    fn from(f: FlagRow) -> Self {
        let overlap = match (f.overlap_type, f.overlap_from, f.overlap_to) {
            (Some(t), Some(from), Some(to)) => Some(serde_json::json!({"type": t, "from": from, "to": to})),
            _ => None,
        };
        StoredFlag {
            flag_id: f.id,
            record_id: f.record_id,
            household_id: f.household_id,
            kind: f.kind,
            band: f.band,
            score: f.score,
            status: f.status,
            matched_household_id: f.matched_household_id,
            matched_record_id: f.matched_record_id,
            overlap,
            evidence: serde_json::from_str(&f.evidence).unwrap_or_default(),
            created_at: f.created_at,
        }
    }
}

/// Reads one record; a submitter sees only its own agency's.
pub fn get(s: &Services, who: &Principal, id: &str) -> Result<StoredRecord, ApiError> {
    let mut conn = s.conn()?;
    let r: RecordRow = queries::record(&mut conn, id)?.ok_or(ApiError::NotFound("record"))?;
    if who.role == Role::Submitter && who.agency_id.as_deref() != Some(r.agency_id.as_str()) {
        return Err(ApiError::NotFound("record"));
    }
    let members = queries::persons_of_record(&mut conn, &r.id)?.into_iter().map(StoredMember::from).collect();
    let flags: Vec<StoredFlag> = queries::flags_of_record(&mut conn, &r.id)?
        .into_iter()
        .map(|f| StoredFlag::from(f).redacted_for(who))
        .collect();
    let agency = queries::agencies_by_ids(&mut conn, std::slice::from_ref(&r.agency_id))?
        .pop()
        .map(|a| a.code)
        .unwrap_or_default();
    let decision = serde_json::from_str::<Answer>(&r.answer).map(|a| a.decision).unwrap_or(Decision::Unique);
    let household_id = s.engine.state.read().resolve(&r.household_id).to_owned();
    Ok(StoredRecord {
        record_id: r.id,
        external_id: r.external_id,
        agency,
        household_id,
        assistance: StoredAssistance {
            aid_type: r.assistance_type,
            program: r.program,
            amount: r.amount,
            currency: r.currency,
            period_start: r.period_start,
            period_end: r.period_end,
        },
        location: StoredLocation { governorate: r.governorate, locality: r.locality },
        members,
        created_at: r.created_at,
        decision,
        flags,
    })
}
