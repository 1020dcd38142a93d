//! Layered configuration of `cosmic`: the file/environment schema [`Settings`], its layering
//! ([`sources`]: defaults < `cosmic.toml` < `cosmic.<profile>.toml` < environment < flags, each value
//! remembering where it came from) and `cosmic config check` ([`check`]: validation, conversion into
//! [`crate::Config`], the redacted report).
//!
//! This module reads files and the environment it is handed; it does not start anything, and it never
//! prints or logs a secret (`auth.jwt_secret`, `database.url`, `redis.url`). Durations are whole seconds
//! in keys ending in `_secs`. Every key is listed in [`keys::KEYS`] and documented in
//! `docs/configuration.md`.

pub mod aws;
pub mod check;
pub mod keys;
pub mod sources;

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use check::{check, report};
pub use sources::{ConfigError, Flag, Loaded, Sources, load};

use crate::telemetry::LogFormat;

/// Everything `cosmic.toml` and `COSMIC_<SECTION>__<KEY>` can set, one struct per `[section]`.
/// Unknown sections and keys are refused (typo protection).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub cache: CacheSettings,
    pub auth: AuthSettings,
    pub api: ApiSettings,
    pub web: WebSettings,
    pub world: WorldSettings,
    pub live: LiveSettings,
    pub http: HttpSettings,
    pub ws: WsSettings,
    pub log: LogSettings,
    pub metrics: MetricsSettings,
    pub shutdown: ShutdownSettings,
    pub quotas: crate::quotas::QuotaConfig,
    pub cluster: ClusterSettings,
}

/// `[server]`: where to listen and keep data, and whether this is a production deployment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Refuses insecure settings (see [`crate::Config::check_production`]).
    pub production: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            production: false,
        }
    }
}

/// `[database]`: none means SQLite at `<data_dir>/cosmic.db`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Secret: may carry a password. Redacted in `Debug` and in the report.
    pub url: Option<String>,
}

/// `[redis]`: none means the in-process cache.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// Secret: may carry a password. Redacted in `Debug` and in the report.
    pub url: Option<String>,
}

fn redacted_url(url: &Option<String>) -> Option<String> {
    url.as_deref().map(keys::redact_url)
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redacted_url(&self.url))
            .finish()
    }
}

impl std::fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSettings")
            .field("url", &redacted_url(&self.url))
            .finish()
    }
}

/// `[cache]`: time to live per kind, and the in-process cache's size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheSettings {
    pub player_state_ttl_secs: u64,
    pub world_summary_ttl_secs: u64,
    pub leaderboard_ttl_secs: u64,
    pub user_profile_ttl_secs: u64,
    pub preset_ttl_secs: u64,
    pub max_entries: u64,
    pub namespace: String,
}

impl Default for CacheSettings {
    fn default() -> Self {
        let c = crate::cache::CacheConfig::default();
        Self {
            player_state_ttl_secs: c.player_state.as_secs(),
            world_summary_ttl_secs: c.world_summary.as_secs(),
            leaderboard_ttl_secs: c.leaderboard.as_secs(),
            user_profile_ttl_secs: c.user_profile.as_secs(),
            preset_ttl_secs: c.preset.as_secs(),
            max_entries: c.max_entries,
            namespace: c.namespace,
        }
    }
}

/// `[auth]`: token signing and password hashing.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Secret: redacted in `Debug` and in the report. Default: empty, a secret generated per data
    /// directory (`<data_dir>/jwt-secret`).
    pub jwt_secret: String,
    pub access_ttl_secs: u64,
    pub refresh_ttl_secs: u64,
    pub hash_concurrency: usize,
    pub hash_queue: usize,
}

impl Default for AuthSettings {
    fn default() -> Self {
        let a = crate::api::AuthConfig::default();
        Self {
            jwt_secret: a.jwt_secret,
            access_ttl_secs: a.access_ttl.as_secs(),
            refresh_ttl_secs: a.refresh_ttl.as_secs(),
            hash_concurrency: a.hash_concurrency,
            hash_queue: a.hash_queue,
        }
    }
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_secret", &keys::REDACTED)
            .field("access_ttl_secs", &self.access_ttl_secs)
            .field("refresh_ttl_secs", &self.refresh_ttl_secs)
            .field("hash_concurrency", &self.hash_concurrency)
            .field("hash_queue", &self.hash_queue)
            .finish()
    }
}

/// `[api]`: the HTTP API's extras.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSettings {
    pub swagger_ui: bool,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self { swagger_ui: true }
    }
}

/// `[web]`: the built web client the server serves (see [`crate::web`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSettings {
    /// Vite's build directory; relative paths start at the working directory.
    pub dir: PathBuf,
    /// Send HSTS on every response, not only when the proxy says `X-Forwarded-Proto: https`.
    pub hsts: bool,
}

impl Default for WebSettings {
    fn default() -> Self {
        let w = crate::web::WebConfig::default();
        Self {
            dir: w.dir,
            hsts: w.hsts,
        }
    }
}

/// `[world]`: the default world and every world actor's limits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorldSettings {
    pub tick_rate_hz: u32,
    pub bodies: usize,
    pub seed: u64,
    /// A balance file replacing the compiled-in one.
    pub balance: Option<PathBuf>,
    pub command_queue: usize,
    pub max_commands_per_tick: usize,
    pub history_ticks: usize,
    pub hibernate_after_secs: u64,
    pub snapshot_every_secs: u64,
    pub stats_every_secs: u64,
}

/// `[live]`: live-session rooms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveSettings {
    /// States published to `cosmic.live.v1` members at most this often.
    pub fanout_hz: u32,
    /// A room nobody is in for this long is removed.
    pub empty_room_ttl_secs: u64,
    pub rooms_per_owner: usize,
}

impl Default for LiveSettings {
    fn default() -> Self {
        let r = live::RoomOptions::default();
        Self {
            fanout_hz: r.fanout_hz,
            empty_room_ttl_secs: r.empty_ttl.as_secs(),
            rooms_per_owner: r.rooms_per_owner,
        }
    }
}

impl Default for WorldSettings {
    fn default() -> Self {
        let c = crate::Config::default();
        let w = garden::WorldOptions::default();
        Self {
            tick_rate_hz: c.tick_rate_hz,
            bodies: c.world_bodies,
            seed: c.world_seed,
            balance: None,
            command_queue: w.command_queue,
            max_commands_per_tick: w.max_commands_per_tick,
            history_ticks: w.history_ticks,
            hibernate_after_secs: w.hibernate_after.as_secs(),
            snapshot_every_secs: w.snapshot_every.as_secs(),
            stats_every_secs: w.stats_every.as_secs(),
        }
    }
}

/// `[http]`: connection limits and timeouts of the HTTP server (see [`gateway::HttpOptions`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    pub header_read_timeout_secs: u64,
    pub request_timeout_secs: u64,
    /// 0: the open-file limit less [`gateway::serve::FD_RESERVE`].
    pub max_connections: usize,
    /// 0: no cap.
    pub max_connections_per_address: usize,
    /// Comma-separated IP addresses of proxies in front of the server: not capped per address.
    pub trusted_proxies: String,
}

impl Default for HttpSettings {
    fn default() -> Self {
        let h = gateway::HttpOptions::default();
        Self {
            header_read_timeout_secs: h.header_read_timeout.as_secs(),
            request_timeout_secs: crate::app::DEFAULT_REQUEST_TIMEOUT.as_secs(),
            max_connections: 0,
            max_connections_per_address: h.max_connections_per_address,
            trusted_proxies: String::new(),
        }
    }
}

/// `[ws]`: every WebSocket limit (see [`gateway::WsOptions`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WsSettings {
    pub ping_interval_secs: u64,
    pub idle_timeout_secs: u64,
    pub hello_timeout_secs: u64,
    pub close_timeout_secs: u64,
    pub write_timeout_secs: u64,
    pub max_message_size: usize,
    pub outbound_queue: usize,
    pub rate_per_second: f64,
    pub rate_burst: f64,
    pub rate_strikes: u32,
    pub read_buffer: usize,
    pub player_state_every: u64,
}

impl Default for WsSettings {
    fn default() -> Self {
        let w = gateway::WsOptions::default();
        Self {
            ping_interval_secs: w.ping_interval.as_secs(),
            idle_timeout_secs: w.idle_timeout.as_secs(),
            hello_timeout_secs: w.hello_timeout.as_secs(),
            close_timeout_secs: w.close_timeout.as_secs(),
            write_timeout_secs: w.write_timeout.as_secs(),
            max_message_size: w.max_message_size,
            outbound_queue: w.outbound_queue,
            rate_per_second: w.rate_per_second,
            rate_burst: w.rate_burst,
            rate_strikes: w.rate_strikes,
            read_buffer: w.read_buffer,
            player_state_every: garden::DEFAULT_PLAYER_STATE_EVERY,
        }
    }
}

/// `[log]`: line format and filter (`RUST_LOG`, when set, overrides the filter).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        let l = crate::telemetry::LogConfig::default();
        Self {
            format: l.format,
            filter: l.filter,
        }
    }
}

/// `[metrics]`: none serves `/metrics` on the main listener only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    pub listen: Option<SocketAddr>,
}

/// `[shutdown]`: how long a graceful shutdown waits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShutdownSettings {
    pub timeout_secs: u64,
}

impl Default for ShutdownSettings {
    fn default() -> Self {
        Self {
            timeout_secs: crate::Config::default().shutdown_timeout.as_secs(),
        }
    }
}

/// `[cluster]`: several nodes on one PostgreSQL database and one Redis (docs/cluster.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterSettings {
    pub enabled: bool,
    /// None: the host name and a random suffix, new at every start.
    pub node_id: Option<String>,
    pub lease_ttl_secs: u64,
    pub max_worlds_per_node: usize,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        let c = crate::cluster::ClusterConfig::default();
        Self {
            enabled: c.enabled,
            node_id: c.node_id,
            lease_ttl_secs: c.lease_ttl.as_secs(),
            max_worlds_per_node: c.max_worlds_per_node,
        }
    }
}
