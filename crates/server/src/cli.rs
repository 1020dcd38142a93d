//! Command-line interface of `cosmic`: subcommands and their flags, dispatched to the library.
//!
//! Flags are the top layer of the configuration ([`crate::config`]): defaults < `cosmic.toml` <
//! `COSMIC_<SECTION>__<KEY>` < flags. A flag left out leaves the lower layers' value in place, so flags
//! here have no defaults and no `env`: both live in `config`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Flag, Sources};
use crate::telemetry::LogFormat;

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
    /// Inspect the layered configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
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

/// The benchmark suites of `cosmic bench` (run by the binary).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Suite {
    /// Gravity kernels (scalar, SIMD, threaded, Barnes–Hut) and a full world step.
    Gravity,
    /// Bytes per tick of the wire protocols and the compression codecs.
    Codec,
    /// Database load and latency of the REST API's reads without and with the cache.
    Api,
    /// Throughput of the REST reads with metrics and request logging on versus off.
    Observability,
}

/// `cosmic config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print it with the source of each value (secrets as ***).
    /// Accepts every flag of `cosmic serve`; exits non-zero naming the key, its source and what is
    /// allowed when a value is invalid.
    Check(ServeArgs),
}

/// Which configuration files to read.
#[derive(Debug, clap::Args)]
pub struct FileArgs {
    /// Configuration file (default: ./cosmic.toml when present; also COSMIC_CONFIG).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Profile: also reads cosmic.<NAME>.toml next to the file; `production` turns on the production
    /// checks (also COSMIC_PROFILE).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

/// Where the data lives.
#[derive(Debug, clap::Args)]
pub struct StorageArgs {
    #[command(flatten)]
    pub files: FileArgs,
    /// Directory for the embedded database, snapshots and backups [default: data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` stores everything in PostgreSQL; default: SQLite at `<data-dir>/cosmic.db`
    /// (also DATABASE_URL).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Flags of `cosmic serve`; each overrides the file and the environment.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: Option<SocketAddr>,
    #[command(flatten)]
    pub storage: StorageArgs,
    /// `redis://…` puts the cache in Redis; default: in-process (also REDIS_URL).
    #[arg(long, value_name = "URL")]
    pub redis_url: Option<String>,
    /// Secret that signs access tokens (better: COSMIC_AUTH__JWT_SECRET_FILE).
    #[arg(long, value_name = "SECRET")]
    pub jwt_secret: Option<String>,
    /// Production profile: refuses the default JWT secret, debug logs and Swagger UI.
    #[arg(long)]
    pub production: bool,
    /// Do not serve Swagger UI at /swagger-ui/.
    #[arg(long)]
    pub no_swagger_ui: bool,
    /// Directory of the built web client, served at / [default: web/dist].
    #[arg(long, value_name = "DIR")]
    pub web_dir: Option<PathBuf>,
    /// Ticks per second of the default world (1-60) [default: 20].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=60))]
    pub tick_rate: Option<u32>,
    /// Bodies the default world starts with [default: 400].
    #[arg(long)]
    pub world_bodies: Option<usize>,
    /// A balance file replacing the compiled-in one (every value is validated; a bad one is named).
    #[arg(long, value_name = "FILE")]
    pub balance: Option<PathBuf>,
    /// Seconds a v1 connection may take to send `hello` [default: 10].
    #[arg(long, value_name = "SECS")]
    pub ws_hello_timeout_secs: Option<u64>,
    /// Seconds without any message (pongs included) before a connection is closed [default: 45].
    #[arg(long, value_name = "SECS")]
    pub ws_idle_timeout_secs: Option<u64>,
    /// Log line format [default: text].
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Also serve /metrics on this address.
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics_listen: Option<SocketAddr>,
}

/// Collects the flags that were given, as the top configuration layer.
#[derive(Default)]
struct Flags(Vec<Flag>);

impl Flags {
    fn set(&mut self, flag: &'static str, key: &'static str, value: Option<impl ToString>) {
        if let Some(value) = value {
            self.0.push(Flag {
                flag,
                key,
                value: value.to_string(),
            });
        }
    }
}

impl StorageArgs {
    fn flags(&self, flags: &mut Flags) {
        let dir = self.data_dir.as_ref().map(|d| d.display().to_string());
        flags.set("--data-dir", "server.data_dir", dir);
        flags.set("--database-url", "database.url", self.database_url.as_ref());
    }

    fn sources(&self) -> anyhow::Result<Sources> {
        let mut flags = Flags::default();
        self.flags(&mut flags);
        let files = &self.files;
        Ok(Sources::from_process(
            files.config.clone(),
            files.profile.clone(),
            flags.0,
        )?)
    }
}

impl ServeArgs {
    fn sources(&self) -> anyhow::Result<Sources> {
        let mut f = Flags::default();
        f.set("--listen", "server.listen", self.listen);
        self.storage.flags(&mut f);
        f.set("--redis-url", "redis.url", self.redis_url.as_ref());
        f.set("--jwt-secret", "auth.jwt_secret", self.jwt_secret.as_ref());
        f.set(
            "--production",
            "server.production",
            self.production.then_some(true),
        );
        let no_swagger = self.no_swagger_ui.then_some(false);
        f.set("--no-swagger-ui", "api.swagger_ui", no_swagger);
        let web_dir = self.web_dir.as_ref().map(|d| d.display().to_string());
        f.set("--web-dir", "web.dir", web_dir);
        f.set("--tick-rate", "world.tick_rate_hz", self.tick_rate);
        f.set("--world-bodies", "world.bodies", self.world_bodies);
        let balance = self.balance.as_ref().map(|b| b.display().to_string());
        f.set("--balance", "world.balance", balance);
        let hello = self.ws_hello_timeout_secs;
        f.set("--ws-hello-timeout-secs", "ws.hello_timeout_secs", hello);
        let idle = self.ws_idle_timeout_secs;
        f.set("--ws-idle-timeout-secs", "ws.idle_timeout_secs", idle);
        let format = self.log_format.map(|l| match l {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        });
        f.set("--log-format", "log.format", format);
        f.set("--metrics-listen", "metrics.listen", self.metrics_listen);
        let files = &self.storage.files;
        Ok(Sources::from_process(
            files.config.clone(),
            files.profile.clone(),
            f.0,
        )?)
    }
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Bench { .. } => anyhow::bail!(
            "cosmic bench runs from the cosmic binary (its suites are not part of the library)"
        ),
        Command::Serve(args) => serve(&args),
        Command::Migrate(args) => migrate(&args),
        Command::Config(ConfigCommand::Check(args)) => config_check(&args),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn config_check(args: &ServeArgs) -> anyhow::Result<()> {
    let report = crate::config::check(&args.sources()?)?;
    #[allow(clippy::print_stdout)] // CLI output
    {
        print!("{report}");
    }
    Ok(())
}

fn migrate(args: &StorageArgs) -> anyhow::Result<()> {
    let config = crate::config::load(&args.sources()?)?.to_config()?;
    crate::telemetry::init(&config.log);
    runtime()?.block_on(async move {
        // `connect` applies the migrations.
        let store = crate::store::Store::connect(
            config.database_url.as_deref(),
            &config.data_dir,
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

fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let loaded = crate::config::load(&args.sources()?)?;
    let config = loaded.to_config()?;
    crate::telemetry::init(&config.log);
    crate::app::mark_started();
    let data_dir = &config.data_dir;
    std::fs::create_dir_all(data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create data directory {}: {e}", data_dir.display()))?;
    runtime()?.block_on(async move {
        // Secrets kept in AWS (`aws-ssm:…`, `aws-sm:…`) are fetched before the production checks see them.
        let config = crate::config::aws::resolve(config).await?;
        crate::config::check::check_production(&loaded, &config)?;
        let app = crate::Application::build(config).await?;
        app.run_until_stopped(crate::app::shutdown_signal()).await
    })
}
