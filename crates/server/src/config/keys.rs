//! The table of every configuration key: its flag, how an environment string is typed, what is allowed,
//! its numeric bounds and whether it is a secret. Layering, validation, the report and
//! `docs/configuration.md` all follow this one list.
//!
//! Nothing here reads the environment or files.

use figment::value::Value;

/// What a secret is shown as.
pub const REDACTED: &str = "***";

/// How a string from the environment or a flag becomes a typed value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Taken as it is (text, paths, addresses, URLs).
    Text,
    /// `true/false`, `1/0`, `yes/no`, `on/off`.
    Bool,
    /// A whole number.
    Int,
    /// A number.
    Float,
}

/// One configuration key.
#[derive(Clone, Copy, Debug)]
pub struct KeyInfo {
    /// `section.key`, as in the file.
    pub key: &'static str,
    /// The `cosmic serve` flag that sets it, if any.
    pub flag: Option<&'static str>,
    pub kind: Kind,
    /// What is allowed, for error messages.
    pub allowed: &'static str,
    /// Inclusive bounds of a number.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Never printed: shown as `***` (URLs: their password only).
    pub secret: bool,
}

const fn key(key: &'static str, kind: Kind, allowed: &'static str) -> KeyInfo {
    KeyInfo {
        key,
        flag: None,
        kind,
        allowed,
        min: None,
        max: None,
        secret: false,
    }
}

const fn secs(name: &'static str, min: f64) -> KeyInfo {
    let allowed = if min > 0.0 {
        "whole seconds, 1 or more"
    } else {
        "whole seconds, 0 or more"
    };
    at_least(key(name, Kind::Int, allowed), min)
}

const fn count(name: &'static str, min: f64, allowed: &'static str) -> KeyInfo {
    at_least(key(name, Kind::Int, allowed), min)
}

const fn at_least(mut info: KeyInfo, min: f64) -> KeyInfo {
    info.min = Some(min);
    info
}

const fn flag(mut info: KeyInfo, flag: &'static str) -> KeyInfo {
    info.flag = Some(flag);
    info
}

const fn secret(mut info: KeyInfo) -> KeyInfo {
    info.secret = true;
    info
}

const ADDR: &str = "HOST:PORT, e.g. 127.0.0.1:8080 or [::]:8080";
const BOOL: &str = "true or false";

/// Every key, in report order.
pub const KEYS: &[KeyInfo] = &[
    flag(key("server.listen", Kind::Text, ADDR), "--listen"),
    flag(
        key("server.data_dir", Kind::Text, "a directory path"),
        "--data-dir",
    ),
    flag(key("server.production", Kind::Bool, BOOL), "--production"),
    flag(
        secret(key(
            "database.url",
            Kind::Text,
            "postgres://…, postgresql://… or sqlite:… (unset: SQLite in the data directory)",
        )),
        "--database-url",
    ),
    flag(
        secret(key(
            "redis.url",
            Kind::Text,
            "redis://… or rediss://… (unset: in-process cache)",
        )),
        "--redis-url",
    ),
    secs("cache.player_state_ttl_secs", 1.0),
    secs("cache.world_summary_ttl_secs", 1.0),
    secs("cache.leaderboard_ttl_secs", 1.0),
    secs("cache.user_profile_ttl_secs", 1.0),
    secs("cache.preset_ttl_secs", 1.0),
    count(
        "cache.max_entries",
        0.0,
        "a count, 0 (no in-process cache) or more",
    ),
    key(
        "cache.namespace",
        Kind::Text,
        "a non-empty prefix without spaces",
    ),
    flag(
        secret(key(
            "auth.jwt_secret",
            Kind::Text,
            "any text; production needs 32 bytes or more, not the default",
        )),
        "--jwt-secret",
    ),
    secs("auth.access_ttl_secs", 1.0),
    secs("auth.refresh_ttl_secs", 1.0),
    count("auth.hash_concurrency", 1.0, "a count, 1 or more"),
    count("auth.hash_queue", 0.0, "a count, 0 or more"),
    flag(key("api.swagger_ui", Kind::Bool, BOOL), "--no-swagger-ui"),
    flag(
        key(
            "web.dir",
            Kind::Text,
            "a directory path (the web client's build, e.g. web/dist)",
        ),
        "--web-dir",
    ),
    key("web.hsts", Kind::Bool, BOOL),
    flag(
        bounded(
            count("world.tick_rate_hz", 1.0, "ticks per second, 1 to 60"),
            60.0,
        ),
        "--tick-rate",
    ),
    flag(
        count("world.bodies", 0.0, "a count, 0 or more"),
        "--world-bodies",
    ),
    count("world.seed", 0.0, "a whole number, 0 or more"),
    flag(
        key(
            "world.balance",
            Kind::Text,
            "the path of a readable, valid balance TOML file",
        ),
        "--balance",
    ),
    count("world.command_queue", 1.0, "a count, 1 or more"),
    count("world.max_commands_per_tick", 1.0, "a count, 1 or more"),
    count("world.history_ticks", 1.0, "a count, 1 or more"),
    secs("world.hibernate_after_secs", 1.0),
    secs("world.snapshot_every_secs", 1.0),
    secs("world.stats_every_secs", 1.0),
    bounded(
        count("live.fanout_hz", 1.0, "sends per second, 1 to 240"),
        240.0,
    ),
    secs("live.empty_room_ttl_secs", 1.0),
    count("live.rooms_per_owner", 1.0, "a count, 1 or more"),
    secs("http.header_read_timeout_secs", 1.0),
    secs("http.request_timeout_secs", 1.0),
    count(
        "http.max_connections",
        0.0,
        "a count, 0 (the open-file limit less 512) or more",
    ),
    count(
        "http.max_connections_per_address",
        0.0,
        "a count, 0 (no cap) or more",
    ),
    key(
        "http.trusted_proxies",
        Kind::Text,
        "comma-separated IP addresses, e.g. 10.0.0.2,10.0.0.3",
    ),
    count("quotas.guest_worlds", 0.0, "a count, 0 or more"),
    count("quotas.guest_presets", 0.0, "a count, 0 or more"),
    count("quotas.player_presets", 0.0, "a count, 0 or more"),
    count("quotas.player_worlds", 0.0, "a count, 0 or more"),
    bounded(count("quotas.guest_world_bodies", 0.0, "0 to 5000"), 5000.0),
    bounded(
        count("quotas.player_world_bodies", 0.0, "0 to 5000"),
        5000.0,
    ),
    count("quotas.guest_world_max_bodies", 1.0, "a count, 1 or more"),
    count("quotas.player_world_max_bodies", 1.0, "a count, 1 or more"),
    bounded(count("quotas.guest_tick_rate", 1.0, "1 to 60"), 60.0),
    bounded(count("quotas.player_tick_rate", 1.0, "1 to 60"), 60.0),
    bounded(
        count("quotas.guest_max_players", 1.0, "1 to 10000"),
        10000.0,
    ),
    bounded(
        count("quotas.player_max_players", 1.0, "1 to 10000"),
        10000.0,
    ),
    count(
        "quotas.worlds_per_address_per_hour",
        0.0,
        "a count, 0 (no limit) or more",
    ),
    count(
        "quotas.guests_per_address_per_hour",
        0.0,
        "a count, 0 (no limit) or more",
    ),
    count(
        "quotas.node_budget",
        0.0,
        "body updates per second, 0 (no budget) or more",
    ),
    bounded(
        at_least(
            key(
                "quotas.owner_budget_share",
                Kind::Float,
                "a share from 0 to 1",
            ),
            0.0,
        ),
        1.0,
    ),
    count(
        "quotas.guest_ttl_days",
        0.0,
        "days, 0 (keep forever) or more",
    ),
    secs("ws.ping_interval_secs", 1.0),
    flag(secs("ws.idle_timeout_secs", 1.0), "--ws-idle-timeout-secs"),
    flag(
        secs("ws.hello_timeout_secs", 1.0),
        "--ws-hello-timeout-secs",
    ),
    secs("ws.close_timeout_secs", 1.0),
    secs("ws.write_timeout_secs", 1.0),
    count("ws.max_message_size", 1.0, "bytes, 1 or more"),
    count("ws.outbound_queue", 1.0, "a count, 1 or more"),
    at_least(
        key("ws.rate_per_second", Kind::Float, "a number above 0"),
        0.001,
    ),
    at_least(
        key("ws.rate_burst", Kind::Float, "a number, 1 or more"),
        1.0,
    ),
    count("ws.rate_strikes", 1.0, "a count, 1 or more"),
    count("ws.read_buffer", 0.0, "bytes, 0 or more"),
    count("ws.player_state_every", 1.0, "ticks, 1 or more"),
    flag(
        key("log.format", Kind::Text, "text or json"),
        "--log-format",
    ),
    key(
        "log.filter",
        Kind::Text,
        "a tracing filter such as info, warn or info,gateway=debug",
    ),
    flag(
        key(
            "metrics.listen",
            Kind::Text,
            "HOST:PORT, or unset (only the main listener)",
        ),
        "--metrics-listen",
    ),
    secs("shutdown.timeout_secs", 0.0),
    key(
        "cluster.enabled",
        Kind::Bool,
        "true or false (true needs a PostgreSQL database.url and a redis.url)",
    ),
    key(
        "cluster.node_id",
        Kind::Text,
        "letters, digits, '-', '_' and '.', or unset (the host name and a random suffix)",
    ),
    bounded(
        at_least(
            key(
                "cluster.lease_ttl_secs",
                Kind::Int,
                "whole seconds, 2 to 60",
            ),
            2.0,
        ),
        60.0,
    ),
    count(
        "cluster.max_worlds_per_node",
        0.0,
        "a count, 0 (no cap) or more",
    ),
];

const fn bounded(mut info: KeyInfo, max: f64) -> KeyInfo {
    info.max = Some(max);
    info
}

/// The key's entry, if it is one.
pub fn info(key: &str) -> Option<&'static KeyInfo> {
    KEYS.iter().find(|k| k.key == key)
}

/// `server.listen` → `COSMIC_SERVER__LISTEN`.
pub fn env_name(key: &str) -> String {
    format!("COSMIC_{}", key.replace('.', "__").to_ascii_uppercase())
}

/// What is allowed for `key` (unknown keys: the keys of its section).
pub fn allowed(key: &str) -> String {
    match info(key) {
        Some(k) => k.allowed.to_string(),
        None => "a key listed in docs/configuration.md".to_string(),
    }
}

/// Parses a boolean the way flags and container environments write it.
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A string from the environment or a flag, typed for `key`. A string that does not fit stays a string,
/// so extraction fails naming the key and where the string came from.
pub fn typed(key: &str, raw: &str) -> Value {
    let kind = info(key).map_or(Kind::Text, |k| k.kind);
    let parsed = match kind {
        Kind::Text => None,
        Kind::Bool => parse_bool(raw).map(Value::from),
        Kind::Int => raw.trim().parse::<u64>().ok().map(Value::from),
        Kind::Float => raw.trim().parse::<f64>().ok().map(Value::from),
    };
    parsed.unwrap_or_else(|| Value::from(raw.to_string()))
}

/// A URL with its password (user info, or a `password=` query parameter) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let url = crate::store::redact_url(url);
    match url.find('?') {
        None => url,
        Some(q) => {
            let (base, query) = url.split_at(q + 1);
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((name, _)) if name.to_ascii_lowercase().contains("password") => {
                        format!("{name}={REDACTED}")
                    }
                    _ => p.to_string(),
                })
                .collect();
            format!("{base}{}", params.join("&"))
        }
    }
}
