//! The HTTP/1.1 server under the routes. It hands hyper the TCP stream itself, so that a WebSocket
//! upgrade gets the stream back (see [`crate::socket`]) instead of a boxed, locked wrapper; every
//! request carries the client's address as `ConnectInfo<SocketAddr>`.
//!
//! Accept errors (a full descriptor table, above all) back off instead of spinning. On shutdown the
//! listener closes, idle keep-alive connections close, requests in flight finish; upgraded WebSockets
//! are no longer the HTTP server's (their applications close them).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower_service::Service;
use tracing::{debug, warn};

use crate::admit::{Admission, Admit, ConnSlot};

/// How the HTTP server treats connections.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// A client that has not sent a request's complete header by then is disconnected: a connection
    /// that never sends a byte, a header sent a byte at a time, a keep-alive connection left idle.
    pub header_read_timeout: Duration,
    /// Open connections (WebSockets included) past which new ones may only check health (`/health…`);
    /// every other request gets a 503. Keep it below the open-file limit: the rest is the reserve.
    pub max_connections: usize,
    /// Open connections of one client address past which new ones get a 429 (0: no cap).
    pub max_connections_per_address: usize,
    /// Addresses not capped per address (trusted proxies: their clients are capped at the edge).
    pub uncapped_addresses: Vec<IpAddr>,
}

/// Descriptors kept free of client connections by the default `max_connections`: the database pool,
/// files, and the health checks a full server still answers.
pub const FD_RESERVE: usize = 512;

/// The soft limit on open files of this process (`/proc/self/limits`; 1024 where it cannot be read).
pub fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        })
        .unwrap_or(1024)
}

impl Default for HttpOptions {
    /// `max_connections`: the open-file limit less [`FD_RESERVE`] (at least 64).
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(20),
            max_connections: open_file_limit().saturating_sub(FD_RESERVE).max(64),
            max_connections_per_address: 256,
            uncapped_addresses: Vec::new(),
        }
    }
}

/// Connections over their address's cap being answered now, and the most at once.
static REFUSING: AtomicUsize = AtomicUsize::new(0);
const MAX_REFUSING: usize = 64;

/// First and longest pause after a failed `accept`.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(5), Duration::from_secs(1));

/// Serves `router` on `listener` until `shutdown` resolves, then until every plain HTTP connection
/// has finished.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: HttpOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    // Each connection holds a receiver of `stop` (told to finish) and a sender of `done` (waited for).
    let (stop, stop_rx) = watch::channel(false);
    let (done, done_rx) = watch::channel(());
    drop(done_rx);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    let admission = Admission::new(
        options.max_connections,
        options.max_connections_per_address,
        options.uncapped_addresses.clone(),
    );
    let mut backoff = ACCEPT_BACKOFF.0;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => {
                    backoff = ACCEPT_BACKOFF.0;
                    accepted
                }
                Err(e) if is_per_connection(&e) => continue,
                Err(e) => {
                    warn!(error = %e, pause_ms = backoff.as_millis() as u64, "Accept failed; pausing.");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF.1);
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (slot, health_only) = match admission.admit(peer.ip()) {
            Admit::Serve(slot) => (slot, false),
            Admit::HealthOnly(slot) => (slot, true),
            Admit::TooMany => {
                // At most a few answered at once: past that a flood is just dropped.
                if REFUSING.fetch_add(1, Ordering::Relaxed) < MAX_REFUSING {
                    tokio::spawn(async move {
                        refuse(stream).await;
                        REFUSING.fetch_sub(1, Ordering::Relaxed);
                    });
                } else {
                    REFUSING.fetch_sub(1, Ordering::Relaxed);
                }
                continue;
            }
        };
        let conn = Connection {
            router: router.clone(),
            builder: builder.clone(),
            stop: stop_rx.clone(),
            _done: done.clone(),
            slot,
            health_only,
        };
        tokio::spawn(conn.serve(stream, peer));
    }
    drop(listener);
    let _ = stop.send(true);
    // Resolves once every connection has dropped its clone of `done`.
    done.closed().await;
    Ok(())
}

/// Errors of one connection that `accept` reports; the listener itself is fine.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
    )
}

struct Connection {
    router: Router,
    builder: http1::Builder,
    stop: watch::Receiver<bool>,
    _done: watch::Sender<()>,
    /// Held by the connection and by each request (an upgrade keeps it).
    slot: ConnSlot,
    /// The server is full: health checks only.
    health_only: bool,
}

impl Connection {
    async fn serve(self, stream: TcpStream, peer: SocketAddr) {
        let Self {
            router,
            builder,
            mut stop,
            _done,
            slot,
            health_only,
        } = self;
        let _ = stream.set_nodelay(true);
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            let refused = health_only && !request.uri().path().starts_with("/health");
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(slot.clone());
            let mut router = router.clone();
            async move {
                if refused {
                    return Ok::<_, Infallible>(server_full());
                }
                Ok(router.call(request).await.unwrap_or_else(|e| match e {}))
            }
        });
        let conn = builder
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::pin!(conn);
        let result = tokio::select! {
            result = conn.as_mut() => result,
            () = async { drop(stop.wait_for(|s| *s).await) } => {
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        };
        if let Err(e) = result {
            debug!(error = %e, %peer, "HTTP connection ended with an error.");
        }
    }
}

/// The answer of a full server to anything but a health check.
fn server_full() -> Response {
    let body = r#"{"error":{"code":"server_full","message":"the server is at its connection limit: try again shortly"}}"#;
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Answers a connection over its address's cap with a 429 and closes it, reading what the client had
/// sent (for at most a second) so that the close does not reset the connection before it reads the answer.
async fn refuse(mut stream: TcpStream) {
    const BODY: &str = r#"{"error":{"code":"too_many_connections","message":"too many connections from your address: close some and try again"}}"#;
    let head = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         retry-after: 5\r\nconnection: close\r\n\r\n",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(BODY.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, io::Error>(())
    })
    .await;
}
