//! A deadline on every request: a request whose body arrives a byte at a time, or a handler stuck on
//! something, gets a 408 JSON error instead of holding its connection for ever. The deadline covers the
//! request until its response head (a WebSocket upgrade answers at once and is not limited).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

pub async fn middleware(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = crate::api::error::error_response(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                &format!(
                    "the request took longer than {} s (its body too slow?)",
                    limit.as_secs()
                ),
            );
            // The rest of the body is never read: the connection cannot be reused.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}
