//! A correction (`PUT /v1/records/{id}`) on the writer thread, a job of its own between groups
//! of submissions: so a correction and a post of the same household are taken one after the
//! other, never interleaved, and each is matched against what the other left.
//!
//! In one transaction: the record is taken out of the engine (its members and its aid, so it
//! does not match itself), matched again as intake matches a new record (`plan`), its earlier
//! version kept in `record_versions` (without its members' personal data), its members written
//! again, its content and answer replaced (version + 1). Its open flags that the new matching
//! reproduces (same kind, matched household and agency) stay open, brought up to date; the
//! rest close as `superseded`, and flags the new matching finds are raised. Open flags of later
//! records that name it stay open only while the corrected record is still in their household
//! with conflicting aid over overlapping days. After the commit the engine takes the corrected
//! record; if the commit fails, the engine is put back as it was.

use bawaba_matching::PreparedPerson;
use crossbeam_channel::Sender;
use diesel::Connection;

use super::order::{Staged, apply};
use super::plan::plan;
use super::stored;
use super::writer::{Writer, replayed_answer, write_members_and_flags};
use super::{AgencyRef, Item, ItemResult, MATCH_LIMIT, Outcome};
use crate::service::audit::audit;
use crate::service::auth::Principal;
use crate::service::domain::*;
use crate::service::error::ServiceError;
use crate::service::ids::{new_id, now};
use crate::service::index::{Engine, NextIds, member_of_row, person_input};
use crate::service::policy::OverlapPolicy;
use crate::service::vault::Vault;
use crate::store::models::{FlagRow, HouseholdRow, PersonRow, RecordRow, RecordVersionRow};
use crate::store::{DbConn, queries};

/// A corrected record on its way to the writer.
pub(super) struct Correction {
    pub agency: AgencyRef,
    pub record_id: String,
    /// Who corrects it: audited, and kept (the key) with the version it ends.
    pub who: Principal,
    pub item: Item,
    pub reply: Sender<ItemResult>,
}

/// What a correction took out of the engine, to put back if its commit fails.
struct TakenOut {
    seq: Option<u64>,
    record_id: String,
    agency: AgencyRef,
    persons: Vec<(u64, PreparedPerson, MemberRole)>,
    aid: Option<(AidType, chrono::NaiveDate, chrono::NaiveDate)>,
}

impl TakenOut {
    /// Takes a stored record's members and aid out of the engine.
    fn take(
        engine: &Engine,
        vault: &Vault,
        agency: &AgencyRef,
        old: &RecordRow,
        persons: &[PersonRow],
    ) -> Result<TakenOut, ServiceError> {
        let mut prepared = Vec::with_capacity(persons.len());
        for p in persons {
            let row = vault.open_person(p.clone())?;
            let m = member_of_row(&row);
            prepared.push((p.id as u64, bawaba_matching::prepare(&person_input(&m)), m.role));
        }
        let mut state = engine.state.write();
        let seq = state.seq(state.resolve(&old.household_id));
        for (id, _, _) in &prepared {
            state.index.remove_person(*id);
        }
        if let Some(seq) = seq {
            state.remove_aid(seq, &old.id);
        }
        let aid = AidType::parse(&old.assistance_type)
            .map(|t| (t, stored_date(&old.period_start), stored_date(&old.period_end)));
        Ok(TakenOut { seq, record_id: old.id.clone(), agency: agency.clone(), persons: prepared, aid })
    }

    /// Puts it back (the commit failed).
    fn put_back(self, engine: &Engine) {
        let Some(seq) = self.seq else { return };
        let mut state = engine.state.write();
        for (id, p, role) in self.persons {
            state.index.insert(id, seq, p);
            state.set_person_meta(id, &self.agency.code, role);
        }
        if let Some((t, start, end)) = self.aid {
            let slot = state.agency_slot(Some(&self.agency.id), &self.agency.code);
            state.add_aid(seq, &self.record_id, slot, t, start, end);
        }
    }
}

impl Writer {
    /// Takes one correction and answers it.
    pub(super) fn correct(&mut self, job: Correction) {
        let r = self.correct_one(&job);
        let _ = job.reply.send(r);
    }

    fn correct_one(&mut self, job: &Correction) -> ItemResult {
        let Writer { conn, engine, policy, metrics, next, turn, vault, .. } = self;
        let saved_next = *next;
        let mut taken: Option<TakenOut> = None;
        let mut staged: Option<Staged> = None;
        let my_turn = turn.take();
        let result = conn.transaction::<_, ServiceError, _>(|c| {
            crate::store::lock_for_write(c)?;
            correct_in(c, engine, policy, vault, next, job, &mut taken, &mut staged)
        });
        drop(my_turn);
        match result {
            Ok(outcome) => {
                if let Some(staged) = staged {
                    apply(engine, staged, &job.agency, &job.item, None);
                }
                if let Outcome::Created(a) = &outcome {
                    for f in &a.flags {
                        metrics.flags_raised.with_label_values(&[f.kind.as_str()]).inc();
                    }
                }
                Ok(outcome)
            }
            Err(e) => {
                *next = saved_next;
                if let Some(t) = taken {
                    t.put_back(engine);
                }
                Err(e)
            }
        }
    }
}

#[expect(clippy::too_many_arguments, reason = "the writer's parts, borrowed apart, and what the caller puts back")]
fn correct_in(
    c: &mut DbConn,
    engine: &Engine,
    policy: &OverlapPolicy,
    vault: &Vault,
    next: &mut NextIds,
    job: &Correction,
    taken: &mut Option<TakenOut>,
    staged: &mut Option<Staged>,
) -> Result<Outcome, ServiceError> {
    let record = &job.item.record;
    let old = queries::record(c, &job.record_id)?.ok_or(ServiceError::NotFound("record"))?;
    if old.agency_id != job.agency.id {
        return Err(ServiceError::NotFound("record"));
    }
    let life = queries::record_life(c, &old.id)?.ok_or(ServiceError::NotFound("record"))?;
    if life.withdrawn_at.is_some() {
        return Err(ServiceError::Conflict("this record was withdrawn: it can no longer be corrected".into()));
    }
    if record.external_id != old.external_id {
        return Err(ServiceError::field(
            "external_id",
            format!("must be the record's own external_id, `{}`", old.external_id),
        ));
    }
    if old.body_hash == vault.body_hash(&job.item.body_hash) {
        // Nothing changed: the answer as it stands.
        return Ok(Outcome::Replayed(replayed_answer(c, vault, old)?));
    }
    let old_persons = queries::persons_of_record(c, &old.id)?;
    let old_household = engine.state.read().resolve(&old.household_id).to_owned();
    *taken = Some(TakenOut::take(engine, vault, &job.agency, &old, &old_persons)?);
    // Matched again as a post would be, except that it stays apart from the households its
    // own was kept apart from (a split, a dismissal): correcting a record a reviewer split off
    // must not join it back.
    let own_seq = taken.as_ref().and_then(|t| t.seq);
    let prematched = own_seq.map(|own| {
        let state = engine.state.read();
        let apart = |h: u64| h != own && state.is_dismissed(own, h);
        engine.matcher.match_household(&state.index, &job.item.prepared, &apart, MATCH_LIMIT)
    });
    let plan = plan(engine, policy, &job.agency.id, &job.item, prematched);
    let at = now();
    let old_seq = engine.state.read().seq(&old_household);
    let alone = plan.target.is_none() && !queries::household_has_others(c, &old_household, &old.id)?;
    let (household_id, household_seq, new_household) = match (plan.target, old_seq) {
        (Some((id, seq)), _) => (id, seq, None),
        // Matched nowhere, and its household holds nothing else: it stays where it was.
        (None, Some(seq)) if alone => (old_household.clone(), seq, None),
        (None, _) => {
            let seq = next.household;
            next.household += 1;
            let id = new_id();
            queries::insert_household(
                c,
                &HouseholdRow { id: id.clone(), seq: seq as i64, merged_into: None, created_at: at.clone() },
            )?;
            (id.clone(), seq, Some(id))
        }
    };
    // Which open flags still stand: the record's own, where the new matching reproduces them;
    // later records' flags naming it, where it still overlaps them in one household.
    let touching = queries::open_flags_touching(c, &old.id)?;
    let (own, naming): (Vec<FlagRow>, Vec<FlagRow>) = touching.into_iter().partition(|f| f.record_id == old.id);
    let mut flags = plan.flags;
    let mut kept: Vec<String> = Vec::new();
    {
        let state = engine.state.read();
        for f in &mut flags {
            let agency_id = f.matched_agency.as_ref().and_then(|code| plan.agency_ids.get(code));
            let twin = own.iter().find(|o| {
                !kept.contains(&o.id)
                    && o.kind == f.kind.as_str()
                    && state.resolve(&o.matched_household_id) == state.resolve(&f.matched_household_id)
                    && o.matched_agency_id.as_ref() == agency_id
            });
            f.flag_id = Some(match twin {
                Some(o) => {
                    kept.push(o.id.clone());
                    o.id.clone()
                }
                None => new_id(),
            });
        }
    }
    let mut superseded: Vec<String> = own.iter().filter(|o| !kept.contains(&o.id)).map(|o| o.id.clone()).collect();
    if !naming.is_empty() {
        let ids: Vec<String> = naming.iter().map(|f| f.record_id.clone()).collect();
        let briefs = queries::record_briefs(c, &ids)?;
        let state = engine.state.read();
        for f in &naming {
            let still = briefs.iter().find(|b| b.id == f.record_id).is_some_and(|b| {
                state.resolve(&b.household_id) == household_id
                    && AidType::parse(&b.assistance_type).is_some_and(|t| policy.conflicts(t, record.aid_type))
                    && stored_date(&b.period_start) <= record.period_end
                    && stored_date(&b.period_end) >= record.period_start
            });
            if !still {
                superseded.push(f.id.clone());
            }
        }
    }
    queries::set_flags_status(c, &superseded, FlagStatus::Superseded.as_str())?;
    queries::insert_record_version(
        c,
        &RecordVersionRow {
            id: new_id(),
            record_id: old.id.clone(),
            version: life.version,
            action: "corrected".into(),
            at: at.clone(),
            key_id: job.who.key_id.clone(),
            reason: None,
            household_id: old_household.clone(),
            assistance_type: old.assistance_type.clone(),
            program: old.program.clone(),
            amount: old.amount,
            currency: old.currency.clone(),
            period_start: old.period_start.clone(),
            period_end: old.period_end.clone(),
            governorate: old.governorate.clone(),
            locality: old.locality.clone(),
            members: old_persons.len() as i32,
            decision: stored_decision(&old.answer).as_str().to_owned(),
        },
    )?;
    let answer = Answer {
        record_id: Some(old.id.clone()),
        household_id: Some(household_id.clone()),
        decision: Decision::from_flags(&flags),
        flags,
        governorate_code: record.governorate_code.clone(),
        locality_code: record.locality_code.clone(),
    };
    let answer_json = stored::answer_json(&answer).map_err(|e| ServiceError::Internal(e.to_string()))?;
    queries::delete_persons_of_record(c, &old.id)?;
    crate::store::planning::delete_record_groups(c, &old.id)?;
    let place = stored::RecordPlace {
        id: &old.id,
        agency_id: &old.agency_id,
        household_id: &household_id,
        created_at: &old.created_at,
    };
    queries::set_record_content(
        c,
        &stored::record_row(place, record, vault.body_hash(&job.item.body_hash), answer_json),
        life.version + 1,
    )?;
    let person_ids = write_members_and_flags(
        c,
        vault,
        next,
        &old.id,
        &household_id,
        record,
        &answer.flags,
        &plan.agency_ids,
        &at,
        &kept,
    )?;
    audit(c, &job.who, "record.correct", Some(&old.id), Some(format!("version={}", life.version + 1)))?;
    *staged = Some(Staged { household_seq, new_household, person_ids, record_id: old.id.clone() });
    Ok(Outcome::Created(answer))
}

/// The decision of a stored answer, read alone.
pub(crate) fn stored_decision(answer: &str) -> Decision {
    #[derive(serde::Deserialize)]
    struct Decided {
        decision: Decision,
    }
    serde_json::from_str::<Decided>(answer).map_or(Decision::Unique, |a| a.decision)
}
