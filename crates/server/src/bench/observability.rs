//! `cosmic bench observability`: what metrics and request logging cost. The REST read mix of `bench api`
//! (cache on, SQLite) runs closed-loop — as many requests as the server answers — once with observability
//! off (no metrics recorder, no log subscriber) and once on (Prometheus recorder, JSON request log at `info`
//! formatted into a sink), each in a fresh child process (the recorder is process-wide), alternating for
//! several rounds. Keys: `rps_off`, `rps_on` (medians), `throughput_cost` (1 − on/off; target ≤ 0.05).
//!
//! The load generator runs in the same process and takes its share of the two cores in both modes, so
//! the server's own overhead is a larger fraction of its CPU than `throughput_cost` shows.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::oneshot;

use server::app::{Application, Config};

/// Set in a child process: run one pass in this mode (`off`, `metrics`, `logs`, `on`) and print its figures.
const PASS_ENV: &str = "COSMIC_BENCH_OBSERVABILITY_PASS";
/// Requests in flight at once (closed loop).
const CONCURRENCY: usize = 32;

/// Runs the suite (parent) or one pass (child).
pub fn run(quick: bool) -> anyhow::Result<serde_json::Value> {
    let duration = if quick {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(8)
    };
    if let Ok(mode) = std::env::var(PASS_ENV) {
        return pass(&mode, duration);
    }
    let rounds = if quick { 1 } else { 5 };
    let modes = ["off", "metrics", "logs", "on"];
    let mut runs: [Vec<f64>; 4] = Default::default();
    for round in 1..=rounds {
        for (i, mode) in modes.iter().enumerate() {
            super::progress(format!(
                "observability: round {round}/{rounds}, {mode}, {duration:?}"
            ));
            let rps = child(mode, quick)?;
            super::progress(format!("observability: {mode}: {rps:.0} req/s"));
            runs[i].push(rps);
        }
    }
    let [mut off, mut only_metrics, mut only_logs, mut on] = runs;
    let (rps_on, rps_off) = (median(&mut on), median(&mut off));
    let (rps_metrics, rps_logs) = (median(&mut only_metrics), median(&mut only_logs));
    Ok(serde_json::json!({
        "rps_off": rps_off,
        "rps_on": rps_on,
        "throughput_cost": 1.0 - rps_on / rps_off.max(1e-9),
        "rps_metrics_only": rps_metrics,
        "rps_logs_only": rps_logs,
        "metrics_cost": 1.0 - rps_metrics / rps_off.max(1e-9),
        "logs_cost": 1.0 - rps_logs / rps_off.max(1e-9),
        "rounds": rounds,
        "duration_s": duration.as_secs_f64(),
        "concurrency": CONCURRENCY,
        "runs": { "off": off, "metrics": only_metrics, "logs": only_logs, "on": on },
    }))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Runs one pass in a child process and reads its `rps`.
fn child(mode: &str, quick: bool) -> anyhow::Result<f64> {
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["bench", "observability", "--json"])
        .env(PASS_ENV, mode)
        .env_remove("RUST_LOG");
    if quick {
        cmd.arg("--quick");
    }
    let out = cmd.stderr(std::process::Stdio::inherit()).output()?;
    anyhow::ensure!(out.status.success(), "the {mode} pass failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    let figures: serde_json::Value =
        serde_json::from_str(last).context("the pass printed no JSON")?;
    figures["rps"].as_f64().context("the pass reported no rps")
}

/// One pass in this process.
fn pass(mode: &str, duration: Duration) -> anyhow::Result<serde_json::Value> {
    if matches!(mode, "on" | "logs") {
        let filter = tracing_subscriber::EnvFilter::new("info");
        let sub = server::telemetry::subscriber(
            server::telemetry::LogFormat::Json,
            filter,
            std::io::sink,
        );
        tracing::subscriber::set_global_default(sub)?;
    }
    if matches!(mode, "off" | "logs") {
        server::metrics::disable();
    }
    let mode = mode.to_string();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let dir = tempfile_dir()?;
        let mut config = Config {
            listen: "127.0.0.1:0".parse()?,
            data_dir: dir.clone(),
            world_bodies: 100,
            ..Config::default()
        };
        config.world.snapshot_every = Duration::from_secs(24 * 3600);
        config.world.stats_every = Duration::from_secs(24 * 3600);
        let app = Application::build(config).await?;
        let port = app.port();
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        let targets = Arc::new(super::api::seed(&state, "obs").await?);
        let client = reqwest::Client::builder().pool_max_idle_per_host(CONCURRENCY).build()?;
        let base = format!("http://127.0.0.1:{port}");
        closed_loop(&client, &base, &targets, Duration::from_millis(500)).await;
        let (done, errors, elapsed) = closed_loop(&client, &base, &targets, duration).await;
        let scrape = client.get(format!("{base}/metrics")).send().await?.text().await?;
        let _ = stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(serde_json::json!({
            "mode": mode,
            "rps": done as f64 / elapsed.as_secs_f64(),
            "errors": errors,
            "metrics_series": scrape.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).count(),
        }))
    })
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("cosmic-bench-obs-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// `CONCURRENCY` tasks, each sending its next request when the last one answered, for `duration`.
async fn closed_loop(
    client: &reqwest::Client,
    base: &str,
    targets: &Arc<super::api::Targets>,
    duration: Duration,
) -> (u64, u64, Duration) {
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..CONCURRENCY as u64 {
        let (client, base, targets) = (client.clone(), base.to_string(), targets.clone());
        let (done, errors) = (done.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = t;
            while start.elapsed() < duration {
                let (path, token) = super::api::request(&targets, i);
                let mut req = client.get(format!("{base}{path}"));
                if let Some(token) = token {
                    req = req.bearer_auth(token);
                }
                let ok = match req.send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                let counter = if ok { &done } else { &errors };
                counter.fetch_add(1, Ordering::Relaxed);
                i += CONCURRENCY as u64;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    (
        done.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        start.elapsed(),
    )
}
