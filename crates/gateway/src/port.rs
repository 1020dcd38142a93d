//! A connection's write side, shared by its writer task and the fan-out of the feed it follows.
//!
//! The fast path: one task per feed (not one wake-up per connection) takes each new frame and writes it
//! to every follower that is up to date, with one non-blocking write of the frame's pre-built bytes per
//! connection — what a minimal sender does. A connection that is not up to date (it just joined, is
//! paused, has bytes left from a write the kernel did not take whole, or its writer is busy) is left to
//! its own writer task, which catches up from the feed's newest frame and hands it back to the fan-out.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::{Buf, Bytes};
use tokio::io::AsyncWrite;
use tokio::sync::{Notify, watch};

use crate::close::{CloseCause, CloseReason, code};
use crate::feed::{Cursor, FeedFrame};
use crate::link::Closer;
use crate::metrics::AppMetrics;
pub(crate) use crate::socket::WriteIo;
use crate::wire::Wire;

type Frames = watch::Receiver<Arc<dyn FeedFrame>>;

/// What the writer and the fan-out share, under one short lock (never held across an await).
pub(crate) struct PortState {
    /// The socket's write half; `None` while the writer task awaits a write on it.
    pub io: Option<WriteIo>,
    /// What this connection has of its feed.
    pub cursor: Cursor,
    /// Bytes accepted for this connection and not yet written, in order.
    pub pending: VecDeque<Bytes>,
    /// Whether the fan-out writes this connection's frames (it is up to date and nothing is pending).
    pub fast: bool,
    pub paused: bool,
}

pub(crate) struct Port {
    state: Mutex<PortState>,
    /// Wakes the writer task: the fan-out left it bytes to finish or a frame to catch up with.
    pub wake: Notify,
    closer: Arc<Closer>,
    metrics: &'static AppMetrics,
}

impl Port {
    pub fn new(io: WriteIo, closer: Arc<Closer>, metrics: &'static AppMetrics) -> Self {
        Self {
            state: Mutex::new(PortState {
                io: Some(io),
                cursor: Cursor::default(),
                pending: VecDeque::new(),
                fast: false,
                paused: false,
            }),
            wake: Notify::new(),
            closer,
            metrics,
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, PortState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts `wire` as sent and queues its bytes.
    pub fn queue(&self, state: &mut PortState, wire: Wire) {
        if wire.is_data() {
            self.metrics.message_out(wire.payload_len());
        }
        state.pending.push_back(wire.into_bytes());
    }

    /// The fan-out's offer of a new frame: written at once if this connection is up to date and the
    /// socket takes it; otherwise the writer task is told to catch up.
    fn offer(&self, frame: &dyn FeedFrame, scratch: &mut Vec<Wire>) {
        let mut guard = self.lock();
        let state = &mut *guard;
        if !state.fast || state.paused {
            return;
        }
        if state.io.is_none() || !state.pending.is_empty() {
            state.fast = false;
            drop(guard);
            self.wake.notify_one();
            return;
        }
        frame.emit(&mut state.cursor, scratch);
        for wire in scratch.drain(..) {
            self.queue(state, wire);
        }
        let Some(io) = state.io.as_mut() else {
            return;
        };
        let mut cx = Context::from_waker(Waker::noop());
        match poll_write_all(io, &mut state.pending, &mut cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Pending => {
                state.fast = false;
                drop(guard);
                self.wake.notify_one();
            }
            Poll::Ready(Err(_)) => {
                state.fast = false;
                state.pending.clear();
                drop(guard);
                self.closer.close(gone());
            }
        }
    }
}

pub(crate) fn gone() -> CloseReason {
    CloseReason::new(code::NORMAL, "client went away", CloseCause::ClientGone)
}

/// Writes `pending` out (vectored, as much per call as the socket takes), removing what was written.
pub(crate) fn poll_write_all<W: AsyncWrite + Unpin>(
    io: &mut W,
    pending: &mut VecDeque<Bytes>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    const MAX_SLICES: usize = 16;
    while !pending.is_empty() {
        let polled = if pending.len() == 1 {
            // One frame (the common case): a plain write, cheaper in the kernel than a vectored one.
            Pin::new(&mut *io).poll_write(cx, &pending[0])
        } else {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let mut n = 0;
            for (slot, bytes) in slices.iter_mut().zip(pending.iter()) {
                *slot = IoSlice::new(bytes);
                n += 1;
            }
            Pin::new(&mut *io).poll_write_vectored(cx, &slices[..n])
        };
        let written = match polled {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            Poll::Ready(Ok(k)) => k,
        };
        let mut left = written;
        while left > 0 {
            let Some(front) = pending.front_mut() else {
                break;
            };
            if front.len() <= left {
                left -= front.len();
                pending.pop_front();
            } else {
                front.advance(left);
                left = 0;
            }
        }
    }
    Poll::Ready(Ok(()))
}

/// The followers of one feed.
type Ports = Arc<Mutex<Arc<Vec<Arc<Port>>>>>;

struct Group {
    frames: Frames,
    ports: Ports,
}

/// Every feed's fan-out: one task per feed that has followers, ending when its source does.
#[derive(Clone, Default)]
pub(crate) struct Fanouts {
    groups: Arc<Mutex<Vec<Group>>>,
}

impl std::fmt::Debug for Fanouts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fanouts").finish_non_exhaustive()
    }
}

/// A port's place among a feed's followers; leaves when dropped.
pub(crate) struct Membership {
    ports: Ports,
    port: Arc<Port>,
}

impl Drop for Membership {
    fn drop(&mut self) {
        let mut ports = self.ports.lock().unwrap_or_else(|e| e.into_inner());
        let kept: Vec<Arc<Port>> = ports
            .iter()
            .filter(|p| !Arc::ptr_eq(p, &self.port))
            .cloned()
            .collect();
        *ports = Arc::new(kept);
    }
}

impl Fanouts {
    /// Adds `port` to the followers of `frames`, starting that feed's fan-out if it has none.
    pub fn join(&self, frames: &Frames, port: &Arc<Port>) -> Membership {
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        let ports = match groups.iter().find(|g| g.frames.same_channel(frames)) {
            Some(g) => g.ports.clone(),
            None => {
                let ports: Ports = Arc::default();
                groups.push(Group {
                    frames: frames.clone(),
                    ports: ports.clone(),
                });
                let mut rx = frames.clone();
                rx.mark_changed();
                tokio::spawn(fan_out(rx, ports.clone(), self.clone()));
                ports
            }
        };
        drop(groups);
        let mut list = ports.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = Vec::with_capacity(list.len() + 1);
        next.extend(list.iter().cloned());
        next.push(port.clone());
        *list = Arc::new(next);
        drop(list);
        Membership {
            ports,
            port: port.clone(),
        }
    }

    fn remove(&self, ports: &Ports) {
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        groups.retain(|g| !Arc::ptr_eq(&g.ports, ports));
    }
}

/// A feed's fan-out: each new frame to every up-to-date follower, yielding now and then so one large
/// feed does not hold a worker thread for a whole pass.
async fn fan_out(mut frames: Frames, ports: Ports, fanouts: Fanouts) {
    const PORTS_PER_SLICE: usize = 128;
    let mut scratch = Vec::with_capacity(4);
    while frames.changed().await.is_ok() {
        let frame = frames.borrow_and_update().clone();
        let list = ports.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for (i, port) in list.iter().enumerate() {
            port.offer(&*frame, &mut scratch);
            if i % PORTS_PER_SLICE == PORTS_PER_SLICE - 1 {
                tokio::task::yield_now().await;
            }
        }
    }
    // The source is gone: every follower's writer finds out from the feed itself and closes.
    fanouts.remove(&ports);
    let list = ports.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for port in list.iter() {
        port.lock().fast = false;
        port.wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn partial_writes_resume_where_they_stopped() {
        // A pipe that takes 64 bytes at a time: frames are cut mid-way, as a full socket cuts them.
        let (mut tx, mut rx) = tokio::io::duplex(64);
        let frames: Vec<Bytes> = (0..3u8).map(|i| Bytes::from(vec![i; 100])).collect();
        let mut pending: VecDeque<Bytes> = frames.iter().cloned().collect();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(poll_write_all(&mut tx, &mut pending, &mut cx).is_pending());
        assert_eq!(pending.iter().map(Bytes::len).sum::<usize>(), 300 - 64);
        let reader = tokio::spawn(async move {
            let mut got = vec![0u8; 300];
            rx.read_exact(&mut got).await.map(|_| got)
        });
        std::future::poll_fn(|cx| poll_write_all(&mut tx, &mut pending, cx))
            .await
            .expect("written");
        assert!(pending.is_empty());
        let got = reader.await.expect("reader").expect("300 bytes");
        assert_eq!(got, frames.concat());
    }
}
