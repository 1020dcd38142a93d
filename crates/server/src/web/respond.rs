//! The web client's responses: a file in the representation the request negotiates (or a 304), the
//! small pages for 404 / 405, and the page shown while the client is not built. Every one carries the
//! web client's security headers ([`super::headers::web_client`]); the router's global layer adds the
//! baseline ones (`nosniff`, `Referrer-Policy`, HSTS) to these as to every response.
//!
//! Decides headers and status only; which file a path maps to is [`super`]'s business.

use axum::body::Body;
use axum::http::header::{
    ACCEPT_ENCODING, ALLOW, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;

use super::assets::Asset;
use super::headers;
use super::negotiate::{choose, none_match};

/// Content-hashed files: cached for a year and never revalidated (a new build has new names).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else the client is made of: cached, but revalidated (cheaply, by ETag) on every use.
pub const NO_CACHE: &str = "no-cache";
/// Error pages: a missing file may exist after the next deploy, so nobody keeps the 404.
pub const NO_STORE: &str = "no-store";

/// The command that builds the client, as the not-built page and the startup warning say.
pub const BUILD_COMMAND: &str = "npm --prefix web ci && npm --prefix web run build";

/// What a response depends on in the request.
#[derive(Clone, Copy, Debug)]
pub struct Req<'a> {
    pub method: &'a Method,
    pub headers: &'a HeaderMap,
}

impl Req<'_> {
    fn head(&self) -> bool {
        self.method == Method::HEAD
    }
}

/// `asset` in the encoding the request accepts, with `cache_control`; a 304 when the request's
/// `If-None-Match` names any representation of it.
pub fn asset(req: Req<'_>, asset: &Asset, cache_control: &'static str) -> Response {
    let accept = req.headers.get(ACCEPT_ENCODING);
    let wanted = choose(accept, asset.br.is_some(), asset.gzip.is_some());
    let (variant, encoding) = asset.variant(wanted);
    let not_modified = req
        .headers
        .get(IF_NONE_MATCH)
        .is_some_and(|v| none_match(v, asset.etags()));
    let (status, body) = if not_modified {
        (StatusCode::NOT_MODIFIED, Bytes::new())
    } else {
        (StatusCode::OK, variant.bytes.clone())
    };
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(ETAG, variant.etag.clone());
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    if asset.has_variants() {
        h.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if !not_modified {
        h.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        if let Some(coding) = encoding.header() {
            h.insert(CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        h.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    headers::web_client(h);
    if !req.head() && !body.is_empty() {
        *response.body_mut() = Body::from(body);
    }
    response
}

/// A small text page: 404 and 405.
pub fn text(req: Req<'_>, status: StatusCode, message: &'static str) -> Response {
    let mut response = page(req, status, "text/plain; charset=utf-8", message, NO_STORE);
    if status == StatusCode::METHOD_NOT_ALLOWED {
        let h = response.headers_mut();
        h.insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    }
    response
}

/// The page served at `/` and client routes while the build directory has no `index.html`: 503, so
/// monitors and load balancers see that the client is missing. No inline style: the CSP forbids it.
pub fn not_built(req: Req<'_>) -> Response {
    page(
        req,
        StatusCode::SERVICE_UNAVAILABLE,
        "text/html; charset=utf-8",
        NOT_BUILT_HTML,
        NO_CACHE,
    )
}

const NOT_BUILT_HTML: &str = "<!doctype html>
<html lang=\"en\">
<head><meta charset=\"utf-8\"><title>Cosmic Gardener: web client not built</title></head>
<body>
<h1>The web client is not built</h1>
<p>This server serves the web client from its build directory (<code>web.dir</code>, default
<code>web/dist</code>), which has no <code>index.html</code>. Build it from the repository root:</p>
<pre>npm --prefix web ci &amp;&amp; npm --prefix web run build</pre>
<p>then restart the server (or point <code>--web-dir</code> / <code>COSMIC_WEB__DIR</code> at the build).
The API (<code>/api</code>), the WebSocket (<code>/ws</code>) and <code>/health</code> work without it.</p>
</body>
</html>
";

fn page(
    req: Req<'_>,
    status: StatusCode,
    content_type: &'static str,
    body: &'static str,
    cache_control: &'static str,
) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    h.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers::web_client(h);
    if !req.head() {
        *response.body_mut() = Body::from(body);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_not_built_page_names_the_build_command() {
        assert!(NOT_BUILT_HTML.contains(&BUILD_COMMAND.replace('&', "&amp;")));
        assert!(!NOT_BUILT_HTML.contains("style"));
        assert!(!NOT_BUILT_HTML.contains("<script"));
    }
}
