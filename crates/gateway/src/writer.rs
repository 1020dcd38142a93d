//! A connection's writer task: messages from its queue in order, pings, the close frame, and the feed's
//! frames whenever the fan-out cannot write them (joining, paused, catching up after a blocked write). A
//! slow client skips to the newest frame instead of building a backlog.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tracing::debug;

use crate::close::{CloseCause, CloseReason, code};
use crate::feed::FeedFrame;
use crate::link::{Closer, Outbound};
use crate::options::WsOptions;
use crate::port::{Fanouts, Membership, Port, PortState, gone, poll_write_all};
use crate::wire::Wire;
use tungstenite::Message;

/// The feed a connection follows.
struct Following {
    frames: watch::Receiver<Arc<dyn FeedFrame>>,
    /// Write the next frame that has something for this connection even while paused.
    once: bool,
    _membership: Membership,
}

pub(crate) struct Writer {
    pub port: Arc<Port>,
    pub rx: mpsc::Receiver<Outbound>,
    pub closer: Arc<Closer>,
    pub shutdown: watch::Receiver<bool>,
    pub options: Arc<WsOptions>,
    pub fanouts: Fanouts,
    /// The application's last message before our close frame.
    pub farewell: Farewell,
}

/// Gives the application's last message for a close reason.
pub(crate) type Farewell = Box<dyn Fn(&CloseReason) -> Option<Message> + Send>;

/// How a write ended.
enum Written {
    Done,
    Failed,
    TimedOut,
}

impl Writer {
    /// Runs until the connection closes, then completes the close handshake if the socket still takes it.
    pub async fn run(mut self) {
        let mut following: Option<Following> = None;
        let start = tokio::time::Instant::now() + self.options.ping_interval;
        let mut ping = tokio::time::interval_at(start, self.options.ping_interval);
        let mut batch: Vec<Wire> = Vec::with_capacity(4);
        loop {
            // The writer follows the feed itself only while the fan-out does not.
            let catch_up = match &following {
                Some(f) => {
                    let state = self.port.lock();
                    !state.fast && (!state.paused || f.once)
                }
                None => false,
            };
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
                    Some(item) => steer(&self.port, &self.fanouts, item, &mut following, &mut batch),
                },
                _ = self.port.wake.notified() => {}
                changed = feed_changed(&mut following), if catch_up => {
                    if !changed {
                        self.closer.close(CloseReason::new(
                            code::RESTART,
                            "the stream ended; reconnect",
                            CloseCause::FeedEnded,
                        ));
                        break;
                    }
                    if let Some(f) = following.as_mut() {
                        let frame = f.frames.borrow_and_update().clone();
                        let before = batch.len();
                        frame.emit(&mut self.port.lock().cursor, &mut batch);
                        if batch.len() > before {
                            f.once = false;
                        }
                    }
                }
                _ = ping.tick() => batch.push(Wire::ping()),
            }
            let limit = self.options.write_timeout;
            match self.write(&mut batch, following.as_ref(), limit).await {
                Written::Done => {}
                Written::Failed => {
                    self.closer.close(gone());
                    return;
                }
                Written::TimedOut => {
                    self.closer.close(CloseReason::new(
                        code::POLICY,
                        "too slow: write timed out",
                        CloseCause::SlowConsumer,
                    ));
                    return;
                }
            }
        }
        Box::pin(self.finish(following)).await;
    }

    /// Writes `batch` (emptying it) after whatever is pending; then hands the feed back to the fan-out
    /// if this connection is up to date with it.
    async fn write(
        &mut self,
        batch: &mut Vec<Wire>,
        following: Option<&Following>,
        limit: Duration,
    ) -> Written {
        let (mut io, mut pending) = {
            let mut state = self.port.lock();
            for wire in batch.drain(..) {
                self.port.queue(&mut state, wire);
            }
            if state.pending.is_empty() {
                hand_back(&mut state, following);
                return Written::Done;
            }
            let Some(io) = state.io.take() else {
                return Written::Done;
            };
            (io, std::mem::take(&mut state.pending))
        };
        let written = tokio::time::timeout(
            limit,
            std::future::poll_fn(|cx| poll_write_all(&mut io, &mut pending, cx)),
        )
        .await;
        let mut state = self.port.lock();
        state.io = Some(io);
        match written {
            Ok(Ok(())) => {
                hand_back(&mut state, following);
                Written::Done
            }
            Ok(Err(_)) => Written::Failed,
            Err(_) => Written::TimedOut,
        }
    }

    /// The close handshake. The client closed: its close frame is answered with the same code. We
    /// close: queued messages go out first (e.g. the error that explains the close), then the
    /// application's farewell, then our close frame.
    async fn finish(mut self, following: Option<Following>) {
        drop(following);
        self.port.lock().fast = false;
        let Some(reason) = self.closer.reason() else {
            return;
        };
        let limit = self.options.close_timeout;
        let mut queued = Vec::new();
        if reason.cause != CloseCause::ClientClosed {
            while let Ok(item) = self.rx.try_recv() {
                if let Outbound::Message(msg) = item {
                    queued.push(Wire::message(&msg));
                }
            }
            queued.extend((self.farewell)(&reason).map(|m| Wire::message(&m)));
        }
        queued.push(Wire::close(reason.code, reason.frame_reason()));
        if let Written::Done = self.write(&mut queued, None, limit).await {
            debug!(
                code = reason.code,
                cause = reason.cause.as_str(),
                "Close frame sent."
            );
        }
    }
}

/// Applies a queued item: a message joins the batch; the others change what the writer follows.
fn steer(
    port: &Arc<Port>,
    fanouts: &Fanouts,
    item: Outbound,
    following: &mut Option<Following>,
    batch: &mut Vec<Wire>,
) {
    match item {
        Outbound::Message(msg) => batch.push(Wire::message(&msg)),
        Outbound::Follow(feed) => {
            let feed = *feed;
            let mut frames = feed.frames;
            frames.mark_changed();
            {
                let mut state = port.lock();
                state.cursor = feed.cursor;
                state.fast = false;
                state.paused = false;
            }
            // Leave the old feed before joining the new one.
            *following = None;
            let membership = fanouts.join(&frames, port);
            *following = Some(Following {
                frames,
                once: false,
                _membership: membership,
            });
        }
        Outbound::Pause(paused) => {
            if let Some(f) = following.as_mut() {
                let mut state = port.lock();
                state.paused = paused;
                if !paused {
                    state.fast = false;
                    f.frames.mark_changed();
                }
            }
        }
        Outbound::Refresh => {
            if let Some(f) = following.as_mut() {
                f.once = true;
                port.lock().fast = false;
                f.frames.mark_changed();
            }
        }
    }
}

/// Gives the feed back to the fan-out when the connection is up to date with it: nothing pending, not
/// paused, and no newer frame than the one it has (checked under the port's lock, so a frame published
/// meanwhile is written by exactly one of the two).
fn hand_back(state: &mut PortState, following: Option<&Following>) {
    if let Some(f) = following
        && !state.paused
        && state.pending.is_empty()
        && matches!(f.frames.has_changed(), Ok(false))
    {
        state.fast = true;
    }
}

/// Resolves when the followed feed publishes a new frame (`false` if its source is gone).
async fn feed_changed(following: &mut Option<Following>) -> bool {
    match following {
        Some(f) => f.frames.changed().await.is_ok(),
        None => std::future::pending().await,
    }
}
