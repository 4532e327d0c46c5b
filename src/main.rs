//! The `bawaba` command: parse configuration, migrate, bind, serve. Everything else lives in
//! the library so that tests build the same app.

use anyhow::Context;
use bawaba::config::{AgencyCommand, Cli, Command, DbArgs, ModelCommand, ReportCommand};
use bawaba::service::auth::{Principal, Role};
use bawaba::service::engine::Engine;
use bawaba::service::reports::{self, ReportFilter};
use bawaba::service::{Services, Settings, agencies};
use bawaba::store::DbTarget;
use bawaba_matching::{MatchConfig, Matcher};
use clap::Parser;

fn init_logs(db: &DbArgs) {
    let filter = tracing_subscriber::EnvFilter::try_new(&db.log).unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

/// The matching configuration from a JSON file, or the defaults.
fn load_match_config(path: Option<&std::path::Path>) -> anyhow::Result<MatchConfig> {
    let Some(path) = path else { return Ok(MatchConfig::default()) };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a matching configuration", path.display()))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            init_logs(&args.db);
            let settings = Settings {
                database_url: args.db.database_url.clone(),
                master_key: args.master_key.clone(),
                overlap_policy: args.overlap_policy.clone(),
                pool_size: args.pool_size,
                match_config: load_match_config(args.match_config.as_deref())?,
            };
            let services = Services::start(&settings).context("starting the services")?;
            let listener =
                std::net::TcpListener::bind(&args.listen).with_context(|| format!("binding {}", args.listen))?;
            tracing::info!(listen = %args.listen, backend = ?DbTarget::parse(&args.db.database_url).backend, "bawaba is serving");
            if args.master_key.is_none() {
                tracing::warn!("BAWABA_MASTER_KEY is not set: admin routes cannot be used over HTTP");
            }
            let server = bawaba::server(listener, services, args.workers)?;
            actix_web::rt::System::new().block_on(server)?;
        }
        Command::Migrate(db) => {
            init_logs(&db);
            let applied = DbTarget::parse(&db.database_url).migrate().context("migrating")?;
            println!("applied {applied} migration(s)");
        }
        Command::Agency(AgencyCommand::Create(args)) => {
            init_logs(&args.db);
            let role = Role::parse(&args.role).context("--role must be admin, submitter, caseworker or auditor")?;
            let target = DbTarget::parse(&args.db.database_url);
            target.migrate().context("migrating")?;
            let mut conn = target.connect()?;
            let created =
                agencies::create(&mut conn, &args.code, &args.name, role).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("agency {} ({}) id {}", created.agency.code, created.agency.name, created.agency.id);
            println!("{} key (shown once, keep it safe):", created.role);
            println!("{}", created.api_key);
        }
        Command::Import(args) => bawaba::import::run(args)?,
        Command::Model(ModelCommand::Estimate(args)) => {
            init_logs(&args.db);
            let config = load_match_config(args.match_config.as_deref())?;
            let target = DbTarget::parse(&args.db.database_url);
            target.migrate().context("migrating")?;
            let mut conn = target.connect()?;
            let (engine, _) = Engine::load(&mut conn, Matcher::new(config.clone())).context("loading the index")?;
            let state = engine.state.read();
            eprintln!("estimating m on {} persons in {} households", state.index.persons(), state.index.households());
            let m = engine.matcher.estimate_m(&state.index, args.max_pairs);
            let estimated = MatchConfig { m, ..config };
            std::fs::write(&args.out, serde_json::to_string_pretty(&estimated)?)
                .with_context(|| format!("writing {}", args.out.display()))?;
            println!("wrote {}; start the gateway with --match-config {}", args.out.display(), args.out.display());
        }
        Command::Report(ReportCommand::Overlaps(args)) => {
            init_logs(&args.db);
            let target = DbTarget::parse(&args.db.database_url);
            target.migrate().context("migrating")?;
            let mut conn = target.connect()?;
            for (name, d) in [("--from", &args.from), ("--to", &args.to)] {
                if let Some(d) = d {
                    bawaba::api::body::check_date(d).map_err(|p| anyhow::anyhow!("{name} {p}"))?;
                }
            }
            let filter = ReportFilter { from: args.from.clone(), to: args.to.clone(), ..Default::default() };
            let operator = Principal { key_id: None, agency_id: None, agency_code: None, role: Role::Auditor };
            let report =
                reports::overlaps_on(&mut conn, &operator, &filter, None, None).map_err(|e| anyhow::anyhow!("{e}"))?;
            match args.format.as_str() {
                "csv" => print!("{}", reports::overlaps_csv(&report.rows)),
                "json" => println!("{}", serde_json::to_string_pretty(&report)?),
                other => anyhow::bail!("--format must be csv or json, not {other}"),
            }
        }
    }
    Ok(())
}
