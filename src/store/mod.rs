//! The store: every SQL statement the gateway runs lives here, written once with diesel over
//! [`DbConn`], a [`diesel::MultiConnection`] of SQLite and PostgreSQL. The backend is chosen
//! from the URL scheme, never by trial (SQLite would accept any string as a path).
//!
//! Policy: functions here take a connection and plain row types; they know nothing of HTTP or
//! JSON bodies. Callers (the service layer) run them off the async workers.
//!
//! Each backend is a cargo feature (`sqlite`, `postgres`, both by default): a variant of
//! [`DbConn`] and the few places that match on the connection (here, and the multi-row inserts
//! of `queries.rs`) exist only when their feature is on. A URL naming a backend this build
//! leaves out is refused when parsed ([`StoreError::NotBuilt`]).

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("build bawaba with at least one database backend: the `sqlite` or `postgres` feature");

pub mod backup;
pub mod desk;
pub mod models;
pub mod planning;
pub mod queries;
pub mod roles;
pub mod schema;
#[cfg(feature = "postgres")]
mod unnest;

use std::time::Duration;

#[cfg(feature = "sqlite")]
use diesel::connection::SimpleConnection;
#[cfg(feature = "postgres")]
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
#[cfg(feature = "sqlite")]
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

#[cfg(feature = "sqlite")]
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection to either backend; the query DSL works on it unchanged. A variant exists
/// only when its backend's feature is on.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// The embedded default.
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteConnection),
    /// Production.
    #[cfg(feature = "postgres")]
    Pg(PgConnection),
}

impl DbConn {
    /// Which backend this connection speaks to.
    pub fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            DbConn::Pg(_) => Backend::Postgres,
        }
    }
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A file path, `sqlite://path` or `:memory:`.
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

/// Errors from opening or using the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// No connection could be had.
    #[error("database connection failed: {0}")]
    Connection(String),
    /// Migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// The URL names a database this gateway does not speak.
    #[error("`{0}://` is not a database this gateway speaks: give a SQLite path, sqlite://path or postgres://…")]
    UnknownScheme(String),
    /// The URL names a backend this build was made without (its cargo feature off).
    #[error("this gateway was built without {0} support (cargo feature `{0}`)")]
    NotBuilt(&'static str),
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Whether this build serves the backend (its cargo feature is on).
    pub fn is_built(self) -> bool {
        match self {
            Backend::Sqlite => cfg!(feature = "sqlite"),
            Backend::Postgres => cfg!(feature = "postgres"),
        }
    }
}

/// The page cache of each SQLite connection, in KiB. A gateway holds about a dozen connections
/// (the readers' pool, the writer, the audit log's writer), each filling its cache as it reads:
/// at 64 MiB apiece the soak's memory grew by as much as SQLite held (measured with
/// `sqlite3_memory_used`), with no plateau in sight. The hot pages (the B-trees' upper levels, the
/// records just written) fit in a few MiB; the operating system's file cache holds the rest.
#[cfg(feature = "sqlite")]
pub const SQLITE_CACHE_KIB: u32 = 8 * 1024;

/// Creates a new SQLite file readable by its owner only (0600) before SQLite opens it: the
/// database holds personal data, and SQLite's own files (`-wal`, `-shm`) take the file's mode.
#[cfg(feature = "sqlite")]
fn create_private(path: &str) -> Result<(), StoreError> {
    if path == ":memory:" || path.starts_with("file:") || std::path::Path::new(path).exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Connection(format!("cannot create {path}: {e}"))),
    }
}

/// Takes the database's write lock at the start of a write transaction. SQLite begins a
/// transaction deferred: one that reads first and writes later fails at once (busy, without
/// waiting) if another connection wrote in between, which readers do (audit rows). A write with
/// no effect as the first statement takes the lock up front, waiting its turn as writes should.
/// PostgreSQL locks rows, not the database: nothing to do there.
pub fn lock_for_write(conn: &mut DbConn) -> Result<(), diesel::result::Error> {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => Kept::new("DELETE FROM households WHERE 0", []).execute(c).map(drop),
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => Ok(()),
    }
}

/// A SQLite statement of fixed text, its `?`s bound to text values in order, that the
/// connection keeps prepared: diesel's `sql_query` and `sql` are never kept (their text may be
/// anything), so a statement run in every transaction through them was parsed and planned
/// every time (the write lock's, with its foreign-key checks, and the external ids' lookup
/// were 4% of the server's CPU under single posts).
#[cfg(feature = "sqlite")]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kept<'a, const N: usize> {
    sql: &'static str,
    texts: [&'a str; N],
}

#[cfg(feature = "sqlite")]
impl<'a, const N: usize> Kept<'a, N> {
    pub(crate) fn new(sql: &'static str, texts: [&'a str; N]) -> Self {
        debug_assert_eq!(sql.matches('?').count(), N, "one value for each ? of {sql}");
        Kept { sql, texts }
    }
}

#[cfg(feature = "sqlite")]
impl<const N: usize> diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for Kept<'_, N> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        let mut parts = self.sql.split('?');
        out.push_sql(parts.next().unwrap_or_default());
        for (text, part) in self.texts.iter().zip(parts) {
            out.push_bind_param::<diesel::sql_types::Text, _>(text)?;
            out.push_sql(part);
        }
        Ok(())
    }
}

#[cfg(feature = "sqlite")]
impl<const N: usize> diesel::query_builder::QueryId for Kept<'_, N> {
    type QueryId = ();
    // Not a type of its own: the statement is kept under its text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

#[cfg(feature = "sqlite")]
impl<const N: usize> diesel::query_builder::Query for Kept<'_, N> {
    type SqlType = diesel::sql_types::Untyped;
}

#[cfg(feature = "sqlite")]
impl<Conn, const N: usize> RunQueryDsl<Conn> for Kept<'_, N> {}

/// Why the database cannot take work for now, when a query failed for a reason of the
/// database's and not of the request's: it cannot be reached (restarting, connection lost), it
/// is full (disk or SQLite's `max_page_count`), or it is read-only (a read-only file, a standby).
/// Whatever failed this way was rolled back: nothing of it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// The connection was lost or refused (a PostgreSQL restart, a network fault).
    Unreachable,
    /// No room left: the disk, or the cap set on the database's size.
    Full,
    /// The database refuses writes (a read-only file or mount, a PostgreSQL standby).
    ReadOnly,
}

impl Outage {
    /// What a client is told.
    pub fn message(self) -> &'static str {
        match self {
            Outage::Unreachable => "the database cannot be reached; nothing of this request was stored, try again",
            Outage::Full => "the database is full; nothing of this request was stored, try again once space is freed",
            Outage::ReadOnly => {
                "the database is read-only; nothing of this request was stored, try again once it takes writes"
            }
        }
    }

    /// Reads a failed query: `Some` when the database, not the request, is at fault. SQLite
    /// says it in its messages (`SQLITE_FULL`, `SQLITE_READONLY`, `SQLITE_IOERR`); PostgreSQL in
    /// the error kind (connection exceptions, a read-only transaction) or its message (an
    /// administrator's shutdown, a full disk).
    pub fn of(e: &diesel::result::Error) -> Option<Outage> {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::DatabaseError(K::ClosedConnection | K::UnableToSendCommand, _) => Some(Outage::Unreachable),
            E::DatabaseError(K::ReadOnlyTransaction, _) => Some(Outage::ReadOnly),
            E::DatabaseError(_, info) => Outage::of_message(info.message()),
            E::RollbackErrorOnCommit { commit_error, .. } => Outage::of(commit_error),
            E::BrokenTransactionManager => Some(Outage::Unreachable),
            _ => None,
        }
    }

    fn of_message(m: &str) -> Option<Outage> {
        let m = m.to_ascii_lowercase();
        let any = |words: &[&str]| words.iter().any(|w| m.contains(w));
        if any(&["database or disk is full", "no space left on device", "disk full"]) {
            Some(Outage::Full)
        } else if any(&["readonly database", "read-only transaction", "read-only file system"]) {
            Some(Outage::ReadOnly)
        } else if any(&[
            "terminating connection",
            "server closed the connection",
            "no connection to the server",
            "the database system is",
            "connection refused",
            "could not connect",
            "disk i/o error",
        ]) {
            Some(Outage::Unreachable)
        } else {
            None
        }
    }
}

/// Whether a connection answers.
pub fn ping(conn: &mut DbConn) -> Result<(), StoreError> {
    diesel::sql_query("SELECT 1").execute(conn)?;
    Ok(())
}

impl From<r2d2::PoolError> for StoreError {
    fn from(e: r2d2::PoolError) -> Self {
        StoreError::Connection(e.to_string())
    }
}

/// Where the database is and which backend serves it.
#[derive(Debug, Clone)]
pub struct DbTarget {
    /// The backend, from the URL scheme.
    pub backend: Backend,
    /// What the backend's driver is given: a path for SQLite, the URL for PostgreSQL.
    pub url: String,
    /// SQLite: the most the file may grow to, in bytes (`PRAGMA max_page_count` on every
    /// connection); past it a write fails with `SQLITE_FULL` ([`Outage::Full`]).
    pub max_bytes: Option<u64>,
    /// SQLite: the gateway checkpoints the write-ahead log itself, on a thread of its own that
    /// takes turns with the writers (`service::wal`), and no connection does on commit
    /// (`wal_autocheckpoint = 0`); a log that grew past this many bytes is cut back to it when
    /// it starts again (`journal_size_limit`). `None`: SQLite's own checkpoints on commit (the
    /// command line, tests that open the file).
    pub wal_bytes: Option<u64>,
}

impl DbTarget {
    /// Reads a `BAWABA_DATABASE_URL`-style string: `postgres://…` or `postgresql://…`,
    /// `sqlite://path`, or a plain path. Any other `scheme://` is refused, not taken for a path,
    /// and so is a backend this build leaves out.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let target = Self::parse_any(url)?;
        if !target.backend.is_built() {
            return Err(StoreError::NotBuilt(target.backend.as_str()));
        }
        Ok(target)
    }

    fn parse_any(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbTarget { backend: Backend::Postgres, url: url.to_owned(), max_bytes: None, wal_bytes: None });
        }
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            return Ok(DbTarget { backend: Backend::Sqlite, url: path.to_owned(), max_bytes: None, wal_bytes: None });
        }
        if let Some((scheme, _)) = url.split_once("://")
            && !scheme.is_empty()
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return Err(StoreError::UnknownScheme(scheme.to_owned()));
        }
        Ok(DbTarget { backend: Backend::Sqlite, url: url.to_owned(), max_bytes: None, wal_bytes: None })
    }

    /// Opens one connection, set up as every connection of the pool is.
    pub fn connect(&self) -> Result<DbConn, StoreError> {
        match self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                create_private(&self.url)?;
                let mut c =
                    SqliteConnection::establish(&self.url).map_err(|e| StoreError::Connection(e.to_string()))?;
                c.batch_execute(&format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL; \
                     PRAGMA temp_store = MEMORY; PRAGMA cache_size = -{SQLITE_CACHE_KIB};"
                ))?;
                if let Some(bytes) = self.wal_bytes {
                    c.batch_execute(&format!("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {bytes};"))?;
                }
                let mut c = DbConn::Sqlite(c);
                if let Some(bytes) = self.max_bytes {
                    let pages = (bytes / queries::page_size(&mut c)?.max(512) as u64).max(1);
                    c.batch_execute(&format!("PRAGMA max_page_count = {pages};"))?;
                }
                Ok(c)
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                PgConnection::establish(&self.url).map(DbConn::Pg).map_err(|e| StoreError::Connection(e.to_string()))
            }
            #[cfg(not(all(feature = "sqlite", feature = "postgres")))]
            other => Err(StoreError::NotBuilt(other.as_str())),
        }
    }

    /// Applies every pending migration of this backend.
    pub fn migrate(&self) -> Result<usize, StoreError> {
        let mut conn = self.connect()?;
        let applied = match &mut conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => {
                c.batch_execute("PRAGMA journal_mode = WAL;")?;
                c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len())
            }
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
        };
        applied.map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// A pool of connections, for the readers.
    pub fn pool(&self, size: u32) -> Result<Pool, StoreError> {
        r2d2::Pool::builder()
            .max_size(size)
            .connection_timeout(Duration::from_secs(10))
            .build(Manager { target: self.clone() })
            .map_err(|e| StoreError::Connection(e.to_string()))
    }
}

/// The connection pool type.
pub type Pool = r2d2::Pool<Manager>;

/// How long a request waits for a reader connection before it looks whether the pool is short
/// of connections (some found broken and no new one made: the database restarting or gone).
pub const DEGRADED_CHECKOUT: Duration = Duration::from_secs(2);

/// Why a reader connection could not be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkout {
    /// Every connection stayed busy for the pool's whole wait (10 s): the gateway is overloaded.
    Busy,
    /// The pool is short of connections and none could be made: the database is unreachable.
    Degraded,
}

/// A reader connection for a request. While the database is unreachable every checkout would
/// wait out the pool's timeout (10 s; a request that needs two would go unanswered by a client
/// that waits 20): after [`DEGRADED_CHECKOUT`], a pool short of connections is given up on,
/// while one at full strength and only busy is waited for the rest of the pool's timeout.
pub fn checkout(pool: &Pool) -> Result<r2d2::PooledConnection<Manager>, Checkout> {
    if let Ok(c) = pool.get_timeout(DEGRADED_CHECKOUT) {
        return Ok(c);
    }
    if pool.state().connections < pool.max_size() {
        return Err(Checkout::Degraded);
    }
    pool.get_timeout(pool.connection_timeout().saturating_sub(DEGRADED_CHECKOUT).max(Duration::from_millis(1)))
        .map_err(|_| if pool.state().connections < pool.max_size() { Checkout::Degraded } else { Checkout::Busy })
}

/// An r2d2 manager that picks the backend from the URL scheme.
#[derive(Debug)]
pub struct Manager {
    target: DbTarget,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        self.target.connect().map_err(|e| match e {
            StoreError::Query(q) => r2d2::Error::QueryError(q),
            other => r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(other.to_string())),
        })
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

/// The versions of the embedded migrations of each backend, for the test that keeps the twins
/// in step.
#[cfg(all(feature = "sqlite", feature = "postgres"))]
pub fn migration_versions() -> (Vec<String>, Vec<String>) {
    use diesel::migration::MigrationSource;
    fn versions(m: EmbeddedMigrations) -> Vec<String> {
        let list: Vec<Box<dyn diesel::migration::Migration<diesel::sqlite::Sqlite>>> =
            MigrationSource::<diesel::sqlite::Sqlite>::migrations(&m).unwrap_or_default();
        list.iter().map(|m| m.name().version().to_string()).collect()
    }
    (versions(SQLITE_MIGRATIONS), versions(POSTGRES_MIGRATIONS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(feature = "sqlite", feature = "postgres"))]
    fn twin_migrations_list_the_same_versions() {
        let (sqlite, postgres) = migration_versions();
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }

    #[test]
    #[cfg(all(feature = "sqlite", feature = "postgres"))]
    fn backend_comes_from_the_url_scheme() {
        let parse = |u: &str| DbTarget::parse(u).expect("a known scheme");
        assert_eq!(parse("postgres://u@h/db").backend, Backend::Postgres);
        assert_eq!(parse("postgresql://u@h/db").backend, Backend::Postgres);
        let t = parse("sqlite:///tmp/x.db");
        assert_eq!((t.backend, t.url.as_str()), (Backend::Sqlite, "/tmp/x.db"));
        // A path that merely contains a scheme-like word is still a SQLite path.
        assert_eq!(parse("data/postgres.db").backend, Backend::Sqlite);
        // Another database's URL is refused, not taken for a file name.
        assert!(matches!(DbTarget::parse("mysql://u@h/db"), Err(StoreError::UnknownScheme(s)) if s == "mysql"));
    }

    #[test]
    #[cfg(not(feature = "postgres"))]
    fn a_backend_left_out_of_the_build_is_refused() {
        assert!(matches!(DbTarget::parse("postgres://u@h/db"), Err(StoreError::NotBuilt("postgres"))));
        assert_eq!(DbTarget::parse("data/x.db").expect("a SQLite path").backend, Backend::Sqlite);
    }
}
