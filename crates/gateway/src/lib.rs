//! The real-time fabric: everything a WebSocket application needs and nothing of any application.
//!
//! | module | owns |
//! |---|---|
//! | [`session`] | the seam: [`Application`] (name, protocols, opening a session) and [`Session`] (messages in, flow out) |
//! | [`link`] | a connection's bounded outbound queue and its close switch ([`Link`]) |
//! | [`feed`] | newest-only feeds of frames an application encodes once and every follower shares |
//! | [`close`] | close causes as one enum (metric label, log field) and close codes |
//! | [`options`] | every limit of a connection, with its default |
//! | [`registry`] | the open connections of every application |
//! | [`metrics`] | WebSocket metrics labelled by application |
//! | `reader`, `writer`, `conn`, `rate` | one reader and one writer per connection, the rate limit |
//!
//! An application owns its actors and its message types; the gateway owns sockets, queues, timeouts,
//! rate limits and metrics. It never sees credentials: the server resolves them into a [`Principal`].

pub mod close;
mod conn;
pub mod feed;
pub mod link;
pub mod metrics;
pub mod options;
mod rate;
mod reader;
pub mod registry;
pub mod session;
mod writer;

use std::sync::Arc;

use axum::extract::WebSocketUpgrade;
use axum::response::Response;
use tokio::sync::watch;

pub use close::{CloseCause, CloseReason};
pub use feed::{Cursor, Feed, FeedFrame, FrameSender};
pub use link::{Link, Outbound};
pub use options::WsOptions;
pub use reader::Incoming;
pub use registry::Registry;
pub use session::{Application, Flow, Handshake, Principal, Protocol, Session};

/// The gateway's handle: options, the connection registry, and the server's shutdown signal. Cheap to
/// clone; one serves every application.
#[derive(Clone, Debug)]
pub struct Gateway {
    options: Arc<WsOptions>,
    registry: Registry,
    shutdown: watch::Receiver<bool>,
}

impl Gateway {
    /// `shutdown` turns true when the server begins shutting down: every connection then closes with
    /// 1001 and a reconnect hint.
    pub fn new(options: WsOptions, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            options: Arc::new(options),
            registry: Registry::default(),
            shutdown,
        }
    }

    pub fn options(&self) -> &WsOptions {
        &self.options
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Upgrades a request for `app`: offers its subprotocols, applies the socket limits, and runs the
    /// connection. A client asking for none of the app's subprotocols gets its protocol without one,
    /// if it has one; otherwise it is closed with 1002.
    pub fn upgrade<A: Application>(
        &self,
        ws: WebSocketUpgrade,
        app: A,
        principal: Principal,
        request_id: Option<String>,
    ) -> Response {
        let o = &self.options;
        let offered = app.protocols().iter().filter_map(|p| p.subprotocol);
        let gateway = self.clone();
        ws.protocols(offered)
            .read_buffer_size(o.read_buffer)
            .write_buffer_size(o.write_buffer)
            .max_message_size(o.hard_max_message_size())
            .max_frame_size(o.hard_max_message_size())
            .on_upgrade(move |mut socket| async move {
                let chosen = socket.protocol().and_then(|p| p.to_str().ok());
                let protocol = app
                    .protocols()
                    .iter()
                    .find(|p| p.subprotocol.is_some() && p.subprotocol == chosen)
                    .or_else(|| app.protocols().iter().find(|p| p.subprotocol.is_none()))
                    .copied();
                match protocol {
                    Some(protocol) => {
                        conn::run(socket, gateway, app, protocol, principal, request_id).await;
                    }
                    None => {
                        let frame = axum::extract::ws::CloseFrame {
                            code: close::code::PROTOCOL_ERROR,
                            reason: "a subprotocol is required".into(),
                        };
                        let _ = socket
                            .send(axum::extract::ws::Message::Close(Some(frame)))
                            .await;
                    }
                }
            })
    }
}
