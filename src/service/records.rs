//! Records: submit one or many, check without storing, read one back. Each use case checks the
//! caller's role and validates the body itself ([`super::validate`]).

use bawaba_wire::records::{RecordBody, StoredAssistance, StoredFlag, StoredLocation, StoredMember, StoredRecord};

use super::Services;
use super::audit::record;
use super::auth::{Principal, Role};
use super::domain::{Answer, Decision, FlagOut};
use super::error::ServiceError;
use super::intake::{AgencyRef, Item, Outcome, plan};
use super::validate;
use super::vault::Vault;
use crate::store::models::{FlagRow, PersonRow, RecordRow};
use crate::store::queries;

/// Who may post records: an agency's own system.
pub const SUBMIT: &[Role] = &[Role::Submitter];
/// Who may check a record without storing it.
pub const CHECK: &[Role] = &[Role::Submitter, Role::Caseworker, Role::Auditor];
/// Who may read a record (a submitter, only its own agency's).
pub const READ: &[Role] = &[Role::Submitter, Role::Caseworker, Role::Auditor];

fn agency_of(p: &Principal) -> Result<AgencyRef, ServiceError> {
    match (&p.agency_id, &p.agency_code) {
        (Some(id), Some(code)) => Ok(AgencyRef { id: id.clone(), code: code.clone() }),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Hides from the caller what the answer's evidence may not show it (see [`Principal::redact`]).
fn redact_outcome(who: &Principal, outcome: &mut Outcome) {
    let (Outcome::Created(a) | Outcome::Replayed(a)) = outcome;
    for f in &mut a.flags {
        who.redact(&mut f.evidence);
    }
}

/// The audit event of a record `who` stores, written by intake in the record's transaction
/// (each record of a batch gets its own, as a single post does).
fn created(who: &Principal) -> crate::store::models::AuditRow {
    super::audit::event(who, "record.create", None, None)
}

/// Validates and stores one record (blocking).
pub fn submit(s: &Services, who: &Principal, body: RecordBody) -> Result<Outcome, ServiceError> {
    who.require(SUBMIT)?;
    let agency = agency_of(who)?;
    // Validated (its place resolved) and handed to the writer under the gazetteer's read lock,
    // which is let go before waiting (see `super::places`).
    let pending = {
        let places = s.places.read();
        let item = validate::record(body, &places)?;
        s.intake.send(agency, Some(created(who)), vec![item])
    };
    let mut out = pending.wait();
    let mut outcome = out.pop().unwrap_or(Err(ServiceError::Unavailable))?;
    redact_outcome(who, &mut outcome);
    Ok(outcome)
}

/// Most records in one batch (the wire body refuses one more while it is read).
pub use bawaba_wire::records::BATCH_MAX;

/// Validates and stores many records in order, as if posted one by one. Each item is read from
/// its JSON on its own, so an item that cannot be read or fails validation gets its own error
/// and does not stop the others.
pub fn submit_batch(
    s: &Services,
    who: &Principal,
    records: Vec<serde_json::Value>,
) -> Result<Vec<Result<Outcome, ServiceError>>, ServiceError> {
    use rayon::prelude::*;
    who.require(SUBMIT)?;
    if records.len() > BATCH_MAX {
        return Err(ServiceError::field("records", format!("must hold at most {BATCH_MAX} records")));
    }
    let agency = agency_of(who)?;
    // A follower stores nothing: the whole batch is refused at once (503), so the HTTP edge
    // sends it on to the writer whole (`http::writer_hint`), rather than an `unavailable` per item.
    if !s.cluster.is_writer() {
        return Err(ServiceError::Unavailable);
    }
    let mut slots = Vec::with_capacity(records.len());
    let pending = {
        let places = s.places.read();
        let places: &bawaba_places::Gazetteer = &places;
        let prepared: Vec<Result<Item, ServiceError>> = records
            .into_par_iter()
            .map(|v| validate::parse_value::<RecordBody>(v).and_then(|body| validate::record(body, places)))
            .collect();
        let mut items = Vec::new();
        for p in prepared {
            match p {
                Ok(item) => {
                    slots.push(None);
                    items.push(item);
                }
                Err(e) => slots.push(Some(e)),
            }
        }
        s.intake.send(agency, Some(created(who)), items)
    };
    let mut stored = pending.wait().into_iter();
    Ok(slots
        .into_iter()
        .map(|slot| match slot {
            Some(err) => Err(err),
            None => stored.next().unwrap_or(Err(ServiceError::Unavailable)).map(|mut outcome| {
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
pub fn check(s: &Services, who: &Principal, body: RecordBody) -> Result<Answer, ServiceError> {
    who.require(CHECK)?;
    let item = validate::record(body, &s.places.read())?;
    let agency_id = who.agency_id.clone().unwrap_or_default();
    let plan = plan(&s.engine, &s.policy, &agency_id, &item, None);
    let mut flags: Vec<FlagOut> = plan.flags;
    if !who.sees_others_values() {
        for f in &mut flags {
            f.evidence.clear();
            if f.matched_agency != who.agency_code {
                f.matched_record_id = None;
            }
        }
    }
    let mut household_id = plan.target.map(|(id, _)| id);
    // What a check matched outside a scoped caller's scope is not shown to it: only that it
    // matched (the decision and the flags' kinds stay, so no aid is given twice unawares).
    if let Some(scope) = who.scope_codes() {
        let mut conn = s.conn()?;
        let mut hidden = false;
        if let Some(h) = &household_id
            && !queries::household_in_scope(&mut conn, h, &scope)?
        {
            household_id = None;
            hidden = true;
        }
        for f in &mut flags {
            if hidden || !queries::household_in_scope(&mut conn, &f.matched_household_id, &scope)? {
                f.evidence.clear();
                f.matched_record_id = None;
            }
        }
    }
    record(s, who, "record.check", household_id.as_deref(), Some(format!("flags={}", flags.len())))?;
    Ok(Answer {
        record_id: None,
        household_id,
        decision: Decision::from_flags(&flags),
        flags,
        governorate_code: item.record.governorate_code,
        locality_code: item.record.locality_code,
    })
}

/// A person row as the API shows it, its national ID and phone opened (see [`super::vault`]).
pub fn stored_member(vault: &Vault, p: PersonRow) -> Result<StoredMember, ServiceError> {
    let p = vault.open_person(p)?;
    Ok(StoredMember {
        person_id: Some(p.id.to_string()),
        role: p.role,
        name: p.name,
        national_id: p.national_id,
        date_of_birth: p.date_of_birth,
        sex: p.sex,
        phone: p.phone,
        groups: super::planning::read_groups(p.groups.as_deref()).iter().map(|g| g.as_str().to_owned()).collect(),
    })
}

/// A stored flag as `who` may see it: evidence values it may not see hidden.
pub fn flag_for(vault: &Vault, who: &Principal, row: FlagRow) -> Result<StoredFlag, ServiceError> {
    let mut f = stored_flag(vault, row)?;
    who.redact(&mut f.evidence);
    Ok(f)
}

/// A flag row as the API shows it, its evidence opened.
pub fn stored_flag(vault: &Vault, f: FlagRow) -> Result<StoredFlag, ServiceError> {
    let evidence = vault.open_evidence(&f.evidence)?;
    let overlap = match (f.overlap_type, f.overlap_from, f.overlap_to) {
        (Some(t), Some(from), Some(to)) => Some(serde_json::json!({"type": t, "from": from, "to": to})),
        _ => None,
    };
    Ok(StoredFlag {
        flag_id: f.id,
        record_id: f.record_id,
        household_id: f.household_id,
        kind: f.kind,
        band: f.band,
        score: f.score,
        status: f.status,
        matched_household_id: f.matched_household_id,
        matched_record_id: f.matched_record_id,
        matched_records: f.matched_records.map(|n| n as u32),
        overlap,
        evidence: serde_json::from_str(&evidence).unwrap_or_default(),
        created_at: f.created_at,
    })
}

/// The verdict of a stored answer, read alone (the rest of the answer, its flags, is not
/// needed here: they are read from their own rows).
fn stored_decision(answer: &str) -> Decision {
    #[derive(serde::Deserialize)]
    struct Decided {
        decision: Decision,
    }
    serde_json::from_str::<Decided>(answer).map_or(Decision::Unique, |a| a.decision)
}

/// Reads one record; a submitter sees only its own agency's.
pub fn get(s: &Services, who: &Principal, id: &str) -> Result<StoredRecord, ServiceError> {
    who.require(READ)?;
    let mut conn = s.conn()?;
    let r: RecordRow = queries::record(&mut conn, id)?.ok_or(ServiceError::NotFound("record"))?;
    if who.role == Role::Submitter && who.agency_id.as_deref() != Some(r.agency_id.as_str()) {
        return Err(ServiceError::NotFound("record"));
    }
    // A scoped caller reads a record only when its household is in scope.
    if let Some(scope) = who.scope_codes()
        && !queries::household_in_scope(&mut conn, &r.household_id, &scope)?
    {
        return Err(ServiceError::NotFound("record"));
    }
    record(s, who, "record.view", Some(&r.id), Some(format!("household={}", r.household_id)))?;
    let mut members: Vec<StoredMember> = queries::persons_of_record(&mut conn, &r.id)?
        .into_iter()
        .map(|p| stored_member(&s.vault, p))
        .collect::<Result<_, _>>()?;
    let mut groups = crate::store::planning::groups_of_record(&mut conn, &r.id)?;
    let household_id = s.engine.state.read().resolve(&r.household_id).to_owned();
    if super::planning::any_protection(&groups)
        && !super::planning::sees_protection_of(&mut conn, who, &r.agency_id, &household_id)?
    {
        super::planning::hide_protection(&mut groups);
        for m in &mut members {
            super::planning::hide_protection(&mut m.groups);
        }
    }
    let flags: Vec<StoredFlag> = queries::flags_of_record(&mut conn, &r.id)?
        .into_iter()
        .map(|f| flag_for(&s.vault, who, f))
        .collect::<Result<_, _>>()?;
    let agency = queries::agencies_by_ids(&mut conn, std::slice::from_ref(&r.agency_id))?
        .pop()
        .map(|a| a.code)
        .unwrap_or_default();
    let decision = stored_decision(&r.answer);
    let life = queries::record_life(&mut conn, &r.id)?;
    let (assistance, location) = ((&r).into(), (&r).into());
    Ok(StoredRecord {
        record_id: r.id,
        external_id: r.external_id,
        agency,
        household_id,
        assistance,
        location,
        members,
        groups,
        created_at: r.created_at,
        decision,
        flags,
        status: if life.as_ref().is_some_and(|l| l.withdrawn_at.is_some()) { "withdrawn" } else { "active" }.to_owned(),
        version: life.map_or(1, |l| l.version.max(1) as u32),
    })
}

/// A stored record's assistance, as every answer that shows a record gives it.
impl From<&RecordRow> for StoredAssistance {
    fn from(r: &RecordRow) -> Self {
        StoredAssistance {
            aid_type: r.assistance_type.clone(),
            program: r.program.clone(),
            amount: r.amount,
            currency: r.currency.clone(),
            period_start: r.period_start.clone(),
            period_end: r.period_end.clone(),
        }
    }
}

/// A stored record's place: as written, and the codes it resolved to.
impl From<&RecordRow> for StoredLocation {
    fn from(r: &RecordRow) -> Self {
        StoredLocation {
            governorate: r.governorate.clone(),
            locality: r.locality.clone(),
            governorate_code: r.governorate_code.clone(),
            locality_code: r.locality_code.clone(),
        }
    }
}
