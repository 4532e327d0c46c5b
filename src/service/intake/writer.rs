//! The writer thread: takes submissions in groups, matches each group in parallel against the
//! index, and writes the items in transactions of at most `TX_ITEMS` items and about
//! `TX_BUDGET` long. A transaction looks up its items' external ids in one statement (one per
//! agency on SQLite), plans its new records against the engine (keeping it in step, so each item sees
//! the ones before), and writes their rows last, one multi-row statement per table (a `COPY`
//! on PostgreSQL for many rows; there a transaction of a few records writes every table in
//! one statement, `store::unnest`): about ten statements a transaction (on PostgreSQL a
//! single post's is four round trips: begin, the external ids, the rows, commit), where a
//! savepoint per item cost about nine an item (on PostgreSQL, round trips were the whole
//! cost). A transaction that fails for one of its items
//! is taken again one item per transaction, so one bad item cannot sink the others; one that
//! fails for the database's reason (full, read-only, lost) is answered 503 with what follows.
//! Each submission is answered after its last commit, as soon as that commit is done (not at
//! the end of its group). While a transaction writes its rows and commits (the writer thread
//! alone, on one core), the next chunk is matched on the pool, its items in the index by then
//! ([`Ahead`]); a chunk holds about what one transaction takes. When the group has no more
//! items, the submissions that came meanwhile join it (`absorb`), so that single posts under
//! load are matched beside a commit too, rather than after it on the writer's time.

use std::sync::Arc;

use bawaba_matching::{HouseholdMatch, Matcher};
use std::collections::{HashMap, VecDeque};

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
use crate::store::models::{AuditRow, EvidenceRow, FlagRow, HouseholdRow, PersonRow, RecordGroupRow, RecordRow};
use crate::store::queries::NewRows;
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
                Job::Submit(s) => *s,
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
            // More submissions into the group: those kept back first, in order, then new ones;
            // anything else ends the group and runs after it.
            let room = GROUP_MAX.saturating_sub(first.items.len());
            let mut group = vec![first];
            group.extend(absorb(&mut self.backlog, rx, room));
            self.group(group, rx);
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
    /// items, and answers each submission as soon as all its items are committed (or refused).
    /// The group takes in submissions that arrive while it is written (up to [`GROUP_MAX`]
    /// items in all): they are matched on the pool while the transaction before them writes
    /// and commits, rather than after it, on the writer's time (see `absorb`).
    fn group(&mut self, jobs: Vec<Submission>, rx: &Receiver<Job>) {
        let Writer { conn, engine, policy, metrics, next, guard, turn, vault, suspect, backlog, .. } = self;
        // The engine shared, for the chunk matched ahead on the pool (`Ahead`).
        let shared: &Arc<Engine> = engine;
        let (engine, metrics): (&Engine, &Metrics) = (shared, metrics);
        let parts = Parts { engine, policy, metrics, vault, guard };
        let mut queue: VecDeque<(usize, Item)> = VecDeque::new();
        let mut g = Joined::default();
        g.join(jobs, &mut queue);
        let mut run = Run::default();
        // Items matched against the index and not yet written, in order (see `order`).
        let mut pending: order::Prematched<usize> = VecDeque::new();
        // The next chunk, being matched on the pool while a transaction writes its rows (see
        // `Ahead`), and how many items a chunk holds: about what one transaction takes.
        let mut ahead: Option<Ahead> = None;
        let mut chunk_items = TX_ITEMS;
        // The outage an item or a commit met (full, read-only, lost): what is left of the group
        // is answered with it and not tried. SQLite may have rolled the whole transaction back
        // (`SQLITE_FULL`), after which every statement would run in autocommit, stored at once
        // while the answers and the ids handed out said otherwise.
        let mut outage: Option<crate::store::Outage> = None;
        // How many items at the head of `pending` are taken one per transaction: those of a
        // transaction that failed for one of them, so that one bad item cannot sink the others.
        let mut alone = 0usize;
        loop {
            // Those whose last item the transaction before took are answered now, not at the
            // end of the group.
            g.answer(false);
            if let Some(why) = outage {
                for (j, _, _) in pending.drain(..) {
                    g.results[j].push(Err(ServiceError::Store(why)));
                }
                for (j, _) in queue.drain(..) {
                    g.results[j].push(Err(ServiceError::Store(why)));
                }
                break;
            }
            if pending.is_empty() {
                let (matched, took) = match ahead.take() {
                    // Matched while the last transaction wrote: after its items were in the
                    // index, and nothing was taken since.
                    Some(a) => a.wait(),
                    None => {
                        let chunk: Vec<_> = queue.drain(..chunk_items.min(queue.len())).collect();
                        if chunk.is_empty() {
                            break;
                        }
                        let started = std::time::Instant::now();
                        (order::prematch(engine, chunk), started.elapsed())
                    }
                };
                pending = matched;
                // The guard looks only at what the index did not hold when the chunk was matched.
                run.restart();
                let per_item = took.as_secs_f64() / pending.len().max(1) as f64;
                for _ in 0..pending.len() {
                    metrics.prematch_seconds.observe(per_item);
                }
            }
            let mut slice = slice(&mut pending, &g.agencies, if alone > 0 { 1 } else { TX_ITEMS });
            alone = alone.saturating_sub(1);
            let mut undo = Undo::default();
            let saved_next = *next;
            let mut out: Vec<(usize, ItemResult)> = Vec::with_capacity(slice.len());
            // The items the transaction took, kept to be taken again if it fails.
            let mut taken: Vec<(usize, Item)> = Vec::with_capacity(slice.len());
            let timer = metrics.commit_seconds.start_timer();
            let my_turn = turn.take();
            // The outage behind a failure, as first seen: SQLite may roll the whole transaction
            // back on `SQLITE_FULL`, and the rollback then fails with an error that no longer
            // says why.
            let mut seen = None;
            let committed = conn.transaction::<_, diesel::result::Error, _>(|c| {
                let step = Step {
                    agencies: &g.agencies,
                    audits: &g.audits,
                    run: &mut run,
                    undo: &mut undo,
                    out: &mut out,
                    taken: &mut taken,
                };
                let r = take(c, &parts, next, step, &mut slice).and_then(|rows| {
                    // Every item matched so far is now in the index: the next chunk is matched
                    // on the pool while this transaction writes its rows and commits. A
                    // transaction cut short by its budget says how many items the next takes.
                    if slice.len() > 0 {
                        chunk_items = out.len().max(1);
                    } else if pending.is_empty() {
                        // Submissions that came while this group was matched and taken join
                        // it, to be matched while this transaction writes.
                        if queue.is_empty() {
                            g.join(absorb(backlog, rx, GROUP_MAX.saturating_sub(g.items)), &mut queue);
                        }
                        if !queue.is_empty() {
                            chunk_items = (chunk_items + chunk_items / 4 + 1).min(TX_ITEMS);
                            let chunk = queue.drain(..chunk_items.min(queue.len())).collect();
                            ahead = Some(Ahead::start(shared, chunk));
                        }
                    }
                    queries::insert_new_rows(c, &rows)
                });
                if let Err(e) = &r {
                    seen = crate::store::Outage::of(e);
                }
                r
            });
            drop(my_turn);
            // What the transaction left for want of time goes first into the next, in order.
            for left in slice.rev() {
                pending.push_front(left);
            }
            match committed {
                Ok(()) => {
                    timer.observe_duration();
                    for (_, r) in &out {
                        if let Ok(Outcome::Created(a)) = r {
                            metrics.records_stored.inc();
                            for f in &a.flags {
                                metrics.flags_raised.with_label_values(&[f.kind.as_str()]).inc();
                            }
                        }
                    }
                    for (j, r) in out {
                        g.results[j].push(r);
                    }
                }
                Err(e) => {
                    // The next chunk was matched against items now taken back: it goes back
                    // to the queue, to be matched again.
                    if let Some(a) = ahead.take() {
                        for (j, item, _) in a.wait().0.into_iter().rev() {
                            queue.push_front((j, item));
                        }
                    }
                    // Nothing of the transaction is stored: the engine and the ids go back.
                    undo.undo(engine);
                    *next = saved_next;
                    *suspect = true;
                    // A commit after SQLite rolled back on its own fails as "not in a
                    // transaction": the outage first seen says why.
                    let why = crate::store::Outage::of(&e).or(seen);
                    if let Some(why) = why {
                        tracing::error!(error = %e, outage = ?why, "a transaction failed; its items and the rest are answered 503");
                        outage = Some(why);
                        for (j, _) in taken {
                            g.results[j].push(Err(ServiceError::Store(why)));
                        }
                    } else if taken.len() > 1 {
                        tracing::warn!(error = %e, items = taken.len(), "a transaction failed; its items are taken again one by one");
                        alone = taken.len();
                        for (j, item) in taken.into_iter().rev() {
                            pending.push_front((j, item, None));
                        }
                    } else if let Some((j, _)) = taken.pop() {
                        // The item's own failure; or, when the transaction no longer stands
                        // (SQLite ended it on its own), the database's doing: no 500.
                        let gone = {
                            use diesel::r2d2::R2D2Connection;
                            conn.is_broken()
                        };
                        if gone {
                            tracing::warn!(error = %e, "the database ended the transaction on its own");
                        }
                        g.results[j].push(Err(if gone { ServiceError::Unavailable } else { ServiceError::from(e) }));
                    } else {
                        // A transaction that failed before it took an item would be tried again
                        // at once, for ever: the items waiting are answered instead, each stored
                        // not at all.
                        tracing::error!(error = %e, "a transaction failed before it took an item; its items are answered 503");
                        alone = 0;
                        for (j, _, _) in pending.drain(..) {
                            g.results[j].push(Err(ServiceError::Unavailable));
                        }
                    }
                }
            }
        }
        g.answer(true);
        metrics.group_size.observe(g.items as f64);
    }
}

/// The submissions a group has taken in, by their index in the group: each one's agency,
/// audit event, the outcomes of its items so far and where to answer.
#[derive(Default)]
struct Joined {
    agencies: Vec<AgencyRef>,
    audits: Vec<Option<AuditRow>>,
    results: Vec<Vec<ItemResult>>,
    /// Each submission's reply (until it is answered) and how many items it holds.
    replies: Vec<(Option<crossbeam_channel::Sender<Vec<ItemResult>>>, usize)>,
    /// The submissions before this one are answered.
    answered: usize,
    /// Items taken in, in all.
    items: usize,
}

impl Joined {
    /// Takes `jobs` into the group, their items at the end of `queue`.
    fn join(&mut self, jobs: Vec<Submission>, queue: &mut VecDeque<(usize, Item)>) {
        for job in jobs {
            let j = self.agencies.len();
            self.items += job.items.len();
            self.agencies.push(job.agency);
            self.audits.push(job.audit);
            self.results.push(Vec::with_capacity(job.items.len()));
            self.replies.push((Some(job.reply), job.items.len()));
            queue.extend(job.items.into_iter().map(|item| (j, item)));
        }
    }

    /// Answers, in order, the submissions whose items all have their outcome (all that are
    /// left when `all`).
    fn answer(&mut self, all: bool) {
        while let Some((reply, items)) = self.replies.get_mut(self.answered) {
            if !all && self.results[self.answered].len() < *items {
                break;
            }
            if let Some(reply) = reply.take() {
                let _ = reply.send(std::mem::take(&mut self.results[self.answered]));
            }
            self.answered += 1;
        }
    }
}

/// Submissions waiting to be written, kept back or newly arrived, in order, while fewer than
/// `room` items are taken (the last may take it past); stops at the first job of another kind,
/// which is kept back to run after the group.
fn absorb(backlog: &mut VecDeque<Job>, rx: &Receiver<Job>, room: usize) -> Vec<Submission> {
    let mut came = Vec::new();
    let mut items = 0;
    while items < room {
        let next = match backlog.front() {
            Some(Job::Submit(_)) => backlog.pop_front(),
            Some(_) => break,
            None => rx.try_recv().ok(),
        };
        match next {
            Some(Job::Submit(s)) => {
                items += s.items.len();
                came.push(*s);
            }
            Some(other) => {
                backlog.push_back(other);
                break;
            }
            None => break,
        }
    }
    came
}

/// A chunk of items being matched on the pool (`order::prematch`) while the writer's
/// transaction writes its rows and commits: on SQLite the writer thread alone writes, and
/// matching the next chunk only after the commit left the other core idle meanwhile.
struct Ahead(crossbeam_channel::Receiver<(std::thread::Result<order::Prematched<usize>>, std::time::Duration)>);

impl Ahead {
    fn start(engine: &Arc<Engine>, chunk: Vec<(usize, Item)>) -> Ahead {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let engine = Arc::clone(engine);
        rayon::spawn(move || {
            let started = std::time::Instant::now();
            // Caught here and raised again on the writer's thread: a panic left on the pool
            // would abort the process (rayon's default for a spawned job).
            let matched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| order::prematch(&engine, chunk)));
            let _ = tx.send((matched, started.elapsed()));
        });
        Ahead(rx)
    }

    /// The chunk, matched, and how long that took. A panic of matching on the pool is raised
    /// here, as one on the writer's own call to match would be.
    fn wait(self) -> (order::Prematched<usize>, std::time::Duration) {
        let (matched, took) = self.0.recv().expect("the pool's job sends before it ends");
        (matched.unwrap_or_else(|e| std::panic::resume_unwind(e)), took)
    }
}

/// The writer's parts an item needs, borrowed apart from its connection and id counters.
struct Parts<'a> {
    engine: &'a Engine,
    policy: &'a OverlapPolicy,
    metrics: &'a Metrics,
    vault: &'a Vault,
    /// Finds earlier items of the same run that an item may match (see `order`).
    guard: &'a Matcher,
}

/// What one transaction of a group works on besides its items.
struct Step<'a> {
    agencies: &'a [AgencyRef],
    /// Each submission's audit event for the records it stores (see `Intake::send`).
    audits: &'a [Option<AuditRow>],
    run: &'a mut Run,
    undo: &'a mut Undo,
    /// Each item's outcome, as the transaction takes it (valid once it commits).
    out: &'a mut Vec<(usize, ItemResult)>,
    taken: &'a mut Vec<(usize, Item)>,
}

/// The items one transaction takes from the head of `pending`: at most `most`, and no two of
/// one agency under one external id (the second must find the first stored, to replay it or
/// refuse it, so it waits for the next transaction).
fn slice(
    pending: &mut order::Prematched<usize>,
    agencies: &[AgencyRef],
    most: usize,
) -> std::vec::IntoIter<(usize, Item, Option<Vec<HouseholdMatch>>)> {
    let mut keys = std::collections::HashSet::new();
    let mut slice = Vec::with_capacity(most.min(pending.len()));
    while slice.len() < most {
        let Some((j, item, _)) = pending.front() else { break };
        if !keys.insert((agencies[*j].id.as_str(), item.record.external_id.clone())) {
            break;
        }
        slice.extend(pending.pop_front());
    }
    slice.into_iter()
}

/// One transaction of a group: takes the write lock, looks up the items' external ids (one
/// statement; on SQLite one per agency), then takes the items in order while [`TX_BUDGET`] lasts (at least
/// one; what is left stays in `slice`): a replay or a conflict is answered from what is
/// stored; a new record is planned against the engine, given its ids and the engine updated
/// (so the next item sees it). Then the new records' rows are made ([`build_rows`], on the pool
/// for many) and written last, one multi-row statement per table: a few round trips for the
/// transaction, where each item cost about nine.
fn take(
    c: &mut DbConn,
    p: &Parts<'_>,
    next: &mut NextIds,
    step: Step<'_>,
    slice: &mut std::vec::IntoIter<(usize, Item, Option<Vec<HouseholdMatch>>)>,
) -> Result<NewRows, diesel::result::Error> {
    let Step { agencies, audits, run, undo, out, taken } = step;
    crate::store::lock_for_write(c)?;
    let mut stored: HashMap<(String, String), RecordRow> = HashMap::new();
    let asked: Vec<(&str, &str)> = slice
        .as_slice()
        .iter()
        .map(|(j, item, _)| (agencies[*j].id.as_str(), item.record.external_id.as_str()))
        .collect();
    for row in queries::records_by_external(c, &asked)? {
        stored.insert((row.agency_id.clone(), row.external_id.clone()), row);
    }
    // The budget counts from the first item: the look-up is bounded by the slice.
    let began = std::time::Instant::now();
    let mut rows = NewRows::default();
    // The new records' rows, made once the items are taken (see `build_rows`).
    let mut builds: Vec<Build> = Vec::new();
    while taken.is_empty() || began.elapsed() < TX_BUDGET {
        let Some((j, item, pre)) = slice.next() else { break };
        let agency = &agencies[j];
        let before = stored.remove(&(agency.id.clone(), item.record.external_id.clone()));
        let outcome = match before {
            Some(existing) => stored_before(c, p.vault, &item, existing)?,
            None => {
                let pre = run.fresh(p.guard, &item, pre);
                let (answer, staged, build) = stage(p, next, agency, &item, pre, &mut rows, taken.len());
                builds.push(build);
                if let Some(event) = &audits[j] {
                    rows.audits.push(AuditRow {
                        id: new_id(),
                        at: now(),
                        target: answer.record_id.clone(),
                        detail: answer.household_id.as_ref().map(|h| format!("household={h}")),
                        ..event.clone()
                    });
                }
                run.note(&staged.person_ids, staged.household_seq, &item);
                apply(p.engine, staged, agency, &item, Some(undo));
                Ok(Outcome::Created(answer))
            }
        };
        out.push((j, outcome));
        taken.push((j, item));
    }
    build_rows(p.vault, builds, taken, out, &mut rows)?;
    Ok(rows)
}

/// What a new record's rows are made from besides its item and answer: the ids [`stage`]
/// handed out, in order, on the writer.
struct Build {
    /// Where its item and answer are, in the transaction's `taken` and `out`.
    at: usize,
    record_id: String,
    household_id: String,
    agency_id: String,
    created_at: String,
    person_ids: Vec<u64>,
    /// The matched agencies' ids by code, for the flags' rows.
    agency_ids: HashMap<String, String>,
}

/// Fewest new records whose rows are made on the pool rather than on the writer alone: below
/// it, handing them over costs more than it saves.
const PARALLEL_ROWS: usize = 16;

/// Makes the taken records' rows (the record with its stored answer; its members, sealed;
/// groups; evidence, packed and sealed; flags) and adds them to `rows`, in the items' order.
/// Each record's rows depend only on its own item, answer and ids, so a transaction's many are
/// made on the pool, which is idle while the writer takes items (the next chunk is matched
/// only once they are taken); made on the writer alone, they were about a third of `take`'s
/// time (a tenth of the writer's in a batch).
fn build_rows(
    vault: &Vault,
    builds: Vec<Build>,
    taken: &[(usize, Item)],
    out: &[(usize, ItemResult)],
    rows: &mut NewRows,
) -> Result<(), diesel::result::Error> {
    use rayon::prelude::*;
    let one = |b: &Build, into: &mut NewRows| -> Result<(), diesel::result::Error> {
        let (Some((_, item)), Some((_, Ok(Outcome::Created(answer))))) = (taken.get(b.at), out.get(b.at)) else {
            unreachable!("a new record's item and answer are where `take` put them")
        };
        let answer_json =
            stored::answer_json(answer).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        let place = stored::RecordPlace {
            id: &b.record_id,
            agency_id: &b.agency_id,
            household_id: &b.household_id,
            created_at: &b.created_at,
        };
        into.records.push(stored::record_row(place, &item.record, vault.body_hash(&item.body_hash), answer_json));
        let of = Of { record_id: &b.record_id, household_id: &b.household_id, created_at: &b.created_at };
        member_and_flag_rows(vault, &b.person_ids, of, &item.record, &answer.flags, &b.agency_ids, into);
        Ok(())
    };
    if builds.len() < PARALLEL_ROWS {
        return builds.iter().try_for_each(|b| one(b, rows));
    }
    let made: Vec<NewRows> = builds
        .par_iter()
        .map(|b| {
            let mut made = NewRows::default();
            one(b, &mut made).map(|()| made)
        })
        .collect::<Result<_, _>>()?;
    for m in made {
        rows.records.extend(m.records);
        rows.persons.extend(m.persons);
        rows.groups.extend(m.groups);
        rows.evidence.extend(m.evidence);
        rows.flags.extend(m.flags);
    }
    Ok(())
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

/// What an item is when its agency stored a record under its external id before: a replay
/// (the same body: the first answer) or a conflict.
fn stored_before(
    c: &mut DbConn,
    vault: &Vault,
    item: &Item,
    existing: RecordRow,
) -> Result<ItemResult, diesel::result::Error> {
    if existing.body_hash == vault.body_hash(&item.body_hash) {
        return Ok(Ok(Outcome::Replayed(replayed_answer(c, vault, existing)?)));
    }
    Ok(Err(ServiceError::Conflict(format!(
        "external_id `{}` was already used by this agency with another body",
        item.record.external_id
    ))))
}

/// Plans a new record and hands out its ids (its household's row, when new, goes into `rows`);
/// returns its answer, what it adds to the engine and what its other rows are made from
/// ([`build_rows`]), its item being the transaction's `at`-th.
fn stage(
    p: &Parts<'_>,
    next: &mut NextIds,
    agency: &AgencyRef,
    item: &Item,
    prematched: Option<Vec<HouseholdMatch>>,
    rows: &mut NewRows,
    at: usize,
) -> (Answer, Staged, Build) {
    let record = &item.record;
    let plan = {
        let _timer = p.metrics.match_seconds.start_timer();
        plan(p.engine, p.policy, &agency.id, item, prematched)
    };
    let created_at = now();
    let (household_id, household_seq, new_household) = match plan.target {
        Some((id, seq)) => (id, seq, None),
        None => {
            let seq = next.household;
            next.household += 1;
            let id = new_id();
            rows.households.push(HouseholdRow {
                id: id.clone(),
                seq: seq as i64,
                merged_into: None,
                created_at: created_at.clone(),
            });
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
    let person_ids = person_ids(next, record.members.len());
    let build = Build {
        at,
        record_id: record_id.clone(),
        household_id,
        agency_id: agency.id.clone(),
        created_at,
        person_ids: person_ids.clone(),
        agency_ids: plan.agency_ids,
    };
    let staged = Staged { household_seq, new_household, person_ids, record_id };
    (answer, staged, build)
}

/// Hands out the ids of a record's `n` members, in order.
fn person_ids(next: &mut NextIds, n: usize) -> Vec<u64> {
    let first = next.person;
    next.person += n as u64;
    (first..next.person).collect()
}

/// Whose rows [`member_and_flag_rows`] makes.
struct Of<'a> {
    record_id: &'a str,
    household_id: &'a str,
    created_at: &'a str,
}

/// Gathers a record's members under `person_ids` (national ID and phone sealed, with their
/// hashes), its groups, the evidence of its matches (sealed, once per matched household) and
/// its flags into `rows`.
fn member_and_flag_rows(
    vault: &Vault,
    person_ids: &[u64],
    of: Of<'_>,
    record: &NewRecord,
    flags: &[FlagOut],
    agency_ids: &std::collections::HashMap<String, String>,
    rows: &mut NewRows,
) {
    let Of { record_id, household_id, created_at } = of;
    rows.persons.extend(record.members.iter().zip(person_ids).enumerate().map(|(i, (m, id))| {
        vault.seal_person(PersonRow {
            id: *id as i64,
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
    }));
    // The groups the household falls in by this record, posted and derived: what coverage
    // counts by (see `service::planning`).
    rows.groups.extend(
        crate::service::planning::record_groups(record)
            .into_iter()
            .map(|g| RecordGroupRow { record_id: record_id.to_owned(), grp: g.as_str().to_owned() }),
    );
    // The evidence of a match is stored once, shared by the flags it explains (a household
    // matched once may overlap several agencies' aid).
    let mut evidence_of: Vec<(&str, String)> = Vec::new();
    for f in flags {
        let evidence_id = match evidence_of.iter().find(|(h, _)| *h == f.matched_household_id) {
            Some((_, id)) => id.clone(),
            None => {
                let id = new_id();
                rows.evidence.push(EvidenceRow {
                    id: id.clone(),
                    body: vault
                        .seal(Column::Evidence, &serde_json::to_string(&f.evidence).unwrap_or_else(|_| "[]".into())),
                });
                evidence_of.push((&f.matched_household_id, id.clone()));
                id
            }
        };
        rows.flags.push(FlagRow {
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
}

/// Writes a corrected record's members, groups, evidence and flags (see
/// [`member_and_flag_rows`]); its flags named in `kept` are already stored, and are brought up
/// to date rather than raised again. Returns the members' ids.
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
    let mut rows = NewRows::default();
    let of = Of { record_id, household_id, created_at };
    let person_ids = person_ids(next, record.members.len());
    member_and_flag_rows(vault, &person_ids, of, record, flags, agency_ids, &mut rows);
    let (refreshed, raised): (Vec<FlagRow>, Vec<FlagRow>) =
        std::mem::take(&mut rows.flags).into_iter().partition(|f| kept.contains(&f.id));
    for f in &refreshed {
        queries::refresh_flag(c, f)?;
    }
    rows.flags = raised;
    queries::insert_new_rows(c, &rows)?;
    Ok(person_ids)
}
