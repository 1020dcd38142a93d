//! `--app live`: one controller sends a parameter change at `--live-rate` (60) a second to `--clients`
//! displays in one room over `cosmic.live.v1.json`, for `--duration` seconds once every display is in.
//! Each change carries its send time; each display records send → receipt of the state holding it
//! (one process, one clock). The server's CPU comes from `/health/detailed` before and after.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Mutex, Semaphore, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::cli::{Args, Proto};
use crate::conn::{Target, Ws};

/// What `--app live` prints as its last line.
#[derive(Debug, Serialize)]
pub struct LiveSummary {
    pub displays: usize,
    pub connect_failures: usize,
    pub seconds: f64,
    /// Changes the controller sent per second.
    pub updates_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// State messages (full or delta) each display received per second, on average…
    pub frames_per_display_per_s: f64,
    /// …and the fewest any display received.
    pub min_frames_per_display_per_s: f64,
    /// Server CPU (user + system, from `/health/detailed`) per state message delivered.
    pub server_cpu_us_per_frame: f64,
    pub server_cpu_pct: f64,
    pub loadgen_cpu_pct: f64,
}

/// One raw HTTP/1.1 request on loopback; the JSON body of the answer.
async fn http(addr: SocketAddr, method: &str, path: &str) -> anyhow::Result<Value> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await??;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n").context("no HTTP header end")?;
    let status = head.split_whitespace().nth(1).unwrap_or("?");
    anyhow::ensure!(
        status.starts_with('2'),
        "{method} {path}: HTTP {status}: {body}"
    );
    Ok(serde_json::from_str(body)?)
}

async fn guest(addr: SocketAddr) -> anyhow::Result<String> {
    let v = http(addr, "POST", "/api/auth/guest").await?;
    v["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("no access_token in the guest answer")
}

async fn server_cpu(addr: SocketAddr) -> Option<f64> {
    http(addr, "GET", "/health/detailed").await.ok()?["process"]["cpu_seconds"].as_f64()
}

async fn next_text(ws: &mut Ws) -> anyhow::Result<Value> {
    loop {
        match ws.next().await.context("closed")?? {
            Message::Text(t) => return Ok(serde_json::from_str(&t)?),
            Message::Close(c) => anyhow::bail!("closed: {c:?}"),
            _ => {}
        }
    }
}

async fn hello(ws: &mut Ws, fields: Value) -> anyhow::Result<Value> {
    let mut msg =
        json!({ "type": "hello", "request_id": 1, "protocol_hash": live::v1::protocol_hash_hex() });
    if let (Some(m), Some(f)) = (msg.as_object_mut(), fields.as_object()) {
        m.extend(f.clone());
    }
    ws.send(Message::Text(msg.to_string().into())).await?;
    let welcome = next_text(ws).await?;
    anyhow::ensure!(welcome["type"] == "welcome", "hello refused: {welcome}");
    Ok(welcome)
}

/// What every display shares.
struct Shared {
    start: Instant,
    latency: Mutex<Histogram<u64>>,
    /// Set once sending starts: frames before it do not count.
    measuring: watch::Receiver<bool>,
    frames: AtomicU64,
    hello_failures: AtomicU64,
}

/// One display: joins, then reads states until the run ends; returns the frames it counted.
async fn display(
    mut ws: Ws,
    code: String,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> u64 {
    if let Err(e) = hello(&mut ws, json!({ "room": code, "role": "display" })).await {
        if shared.hello_failures.fetch_add(1, Ordering::Relaxed) == 0 {
            crate::warn(&format!("a display's hello failed: {e:#}"));
        }
        return 0;
    }
    let mut frames = 0;
    let mut local = Histogram::new_from(&*shared.latency.lock().await);
    loop {
        tokio::select! {
            msg = ws.next() => {
                let t = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    Some(Ok(_)) => continue, // pings (answered by tungstenite)
                };
                if !*shared.measuring.borrow() {
                    continue;
                }
                let Ok(v) = serde_json::from_str::<Value>(&t) else { continue };
                let sent = match v["type"].as_str() {
                    Some("delta") => v["delta"]["parameters"]["t"].as_f64(),
                    Some("state") => v["state"]["parameters"]["t"].as_f64(),
                    _ => continue,
                };
                frames += 1;
                if let Some(sent) = sent {
                    let now = shared.start.elapsed().as_secs_f64() * 1e6;
                    let _ = local.record((now - sent).max(1.0) as u64);
                }
            }
            _ = stop.changed() => break,
        }
    }
    let _ = ws.close(None).await;
    let _ = shared.latency.lock().await.add(&local);
    shared.frames.fetch_add(frames, Ordering::Relaxed);
    frames
}

pub async fn run(args: &Args) -> anyhow::Result<LiveSummary> {
    let target = Arc::new(Target::resolve(&args.url(), Proto::LiveJson, args.source_ips).await?);
    let addr = target.addr;
    let controller_token = guest(addr)
        .await
        .context("a guest token for the controller")?;
    let display_token = guest(addr)
        .await
        .context("a guest token for the displays")?;
    let with_token = |t: &str| {
        let sep = if target.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}token={t}", target.url)
    };

    let mut controller = Target {
        url: with_token(&controller_token),
        ..target.as_ref().clone()
    }
    .connect(0)
    .await
    .map_err(|e| anyhow::anyhow!("controller: {e}"))?;
    let create = json!({ "create": { "name": "loadgen", "maxParticipants": args.clients + 10 }, "name": "loadgen" });
    let welcome = hello(&mut controller, create).await?;
    let code = welcome["room"]["code"]
        .as_str()
        .context("no room code")?
        .to_owned();
    // The controller reads everything (presence of every display, replies) from now on, or its queue
    // would fill and the server would close it as too slow.
    let (mut write, mut read) = controller.split();
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = read.next().await {} });

    let (measure_tx, measuring) = watch::channel(false);
    let (stop_tx, stop_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        start: Instant::now(),
        latency: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3)?),
        measuring,
        frames: AtomicU64::new(0),
        hello_failures: AtomicU64::new(0),
    });
    let displays = Arc::new(Target {
        url: with_token(&display_token),
        ..target.as_ref().clone()
    });
    let gate = Arc::new(Semaphore::new(args.max_connecting as usize));
    let mut tasks = tokio::task::JoinSet::new();
    let mut failures = 0;
    let mut connecting = tokio::task::JoinSet::new();
    for i in 0..args.clients {
        let (displays, gate) = (displays.clone(), gate.clone());
        connecting.spawn(async move {
            let _permit = gate.acquire().await;
            tokio::time::timeout(Duration::from_secs(10), displays.connect(i + 1)).await
        });
    }
    while let Some(r) = connecting.join_next().await {
        match r {
            Ok(Ok(Ok(ws))) => {
                tasks.spawn(display(ws, code.clone(), shared.clone(), stop_rx.clone()));
            }
            _ => failures += 1,
        }
    }
    // Every display has sent its hello and had its full state before the clock starts.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let cpu0 = (server_cpu(addr).await, crate::summary::cpu_seconds());
    let _ = measure_tx.send(true);
    let began = Instant::now();
    let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / args.live_rate));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sent = 0u64;
    while began.elapsed() < args.duration {
        every.tick().await;
        let t = shared.start.elapsed().as_secs_f64() * 1e6;
        let op = json!({ "type": "op", "request_id": sent as u32 + 2,
            "op": { "op": "set_parameters", "parameters": { "t": t.round(), "hue": (sent % 360) as f64 } } });
        write.send(Message::Text(op.to_string().into())).await?;
        sent += 1;
    }
    let seconds = began.elapsed().as_secs_f64();
    // The last changes' frames are on their way.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cpu1 = (server_cpu(addr).await, crate::summary::cpu_seconds());
    let _ = stop_tx.send(true);
    let mut per_display = Vec::new();
    while let Some(r) = tasks.join_next().await {
        per_display.push(r.unwrap_or(0));
    }
    let _ = write.send(Message::Close(None)).await;
    drain.abort();

    let frames = shared.frames.load(Ordering::Relaxed);
    let h = shared.latency.lock().await;
    let ms = |q: f64| (h.value_at_quantile(q) as f64 / 10.0).round() / 100.0;
    let connected = per_display.len();
    let round2 = |v: f64| (v * 100.0).round() / 100.0;
    let server_cpu_s = match (cpu0.0, cpu1.0) {
        (Some(a), Some(b)) => b - a,
        _ => f64::NAN,
    };
    let loadgen_cpu_s = match (cpu0.1, cpu1.1) {
        (Some(a), Some(b)) => b - a,
        _ => f64::NAN,
    };
    Ok(LiveSummary {
        displays: connected,
        connect_failures: failures + shared.hello_failures.load(Ordering::Relaxed) as usize,
        seconds: round2(seconds),
        updates_per_s: round2(sent as f64 / seconds),
        p50_ms: ms(0.5),
        p99_ms: ms(0.99),
        max_ms: (h.max() as f64 / 10.0).round() / 100.0,
        frames_per_display_per_s: round2(frames as f64 / connected.max(1) as f64 / seconds),
        min_frames_per_display_per_s: round2(
            per_display.iter().copied().min().unwrap_or(0) as f64 / seconds,
        ),
        server_cpu_us_per_frame: round2(server_cpu_s * 1e6 / frames.max(1) as f64),
        server_cpu_pct: round2(100.0 * server_cpu_s / seconds),
        loadgen_cpu_pct: round2(100.0 * loadgen_cpu_s / seconds),
    })
}

/// Prints the summary: a human-readable line unless `json_only`, then the JSON object as the last line.
#[allow(clippy::print_stdout)] // CLI output
pub fn print(s: &LiveSummary, json_only: bool) {
    if !json_only {
        println!(
            "displays {} (failed {}), {:.1} updates/s for {:.1} s: send → display p50 {} ms, p99 {} ms, max {} ms; {:.1} frames/s per display (min {:.1}); server {} µs CPU per frame ({}%)",
            s.displays,
            s.connect_failures,
            s.updates_per_s,
            s.seconds,
            s.p50_ms,
            s.p99_ms,
            s.max_ms,
            s.frames_per_display_per_s,
            s.min_frames_per_display_per_s,
            s.server_cpu_us_per_frame,
            s.server_cpu_pct
        );
    }
    println!("{}", serde_json::to_string(s).unwrap_or_default());
}
