//! Command-line interface of `cosmic`: subcommands and their flags, dispatched to the library.

use clap::{Parser, Subcommand};

use crate::bench::Suite;

/// Cosmic Gardener server.
#[derive(Debug, Parser)]
#[command(name = "cosmic", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: HTTP and WebSocket on one port, with a default world.
    Serve(ServeArgs),
    /// Apply the database migrations and exit (`cosmic serve` also applies them on start).
    Migrate(StorageArgs),
    /// Run a benchmark suite on this machine and print its figures.
    Bench {
        /// Which suite to run.
        #[arg(value_enum)]
        suite: Suite,
        /// Print the figures as one JSON object on the last line (progress still goes to stderr).
        #[arg(long)]
        json: bool,
        /// Shorter runs with fewer repetitions: a smoke test of the suite, not figures to record.
        #[arg(long)]
        quick: bool,
    },
}

/// Where the data lives.
#[derive(Debug, clap::Args)]
pub struct StorageArgs {
    /// Directory for the embedded database, snapshots and backups.
    #[arg(long, env = "COSMIC_SERVER__DATA_DIR", default_value = "data")]
    pub data_dir: std::path::PathBuf,
    /// `postgres://…` stores everything in PostgreSQL; default: SQLite at `<data-dir>/cosmic.db`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

/// Flags of `cosmic serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "COSMIC_SERVER__LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    #[command(flatten)]
    pub storage: StorageArgs,
    /// `redis://…` puts the cache in Redis; default: in-process.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Secret that signs access tokens (also from the file named by COSMIC_AUTH__JWT_SECRET_FILE).
    #[arg(long, env = "COSMIC_AUTH__JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Production profile: refuses the default JWT secret and Swagger UI.
    #[arg(long, env = "COSMIC_PRODUCTION")]
    pub production: bool,
    /// Do not serve Swagger UI at /swagger-ui/.
    #[arg(long, env = "COSMIC_API__NO_SWAGGER_UI")]
    pub no_swagger_ui: bool,
    /// Ticks per second of the default world (1-60).
    #[arg(long, env = "COSMIC_WORLD__TICK_RATE_HZ", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=60))]
    pub tick_rate: u32,
    /// Bodies the default world starts with.
    #[arg(long, env = "COSMIC_WORLD__BODIES", default_value_t = 400)]
    pub world_bodies: usize,
    /// A balance file replacing the compiled-in one (every value is validated; a bad one is named).
    #[arg(long, env = "COSMIC_WORLD__BALANCE")]
    pub balance: Option<std::path::PathBuf>,
    /// Seconds a v1 connection may take to send `hello`.
    #[arg(long, env = "COSMIC_WS__HELLO_TIMEOUT_SECS", default_value_t = crate::ws::options::DEFAULT_HELLO_TIMEOUT.as_secs())]
    pub ws_hello_timeout_secs: u64,
    /// Seconds without any message (pongs included) before a connection is closed.
    #[arg(long, env = "COSMIC_WS__IDLE_TIMEOUT_SECS", default_value_t = crate::ws::options::DEFAULT_IDLE_TIMEOUT.as_secs())]
    pub ws_idle_timeout_secs: u64,
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Bench { suite, json, quick } => crate::bench::run(suite, json, quick),
        Command::Serve(args) => serve(args),
        Command::Migrate(args) => migrate(args),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn migrate(args: StorageArgs) -> anyhow::Result<()> {
    crate::telemetry::init();
    runtime()?.block_on(async move {
        // `connect` applies the migrations.
        let store = crate::store::Store::connect(
            args.database_url.as_deref(),
            &args.data_dir,
            crate::store::DEFAULT_CONNECT_PATIENCE,
        )
        .await?;
        store.close().await;
        #[allow(clippy::print_stdout)] // CLI output
        {
            println!("migrations applied ({:?})", store.kind());
        }
        Ok(())
    })
}

/// A secret from its variable or from the file `<NAME>_FILE` names (container secrets).
fn secret(value: Option<String>, file_var: &str) -> anyhow::Result<Option<String>> {
    if value.is_some() {
        return Ok(value);
    }
    match std::env::var(file_var) {
        Ok(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("{file_var}: cannot read {path}: {e}"))?;
            Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()))
        }
        Err(_) => Ok(None),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    crate::telemetry::init();
    crate::app::mark_started();
    let data_dir = args.storage.data_dir.clone();
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create data directory {}: {e}", data_dir.display()))?;
    let mut auth = crate::api::AuthConfig::default();
    if let Some(s) = secret(args.jwt_secret.clone(), "COSMIC_AUTH__JWT_SECRET_FILE")? {
        auth.jwt_secret = s;
    }
    let balance = match &args.balance {
        None => sim::Balance::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read balance file {}: {e}", path.display()))?;
            sim::Balance::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("balance file {}: {e}", path.display()))?
        }
    };
    let config = crate::Config {
        balance,
        listen: args.listen,
        data_dir,
        database_url: args.storage.database_url,
        redis_url: args.redis_url,
        auth,
        production: args.production,
        swagger_ui: !args.no_swagger_ui,
        tick_rate_hz: args.tick_rate,
        world_bodies: args.world_bodies,
        ws: crate::ws::WsOptions {
            hello_timeout: std::time::Duration::from_secs(args.ws_hello_timeout_secs),
            idle_timeout: std::time::Duration::from_secs(args.ws_idle_timeout_secs),
            ..Default::default()
        },
        ..Default::default()
    };
    runtime()?.block_on(async move {
        let app = crate::Application::build(config).await?;
        app.run_until_stopped(crate::app::shutdown_signal()).await
    })
}
