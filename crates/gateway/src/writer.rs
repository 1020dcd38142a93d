//! A connection's write side: messages from its queue in order, the newest frame of the feed it follows
//! (a slow client skips frames instead of building a backlog), pings, and the close frame.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use tokio::sync::{mpsc, watch};
use tracing::debug;

use crate::close::{CloseCause, CloseReason, code};
use crate::feed::Feed;
use crate::link::{Closer, Outbound};
use crate::metrics::AppMetrics;
use crate::options::WsOptions;

type Sink = SplitSink<WebSocket, Message>;

/// The feed a connection follows, and whether it is paused.
struct Following {
    feed: Feed,
    paused: bool,
    /// Write the next frame that has something for this connection even while paused.
    once: bool,
}

pub(crate) struct Writer {
    pub sink: Sink,
    pub rx: mpsc::Receiver<Outbound>,
    pub closer: Arc<Closer>,
    pub shutdown: watch::Receiver<bool>,
    pub options: Arc<WsOptions>,
    pub metrics: &'static AppMetrics,
    /// The application's last message before our close frame.
    pub farewell: Farewell,
}

/// Gives the application's last message for a close reason.
pub(crate) type Farewell = Box<dyn Fn(&CloseReason) -> Option<Message> + Send>;

impl Writer {
    /// Runs until the connection closes, then completes the close handshake if the socket still takes it.
    pub async fn run(mut self) {
        let mut following: Option<Following> = None;
        let start = tokio::time::Instant::now() + self.options.ping_interval;
        let mut ping = tokio::time::interval_at(start, self.options.ping_interval);
        let mut batch: Vec<Message> = Vec::with_capacity(4);
        loop {
            tokio::select! {
                biased;
                _ = self.closer.closed() => break,
                _ = self.shutdown.wait_for(|stop| *stop) => {
                    self.closer.close(CloseReason::new(
                        code::GOING_AWAY,
                        "server shutting down; reconnect in a few seconds",
                        CloseCause::Shutdown,
                    ));
                    break;
                }
                item = self.rx.recv() => match item {
                    None => break,
                    Some(item) => steer(item, &mut following, &mut batch),
                },
                changed = feed_changed(&mut following) => {
                    if !changed {
                        self.closer.close(CloseReason::new(
                            code::RESTART,
                            "the stream ended; reconnect",
                            CloseCause::FeedEnded,
                        ));
                        break;
                    }
                    if let Some(f) = following.as_mut() {
                        let frame = f.feed.frames.borrow_and_update().clone();
                        let before = batch.len();
                        frame.emit(&mut f.feed.cursor, &mut batch);
                        if batch.len() > before {
                            f.once = false;
                        }
                    }
                }
                _ = ping.tick() => batch.push(Message::Ping(Bytes::new())),
            }
            if !self.write(&mut batch, self.options.write_timeout).await {
                self.closer.close(CloseReason::new(
                    code::POLICY,
                    "too slow: write timed out",
                    CloseCause::SlowConsumer,
                ));
                return;
            }
        }
        Box::pin(self.finish()).await;
    }

    /// Writes and flushes `batch` (emptying it); `false` if the socket failed or took longer than `limit`.
    async fn write(&mut self, batch: &mut Vec<Message>, limit: Duration) -> bool {
        if batch.is_empty() {
            return true;
        }
        let metrics = self.metrics;
        let sink = &mut self.sink;
        let written = tokio::time::timeout(limit, async {
            for msg in batch.drain(..) {
                let size = match &msg {
                    Message::Text(t) => Some(t.len()),
                    Message::Binary(b) => Some(b.len()),
                    _ => None,
                };
                sink.feed(msg).await?;
                if let Some(size) = size {
                    metrics.message_out(size);
                }
            }
            sink.flush().await
        })
        .await;
        batch.clear();
        matches!(written, Ok(Ok(())))
    }

    /// The close handshake. The client closed: its close frame is answered with the same code (the
    /// socket layer queued the echo; closing the sink sends it). We close: queued messages go out first
    /// (e.g. the error that explains the close), then our close frame.
    async fn finish(mut self) {
        let Some(reason) = self.closer.reason() else {
            return;
        };
        let limit = self.options.close_timeout;
        if reason.cause == CloseCause::ClientClosed {
            let _ = tokio::time::timeout(limit, self.sink.close()).await;
            return;
        }
        let mut queued = Vec::new();
        while let Ok(item) = self.rx.try_recv() {
            if let Outbound::Message(msg) = item {
                queued.push(*msg);
            }
        }
        queued.extend((self.farewell)(&reason));
        if !self.write(&mut queued, limit).await {
            return;
        }
        let frame = CloseFrame {
            code: reason.code,
            reason: reason.frame_reason().into(),
        };
        let _ = tokio::time::timeout(limit, self.sink.send(Message::Close(Some(frame)))).await;
        debug!(
            code = reason.code,
            cause = reason.cause.as_str(),
            "Close frame sent."
        );
    }
}

/// Applies a queued item: a message joins the batch; the others change what the writer follows.
fn steer(item: Outbound, following: &mut Option<Following>, batch: &mut Vec<Message>) {
    match item {
        Outbound::Message(msg) => batch.push(*msg),
        Outbound::Follow(feed) => {
            let mut feed = *feed;
            feed.frames.mark_changed();
            *following = Some(Following {
                feed,
                paused: false,
                once: false,
            });
        }
        Outbound::Pause(paused) => {
            if let Some(f) = following.as_mut() {
                f.paused = paused;
                if !paused {
                    f.feed.frames.mark_changed();
                }
            }
        }
        Outbound::Refresh => {
            if let Some(f) = following.as_mut() {
                f.once = true;
                f.feed.frames.mark_changed();
            }
        }
    }
}

/// Resolves when the followed feed publishes a new frame (`false` if its source is gone); never
/// resolves without a feed or while paused (unless a refresh is pending).
async fn feed_changed(following: &mut Option<Following>) -> bool {
    match following {
        Some(f) if !f.paused || f.once => f.feed.frames.changed().await.is_ok(),
        _ => std::future::pending().await,
    }
}
