//! Intake: validate → prepare → match → overlap → commit → answer.
//!
//! Steps 3 to 5 run on one writer thread that owns its own connection and takes submissions
//! in groups (group commit): each item is matched against the index, which already holds the
//! items before it in the group; the group is written in transactions of at most `TX_ITEMS`
//! items and about `TX_BUDGET` long (so a 10,000-record batch never holds the database for
//! long), each writing its items' rows with one multi-row statement per table (on PostgreSQL
//! a few records' rows go in one statement for all the tables; an item of a
//! transaction that fails is taken again alone); a submission is answered once the
//! transaction holding its last item commits. Submissions that arrive while a group is written
//! join it, matched on the pool while the transaction before them commits. So two agencies
//! posting the same family at the same instant are serialised and the second is flagged, while
//! a burst of posts costs few commits. Reads never take this path, not even their audit events (see `service::audit`).
//!
//! Here: the handle ([`Intake`]) and what goes through it; [`writer`] is the writer thread (the
//! group, its transaction, the rows of one record); [`plan`] is what the matcher and the
//! overlap policy say of a record before anything is written (shared with check); [`order`]
//! takes a run of items in order on both cores and keeps the engine in step (shared with
//! offline deduplication, `service::dedup`).

use std::sync::Arc;
use std::thread;

use bawaba_matching::PreparedPerson;
use crossbeam_channel::{Sender, bounded};
use sha2::{Digest, Sha256};

use super::audit::WriteTurn;
use super::auth::Principal;
use super::cluster::Cluster;
use super::domain::*;
use super::error::ServiceError;
use super::index::{Engine, NextIds};
use super::policy::OverlapPolicy;
use super::vault::Vault;
use crate::metrics::Metrics;
use crate::store::models::AuditRow;
use crate::store::{DbConn, DbTarget};
use std::sync::Weak;
use writer::{Ended, Writer};

mod correct;
pub mod order;
mod plan;
mod stored;
mod writer;

pub(crate) use correct::stored_decision;
pub use plan::{Plan, plan, plan_without_evidence};

/// Most items taken into one group (a submission that joins a group being written stops it
/// taking more past this; one submission larger than this is a group alone).
const GROUP_MAX: usize = 2_000;
/// Most items written in one transaction: a large batch is committed in several, so that the
/// short writes of others (on SQLite, the audit log's) never wait long behind it. Each item stays all or
/// nothing (a transaction that fails for one item is taken again an item at a time), and a
/// re-sent batch replays what was committed. At 150,000 records, 400 took batches from 1,113 to
/// 1,435 records/s against 100 (fewer syncs, and index pages written once for more items);
/// the price is a longer wait behind a batch for the audit log's writer and for single posts
/// sent meanwhile.
const TX_ITEMS: usize = 400;
/// How long one transaction keeps writing items before it commits (it always writes one): on
/// SQLite, the longest the audit log's writer waits behind a batch, whatever the items cost.
const TX_BUDGET: std::time::Duration = std::time::Duration::from_millis(20);
/// Most submissions waiting for the writer; past it a submission is answered 503 at once.
const QUEUE_MAX: usize = 4_096;
/// How many candidate households the matcher returns per record.
pub(crate) const MATCH_LIMIT: usize = 10;
/// How many households only possibly the same are raised for review per record (the best
/// ones): more would bury the reviewer, and a household that matters scores among them.
pub(crate) const POSSIBLE_LIMIT: usize = 3;

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

pub type ItemResult = Result<Outcome, ServiceError>;

struct Submission {
    agency: AgencyRef,
    /// The audit event of each record this submission stores, its target and detail left to
    /// fill (see [`Intake::send`]).
    audit: Option<AuditRow>,
    items: Vec<Item>,
    reply: Sender<Vec<ItemResult>>,
}

/// Work that must not interleave with intake (merges, dismissals), run alone on the writer.
pub type Exclusive = Box<dyn FnOnce(&mut DbConn, &Engine, &OverlapPolicy) + Send>;

/// Work that must not interleave with intake and makes households (a split), run alone on the
/// writer with its id counters; it puts them back itself if it writes nothing.
pub type WithIds = Box<dyn FnOnce(&mut DbConn, &Engine, &OverlapPolicy, &mut NextIds) + Send>;

enum Job {
    /// Boxed: a submission is large (its audit event) beside the other jobs.
    Submit(Box<Submission>),
    Exclusive(Exclusive),
    WithIds(WithIds),
    /// A stored record corrected (see [`correct`]): taken alone, between groups.
    Correct(Box<correct::Correction>),
}

/// Items handed to the writer, whose outcomes are still to come.
pub struct Pending {
    n: usize,
    answer: Option<crossbeam_channel::Receiver<Vec<ItemResult>>>,
}

impl Pending {
    /// Waits for the outcomes, in order (blocking).
    pub fn wait(self) -> Vec<ItemResult> {
        let unavailable = || (0..self.n).map(|_| Err(ServiceError::Unavailable)).collect();
        match self.answer {
            Some(a) => a.recv().unwrap_or_else(|_| unavailable()),
            None => unavailable(),
        }
    }
}

/// What a writer is made of besides its connection and first ids (a follower has those only
/// once it takes the writer role).
#[derive(Clone)]
struct WriterParts {
    engine: Arc<Engine>,
    policy: Arc<OverlapPolicy>,
    metrics: Arc<Metrics>,
    turn: WriteTurn,
    vault: Arc<Vault>,
    /// Where to open the connection again (SQLite) and this gateway's role (see `run`).
    target: DbTarget,
    cluster: Weak<Cluster>,
}

impl WriterParts {
    fn writer(&self, conn: DbConn, next: NextIds) -> Writer {
        let WriterParts { engine, policy, metrics, turn, vault, target, cluster } = self.clone();
        let guard = order::guard(&engine.matcher);
        Writer {
            conn,
            engine,
            policy,
            metrics,
            next,
            guard,
            turn,
            backlog: Default::default(),
            vault,
            target,
            cluster,
            suspect: false,
        }
    }
}

/// How the intake thread begins.
pub enum Start {
    /// As the writer, its ids continuing from these (SQLite, or PostgreSQL with the lock taken).
    Writer(NextIds),
    /// As a follower, until it takes the writer role.
    Follower,
}

/// The handle to the writer thread.
#[derive(Clone)]
pub struct Intake {
    tx: Sender<Job>,
}

impl Intake {
    /// Starts the intake thread on `conn`; each of the writer's transactions is a `turn`
    /// (shared with the audit log's writer on SQLite).
    ///
    /// With a `follower` (PostgreSQL), the thread is the writer only while this gateway holds
    /// the writer role (see `service::cluster`): until then, and again whenever the role is lost
    /// (the lock's connection or the writer's own broke: PostgreSQL restarted, the network
    /// failed), what is sent here is refused (its caller answered 503) and the follower keeps
    /// the index in step, one tick at a time, until it takes the role again. Without one
    /// (SQLite: one process, always the writer), a broken connection is opened again.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        conn: DbConn,
        engine: Arc<Engine>,
        policy: Arc<OverlapPolicy>,
        metrics: Arc<Metrics>,
        turn: WriteTurn,
        vault: Arc<Vault>,
        start: Start,
        target: DbTarget,
        cluster: &Arc<Cluster>,
        mut follower: Option<super::cluster::Follower>,
    ) -> Intake {
        let parts = WriterParts { engine, policy, metrics, turn, vault, target, cluster: Arc::downgrade(cluster) };
        Intake::spawn(move |rx| {
            let mut conn = Some(conn);
            let mut next = match start {
                Start::Writer(n) => Some(n),
                Start::Follower => None,
            };
            loop {
                let ids = match next.take() {
                    Some(n) => n,
                    None => {
                        let Some(f) = follower.as_mut() else { return };
                        loop {
                            match rx.recv_timeout(super::cluster::TICK) {
                                // Dropped unanswered: its caller is answered 503 (`Pending::wait`).
                                Ok(job) => drop(job),
                                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
                            }
                            if let Some(n) = f.tick(&mut conn, &parts.engine) {
                                break n;
                            }
                        }
                    }
                };
                let Some(c) = conn.take() else { return };
                match parts.writer(c, ids).run(&rx) {
                    Ended::Closed => return,
                    Ended::SteppedDown(c) => {
                        conn = c;
                        if let Some(f) = follower.as_mut() {
                            f.rejoin();
                        }
                    }
                }
            }
        })
    }

    /// The intake's queue, and `run` on the writer's thread taking from it.
    fn spawn(run: impl FnOnce(crossbeam_channel::Receiver<Job>) + Send + 'static) -> Intake {
        let (tx, rx) = bounded::<Job>(QUEUE_MAX);
        thread::Builder::new()
            .name("bawaba-writer".into())
            .spawn(move || run(rx))
            .map(drop)
            .unwrap_or_else(|e| tracing::error!(error = %e, "cannot start the intake writer"));
        Intake { tx }
    }

    /// Submits items in order and waits for their outcomes (blocking: call off the async workers).
    pub fn submit(&self, agency: AgencyRef, audit: Option<AuditRow>, items: Vec<Item>) -> Vec<ItemResult> {
        self.send(agency, audit, items).wait()
    }

    /// Hands items to the writer, in order, without waiting (never blocks: a full queue answers
    /// 503 at once). Intake validates under the gazetteer's read lock and sends before letting
    /// go of it (see `service::places`).
    ///
    /// Each record stored is audited with `audit` (its id, time, target and detail made for the
    /// record: `household=…`), written in the record's own transaction: one commit for both,
    /// where the audit log's writer took a turn at the write lock and a sync of its own after
    /// each group, and no record stored without its event.
    pub fn send(&self, agency: AgencyRef, audit: Option<AuditRow>, items: Vec<Item>) -> Pending {
        let n = items.len();
        let (reply, answer) = bounded(1);
        // A full queue answers at once (503 with Retry-After) rather than holding a worker.
        let sent = self.tx.try_send(Job::Submit(Box::new(Submission { agency, audit, items, reply }))).is_ok();
        Pending { n, answer: sent.then_some(answer) }
    }

    /// Corrects a stored record of `agency` on the writer, matched again as a new record would
    /// be, and waits for the outcome (blocking). `Replayed` when nothing changed.
    /// The correction is audited as `who`'s, in its own transaction.
    pub fn correct(&self, agency: AgencyRef, record_id: String, who: Principal, item: Item) -> ItemResult {
        let (reply, answer) = bounded(1);
        let job = correct::Correction { agency, record_id, who, item, reply };
        self.tx.try_send(Job::Correct(Box::new(job))).map_err(|_| ServiceError::Unavailable)?;
        answer.recv().map_err(|_| ServiceError::Unavailable)?
    }

    /// Runs `f` on the writer, alone, with the writer's id counters (for work that makes
    /// households), and returns what it returns (blocking).
    pub fn exclusive_with_ids<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn, &Engine, &OverlapPolicy, &mut NextIds) -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let (reply, answer) = bounded(1);
        let job: WithIds = Box::new(move |c, e, p, n| {
            let _ = reply.send(f(c, e, p, n));
        });
        self.tx.send(Job::WithIds(job)).map_err(|_| ServiceError::Unavailable)?;
        answer.recv().map_err(|_| ServiceError::Unavailable)?
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
