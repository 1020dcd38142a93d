//! Storage: one repository over two backends — SQLite (WAL, under the data directory) by default and
//! PostgreSQL when the database URL starts with `postgres://`. Every query is written once (numbered
//! `$1` placeholders work on both) and dispatched to the backend's pool by [`on_pool!`].
//!
//! This module owns SQL and migrations; it knows nothing of HTTP, tokens or the simulation's rules.

mod fences;
mod journal;
mod live;
mod presets;
mod users;
mod worlds;

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tracing::{info, warn};

pub use journal::Snapshot;
pub use live::LiveRoomRow;
pub use presets::{NewPreset, PresetFilter, PresetRow, PresetVersionRow, PresetVersionSummary};
pub use users::{NewUser, RefreshToken, User};
pub use worlds::{
    LeaderboardEntry, LeaderboardMetric, NewWorld, PlayerStatsRow, StatsSummary, WorldRow,
    WorldSettings,
};

/// Dispatches `$body` to the backend's pool, bound to `$pool` (the same SQL runs on both), and records
/// its time (pool wait included) in `cosmic_db_query_duration_seconds`, labelled by the store module the
/// statement is written in.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {{
        $store.count_query();
        let started = ::std::time::Instant::now();
        let result = match &$store.backend {
            $crate::store::Backend::Sqlite($pool) => $body,
            $crate::store::Backend::Postgres($pool) => $body,
        };
        $crate::metrics::hot()
            .db_query($crate::metrics::DbOp::from_module(module_path!()))
            .record(started.elapsed());
        result
    }};
}
pub(crate) use on_pool;

/// How long a request waits for a pooled connection before failing.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections per pool at most (SQLite: one writer at a time anyway; WAL readers share the rest).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;
/// PostgreSQL ends a session idle inside a transaction for longer than this (see `connect_once`).
pub const PG_IDLE_IN_TRANSACTION: &str = "3s";
/// How long `connect` keeps retrying while the database comes up.
pub const DEFAULT_CONNECT_PATIENCE: Duration = Duration::from_secs(30);

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; names the field (`email`, `username`, …).
    #[error("{0} is already taken")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    /// Cluster mode: the write carried fencing token `token`, but `newest` was seen for this world: the
    /// writer lost its lease to another node and must step down.
    #[error("fenced: token {token} is older than {newest}, another node owns this world now")]
    Fenced { token: u64, newest: u64 },
    /// A foreign key refused the write: what it refers to (an account, a world) was deleted meanwhile.
    #[error("what this refers to no longer exists")]
    Gone,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = e {
            return Self::NotFound;
        }
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            let text = format!("{} {}", db.constraint().unwrap_or(""), db.message());
            for field in ["email", "username", "token_hash"] {
                if text.contains(field) {
                    return Self::Conflict(field);
                }
            }
            return Self::Conflict("value");
        }
        if let sqlx::Error::Database(db) = &e
            && db.is_foreign_key_violation()
        {
            return Self::Gone;
        }
        Self::Db(e)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

/// Pool figures for metrics and health.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
    pub queries: u64,
}

/// The repository: cheap to clone, shared by every handler and world actor.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) backend: Backend,
    queries: Arc<AtomicU64>,
    max: u32,
}

impl Store {
    /// Connects to `url` (`postgres://…`, `sqlite:…`, or empty for `<data_dir>/cosmic.db`), retrying with
    /// backoff for up to `patience` while the database comes up, then applies migrations.
    pub async fn connect(
        url: Option<&str>,
        data_dir: &Path,
        patience: Duration,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            match Self::connect_once(url, data_dir).await {
                Ok(store) => {
                    store.migrate().await?;
                    return Ok(store);
                }
                Err(e) if started.elapsed() + delay < patience => {
                    warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "Database not reachable yet.");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn connect_once(url: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        let url = url.filter(|u| !u.is_empty());
        let backend = match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                let options = PgConnectOptions::from_str(u)
                    .with_context(|| format!("database URL {} is not valid", redact_url(u)))?
                    // A session that stops mid-transaction (its process paused or partitioned away)
                    // would hold its row locks, and a world's fence row with them, forever: PostgreSQL
                    // ends it instead. No transaction of ours waits on its client that long.
                    .options([(
                        "idle_in_transaction_session_timeout",
                        PG_IDLE_IN_TRANSACTION,
                    )]);
                let pool = PgPoolOptions::new()
                    .max_connections(DEFAULT_MAX_CONNECTIONS)
                    .acquire_timeout(DEFAULT_ACQUIRE_TIMEOUT)
                    .test_before_acquire(true)
                    .connect_with(options)
                    .await
                    .with_context(|| {
                        format!("cannot connect to PostgreSQL at {}", redact_url(u))
                    })?;
                Backend::Postgres(pool)
            }
            other => {
                let options = match other {
                    Some(u) => SqliteConnectOptions::from_str(u).with_context(|| {
                        format!("database URL {u:?} is neither postgres:// nor sqlite:")
                    })?,
                    None => {
                        std::fs::create_dir_all(data_dir).with_context(|| {
                            format!("cannot create data directory {}", data_dir.display())
                        })?;
                        SqliteConnectOptions::new().filename(data_dir.join("cosmic.db"))
                    }
                };
                let options = options
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: a commit is on disk before it is acknowledged.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(DEFAULT_ACQUIRE_TIMEOUT);
                let pool = SqlitePoolOptions::new()
                    .max_connections(DEFAULT_MAX_CONNECTIONS)
                    .acquire_timeout(DEFAULT_ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .context("cannot open the SQLite database")?;
                Backend::Sqlite(pool)
            }
        };
        Ok(Self {
            backend,
            queries: Arc::default(),
            max: DEFAULT_MAX_CONNECTIONS,
        })
    }

    /// Applies the backend's pending migrations (idempotent).
    pub async fn migrate(&self) -> Result<()> {
        let migrator = Migrator::with_migrations(migrations(self.kind()));
        match &self.backend {
            Backend::Sqlite(p) => migrator.run(p).await?,
            Backend::Postgres(p) => migrator.run(p).await?,
        }
        info!(backend = ?self.kind(), "Database migrations applied.");
        Ok(())
    }

    pub fn kind(&self) -> BackendKind {
        match &self.backend {
            Backend::Sqlite(_) => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<Duration> {
        let t = Instant::now();
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(t.elapsed())
    }

    pub fn pool_stats(&self) -> PoolStats {
        let (size, idle) = match &self.backend {
            Backend::Sqlite(p) => (p.size(), p.num_idle() as u32),
            Backend::Postgres(p) => (p.size(), p.num_idle() as u32),
        };
        PoolStats {
            size,
            idle,
            max: self.max,
            queries: self.queries.load(Ordering::Relaxed),
        }
    }

    /// Statements sent to the database so far (for the API benchmark and metrics).
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    pub(crate) fn count_query(&self) {
        self.queries.fetch_add(1, Ordering::Relaxed);
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(p) => p.close().await,
            Backend::Postgres(p) => p.close().await,
        }
    }
}

fn migrations(kind: BackendKind) -> Vec<Migration> {
    let files = match kind {
        BackendKind::Sqlite => [
            include_str!("../../migrations/sqlite/0001_init.sql"),
            include_str!("../../migrations/sqlite/0002_world_body_cap.sql"),
            include_str!("../../migrations/sqlite/0003_presets.sql"),
            include_str!("../../migrations/sqlite/0004_live_rooms.sql"),
            include_str!("../../migrations/sqlite/0005_fencing.sql"),
        ],
        BackendKind::Postgres => [
            include_str!("../../migrations/postgres/0001_init.sql"),
            include_str!("../../migrations/postgres/0002_world_body_cap.sql"),
            include_str!("../../migrations/postgres/0003_presets.sql"),
            include_str!("../../migrations/postgres/0004_live_rooms.sql"),
            include_str!("../../migrations/postgres/0005_fencing.sql"),
        ],
    };
    let names = ["init", "world_body_cap", "presets", "live_rooms", "fencing"];
    files
        .into_iter()
        .zip(names)
        .zip(1..)
        .map(|((sql, name), version)| {
            Migration::new(
                version,
                Cow::Borrowed(name),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect()
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..s + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
