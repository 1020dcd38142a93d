//! Every limit of a WebSocket connection, in one documented struct with its defaults. Every application
//! on the gateway runs under the same limits.

use std::time::Duration;

/// How often the server pings an idle connection.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(15);
/// A connection that sends nothing (not even a pong) for this long is closed.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(45);
/// A session that waits for a hello (its first message) closes the connection when none came in this time.
pub const DEFAULT_HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// After sending a close frame, wait this long for the client's before dropping the socket.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(3);
/// A single socket write taking longer than this means the client has stopped reading: it is closed.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest message a client may send; larger ones close the connection with 1009.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 * 1024;
/// Replies and errors waiting to be written (feed frames are not queued: only the newest is kept).
pub const DEFAULT_OUTBOUND_QUEUE: usize = 64;
/// Token bucket: sustained messages per second a client may send…
pub const DEFAULT_RATE_PER_SECOND: f64 = 20.0;
/// …and the burst above that.
pub const DEFAULT_RATE_BURST: f64 = 40.0;
/// Messages refused by the rate limit before the connection is closed with 1008.
pub const DEFAULT_RATE_STRIKES: u32 = 20;
/// Socket read buffer. tungstenite's default is 128 KiB per connection; client messages are a few hundred
/// bytes (larger ones still arrive whole, read in several chunks).
pub const DEFAULT_READ_BUFFER: usize = 1024;

/// The limits of every WebSocket connection.
#[derive(Clone, Debug)]
pub struct WsOptions {
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    pub hello_timeout: Duration,
    pub close_timeout: Duration,
    pub write_timeout: Duration,
    pub max_message_size: usize,
    pub outbound_queue: usize,
    pub rate_per_second: f64,
    pub rate_burst: f64,
    pub rate_strikes: u32,
    pub read_buffer: usize,
}

impl WsOptions {
    /// What the socket layer accepts at most. Messages above `max_message_size` but within this are read
    /// whole and refused cleanly (error, close 1009, close handshake); above this the socket layer stops
    /// reading at the frame header and the connection is dropped (the close frame may be lost).
    pub fn hard_max_message_size(&self) -> usize {
        (self.max_message_size * 4).max(64 * 1024)
    }
}

impl Default for WsOptions {
    fn default() -> Self {
        Self {
            ping_interval: DEFAULT_PING_INTERVAL,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            hello_timeout: DEFAULT_HELLO_TIMEOUT,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            outbound_queue: DEFAULT_OUTBOUND_QUEUE,
            rate_per_second: DEFAULT_RATE_PER_SECOND,
            rate_burst: DEFAULT_RATE_BURST,
            rate_strikes: DEFAULT_RATE_STRIKES,
            read_buffer: DEFAULT_READ_BUFFER,
        }
    }
}
