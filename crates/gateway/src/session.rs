//! The seam between the gateway and an application: the application names its protocols and opens a
//! [`Session`] for each upgraded connection; the session gets the client's messages and answers through
//! its [`Link`], deciding after each whether the connection goes on.

use std::future::Future;

use tungstenite::Message;

use crate::close::CloseReason;
use crate::link::Link;
use crate::reader::Incoming;

/// One protocol an application speaks: the subprotocol a client asks for (`None`: a client that asks
/// for none) and the `protocol` label of the metrics and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Protocol {
    pub subprotocol: Option<&'static str>,
    pub label: &'static str,
}

/// Who a connection belongs to, as the server resolved it before the upgrade (the gateway never sees
/// credentials).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No credentials came with the upgrade.
    Anonymous,
    /// Valid credentials of this account.
    Account(u64),
    /// Credentials came and were refused (unknown, expired, forged).
    Rejected,
}

/// What a session is opened with.
#[derive(Debug)]
pub struct Handshake {
    /// The connection's id (its log lines' `conn`).
    pub conn: u64,
    /// The protocol chosen from the client's subprotocols.
    pub protocol: Protocol,
    pub principal: Principal,
    /// The credential the server resolved `principal` from (e.g. the upgrade's `?token=`), passed on
    /// untouched for an application that hands it back to its client.
    pub credential: Option<String>,
    /// The upgrade request's id.
    pub request_id: Option<String>,
}

/// After a message: go on, or close.
#[derive(Debug)]
pub enum Flow {
    Continue,
    Close(CloseReason),
}

/// An application on the gateway.
pub trait Application: Clone + Send + Sync + 'static {
    type Session: Session;

    /// The application's name: the `app` label of its WebSocket metrics and its connections' log field.
    fn name(&self) -> &'static str;

    /// The protocols it speaks, the preferred first.
    fn protocols(&self) -> &'static [Protocol];

    /// Opens the session of an upgraded connection. A refusal is answered on `link` (the error the
    /// client reads) and returned as the reason to close with.
    fn open(
        &self,
        handshake: Handshake,
        link: Link,
    ) -> impl Future<Output = Result<Self::Session, CloseReason>> + Send;

    /// The limits this application's connections run under, when they differ from the gateway's (a
    /// live-show controller sends 60 changes a second; a garden client far fewer).
    fn limits(&self) -> Option<std::sync::Arc<crate::WsOptions>> {
        None
    }

    /// The last message before the server's close frame, in `protocol`'s words (e.g. "closing: come
    /// back in 2 s" on shutdown). Not sent when the client closed first.
    fn farewell(&self, protocol: Protocol, reason: &CloseReason) -> Option<Message> {
        let _ = (protocol, reason);
        None
    }
}

/// One connection's application side.
pub trait Session: Send + 'static {
    /// While this is true the next read times out after `hello_timeout` (the session waits for the
    /// client's hello).
    fn awaiting_hello(&self) -> bool {
        false
    }

    /// One client message.
    fn on_message(&mut self, msg: Incoming) -> impl Future<Output = Flow> + Send;

    /// The connection is closing for `reason`: leave whatever the session joined.
    fn on_close(self, reason: &CloseReason) -> impl Future<Output = ()> + Send;
}
