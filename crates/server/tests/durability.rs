//! Durability: worlds survive a restart, and no acknowledged command is lost when the server process is
//! killed with SIGKILL at an arbitrary moment (the journal is written before a command is answered).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)] // tests: the crash figures go to the test output

mod common;

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use protocol::v1::{ClientMessage, ReplyBody, ServerMessage};
use server::store::Store;

/// Waits for the reply to `request_id`: the created body's id, or `None` if it was refused.
async fn created(c: &mut V1Client, request_id: u32) -> Option<u64> {
    c.until(|m, _| match m {
        ServerMessage::Reply {
            request_id: r,
            result: ReplyBody::BodyCreated { body },
        } if *r == request_id => Some(Some(*body)),
        ServerMessage::Error {
            request_id: Some(r),
            ..
        } if *r == request_id => Some(None),
        _ => None,
    })
    .await
}

/// A body created before a graceful stop is in the world after the restart, owned by the same player.
#[tokio::test]
async fn a_world_survives_a_restart() {
    for backend in backends() {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let url = fresh_database(backend).await;
        let app = spawn_app_in(dir.clone(), |c| c.database_url = url.clone()).await;
        let (mut c, _) = V1Client::join(&app, protocol::v1::SUBPROTOCOL_BIN, hello(1)).await;
        send_json(&mut c.ws, &create(2, 1)).await;
        let body = created(&mut c, 2).await.expect("created");
        let (token, player) = (c.token.clone(), c.player);
        drop(c);
        app.stop().await;

        let app = spawn_app_in(dir.clone(), |c| c.database_url = url.clone()).await;
        let mut msg = hello(1);
        if let ClientMessage::Hello { token: t, .. } = &mut msg {
            *t = Some(token);
        }
        let (mut c, _) = V1Client::join(&app, protocol::v1::SUBPROTOCOL_BIN, msg).await;
        assert_eq!(c.player, player);
        c.next_frame().await;
        let found = c
            .view
            .bodies
            .iter()
            .find(|b| b.id == body)
            .expect("the body is back");
        assert_eq!(found.owner, player, "{backend:?}");
        app.stop().await;
    }
}

/// The server process is killed with SIGKILL while players create bodies; every creation it acknowledged
/// is in the world restored from the journal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_command_is_lost_on_sigkill() {
    for backend in backends() {
        under_load_then_stop(backend, Stop::Kill).await;
    }
}

/// SIGTERM under the same load: the server exits 0 after closing connections, and every acknowledged
/// creation is in the restored world.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_under_load_keeps_every_acknowledged_command() {
    for backend in backends() {
        under_load_then_stop(backend, Stop::Term).await;
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Stop {
    Kill,
    Term,
}

async fn under_load_then_stop(backend: Backend, stop: Stop) {
    {
        let dir = tempfile::tempdir().unwrap();
        let url = fresh_database(backend).await;
        let store = Store::connect(url.as_deref(), dir.path(), Duration::from_secs(10))
            .await
            .unwrap();
        // The secret the server will find in its data directory (generated here first).
        let secret = server::tokens::secret_for("", dir.path()).unwrap();
        let tokens = guests_with_tokens(&store, &secret, 6).await;
        store.close().await;

        // Rich players, so that they keep creating until the kill.
        let balance_text = include_str!("../../sim/data/balance.toml").replace(
            "starting_resources = { cosmic_dust = 1000.0 }",
            "starting_resources = { cosmic_dust = 1.0e9 }",
        );
        let balance_file = dir.path().join("balance.toml");
        std::fs::write(&balance_file, &balance_text).unwrap();
        let balance = sim::Balance::from_toml(&balance_text).unwrap();
        let mut child = start_server(dir.path(), url.as_deref(), &balance_file).await;
        let port = child.1;
        let acked: Arc<std::sync::Mutex<HashMap<i64, u64>>> = Arc::default();
        let mut clients = Vec::new();
        for (user, token) in tokens.clone() {
            let acked = acked.clone();
            clients.push(tokio::spawn(async move {
                let progress = std::sync::atomic::AtomicU64::new(0);
                let n = creating_player(port, &token, user as u32 * 100, 400, &progress).await;
                *acked.lock().unwrap().entry(user).or_default() += n;
            }));
        }
        // Kill at a moment that depends on the clock, while commands are in flight.
        let wait = 800
            + (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_millis()
                % 900);
        tokio::time::sleep(Duration::from_millis(u64::from(wait))).await;
        match stop {
            Stop::Kill => child.0.kill().await.unwrap(), // SIGKILL
            Stop::Term => {
                let pid = child.0.id().unwrap().to_string();
                assert!(
                    std::process::Command::new("kill")
                        .args(["-TERM", &pid])
                        .status()
                        .unwrap()
                        .success()
                );
            }
        }
        let status = tokio::time::timeout(Duration::from_secs(30), child.0.wait())
            .await
            .expect("the server stops")
            .unwrap();
        if stop == Stop::Term {
            assert!(
                status.success(),
                "{backend:?}: graceful shutdown exits 0, got {status}"
            );
        }
        for c in clients {
            let _ = c.await;
        }
        let acked = acked.lock().unwrap().clone();
        let total: u64 = acked.values().sum();
        assert!(
            total > 0,
            "some commands were acknowledged before the kill ({backend:?})"
        );

        // Restore from the journal exactly as a restart does, and compare.
        let store = Store::connect(url.as_deref(), dir.path(), Duration::from_secs(10))
            .await
            .unwrap();
        let row = store.world(1).await.unwrap();
        if stop == Stop::Term {
            // The final snapshot holds everything: nothing is left to replay.
            let snapshot = store
                .latest_snapshot(1)
                .await
                .unwrap()
                .expect("a final snapshot");
            let left = store.commands_after(1, snapshot.tick).await.unwrap();
            assert!(
                left.is_empty(),
                "{backend:?}: {} ticks after the final snapshot",
                left.len()
            );
        }
        let world = server::game::loader::restore(&store, &balance, &row)
            .await
            .unwrap();
        for (user, count) in &acked {
            let player = world
                .player(sim::PlayerId(*user as u64))
                .expect("the player is in the world");
            assert!(
                player.stats.bodies_created >= *count,
                "{backend:?}: player {user} had {count} creations acknowledged, the restored world has {}",
                player.stats.bodies_created
            );
        }
        store.close().await;

        // And the real server starts again on the same data.
        let mut again = start_server(dir.path(), url.as_deref(), &balance_file).await;
        again.0.kill().await.unwrap();
        let _ = again.0.wait().await;
        eprintln!("{backend:?}: {total} acknowledged creations survived {stop:?} after {wait} ms");
    }
}

/// Starts `cosmic serve` as a child process on a free port and waits until `/health` answers.
async fn start_server(
    dir: &std::path::Path,
    url: Option<&str>,
    balance: &std::path::Path,
) -> (tokio::process::Child, u16) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_cosmic"));
    cmd.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--world-bodies",
        "60",
        "--data-dir",
    ])
    .arg(dir)
    .arg("--balance")
    .arg(balance)
    .env_remove("DATABASE_URL")
    .env_remove("REDIS_URL")
    .env("RUST_LOG", "warn")
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .kill_on_drop(true);
    if let Some(u) = url {
        cmd.args(["--database-url", u]);
    }
    let child = cmd.spawn().expect("cosmic starts");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return (child, port);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not come up on port {port}");
}
