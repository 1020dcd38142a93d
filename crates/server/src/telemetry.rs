//! Logging setup: JSON lines (production) or readable text (development), filtered by `RUST_LOG` when set,
//! else by the configured filter (default `info`).
//!
//! Every line carries the fields of the spans it is in: `request_id` (HTTP, see `request_id.rs`), `conn`
//! and the upgrade's `request_id` (WebSocket), `world`. What must never reach a log line: passwords,
//! tokens, secrets — types that hold them redact themselves in `Debug`, and handlers log ids, never
//! request bodies (`tests/logs.rs` checks the auth flows).

use serde::{Deserialize, Serialize};
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (development).
    #[default]
    Text,
    /// One JSON object per line (production: for log shippers).
    Json,
}

/// Logging settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogConfig {
    pub format: LogFormat,
    /// An `EnvFilter` directive such as `info` or `info,gateway=debug`; `RUST_LOG` overrides it.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".into(),
        }
    }
}

/// Installs the global subscriber (writing to stderr) once; later calls do nothing.
pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ =
        tracing::subscriber::set_global_default(subscriber(config.format, filter, std::io::stderr));
}

/// The subscriber `init` installs, writing to `writer` (tests capture the lines this way).
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.finish()),
        LogFormat::Json => Box::new(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(true)
                .finish(),
        ),
    }
}
