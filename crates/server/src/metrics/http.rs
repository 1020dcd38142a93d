//! The HTTP middleware: one request counter and one latency histogram per method, matched route and
//! status. Routes are axum's route templates (`/api/worlds/{id}`), never the request's path: a request no
//! route matched (including `/api`'s JSON 404 fallback) is `route="unmatched"`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{SharedString, counter, histogram};

use super::names::{HTTP_REQUEST_DURATION_SECONDS, HTTP_REQUESTS_TOTAL, UNMATCHED};

/// Records the request once its response head is ready.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = route_label(req.extensions().get::<MatchedPath>());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    counter!(HTTP_REQUESTS_TOTAL, "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    histogram!(HTTP_REQUEST_DURATION_SECONDS, "method" => method, "route" => route)
        .record(started.elapsed());
    response
}

/// Methods by name; anything else (a client can send any token) is `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The matched route template; axum's internal catch-alls (a nested router's fallback) are unmatched.
fn route_label(matched: Option<&MatchedPath>) -> SharedString {
    match matched.map(MatchedPath::as_str) {
        Some(path) if !path.contains("__private__") => path.to_owned().into(),
        _ => SharedString::const_str(UNMATCHED),
    }
}
