//! One simulated client: connect, (v1) say hello, then read everything the server sends while sending
//! intents at the configured rate, until the run's shutdown signal or the server closes.
//!
//! Owns only its socket, its [`Tally`] and its [`Decoder`]; everything shared goes through [`Stats`].

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Message;

use crate::cli::Proto;
use crate::conn::{Target, Ws, ws_label};
use crate::stats::{Stats, Tally};
use crate::wire::{self, Decoder, Event};

/// How often a client adds its tally to the shared stats.
const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// Time allowed for our close frame and the server's answer at shutdown.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Requests awaiting a reply, by `request_id % PENDING` (older ones are overwritten: their reply is lost
/// to the histogram, which only happens when replies lag by more than PENDING requests).
const PENDING: usize = 64;
/// Radius within which asteroids are placed (the world is larger; this keeps them in bounds).
const CREATE_RADIUS: f64 = 45_000.0;

/// What every client shares.
#[derive(Debug)]
pub struct Shared {
    pub target: Target,
    pub stats: Stats,
    /// v1 hello, serialized once.
    pub hello: String,
    pub rate: f64,
    pub create_ratio: f64,
    pub idle: bool,
    pub verify: bool,
    pub connect_timeout: Duration,
    /// Monotonic origin for reply latency.
    pub start: Instant,
}

/// How a connection ended.
enum End {
    /// Our shutdown signal: not a disconnect.
    Shutdown,
    /// The server closed or the connection broke: the close code or a label.
    Lost(String),
}

/// Runs client `id` to the end. `permit` bounds connections in flight and is released after the handshake.
pub async fn run(
    id: usize,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) {
    let s = &*shared;
    let connect = tokio::time::timeout(s.connect_timeout, s.target.connect(id));
    let ws = tokio::select! {
        _ = shutdown.changed() => return,
        r = connect => r,
    };
    drop(permit);
    let ws = match ws {
        Ok(Ok(ws)) => ws,
        Ok(Err(why)) => return s.stats.connect_failed(why),
        Err(_) => return s.stats.connect_failed("timeout"),
    };
    s.stats
        .connected
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    s.stats
        .live
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut session = Session::new(id, s);
    let end = session.drive(ws, &mut shutdown).await;
    session.tally.flush(&s.stats);
    s.stats
        .live
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    if let End::Lost(how) = end {
        s.stats.disconnected(how);
    }
}

struct Session<'a> {
    s: &'a Shared,
    tally: Tally,
    decoder: Decoder,
    rng: SmallRng,
    next_request: u32,
    /// (request_id, sent at µs since `start`) by `request_id % PENDING`; id 0 = empty.
    pending: [(u32, u64); PENDING],
    /// v0 `CreateBody` send times, answered in order.
    v0_creates: std::collections::VecDeque<u64>,
    sending: bool,
    last_flush: Instant,
}

impl<'a> Session<'a> {
    fn new(id: usize, s: &'a Shared) -> Self {
        let proto = s.target.proto;
        Self {
            s,
            tally: Tally::new(id),
            decoder: Decoder::new(proto, s.verify),
            rng: SmallRng::seed_from_u64(id as u64),
            next_request: 2,
            pending: [(0, 0); PENDING],
            v0_creates: std::collections::VecDeque::new(),
            // v0 plays at once; v1 starts sending after welcome.
            sending: proto == Proto::V0 && !s.idle && s.rate > 0.0,
            last_flush: Instant::now(),
        }
    }

    async fn drive(&mut self, mut ws: Ws, shutdown: &mut watch::Receiver<bool>) -> End {
        let proto = self.s.target.proto;
        if proto != Proto::V0 && !self.s.idle {
            let hello = Message::text(self.s.hello.clone());
            if let Err(e) = ws.send(hello).await {
                return End::Lost(ws_label(&e).into());
            }
        }
        let mut ticker = self.ticker();
        loop {
            tokio::select! {
                biased;
                _ = shutdown.changed() => {
                    close(ws).await;
                    return End::Shutdown;
                }
                msg = ws.next() => match msg {
                    None => return End::Lost("eof".into()),
                    Some(Err(e)) => return End::Lost(ws_label(&e).into()),
                    Some(Ok(Message::Close(frame))) => {
                        let code = frame.map_or_else(|| "no_code".into(), |f| u16::from(f.code).to_string());
                        // Answer the close handshake (best effort), then report it.
                        let _ = tokio::time::timeout(CLOSE_TIMEOUT, ws.close(None)).await;
                        return End::Lost(code);
                    }
                    Some(Ok(m)) => self.on_message(m),
                },
                _ = ticker.tick(), if self.sending => {
                    let m = self.next_intent();
                    if let Err(e) = ws.send(m).await {
                        return End::Lost(ws_label(&e).into());
                    }
                }
            }
        }
    }

    /// Intent timer with a random phase, so clients don't all send on the same millisecond.
    fn ticker(&mut self) -> tokio::time::Interval {
        let period = if self.s.rate > 0.0 {
            Duration::from_secs_f64((1.0 / self.s.rate).min(3600.0))
        } else {
            Duration::from_secs(3600)
        };
        let phase = period.mul_f64(self.rng.random::<f64>());
        let mut t = tokio::time::interval_at(tokio::time::Instant::now() + phase, period);
        t.set_missed_tick_behavior(MissedTickBehavior::Delay);
        t
    }

    fn on_message(&mut self, m: Message) {
        let event = match &m {
            Message::Text(t) => {
                self.tally.bytes += t.len() as u64;
                self.decoder.text(t.as_str())
            }
            Message::Binary(b) => {
                self.tally.bytes += b.len() as u64;
                self.decoder.binary(b)
            }
            // Pings are answered by tungstenite on the next read.
            _ => return,
        };
        self.tally.messages += 1;
        let stats = &self.s.stats;
        match event {
            Event::Frame { time_us, verified } => {
                self.tally.frames += 1;
                if !verified {
                    self.tally.verify_errors += 1;
                }
                if let Some(t) = time_us {
                    self.tally.tick_latency(wall_us().saturating_sub(t), stats);
                }
            }
            Event::Welcome => self.sending = !self.s.idle && self.s.rate > 0.0,
            Event::Reply { request_id } => self.replied(request_id),
            Event::Error { request_id, code } => {
                self.tally.error(code);
                if let Some(id) = request_id {
                    self.replied(id);
                }
            }
            Event::V0Created { ok } => {
                if !ok {
                    self.tally.error("create_failed");
                }
                if let Some(sent) = self.v0_creates.pop_front() {
                    let now = self.mono_us();
                    self.tally.reply_latency(now.saturating_sub(sent), stats);
                }
            }
            Event::Other => {}
            Event::Bad => self.tally.decode_errors += 1,
        }
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.tally.flush(stats);
            self.last_flush = Instant::now();
        }
    }

    fn replied(&mut self, request_id: u32) {
        let slot = &mut self.pending[request_id as usize % PENDING];
        if slot.0 == request_id && request_id != 0 {
            let sent = slot.1;
            *slot = (0, 0);
            let now = self.mono_us();
            self.tally
                .reply_latency(now.saturating_sub(sent), &self.s.stats);
        }
    }

    fn next_intent(&mut self) -> Message {
        self.tally.requests += 1;
        let create = self.rng.random::<f64>() < self.s.create_ratio;
        let now = self.mono_us();
        if self.s.target.proto == Proto::V0 {
            if !create {
                return Message::text(wire::V0_HEARTBEAT);
            }
            if self.v0_creates.len() >= PENDING {
                self.v0_creates.pop_front();
            }
            self.v0_creates.push_back(now);
            return Message::text(wire::v0_create(self.position()));
        }
        let id = self.next_request;
        // Skip 0 (empty slot marker) and 1 (hello) when wrapping.
        self.next_request = self.next_request.checked_add(1).unwrap_or(2);
        self.pending[id as usize % PENDING] = (id, now);
        let text = if create {
            wire::create(id, self.position())
        } else {
            wire::ping(id)
        };
        Message::text(text)
    }

    /// A random point in the disc of radius [`CREATE_RADIUS`], near z = 0.
    fn position(&mut self) -> [f64; 3] {
        let r = CREATE_RADIUS * self.rng.random::<f64>().sqrt();
        let a = std::f64::consts::TAU * self.rng.random::<f64>();
        let z = self.rng.random_range(-100.0..100.0);
        [r * a.cos(), r * a.sin(), z]
    }

    fn mono_us(&self) -> u64 {
        u64::try_from(self.s.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// Microseconds since the Unix epoch (the clock of the server's `time_us`; same machine).
fn wall_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Sends our close frame and waits briefly for the server's.
async fn close(mut ws: Ws) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        let _ = ws.close(None).await;
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}
