//! Intake: validate → prepare → match → overlap → commit → answer.
//!
//! Steps 3 to 5 run on one writer thread that owns its own connection and takes submissions
//! in groups (group commit): each item is matched against the index, which already holds the
//! items before it in the group, and written inside its own savepoint; the group is committed
//! in one transaction; only then are the answers sent. So two agencies posting the same family
//! at the same instant are serialised and the second is flagged, while a burst of posts costs
//! one commit. Reads never take this path.

use std::sync::Arc;
use std::thread;

use bawaba_matching::{Band as MBand, HouseholdMatch, Index, MatchConfig, Matcher, PreparedPerson};
use crossbeam_channel::{Receiver, Sender, bounded};
use diesel::Connection;
use sha2::{Digest, Sha256};

use super::domain::*;
use super::evidence::{evidence, round3};
use super::ids::{new_id, now};
use super::index::{Engine, EngineState, NextIds};
use super::policy::OverlapPolicy;
use crate::metrics::Metrics;
use crate::service::error::ServiceError;
use crate::store::models::{FlagRow, HouseholdRow, PersonRow, RecordRow};
use crate::store::{DbConn, queries};

/// Most items taken into one group commit.
const GROUP_MAX: usize = 2_000;
/// How many candidate households the matcher returns per record.
const MATCH_LIMIT: usize = 10;
/// How many households only possibly the same are raised for review per record (the best
/// ones): more would bury the reviewer, and a household that matters scores among them.
const POSSIBLE_LIMIT: usize = 3;

/// The agency a submission comes from.
#[derive(Debug, Clone)]
pub struct AgencyRef {
    pub id: String,
    pub code: String,
}

/// A validated, prepared record waiting for the writer.
pub struct Item {
    pub record: NewRecord,
    pub body_hash: String,
    pub prepared: Vec<PreparedPerson>,
}

impl Item {
    /// A validated record and its members as the matcher prepared them (see
    /// [`super::validate::record`], which makes both), with the hash that tells a replay.
    pub fn new(record: NewRecord, prepared: Vec<PreparedPerson>) -> Item {
        let canonical = serde_json::to_vec(&record).unwrap_or_default();
        let body_hash = hex::encode(Sha256::digest(&canonical));
        Item { record, body_hash, prepared }
    }
}

/// What became of one submitted item.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Stored now: 201.
    Created(Answer),
    /// Stored before with the same body: 200 with the first answer.
    Replayed(Answer),
}

type ItemResult = Result<Outcome, ServiceError>;

struct Submission {
    agency: AgencyRef,
    items: Vec<Item>,
    reply: Sender<Vec<ItemResult>>,
}

/// Work that must not interleave with intake (merges, dismissals), run alone on the writer.
pub type Exclusive = Box<dyn FnOnce(&mut DbConn, &Engine, &OverlapPolicy) + Send>;

enum Job {
    Submit(Submission),
    Exclusive(Exclusive),
}

/// The handle to the writer thread.
#[derive(Clone)]
pub struct Intake {
    tx: Sender<Job>,
}

impl Intake {
    /// Starts the writer on its own connection.
    pub fn start(
        conn: DbConn,
        engine: Arc<Engine>,
        policy: Arc<OverlapPolicy>,
        metrics: Arc<Metrics>,
        next: NextIds,
    ) -> Intake {
        let (tx, rx) = bounded::<Job>(4_096);
        let guard = Matcher::new(MatchConfig { possible: 1e-4, ..engine.matcher.config.clone() });
        let writer = Writer { conn, engine, policy, metrics, next, guard };
        thread::Builder::new()
            .name("bawaba-writer".into())
            .spawn(move || writer.run(rx))
            .map(drop)
            .unwrap_or_else(|e| tracing::error!(error = %e, "cannot start the intake writer"));
        Intake { tx }
    }

    /// Submits items in order and waits for their outcomes (blocking: call off the async workers).
    pub fn submit(&self, agency: AgencyRef, items: Vec<Item>) -> Vec<ItemResult> {
        let n = items.len();
        let (reply, answer) = bounded(1);
        if self.tx.send(Job::Submit(Submission { agency, items, reply })).is_err() {
            return (0..n).map(|_| Err(ServiceError::Unavailable)).collect();
        }
        answer.recv().unwrap_or_else(|_| (0..n).map(|_| Err(ServiceError::Unavailable)).collect())
    }

    /// Runs `f` on the writer, alone, and returns what it returns (blocking).
    pub fn exclusive<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn, &Engine, &OverlapPolicy) -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let (reply, answer) = bounded(1);
        let job: Exclusive = Box::new(move |c, e, p| {
            let _ = reply.send(f(c, e, p));
        });
        self.tx.send(Job::Exclusive(job)).map_err(|_| ServiceError::Unavailable)?;
        answer.recv().map_err(|_| ServiceError::Unavailable)?
    }
}

struct Writer {
    conn: DbConn,
    engine: Arc<Engine>,
    policy: Arc<OverlapPolicy>,
    metrics: Arc<Metrics>,
    next: NextIds,
    /// Finds earlier items of the same group that an item may match (see `group`).
    guard: Matcher,
}

/// In-memory changes made for a group, undone if its commit fails.
#[derive(Default)]
struct Undo {
    persons: Vec<u64>,
    households: Vec<u64>,
}

impl Writer {
    fn run(mut self, rx: Receiver<Job>) {
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
        state.set_person_meta(pid, &agency.id, m.role);
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
        let state = engine.state.read();
        plan(c, &state, engine, policy, &agency.id, item, prematched)?
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

/// What the matcher and the overlap policy say of a record, before anything is written.
pub struct Plan {
    /// The household the record joins, or `None` for a new one.
    pub target: Option<(String, u64)>,
    /// Flags, without ids.
    pub flags: Vec<FlagOut>,
    /// Agency code → id for the agencies named in `flags`.
    pub agency_ids: std::collections::HashMap<String, String>,
}

/// Matches a record against the index and finds its overlaps. Used by intake (on the writer,
/// inside its transaction) and by check (on a reader connection).
pub fn plan(
    c: &mut DbConn,
    state: &EngineState,
    engine: &Engine,
    policy: &OverlapPolicy,
    agency_id: &str,
    item: &Item,
    prematched: Option<Vec<HouseholdMatch>>,
) -> Result<Plan, diesel::result::Error> {
    let (record, prepared) = (&item.record, &item.prepared);
    let matches =
        prematched.unwrap_or_else(|| engine.matcher.match_household(&state.index, prepared, &|_| false, MATCH_LIMIT));
    let mut matches = matches.into_iter().filter(|m| state.household_id(m.household).is_some());
    let best = matches.next();
    let target = best.as_ref().filter(|m| matches!(m.band, MBand::Certain | MBand::Probable)).map(|m| m.household);
    let mut considered: Vec<(HouseholdMatch, bool)> = Vec::new();
    if let Some(b) = best {
        let joined = Some(b.household) == target;
        considered.push((b, joined));
    }
    let mut possible = usize::from(target.is_none() && !considered.is_empty());
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
        considered.push((m, false));
    }
    let types: Vec<&str> = policy.conflicting(record.aid_type).into_iter().map(AidType::as_str).collect();
    let mut flags = Vec::new();
    let mut agency_ids = std::collections::HashMap::new();
    for (m, joined) in &considered {
        let Some(hh_id) = state.household_id(m.household) else {
            continue;
        };
        let ev = evidence(c, engine, state, m, |i| format!("members[{i}]"))?;
        let (b, score) = (band_of(m.band), round3(m.score));
        if !joined {
            flags.push(FlagOut {
                flag_id: None,
                kind: FlagKind::PossibleSameHousehold,
                band: b,
                score,
                matched_household_id: hh_id.to_owned(),
                matched_record_id: None,
                matched_agency: None,
                overlap: None,
                evidence: ev.clone(),
            });
        }
        let overlapping =
            queries::overlapping_records(c, &[hh_id.to_owned()], &types, &record.period_start, &record.period_end)?;
        if overlapping.is_empty() {
            continue;
        }
        for r in overlapping {
            let code = engine.agency_code(c, &r.agency_id)?;
            agency_ids.insert(code.clone(), r.agency_id.clone());
            let from = r.period_start.as_str().max(record.period_start.as_str()).to_owned();
            let to = r.period_end.as_str().min(record.period_end.as_str()).to_owned();
            flags.push(FlagOut {
                flag_id: None,
                kind: if r.agency_id == agency_id { FlagKind::DuplicateRecord } else { FlagKind::OverlappingAid },
                band: b,
                score,
                matched_household_id: hh_id.to_owned(),
                matched_record_id: Some(r.id),
                matched_agency: Some(code),
                overlap: Some(Overlap {
                    aid_type: AidType::parse(&r.assistance_type).unwrap_or(AidType::Other),
                    from,
                    to,
                }),
                evidence: ev.clone(),
            });
        }
    }
    let target = target.and_then(|seq| state.household_id(seq).map(|id| (id.to_owned(), seq)));
    Ok(Plan { target, flags, agency_ids })
}
