//! Reading a connection: the next client message within the idle timeout, with the rate limit applied,
//! and every way a read can end mapped to a close reason.

use std::time::Instant;

use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use futures_util::stream::SplitStream;

use super::link::{CloseReason, ConnLink};
use super::options::WsOptions;
use super::rate::TokenBucket;

/// What the reader got.
pub enum Incoming {
    Text(String),
    Binary,
    /// A message refused by the rate limit (the caller tells the client).
    Limited,
}

/// A connection's read side with its limits.
pub struct Reader {
    stream: SplitStream<WebSocket>,
    bucket: TokenBucket,
    strikes: u32,
    options: std::sync::Arc<WsOptions>,
}

impl Reader {
    pub fn new(stream: SplitStream<WebSocket>, options: std::sync::Arc<WsOptions>) -> Self {
        Self {
            stream,
            bucket: TokenBucket::new(options.rate_per_second, options.rate_burst),
            strikes: 0,
            options,
        }
    }

    /// The next data message, or why the connection ends.
    pub async fn next(&mut self, link: &ConnLink) -> Result<Incoming, CloseReason> {
        let timeout = self.options.idle_timeout;
        loop {
            let next = tokio::select! {
                biased;
                _ = link.closer.closed() => return Err(link.closer.reason().unwrap_or_else(|| bye(1000, "closing", "server"))),
                next = tokio::time::timeout(timeout, self.stream.next()) => next,
            };
            let msg = match next {
                Err(_) => return Err(bye(1001, "idle timeout", "idle_timeout")),
                Ok(None) => return Err(bye(1000, "client went away", "client_gone")),
                Ok(Some(Err(e))) => return Err(read_error(&e)),
                Ok(Some(Ok(msg))) => msg,
            };
            let size = match &msg {
                Message::Text(t) => t.len(),
                Message::Binary(b) => b.len(),
                _ => 0,
            };
            if matches!(msg, Message::Text(_) | Message::Binary(_)) {
                crate::metrics::hot().ws_in(size);
            }
            if size > self.options.max_message_size {
                return Err(bye(1009, "message too big", "too_big"));
            }
            let data = match msg {
                Message::Text(t) => Incoming::Text(t.to_string()),
                Message::Binary(_) => Incoming::Binary,
                Message::Ping(_) | Message::Pong(_) => continue,
                Message::Close(_) => return Err(bye(1000, "client closed", "client_closed")),
            };
            if self.bucket.take(Instant::now()) {
                return Ok(data);
            }
            self.strikes += 1;
            if self.strikes > self.options.rate_strikes {
                return Err(bye(1008, "rate limit exceeded", "rate_limited"));
            }
            return Ok(Incoming::Limited);
        }
    }
}

impl Reader {
    /// After our close frame went out: read (and discard) until the client's close frame or the close
    /// timeout, so the socket is not dropped with unread input (which would reset the connection and lose
    /// the close frame and the messages before it).
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

pub fn bye(code: u16, reason: &str, cause: &'static str) -> CloseReason {
    CloseReason {
        code,
        reason: reason.to_string(),
        cause,
    }
}

fn read_error(e: &axum::Error) -> CloseReason {
    let text = e.to_string();
    if text.contains("too long") || text.contains("Space limit") || text.contains("too big") {
        bye(1009, "message too big", "too_big")
    } else {
        bye(1002, "protocol error", "protocol_error")
    }
}
