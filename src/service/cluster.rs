//! Several gateways on one PostgreSQL database (`DESIGN.md`, "Beyond one machine"). Exactly one
//! process holds the writer role, a PostgreSQL advisory lock held on a connection of its own
//! (`store::roles`); it runs the intake writer. The others are followers: they serve searches,
//! views, reports, pages and `check` from an index that follows the database, and refuse what
//! must go through the writer (records, corrections, merges, reviews) with 503, `Retry-After`
//! and the writer's address (`X-Bawaba-Writer`); the HTTP edge sends such a request on to the
//! writer when it can (`http::writer_hint`).
//!
//! A follower's intake thread ([`Follower::tick`], every [`TICK`]):
//! - takes the new rows after its marks (households by `seq`, persons by `id`: both handed out
//!   in commit order by the one writer), and their records' aid, into its index;
//! - every [`CHECK_EVERY`], compares a few counts ([`roles::fingerprint`]) with what the
//!   appends it took explain, and rebuilds its index from the database when anything else
//!   changed (a merge, a split, a dismissal, a withdrawal, a correction, an erasure); and reads
//!   the gazetteer again when the admin added places or spellings ([`roles::places_added`]).
//!   (Keys need nothing here: every gateway checks a cached key against the database after a
//!   second, so a revocation reaches all within one.)
//! - tries the writer lock; once it has it, it fences off the last writer's data connection
//!   (`roles::fence`), rebuilds its index from the database, and becomes the writer, its ids
//!   continuing from the highest the database holds.
//!
//! A writer whose lock's connection, or its own, stops answering (PostgreSQL restarted, the
//! network failed) can no longer tell that it alone writes: it steps down ([`Cluster::step_down`])
//! and follows until it can take the lock again, like any follower (fence, rebuild, write).
//! Meanwhile writes are answered 503 with `Retry-After`; nothing acknowledged is lost, since an
//! answer is sent only after its commit.
//! SQLite stays single-process: `bawaba serve` refuses a second process on a file
//! (`roles::ServeLock`), and the one process is the writer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::index::{Engine, NextIds, member_of_row, person_input};
use super::places::Places;
use super::vault::Vault;
use crate::store::roles::{self, WriterLock};
use crate::store::{DbConn, DbTarget, StoreError, queries};

/// How often a follower looks for new rows and tries the writer lock.
pub const TICK: Duration = Duration::from_millis(200);
/// How often a follower checks for changes other than appends.
const CHECK_EVERY: Duration = Duration::from_secs(2);
/// How often a follower asks who the writer is.
const ASK_EVERY: Duration = Duration::from_secs(1);
/// How long a starting gateway keeps trying the writer lock before it settles as a follower: a
/// writer stopped a moment ago (a restart) may not have let go of it yet.
const JOIN_WAIT: Duration = Duration::from_millis(1500);
/// How often the writer checks that its lock connection still answers.
const WATCH: Duration = Duration::from_millis(250);

/// This gateway's part: writer or follower, and where the writer serves.
pub struct Cluster {
    /// Where this gateway serves, as others should reach it.
    pub advertise: String,
    writer: AtomicBool,
    /// The writer's address, as a follower last read it.
    writer_address: Mutex<Option<String>>,
    /// The lock, while this gateway holds the writer role on PostgreSQL.
    lock: Arc<Mutex<Option<WriterLock>>>,
}

impl Cluster {
    /// A gateway that is the writer from the start (SQLite, or PostgreSQL with the lock taken).
    pub fn writer(advertise: String, lock: Option<WriterLock>) -> Arc<Cluster> {
        let c = Arc::new(Cluster {
            advertise,
            writer: AtomicBool::new(true),
            writer_address: Mutex::new(None),
            lock: Arc::new(Mutex::new(None)),
        });
        if let Some(lock) = lock {
            c.hold(lock);
        }
        c
    }

    /// A follower, until it takes the lock.
    pub fn follower(advertise: String, writer_address: Option<String>) -> Arc<Cluster> {
        Arc::new(Cluster {
            advertise,
            writer: AtomicBool::new(false),
            writer_address: Mutex::new(writer_address),
            lock: Arc::new(Mutex::new(None)),
        })
    }

    /// Whether this gateway holds the writer role.
    pub fn is_writer(&self) -> bool {
        self.writer.load(Ordering::Acquire)
    }

    /// `writer` or `follower`.
    pub fn role(&self) -> &'static str {
        if self.is_writer() { "writer" } else { "follower" }
    }

    /// Where the writer serves: this gateway's own address when it is the writer.
    pub fn writer_address(&self) -> Option<String> {
        if self.is_writer() { Some(self.advertise.clone()) } else { self.writer_address.lock().clone() }
    }

    /// Keeps the lock and watches its connection: when it stops answering, the process stops.
    /// The watch ends (and the lock's connection closes) when the last handle to this cluster
    /// goes, as when a test stops its gateway.
    fn hold(self: &Arc<Self>, lock: WriterLock) {
        *self.lock.lock() = Some(lock);
        self.writer.store(true, Ordering::Release);
        let held = Arc::downgrade(&self.lock);
        let me = Arc::downgrade(self);
        let spawned = std::thread::Builder::new().name("bawaba-writer-lock".into()).spawn(move || {
            loop {
                std::thread::sleep(WATCH);
                if me.upgrade().is_none() {
                    return;
                }
                let Some(lock) = held.upgrade() else { return };
                let Some(alive) = lock.lock().as_mut().map(WriterLock::alive) else { return };
                if !alive {
                    tracing::error!(
                        "the writer lock's database connection stopped answering: this gateway can no longer tell \
                         that it alone writes, so it stops writing and follows until it can take the role again"
                    );
                    if let Some(me) = me.upgrade() {
                        me.step_down();
                    }
                    return;
                }
            }
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot watch the writer lock");
        }
    }
}

impl Cluster {
    /// Gives the writer role up (its lock's connection, or the writer's, broke): writes are
    /// refused from now on, and the intake thread follows until it takes the role again.
    pub fn step_down(&self) {
        self.writer.store(false, Ordering::Release);
        *self.writer_address.lock() = None;
        self.lock.lock().take();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // The lock's connection closes with it, and PostgreSQL lets the role go at once.
        self.lock.lock().take();
    }
}

/// What a follower's intake thread keeps between ticks (see the module docs).
pub struct Follower {
    target: DbTarget,
    cluster: std::sync::Weak<Cluster>,
    vault: Arc<Vault>,
    /// The connection the writer lock is sought on.
    candidate: Option<WriterLock>,
    /// The highest household seq and person id taken into the index.
    marks: (i64, i64),
    /// The counts last checked, and the persons appended since.
    fingerprint: Vec<i64>,
    appended: i64,
    last_check: Instant,
    last_asked: Instant,
    /// The index was the writer's until it stepped down: rebuilt, with the marks, first.
    stale: bool,
    /// The gazetteer, read again when the writer adds places or spellings, and how many it had.
    places: Arc<Places>,
    places_seen: Option<i64>,
}

impl Follower {
    /// A follower whose index holds at least every row up to `marks` (read before it was built).
    pub fn new(
        target: DbTarget,
        cluster: &Arc<Cluster>,
        vault: Arc<Vault>,
        places: Arc<Places>,
        marks: (i64, i64),
    ) -> Follower {
        let long_ago = Instant::now().checked_sub(CHECK_EVERY).unwrap_or_else(Instant::now);
        Follower {
            target,
            cluster: Arc::downgrade(cluster),
            vault,
            candidate: None,
            marks,
            fingerprint: Vec::new(),
            appended: 0,
            last_check: long_ago,
            last_asked: long_ago,
            stale: false,
            places,
            places_seen: None,
        }
    }

    /// Follows again after this gateway stepped down from the writer role: its index and
    /// marks are rebuilt from the database on the first turn that reaches it.
    pub fn rejoin(&mut self) {
        self.stale = true;
        self.candidate = None;
        self.fingerprint.clear();
        self.appended = 0;
        self.places_seen = None;
    }

    /// One turn of the follower (see the module docs): the ids to continue from once it has
    /// become the writer, else `None`. A connection that fails is opened again next turn.
    pub fn tick(&mut self, conn: &mut Option<DbConn>, engine: &Engine) -> Option<NextIds> {
        let cluster = self.cluster.upgrade()?;
        if conn.is_none() {
            *conn = self.target.connect().ok();
        }
        let c = conn.as_mut()?;
        match self.turn(c, engine, &cluster) {
            Ok(next) => next,
            Err(e) => {
                tracing::warn!(error = %e, "a follower's turn failed; trying again");
                *conn = None;
                self.candidate = None;
                None
            }
        }
    }

    fn turn(&mut self, c: &mut DbConn, engine: &Engine, cluster: &Arc<Cluster>) -> Result<Option<NextIds>, StoreError> {
        let candidate = match &mut self.candidate {
            Some(c) => c,
            None => self.candidate.insert(WriterLock::connect(&self.target, &cluster.advertise)?),
        };
        if candidate.try_take()? {
            let lock = self.candidate.take().expect("the candidate just taken");
            let started = Instant::now();
            roles::fence(c)?;
            let next = reload(c, engine, &self.vault)?;
            self.places.refresh(c)?;
            cluster.hold(lock);
            tracing::info!(
                ms = started.elapsed().as_millis() as u64,
                "took the writer role: index rebuilt from the database, taking writes"
            );
            return Ok(Some(next));
        }
        if self.stale {
            let marks = queries::max_ids(c)?;
            reload(c, engine, &self.vault)?;
            self.places.refresh(c)?;
            self.marks = marks;
            self.stale = false;
        }
        if self.last_asked.elapsed() >= ASK_EVERY {
            self.last_asked = Instant::now();
            *cluster.writer_address.lock() = roles::writer_address(c)?;
        }
        self.follow(c, engine)?;
        if self.last_check.elapsed() >= CHECK_EVERY {
            self.last_check = Instant::now();
            let added = roles::places_added(c)?;
            if self.places_seen.is_some_and(|seen| seen != added) {
                self.places.refresh(c)?;
                tracing::info!("places or spellings were added: gazetteer read again");
            }
            self.places_seen = Some(added);
            let now = roles::fingerprint(c, self.marks.1)?;
            let mut expected = self.fingerprint.clone();
            if let Some(p) = expected.last_mut() {
                *p += self.appended;
            }
            if !self.fingerprint.is_empty() && now != expected {
                let marks = queries::max_ids(c)?;
                let started = Instant::now();
                reload(c, engine, &self.vault)?;
                self.marks = marks;
                tracing::info!(ms = started.elapsed().as_millis() as u64, "the database changed: index rebuilt");
                // Counted again after the rebuild, so appends during it are not taken for changes.
                self.fingerprint = roles::fingerprint(c, self.marks.1)?;
            } else {
                self.fingerprint = now;
            }
            self.appended = 0;
        }
        Ok(None)
    }

    /// Takes the rows appended since the marks into the index.
    fn follow(&mut self, c: &mut DbConn, engine: &Engine) -> Result<(), StoreError> {
        // Households first: a person read after them belongs to one already read.
        let households = roles::households_after(c, self.marks.0)?;
        if let Some((_, seq)) = households.last() {
            let mut state = engine.state.write();
            for (id, seq) in &households {
                state.add_household(id, *seq as u64);
            }
            self.marks.0 = *seq;
        }
        loop {
            let page = roles::persons_after(c, self.marks.1, 5_000)?;
            if page.is_empty() {
                return Ok(());
            }
            let mut taken = Vec::with_capacity(page.len());
            {
                let state = engine.state.read();
                for (row, code) in page {
                    // A person of a household not read yet waits for the next turn.
                    let Some(seq) = state.seq(&row.household_id) else { break };
                    taken.push((seq, row, code));
                }
            }
            if taken.is_empty() {
                return Ok(());
            }
            let prepared: Vec<_> = taken
                .iter()
                .map(|(_, row, _)| {
                    let open = self.vault.open_person(row.clone()).unwrap_or_else(|_| {
                        crate::store::models::PersonRow { national_id: None, phone: None, ..row.clone() }
                    });
                    (!row.name.is_empty()).then(|| bawaba_matching::prepare(&person_input(&member_of_row(&open))))
                })
                .collect();
            let firsts: Vec<String> =
                taken.iter().filter(|(_, row, _)| row.position == 0).map(|(_, row, _)| row.record_id.clone()).collect();
            let aid = roles::aid_of(c, &firsts)?;
            let mut state = engine.state.write();
            for ((seq, row, code), p) in taken.iter().zip(prepared) {
                if let Some(p) = p {
                    state.index.insert(row.id as u64, *seq, p);
                }
                let role = super::domain::MemberRole::parse(&row.role).unwrap_or(super::domain::MemberRole::Other);
                state.set_person_meta(row.id as u64, code, role);
                self.marks.1 = row.id;
                self.appended += 1;
            }
            for (r, code) in aid {
                let (Some(seq), Some(t)) =
                    (state.seq(&r.household_id), super::domain::AidType::parse(&r.assistance_type))
                else {
                    continue;
                };
                if state.aid_of(seq).iter().any(|a| *a.record_id == *r.id) {
                    continue;
                }
                let slot = state.agency_slot(Some(&r.agency_id), &code);
                let (start, end) =
                    (super::domain::stored_date(&r.period_start), super::domain::stored_date(&r.period_end));
                state.add_aid(seq, &r.id, slot, t, start, end);
            }
        }
    }
}

/// Rebuilds the engine's state from the database; the ids the writer would continue from.
fn reload(c: &mut DbConn, engine: &Engine, vault: &Vault) -> Result<NextIds, StoreError> {
    let (fresh, next) = Engine::load(c, engine.matcher.clone(), vault)?;
    *engine.state.write() = fresh.state.into_inner();
    Ok(next)
}

/// The part a gateway starting on `target` takes: the writer lock when free (always on SQLite),
/// else a follower's, with the writer's address.
pub fn join(target: &DbTarget, advertise: &str) -> Result<Arc<Cluster>, StoreError> {
    if target.backend != crate::store::Backend::Postgres {
        return Ok(Cluster::writer(advertise.to_owned(), None));
    }
    let mut lock = WriterLock::connect(target, advertise)?;
    let started = Instant::now();
    loop {
        if lock.try_take()? {
            return Ok(Cluster::writer(advertise.to_owned(), Some(lock)));
        }
        let mut conn = target.connect()?;
        let writer = roles::writer_address(&mut conn)?;
        // A holder that names itself is a writer at work; one that does not has just gone.
        if writer.is_some() && started.elapsed() >= JOIN_WAIT / 3 || started.elapsed() >= JOIN_WAIT {
            return Ok(Cluster::follower(advertise.to_owned(), writer));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The highest household seq and person id stored: a follower's marks, read before its index
/// is built (rows stored meanwhile are taken again, which changes nothing).
pub fn marks(conn: &mut DbConn) -> Result<(i64, i64), StoreError> {
    Ok(queries::max_ids(conn)?)
}

/// What `/readyz` says.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` when the index is loaded and the database answers, else `not_ready`.
    pub status: String,
    /// `writer` or `follower`.
    pub role: String,
    /// Where the writer serves (`--advertise-url`), when known.
    pub writer: Option<String>,
    /// Whether the database answers.
    pub database: bool,
    /// Persons and households in the index (loaded before the gateway serves).
    pub persons: usize,
    pub households: usize,
}

impl super::Services {
    /// Whether this gateway is ready to serve, and its role (blocking: asks the database).
    pub fn readiness(&self) -> Readiness {
        let database = self.health().is_ok();
        let (persons, households) = {
            let state = self.engine.state.read();
            (state.index.persons(), state.index.households())
        };
        Readiness {
            status: if database { "ready" } else { "not_ready" }.to_owned(),
            role: self.cluster.role().to_owned(),
            writer: self.cluster.writer_address(),
            database,
            persons,
            households,
        }
    }
}

/// Refuses a second `bawaba serve` on one SQLite file, saying why (see `roles::ServeLock`):
/// hold what this returns for as long as the gateway serves. Nothing to hold on PostgreSQL.
pub fn lock_for_serving(database_url: &str) -> Result<roles::ServeLock, StoreError> {
    roles::ServeLock::take(&DbTarget::parse(database_url)?)
}
