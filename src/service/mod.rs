//! Use cases: the gateway's behaviour, the one door to it. The HTTP API, the pages and the CLI
//! each extract what they were given, call one function here with the caller ([`auth::Principal`])
//! and the input as it arrived (a wire body or query), and render what it returns. Each use case
//! checks the caller's role, validates its input ([`validate`]), reads or writes through the
//! store and the engine, audits reads of personal data ([`audit`]), and answers with wire types
//! or a [`error::ServiceError`]. Nothing here knows HTTP.

pub mod access;
pub mod agencies;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod batch;
pub mod cluster;
pub mod dedup;
pub mod desk;
pub mod directory;
pub mod domain;
pub mod error;
pub mod evidence;
pub mod family;
pub mod households;
pub mod ids;
pub mod index;
pub mod intake;
pub mod learning;
pub mod life;
pub mod limits;
pub mod model;
pub mod overlap;
pub mod places;
pub mod planning;
pub mod policy;
pub mod quality;
pub mod records;
pub mod reports;
pub mod review;
pub mod search;
pub mod sessions;
pub mod stats;
pub mod validate;
pub mod vault;
pub mod wal;
pub mod webhooks;

use std::net::IpAddr;
use std::sync::Arc;

use bawaba_matching::{MatchConfig, Matcher};

use crate::metrics::Metrics;
use crate::store::{Backend, DbConn, DbTarget, Pool, StoreError};
use audit::{AuditLog, WriteTurn};
use auth::Keys;
use error::ServiceError;
use index::Engine;
use intake::Intake;
use limits::{Budget, Limiter, RateLimits};
use places::Places;
use policy::OverlapPolicy;
use sessions::Sessions;
use vault::{DataKey, KeySource, Vault};

/// Who may read the metrics.
pub const METRICS: &[auth::Role] = &[auth::Role::Admin, auth::Role::Auditor];

/// Everything the use cases need, shared by every worker.
#[derive(Clone)]
pub struct Services {
    pub pool: Pool,
    pub keys: Keys,
    pub engine: Arc<Engine>,
    pub intake: Intake,
    /// The audit log's queue (see [`audit`]): reads queue their events and do not wait.
    pub audit: AuditLog,
    pub policy: Arc<OverlapPolicy>,
    pub metrics: Arc<Metrics>,
    /// The pages' sign-in sessions, this gateway's own.
    pub sessions: Arc<Sessions>,
    /// The request budgets, this gateway's own.
    pub limits: Arc<Limiter>,
    /// The gazetteer every record's location is resolved with.
    pub places: Arc<Places>,
    /// Seals national IDs and phones at rest and opens them for who may read them.
    pub vault: Arc<Vault>,
    /// How long a rotated key keeps working beside its replacement.
    pub key_rotation_grace: std::time::Duration,
    /// How webhooks are checked and delivered (see [`webhooks`]).
    pub webhooks: webhooks::WebhookSettings,
    /// Held by every clone: while any lives, the keys' `last used` times are flushed and the
    /// webhook dispatcher runs; both stop once the last is gone.
    _alive: Arc<()>,
    /// The coverage report's threshold and suppression (see [`planning`]).
    pub coverage: planning::CoverageSettings,
    /// This gateway's role among several on one database (see [`cluster`]).
    pub cluster: Arc<cluster::Cluster>,
    backend: &'static str,
}

/// How to start the services.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub master_key: Option<String>,
    /// The data key (`BAWABA_DATA_KEY`, 64 hex characters); on SQLite, when absent, the key
    /// file beside the database (made on first start). See [`vault`].
    pub data_key: Option<String>,
    pub overlap_policy: OverlapPolicy,
    pub pool_size: u32,
    /// SQLite: the most the file may grow to, in MiB (`--sqlite-max-mb`); none by default.
    pub sqlite_max_mb: Option<u64>,
    /// SQLite: the write-ahead log's bound, in MiB (`--sqlite-wal-mb`, see [`wal`]).
    pub sqlite_wal_mb: u64,
    pub match_config: MatchConfig,
    pub rate_limits: RateLimits,
    /// How long a rotated key keeps working beside its replacement (default 24 h).
    pub key_rotation_grace: std::time::Duration,
    /// Webhook URLs and deliveries (`BAWABA_WEBHOOK_ALLOW_PRIVATE`, the retry backoff).
    pub webhooks: webhooks::WebhookSettings,
    /// Where this gateway serves, as the other gateways on its database and their clients should
    /// reach it (`--advertise-url`): a follower sends writers there (see [`cluster`]).
    pub advertise: Option<String>,
}

/// Why the services could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The database could not be opened, migrated or read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A setting is refused (a weak master key); the message says why.
    #[error("{0}")]
    Setting(String),
}

impl Services {
    /// Checks the settings, migrates, finds the data key and seals what is still stored in
    /// clear ([`vault::seal_stored`]), opens the pool, loads the gazetteer and resolves the
    /// stored records' places that have not resolved, rebuilds the index and starts the writer.
    pub fn start(settings: &Settings) -> Result<Services, StartError> {
        if let Some(master) = settings.master_key.as_deref().filter(|k| !k.is_empty()) {
            auth::check_master_key(master).map_err(StartError::Setting)?;
        }
        let coverage = planning::CoverageSettings::from_env().map_err(StartError::Setting)?;
        let mut target = DbTarget::parse(&settings.database_url)?;
        if target.backend == Backend::Sqlite {
            target.max_bytes = settings.sqlite_max_mb.map(|mb| mb.saturating_mul(1 << 20));
        }
        if target.backend == crate::store::Backend::Postgres {
            // A missing or malformed key is refused before anything is changed.
            DataKey::resolve(&target, settings.data_key.as_deref()).map_err(StartError::Setting)?;
        }
        {
            // Gateways starting at once on one PostgreSQL database migrate one after another.
            let _migrating = crate::store::roles::MigrationLock::take(&target)?;
            target.migrate()?;
        }
        // Checkpoints are the gateway's from here on (see `wal`), not each commit's.
        if target.backend == Backend::Sqlite {
            target.wal_bytes = Some(settings.sqlite_wal_mb.max(1).saturating_mul(1 << 20));
        }
        let advertise = settings.advertise.clone().unwrap_or_else(|| "unknown".into());
        let cluster = cluster::join(&target, &advertise)?;
        let writer = cluster.is_writer();
        tracing::info!(role = cluster.role(), writer = ?cluster.writer_address(), "role taken");
        let vault = Arc::new(open_vault(&target, settings.data_key.as_deref())?);
        let mut conn = target.connect()?;
        if writer {
            crate::store::roles::fence(&mut conn)?;
        }
        let started = std::time::Instant::now();
        // Checks the data key against the database's (and, on a database from before sealing,
        // seals what is stored in clear).
        let sealed = vault::seal_stored(&mut conn, &vault).map_err(StartError::Setting)?;
        if sealed.any() {
            tracing::info!(
                persons = sealed.persons,
                evidence = sealed.evidence + sealed.flags,
                answers = sealed.answers,
                notes = sealed.notes,
                body_hashes = sealed.body_hashes,
                ms = started.elapsed().as_millis() as u64,
                "personal data stored in clear before sealing is now sealed"
            );
        }
        let pool = target.pool(settings.pool_size)?;
        let started = std::time::Instant::now();
        let places = Arc::new(Places::load(&mut conn)?);
        // Only the writer changes stored rows; a follower reads them as they are.
        let (resolved, unresolved) = if writer {
            places::resolve_stored(&mut conn, &places.read()).map_err(StoreError::from)?
        } else {
            Default::default()
        };
        tracing::info!(
            places = places.read().len(),
            resolved,
            unresolved,
            ms = started.elapsed().as_millis() as u64,
            "gazetteer loaded; stored records' places resolved"
        );
        let started = std::time::Instant::now();
        let marks = cluster::marks(&mut conn)?;
        let (engine, next) = Engine::load(&mut conn, Matcher::new(settings.match_config.clone()), &vault)?;
        let engine = Arc::new(engine);
        let loaded = started.elapsed();
        let metrics = Arc::new(Metrics::new().map_err(|e| StoreError::Connection(format!("metrics: {e}")))?);
        metrics.engine_load_seconds.set(loaded.as_secs_f64());
        {
            let state = engine.state.read();
            let (persons, bytes) = (state.index.persons(), state.index.memory_bytes());
            tracing::info!(
                persons,
                households = state.index.households(),
                index_mib = bytes >> 20,
                bytes_per_person = bytes / persons.max(1),
                ms = loaded.as_millis() as u64,
                "index rebuilt"
            );
        }
        let policy = Arc::new(settings.overlap_policy.clone());
        let turn = WriteTurn::new(target.backend == Backend::Sqlite);
        let audit = AuditLog::start(&target, turn.clone())?;
        let turn_for_wal = turn.clone();
        // On PostgreSQL the intake thread follows whenever this gateway does not hold the role.
        let follower = (target.backend == Backend::Postgres)
            .then(|| cluster::Follower::new(target.clone(), &cluster, vault.clone(), places.clone(), marks));
        let start = if writer { intake::Start::Writer(next) } else { intake::Start::Follower };
        let intake = Intake::start(
            conn,
            engine.clone(),
            policy.clone(),
            metrics.clone(),
            turn,
            vault.clone(),
            start,
            target.clone(),
            &cluster,
            follower,
        );
        let keys = Keys::new(settings.master_key.as_deref(), metrics.key_lookups.clone());
        let alive = access::alive();
        wal::start(&target, turn_for_wal, metrics.clone(), Arc::downgrade(&alive))?;
        stats::start(&target, metrics.clone(), Arc::downgrade(&alive))?;
        access::flush_keys_used_every(keys.clone(), audit.clone(), Arc::downgrade(&alive));
        webhooks::start_dispatcher(pool.clone(), vault.clone(), settings.webhooks, Arc::downgrade(&alive));
        Ok(Services {
            pool,
            keys,
            engine,
            intake,
            audit,
            policy,
            metrics,
            sessions: Arc::default(),
            limits: Arc::new(Limiter::new(settings.rate_limits)),
            places,
            vault,
            key_rotation_grace: settings.key_rotation_grace,
            webhooks: settings.webhooks,
            _alive: alive,
            coverage,
            cluster,
            backend: target.backend.as_str(),
        })
    }

    /// A reader connection (blocking; [`crate::store::checkout`]: 2 s while the database is out
    /// of reach, else up to the pool's 10 s).
    pub(crate) fn conn(&self) -> Result<diesel::r2d2::PooledConnection<crate::store::Manager>, ServiceError> {
        crate::store::checkout(&self.pool).map_err(ServiceError::from)
    }

    /// Which backend serves the database: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Whether the database answers (blocking; a probe waits at most 2 s for a connection, not
    /// the pool's 10, so a database down answers `/readyz` promptly).
    pub fn health(&self) -> Result<(), ServiceError> {
        let mut conn = self
            .pool
            .get_timeout(std::time::Duration::from_secs(2))
            .map_err(|_| ServiceError::Store(error::Outage::Unreachable))?;
        crate::store::ping(&mut conn).map_err(|_| ServiceError::Store(error::Outage::Unreachable))
    }

    /// The principal behind a presented API key (blocking).
    pub fn authenticate(&self, key: &str) -> Result<auth::Principal, ServiceError> {
        self.keys.authenticate(&self.pool, key)
    }

    /// The principal behind a presented key when no database need be asked (never blocks; see
    /// [`auth::Keys::authenticate_cached`]); `None`: call [`Services::authenticate`].
    pub fn authenticate_cached(&self, key: &str) -> Option<Result<auth::Principal, ServiceError>> {
        self.keys.authenticate_cached(key)
    }

    /// Charges a request to its budget (see [`limits`]), or refuses it with `rate_limited`. A
    /// request presenting a key this gateway knows is charged to that key; any other to its
    /// client address; `/healthz` and `/metrics` (`operations`) to a budget of their own per
    /// address. Asks no database.
    pub fn admit(&self, key: Option<&str>, addr: Option<IpAddr>, operations: bool) -> Result<(), ServiceError> {
        let digest = key.map(auth::digest);
        let budget = match &digest {
            _ if operations => Budget::Operations(addr),
            Some(d) if self.keys.is_known(d) => Budget::Key(d),
            _ => Budget::Address(addr),
        };
        let admitted = self.limits.admit(budget);
        if admitted.is_err() {
            self.metrics.rate_limited.with_label_values(&[budget.label()]).inc();
        }
        admitted
    }

    /// Prometheus text of the gateway's metrics (admin, auditor).
    pub fn metrics_text(&self, who: &auth::Principal) -> Result<String, ServiceError> {
        who.require(METRICS)?;
        {
            let state = self.engine.state.read();
            self.metrics.index_persons.set(state.index.persons() as i64);
            self.metrics.index_bytes.set(state.index.memory_bytes() as i64);
        }
        Ok(self.metrics.render())
    }
}

/// The data key for a database (see [`DataKey::resolve`]), said in the log where it came from.
fn open_vault(target: &DbTarget, given: Option<&str>) -> Result<Vault, StartError> {
    let (key, source) = DataKey::resolve(target, given).map_err(StartError::Setting)?;
    match &source {
        KeySource::Created(path) => tracing::warn!(
            file = %path.display(),
            "no {} given: made a data key in this file (readable by its owner only); it seals every national \
             ID and phone. Back it up apart from the database: losing it loses them all",
            vault::DATA_KEY_ENV
        ),
        KeySource::File(path) => tracing::info!(file = %path.display(), "data key read from its file"),
        KeySource::Ephemeral => tracing::info!("in-memory database: a data key for this run only"),
        KeySource::Environment => tracing::info!("data key read from {}", vault::DATA_KEY_ENV),
    }
    Ok(Vault::new(&key))
}

/// The database alone, without the index or the writer: for the command line's operator
/// commands (`migrate`, `agency create`, `report`, `model estimate`).
pub struct Database {
    target: DbTarget,
    data_key: Option<String>,
}

impl Database {
    /// Opens the database a URL names (refusing unknown schemes) and brings its schema up to
    /// date; returns it with the number of migrations applied.
    /// `data_key` is `BAWABA_DATA_KEY`, read only by the commands that open sealed values.
    pub fn open(url: &str, data_key: Option<String>) -> Result<(Database, usize), ServiceError> {
        let target = DbTarget::parse(url).map_err(|e| ServiceError::field("database_url", e.to_string()))?;
        let applied = target.migrate()?;
        Ok((Database { target, data_key }, applied))
    }

    /// The vault that opens this database's sealed values.
    pub(crate) fn vault(&self) -> Result<Vault, ServiceError> {
        open_vault(&self.target, self.data_key.as_deref()).map_err(|e| ServiceError::field("data_key", e.to_string()))
    }

    /// Which backend serves it: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.target.backend.as_str()
    }

    pub(crate) fn connect(&self) -> Result<DbConn, ServiceError> {
        Ok(self.target.connect()?)
    }
}
