//! Health endpoints against the real server: liveness, readiness that follows the database (through a
//! TCP proxy the test cuts and restores), a Redis outage that only degrades, and real process figures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let r = reqwest::get(app.http(path)).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn health_live_and_detailed_report_real_figures() {
    let app = spawn_app(|_| {}).await;
    let (code, h) = get(&app, "/health").await;
    assert_eq!(code, 200);
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"));
    assert!(h["uptime_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(get(&app, "/health/live").await.0, 200);
    let (code, r) = get(&app, "/health/ready").await;
    assert_eq!((code, r["status"].as_str()), (200, Some("ready")), "{r}");

    tokio::time::sleep(Duration::from_millis(200)).await;
    let (code, d) = get(&app, "/health/detailed").await;
    assert_eq!(code, 200, "{d}");
    assert_eq!(d["dependencies"]["database"]["status"], "up");
    assert!(
        d["dependencies"]["database"]["latency_ms"]
            .as_f64()
            .unwrap()
            >= 0.0
    );
    assert_eq!(d["dependencies"]["cache"]["status"], "up");
    let p = &d["process"];
    assert!(
        p["resident_memory_bytes"].as_u64().unwrap() > 1 << 20,
        "{p}"
    );
    assert!(p["cpu_seconds"].as_f64().unwrap() >= 0.0, "{p}"); // 10 ms granularity: may still be 0
    let (open, max) = (
        p["open_files"].as_u64().unwrap(),
        p["max_open_files"].as_u64().unwrap(),
    );
    assert!(open > 3 && open < max, "{p}");
    assert!(p["disk"]["free_bytes"].as_u64().unwrap() > 0, "{p}");
    let w = &d["worlds"][0];
    assert!(w["ticks"].as_u64().unwrap() > 0, "{w}");
    assert!(w["tick_lag_ms"].as_f64().is_some(), "{w}");
    app.stop().await;
}

#[tokio::test]
async fn a_redis_outage_degrades_but_stays_ready() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app(|c| c.redis_url = Some(format!("redis://127.0.0.1:{closed}"))).await;
    let (code, r) = get(&app, "/health/ready").await;
    assert_eq!(code, 200, "{r}");
    assert_eq!(r["status"], "degraded");
    assert_eq!(r["cache"]["status"], "down");
    // Requests still work from the database.
    let r = reqwest::get(app.http("/api/leaderboard")).await.unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}

/// A TCP proxy to PostgreSQL that the test can cut (dropping every connection) and restore.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    conns: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (up2, conns2) = (up.clone(), conns.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the database is "down"
                }
                let target = target.clone();
                conns2.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Proxy { port, up, conns }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

async fn wait_ready(app: &TestApp, want: u16) -> Value {
    for _ in 0..100 {
        let (code, body) = get(app, "/health/ready").await;
        if code == want {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/health/ready never answered {want}");
}

/// Readiness is 503 while the database cannot be reached and 200 again once it can (PostgreSQL only:
/// the embedded SQLite cannot go away).
#[tokio::test]
async fn readiness_follows_the_database() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let url = fresh_database(Backend::Postgres).await.unwrap();
    // postgres://user@host:port/db → route host:port through the proxy.
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (hostport, db) = rest.split_once('/').unwrap();
    let proxy = Proxy::start(hostport.to_string()).await;
    let via_proxy = format!("{scheme_user}@127.0.0.1:{}/{db}", proxy.port);
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let app = spawn_app_in(dir, |c| c.database_url = Some(via_proxy)).await;
    assert_eq!(wait_ready(&app, 200).await["status"], "ready");

    proxy.cut();
    let down = wait_ready(&app, 503).await;
    assert_eq!(down["status"], "unavailable", "{down}");
    assert_eq!(down["database"]["status"], "down");
    // Liveness does not depend on the database.
    assert_eq!(get(&app, "/health/live").await.0, 200);

    proxy.restore();
    assert_eq!(wait_ready(&app, 200).await["status"], "ready");
    app.stop().await;
}
