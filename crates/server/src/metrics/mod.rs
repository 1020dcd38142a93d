//! Prometheus metrics: the recorder (installed once per process), the pre-registered handles hot paths
//! record through, and the HTTP middleware. The scrape endpoint is [`crate::scrape`].
//!
//! Every metric is declared in [`names`]; nothing else invents a metric name. Values are process-wide:
//! several applications started in one process (tests) share one recorder. This module reads state and
//! records numbers; it must not change what it measures (no locks taken on hot paths, no blocking).

pub mod auth;
pub mod cluster;
pub mod hot;
pub mod http;
pub mod names;
pub mod quotas;

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics::{describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::warn;

pub use hot::{DbOp, Hot};
use names::{ALL, BUILD_INFO, Kind, PROCESS_START_TIME_SECONDS};

/// The content type of the Prometheus text exposition format.
pub const CONTENT_TYPE_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// How often histogram samples are folded into their buckets when nobody scrapes (bounds their memory).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();
static DISABLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns metrics off for this process (the observability benchmark's baseline): must run before anything
/// records; every metric then goes to the no-op recorder and `/metrics` stays empty.
pub fn disable() {
    DISABLED.store(true, std::sync::atomic::Ordering::SeqCst);
}
static HOT: OnceLock<Hot> = OnceLock::new();

/// Installs the Prometheus recorder as the global recorder (once per process; later calls return the
/// same handle) and describes every metric in [`names::ALL`].
pub fn install() -> &'static PrometheusHandle {
    RECORDER.get_or_init(|| {
        let mut builder = PrometheusBuilder::new();
        let histograms = ALL
            .iter()
            .filter(|d| d.kind == Kind::Histogram && !d.buckets.is_empty());
        for def in histograms {
            let matcher = Matcher::Full(def.name.into());
            // Only empty buckets are refused, and those were filtered out.
            builder = match builder.set_buckets_for_metric(matcher, def.buckets) {
                Ok(b) => b,
                Err(e) => {
                    warn!(metric = def.name, error = %e, "Histogram buckets refused.");
                    PrometheusBuilder::new()
                }
            };
        }
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // `COSMIC_METRICS_DISABLED=1`: the baseline of the observability measurements (docs/BENCHMARKS.md).
        if std::env::var_os("COSMIC_METRICS_DISABLED").is_some() {
            disable();
        }
        if DISABLED.load(std::sync::atomic::Ordering::SeqCst) {
            return handle;
        }
        if metrics::set_global_recorder(recorder).is_err() {
            warn!("Another metrics recorder is installed: /metrics will stay empty.");
        }
        for def in ALL {
            match def.kind {
                Kind::Counter => describe_counter!(def.name, def.unit, def.help),
                Kind::Gauge => describe_gauge!(def.name, def.unit, def.help),
                Kind::Histogram => describe_histogram!(def.name, def.unit, def.help),
            }
        }
        gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        gauge!(PROCESS_START_TIME_SECONDS).set(now);
        auth::register();
        quotas::register();
        cluster::register();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        if let Err(e) = spawned {
            warn!(error = %e, "Cannot start metrics upkeep: histograms drain only when scraped.");
        }
        handle
    })
}

/// The hot-path handles (installing the recorder first if nothing has yet).
pub fn hot() -> &'static Hot {
    HOT.get_or_init(|| {
        install();
        // The applications' own handles, so their series exist (at 0) from the start.
        gateway::metrics::for_app(garden::APP, garden::PROTOCOLS.iter().map(|p| p.label));
        garden::metrics::hot();
        gateway::metrics::for_app(live::APP, live::PROTOCOLS.iter().map(|p| p.label));
        live::metrics::register();
        Hot::register()
    })
}
