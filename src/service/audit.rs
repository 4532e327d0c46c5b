//! The audit log: every read of personal data and every change, with who (agency, key), role,
//! action, target and time. Rows are only ever added.
//!
//! Reads queue their event ([`record`]) and answer without waiting: the events are written by
//! the audit log's own thread on its own connection ([`AuditLog`]), several to a transaction,
//! as soon as they arrive, so a read never waits on intake. On PostgreSQL that writer takes no
//! lock intake holds. SQLite has one write lock and does not hand it over fairly (a connection
//! waiting for it beside a long batch may wait without end), so there the intake writer and the
//! audit writer take turns ([`WriteTurn`]): the audit writer waits at most one of intake's
//! bounded transactions, and the reader waits for neither.
//!
//! What can be lost: an event is queued when its read answers and stored a moment later (the
//! time of one small transaction, plus on SQLite at most one intake transaction, about 20 ms).
//! A crash (the process killed, the machine stopping) loses the events still queued: the reads
//! of those last moments are answered and unrecorded. A clean stop (SIGTERM or Ctrl-C) stops
//! taking requests, then writes every queued event before the process exits ([`AuditLog::flush`]).
//! If the log cannot be written (the database refuses), events stay queued and are retried;
//! once the queue is full, reads that must be audited answer 503 rather than go unrecorded.
//! Work already on the intake writer, and the command line, write directly ([`audit`]).

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded};
use parking_lot::{Mutex, MutexGuard};

use super::Services;
use super::auth::Principal;
use super::error::ServiceError;
use super::ids::{new_id, now};
use crate::store::models::AuditRow;
use crate::store::{DbConn, DbTarget, StoreError, queries};

/// Most events waiting to be written; past it an audited read answers 503.
const QUEUE_MAX: usize = 65_536;
/// Most events written in one transaction.
const BATCH_MAX: usize = 1_000;
/// How long a flush waits for the events before it to be stored.
const FLUSH_WAIT: Duration = Duration::from_secs(30);

/// One audit event.
pub fn event(who: &Principal, action: &str, target: Option<&str>, detail: Option<String>) -> AuditRow {
    AuditRow {
        id: new_id(),
        at: now(),
        agency_id: who.agency_id.clone(),
        key_id: who.key_id.clone(),
        role: who.role.as_str().to_owned(),
        action: action.to_owned(),
        target: target.map(str::to_owned),
        detail,
    }
}

/// Queues one audit event of a read; does not wait for it to be stored (see the module's
/// notes). A full queue answers `Unavailable` (503), so nothing is read unrecorded.
pub fn record(
    s: &Services,
    who: &Principal,
    action: &str,
    target: Option<&str>,
    detail: Option<String>,
) -> Result<(), ServiceError> {
    s.audit.push(event(who, action, target, detail))
}

/// Writes one audit event on this connection (the writer's, or the command line's).
pub fn audit(
    conn: &mut DbConn,
    who: &Principal,
    action: &str,
    target: Option<&str>,
    detail: Option<String>,
) -> Result<(), ServiceError> {
    queries::insert_audit(conn, &event(who, action, target, detail))?;
    Ok(())
}

/// Turns at SQLite's one write lock between the intake writer and the audit writer. A turn is
/// handed straight to the one waiting when it ends, so neither waits more than one turn of the
/// other. PostgreSQL needs none (it locks rows, and audit rows are nobody else's).
#[derive(Clone, Default)]
pub struct WriteTurn(Option<Arc<Mutex<()>>>);

/// A turn taken; ended (handed on fairly) when dropped.
pub struct Turn<'a>(Option<MutexGuard<'a, ()>>);

impl WriteTurn {
    /// Turns for a database with one write lock (`true`: SQLite), or none.
    pub fn new(one_write_lock: bool) -> WriteTurn {
        WriteTurn(one_write_lock.then(Arc::default))
    }

    /// Waits for a turn (at once when there are no turns to take).
    pub fn take(&self) -> Turn<'_> {
        Turn(self.0.as_ref().map(|m| m.lock()))
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if let Some(g) = self.0.take() {
            MutexGuard::unlock_fair(g);
        }
    }
}

enum Msg {
    Event(AuditRow),
    /// Answered once every event queued before it is stored.
    Flush(Sender<()>),
}

/// The audit log's queue; its writer thread has a connection of its own.
#[derive(Clone)]
pub struct AuditLog {
    tx: Sender<Msg>,
}

impl AuditLog {
    /// Opens the writer's connection and starts it.
    pub fn start(target: &DbTarget, turn: WriteTurn) -> Result<AuditLog, StoreError> {
        let conn = target.connect()?;
        let (tx, rx) = bounded(QUEUE_MAX);
        let writer = AuditWriter { target: target.clone(), conn: Some(conn), turn };
        std::thread::Builder::new()
            .name("bawaba-audit".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| StoreError::Connection(format!("cannot start the audit writer: {e}")))?;
        Ok(AuditLog { tx })
    }

    /// Queues an event; never waits (a full queue answers `Unavailable`).
    pub fn push(&self, row: AuditRow) -> Result<(), ServiceError> {
        self.tx.try_send(Msg::Event(row)).map_err(|_| ServiceError::Unavailable)
    }

    /// Waits until every event queued before this call is stored (blocking): at a clean stop,
    /// and wherever the log must be read complete.
    pub fn flush(&self) -> Result<(), ServiceError> {
        let (reply, done) = bounded(1);
        self.tx.send_timeout(Msg::Flush(reply), FLUSH_WAIT).map_err(|_| ServiceError::Unavailable)?;
        done.recv_timeout(FLUSH_WAIT).map_err(|_| ServiceError::Unavailable)
    }
}

struct AuditWriter {
    target: DbTarget,
    /// None after a failure, until it connects again.
    conn: Option<DbConn>,
    turn: WriteTurn,
}

impl AuditWriter {
    fn run(mut self, rx: Receiver<Msg>) {
        let mut events: Vec<AuditRow> = Vec::new();
        let mut waiting: Vec<Sender<()>> = Vec::new();
        let mut retry = Duration::from_millis(50);
        loop {
            if events.is_empty() && waiting.is_empty() {
                match rx.recv() {
                    Ok(m) => take(m, &mut events, &mut waiting),
                    Err(_) => return,
                }
            }
            while events.len() < BATCH_MAX {
                match rx.try_recv() {
                    Ok(m) => take(m, &mut events, &mut waiting),
                    Err(_) => break,
                }
            }
            if !events.is_empty() {
                if let Err(e) = self.write(&events) {
                    // Kept and tried again; the queue fills meanwhile and audited reads answer
                    // 503. No personal data is in the message (the event's fields are not).
                    tracing::error!(error = %e, queued = events.len(), "the audit log cannot be written; retrying");
                    std::thread::sleep(retry);
                    retry = (retry * 2).min(Duration::from_secs(2));
                    continue;
                }
                retry = Duration::from_millis(50);
                events.clear();
            }
            for w in waiting.drain(..) {
                let _ = w.send(());
            }
        }
    }

    fn write(&mut self, events: &[AuditRow]) -> Result<(), StoreError> {
        let conn = match &mut self.conn {
            Some(c) => c,
            None => self.conn.insert(self.target.connect()?),
        };
        let _turn = self.turn.take();
        let written = diesel::Connection::transaction(conn, |c| queries::insert_audits(c, events));
        if written.is_err() {
            // A broken connection is opened again on the next try.
            self.conn = None;
        }
        Ok(written?)
    }
}

fn take(m: Msg, events: &mut Vec<AuditRow>, waiting: &mut Vec<Sender<()>>) {
    match m {
        Msg::Event(row) => events.push(row),
        Msg::Flush(reply) => waiting.push(reply),
    }
}
