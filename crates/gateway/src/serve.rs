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
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower_service::Service;
use tracing::{debug, warn};

/// How the HTTP server treats connections.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// A client that has not sent a request's complete header by then is disconnected (this also
    /// ends idle keep-alive connections).
    pub header_read_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
        }
    }
}

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
        let conn = Connection {
            router: router.clone(),
            builder: builder.clone(),
            stop: stop_rx.clone(),
            _done: done.clone(),
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
}

impl Connection {
    async fn serve(self, stream: TcpStream, peer: SocketAddr) {
        let Self {
            router,
            builder,
            mut stop,
            _done,
        } = self;
        let _ = stream.set_nodelay(true);
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move { Ok::<_, Infallible>(router.call(request).await.unwrap_or_else(|e| match e {})) }
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
