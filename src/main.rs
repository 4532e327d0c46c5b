//! The `bawaba` command: parse configuration, then hand each command to the library. Operator
//! commands go through the service like every other door (`service::Database` for those that
//! need no server), so they keep the same rules as the API.

use anyhow::Context;
use bawaba::config::{AgencyCommand, Cli, Command, DbArgs, ModelCommand, ReportCommand};
use bawaba::service::vault::DATA_KEY_ENV;
use bawaba::service::{Database, Services, Settings, agencies, backup, model, reports};
use bawaba_wire::agencies::NewAgencyBody;
use clap::Parser;

/// mimalloc: the matcher allocates many small short-lived vectors on both cores, and glibc's
/// allocator spent about 15% of `bawaba dedup`'s time in malloc/free and consolidation.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_logs(db: &DbArgs) {
    let filter = tracing_subscriber::EnvFilter::try_new(&db.log).unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

fn open(db: &DbArgs) -> anyhow::Result<Database> {
    let (db, _) = Database::open(&db.database_url, data_key()).context("opening the database")?;
    Ok(db)
}

/// The data key from the environment (never a flag: the command line is visible to every user).
fn data_key() -> Option<String> {
    std::env::var(DATA_KEY_ENV).ok().filter(|k| !k.trim().is_empty())
}

/// What a refused command says: each problem's own message.
fn problems(e: &bawaba::service::error::ServiceError) -> String {
    let p = e.problems();
    if p.is_empty() {
        e.to_string()
    } else {
        p.iter().map(|p| format!("{}: {}", p.field, p.problem)).collect::<Vec<_>>().join("; ")
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            init_logs(&args.db);
            let master_key = args.master_key()?;
            // SQLite serves one process: a second `serve` on the file is refused here.
            let _serving = bawaba::service::cluster::lock_for_serving(&args.db.database_url)?;
            let tls = match (&args.tls_cert, &args.tls_key) {
                (Some(cert), Some(key)) => Some(bawaba::tls::server_config(cert, key).map_err(anyhow::Error::msg)?),
                _ => None,
            };
            let scheme = if tls.is_some() { "https" } else { "http" };
            let advertise = args.advertise_url.clone().unwrap_or_else(|| format!("{scheme}://{}", args.listen));
            let settings = Settings {
                database_url: args.db.database_url.clone(),
                master_key: master_key.clone(),
                data_key: data_key(),
                overlap_policy: args.overlap_policy.clone(),
                pool_size: args.pool_size,
                sqlite_max_mb: args.sqlite_max_mb,
                sqlite_wal_mb: args.sqlite_wal_mb,
                match_config: model::with_expected_households(
                    model::load_config(args.match_config.as_deref())?,
                    args.expected_households,
                ),
                rate_limits: args.rate_limits(),
                key_rotation_grace: std::time::Duration::from_secs(args.key_rotation_grace),
                webhooks: args.webhooks(),
                advertise: Some(advertise),
            };
            let services = Services::start(&settings).context("starting the services")?;
            let listener =
                std::net::TcpListener::bind(&args.listen).with_context(|| format!("binding {}", args.listen))?;
            tracing::info!(
                listen = %args.listen,
                scheme,
                backend = services.backend(),
                rate_per_key = %args.rate_per_key,
                rate_per_address = %args.rate_per_address,
                "bawaba is serving"
            );
            if master_key.is_none() {
                tracing::warn!(
                    "no master key (BAWABA_MASTER_KEY or --master-key-file): admin routes cannot be used over HTTP"
                );
            }
            let audit = services.audit.clone();
            let server = bawaba::server_with(listener, services, args.workers, tls)?;
            actix_web::rt::System::new().block_on(server)?;
            // Stopped cleanly: the audit events still queued are written before the process ends.
            if audit.flush().is_err() {
                tracing::error!("the audit log could not be written before stopping: queued events are lost");
            }
        }
        Command::Migrate(db) => {
            init_logs(&db);
            let (_, applied) = Database::open(&db.database_url, data_key()).context("migrating")?;
            println!("applied {applied} migration(s)");
        }
        Command::Agency(AgencyCommand::Create(args)) => {
            init_logs(&args.db);
            let body = NewAgencyBody { code: args.code.clone(), name: args.name.clone(), role: args.role.clone() };
            let created =
                agencies::create_offline(&open(&args.db)?, &body).map_err(|e| anyhow::anyhow!("{e}: {e:?}"))?;
            println!("agency {} ({}) id {}", created.agency.code, created.agency.name, created.agency.id);
            println!("{} key (shown once, keep it safe):", created.role);
            println!("{}", created.api_key);
        }
        Command::Import(args) => bawaba::import::run(args)?,
        Command::Dedup(args) => {
            bawaba::dedup::run(&args)?;
        }
        Command::Backup(args) => {
            init_logs(&args.db);
            let key = data_key();
            let done = backup::backup(&args.db.database_url, key.as_deref(), &args.out, !args.without_key)
                .map_err(|e| anyhow::anyhow!("{}", problems(&e)))?;
            println!("wrote {} ({} bytes), checked whole", done.file.display(), done.bytes);
            match done.key_file {
                Some(k) => println!(
                    "wrote its data key to {} (mode 0600): keep the two together, or apart as you keep keys",
                    k.display()
                ),
                None => println!(
                    "without its data key: a gateway on this backup needs {DATA_KEY_ENV} or the key file beside it"
                ),
            }
        }
        Command::Restore(args) => {
            init_logs(&args.db);
            backup::restore(&args.db.database_url, &args.from, args.force)
                .map_err(|e| anyhow::anyhow!("{}", problems(&e)))?;
            println!("restored {} from {}", args.db.database_url, args.from.display());
        }
        Command::Model(ModelCommand::Estimate(args)) => {
            init_logs(&args.db);
            let db = open(&args.db)?;
            eprintln!("estimating m on the stored persons");
            let e = model::estimate(&db, args.match_config.as_deref(), args.max_pairs)?;
            eprintln!("looked at {} persons in {} households", e.persons, e.households);
            eprintln!("m learned from {} reviewers' decisions and {} spot checks", e.decisions, e.spot_checks);
            std::fs::write(&args.out, e.config_json).with_context(|| format!("writing {}", args.out.display()))?;
            println!("wrote {}; start the gateway with --match-config {}", args.out.display(), args.out.display());
        }
        Command::Report(ReportCommand::Overlaps(args)) => {
            init_logs(&args.db);
            let db = open(&args.db)?;
            let report = reports::overlaps_offline(&db, args.from.clone(), args.to.clone())
                .map_err(|e| anyhow::anyhow!("{e}: {:?}", e.problems()))?;
            match args.format.as_str() {
                "csv" => print!("{}", reports::csv_of(&report.rows)?),
                "json" => println!("{}", serde_json::to_string_pretty(&report)?),
                other => anyhow::bail!("--format must be csv or json, not {other}"),
            }
        }
    }
    Ok(())
}
