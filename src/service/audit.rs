//! The audit log: every read of personal data and every change, with who (agency, key or named
//! user), role, action, target, client address and time. Rows are only ever added: nothing in
//! the gateway updates or deletes them. Admins and auditors read them ([`list`], `GET
//! /v1/audit` and the audit page), filtered, as JSON pages or CSV.
//!
//! Reads queue their event ([`record`]) and answer without waiting: the events are written by
//! the audit log's own thread on its own connection ([`AuditLog`]), several to a transaction:
//! woken by an event, it lingers 10 ms for those that follow, so a busy gateway commits tens of
//! times a second, not once a read (on SQLite each commit makes every reader drop its page
//! cache). A read never waits on intake. On PostgreSQL that writer takes no lock intake holds.
//! SQLite has one write lock and does not hand it over fairly (a connection waiting for it
//! beside a long batch may wait without end), so there the intake writer and the audit writer
//! take turns ([`WriteTurn`]): the audit writer waits at most one of intake's bounded
//! transactions, and the reader waits for neither.
//!
//! What can be lost: an event is queued when its read answers and stored a moment later (the
//! writer's linger of 10 ms, the time of one small transaction, plus on SQLite at most one
//! intake transaction, about 20 ms).
//! A crash (the process killed, the machine stopping) loses the events still queued: the reads
//! of those last moments are answered and unrecorded. A clean stop (SIGTERM or Ctrl-C) stops
//! taking requests, then writes every queued event before the process exits ([`AuditLog::flush`]).
//! If the log cannot be written (the database refuses), events stay queued and are retried;
//! once the queue is full, reads that must be audited answer 503 rather than go unrecorded.
//! Work already on the intake writer, and the command line, write directly ([`audit`]); so does
//! intake for each record it stores (`record.create`), in the record's own transaction
//! (`Intake::send`): the event is stored with the record or not at all, at no extra commit.

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded};
use parking_lot::{Mutex, MutexGuard};

use std::collections::HashMap;

use bawaba_wire::access::{AuditEntry, AuditPage, AuditQuery};

use super::Services;
use super::auth::{Principal, Role};
use super::error::{FieldProblem, ServiceError, validated};
use super::ids::{new_id, now};
use super::validate::{limit, nonempty};
use crate::store::models::AuditRow;
use crate::store::{DbConn, DbTarget, StoreError, queries};

/// Most events waiting to be written; past it an audited read answers 503.
const QUEUE_MAX: usize = 65_536;
/// Most events written in one transaction.
const BATCH_MAX: usize = 1_000;
/// How long the writer, woken by an event, waits for more before it writes them all in one
/// transaction (unless a flush is waiting or the batch is full). Each commit on SQLite makes
/// every reader connection drop its page cache at its next read (the file changed under it), so
/// at a thousand searches a second, one commit per event left the readers no cache at all.
const LINGER: Duration = Duration::from_millis(10);
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
        user_id: who.user_id.clone(),
        address: who.address.clone(),
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
    Event(Box<AuditRow>),
    /// Keys' `last used` times (key id, when), written in the next transaction.
    KeysUsed(Vec<(String, String)>),
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
        self.tx.try_send(Msg::Event(Box::new(row))).map_err(|_| ServiceError::Unavailable)
    }

    /// Queues the keys' `last used` times for the next write (never waits; dropped when the queue
    /// is full: they are a convenience, not a record).
    pub fn keys_used(&self, used: Vec<(String, String)>) {
        if !used.is_empty() {
            let _ = self.tx.try_send(Msg::KeysUsed(used));
        }
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
        let mut used: Vec<(String, String)> = Vec::new();
        let mut waiting: Vec<Sender<()>> = Vec::new();
        let mut retry = Duration::from_millis(50);
        loop {
            if events.is_empty() && used.is_empty() && waiting.is_empty() {
                match rx.recv() {
                    Ok(m) => take(m, &mut events, &mut used, &mut waiting),
                    Err(_) => return,
                }
                // Lingers for the events that follow, to write them in the same transaction.
                let until = std::time::Instant::now() + LINGER;
                while waiting.is_empty() && events.len() < BATCH_MAX {
                    match rx.recv_deadline(until) {
                        Ok(m) => take(m, &mut events, &mut used, &mut waiting),
                        // The time is up, or every sender is gone (the loop's `recv` then ends).
                        Err(_) => break,
                    }
                }
            }
            while events.len() < BATCH_MAX {
                match rx.try_recv() {
                    Ok(m) => take(m, &mut events, &mut used, &mut waiting),
                    Err(_) => break,
                }
            }
            if !events.is_empty() || !used.is_empty() {
                if let Err(e) = self.write(&events, &used) {
                    // Kept and tried again; the queue fills meanwhile and audited reads answer
                    // 503. No personal data is in the message (the event's fields are not).
                    tracing::error!(error = %e, queued = events.len(), "the audit log cannot be written; retrying");
                    std::thread::sleep(retry);
                    retry = (retry * 2).min(Duration::from_secs(2));
                    continue;
                }
                retry = Duration::from_millis(50);
                events.clear();
                used.clear();
            }
            for w in waiting.drain(..) {
                let _ = w.send(());
            }
        }
    }

    fn write(&mut self, events: &[AuditRow], used: &[(String, String)]) -> Result<(), StoreError> {
        let conn = match &mut self.conn {
            Some(c) => c,
            None => self.conn.insert(self.target.connect()?),
        };
        let _turn = self.turn.take();
        let written = diesel::Connection::transaction(conn, |c| {
            queries::insert_audits(c, events)?;
            queries::set_keys_used(c, used)
        });
        if written.is_err() {
            // A broken connection is opened again on the next try.
            self.conn = None;
        }
        Ok(written?)
    }
}

fn take(m: Msg, events: &mut Vec<AuditRow>, used: &mut Vec<(String, String)>, waiting: &mut Vec<Sender<()>>) {
    match m {
        Msg::Event(row) => events.push(*row),
        Msg::KeysUsed(v) => used.extend(v),
        Msg::Flush(reply) => waiting.push(reply),
    }
}

/// Who may read the audit log.
pub const READ: &[Role] = &[Role::Admin, Role::Auditor];

/// A validated audit query.
struct AuditRequest {
    filter: queries::AuditFilter,
    /// No event can match (an actor no one is).
    none: bool,
}

/// Reads `from` and `to`: a date (`to` inclusive: up to the end of that day) or an RFC 3339
/// time, compared as stored (UTC, milliseconds).
fn bound(problems: &mut Vec<FieldProblem>, field: &str, v: Option<String>, end_of_day: bool) -> Option<String> {
    let v = v?;
    if let Ok(d) = chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
        let d = if end_of_day { d.succ_opt().unwrap_or(d) } else { d };
        return Some(format!("{d}T00:00:00.000Z"));
    }
    match chrono::DateTime::parse_from_rfc3339(&v) {
        Ok(t) => Some(t.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        Err(_) => {
            problems.push(FieldProblem::new(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time"));
            None
        }
    }
}

fn request(conn: &mut DbConn, q: &AuditQuery, csv: bool) -> Result<AuditRequest, ServiceError> {
    let mut problems = Vec::new();
    let from = bound(&mut problems, "from", nonempty(&q.from), false);
    let before = bound(&mut problems, "to", nonempty(&q.to), true);
    let limit = limit(&mut problems, &q.limit, 100, 1000) as i64;
    let action = nonempty(&q.action);
    if action
        .as_ref()
        .is_some_and(|a| a.len() > 100 || !a.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_'))
    {
        problems.push(FieldProblem::new(
            "action",
            "must be an action such as household.view, or a family such as household.",
        ));
    }
    let household_id = nonempty(&q.household_id);
    if household_id.as_ref().is_some_and(|h| h.len() > 100) {
        problems.push(FieldProblem::new("household_id", "is too long"));
    }
    match nonempty(&q.format).as_deref() {
        None | Some("json") | Some("csv") => {}
        Some(_) => problems.push(FieldProblem::new("format", "must be json or csv")),
    }
    let actor = nonempty(&q.actor);
    if actor.as_ref().is_some_and(|a| a.len() > 100) {
        problems.push(FieldProblem::new("actor", "is too long"));
    }
    let mut req = validated(
        problems,
        AuditRequest {
            filter: queries::AuditFilter {
                from,
                before,
                action,
                household_id,
                before_id: nonempty(&q.cursor),
                limit: if csv { 5_000 } else { limit + 1 },
                ..Default::default()
            },
            none: false,
        },
    )?;
    if let Some(actor) = actor {
        let name = actor.strip_prefix("key:").unwrap_or(&actor);
        if let Some((u, _)) = queries::user_by_name(conn, &actor.to_lowercase())? {
            req.filter.user_id = Some(u.id);
        } else if queries::key_by_id(conn, name)?.is_some() {
            req.filter.key_id = Some(name.to_owned());
        } else {
            req.none = true;
        }
    }
    Ok(req)
}

/// Audit rows as entries: agencies, users and keys named.
fn entries(conn: &mut DbConn, rows: Vec<AuditRow>) -> Result<Vec<AuditEntry>, ServiceError> {
    let ids = |f: fn(&AuditRow) -> Option<&String>| {
        let mut v: Vec<String> = rows.iter().filter_map(|r| f(r).cloned()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let agencies: HashMap<String, String> =
        queries::agencies_by_ids(conn, &ids(|r| r.agency_id.as_ref()))?.into_iter().map(|a| (a.id, a.code)).collect();
    let users: HashMap<String, (String, String)> = queries::users_by_ids(conn, &ids(|r| r.user_id.as_ref()))?
        .into_iter()
        .map(|u| (u.id, (u.username, u.display_name)))
        .collect();
    let keys: HashMap<String, Option<String>> =
        queries::keys_by_ids(conn, &ids(|r| r.key_id.as_ref()))?.into_iter().map(|k| (k.id, k.label)).collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let user = r.user_id.as_ref().and_then(|u| users.get(u));
            AuditEntry {
                agency: r.agency_id.as_ref().and_then(|a| agencies.get(a)).cloned(),
                username: user.map(|u| u.0.clone()),
                display_name: user.map(|u| u.1.clone()),
                key_label: r.key_id.as_ref().and_then(|k| keys.get(k)).cloned().flatten(),
                key_id: r.key_id,
                id: r.id,
                at: r.at,
                role: r.role,
                action: r.action,
                target: r.target,
                detail: r.detail,
                address: r.address,
            }
        })
        .collect())
}

/// A page of the audit log, newest first (admin, auditor). Reading it is audited too.
pub fn list(s: &Services, who: &Principal, q: &AuditQuery) -> Result<AuditPage, ServiceError> {
    who.require(READ)?;
    let mut conn = s.conn()?;
    let req = request(&mut conn, q, false)?;
    // Events queued a moment ago are stored first, so the log reads complete.
    s.audit.flush()?;
    record(s, who, "audit.read", None, None)?;
    if req.none {
        return Ok(AuditPage { events: vec![], next_cursor: None });
    }
    let limit = req.filter.limit - 1;
    let mut rows = queries::list_audit(&mut conn, &req.filter)?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    Ok(AuditPage { events: entries(&mut conn, rows)?, next_cursor })
}

/// Checks that `who` may read the log as CSV with these parameters, before any of it is
/// written.
pub fn csv_allowed(s: &Services, who: &Principal, q: &AuditQuery) -> Result<(), ServiceError> {
    who.require(READ)?;
    request(&mut *s.conn()?, q, true).map(drop)
}

/// The audit log's events the filters select, every one, as CSV (admin, auditor), newest
/// first, written in chunks to `sink` (which answers `false` when the reader has gone).
pub fn csv(
    s: &Services,
    who: &Principal,
    q: &AuditQuery,
    mut sink: impl FnMut(Vec<u8>) -> bool,
) -> Result<(), ServiceError> {
    who.require(READ)?;
    let mut conn = s.conn()?;
    let mut req = request(&mut conn, q, true)?;
    s.audit.flush()?;
    record(s, who, "audit.read", None, Some("csv".into()))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "id",
        "at",
        "agency",
        "username",
        "display_name",
        "key_id",
        "key_label",
        "role",
        "action",
        "target",
        "detail",
        "address",
    ]);
    loop {
        let rows = if req.none { Vec::new() } else { queries::list_audit(&mut conn, &req.filter)? };
        let full = rows.len() as i64 == req.filter.limit;
        req.filter.before_id = rows.last().map(|r| r.id.clone());
        for e in entries(&mut conn, rows)? {
            let o = |v: &Option<String>| super::reports::defuse(v.as_deref().unwrap_or_default()).into_owned();
            let _ = w.write_record([
                e.id,
                e.at,
                o(&e.agency),
                o(&e.username),
                o(&e.display_name),
                o(&e.key_id),
                o(&e.key_label),
                e.role,
                e.action,
                o(&e.target),
                o(&e.detail),
                o(&e.address),
            ]);
        }
        let chunk = std::mem::replace(&mut w, csv::Writer::from_writer(Vec::new())).into_inner().unwrap_or_default();
        if !sink(chunk) || !full {
            return Ok(());
        }
    }
}
