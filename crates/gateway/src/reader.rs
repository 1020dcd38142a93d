//! Reading a connection: the next client message within the idle timeout, with the size and rate
//! limits applied, and every way a read can end mapped to a [`CloseReason`].

use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::SplitStream;

use crate::close::{CloseCause, CloseReason, code};
use crate::link::Closer;
use crate::metrics::AppMetrics;
use crate::options::WsOptions;
use crate::rate::TokenBucket;

/// A client message, as a session receives it.
#[derive(Debug)]
pub enum Incoming {
    Text(Utf8Bytes),
    Binary(Bytes),
    /// A message refused by the rate limit (the session tells the client in its own words).
    Limited,
}

/// A connection's read side with its limits.
pub(crate) struct Reader {
    stream: SplitStream<WebSocket>,
    bucket: TokenBucket,
    strikes: u32,
    options: Arc<WsOptions>,
    metrics: &'static AppMetrics,
}

impl Reader {
    pub fn new(
        stream: SplitStream<WebSocket>,
        options: Arc<WsOptions>,
        metrics: &'static AppMetrics,
    ) -> Self {
        Self {
            stream,
            bucket: TokenBucket::new(options.rate_per_second, options.rate_burst),
            strikes: 0,
            options,
            metrics,
        }
    }

    /// The next data message, or why the connection ends.
    pub async fn next(&mut self, closer: &Closer) -> Result<Incoming, CloseReason> {
        let timeout = self.options.idle_timeout;
        loop {
            let next = tokio::select! {
                biased;
                _ = closer.closed() => return Err(closer.reason().unwrap_or_else(|| {
                    CloseReason::new(code::NORMAL, "closing", CloseCause::Server)
                })),
                next = tokio::time::timeout(timeout, self.stream.next()) => next,
            };
            let msg = match next {
                Err(_) => {
                    return Err(CloseReason::new(
                        code::GOING_AWAY,
                        "idle timeout",
                        CloseCause::IdleTimeout,
                    ));
                }
                Ok(None) => {
                    return Err(CloseReason::new(
                        code::NORMAL,
                        "client went away",
                        CloseCause::ClientGone,
                    ));
                }
                Ok(Some(Err(e))) => return Err(read_error(e)),
                Ok(Some(Ok(msg))) => msg,
            };
            let data = match msg {
                Message::Text(t) => Incoming::Text(t),
                Message::Binary(b) => Incoming::Binary(b),
                Message::Ping(_) | Message::Pong(_) => continue,
                Message::Close(_) => {
                    return Err(CloseReason::new(
                        code::NORMAL,
                        "client closed",
                        CloseCause::ClientClosed,
                    ));
                }
            };
            let size = match &data {
                Incoming::Text(t) => t.len(),
                Incoming::Binary(b) => b.len(),
                Incoming::Limited => 0,
            };
            self.metrics.message_in(size);
            if size > self.options.max_message_size {
                return Err(too_big());
            }
            if self.bucket.take(Instant::now()) {
                return Ok(data);
            }
            self.strikes += 1;
            if self.strikes > self.options.rate_strikes {
                return Err(CloseReason::new(
                    code::POLICY,
                    "rate limit exceeded",
                    CloseCause::RateLimited,
                ));
            }
            return Ok(Incoming::Limited);
        }
    }

    /// After our close frame went out: read (and discard) until the client's close frame or the close
    /// timeout, so the socket is not dropped with unread input (which would reset the connection and
    /// lose the close frame and the messages before it).
    pub async fn drain(&mut self) {
        let deadline = tokio::time::Instant::now() + self.options.close_timeout;
        let mut errors = 0;
        while let Ok(Some(next)) = tokio::time::timeout_at(deadline, self.stream.next()).await {
            match next {
                Ok(Message::Close(_)) => break,
                Ok(_) => {}
                // After a refused oversized message the rest of it is still arriving: keep consuming.
                Err(_) if errors < 64 => errors += 1,
                Err(_) => break,
            }
        }
    }
}

fn too_big() -> CloseReason {
    CloseReason::new(code::TOO_BIG, "message too big", CloseCause::TooBig)
}

/// A read error by its type: over a size limit, the socket gone, or a protocol violation.
fn read_error(e: axum::Error) -> CloseReason {
    use tungstenite::Error as E;
    let inner = e.into_inner();
    match inner.downcast_ref::<E>() {
        Some(E::Capacity(_)) => too_big(),
        Some(E::Io(_) | E::ConnectionClosed | E::AlreadyClosed) => {
            CloseReason::new(code::NORMAL, "client went away", CloseCause::ClientGone)
        }
        _ => CloseReason::new(
            code::PROTOCOL_ERROR,
            "protocol error",
            CloseCause::ProtocolError,
        ),
    }
}
