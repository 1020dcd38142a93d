//! The gateway's own handshake and fast path against the real server: a plain GET is told to upgrade,
//! pings are answered, and many followers of one world each get an unbroken delta chain through the
//! fan-out (every delta from the tick the client has, never a frame twice).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use protocol::v1::SUBPROTOCOL_BIN;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_plain_get_is_told_to_upgrade_in_json() {
    let app = spawn_app(|_| {}).await;
    let r = reqwest::get(app.http("/ws")).await.unwrap();
    assert_eq!(r.status().as_u16(), 426);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upgrade_required");
    app.stop().await;
}

#[tokio::test]
async fn a_clients_ping_is_answered_with_its_payload() {
    let app = spawn_app(|_| {}).await;
    let mut ws = connect(&app, Some(SUBPROTOCOL_BIN), "").await;
    ws.send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .unwrap();
    let pong = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Pong(p))) => return p,
                Some(Ok(_)) => continue,
                other => panic!("connection ended: {other:?}"),
            }
        }
    })
    .await
    .expect("a pong within 5 s");
    assert_eq!(&pong[..], b"are you there");
    app.stop().await;
}

#[tokio::test]
async fn every_follower_gets_an_unbroken_delta_chain() {
    let app = spawn_app(|_| {}).await;
    let mut clients = Vec::new();
    for _ in 0..12 {
        let (c, _) = V1Client::join(&app, SUBPROTOCOL_BIN, hello(1)).await;
        clients.push(c);
    }
    let runs = clients.into_iter().map(|mut c| {
        tokio::spawn(async move {
            let first = c.next_frame().await;
            let mut last = first.tick();
            for _ in 0..20 {
                let (base_tick, tick) = c.next_delta().await;
                assert_eq!(base_tick, last, "a delta from the tick before");
                assert!(tick > last, "ticks only move forward");
                last = tick;
            }
        })
    });
    for run in runs {
        run.await.expect("follower");
    }
    app.stop().await;
}
