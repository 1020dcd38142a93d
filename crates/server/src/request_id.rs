//! Request ids and the request log: every HTTP request runs inside a span carrying its id — the incoming
//! `x-request-id` when it is sane, otherwise a new one — so every log line of the request (a 500's cause
//! included) carries it; the id is echoed in the response and handed on in the request's headers (the
//! WebSocket upgrade puts it on its connection's span). One line per finished request, at `info` on the
//! target `server::request_id` (silence with `RUST_LOG=info,server::request_id=warn`).

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The header that carries a request's id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// A client's id is kept when it is 1–64 characters of letters, digits and `-`; anything else could
/// inject into logs, so it is replaced.
fn sane(v: &str) -> bool {
    !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The id of this request (as the middleware set it).
pub fn of(req_headers: &axum::http::HeaderMap) -> Option<String> {
    req_headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Middleware: assigns the id, runs the request in its span, echoes the id, logs the outcome.
pub async fn middleware(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map_or_else(|| format!("{:016x}", rand::random::<u64>()), str::to_string);
    let value = HeaderValue::from_str(&id).ok();
    if let Some(v) = &value {
        req.headers_mut().insert(REQUEST_ID_HEADER, v.clone());
    }
    // The matched route, never the raw path (which may hold ids or tokens).
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().clone();
    let span = tracing::info_span!("http", request_id = %id, method = %method, route = %route);
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            ms = started.elapsed().as_secs_f64() * 1e3,
            "Request finished."
        );
    });
    if let Some(v) = value {
        response.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::sane;

    #[test]
    fn only_plain_ids_are_kept() {
        assert!(sane("abc-123"));
        assert!(!sane(""));
        assert!(!sane("a b"));
        assert!(!sane("x\ninjected"));
        assert!(!sane(&"a".repeat(65)));
    }
}
