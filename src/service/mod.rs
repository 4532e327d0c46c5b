//! Use cases: the gateway's behaviour, between the HTTP handlers and the store. Handlers parse
//! and authenticate, then call one function here; nothing here knows HTTP.

pub mod agencies;
pub mod auth;
pub mod domain;
pub mod engine;
pub mod households;
pub mod intake;
pub mod policy;
pub mod records;
pub mod reports;
pub mod review;
pub mod search;

use std::sync::Arc;

use bawaba_matching::{MatchConfig, Matcher};

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::store::{DbTarget, Pool, StoreError};
use auth::Keys;
use engine::Engine;
use intake::Intake;
use policy::OverlapPolicy;

/// Everything the use cases need, shared by every worker.
#[derive(Clone)]
pub struct Services {
    pub pool: Pool,
    pub keys: Keys,
    pub engine: Arc<Engine>,
    pub intake: Intake,
    pub policy: Arc<OverlapPolicy>,
    pub metrics: Arc<Metrics>,
}

/// How to start the services.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub master_key: Option<String>,
    pub overlap_policy: OverlapPolicy,
    pub pool_size: u32,
    pub match_config: MatchConfig,
}

impl Services {
    /// Migrates, opens the pool, rebuilds the index and starts the writer.
    pub fn start(settings: &Settings) -> Result<Services, StoreError> {
        let target = DbTarget::parse(&settings.database_url);
        target.migrate()?;
        let pool = target.pool(settings.pool_size)?;
        let mut conn = target.connect()?;
        let started = std::time::Instant::now();
        let (engine, next) = Engine::load(&mut conn, Matcher::new(settings.match_config.clone()))?;
        let engine = Arc::new(engine);
        {
            let state = engine.state.read();
            tracing::info!(
                persons = state.index.persons(),
                households = state.index.households(),
                ms = started.elapsed().as_millis() as u64,
                "index rebuilt"
            );
        }
        let policy = Arc::new(settings.overlap_policy.clone());
        let metrics = Arc::new(Metrics::new().map_err(|e| StoreError::Connection(format!("metrics: {e}")))?);
        let intake = Intake::start(conn, engine.clone(), policy.clone(), metrics.clone(), next);
        Ok(Services { pool, keys: Keys::new(settings.master_key.as_deref()), engine, intake, policy, metrics })
    }

    /// A reader connection (blocking).
    pub fn conn(&self) -> Result<diesel::r2d2::PooledConnection<crate::store::Manager>, ApiError> {
        self.pool.get().map_err(|_| ApiError::Unavailable)
    }
}
