#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The web client's delivery against the real server, on a small fixture build written into a temporary
//! directory: caching per path, ETags and 304s, precompressed variants chosen by `Accept-Encoding`, HEAD,
//! the security headers, the SPA fallback, the placeholder page when the client is not built, and the
//! server's own routes (`/api`, `/health`) kept out of all of it.
//!
//! reqwest is built without its gzip/brotli features here, so responses arrive exactly as sent.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use common::*;
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, HeaderMap, VARY,
};
use server::web::headers::CONTENT_SECURITY_POLICY;

const INDEX: &str = "<!doctype html><html><head><title>Cosmic Gardener</title>\
<script type=\"module\" src=\"/assets/app-0123abcd.js\"></script></head><body></body></html>\n";
const LIVE: &str =
    "<!doctype html><html><head><title>VJ controller</title></head><body></body></html>\n";
const SHOW: &str =
    "<!doctype html><html><head><title>VJ display</title></head><body></body></html>\n";
const SW: &str = "self.addEventListener('fetch', () => {});\n";
const JS_PATH: &str = "/assets/app-0123abcd.js";
/// Not real brotli (no brotli crate in the tree): the server passes `.br` files through untouched.
const BR: &[u8] = b"\x8b\x03\x80not-really-brotli: passed through as built\x03";

fn app_js() -> Vec<u8> {
    "export const greet = () => console.log('hello, gardener');\n"
        .repeat(64)
        .into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A build as Vite lays it out: `index.html`, `sw.js`, a hashed script with `.br` and `.gz` siblings.
fn write_dist(root: &Path) {
    std::fs::create_dir_all(root.join("assets")).unwrap();
    std::fs::write(root.join("index.html"), INDEX).unwrap();
    std::fs::write(root.join("sw.js"), SW).unwrap();
    std::fs::write(root.join("live.html"), LIVE).unwrap();
    std::fs::write(root.join("show.html"), SHOW).unwrap();
    std::fs::write(root.join("robots.txt"), "User-agent: *\n").unwrap();
    let js = app_js();
    std::fs::write(root.join("assets/app-0123abcd.js"), &js).unwrap();
    std::fs::write(root.join("assets/app-0123abcd.js.gz"), gzip(&js)).unwrap();
    std::fs::write(root.join("assets/app-0123abcd.js.br"), BR).unwrap();
}

/// A running server with the fixture build (the directory lives as long as the site).
struct Site {
    app: TestApp,
    _dist: tempfile::TempDir,
    client: reqwest::Client,
}

async fn site_with(tweak: impl FnOnce(&mut server::Config)) -> Site {
    let dist = tempfile::tempdir().unwrap();
    write_dist(dist.path());
    let dir = dist.path().to_path_buf();
    let app = spawn_app(|c| {
        c.web.dir = dir;
        tweak(c);
    })
    .await;
    Site {
        app,
        _dist: dist,
        client: reqwest::Client::new(),
    }
}

async fn site() -> Site {
    site_with(|_| {}).await
}

impl Site {
    async fn send(&self, method: reqwest::Method, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = self.client.request(method, self.app.http(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await.unwrap();
        let (status, headers) = (r.status(), r.headers().clone());
        Reply {
            status,
            headers,
            body: r.bytes().await.unwrap().to_vec(),
        }
    }

    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send(reqwest::Method::GET, path, headers).await
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: impl reqwest::header::AsHeaderName) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or(""))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The content length the response declares matches its body.
    fn assert_length(&self) {
        assert_eq!(self.header(CONTENT_LENGTH), self.body.len().to_string());
    }

    fn assert_web_security(&self) {
        assert_eq!(
            self.header("content-security-policy"),
            CONTENT_SECURITY_POLICY
        );
        assert_eq!(self.header("x-content-type-options"), "nosniff");
        assert_eq!(
            self.header("referrer-policy"),
            "strict-origin-when-cross-origin"
        );
        assert_eq!(self.header("cross-origin-opener-policy"), "same-origin");
        assert_eq!(self.header("x-frame-options"), "DENY");
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_everything_else_is_revalidated() {
    let s = site().await;
    let js = s.get(JS_PATH, &[]).await;
    assert_eq!(js.status, StatusCode::OK);
    assert_eq!(
        js.header(CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(js.header(CONTENT_TYPE), "text/javascript; charset=utf-8");
    assert_eq!(js.body, app_js());
    js.assert_length();
    for (path, body, kind) in [
        ("/", INDEX, "text/html; charset=utf-8"),
        ("/index.html", INDEX, "text/html; charset=utf-8"),
        ("/sw.js", SW, "text/javascript; charset=utf-8"),
        (
            "/robots.txt",
            "User-agent: *\n",
            "text/plain; charset=utf-8",
        ),
    ] {
        let r = s.get(path, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.header(CACHE_CONTROL), "no-cache", "{path}");
        assert_eq!(r.header(CONTENT_TYPE), kind, "{path}");
        assert_eq!(r.text(), body, "{path}");
        assert!(r.header(ETAG).starts_with('"'), "{path}");
        r.assert_length();
    }
    // Siblings are variants, not files of their own.
    assert_eq!(
        s.get("/assets/app-0123abcd.js.gz", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    s.app.stop().await;
}

#[tokio::test]
async fn api_health_and_metrics_are_never_stored_and_unknown_api_paths_stay_json() {
    let s = site().await;
    let r = s.get("/api/leaderboard", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header(CACHE_CONTROL), "private, no-store");
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    assert_eq!(
        r.header("referrer-policy"),
        "strict-origin-when-cross-origin"
    );
    assert!(r.headers.get("content-security-policy").is_none());

    for path in ["/api/does-not-exist", "/api/nope/deeper.js", "/api"] {
        let r = s.get(path, &[("accept", "text/html")]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            r.header(CONTENT_TYPE).starts_with("application/json"),
            "{path}: {}",
            r.header(CONTENT_TYPE)
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
        assert!(!r.text().contains("<html"), "{path}");
        assert_eq!(r.header(CACHE_CONTROL), "private, no-store", "{path}");
    }

    let health = s.get("/health", &[]).await;
    assert_eq!(health.status, StatusCode::OK);
    let body: serde_json::Value = serde_json::from_slice(&health.body).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(health.header(CACHE_CONTROL), "no-store");
    assert_eq!(
        s.get("/health/live", &[]).await.header(CACHE_CONTROL),
        "no-store"
    );
    assert_eq!(
        s.get("/metrics", &[]).await.header(CACHE_CONTROL),
        "no-store"
    );
    // Under a reserved prefix, an unknown path is a 404, never the client.
    let r = s.get("/health/nope", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.text().contains("<html"));
    s.app.stop().await;
}

#[tokio::test]
async fn etags_answer_304_for_any_variant_and_200_otherwise() {
    let s = site().await;
    let first = s.get(JS_PATH, &[]).await;
    let tag = first.header(ETAG).to_string();
    assert!(tag.len() > 2 && tag.starts_with('"') && tag.ends_with('"'));
    let br_tag = s
        .get(JS_PATH, &[("accept-encoding", "br")])
        .await
        .header(ETAG)
        .to_string();
    assert_ne!(tag, br_tag);

    for if_none_match in [
        tag.clone(),
        format!("W/{tag}"),
        format!("\"other\", {br_tag}"),
        "*".to_string(),
    ] {
        let r = s.get(JS_PATH, &[("if-none-match", &if_none_match)]).await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{if_none_match}");
        assert!(r.body.is_empty());
        assert_eq!(r.header(ETAG), tag);
        assert_eq!(
            r.header(CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(r.header(VARY), "Accept-Encoding");
    }
    // A 304 names the representation the request would get.
    let r = s
        .get(
            JS_PATH,
            &[("if-none-match", &tag), ("accept-encoding", "gzip")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.header(ETAG).ends_with("-gz\""));

    let r = s.get(JS_PATH, &[("if-none-match", "\"0000\"")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, app_js());

    let index = s.get("/", &[]).await;
    let r = s
        .get("/play", &[("if-none-match", index.header(ETAG))])
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert_eq!(r.header(CACHE_CONTROL), "no-cache");
    s.app.stop().await;
}

#[tokio::test]
async fn accept_encoding_chooses_br_then_gzip_then_identity() {
    let s = site().await;
    let js = app_js();
    let br = s
        .get(JS_PATH, &[("accept-encoding", "gzip, deflate, br, zstd")])
        .await;
    assert_eq!(br.header(CONTENT_ENCODING), "br");
    assert_eq!(br.body, BR);
    assert!(br.header(ETAG).ends_with("-br\""));

    let gz = s.get(JS_PATH, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.header(CONTENT_ENCODING), "gzip");
    assert_eq!(gunzip(&gz.body), js);
    assert!(gz.body.len() < js.len());

    let q = s
        .get(JS_PATH, &[("accept-encoding", "br;q=0, gzip;q=0.5")])
        .await;
    assert_eq!(q.header(CONTENT_ENCODING), "gzip");

    for accept in [None, Some("identity"), Some("br;q=0"), Some("deflate")] {
        let headers: Vec<(&str, &str)> =
            accept.map(|a| ("accept-encoding", a)).into_iter().collect();
        let r = s.get(JS_PATH, &headers).await;
        assert!(r.headers.get(CONTENT_ENCODING).is_none(), "{accept:?}");
        assert_eq!(r.body, js, "{accept:?}");
        assert_eq!(r.header(VARY), "Accept-Encoding", "{accept:?}");
        r.assert_length();
    }
    for r in [&br, &gz, &q] {
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header(VARY), "Accept-Encoding");
        assert_eq!(r.header(CONTENT_TYPE), "text/javascript; charset=utf-8");
        r.assert_length();
    }
    // A file without variants does not vary.
    let sw = s.get("/sw.js", &[("accept-encoding", "br, gzip")]).await;
    assert!(sw.headers.get(VARY).is_none());
    assert!(sw.headers.get(CONTENT_ENCODING).is_none());
    s.app.stop().await;
}

#[tokio::test]
async fn head_sends_the_headers_without_a_body() {
    let s = site().await;
    for (path, accept, len) in [
        (JS_PATH, "identity", app_js().len()),
        (JS_PATH, "br", BR.len()),
        ("/", "br", INDEX.len()),
        ("/play", "", INDEX.len()),
    ] {
        let r = s
            .send(reqwest::Method::HEAD, path, &[("accept-encoding", accept)])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.body.is_empty(), "{path}");
        assert_eq!(r.header(CONTENT_LENGTH), len.to_string(), "{path} {accept}");
        assert!(r.header(ETAG).starts_with('"'), "{path}");
        r.assert_web_security();
    }
    s.app.stop().await;
}

#[tokio::test]
async fn security_headers_on_the_client_and_hsts_only_over_tls() {
    let s = site().await;
    for path in ["/", JS_PATH, "/play", "/assets/missing-123.js"] {
        let r = s.get(path, &[]).await;
        r.assert_web_security();
        assert!(
            r.headers.get("strict-transport-security").is_none(),
            "{path}"
        );
        let tls = s.get(path, &[("x-forwarded-proto", "https")]).await;
        assert_eq!(
            tls.header("strict-transport-security"),
            "max-age=63072000; includeSubDomains",
            "{path}"
        );
    }
    let api = s
        .get("/api/leaderboard", &[("x-forwarded-proto", "https")])
        .await;
    assert_eq!(
        api.header("strict-transport-security"),
        "max-age=63072000; includeSubDomains"
    );
    s.app.stop().await;

    let s = site_with(|c| c.web.hsts = true).await;
    let r = s.get("/", &[]).await;
    assert_eq!(
        r.header("strict-transport-security"),
        "max-age=63072000; includeSubDomains"
    );
    s.app.stop().await;
}

#[tokio::test]
async fn client_routes_fall_back_to_index_and_missing_files_are_404() {
    let s = site().await;
    for route in ["/play", "/leaderboard", "/worlds/42/", "/play?world=3"] {
        let r = s.get(route, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{route}");
        assert_eq!(r.text(), INDEX, "{route}");
        assert_eq!(r.header(CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(r.header(CACHE_CONTROL), "no-cache", "{route}");
    }
    for missing in [
        "/assets/missing-123.js",
        "/favicon-missing.png",
        "/assets/x",
    ] {
        let r = s.get(missing, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(r.header(CONTENT_TYPE), "text/plain; charset=utf-8");
        assert_eq!(r.text(), "Not found\n");
        assert_eq!(r.header(CACHE_CONTROL), "no-store");
        r.assert_web_security();
    }
    let post = s.send(reqwest::Method::POST, "/play", &[]).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.header("allow"), "GET, HEAD");
    s.app.stop().await;
}

#[tokio::test]
async fn the_vj_pages_are_served_at_live_and_show_and_live_still_upgrades() {
    let s = site().await;
    for (route, page) in [
        ("/live", LIVE),
        ("/live?room=ABC234", LIVE),
        ("/show/ABC234", SHOW),
        ("/show/abc-234?role=viewer", SHOW),
    ] {
        let r = s.get(route, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{route}");
        assert_eq!(r.text(), page, "{route}");
        assert_eq!(r.header(CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(r.header(CACHE_CONTROL), "no-cache", "{route}");
        r.assert_web_security();
    }
    assert_eq!(s.get("/live/x", &[]).await.status, StatusCode::NOT_FOUND);
    // A WebSocket handshake that goes wrong is still told so in JSON, never given the page.
    let bad = s
        .get(
            "/live",
            &[
                ("connection", "upgrade"),
                ("upgrade", "websocket"),
                ("sec-websocket-version", "8"),
                ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.text().contains("bad_websocket_version"),
        "{}",
        bad.text()
    );
    let post = s.send(reqwest::Method::POST, "/live", &[]).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    s.app.stop().await;
}

#[tokio::test]
async fn a_missing_build_serves_a_503_page_saying_how_to_build_it() {
    let nowhere = tempfile::tempdir().unwrap();
    let dir = nowhere.path().join("dist");
    let app = spawn_app(|c| c.web.dir = dir).await;
    assert!(!app.state.web.client.is_built());
    let s = Site {
        app,
        _dist: nowhere,
        client: reqwest::Client::new(),
    };
    for route in ["/", "/play"] {
        let r = s.get(route, &[]).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{route}");
        assert_eq!(r.header(CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(r.header(CACHE_CONTROL), "no-cache");
        let text = r.text();
        assert!(text.contains("not built"), "{text}");
        assert!(
            text.contains("npm --prefix web ci &amp;&amp; npm --prefix web run build"),
            "{text}"
        );
        r.assert_web_security();
        r.assert_length();
    }
    assert_eq!(
        s.get("/assets/app-0123abcd.js", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(s.get("/health", &[]).await.status, StatusCode::OK);
    let api = s.get("/api/does-not-exist", &[]).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.header(CONTENT_TYPE).starts_with("application/json"));
    s.app.stop().await;
}
