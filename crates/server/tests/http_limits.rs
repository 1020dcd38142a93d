//! No single client can lock others out (issue 12, finding 1), over real sockets on loopback: idle and
//! slow connections are dropped by the header timeout, one address is capped, a full server still
//! answers health checks, and a body sent a byte at a time gets a 408.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A TCP connection to the app from `source` (127.0.0.x).
async fn connect_from(app: &TestApp, source: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    let source: IpAddr = source.parse().unwrap();
    socket.bind(SocketAddr::new(source, 0)).unwrap();
    socket
        .connect(SocketAddr::from(([127, 0, 0, 1], app.port)))
        .await
        .unwrap()
}

/// Everything the server sends until it closes (bounded: 10 s).
async fn read_to_close(tcp: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&got).into_owned()
}

/// One request on its own connection from `source`; the whole answer.
async fn request_from(app: &TestApp, source: &str, path: &str) -> String {
    let mut tcp = connect_from(app, source).await;
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.unwrap();
    read_to_close(&mut tcp).await
}

#[tokio::test]
async fn a_silent_connection_and_a_slow_header_are_dropped() {
    let app = spawn_app(|c| c.http.header_read_timeout = Duration::from_secs(1)).await;
    let mut silent = connect_from(&app, "127.0.0.1").await;
    let mut slow = connect_from(&app, "127.0.0.1").await;
    let dribble = async {
        for b in b"GET /health HTTP/1.1\r\nHost: x\r\n" {
            if slow.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        read_to_close(&mut slow).await
    };
    let (silent_got, slow_got) = tokio::join!(read_to_close(&mut silent), dribble);
    assert_eq!(silent_got, "", "closed without an answer");
    assert!(!slow_got.contains("200 OK"), "{slow_got}");
    app.stop().await;
}

#[tokio::test]
async fn one_address_is_capped_and_others_are_still_served() {
    let app = spawn_app(|c| c.http.max_connections_per_address = 4).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(connect_from(&app, "127.0.0.7").await);
    }
    let refused = request_from(&app, "127.0.0.7", "/health/ready").await;
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    assert!(
        refused.contains(r#""code":"too_many_connections""#),
        "{refused}"
    );
    let other = request_from(&app, "127.0.0.8", "/health/ready").await;
    assert!(other.starts_with("HTTP/1.1 200"), "{other}");
    // A closed connection frees its place (once the server has seen it close).
    idle.pop();
    let mut again = String::new();
    for _ in 0..50 {
        again = request_from(&app, "127.0.0.7", "/health/ready").await;
        if again.starts_with("HTTP/1.1 200") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
    app.stop().await;
}

#[tokio::test]
async fn a_full_server_still_answers_health_checks_and_keeps_its_players() {
    let app = spawn_app(|c| c.http.max_connections = 3).await;
    // A player connected before the server fills up.
    let (mut player, _) = V1Client::join(&app, protocol::v1::SUBPROTOCOL_BIN, hello(1)).await;
    let mut idle = Vec::new();
    for source in ["127.0.0.21", "127.0.0.22"] {
        idle.push(connect_from(&app, source).await);
    }
    let api = request_from(&app, "127.0.0.23", "/api/worlds").await;
    assert!(api.starts_with("HTTP/1.1 503"), "{api}");
    assert!(api.contains(r#""code":"server_full""#), "{api}");
    let health = request_from(&app, "127.0.0.23", "/health/ready").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    player.next_frame().await;
    app.stop().await;
}

#[tokio::test]
async fn a_body_sent_a_byte_at_a_time_gets_a_408() {
    let app = spawn_app(|c| c.request_timeout = Duration::from_secs(1)).await;
    let mut tcp = connect_from(&app, "127.0.0.1").await;
    let head = "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                Content-Length: 200\r\n\r\n{";
    tcp.write_all(head.as_bytes()).await.unwrap();
    let (mut read, mut write) = tcp.into_split();
    let dribble = tokio::spawn(async move {
        for _ in 0..40 {
            if write.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), read.read_to_end(&mut got)).await;
    dribble.abort();
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains(r#""code":"request_timeout""#), "{got}");
    app.stop().await;
}
