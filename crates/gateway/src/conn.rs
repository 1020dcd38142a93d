//! One connection's lifetime: split the socket, start the writer, open the application's session and
//! feed it the client's messages, then close with the reason (completing the close handshake).

use std::sync::Arc;

use tokio::sync::mpsc;
use tracing::{Instrument, debug, info_span};

use crate::Gateway;
use crate::close::{CloseCause, CloseReason, code};
use crate::link::{Closer, Link};
use crate::port::Port;
use crate::reader::Reader;
use crate::registry::ConnInfo;
use crate::session::{Application, Flow, Handshake, Principal, Protocol, Session};
use crate::socket::{ReadIo, WriteIo};
use crate::writer::Writer;

/// Runs a connection until it closes.
pub(crate) async fn run<A: Application>(
    (read, write): (ReadIo, WriteIo),
    gateway: Gateway,
    app: A,
    protocol: Protocol,
    (principal, credential, request_id): (Principal, Option<String>, Option<String>),
) {
    let id = gateway.registry.open(ConnInfo {
        app: app.name(),
        protocol: protocol.label,
        principal: match principal {
            Principal::Account(id) => Some(id),
            _ => None,
        },
    });
    let span = info_span!(
        "ws",
        app = app.name(),
        conn = id,
        proto = protocol.label,
        request_id = request_id.as_deref().unwrap_or("")
    );
    async move {
        let metrics = crate::metrics::for_app(app.name(), app.protocols().iter().map(|p| p.label));
        metrics.opened(protocol.label);
        let options = app.limits().unwrap_or_else(|| gateway.options.clone());
        let (out, rx) = mpsc::channel(options.outbound_queue);
        let closer = Arc::new(Closer::default());
        let link = Link::new(out.clone(), closer.clone(), id, gateway.registry.clone());
        let writer = Writer {
            port: Arc::new(Port::new(write, closer.clone(), metrics)),
            rx,
            closer: closer.clone(),
            shutdown: gateway.shutdown.clone(),
            options: options.clone(),
            fanouts: gateway.fanouts.clone(),
            farewell: {
                let app = app.clone();
                Box::new(move |reason| app.farewell(protocol, reason))
            },
        };
        let writer = tokio::spawn(writer.run().in_current_span());
        let mut reader = Reader::new(read, out, options.clone(), metrics).await;
        let handshake = Handshake {
            conn: id,
            protocol,
            principal,
            credential,
            request_id,
        };
        // The application's futures are boxed: each lives only while it runs, so an idle connection's
        // task holds none of their state (they are large: a hello touches the store and the world).
        let reason = match Box::pin(app.open(handshake, link)).await {
            Err(reason) => reason,
            Ok(mut session) => {
                let reason = loop {
                    let next = if session.awaiting_hello() {
                        tokio::time::timeout(options.hello_timeout, reader.next(&closer))
                            .await
                            .unwrap_or_else(|_| {
                                Err(CloseReason::new(
                                    code::POLICY,
                                    "hello expected",
                                    CloseCause::HelloTimeout,
                                ))
                            })
                    } else {
                        reader.next(&closer).await
                    };
                    match next {
                        Err(reason) => break reason,
                        Ok(msg) => {
                            if let Flow::Close(reason) = Box::pin(session.on_message(msg)).await {
                                break reason;
                            }
                        }
                    }
                };
                Box::pin(session.on_close(&reason)).await;
                reason
            }
        };
        closer.close(reason);
        // The first reason given wins (the writer's, say, if it closed first).
        let reason = closer
            .reason()
            .unwrap_or_else(|| CloseReason::new(code::NORMAL, "closing", CloseCause::Server));
        let _ = writer.await;
        if reason.cause.drains_input() {
            reader.drain().await;
        }
        gateway.registry.remove(id);
        metrics.closed(reason.cause);
        debug!(
            code = reason.code,
            cause = reason.cause.as_str(),
            "Connection closed."
        );
    }
    .instrument(span)
    .await;
}
