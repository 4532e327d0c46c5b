//! The SQL of several gateways on one database (see `service::cluster`): the writer role as a
//! PostgreSQL advisory lock held on a connection of its own, who holds it (the holder's
//! `application_name`, read back through `pg_locks`), and what a follower reads to keep its
//! index in step (rows after a monotonic sequence, and a few counts that tell of any other
//! change). SQLite stays single-process: [`ServeLock`] refuses a second `bawaba serve` on a file.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};

use super::models::{AidRow, PersonRow};
use super::schema::{agencies, households, persons, records};
use super::{Backend, DbConn, DbTarget, StoreError};

/// The first half of every bawaba advisory lock key ("bawa"), so they never meet another
/// application's.
const LOCK_CLASS: i32 = 0x6261_7761;

/// The advisory lock keys of the database's current schema: the writer role's, and the one that
/// serialises migrations. Each schema has its own, so gateways on different schemas of one
/// database (the tests) never meet.
#[derive(Debug, Clone, Copy)]
pub struct LockKeys {
    writer: i32,
    migrate: i32,
}

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = Text)]
    v: String,
}

impl LockKeys {
    /// The keys for the schema `conn` is on.
    pub fn of(conn: &mut DbConn) -> Result<LockKeys, StoreError> {
        let schema: String = diesel::sql_query("SELECT current_schema()::text AS v").get_result::<One>(conn)?.v;
        // FNV-1a, 31 bits (so the key reads back from pg_locks' oid column as the same number).
        let mut h: u32 = 0x811c_9dc5;
        for b in schema.bytes() {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
        let writer = (h & 0x3fff_fffe) as i32;
        Ok(LockKeys { writer, migrate: writer + 1 })
    }
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    ok: bool,
}

/// The writer role, sought or held: a connection of its own on which the session advisory lock
/// is taken. PostgreSQL lets go of it when this connection ends, however the process ends.
pub struct WriterLock {
    conn: DbConn,
    key: i32,
    held: bool,
}

impl WriterLock {
    /// A connection to seek the writer role on. `address` is where this gateway serves, shown to
    /// the others as its `application_name` (PostgreSQL keeps 63 bytes).
    pub fn connect(target: &DbTarget, address: &str) -> Result<WriterLock, StoreError> {
        let mut conn = target.connect()?;
        let keys = LockKeys::of(&mut conn)?;
        let name: String = format!("bawaba-writer {address}").chars().take(63).collect();
        diesel::sql_query("SELECT set_config('application_name', $1, false)")
            .bind::<Text, _>(&name)
            .execute(&mut conn)?;
        Ok(WriterLock { conn, key: keys.writer, held: false })
    }

    /// Takes the writer role if no one holds it (never waits); whether this connection holds it.
    pub fn try_take(&mut self) -> Result<bool, StoreError> {
        if !self.held {
            self.held = diesel::sql_query(format!("SELECT pg_try_advisory_lock({LOCK_CLASS}, {}) AS ok", self.key))
                .get_result::<Flag>(&mut self.conn)?
                .ok;
        }
        Ok(self.held)
    }

    /// Whether the lock's connection still answers (and so the lock is still held).
    pub fn alive(&mut self) -> bool {
        super::ping(&mut self.conn).is_ok()
    }
}

/// The advertised address of the gateway that holds the writer role, if any holds it.
pub fn writer_address(conn: &mut DbConn) -> Result<Option<String>, StoreError> {
    let keys = LockKeys::of(conn)?;
    #[derive(QueryableByName)]
    struct Holder {
        #[diesel(sql_type = Nullable<Text>)]
        name: Option<String>,
    }
    let rows = diesel::sql_query(format!(
        "SELECT a.application_name::text AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {LOCK_CLASS}::bigint::oid \
         AND l.objid = {}::bigint::oid AND l.objsubid = 2",
        keys.writer
    ))
    .load::<Holder>(conn)?;
    Ok(rows.into_iter().filter_map(|h| h.name).find_map(|n| n.strip_prefix("bawaba-writer ").map(str::to_owned)))
}

/// Serialises migrations between gateways starting at once on one PostgreSQL database: held
/// (waiting for it) while they run, let go when dropped. Nothing on SQLite.
pub struct MigrationLock {
    _conn: Option<DbConn>,
}

impl MigrationLock {
    /// Waits for the migration lock.
    pub fn take(target: &DbTarget) -> Result<MigrationLock, StoreError> {
        if target.backend != Backend::Postgres {
            return Ok(MigrationLock { _conn: None });
        }
        let mut conn = target.connect()?;
        let keys = LockKeys::of(&mut conn)?;
        diesel::sql_query(format!("SELECT pg_advisory_lock({LOCK_CLASS}, {})", keys.migrate)).execute(&mut conn)?;
        Ok(MigrationLock { _conn: Some(conn) })
    }
}

/// A second `bawaba serve` on one SQLite file is refused: the first holds an exclusive lock on
/// `<file>.lock` for as long as it runs (the system lets go of it when the process ends,
/// however it ends).
pub struct ServeLock {
    _file: Option<std::fs::File>,
}

impl ServeLock {
    /// Takes the lock for `target`, or says who holds it. Nothing to take on PostgreSQL (the
    /// writer role is shared there) or for an in-memory database.
    pub fn take(target: &DbTarget) -> Result<ServeLock, StoreError> {
        if target.backend != Backend::Sqlite || target.url == ":memory:" || target.url.starts_with("file:") {
            return Ok(ServeLock { _file: None });
        }
        let path = format!("{}.lock", target.url);
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(|e| StoreError::Connection(format!("cannot open {path}: {e}")))?;
        match file.try_lock() {
            Ok(()) => Ok(ServeLock { _file: Some(file) }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Connection(format!(
                "another bawaba is already serving {} (it holds {path}): SQLite serves one gateway process; \
                 stop that one, or run several gateways on PostgreSQL",
                target.url
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Connection(format!("cannot lock {path}: {e}"))),
        }
    }
}

/// Households after `seq`, in order: (id, seq).
pub fn households_after(conn: &mut DbConn, seq: i64) -> QueryResult<Vec<(String, i64)>> {
    households::table
        .filter(households::seq.gt(seq))
        .order(households::seq.asc())
        .select((households::id, households::seq))
        .load(conn)
}

/// Persons after `after`, in id order, with the code of the agency that posted them.
pub fn persons_after(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<(PersonRow, String)>> {
    super::queries::persons_page(conn, after, limit)
}

/// The aid of these records (withdrawn ones left out), with the posting agency's code.
pub fn aid_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(AidRow, String)>> {
    records::table
        .inner_join(agencies::table)
        .filter(records::id.eq_any(ids))
        .filter(records::withdrawn_at.is_null())
        .select((AidRow::as_select(), agencies::code))
        .load(conn)
}

/// Counts that change with every change a follower cannot take as an append (merges, splits,
/// dismissals, withdrawals, corrections, erasures): when they move otherwise than the appends
/// it took explain, the follower rebuilds its index. Persons are counted up to `upto` (the
/// follower's mark), so rows stored after it was read are not taken for a change; the count is
/// the last one.
pub fn fingerprint(conn: &mut DbConn, upto: i64) -> QueryResult<Vec<i64>> {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = BigInt)]
        merged: i64,
        #[diesel(sql_type = BigInt)]
        dismissed: i64,
        #[diesel(sql_type = BigInt)]
        withdrawn: i64,
        #[diesel(sql_type = BigInt)]
        versions: i64,
        #[diesel(sql_type = BigInt)]
        erased: i64,
        #[diesel(sql_type = BigInt)]
        persons: i64,
    }
    let c = diesel::sql_query(
        "SELECT (SELECT COUNT(*) FROM households WHERE merged_into IS NOT NULL) AS merged, \
         (SELECT COUNT(*) FROM dismissed_pairs) AS dismissed, \
         (SELECT COUNT(*) FROM records WHERE withdrawn_at IS NOT NULL) AS withdrawn, \
         (SELECT COUNT(*) FROM record_versions) AS versions, \
         (SELECT COUNT(*) FROM persons WHERE name = '') AS erased, \
         (SELECT COUNT(*) FROM persons WHERE id <= $1) AS persons",
    )
    .bind::<BigInt, _>(upto)
    .get_result::<Counts>(conn)?;
    Ok(vec![c.merged, c.dismissed, c.withdrawn, c.versions, c.erased, c.persons])
}

/// How many places and spellings the admin added (both tables only grow): when it moves, a
/// follower reads the gazetteer again.
pub fn places_added(conn: &mut DbConn) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    Ok(diesel::sql_query("SELECT (SELECT COUNT(*) FROM places) + (SELECT COUNT(*) FROM place_aliases) AS n")
        .get_result::<N>(conn)?
        .n)
}

/// The highest person id stored.
pub fn max_person(conn: &mut DbConn) -> QueryResult<i64> {
    let p: Option<i64> = persons::table.select(diesel::dsl::max(persons::id)).first(conn)?;
    Ok(p.unwrap_or(0))
}

/// Makes `conn` the writer's data connection, fencing off the one before it: after the writer
/// role changes hands, the last holder's data connection may still be finishing a commit (its
/// process killed an instant ago). Its backend is ended (`pg_terminate_backend`: a commit under
/// way either lands whole or not at all) and waited for, so the new writer reads the highest
/// ids only after the last holder can write no more. Call only while holding the writer lock.
pub fn fence(conn: &mut DbConn) -> Result<(), StoreError> {
    if conn.backend() != Backend::Postgres {
        return Ok(());
    }
    let keys = LockKeys::of(conn)?;
    let name = format!("bawaba-intake {}", keys.writer);
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let others = format!(
        "FROM pg_stat_activity WHERE application_name = '{name}' AND pid <> pg_backend_pid() \
         AND datname = current_database()"
    );
    diesel::sql_query(format!("SELECT pg_terminate_backend(pid) {others}")).execute(conn)?;
    let started = std::time::Instant::now();
    while diesel::sql_query(format!("SELECT COUNT(*) AS n {others}")).get_result::<N>(conn)?.n > 0 {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            return Err(StoreError::Connection("the last writer's connection does not end".into()));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    diesel::sql_query("SELECT set_config('application_name', $1, false)").bind::<Text, _>(&name).execute(conn)?;
    Ok(())
}
