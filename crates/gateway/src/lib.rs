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
//! | [`upgrade`] | the handshake: the request checked, the subprotocol chosen, the raw socket taken |
//! | [`wire`] | server frames built once, header included, written as they are by every connection |
//! | `port` | the fast path: one fan-out task per feed writes each frame to every up-to-date follower |
//! | `reader`, `writer`, `conn`, `rate` | one reader and one writer per connection, the rate limit |
//!
//! An application owns its actors and its message types; the gateway owns sockets, queues, timeouts,
//! rate limits and metrics. It never sees credentials: the server resolves them into a [`Principal`].

pub mod admit;
pub mod close;
mod conn;
pub mod feed;
pub mod link;
pub mod metrics;
pub mod options;
mod port;
mod rate;
mod reader;
pub mod registry;
pub mod serve;
pub mod session;
mod socket;
pub mod upgrade;
pub mod wire;
mod writer;

use std::sync::Arc;

use axum::response::Response;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use tracing::debug;

pub use close::{CloseCause, CloseReason};
pub use feed::{Cursor, Feed, FeedFrame, FrameSender};
pub use link::{Link, Outbound};
pub use options::WsOptions;
pub use reader::Incoming;
pub use registry::Registry;
pub use serve::{HttpOptions, serve};
pub use session::{Application, Flow, Handshake, Principal, Protocol, Session};
pub use tungstenite::{Message, Utf8Bytes};
pub use upgrade::{UpgradeRejection, WsUpgrade};
pub use wire::Wire;

/// The gateway's handle: options, the connection registry, and the server's shutdown signal. Cheap to
/// clone; one serves every application.
#[derive(Clone, Debug)]
pub struct Gateway {
    options: Arc<WsOptions>,
    registry: Registry,
    shutdown: watch::Receiver<bool>,
    fanouts: port::Fanouts,
}

impl Gateway {
    /// `shutdown` turns true when the server begins shutting down: every connection then closes with
    /// 1001 and a reconnect hint.
    pub fn new(options: WsOptions, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            options: Arc::new(options),
            registry: Registry::default(),
            shutdown,
            fanouts: port::Fanouts::default(),
        }
    }

    pub fn options(&self) -> &WsOptions {
        &self.options
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Upgrades a request for `app`: chooses the first of its subprotocols the client asked for (or
    /// its protocol without one, if it has one), answers 101 and runs the connection. A client asking
    /// for none of the app's subprotocols, when every protocol needs one, is closed with 1002.
    pub fn upgrade<A: Application>(
        &self,
        mut ws: WsUpgrade,
        app: A,
        principal: Principal,
        credential: Option<String>,
        request_id: Option<String>,
    ) -> Response {
        let offered = ws.offered();
        let protocol = app
            .protocols()
            .iter()
            .find(|p| {
                p.subprotocol
                    .is_some_and(|s| offered.iter().any(|o| o == s))
            })
            .or_else(|| app.protocols().iter().find(|p| p.subprotocol.is_none()))
            .copied();
        let slot = ws.slot.take();
        let (response, on_upgrade) = ws.accept(protocol.and_then(|p| p.subprotocol));
        let gateway = self.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let socket = match on_upgrade.await {
                Ok(upgraded) => socket::split(upgraded),
                Err(e) => {
                    debug!(error = %e, "WebSocket upgrade failed.");
                    return;
                }
            };
            match protocol {
                Some(protocol) => {
                    let caller = (principal, credential, request_id);
                    conn::run(socket, gateway, app, protocol, caller).await;
                }
                None => {
                    let (_, mut write) = socket;
                    let close =
                        Wire::close(close::code::PROTOCOL_ERROR, "a subprotocol is required");
                    let _ = write.write_all(close.bytes()).await;
                }
            }
        });
        response
    }
}
