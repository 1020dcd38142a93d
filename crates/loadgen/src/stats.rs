//! Measurements shared by all clients, and each client's local tally that feeds them.
//!
//! The hot path (one received message) touches only the client's own [`Tally`]: plain integers and a small
//! fixed buffer of latency samples. A tally is flushed into the shared [`Stats`] a few times a second (a
//! handful of atomic adds and one lock of a histogram shard), so no lock or allocation happens per message.
//! Histograms are per shard, not per client: one 3-digit histogram is ~140 KB, too much for 19k clients.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use hdrhistogram::Histogram;

/// Highest latency a histogram holds (µs); larger samples are clamped to it.
const MAX_LATENCY_US: u64 = 60_000_000;
const SHARDS: usize = 8;
/// Samples a client buffers before taking a shard lock.
const SAMPLE_BUF: usize = 32;

/// A new latency histogram in microseconds with 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("constant histogram bounds are valid")
}

/// A latency histogram split into shards so that clients on different threads rarely share a lock.
#[derive(Debug)]
pub struct Shards(Vec<Mutex<Histogram<u64>>>);

impl Shards {
    fn new() -> Self {
        Self((0..SHARDS).map(|_| Mutex::new(histogram())).collect())
    }

    fn record(&self, shard: usize, samples: &[u32]) {
        let Some(m) = self.0.get(shard % SHARDS) else {
            return;
        };
        let mut h = m.lock().unwrap_or_else(|p| p.into_inner());
        samples
            .iter()
            .for_each(|&v| h.saturating_record(u64::from(v)));
    }

    /// All shards added together.
    pub fn merged(&self) -> Histogram<u64> {
        let mut out = histogram();
        for m in &self.0 {
            let h = m.lock().unwrap_or_else(|p| p.into_inner());
            // Same bounds everywhere, so adding cannot fail.
            let _ = out.add(&*h);
        }
        out
    }
}

/// Everything all clients add to. Counters are totals since the start.
#[derive(Debug)]
pub struct Stats {
    pub connected: AtomicU64,
    /// Connections open right now.
    pub live: AtomicI64,
    pub connect_failures: AtomicU64,
    /// Connections that ended before the run's deadline.
    pub disconnects: AtomicU64,
    pub messages: AtomicU64,
    pub bytes: AtomicU64,
    pub frames: AtomicU64,
    pub requests: AtomicU64,
    pub decode_errors: AtomicU64,
    pub verify_errors: AtomicU64,
    /// False during the warmup: latency samples are not recorded.
    pub measuring: AtomicBool,
    pub reply: Shards,
    pub tick: Shards,
    /// Error replies by code (rare enough for a lock: merged from tallies, not per message).
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// Close codes sent by the server before the deadline, or how the connection ended without one.
    pub close_codes: Mutex<BTreeMap<String, u64>>,
    pub connect_errors: Mutex<BTreeMap<&'static str, u64>>,
}

impl Stats {
    pub fn new(measuring: bool) -> Self {
        Self {
            connected: AtomicU64::new(0),
            live: AtomicI64::new(0),
            connect_failures: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
            messages: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            decode_errors: AtomicU64::new(0),
            verify_errors: AtomicU64::new(0),
            measuring: AtomicBool::new(measuring),
            reply: Shards::new(),
            tick: Shards::new(),
            errors: Mutex::new(BTreeMap::new()),
            close_codes: Mutex::new(BTreeMap::new()),
            connect_errors: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn connect_failed(&self, why: &'static str) {
        self.connect_failures.fetch_add(1, Ordering::Relaxed);
        *lock(&self.connect_errors).entry(why).or_default() += 1;
    }

    /// A connection ended before the deadline: `how` is the close code or a label.
    pub fn disconnected(&self, how: String) {
        self.disconnects.fetch_add(1, Ordering::Relaxed);
        *lock(&self.close_codes).entry(how).or_default() += 1;
    }

    /// Counter totals, for rates over a window.
    pub fn counters(&self) -> Counters {
        Counters {
            messages: self.messages.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            frames: self.frames.load(Ordering::Relaxed),
        }
    }
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A snapshot of the throughput counters.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    pub messages: u64,
    pub bytes: u64,
    pub frames: u64,
}

/// Latency samples waiting to be recorded into a shard.
#[derive(Debug)]
struct Samples {
    buf: [u32; SAMPLE_BUF],
    len: usize,
}

impl Samples {
    fn new() -> Self {
        Self {
            buf: [0; SAMPLE_BUF],
            len: 0,
        }
    }

    fn drain_into(&mut self, shards: &Shards, shard: usize) {
        if self.len > 0 {
            shards.record(shard, &self.buf[..self.len]);
            self.len = 0;
        }
    }
}

/// One client's counts since its last flush.
#[derive(Debug)]
pub struct Tally {
    shard: usize,
    pub messages: u64,
    pub bytes: u64,
    pub frames: u64,
    pub requests: u64,
    pub decode_errors: u64,
    pub verify_errors: u64,
    reply: Samples,
    tick: Samples,
    errors: Vec<(String, u64)>,
}

impl Tally {
    pub fn new(client: usize) -> Self {
        Self {
            shard: client,
            messages: 0,
            bytes: 0,
            frames: 0,
            requests: 0,
            decode_errors: 0,
            verify_errors: 0,
            reply: Samples::new(),
            tick: Samples::new(),
            errors: Vec::new(),
        }
    }

    pub fn reply_latency(&mut self, us: u64, stats: &Stats) {
        self.push(us, stats, true);
    }

    pub fn tick_latency(&mut self, us: u64, stats: &Stats) {
        self.push(us, stats, false);
    }

    fn push(&mut self, us: u64, stats: &Stats, reply: bool) {
        if !stats.measuring.load(Ordering::Relaxed) {
            return;
        }
        let (s, shards) = if reply {
            (&mut self.reply, &stats.reply)
        } else {
            (&mut self.tick, &stats.tick)
        };
        if s.len == SAMPLE_BUF {
            s.drain_into(shards, self.shard);
        }
        s.buf[s.len] = u32::try_from(us).unwrap_or(u32::MAX);
        s.len += 1;
    }

    /// Counts an error reply by its code (allocates only the first time a client sees a code).
    pub fn error(&mut self, code: &str) {
        match self.errors.iter_mut().find(|(c, _)| c == code) {
            Some((_, n)) => *n += 1,
            None => self.errors.push((code.to_string(), 1)),
        }
    }

    /// Adds everything to `stats` and starts over.
    pub fn flush(&mut self, stats: &Stats) {
        let add = |a: &AtomicU64, v: &mut u64| {
            if *v > 0 {
                a.fetch_add(std::mem::take(v), Ordering::Relaxed);
            }
        };
        add(&stats.messages, &mut self.messages);
        add(&stats.bytes, &mut self.bytes);
        add(&stats.frames, &mut self.frames);
        add(&stats.requests, &mut self.requests);
        add(&stats.decode_errors, &mut self.decode_errors);
        add(&stats.verify_errors, &mut self.verify_errors);
        self.reply.drain_into(&stats.reply, self.shard);
        self.tick.drain_into(&stats.tick, self.shard);
        if self.errors.iter().any(|(_, n)| *n > 0) {
            let mut map = lock(&stats.errors);
            for (code, n) in &mut self.errors {
                if *n > 0 {
                    *map.entry(code.clone()).or_default() += std::mem::take(n);
                }
            }
        }
    }
}
