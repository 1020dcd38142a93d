//! Reading a connection: the next client message within the idle timeout, with the size and rate
//! limits applied, and every way a read can end mapped to a [`CloseReason`].

use std::sync::Arc;
use std::time::Instant;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Message, Utf8Bytes};

use crate::close::{CloseCause, CloseReason, code};
use crate::link::{Closer, Outbound};
use crate::metrics::AppMetrics;
use crate::options::WsOptions;
use crate::rate::TokenBucket;
use crate::socket::ReadIo;

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
    stream: WebSocketStream<ReadSide>,
    /// Where pongs go: the writer sends them.
    out: mpsc::Sender<Outbound>,
    bucket: TokenBucket,
    strikes: u32,
    options: Arc<WsOptions>,
    metrics: &'static AppMetrics,
}

impl Reader {
    pub async fn new(
        read: ReadIo,
        out: mpsc::Sender<Outbound>,
        options: Arc<WsOptions>,
        metrics: &'static AppMetrics,
    ) -> Self {
        let hard = options.hard_max_message_size();
        let config = WebSocketConfig::default()
            .read_buffer_size(options.read_buffer)
            .write_buffer_size(0)
            .max_message_size(Some(hard))
            .max_frame_size(Some(hard));
        let stream =
            WebSocketStream::from_raw_socket(ReadSide(read), Role::Server, Some(config)).await;
        Self {
            stream,
            out,
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
                Message::Ping(payload) => {
                    let pong = Outbound::Message(Box::new(Message::Pong(payload)));
                    let _ = self.out.try_send(pong);
                    continue;
                }
                Message::Pong(_) | Message::Frame(_) => continue,
                Message::Close(frame) => {
                    // Answered with the client's own code (RFC 6455 §5.5.1).
                    let echo = frame.map_or(code::NORMAL, |f| u16::from(f.code));
                    return Err(CloseReason::new(echo, "", CloseCause::ClientClosed));
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
fn read_error(e: tungstenite::Error) -> CloseReason {
    use tungstenite::Error as E;
    match e {
        E::Capacity(_) => too_big(),
        // RFC 6455 §7.4.1: 1007 for data inconsistent with the message's type.
        E::Utf8(_) => CloseReason::new(
            code::INVALID_PAYLOAD,
            "text message is not valid UTF-8",
            CloseCause::ProtocolError,
        ),
        E::Io(_) | E::ConnectionClosed | E::AlreadyClosed => {
            CloseReason::new(code::NORMAL, "client went away", CloseCause::ClientGone)
        }
        _ => CloseReason::new(
            code::PROTOCOL_ERROR,
            "protocol error",
            CloseCause::ProtocolError,
        ),
    }
}

/// The socket's read half as the WebSocket parser sees it. The parser would answer pings and close
/// frames itself; the gateway's writer does that (it owns the write half), so what the parser writes
/// is dropped here.
pub(crate) struct ReadSide(ReadIo);

impl AsyncRead for ReadSide {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ReadSide {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
