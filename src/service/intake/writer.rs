//! The writer thread: takes submissions in groups, matches each group in parallel against the
//! index, writes every item (in its own savepoint) in transactions of at most `TX_ITEMS` items
//! and about `TX_BUDGET` long, keeps the in-memory index in step, and answers each submission
//! after its last commit.

use std::sync::Arc;

use bawaba_matching::{HouseholdMatch, Matcher};
use std::collections::VecDeque;

use crossbeam_channel::Receiver;
use diesel::Connection;

use super::order::{self, Run, Staged, Undo, apply};
use super::plan::plan;
use super::stored;
use super::{AgencyRef, GROUP_MAX, Item, ItemResult, Job, Outcome, Submission, TX_BUDGET, TX_ITEMS};
use crate::metrics::Metrics;
use crate::service::audit::WriteTurn;
use crate::service::cluster::Cluster;
use crate::service::domain::*;
use crate::service::error::ServiceError;
use crate::service::ids::{new_id, now};
use crate::service::index::{Engine, NextIds};
use crate::service::policy::OverlapPolicy;
use crate::service::vault::{Column, Vault};
use crate::store::models::{EvidenceRow, FlagRow, HouseholdRow, PersonRow, RecordGroupRow, RecordRow};
use crate::store::{DbConn, DbTarget, queries};
use std::sync::Weak;

/// The writer: its own connection, the engine it keeps in step, and the ids it hands out.
pub(super) struct Writer {
    pub(super) conn: DbConn,
    pub(super) engine: Arc<Engine>,
    pub(super) policy: Arc<OverlapPolicy>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) next: NextIds,
    /// Finds earlier items of the same group that an item may match (see `group`).
    pub(super) guard: Matcher,
    /// Each transaction is a turn at the database's write lock (on SQLite, shared with the
    /// audit log's writer).
    pub(super) turn: WriteTurn,
    /// Jobs received while a group was being written, to run next, in order.
    pub(super) backlog: VecDeque<Job>,
    /// Seals national IDs, phones and evidence before they are written.
    pub(super) vault: Arc<Vault>,
    /// Where the connection is opened again (SQLite).
    pub(super) target: DbTarget,
    /// This gateway's role: the writer writes only while it holds it.
    pub(super) cluster: Weak<Cluster>,
    /// A transaction failed: the connection is looked at before the next job.
    pub(super) suspect: bool,
}

/// Why the writer stopped.
pub(super) enum Ended {
    /// The gateway is stopping (its queue is gone).
    Closed,
    /// The writer role was lost (PostgreSQL), or given up because the connection broke: the
    /// intake thread follows again, on this connection if it still answers.
    SteppedDown(Option<DbConn>),
}

/// How often an idle writer looks at its role.
const IDLE: std::time::Duration = std::time::Duration::from_millis(200);

impl Writer {
    pub(super) fn run(mut self, rx: &Receiver<Job>) -> Ended {
        loop {
            if let Some(keep) = self.still_writer() {
                // Jobs kept back are dropped unanswered: their callers are answered 503.
                self.backlog.clear();
                return Ended::SteppedDown(keep.then_some(self.conn));
            }
            let first = match self.backlog.pop_front() {
                Some(job) => job,
                None => match rx.recv_timeout(IDLE) {
                    Ok(job) => job,
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => continue,
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return Ended::Closed,
                },
            };
            // What a job did is not seen here: the connection is looked at after each.
            let first = match first {
                Job::Submit(s) => s,
                other => {
                    self.suspect = true;
                    match other {
                        Job::Exclusive(f) => f(&mut self.conn, &self.engine, &self.policy),
                        Job::Correct(job) => self.correct(*job),
                        Job::WithIds(f) => f(&mut self.conn, &self.engine, &self.policy, &mut self.next),
                        Job::Submit(_) => unreachable!("taken above"),
                    }
                    continue;
                }
            };
            let mut count = first.items.len();
            let mut group = vec![first];
            // More submissions into the group: those kept back first, in order, then new ones;
            // anything else ends the group and runs after it.
            while count < GROUP_MAX {
                let next = match self.backlog.front() {
                    Some(Job::Submit(_)) => self.backlog.pop_front(),
                    Some(_) => break,
                    None => rx.try_recv().ok(),
                };
                match next {
                    Some(Job::Submit(s)) => {
                        count += s.items.len();
                        group.push(s);
                    }
                    Some(other) => {
                        self.backlog.push_back(other);
                        break;
                    }
                    None => break,
                }
            }
            self.group(group);
        }
    }

    /// `None` while this writer may go on writing, else whether its connection is worth keeping. A connection under suspicion (a transaction
    /// failed) is pinged: when it no longer answers, on SQLite it is opened again (one process,
    /// always the writer); on PostgreSQL the role is given up, so that whoever takes it next
    /// (maybe this gateway again) fences this connection off and rebuilds its index from the
    /// database first. A role lost (its lock's connection broke) ends the writer too.
    fn still_writer(&mut self) -> Option<bool> {
        let cluster = self.cluster.upgrade()?;
        let sqlite = self.target.backend == crate::store::Backend::Sqlite;
        if self.suspect {
            use diesel::r2d2::R2D2Connection;
            let broken = self.conn.is_broken() || crate::store::ping(&mut self.conn).is_err();
            self.suspect = false;
            if broken && sqlite {
                match self.target.connect() {
                    Ok(c) => {
                        tracing::warn!("the writer's connection broke: opened again");
                        self.conn = c;
                    }
                    // Looked at again before the next job, which is answered 503 meanwhile.
                    Err(e) => {
                        tracing::error!(error = %e, "the writer's connection broke and cannot be opened again");
                        self.suspect = true;
                    }
                }
            } else if broken {
                tracing::error!("the writer's database connection broke: giving up the writer role until it is back");
                cluster.step_down();
                return Some(false);
            }
        }
        if !sqlite && !cluster.is_writer() {
            return Some(true);
        }
        None
    }

    /// Matches and stores a group of submissions, in transactions of at most [`TX_ITEMS`]
    /// items, and answers each submission once all its items are committed (or refused).
    fn group(&mut self, jobs: Vec<Submission>) {
        let Writer { conn, engine, policy, metrics, next, guard, turn, vault, suspect, .. } = self;
        metrics.group_size.observe(jobs.iter().map(|j| j.items.len()).sum::<usize>() as f64);
        let items: usize = jobs.iter().map(|j| j.items.len()).sum();
        let mut results: Vec<Vec<ItemResult>> = jobs.iter().map(|j| Vec::with_capacity(j.items.len())).collect();
        let mut agencies = Vec::with_capacity(jobs.len());
        let mut replies = Vec::with_capacity(jobs.len());
        let mut queue = Vec::with_capacity(items);
        for (j, job) in jobs.into_iter().enumerate() {
            agencies.push(job.agency);
            replies.push(job.reply);
            queue.extend(job.items.into_iter().map(|item| (j, item)));
        }
        let mut run = Run::default();
        let mut queue = queue.into_iter();
        // Items matched against the index and not yet written, in order (see `order`).
        let mut pending: order::Prematched<usize> = VecDeque::new();
        // The outage an item or a commit met (full, read-only, lost): what is left of the group
        // is answered with it and not tried. SQLite may have rolled the whole transaction back
        // (`SQLITE_FULL`), after which every statement would run in autocommit, stored at once
        // while the answers and the ids handed out said otherwise.
        let mut outage: Option<crate::store::Outage> = None;
        loop {
            if let Some(why) = outage {
                for (j, _, _) in pending.drain(..) {
                    results[j].push(Err(ServiceError::Store(why)));
                }
                for (j, _) in queue.by_ref() {
                    results[j].push(Err(ServiceError::Store(why)));
                }
                break;
            }
            if pending.is_empty() {
                let chunk: Vec<_> = queue.by_ref().take(TX_ITEMS).collect();
                if chunk.is_empty() {
                    break;
                }
                let started = std::time::Instant::now();
                pending = order::prematch(engine, chunk);
                // The guard looks only at what the index did not hold when the chunk was matched.
                run.restart();
                let per_item = started.elapsed().as_secs_f64() / pending.len() as f64;
                for _ in 0..pending.len() {
                    metrics.prematch_seconds.observe(per_item);
                }
            }
            let mut undo = Undo::default();
            let saved_next = *next;
            let mut out: Vec<(usize, ItemResult)> = Vec::with_capacity(pending.len());
            let timer = metrics.commit_seconds.start_timer();
            let my_turn = turn.take();
            let mut met = None;
            let committed = conn.transaction::<_, diesel::result::Error, _>(|c| {
                crate::store::lock_for_write(c)?;
                // A transaction ends after `TX_BUDGET` (or when the matched items run out), so
                // the audit log's writer waits at most about that long behind a large batch.
                let began = std::time::Instant::now();
                while began.elapsed() < TX_BUDGET {
                    let Some((j, item, pre)) = pending.pop_front() else { break };
                    let pre = run.fresh(guard, &item, pre);
                    let agency = &agencies[j];
                    // The outage behind a failed item, as first seen: SQLite may roll the whole
                    // transaction back on SQLITE_FULL, and the savepoint's rollback then fails
                    // with an error that no longer says why.
                    let mut seen = None;
                    let r = c.transaction(|sp| {
                        let r = store_item(sp, engine, policy, metrics, vault, next, agency, &item, pre.clone());
                        if let Err(e) = &r {
                            seen = crate::store::Outage::of(e);
                        }
                        r
                    });
                    let failed_by = match &r {
                        Err(e) => seen.or_else(|| crate::store::Outage::of(e)),
                        Ok(_) => None,
                    };
                    // Whether the transaction still stands after a failed item (a connection
                    // in a transaction counts as "broken" to the pool): SQLite ends it on its
                    // own on some failures, and what follows would run in autocommit.
                    let gone = r.is_err() && {
                        use diesel::r2d2::R2D2Connection;
                        !c.is_broken()
                    };
                    if let (true, Err(e)) = (gone, &r) {
                        tracing::warn!(error = %e, outage = ?failed_by, "the database ended the transaction on its own");
                    }
                    out.push((
                        j,
                        match r {
                            Ok((outcome, staged)) => {
                                if let Some(staged) = staged {
                                    run.note(&staged.person_ids, staged.household_seq, &item);
                                    apply(engine, staged, agency, &item, Some(&mut undo));
                                }
                                outcome
                            }
                            // An outage (full, read-only, lost) is a 503; the item's savepoint
                            // is rolled back, so nothing of it is stored.
                            Err(e) => Err(match failed_by {
                                Some(outage) => ServiceError::Store(outage),
                                // The database's doing, not the item's: no 500.
                                None if gone => ServiceError::Unavailable,
                                None => ServiceError::from(e),
                            }),
                        },
                    ));
                    // No item after an outage: the transaction may be gone (see `outage`). What
                    // is before is committed if it still stands; the commit says if it does not.
                    if failed_by.is_some() || gone {
                        met = failed_by;
                        break;
                    }
                }
                Ok(())
            });
            drop(my_turn);
            outage = met;
            if let Err(e) = committed {
                // A commit after SQLite rolled back on its own fails as "not in a transaction":
                // the outage the item met says why.
                let why = crate::store::Outage::of(&e).or(met);
                tracing::error!(error = %e, outage = ?why, "a commit failed; its items are answered 503");
                outage = outage.or(why);
                undo.undo(engine);
                *next = saved_next;
                *suspect = true;
                for (_, r) in &mut out {
                    if matches!(r, Ok(Outcome::Created(_))) {
                        *r = Err(why.map_or(ServiceError::Unavailable, ServiceError::Store));
                    }
                }
                // A transaction that failed before it took an item (its write lock refused on a
                // full or read-only file) would be tried again at once, for ever: the items
                // waiting are answered with its outage instead, each stored not at all.
                if out.is_empty() {
                    for (j, _, _) in pending.drain(..) {
                        out.push((j, Err(why.map_or(ServiceError::Unavailable, ServiceError::Store))));
                    }
                }
            } else {
                timer.observe_duration();
                for (_, r) in &out {
                    if let Ok(Outcome::Created(a)) = r {
                        metrics.records_stored.inc();
                        for f in &a.flags {
                            metrics.flags_raised.with_label_values(&[f.kind.as_str()]).inc();
                        }
                    }
                }
            }
            for (j, r) in out {
                results[j].push(r);
            }
        }
        for (reply, r) in replies.into_iter().zip(results) {
            let _ = reply.send(r);
        }
    }
}

/// The answer stored for a record, its evidence put back from the flags' rows.
pub(super) fn replayed_answer(
    c: &mut DbConn,
    vault: &Vault,
    existing: RecordRow,
) -> Result<Answer, diesel::result::Error> {
    let mut answer: Answer =
        serde_json::from_str(&existing.answer).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    let stored = queries::flags_of_record(c, &existing.id)?;
    for f in &mut answer.flags {
        if let Some(row) = stored.iter().find(|r| Some(&r.id) == f.flag_id.as_ref())
            && let Some(evidence) = vault.open_evidence(&row.evidence).ok().and_then(|e| serde_json::from_str(&e).ok())
        {
            f.evidence = evidence;
        }
    }
    // The codes as they stand (resolved again since, or stored before codes were kept).
    answer.governorate_code = existing.governorate_code;
    answer.locality_code = existing.locality_code;
    Ok(answer)
}

type StoreResult = Result<(ItemResult, Option<Staged>), diesel::result::Error>;

#[expect(clippy::too_many_arguments, reason = "the writer's parts, borrowed apart so the group loop can keep the rest")]
fn store_item(
    c: &mut DbConn,
    engine: &Engine,
    policy: &OverlapPolicy,
    metrics: &Metrics,
    vault: &Vault,
    next: &mut NextIds,
    agency: &AgencyRef,
    item: &Item,
    prematched: Option<Vec<HouseholdMatch>>,
) -> StoreResult {
    let record = &item.record;
    if let Some(existing) = queries::record_by_external(c, &agency.id, &record.external_id)? {
        if existing.body_hash == vault.body_hash(&item.body_hash) {
            return Ok((Ok(Outcome::Replayed(replayed_answer(c, vault, existing)?)), None));
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
        plan(engine, policy, &agency.id, item, prematched)
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
        governorate_code: record.governorate_code.clone(),
        locality_code: record.locality_code.clone(),
    };
    let answer_json =
        stored::answer_json(&answer).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let place = stored::RecordPlace {
        id: &record_id,
        agency_id: &agency.id,
        household_id: &household_id,
        created_at: &created_at,
    };
    queries::insert_record(c, &stored::record_row(place, record, vault.body_hash(&item.body_hash), answer_json))?;
    let person_ids = write_members_and_flags(
        c,
        vault,
        next,
        &record_id,
        &household_id,
        record,
        &answer.flags,
        &plan.agency_ids,
        &created_at,
        &[],
    )?;
    let staged = Staged { household_seq, new_household, person_ids, record_id };
    Ok((Ok(Outcome::Created(answer)), Some(staged)))
}

/// Writes a record's members (national ID and phone sealed, with their hashes), the evidence of
/// its matches (sealed, once per matched household) and its flags; returns the members' ids.
/// Shared by intake and correction.
#[expect(clippy::too_many_arguments, reason = "the parts of one record's rows, borrowed apart")]
pub(super) fn write_members_and_flags(
    c: &mut DbConn,
    vault: &Vault,
    next: &mut NextIds,
    record_id: &str,
    household_id: &str,
    record: &NewRecord,
    flags: &[FlagOut],
    agency_ids: &std::collections::HashMap<String, String>,
    created_at: &str,
    kept: &[String],
) -> Result<Vec<u64>, diesel::result::Error> {
    let mut person_ids = Vec::with_capacity(record.members.len());
    let rows: Vec<PersonRow> = record
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let id = next.person;
            next.person += 1;
            person_ids.push(id);
            vault.seal_person(PersonRow {
                id: id as i64,
                record_id: record_id.to_owned(),
                household_id: household_id.to_owned(),
                position: i as i32,
                role: m.role.as_str().to_owned(),
                name: m.name.clone(),
                national_id: m.national_id.clone(),
                date_of_birth: m.date_of_birth.clone(),
                sex: m.sex.map(|s| s.as_str().to_owned()),
                phone: m.phone.clone(),
                national_id_hash: None,
                phone_hash: None,
                groups: crate::service::planning::write_groups(&m.groups),
            })
        })
        .collect();
    queries::insert_persons(c, &rows)?;
    // The groups the household falls in by this record, posted and derived: what coverage
    // counts by (see `service::planning`).
    let groups: Vec<RecordGroupRow> = crate::service::planning::record_groups(record)
        .into_iter()
        .map(|g| RecordGroupRow { record_id: record_id.to_owned(), grp: g.as_str().to_owned() })
        .collect();
    crate::store::planning::insert_record_groups(c, &groups)?;
    // The evidence of a match is stored once, shared by the flags it explains (a household
    // matched once may overlap several agencies' aid).
    let mut evidence_rows: Vec<EvidenceRow> = Vec::new();
    let mut evidence_of: Vec<(&str, String)> = Vec::new();
    let mut flag_rows: Vec<FlagRow> = Vec::with_capacity(flags.len());
    for f in flags {
        let evidence_id = match evidence_of.iter().find(|(h, _)| *h == f.matched_household_id) {
            Some((_, id)) => id.clone(),
            None => {
                let id = new_id();
                evidence_rows.push(EvidenceRow {
                    id: id.clone(),
                    body: vault
                        .seal(Column::Evidence, &serde_json::to_string(&f.evidence).unwrap_or_else(|_| "[]".into())),
                });
                evidence_of.push((&f.matched_household_id, id.clone()));
                id
            }
        };
        flag_rows.push(FlagRow {
            id: f.flag_id.clone().unwrap_or_default(),
            record_id: record_id.to_owned(),
            household_id: household_id.to_owned(),
            kind: f.kind.as_str().to_owned(),
            band: f.band.as_str().to_owned(),
            score: f.score,
            matched_household_id: f.matched_household_id.clone(),
            matched_record_id: f.matched_record_id.clone(),
            matched_agency_id: agency_ids.get(f.matched_agency.as_deref().unwrap_or("")).cloned(),
            overlap_type: f.overlap.as_ref().map(|o| o.aid_type.as_str().to_owned()),
            overlap_from: f.overlap.as_ref().map(|o| o.from.clone()),
            overlap_to: f.overlap.as_ref().map(|o| o.to.clone()),
            evidence: String::new(),
            status: FlagStatus::Open.as_str().to_owned(),
            created_at: created_at.to_owned(),
            matched_records: f.matched_records.map(|n| n as i32),
            evidence_id: Some(evidence_id),
        });
    }
    queries::insert_evidence(c, &evidence_rows)?;
    // Flags a correction still supports are already stored: brought up to date, not raised again.
    let (refreshed, raised): (Vec<FlagRow>, Vec<FlagRow>) = flag_rows.into_iter().partition(|f| kept.contains(&f.id));
    for f in &refreshed {
        queries::refresh_flag(c, f)?;
    }
    queries::insert_flags(c, &raised)?;
    Ok(person_ids)
}
