//! Response headers that are policy rather than content: the security headers (the strict
//! [`CONTENT_SECURITY_POLICY`] on the web client's responses, `nosniff`, `Referrer-Policy` and HSTS on
//! every response) and the `Cache-Control` of the routes that must never be cached (`/api`, `/health*`,
//! `/metrics`).
//!
//! Every function here only adds headers a handler did not set itself; none reads a body.

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY as CSP, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The web client's Content-Security-Policy: everything from this origin only, no inline script or
/// style, no plugins, no `<base>`, forms only to this origin, no framing. `img-src` also allows `data:`
/// and `blob:` URLs (canvas snapshots, generated textures); `connect-src 'self'` covers the same-origin
/// WebSocket (`ws:`/`wss:` to this host) in current browsers. Only web-client responses carry it: Swagger
/// UI needs inline scripts.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// HSTS for two years, subdomains included; only sent when the request came over TLS.
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

/// What every response gets unless its handler set something else.
pub const REFERRER: &str = "strict-origin-when-cross-origin";

/// `Cache-Control` of `/api` responses that did not set one: per-user data, never stored anywhere.
pub const API_CACHE_CONTROL: &str = "private, no-store";

const COOP: HeaderName = HeaderName::from_static("cross-origin-opener-policy");

/// Whether the request reached us over TLS: the proxy in front says `X-Forwarded-Proto: https`, or the
/// configuration says every request does (`web.hsts`). A client can forge the header on plain HTTP, but
/// browsers ignore HSTS received over plain HTTP, so that gains it nothing.
pub fn over_tls(request: &HeaderMap, hsts: bool) -> bool {
    hsts || request
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

fn set_default(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// The headers every response gets: `nosniff`, the referrer policy, and HSTS over TLS.
pub fn baseline(headers: &mut HeaderMap, tls: bool) {
    set_default(headers, X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(headers, REFERRER_POLICY, REFERRER);
    if tls {
        set_default(headers, STRICT_TRANSPORT_SECURITY, HSTS);
    }
}

/// The headers of every web-client response on top of the [`baseline`] that [`global`] adds to every
/// response: CSP, COOP and no framing.
pub fn web_client(headers: &mut HeaderMap) {
    headers.insert(CSP, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(COOP, HeaderValue::from_static("same-origin"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// Middleware for the whole router: [`baseline`] on every response. Its state is `web.hsts`.
pub async fn global(State(hsts): State<bool>, req: Request, next: Next) -> Response {
    let tls = over_tls(req.headers(), hsts);
    let mut response = next.run(req).await;
    baseline(response.headers_mut(), tls);
    response
}

/// For `map_response` on `/api`: [`API_CACHE_CONTROL`] unless the handler chose its own caching.
pub async fn private_no_store(mut response: Response) -> Response {
    set_default(response.headers_mut(), CACHE_CONTROL, API_CACHE_CONTROL);
    response
}

/// For `map_response` on `/health*` and `/metrics`: `no-store` unless the handler set its own.
pub async fn no_store(mut response: Response) -> Response {
    set_default(response.headers_mut(), CACHE_CONTROL, "no-store");
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_is_read_from_the_proxy_header_or_the_configuration() {
        let mut h = HeaderMap::new();
        assert!(!over_tls(&h, false));
        assert!(over_tls(&h, true));
        h.insert("x-forwarded-proto", HeaderValue::from_static("HTTPS, http"));
        assert!(over_tls(&h, false));
        h.insert("x-forwarded-proto", HeaderValue::from_static("http"));
        assert!(!over_tls(&h, false));
    }

    #[test]
    fn handler_headers_are_kept() {
        let mut h = HeaderMap::new();
        h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        web_client(&mut h);
        baseline(&mut h, false);
        assert_eq!(h[REFERRER_POLICY], "no-referrer");
        assert_eq!(h[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(!h.contains_key(STRICT_TRANSPORT_SECURITY));
        assert_eq!(h[CSP], CONTENT_SECURITY_POLICY);
        assert!(!CONTENT_SECURITY_POLICY.contains("  "));
    }
}
