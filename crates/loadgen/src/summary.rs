//! The run's result: one JSON object (the last line of stdout) plus a few human-readable lines, and the
//! generator's own CPU time and peak memory from `/proc/self`.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::cli::Args;
use crate::stats::{Counters, Stats, lock};

/// Throughput counted between the end of the warmup and the deadline.
#[derive(Debug)]
pub struct Window {
    pub counters: Counters,
    pub seconds: f64,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub count: u64,
}

impl Latency {
    pub fn from_us(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            count: h.len(),
        }
    }
}

/// The JSON summary. Counts are totals over the run; `*_per_s` rates and latencies cover the window
/// after the warmup (`measure_s`).
#[derive(Debug, Serialize)]
pub struct Summary {
    pub clients: usize,
    pub protocol: &'static str,
    pub url: String,
    pub idle: bool,
    pub verify: bool,
    pub rate: f64,
    pub connected: u64,
    pub connected_at_end: i64,
    pub connect_failures: u64,
    pub connect_errors: BTreeMap<&'static str, u64>,
    pub disconnects: u64,
    pub duration_s: f64,
    pub measure_s: f64,
    pub messages_received: u64,
    pub bytes_received: u64,
    pub msgs_per_s: f64,
    pub mb_per_s: f64,
    pub frames_received: u64,
    /// Frames and bytes received in the window after the warmup.
    pub window_frames: u64,
    pub window_bytes: u64,
    pub frames_per_client_per_s: f64,
    pub reply_latency_ms: Latency,
    /// Server publish time → receive (not measurable in v0: `GameState` has no time).
    pub tick_latency_ms: Latency,
    pub requests_sent: u64,
    pub errors: BTreeMap<String, u64>,
    pub close_codes: BTreeMap<String, u64>,
    pub decode_errors: u64,
    pub verify_errors: u64,
    pub loadgen_cpu_s: f64,
    /// Of one core, over the whole run.
    pub loadgen_cpu_pct: f64,
    pub loadgen_cpu_us_per_msg: f64,
    pub loadgen_max_rss_mb: f64,
}

pub fn build(
    args: &Args,
    stats: &Stats,
    window: Window,
    connected_at_end: i64,
    elapsed: Duration,
) -> Summary {
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let secs = window.seconds.max(1e-3);
    let connected = load(&stats.connected);
    let messages = load(&stats.messages);
    let cpu = cpu_seconds().unwrap_or(0.0);
    let round = |v: f64, digits: i32| (v * 10f64.powi(digits)).round() / 10f64.powi(digits);
    Summary {
        clients: args.clients,
        protocol: args.protocol.label(),
        url: args.url(),
        idle: args.idle,
        verify: args.verify,
        rate: args.rate,
        connected,
        connected_at_end,
        connect_failures: load(&stats.connect_failures),
        connect_errors: lock(&stats.connect_errors).clone(),
        disconnects: load(&stats.disconnects),
        duration_s: round(elapsed.as_secs_f64(), 3),
        measure_s: round(window.seconds, 3),
        messages_received: messages,
        bytes_received: load(&stats.bytes),
        msgs_per_s: round(window.counters.messages as f64 / secs, 1),
        mb_per_s: round(window.counters.bytes as f64 / secs / 1e6, 3),
        frames_received: load(&stats.frames),
        window_frames: window.counters.frames,
        window_bytes: window.counters.bytes,
        frames_per_client_per_s: round(
            window.counters.frames as f64 / secs / connected.max(1) as f64,
            3,
        ),
        reply_latency_ms: Latency::from_us(&stats.reply.merged()),
        tick_latency_ms: Latency::from_us(&stats.tick.merged()),
        requests_sent: load(&stats.requests),
        errors: lock(&stats.errors).clone(),
        close_codes: lock(&stats.close_codes).clone(),
        decode_errors: load(&stats.decode_errors),
        verify_errors: load(&stats.verify_errors),
        loadgen_cpu_s: round(cpu, 2),
        loadgen_cpu_pct: round(100.0 * cpu / elapsed.as_secs_f64().max(1e-3), 1),
        loadgen_cpu_us_per_msg: if messages == 0 {
            0.0
        } else {
            round(1e6 * cpu / messages as f64, 2)
        },
        loadgen_max_rss_mb: round(max_rss_kb().unwrap_or(0) as f64 / 1024.0, 1),
    }
}

/// User + system CPU seconds of this process, from `/proc/self/stat` (fields 14 and 15, in clock ticks
/// of USER_HZ, which Linux fixes at 100 for this interface).
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// Peak resident memory (VmHWM) in KiB.
fn max_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Prints the summary: human-readable lines unless `json_only`, then the JSON object as the last line.
#[allow(clippy::print_stdout)] // CLI output
pub fn print(s: &Summary, json_only: bool) {
    if !json_only {
        println!(
            "clients {} ({}), connected {}, failed {}, lost {}, still connected at end {}",
            s.clients,
            s.protocol,
            s.connected,
            s.connect_failures,
            s.disconnects,
            s.connected_at_end
        );
        println!(
            "received {} msgs ({:.0}/s), {:.2} MB/s, {} frames ({:.2}/client/s), sent {} requests",
            s.messages_received,
            s.msgs_per_s,
            s.mb_per_s,
            s.frames_received,
            s.frames_per_client_per_s,
            s.requests_sent
        );
        for (name, l) in [
            ("reply", &s.reply_latency_ms),
            ("tick→receive", &s.tick_latency_ms),
        ] {
            println!(
                "{name} latency ms: p50 {:.2} p90 {:.2} p99 {:.2} p99.9 {:.2} max {:.2} (n={})",
                l.p50, l.p90, l.p99, l.p999, l.max, l.count
            );
        }
        println!(
            "loadgen: {:.2} CPU s ({:.1}% of a core), {:.2} µs/msg, peak RSS {:.1} MB",
            s.loadgen_cpu_s, s.loadgen_cpu_pct, s.loadgen_cpu_us_per_msg, s.loadgen_max_rss_mb
        );
    }
    match serde_json::to_string(s) {
        Ok(line) => println!("{line}"),
        Err(e) => println!("{{\"error\":\"summary: {e}\"}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn summary_json_has_the_documented_keys() {
        let args = Args::try_parse_from(["cosmic-loadgen", "--clients", "3"]).expect("valid flags");
        let stats = Stats::new(true);
        let mut h = crate::stats::histogram();
        h.saturating_record(2_500);
        let window = Window {
            counters: Counters::default(),
            seconds: 1.0,
        };
        let s = build(&args, &stats, window, 0, Duration::from_secs(1));
        let v = serde_json::to_value(&s).expect("serializable");
        for key in [
            "clients",
            "protocol",
            "connected",
            "connect_failures",
            "disconnects",
            "duration_s",
            "messages_received",
            "bytes_received",
            "msgs_per_s",
            "mb_per_s",
            "frames_received",
            "window_frames",
            "window_bytes",
            "frames_per_client_per_s",
            "reply_latency_ms",
            "tick_latency_ms",
            "requests_sent",
            "errors",
            "close_codes",
            "loadgen_cpu_s",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        for key in ["p50", "p90", "p99", "p999", "max", "count"] {
            assert!(v["tick_latency_ms"].get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["clients"], 3);
        assert_eq!(Latency::from_us(&h).count, 1);
        assert!((Latency::from_us(&h).p50 - 2.5).abs() < 0.01);
        assert!(cpu_seconds().is_some());
    }
}
