//! The gateway's metrics: names (declared here, listed with their help texts by the server's metric
//! table) and pre-registered handles per application, so the hot paths (every message) are an atomic
//! add. Labels: `app` (the application's name), `protocol`, `cause` ([`CloseCause::as_str`]),
//! `direction` — never ids.

use std::sync::Mutex;

use metrics::{Counter, Gauge, counter, gauge};

use crate::close::CloseCause;

pub const WS_CONNECTIONS: &str = "cosmic_ws_connections";
pub const WS_CONNECTIONS_ACCEPTED_TOTAL: &str = "cosmic_ws_connections_accepted_total";
pub const WS_CONNECTIONS_CLOSED_TOTAL: &str = "cosmic_ws_connections_closed_total";
pub const WS_MESSAGES_TOTAL: &str = "cosmic_ws_messages_total";
pub const WS_BYTES_TOTAL: &str = "cosmic_ws_bytes_total";

/// One application's handles.
#[derive(Debug)]
pub struct AppMetrics {
    app: &'static str,
    connections: Gauge,
    /// By protocol label.
    accepted: Vec<(&'static str, Counter)>,
    closed: [Counter; CloseCause::ALL.len()],
    /// Index 0: in, 1: out.
    messages: [Counter; 2],
    bytes: [Counter; 2],
}

static APPS: Mutex<Vec<&'static AppMetrics>> = Mutex::new(Vec::new());

/// The handles of `app` speaking `protocols` (their labels), registered with the installed recorder on first use
/// (install the recorder first: handles taken before it record nothing). Every protocol's and close
/// cause's series then exists at 0.
pub fn for_app(
    app: &'static str,
    protocols: impl IntoIterator<Item = &'static str>,
) -> &'static AppMetrics {
    let mut apps = APPS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(m) = apps.iter().find(|m| m.app == app) {
        return m;
    }
    let dir = ["in", "out"];
    let m: &'static AppMetrics = Box::leak(Box::new(AppMetrics {
        app,
        connections: gauge!(WS_CONNECTIONS, "app" => app),
        accepted: protocols
            .into_iter()
            .map(|p| {
                let c = counter!(WS_CONNECTIONS_ACCEPTED_TOTAL, "app" => app, "protocol" => p);
                (p, c)
            })
            .collect(),
        closed: CloseCause::ALL
            .map(|c| counter!(WS_CONNECTIONS_CLOSED_TOTAL, "app" => app, "cause" => c.as_str())),
        messages: dir.map(|d| counter!(WS_MESSAGES_TOTAL, "app" => app, "direction" => d)),
        bytes: dir.map(|d| counter!(WS_BYTES_TOTAL, "app" => app, "direction" => d)),
    }));
    apps.push(m);
    m
}

impl AppMetrics {
    /// A connection speaking `protocol` was accepted and is now open.
    pub(crate) fn opened(&self, protocol: &'static str) {
        self.connections.increment(1.0);
        match self.accepted.iter().find(|(p, _)| *p == protocol) {
            Some((_, c)) => c.increment(1),
            None => {
                counter!(WS_CONNECTIONS_ACCEPTED_TOTAL, "app" => self.app, "protocol" => protocol)
                    .increment(1)
            }
        }
    }

    pub(crate) fn closed(&self, cause: CloseCause) {
        self.connections.decrement(1.0);
        if let Some(i) = CloseCause::ALL.iter().position(|&c| c == cause) {
            self.closed[i].increment(1);
        }
    }

    /// A data message of `bytes` was read from a client.
    pub(crate) fn message_in(&self, bytes: usize) {
        self.messages[0].increment(1);
        self.bytes[0].increment(bytes as u64);
    }

    /// A data message of `bytes` was written to a client.
    pub(crate) fn message_out(&self, bytes: usize) {
        self.messages[1].increment(1);
        self.bytes[1].increment(bytes as u64);
    }
}
