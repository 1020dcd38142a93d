//! Connection limits against the real server: oversized messages, floods, slow readers, idle clients.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use protocol::v1::{ClientMessage, ErrorCode, SUBPROTOCOL_JSON, ServerMessage};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::test]
async fn oversized_message_closes_with_1009() {
    let app = spawn_app(|_| {}).await;
    let (mut c, _) = V1Client::join(&app, SUBPROTOCOL_JSON, hello(1)).await;
    // Above the 16 KiB limit, within the socket layer's hard cap: refused cleanly.
    let big = "x".repeat(32 * 1024);
    let _ = c.ws.send(Message::Text(big.into())).await;
    assert_eq!(close_code(&mut c.ws).await, Some(1009));
    app.stop().await;
}

#[tokio::test]
async fn flood_gets_rate_limited_then_closed_with_1008() {
    let app = spawn_app(|_| {}).await;
    let (mut c, _) = V1Client::join(&app, SUBPROTOCOL_JSON, hello(1)).await;
    for i in 0..200 {
        if c.ws
            .send(Message::Text(
                serde_json::to_string(&ClientMessage::Ping { request_id: i })
                    .unwrap()
                    .into(),
            ))
            .await
            .is_err()
        {
            break;
        }
    }
    let mut limited = 0;
    let code = loop {
        match c.ws.next().await {
            Some(Ok(Message::Close(f))) => break f.map(|f| u16::from(f.code)),
            Some(Ok(Message::Text(t))) => {
                if let Ok(ServerMessage::Error {
                    code: ErrorCode::RateLimited,
                    ..
                }) = serde_json::from_str(&t)
                {
                    limited += 1;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break None,
        }
    };
    assert!(
        limited >= 10,
        "rate-limit errors before the close: {limited}"
    );
    assert_eq!(code, Some(1008));
    app.stop().await;
}

/// A client that stops reading is closed after the write timeout instead of growing a backlog; others
/// are unaffected.
#[tokio::test]
async fn slow_reader_is_closed_and_others_continue() {
    let app = spawn_app(|c| {
        c.world_bodies = 3_000;
        c.ws.write_timeout = Duration::from_millis(300);
    })
    .await;
    // A socket with a tiny receive buffer, speaking v0 (a large JSON GameState every tick).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket
        .connect(format!("127.0.0.1:{}", app.port).parse().unwrap())
        .await
        .unwrap();
    let (mut slow, _) =
        tokio_tungstenite::client_async(app.url().into_client_request().unwrap(), stream)
            .await
            .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Meanwhile a healthy client is served.
    let (mut ok, _) = V1Client::join(&app, SUBPROTOCOL_JSON, hello(1)).await;
    ok.next_frame().await;

    let started = Instant::now();
    let mut bytes = 0usize;
    while let Some(Ok(m)) = tokio::time::timeout(Duration::from_secs(10), slow.next())
        .await
        .expect("ends within 10 s")
    {
        bytes += m.len();
    }
    // 3 s of 20 Hz GameState for 3,000 bodies would be ~40 MB; the server gave up long before.
    assert!(bytes < 16 << 20, "received {bytes} bytes");
    assert!(started.elapsed() < Duration::from_secs(10));
    ok.next_frame().await;
    app.stop().await;
}

/// A client that sends nothing, not even pongs (it does not read), is closed after the idle timeout;
/// the server pings meanwhile. (A client that reads answers pings, and pongs count as being alive.)
#[tokio::test]
async fn idle_client_is_closed_and_pings_are_sent() {
    let app = spawn_app(|c| {
        c.ws.idle_timeout = Duration::from_millis(600);
        c.ws.ping_interval = Duration::from_millis(100);
    })
    .await;
    let mut ws = connect(&app, Some(SUBPROTOCOL_JSON), "").await;
    send_json(&mut ws, &hello(1)).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mut pings = 0;
    let code = loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("closes")
        {
            Some(Ok(Message::Ping(_))) => pings += 1,
            Some(Ok(Message::Close(f))) => break f.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            _ => break None,
        }
    };
    assert!(pings >= 2, "pings: {pings}");
    assert_eq!(code, Some(1001));
    app.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_closes_with_1001() {
    let app = spawn_app(|_| {}).await;
    let (mut c, _) = V1Client::join(&app, SUBPROTOCOL_JSON, hello(1)).await;
    c.next_frame().await;
    let stop = tokio::spawn(app.stop());
    assert_eq!(close_code(&mut c.ws).await, Some(1001));
    stop.await.unwrap();
}
