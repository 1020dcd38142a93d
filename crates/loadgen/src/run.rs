//! The run: spawn clients over the ramp with bounded connection concurrency, show progress, mark the end
//! of the warmup, signal shutdown at the deadline, wait a bounded time for clients to close, and return
//! the summary. Always ends within `duration + GRACE`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::cli::Args;
use crate::client::{self, Shared};
use crate::conn::Target;
use crate::stats::{Counters, Stats};
use crate::summary::{self, Summary};
use crate::wire;

/// Time after the deadline for clients to send their close frames and finish.
const GRACE: Duration = Duration::from_secs(3);
/// Progress refresh period (~2×/s).
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

pub async fn run(args: &Args) -> anyhow::Result<Summary> {
    let target = Target::resolve(&args.url(), args.protocol, args.source_ips).await?;
    let warmup = args.warmup.min(args.duration);
    let shared = Arc::new(Shared {
        target,
        stats: Stats::new(warmup.is_zero()),
        hello: wire::hello(args.world, args.offered_codecs(), args.token.clone()),
        rate: args.rate,
        create_ratio: args.create_ratio,
        idle: args.idle,
        verify: args.verify,
        connect_timeout: args.connect_timeout,
        start: Instant::now(),
    });
    let start = tokio::time::Instant::now();
    let deadline = start + args.duration;
    let (stop_tx, stop_rx) = watch::channel(false);

    let spawner = tokio::spawn(spawn_clients(
        args.clone(),
        shared.clone(),
        stop_rx,
        deadline,
    ));
    let bar = progress_bar(args.json);
    let mut window_start = (Counters::default(), start);
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    let mut last = (Counters::default(), start);
    let warmup_end = start + warmup;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            _ = tokio::time::sleep_until(warmup_end), if !shared.stats.measuring.load(Ordering::Relaxed) => {
                shared.stats.measuring.store(true, Ordering::Relaxed);
                window_start = (shared.stats.counters(), tokio::time::Instant::now());
            }
            now = tick.tick() => {
                let c = shared.stats.counters();
                bar.set_message(progress_line(&shared.stats, &last.0, &c, now - last.1));
                last = (c, now);
            }
        }
    }
    let window_end = (shared.stats.counters(), tokio::time::Instant::now());
    let connected_at_end = shared.stats.live.load(Ordering::Relaxed);
    let _ = stop_tx.send(true);
    bar.set_message(format!("deadline: closing {connected_at_end} connections…"));
    let mut clients = match tokio::time::timeout(GRACE, spawner).await {
        Ok(Ok(set)) => set,
        _ => JoinSet::new(),
    };
    let _ = tokio::time::timeout_at(window_end.1 + GRACE, async {
        while clients.join_next().await.is_some() {}
    })
    .await;
    clients.abort_all();
    bar.finish_and_clear();
    let window = summary::Window {
        counters: diff(&window_end.0, &window_start.0),
        seconds: (window_end.1 - window_start.1).as_secs_f64(),
    };
    Ok(summary::build(
        args,
        &shared.stats,
        window,
        connected_at_end,
        start.elapsed(),
    ))
}

/// Starts client `i` at `ramp × i / clients`, at most `max_connecting` handshakes at once, until the
/// deadline. Returns the clients' tasks.
async fn spawn_clients(
    args: Args,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    deadline: tokio::time::Instant,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    let gate = Arc::new(Semaphore::new(args.max_connecting as usize));
    let start = tokio::time::Instant::now();
    let n = args.clients.max(1) as f64;
    for i in 0..args.clients {
        let at = start + args.ramp.mul_f64(i as f64 / n);
        if at >= deadline {
            break;
        }
        tokio::time::sleep_until(at).await;
        let permit = tokio::select! {
            p = gate.clone().acquire_owned() => p,
            _ = tokio::time::sleep_until(deadline) => break,
        };
        let Ok(permit) = permit else { break };
        set.spawn(client::run(i, shared.clone(), stop.clone(), permit));
        // Reap finished tasks as we go so the set stays the size of the live clients.
        while set.try_join_next().is_some() {}
    }
    set
}

fn diff(a: &Counters, b: &Counters) -> Counters {
    Counters {
        messages: a.messages.saturating_sub(b.messages),
        bytes: a.bytes.saturating_sub(b.bytes),
        frames: a.frames.saturating_sub(b.frames),
    }
}

fn progress_bar(hidden: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        None,
        if hidden {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr_with_hz(2)
        },
    );
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
        bar.set_style(style);
    }
    bar
}

fn progress_line(stats: &Stats, prev: &Counters, now: &Counters, dt: Duration) -> String {
    let secs = dt.as_secs_f64().max(1e-3);
    let d = diff(now, prev);
    let p99 = |h: hdrhistogram::Histogram<u64>| {
        if h.is_empty() {
            "-".to_string()
        } else {
            format!("{:.1}ms", h.value_at_quantile(0.99) as f64 / 1000.0)
        }
    };
    format!(
        "connected {} (failed {}, lost {}) | {:.0} msgs/s | {:.2} MB/s | tick p99 {} | reply p99 {}",
        stats.live.load(Ordering::Relaxed),
        stats.connect_failures.load(Ordering::Relaxed),
        stats.disconnects.load(Ordering::Relaxed),
        d.messages as f64 / secs,
        d.bytes as f64 / secs / 1e6,
        p99(stats.tick.merged()),
        p99(stats.reply.merged()),
    )
}
