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

/// A WebSocket upgrade request for `cosmic.v1.bin` followed, in the same bytes, by one masked client
/// frame (RFC 6455 §5.2) with `first_byte` (FIN + opcode) and a payload under 126 bytes.
fn upgrade_with_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: {SUBPROTOCOL_BIN}\r\n\r\n"
    )
    .into_bytes();
    let mask = [1u8, 2, 3, 4];
    bytes.extend([first_byte, 0x80 | payload.len() as u8]);
    bytes.extend(mask);
    bytes.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    bytes
}

/// A client may send its first frame in the same packet as the upgrade request: the bytes the HTTP
/// server read past the request are the WebSocket's first bytes.
#[tokio::test]
async fn a_frame_sent_with_the_upgrade_request_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app(|_| {}).await;
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    // A masked ping "hi", in the same write as the request.
    tcp.write_all(&upgrade_with_frame(0x89, b"hi"))
        .await
        .unwrap();
    let pong = [0x8A, 2, b'h', b'i'];
    let mut got = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = tcp.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "connection closed; got {:?}",
                String::from_utf8_lossy(&got)
            );
            got.extend(&buf[..n]);
            if got.windows(pong.len()).any(|w| w == pong) {
                return;
            }
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "no pong; got {:?}",
        String::from_utf8_lossy(&got)
    );
    assert!(got.starts_with(b"HTTP/1.1 101"));
    app.stop().await;
}

/// A text message that is not UTF-8 closes with 1007 (RFC 6455 §7.4.1), not 1002.
#[tokio::test]
async fn invalid_utf8_in_a_text_message_closes_with_1007() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app(|_| {}).await;
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    tcp.write_all(&upgrade_with_frame(0x81, &[0xFF, 0xFE]))
        .await
        .unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut got)).await;
    let head_end = got
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a 101 response")
        + 4;
    let frames = &got[head_end..];
    let close = frames
        .iter()
        .position(|b| *b == 0x88)
        .expect("a close frame");
    let code = u16::from_be_bytes([frames[close + 2], frames[close + 3]]);
    assert_eq!(code, 1007);
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
