//! Opening one client connection: TCP from a spread loopback source address, then the WebSocket
//! handshake with small buffers. Failures become short labels for the summary, never panics.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Error as WsError};

use crate::cli::Proto;

pub type Ws = WebSocketStream<TcpStream>;

/// Socket read buffer per client: server messages are a few KB, and 19k clients × tungstenite's default
/// 128 KiB would be 2.4 GB.
const READ_BUFFER: usize = 4 * 1024;
/// Largest server message accepted (a big world's snapshot as JSON can be several MB).
const MAX_MESSAGE: usize = 64 << 20;

/// Where and how every client connects.
#[derive(Clone, Debug)]
pub struct Target {
    pub url: String,
    pub addr: SocketAddr,
    pub proto: Proto,
    /// Loopback source addresses to spread clients over (0 = kernel's choice).
    pub source_ips: u16,
}

impl Target {
    /// Resolves the URL's host once.
    pub async fn resolve(url: &str, proto: Proto, source_ips: u16) -> anyhow::Result<Self> {
        let request = url
            .into_client_request()
            .map_err(|e| anyhow::anyhow!("invalid --url {url:?}: {e}"))?;
        let uri = request.uri();
        let host = uri
            .host()
            .ok_or_else(|| anyhow::anyhow!("--url {url:?} has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(80);
        let addr = tokio::net::lookup_host((host, port))
            .await?
            .next()
            .ok_or_else(|| anyhow::anyhow!("{host} did not resolve"))?;
        Ok(Self {
            url: url.to_string(),
            addr,
            proto,
            source_ips,
        })
    }

    /// The source address of client `i`: 127.0.0.(1 + i % K) when the server is on IPv4 loopback, so that
    /// each source address has its own ~28k ephemeral ports.
    pub fn source(&self, i: usize) -> Option<SocketAddr> {
        let k = usize::from(self.source_ips);
        match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_loopback() && k > 0 => {
                let last = u8::try_from(1 + i % k).unwrap_or(1);
                Some(SocketAddr::from((Ipv4Addr::new(127, 0, 0, last), 0)))
            }
            _ => None,
        }
    }

    /// Connects client `i` and completes the WebSocket handshake.
    pub async fn connect(&self, i: usize) -> Result<Ws, &'static str> {
        let socket = match self.addr {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(|e| io_label(&e))?;
        if let Some(src) = self.source(i) {
            socket.bind(src).map_err(|e| io_label(&e))?;
        }
        let stream = socket.connect(self.addr).await.map_err(|e| io_label(&e))?;
        stream.set_nodelay(true).map_err(|e| io_label(&e))?;
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|_| "bad_url")?;
        if let Some(p) = self.proto.subprotocol() {
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(p));
        }
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(0)
            .max_write_buffer_size(1 << 20)
            .max_message_size(Some(MAX_MESSAGE))
            .max_frame_size(Some(MAX_MESSAGE));
        let (ws, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(config))
            .await
            .map_err(|e| ws_label(&e))?;
        Ok(ws)
    }
}

/// A short, bounded label for an I/O failure (summary map keys).
pub fn io_label(e: &io::Error) -> &'static str {
    use io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "refused",
        K::ConnectionReset => "reset",
        K::ConnectionAborted => "aborted",
        K::TimedOut => "timeout",
        K::AddrInUse => "addr_in_use",
        K::AddrNotAvailable => "addr_not_available",
        K::BrokenPipe => "broken_pipe",
        K::UnexpectedEof => "eof",
        _ if e.raw_os_error() == Some(24) => "too_many_open_files",
        _ => "io_other",
    }
}

/// A short label for a WebSocket failure.
pub fn ws_label(e: &WsError) -> &'static str {
    match e {
        WsError::Io(e) => io_label(e),
        WsError::ConnectionClosed | WsError::AlreadyClosed => "closed",
        WsError::Capacity(_) => "too_big",
        WsError::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake) => {
            "reset_without_close"
        }
        WsError::Protocol(_) => "protocol_error",
        WsError::Http(r) if r.status().as_u16() == 503 => "http_503",
        WsError::Http(r) if r.status().is_client_error() => "http_4xx",
        WsError::Http(_) => "http_other",
        _ => "ws_other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_source_addresses_on_loopback_only() {
        let mut t = Target {
            url: "ws://127.0.0.1:1/ws".into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 1)),
            proto: Proto::V0,
            source_ips: 50,
        };
        let ip = |t: &Target, i| t.source(i).map(|a| a.ip().to_string());
        assert_eq!(ip(&t, 0).as_deref(), Some("127.0.0.1"));
        assert_eq!(ip(&t, 49).as_deref(), Some("127.0.0.50"));
        assert_eq!(ip(&t, 50).as_deref(), Some("127.0.0.1"));
        t.source_ips = 254;
        assert_eq!(ip(&t, 253).as_deref(), Some("127.0.0.254"));
        t.source_ips = 0;
        assert_eq!(t.source(3), None);
        t.source_ips = 50;
        t.addr = SocketAddr::from(([10, 0, 0, 1], 1));
        assert_eq!(t.source(3), None);
    }
}
