//! Command-line flags, parsed and range-checked once; the rest of the crate receives valid values only.

use std::time::Duration;

use clap::{Parser, ValueEnum};
use protocol::Codec;

/// Which protocol the clients speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Proto {
    /// Compat JSON (no subprotocol, no hello; `GameState` pushed every tick).
    V0,
    /// `cosmic.v1.bin`: binary world frames and control messages.
    V1Bin,
    /// `cosmic.v1.json`: everything as JSON text.
    V1Json,
    /// `cosmic.live.v1.json` (`--app live` only).
    #[value(skip)]
    LiveJson,
}

/// Which application the clients use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum App {
    /// `/ws`: players in a world.
    Garden,
    /// `/live`: one controller and `--clients` displays in one room (`cosmic.live.v1.json`).
    Live,
}

impl Proto {
    pub fn label(self) -> &'static str {
        match self {
            Self::V0 => "v0",
            Self::V1Bin => "v1-bin",
            Self::V1Json => "v1-json",
            Self::LiveJson => "live-v1-json",
        }
    }

    /// The `Sec-WebSocket-Protocol` to ask for.
    pub fn subprotocol(self) -> Option<&'static str> {
        match self {
            Self::V0 => None,
            Self::V1Bin => Some(protocol::v1::SUBPROTOCOL_BIN),
            Self::V1Json => Some(protocol::v1::SUBPROTOCOL_JSON),
            Self::LiveJson => Some(live::v1::SUBPROTOCOL_JSON),
        }
    }
}

/// Many WebSocket clients against a cosmic server for a bounded time; prints throughput, latency
/// histograms and a JSON summary on the last line of stdout.
#[derive(Clone, Debug, Parser)]
#[command(name = "cosmic-loadgen", version)]
pub struct Args {
    /// The application: `garden` (players at `/ws`) or `live` (displays at `/live`).
    #[arg(long, value_enum, default_value_t = App::Garden)]
    pub app: App,
    /// Server WebSocket URL (default: `ws://127.0.0.1:8080/ws`, or `/live` with `--app live`).
    #[arg(long)]
    pub url: Option<String>,
    /// `--app live`: parameter changes the controller sends per second.
    #[arg(long, default_value_t = 60.0, value_parser = positive)]
    pub live_rate: f64,
    /// Number of WebSocket clients.
    #[arg(long, default_value_t = 100)]
    pub clients: usize,
    /// Protocol the clients speak.
    #[arg(long, value_enum, default_value_t = Proto::V1Bin)]
    pub protocol: Proto,
    /// Total run time in seconds, ramp included (hard cap: the process always ends a few seconds after).
    #[arg(long, default_value = "30", value_parser = secs)]
    pub duration: Duration,
    /// Spread connection setup evenly over this many seconds.
    #[arg(long, default_value = "0", value_parser = secs)]
    pub ramp: Duration,
    /// Seconds at the start excluded from histograms and rates.
    #[arg(long, default_value = "0", value_parser = secs)]
    pub warmup: Duration,
    /// Intents (ping or create) per second per client; 0 = none.
    #[arg(long, default_value_t = 1.0, value_parser = non_negative)]
    pub rate: f64,
    /// Fraction of intents that are `create_body` (asteroid) instead of `ping` (v0: instead of `Heartbeat`).
    #[arg(long, default_value_t = 0.1, value_parser = fraction)]
    pub create_ratio: f64,
    /// World id to join (v1 hello); default: the server's default world.
    #[arg(long)]
    pub world: Option<u64>,
    /// v1 access token every client plays with (e.g. from `POST /api/auth/guest`); without one v1 clients
    /// only watch, and their creates are refused with `read_only`.
    #[arg(long, env = "COSMIC_LOADGEN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Spread clients over this many loopback source addresses 127.0.0.(1 + i % K); 0 = let the kernel
    /// choose. Only applies when the server address is IPv4 loopback.
    #[arg(long = "source-ips", default_value_t = 50, value_parser = clap::value_parser!(u16).range(0..=254))]
    pub source_ips: u16,
    /// Connect only. v1: do not even send hello (an idle upgraded connection); v0: send no intents.
    #[arg(long)]
    pub idle: bool,
    /// Decode every frame fully and apply it to a per-client world view (costs CPU and memory).
    #[arg(long)]
    pub verify: bool,
    /// Print only the JSON summary (no progress bar, no human-readable lines).
    #[arg(long)]
    pub json: bool,
    /// Connection attempts in flight at once.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connecting: u32,
    /// Seconds a TCP connect plus WebSocket handshake may take.
    #[arg(long, default_value = "10", value_parser = secs)]
    pub connect_timeout: Duration,
    /// Codecs offered in hello (comma-separated: zstd,deflate,lz4; `none` offers none).
    #[arg(long, value_delimiter = ',', default_value = "zstd,deflate,lz4", value_parser = codec)]
    pub codecs: Vec<Codec>,
    /// Tokio worker threads.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub threads: u32,
}

impl Args {
    /// The URL to connect to.
    pub fn url(&self) -> String {
        self.url.clone().unwrap_or_else(|| match self.app {
            App::Garden => "ws://127.0.0.1:8080/ws".into(),
            App::Live => "ws://127.0.0.1:8080/live".into(),
        })
    }

    /// The codecs to offer in hello (`none` is implied by the protocol and dropped here).
    pub fn offered_codecs(&self) -> Vec<Codec> {
        let mut list: Vec<Codec> = self
            .codecs
            .iter()
            .copied()
            .filter(|c| *c != Codec::None)
            .collect();
        list.dedup();
        list
    }
}

fn secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if !v.is_finite() || !(0.0..=86_400.0).contains(&v) {
        return Err("expected seconds between 0 and 86400".into());
    }
    Ok(Duration::from_secs_f64(v))
}

fn non_negative(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if !v.is_finite() || v < 0.0 {
        return Err("expected a finite number ≥ 0".into());
    }
    Ok(v)
}

fn positive(s: &str) -> Result<f64, String> {
    let v = non_negative(s)?;
    if v == 0.0 || v > 1000.0 {
        return Err("expected a number above 0, at most 1000".into());
    }
    Ok(v)
}

fn fraction(s: &str) -> Result<f64, String> {
    let v = non_negative(s)?;
    if v > 1.0 {
        return Err("expected a number between 0 and 1".into());
    }
    Ok(v)
}

fn codec(s: &str) -> Result<Codec, String> {
    Codec::ALL
        .into_iter()
        .find(|c| c.name() == s.trim())
        .ok_or_else(|| format!("unknown codec {s:?} (none, lz4, deflate, zstd)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags() {
        let a = Args::try_parse_from([
            "cosmic-loadgen",
            "--protocol",
            "v1-json",
            "--duration",
            "2.5",
            "--codecs",
            "lz4,none",
        ])
        .expect("valid flags");
        assert_eq!(a.protocol, Proto::V1Json);
        assert_eq!(a.duration, Duration::from_millis(2500));
        assert_eq!(a.offered_codecs(), vec![Codec::Lz4]);
        assert!(Args::try_parse_from(["cosmic-loadgen", "--create-ratio", "2"]).is_err());
        assert!(Args::try_parse_from(["cosmic-loadgen", "--duration", "-1"]).is_err());
    }
}
