//! The writer thread: takes submissions in groups, matches each group in parallel against the
//! index, writes every item (in its own savepoint) and commits the group once, then updates the
//! in-memory index and answers.

use std::sync::Arc;

use bawaba_matching::{HouseholdMatch, Index, Matcher};
use crossbeam_channel::Receiver;
use diesel::Connection;

use super::plan::plan;
use super::{AgencyRef, GROUP_MAX, Item, ItemResult, Job, MATCH_LIMIT, Outcome, Submission};
use crate::metrics::Metrics;
use crate::service::domain::*;
use crate::service::error::ServiceError;
use crate::service::ids::{new_id, now};
use crate::service::index::{Engine, NextIds};
use crate::service::policy::OverlapPolicy;
use crate::store::models::{FlagRow, HouseholdRow, PersonRow, RecordRow};
use crate::store::{DbConn, queries};

/// The writer: its own connection, the engine it keeps in step, and the ids it hands out.
pub(super) struct Writer {
    pub(super) conn: DbConn,
    pub(super) engine: Arc<Engine>,
    pub(super) policy: Arc<OverlapPolicy>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) next: NextIds,
    /// Finds earlier items of the same group that an item may match (see `group`).
    pub(super) guard: Matcher,
}

/// In-memory changes made for a group, undone if its commit fails.
#[derive(Default)]
struct Undo {
    persons: Vec<u64>,
    households: Vec<u64>,
}

impl Writer {
    pub(super) fn run(mut self, rx: Receiver<Job>) {
        let mut pending: Option<Job> = None;
        loop {
            let first = match pending.take() {
                Some(job) => job,
                None => match rx.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                },
            };
            let first = match first {
                Job::Exclusive(f) => {
                    f(&mut self.conn, &self.engine, &self.policy);
                    continue;
                }
                Job::Submit(s) => s,
            };
            let mut count = first.items.len();
            let mut group = vec![first];
            while count < GROUP_MAX {
                match rx.try_recv() {
                    Ok(Job::Submit(s)) => {
                        count += s.items.len();
                        group.push(s);
                    }
                    Ok(other) => {
                        pending = Some(other);
                        break;
                    }
                    Err(_) => break,
                }
            }
            self.group(group);
        }
    }

    fn group(&mut self, jobs: Vec<Submission>) {
        let mut undo = Undo::default();
        let saved_next = self.next;
        let mut results: Vec<Vec<ItemResult>> = Vec::with_capacity(jobs.len());
        let mut replies = Vec::with_capacity(jobs.len());
        let Writer { conn, engine, policy, metrics, next, guard } = self;
        metrics.group_size.observe(jobs.iter().map(|j| j.items.len()).sum::<usize>() as f64);
        // Match every item against the index as it stands, in parallel. An item is then
        // matched again, alone, only if it may be the same household as an earlier item of this
        // group (which the snapshot did not hold): the group index holds the group's items and
        // the guard answers that with a very low threshold, so nothing the full matcher would
        // link slips by.
        let started = std::time::Instant::now();
        let mut prematched: Vec<Vec<Option<Vec<HouseholdMatch>>>> = {
            use rayon::prelude::*;
            let state = engine.state.read();
            jobs.par_iter()
                .map(|job| {
                    job.items
                        .par_iter()
                        .map(|item| {
                            Some(engine.matcher.match_household(&state.index, &item.prepared, &|_| false, MATCH_LIMIT))
                        })
                        .collect()
                })
                .collect()
        };
        let items = prematched.iter().map(Vec::len).sum::<usize>().max(1);
        let per_item = started.elapsed().as_secs_f64() / items as f64;
        for _ in 0..items {
            metrics.prematch_seconds.observe(per_item);
        }
        let mut group_index = Index::new();
        let timer = metrics.commit_seconds.start_timer();
        let committed = conn.transaction::<_, diesel::result::Error, _>(|c| {
            for (job, pre) in jobs.into_iter().zip(prematched.iter_mut()) {
                let mut out = Vec::with_capacity(job.items.len());
                for (item, pre) in job.items.into_iter().zip(pre.iter_mut()) {
                    let mut pre = pre.take();
                    if !guard.match_household(&group_index, &item.prepared, &|_| false, 1).is_empty() {
                        pre = None;
                    }
                    let r = c.transaction(|sp| {
                        store_item(sp, engine, policy, metrics, next, &job.agency, &item, pre.clone())
                    });
                    out.push(match r {
                        Ok((outcome, staged)) => {
                            if let Some(staged) = staged {
                                for (pid, p) in staged.person_ids.iter().zip(&item.prepared) {
                                    group_index.insert(*pid, staged.household_seq, p.clone());
                                }
                                apply(engine, staged, &job.agency, &item, &mut undo);
                            }
                            outcome
                        }
                        Err(e) => Err(ServiceError::Internal(e.to_string())),
                    });
                }
                results.push(out);
                replies.push(job.reply);
            }
            Ok(())
        });
        if let Err(e) = committed {
            tracing::error!(error = %e, "group commit failed; the group is answered 503");
            let mut state = engine.state.write();
            for p in undo.persons {
                state.index.remove_person(p);
            }
            for h in undo.households {
                state.remove_household(h);
            }
            *next = saved_next;
            for r in results.iter_mut().flatten() {
                if matches!(r, Ok(Outcome::Created(_))) {
                    *r = Err(ServiceError::Unavailable);
                }
            }
        } else {
            timer.observe_duration();
            for r in results.iter().flatten() {
                if let Ok(Outcome::Created(a)) = r {
                    metrics.records_stored.inc();
                    for f in &a.flags {
                        metrics.flags_raised.with_label_values(&[f.kind.as_str()]).inc();
                    }
                }
            }
        }
        for (reply, r) in replies.into_iter().zip(results) {
            let _ = reply.send(r);
        }
    }
}

/// What one stored item adds to the in-memory engine.
struct Staged {
    household_seq: u64,
    new_household: Option<String>,
    person_ids: Vec<u64>,
}

fn apply(engine: &Engine, staged: Staged, agency: &AgencyRef, item: &Item, undo: &mut Undo) {
    let mut state = engine.state.write();
    if let Some(id) = &staged.new_household {
        state.add_household(id, staged.household_seq);
        undo.households.push(staged.household_seq);
    }
    for ((pid, p), m) in staged.person_ids.into_iter().zip(&item.prepared).zip(&item.record.members) {
        state.index.insert(pid, staged.household_seq, p.clone());
        state.set_person_meta(pid, &agency.code, m.role);
        undo.persons.push(pid);
    }
}

type StoreResult = Result<(ItemResult, Option<Staged>), diesel::result::Error>;

#[expect(clippy::too_many_arguments, reason = "the writer's parts, borrowed apart so the group loop can keep the rest")]
fn store_item(
    c: &mut DbConn,
    engine: &Engine,
    policy: &OverlapPolicy,
    metrics: &Metrics,
    next: &mut NextIds,
    agency: &AgencyRef,
    item: &Item,
    prematched: Option<Vec<HouseholdMatch>>,
) -> StoreResult {
    let record = &item.record;
    if let Some(existing) = queries::record_by_external(c, &agency.id, &record.external_id)? {
        if existing.body_hash == item.body_hash {
            let answer: Answer = serde_json::from_str(&existing.answer)
                .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
            return Ok((Ok(Outcome::Replayed(answer)), None));
        }
        return Ok((
            Err(ServiceError::Conflict(format!(
                "external_id `{}` was already used by this agency with another body",
                record.external_id
            ))),
            None,
        ));
    }
    let plan = {
        let _timer = metrics.match_seconds.start_timer();
        plan(c, engine, policy, &agency.id, item, prematched)?
    };
    let created_at = now();
    let (household_id, household_seq, new_household) = match plan.target {
        Some((id, seq)) => (id, seq, None),
        None => {
            let seq = next.household;
            next.household += 1;
            let id = new_id();
            queries::insert_household(
                c,
                &HouseholdRow { id: id.clone(), seq: seq as i64, merged_into: None, created_at: created_at.clone() },
            )?;
            (id.clone(), seq, Some(id))
        }
    };
    let record_id = new_id();
    let mut flags = plan.flags;
    for f in &mut flags {
        f.flag_id = Some(new_id());
    }
    let answer = Answer {
        record_id: Some(record_id.clone()),
        household_id: Some(household_id.clone()),
        decision: Decision::from_flags(&flags),
        flags,
    };
    let answer_json =
        serde_json::to_string(&answer).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    queries::insert_record(
        c,
        &RecordRow {
            id: record_id.clone(),
            agency_id: agency.id.clone(),
            external_id: record.external_id.clone(),
            household_id: household_id.clone(),
            body_hash: item.body_hash.clone(),
            answer: answer_json,
            assistance_type: record.aid_type.as_str().to_owned(),
            program: record.program.clone(),
            amount: record.amount,
            currency: record.currency.clone(),
            period_start: record.period_start.clone(),
            period_end: record.period_end.clone(),
            governorate: record.governorate.clone(),
            locality: record.locality.clone(),
            created_at: created_at.clone(),
        },
    )?;
    let mut person_ids = Vec::with_capacity(record.members.len());
    let rows: Vec<PersonRow> = record
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let id = next.person;
            next.person += 1;
            person_ids.push(id);
            PersonRow {
                id: id as i64,
                record_id: record_id.clone(),
                household_id: household_id.clone(),
                position: i as i32,
                role: m.role.as_str().to_owned(),
                name: m.name.clone(),
                national_id: m.national_id.clone(),
                date_of_birth: m.date_of_birth.clone(),
                sex: m.sex.map(|s| s.as_str().to_owned()),
                phone: m.phone.clone(),
            }
        })
        .collect();
    queries::insert_persons(c, &rows)?;
    let flag_rows: Vec<FlagRow> = answer
        .flags
        .iter()
        .map(|f| FlagRow {
            id: f.flag_id.clone().unwrap_or_default(),
            record_id: record_id.clone(),
            household_id: household_id.clone(),
            kind: f.kind.as_str().to_owned(),
            band: f.band.as_str().to_owned(),
            score: f.score,
            matched_household_id: f.matched_household_id.clone(),
            matched_record_id: f.matched_record_id.clone(),
            matched_agency_id: plan.agency_ids.get(f.matched_agency.as_deref().unwrap_or("")).cloned(),
            overlap_type: f.overlap.as_ref().map(|o| o.aid_type.as_str().to_owned()),
            overlap_from: f.overlap.as_ref().map(|o| o.from.clone()),
            overlap_to: f.overlap.as_ref().map(|o| o.to.clone()),
            evidence: serde_json::to_string(&f.evidence).unwrap_or_else(|_| "[]".into()),
            status: "open".into(),
            created_at: created_at.clone(),
        })
        .collect();
    queries::insert_flags(c, &flag_rows)?;
    let staged = Staged { household_seq, new_household, person_ids };
    Ok((Ok(Outcome::Created(answer)), Some(staged)))
}
