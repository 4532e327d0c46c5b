//! The `bawaba` command: parse configuration, migrate, bind, serve. Everything else lives in
//! the library so that tests build the same app.

use anyhow::Context;
use bawaba::config::{AgencyCommand, Cli, Command, DbArgs};
use bawaba::service::{Services, Settings, agencies, auth::Role};
use bawaba::store::DbTarget;
use clap::Parser;

fn init_logs(db: &DbArgs) {
    let filter = tracing_subscriber::EnvFilter::try_new(&db.log).unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
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
    }
    Ok(())
}
