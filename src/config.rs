//! Configuration: one struct per command, read by clap from flags over environment variables
//! over defaults. `bawaba --help` is the reference. Passed in app state, never a global.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::service::limits::{Rate, RateLimits};
use crate::service::policy::OverlapPolicy;
use crate::service::webhooks::WebhookSettings;

/// The environment variable that holds the master key.
pub const MASTER_KEY_ENV: &str = "BAWABA_MASTER_KEY";

/// bawaba: one intake gateway for assistance records, with household deduplication.
#[derive(Debug, Parser)]
#[command(name = "bawaba", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP gateway (migrates the database first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
    /// Manage agencies and their keys.
    #[command(subcommand)]
    Agency(AgencyCommand),
    /// The matching model: re-estimate its m probabilities on the stored data.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Reports, printed to standard output.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Import a CSV or spreadsheet file of households into a running gateway.
    Import(crate::import::ImportArgs),
    /// Deduplicate a file of records on this machine, with no server and no database, as if
    /// its records were posted one by one.
    Dedup(crate::dedup::DedupArgs),
    /// Write a consistent copy of the embedded SQLite database while it serves (with its data
    /// key file beside it, unless --without-key). On PostgreSQL use pg_dump (README, "Backups").
    Backup(BackupArgs),
    /// Put a backup made by `bawaba backup` in place of the SQLite database (no gateway may be
    /// serving it).
    Restore(RestoreArgs),
}

/// `bawaba backup`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The backup file to write (it must not exist). The data key is written beside it, as
    /// `FILE.key` (mode 0600), so a gateway started on the backup serves the same answers.
    #[arg(long)]
    pub out: PathBuf,
    /// Leave the data key file out, for backups kept apart from their key (a gateway on the
    /// backup then needs BAWABA_DATA_KEY or the key file put back beside it).
    #[arg(long)]
    pub without_key: bool,
}

/// `bawaba restore`.
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The backup to restore (its key file `FILE.key` comes along when present).
    #[arg(long)]
    pub from: PathBuf,
    /// Replace a database that exists.
    #[arg(long)]
    pub force: bool,
}

/// Agency commands.
#[derive(Debug, Subcommand)]
pub enum AgencyCommand {
    /// Create an agency (or add a key of another role to an existing one) and print the new
    /// key once.
    Create(AgencyCreateArgs),
}

/// Model commands.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Re-estimate the m probabilities by EM on pairs drawn from the stored persons' blocks, and
    /// write the whole matching configuration as JSON (give it to `serve --match-config`).
    Estimate(EstimateArgs),
}

/// `bawaba model estimate`.
#[derive(Debug, Clone, Args)]
pub struct EstimateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The configuration to start from (defaults when absent).
    #[arg(long, env = "BAWABA_MATCH_CONFIG")]
    pub match_config: Option<PathBuf>,
    /// Where to write the re-estimated configuration.
    #[arg(long)]
    pub out: PathBuf,
    /// Most candidate pairs EM looks at.
    #[arg(long, default_value_t = 200_000)]
    pub max_pairs: usize,
}

/// Report commands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Every overlapping pair of records in a period, as CSV or JSON.
    Overlaps(ReportArgs),
}

/// `bawaba report overlaps`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// First day, YYYY-MM-DD.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD.
    #[arg(long)]
    pub to: Option<String>,
    /// csv or json.
    #[arg(long, default_value = "csv")]
    pub format: String,
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database: a SQLite path or `sqlite://path` (the embedded default), or `postgres://…`.
    #[arg(long, env = "BAWABA_DATABASE_URL", default_value = "bawaba.db")]
    pub database_url: String,
    /// Log filter (tracing's EnvFilter syntax, e.g. `info` or `bawaba=debug`).
    #[arg(long, env = "BAWABA_LOG", default_value = "info")]
    pub log: String,
}

/// `bawaba serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address and port to listen on.
    #[arg(long, env = "BAWABA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Where this gateway serves as its clients and the other gateways on the same PostgreSQL
    /// reach it (e.g. `https://gw-2.example.org`): a follower names the writer's in
    /// `X-Bawaba-Writer` and `/readyz`. Default: `http(s)://` and --listen.
    #[arg(long, env = "BAWABA_ADVERTISE_URL")]
    pub advertise_url: Option<String>,
    /// A PEM file of the certificate chain to serve HTTPS with (built-in TLS, rustls); give
    /// --tls-key with it. Without both, the gateway speaks plain HTTP (behind a TLS proxy: see
    /// the README, "HTTPS").
    #[arg(long, env = "BAWABA_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM file of the certificate's private key (readable by the gateway's user only).
    #[arg(long, env = "BAWABA_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// A file holding the master (admin) key on its first line. Give the key either so or in
    /// the environment variable BAWABA_MASTER_KEY, never on the command line (where every user
    /// of the machine can read it). It must have at least 32 characters, 10 of them different
    /// (`openssl rand -hex 32` makes one), or the gateway refuses to start. Without a master
    /// key, only agencies made with `bawaba agency create` can act, and no admin route can be
    /// used over HTTP.
    #[arg(long, env = "BAWABA_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Requests allowed per API key: `N/s`, `N/min` or `N/h`, in bursts of up to N; `off` for no
    /// limit. Over it: 429 `rate_limited` with Retry-After.
    #[arg(long, env = "BAWABA_RATE_PER_KEY", default_value = "60000/min")]
    pub rate_per_key: Rate,
    /// Requests allowed per client address for requests without a known key (no key, an
    /// unknown key, the pages), and apart from them for `/healthz` and `/metrics`; IPv6 by /64.
    #[arg(long, env = "BAWABA_RATE_PER_ADDRESS", default_value = "3000/min")]
    pub rate_per_address: Rate,
    /// Which aid types conflict with which, e.g. `cash=cash+voucher,food=food+voucher`. Types not
    /// named conflict with their own type only.
    #[arg(long, env = "BAWABA_OVERLAP_POLICY", default_value = "")]
    pub overlap_policy: OverlapPolicy,
    /// A JSON file of the matching configuration (bands, m and u probabilities…), as written by
    /// `bawaba model estimate`; defaults when absent.
    #[arg(long, env = "BAWABA_MATCH_CONFIG")]
    pub match_config: Option<PathBuf>,
    /// The households this registry covers once full (its catchment: a directorate's families,
    /// a country's). The matcher's prior that a record is one given stored household is taken
    /// at this size at least, so the first records posted are judged as the last will be (two
    /// namesakes born the same year are not one family because the other has not been posted
    /// yet). Default: the match configuration's `expected_households`, else the households
    /// stored.
    #[arg(long, env = "BAWABA_EXPECTED_HOUSEHOLDS", value_name = "N")]
    pub expected_households: Option<usize>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "BAWABA_WORKERS")]
    pub workers: Option<usize>,
    /// Reader connections in the database pool.
    #[arg(long, env = "BAWABA_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,
    /// SQLite only: the most the database file may grow to, in MiB (SQLite's `max_page_count`),
    /// so a gateway never fills the disk it shares: past it, writes are answered 503
    /// `unavailable` ("the database is full") and nothing of them is stored. Default: no cap.
    #[arg(long, env = "BAWABA_SQLITE_MAX_MB")]
    pub sqlite_max_mb: Option<u64>,
    /// SQLite only: the size in MiB past which the write-ahead log is wholly copied into the
    /// database and started again, in a turn between two of the writer's transactions; the
    /// gateway's own thread copies it as it grows (no commit waits for a checkpoint).
    #[arg(long, env = "BAWABA_SQLITE_WAL_MB", default_value_t = crate::service::wal::DEFAULT_MB)]
    pub sqlite_wal_mb: u64,
    /// Seconds a rotated key keeps working beside its replacement (`POST /v1/keys/{id}/rotate`).
    #[arg(long, env = "BAWABA_KEY_ROTATION_GRACE", default_value_t = 24 * 60 * 60)]
    pub key_rotation_grace: u64,
    /// Let webhook URLs reach loopback and private addresses (receivers on the agency's own
    /// network, tests): `true` or `false`.
    #[arg(long, env = "BAWABA_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,
    /// Milliseconds before a failed webhook delivery is tried again; the wait doubles with each
    /// failure, up to an hour.
    #[arg(long, env = "BAWABA_WEBHOOK_BACKOFF_MS", default_value_t = 5000)]
    pub webhook_backoff_ms: u64,
}

impl ServeArgs {
    /// The master key, from `--master-key-file` or from the environment (an empty one is
    /// none); both at once is refused. Its strength is checked when the services start.
    pub fn master_key(&self) -> anyhow::Result<Option<String>> {
        let from_env = std::env::var(MASTER_KEY_ENV).ok().filter(|k| !k.is_empty());
        let Some(path) = &self.master_key_file else {
            return Ok(from_env);
        };
        if from_env.is_some() {
            anyhow::bail!("give the master key one way: {MASTER_KEY_ENV} or --master-key-file, not both");
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading the master key file {}: {e}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
                tracing::warn!(file = %path.display(), "the master key file can be read by others: chmod 600 it");
            }
        }
        Ok(text.lines().next().map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned))
    }

    /// How webhooks are checked and delivered.
    pub fn webhooks(&self) -> WebhookSettings {
        WebhookSettings {
            allow_private: self.webhook_allow_private,
            backoff: std::time::Duration::from_millis(self.webhook_backoff_ms.max(1)),
            ..WebhookSettings::default()
        }
    }

    /// The request budgets.
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits { per_key: self.rate_per_key, per_address: self.rate_per_address }
    }
}

/// `bawaba agency create`.
#[derive(Debug, Clone, Args)]
pub struct AgencyCreateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Short unique code, e.g. `WFP`.
    #[arg(long)]
    pub code: String,
    /// Full name, e.g. `World Food Programme`.
    #[arg(long)]
    pub name: String,
    /// Role of the new key: admin, submitter, caseworker or auditor.
    #[arg(long, default_value = "submitter")]
    pub role: String,
}
