//! Validation of layered [`Settings`](super::Settings), their conversion into [`crate::Config`], and the
//! report `cosmic config check` prints: the effective configuration as TOML, each value followed by its
//! source, secrets shown as `***`.
//!
//! Nothing here may print or return a secret's value; only the CLI prints.

use std::time::Duration;

use super::keys::{self, KEYS, REDACTED};
use super::sources::{ConfigError, Loaded, Sources, load};

/// Loads the configuration, converts it, applies the production checks and returns the report.
pub fn check(sources: &Sources) -> Result<String, ConfigError> {
    let loaded = load(sources)?;
    let config = loaded.to_config()?;
    check_production(&loaded, &config)?;
    Ok(report(&loaded))
}

/// Bounds, formats and schemes the types alone do not express.
pub(super) fn validate(loaded: &Loaded) -> Result<(), ConfigError> {
    let values = serde_json::to_value(&loaded.settings).unwrap_or_default();
    for info in KEYS {
        let Some(n) = lookup(&values, info.key).and_then(serde_json::Value::as_f64) else {
            continue;
        };
        let low = info.min.is_some_and(|min| n < min);
        let high = info.max.is_some_and(|max| n > max);
        if low || high {
            return Err(loaded.error(info.key, format!("{n} is out of range")));
        }
    }
    let s = &loaded.settings;
    let namespace = &s.cache.namespace;
    if namespace.is_empty() || namespace.contains(char::is_whitespace) {
        let problem = format!("{namespace:?} is empty or has spaces");
        return Err(loaded.error("cache.namespace", problem));
    }
    // Unset, a secret is generated per data directory; set but empty (an empty secret file, say) is a mistake.
    if s.auth.jwt_secret.is_empty() && loaded.origin("auth.jwt_secret") != "default" {
        return Err(loaded.error("auth.jwt_secret", "the secret is empty"));
    }
    if let Some(url) = s.database.url.as_deref() {
        let schemes = ["postgres://", "postgresql://", "sqlite:"];
        if !schemes.iter().any(|p| url.starts_with(p)) {
            return Err(loaded.error("database.url", "unsupported URL scheme"));
        }
    }
    if let Some(url) = s.redis.url.as_deref() {
        let schemes = ["redis://", "rediss://", "redis+unix://", "unix://"];
        if !schemes.iter().any(|p| url.starts_with(p)) {
            return Err(loaded.error("redis.url", "unsupported URL scheme"));
        }
    }
    if s.cluster.enabled {
        let postgres = s
            .database
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
        if !postgres || s.redis.url.is_none() {
            let problem = "cluster mode needs a PostgreSQL database.url and a redis.url (the embedded \
                           SQLite database serves a single node)";
            return Err(loaded.error("cluster.enabled", problem));
        }
    }
    if let Some(id) = &s.cluster.node_id {
        let fine = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
        if id.is_empty() || id.len() > 64 || !id.chars().all(fine) {
            return Err(loaded.error("cluster.node_id", format!("{id:?} is not a node id")));
        }
    }
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&s.log.filter) {
        let problem = format!("{:?} is not a filter: {e}", s.log.filter);
        return Err(loaded.error("log.filter", problem));
    }
    Ok(())
}

impl Loaded {
    /// The settings as the application's [`crate::Config`]; reads and validates the balance file.
    pub fn to_config(&self) -> Result<crate::Config, ConfigError> {
        let s = &self.settings;
        let secs = Duration::from_secs;
        let balance = match &s.world.balance {
            None => sim::Balance::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    self.error(
                        "world.balance",
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?;
                sim::Balance::from_toml(&text).map_err(|e| {
                    self.error(
                        "world.balance",
                        format!("balance file {}: {e}", path.display()),
                    )
                })?
            }
        };
        let trusted = s
            .http
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse::<std::net::IpAddr>().map_err(|_| {
                    self.error(
                        "http.trusted_proxies",
                        format!("{a:?} is not an IP address"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let max_connections = match s.http.max_connections {
            0 => gateway::HttpOptions::default().max_connections,
            n => n,
        };
        #[allow(clippy::needless_update)]
        let http = gateway::HttpOptions {
            header_read_timeout: secs(s.http.header_read_timeout_secs),
            max_connections,
            max_connections_per_address: s.http.max_connections_per_address,
            uncapped_addresses: trusted,
            ..Default::default()
        };
        // Struct updates keep this compiling when the option structs grow a field.
        #[allow(clippy::needless_update)]
        let ws = gateway::WsOptions {
            ping_interval: secs(s.ws.ping_interval_secs),
            idle_timeout: secs(s.ws.idle_timeout_secs),
            hello_timeout: secs(s.ws.hello_timeout_secs),
            close_timeout: secs(s.ws.close_timeout_secs),
            write_timeout: secs(s.ws.write_timeout_secs),
            max_message_size: s.ws.max_message_size,
            outbound_queue: s.ws.outbound_queue,
            rate_per_second: s.ws.rate_per_second,
            rate_burst: s.ws.rate_burst,
            rate_strikes: s.ws.rate_strikes,
            read_buffer: s.ws.read_buffer,
            ..Default::default()
        };
        let world = garden::WorldOptions {
            command_queue: s.world.command_queue,
            max_commands_per_tick: s.world.max_commands_per_tick,
            history_ticks: s.world.history_ticks,
            hibernate_after: secs(s.world.hibernate_after_secs),
            snapshot_every: secs(s.world.snapshot_every_secs),
            stats_every: secs(s.world.stats_every_secs),
            player_state_every: s.ws.player_state_every,
            ..Default::default()
        };
        let live = live::RoomOptions {
            fanout_hz: s.live.fanout_hz,
            empty_ttl: secs(s.live.empty_room_ttl_secs),
            rooms_per_owner: s.live.rooms_per_owner,
            ..Default::default()
        };
        #[allow(clippy::needless_update)]
        let cache = crate::cache::CacheConfig {
            player_state: secs(s.cache.player_state_ttl_secs),
            world_summary: secs(s.cache.world_summary_ttl_secs),
            leaderboard: secs(s.cache.leaderboard_ttl_secs),
            user_profile: secs(s.cache.user_profile_ttl_secs),
            preset: secs(s.cache.preset_ttl_secs),
            max_entries: s.cache.max_entries,
            namespace: s.cache.namespace.clone(),
            ..Default::default()
        };
        #[allow(clippy::needless_update)]
        let auth = crate::api::AuthConfig {
            jwt_secret: s.auth.jwt_secret.clone(),
            access_ttl: secs(s.auth.access_ttl_secs),
            refresh_ttl: secs(s.auth.refresh_ttl_secs),
            hash_concurrency: s.auth.hash_concurrency,
            hash_queue: s.auth.hash_queue,
            ..Default::default()
        };
        #[allow(clippy::needless_update)]
        let config = crate::Config {
            listen: s.server.listen,
            data_dir: s.server.data_dir.clone(),
            tick_rate_hz: s.world.tick_rate_hz,
            world_bodies: s.world.bodies,
            world_seed: s.world.seed,
            balance,
            http,
            request_timeout: secs(s.http.request_timeout_secs),
            ws,
            world,
            live,
            database_url: s.database.url.clone(),
            redis_url: s.redis.url.clone(),
            cache,
            auth,
            swagger_ui: s.api.swagger_ui,
            web: crate::web::WebConfig {
                dir: s.web.dir.clone(),
                hsts: s.web.hsts,
            },
            production: s.server.production,
            log: crate::telemetry::LogConfig {
                format: s.log.format,
                filter: s.log.filter.clone(),
            },
            metrics_listen: s.metrics.listen,
            shutdown_timeout: secs(s.shutdown.timeout_secs),
            quotas: s.quotas.clone(),
            cluster: crate::cluster::ClusterConfig {
                enabled: s.cluster.enabled,
                node_id: s.cluster.node_id.clone(),
                lease_ttl: secs(s.cluster.lease_ttl_secs),
                max_worlds_per_node: s.cluster.max_worlds_per_node,
            },
            ..Default::default()
        };
        Ok(config)
    }
}

/// [`crate::Config::check_production`], its refusal naming the key, its source and why production is on.
pub fn check_production(loaded: &Loaded, config: &crate::Config) -> Result<(), ConfigError> {
    let Err(e) = config.check_production() else {
        return Ok(());
    };
    let message = e.to_string();
    let (key, problem) = match message.split_once(": ") {
        Some((key, rest)) if keys::info(key).is_some() => (key.to_string(), rest.to_string()),
        _ => (String::new(), message.clone()),
    };
    let why = format!(
        "production is on, set by {}",
        loaded.origin("server.production")
    );
    Err(ConfigError {
        origin: if key.is_empty() {
            why.clone()
        } else {
            loaded.origin(&key)
        },
        allowed: if key.is_empty() {
            "see docs/configuration.md".into()
        } else {
            format!("{} ({why})", keys::allowed(&key))
        },
        key,
        problem,
    })
}

fn lookup<'a>(values: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    key.split('.').try_fold(values, |v, part| v.get(part))
}

/// The effective configuration as TOML, each value followed by `# <source>`, secrets as `***`.
pub fn report(loaded: &Loaded) -> String {
    let values = serde_json::to_value(&loaded.settings).unwrap_or_default();
    let files: Vec<String> = loaded
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    let mut out = String::new();
    out.push_str("# cosmic configuration: valid\n");
    out.push_str(&format!(
        "# profile: {}\n",
        loaded.profile.as_deref().unwrap_or("(none)")
    ));
    out.push_str(&format!(
        "# files: {}\n",
        if files.is_empty() {
            "(none)".to_string()
        } else {
            files.join(", ")
        }
    ));
    out.push_str("# layers: default < file < environment < flag; secrets shown as ***\n");
    let mut section = "";
    for info in KEYS {
        let Some((sec, name)) = info.key.split_once('.') else {
            continue;
        };
        if sec != section {
            out.push_str(&format!("\n[{sec}]\n"));
            section = sec;
        }
        let value = lookup(&values, info.key).unwrap_or(&serde_json::Value::Null);
        let line = match value {
            serde_json::Value::Null => format!("# {name} = (unset)"),
            value => format!("{name} = {}", render(info, value)),
        };
        out.push_str(&format!("{line:<44} # {}\n", loaded.origin(info.key)));
    }
    out
}

fn render(info: &keys::KeyInfo, value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) if info.secret && info.key.ends_with(".url") => {
            keys::redact_url(s)
        }
        _ if info.secret => REDACTED.to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => return other.to_string(),
    };
    serde_json::Value::String(text).to_string()
}
