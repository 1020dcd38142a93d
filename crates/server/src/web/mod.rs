//! Serving the built web client (Vite's output, `web.dir`, default `web/dist`) from memory, as a CDN
//! would: every file read once at startup ([`assets`]), precompressed `.br` / `.gz` variants negotiated
//! by `Accept-Encoding` ([`negotiate`]), strong ETags and 304s, immutable caching for content-hashed
//! `/assets/*` and `no-cache` for everything else, the SPA fallback to `index.html` for client routes,
//! and the security headers ([`headers`]).
//!
//! Installed as the router's fallback ([`serve`]), so it only sees paths no other route matched. It must
//! never answer for the server's own prefixes ([`RESERVED`]): an unknown `/api/...` stays the API's JSON
//! 404, and a mistyped `/health/x` is a plain 404, never `index.html`. See docs/web-delivery.md.

pub mod assets;
pub mod headers;
pub mod negotiate;
pub mod respond;

use std::path::PathBuf;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use tracing::{info, warn};

pub use assets::{Asset, Assets};
use respond::Req;

/// Path prefixes (first segments) that belong to the server, never to the client's routes.
pub const RESERVED: &[&str] = &[
    "api",
    "ws",
    "health",
    "metrics",
    "api-docs",
    "swagger-ui",
    "assets",
    "live",
];

/// Client routes served by a page other than `index.html`: the first path segment and the page. (The
/// controller's page, `live.html`, is served at `/live` itself by the live-sessions route when the
/// request is not a WebSocket upgrade: see [`page`].)
pub const PAGES: &[(&str, &str)] = &[("show", "/show.html")];

/// Where the client's content-hashed files live; they are cached as immutable.
pub const ASSETS_PREFIX: &str = "/assets/";

/// `[web]` of the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebConfig {
    /// The build directory; relative paths start at the working directory.
    pub dir: PathBuf,
    /// Send HSTS on every response (the server is only reached over TLS), not only on requests whose
    /// proxy says `X-Forwarded-Proto: https`.
    pub hsts: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("web/dist"),
            hsts: false,
        }
    }
}

/// The web client and the API's browsable docs, as handlers see them (`State<WebState>`).
#[derive(Clone, Debug)]
pub struct WebState {
    /// The built web client, served from memory by the router's fallback.
    pub client: std::sync::Arc<WebClient>,
    /// Whether `/swagger-ui/` is served.
    pub swagger_ui: bool,
}

/// The loaded client and how to serve it: shared by every request as `Arc<WebClient>` in [`WebState`].
#[derive(Debug, Default)]
pub struct WebClient {
    pub assets: Assets,
    pub hsts: bool,
    pub dir: PathBuf,
}

impl WebClient {
    /// Reads the build directory (blocking: call it off the async runtime). Logs what was loaded, or one
    /// warning naming the directory and the build command when there is no `index.html`; never fails.
    pub fn load(config: &WebConfig) -> Self {
        let dir = config.dir.clone();
        let assets = match Assets::load(&dir) {
            Ok(assets) => assets,
            Err(e) => {
                warn!(dir = %dir.display(), error = %e.source, build = respond::BUILD_COMMAND,
                    "Web client not built: serving a placeholder page at / until it is.");
                return Self {
                    assets: Assets::default(),
                    hsts: config.hsts,
                    dir,
                };
            }
        };
        let client = Self {
            assets,
            hsts: config.hsts,
            dir,
        };
        if client.is_built() {
            info!(
                dir = %client.dir.display(),
                files = client.assets.len(),
                bytes = client.assets.total_bytes(),
                "Web client loaded."
            );
        } else {
            warn!(dir = %client.dir.display(), files = client.assets.len(), build = respond::BUILD_COMMAND,
                "Web client not built (no index.html): serving a placeholder page at / until it is.");
        }
        client
    }

    /// Whether the directory held an `index.html`.
    pub fn is_built(&self) -> bool {
        self.assets.get("/index.html").is_some()
    }
}

/// What a path that no route matched is.
#[derive(Debug)]
enum Target<'a> {
    /// A file of the build.
    File(&'a Asset),
    /// A client-side route: `index.html`, or the page of [`PAGES`] for its first segment.
    Page(&'static str),
    NotFound,
}

impl WebClient {
    fn target(&self, path: &str) -> Target<'_> {
        if let Some(asset) = self.assets.get(path) {
            return Target::File(asset);
        }
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        let last = path.rsplit('/').next().unwrap_or("");
        if RESERVED.contains(&first) || last.contains('.') {
            return Target::NotFound;
        }
        let page = PAGES
            .iter()
            .find(|(segment, _)| *segment == first)
            .map_or("/index.html", |(_, page)| *page);
        Target::Page(page)
    }
}

/// The router's fallback: a file, `index.html` for a client route, or a 404; GET and HEAD only.
pub async fn serve(
    State(state): State<WebState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let web = &state.client;
    let req = Req {
        method: &method,
        headers: &headers,
    };
    if method != Method::GET && method != Method::HEAD {
        return respond::text(req, StatusCode::METHOD_NOT_ALLOWED, "Method not allowed\n");
    }
    let path = uri.path();
    match web.target(path) {
        Target::File(asset) => {
            let cache = if path.starts_with(ASSETS_PREFIX) {
                respond::IMMUTABLE
            } else {
                respond::NO_CACHE
            };
            respond::asset(req, asset, cache)
        }
        Target::Page(page) => html(web, req, page),
        Target::NotFound => respond::text(req, StatusCode::NOT_FOUND, "Not found\n"),
    }
}

/// One of the client's HTML pages (`/live.html`, …), as the fallback serves a client route: for routes
/// that are also something else, like `/live` (a WebSocket for clients, the controller's page for a
/// browser that navigates there).
pub fn page(state: &WebState, method: &Method, headers: &HeaderMap, page: &str) -> Response {
    let req = Req { method, headers };
    if method != Method::GET && method != Method::HEAD {
        return respond::text(req, StatusCode::METHOD_NOT_ALLOWED, "Method not allowed\n");
    }
    html(&state.client, req, page)
}

fn html(web: &WebClient, req: Req<'_>, page: &str) -> Response {
    match web.assets.get(page) {
        Some(asset) => respond::asset(req, asset, respond::NO_CACHE),
        None => respond::not_built(req),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn paths_map_to_files_client_routes_or_404() {
        let web = WebClient {
            assets: Assets::from_files(vec![
                ("/index.html".into(), Bytes::from_static(b"<html>")),
                ("/assets/a-1.js".into(), Bytes::from_static(b"1")),
            ]),
            ..WebClient::default()
        };
        assert!(matches!(web.target("/assets/a-1.js"), Target::File(_)));
        assert!(matches!(web.target("/index.html"), Target::File(_)));
        for route in [
            "/",
            "/play",
            "/leaderboard/",
            "/worlds/12",
            "/apix",
            "/showx",
        ] {
            assert!(
                matches!(web.target(route), Target::Page("/index.html")),
                "{route}"
            );
        }
        for route in ["/show/ABC234", "/show/", "/show"] {
            assert!(
                matches!(web.target(route), Target::Page("/show.html")),
                "{route}"
            );
        }
        for missing in [
            "/assets/missing-123.js",
            "/assets/folder",
            "/favicon-missing.png",
            "/api",
            "/api/nope",
            "/health/nope",
            "/metrics/x",
            "/ws/x",
            "/live/x",
            "/swagger-ui/x",
            "/api-docs/x",
            "/deep/file.txt",
        ] {
            assert!(matches!(web.target(missing), Target::NotFound), "{missing}");
        }
    }
}
