//! The WebSocket handshake (RFC 6455 §4.2): checks the request, chooses the subprotocol, answers 101 and
//! hands over the raw connection. The gateway writes its own frames on it (see [`crate::wire`]), so it
//! takes the upgraded socket itself instead of a framed stream.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;

/// A valid WebSocket upgrade request, extracted from a `GET`.
#[derive(Debug)]
pub struct WsUpgrade {
    key: HeaderValue,
    /// The subprotocols the client asked for, in its order of preference.
    offered: Vec<String>,
    on_upgrade: OnUpgrade,
    /// The connection's place under the server's connection caps, kept while the WebSocket lives.
    pub(crate) slot: Option<crate::admit::ConnSlot>,
}

impl WsUpgrade {
    /// The subprotocols the client asked for.
    pub fn offered(&self) -> &[String] {
        &self.offered
    }

    /// The 101 response (with `chosen` as the subprotocol) and the future connection.
    pub(crate) fn accept(self, chosen: Option<&'static str>) -> (Response, OnUpgrade) {
        let accept = tungstenite::handshake::derive_accept_key(self.key.as_bytes());
        let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        if let Ok(accept) = HeaderValue::from_str(&accept) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        if let Some(p) = chosen {
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(p));
        }
        (response, self.on_upgrade)
    }
}

/// Why a request is not a WebSocket upgrade: a 4xx with the API's JSON error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpgradeRejection {
    /// Not a `GET`.
    Method,
    /// No `Connection: upgrade` / `Upgrade: websocket` (a plain HTTP request).
    NotUpgrade,
    /// `Sec-WebSocket-Version` is not 13.
    Version,
    /// No `Sec-WebSocket-Key`.
    Key,
    /// The connection cannot be upgraded (e.g. HTTP/2 without extended CONNECT).
    NotUpgradable,
}

impl IntoResponse for UpgradeRejection {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Self::Method => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "a WebSocket upgrade is a GET",
            ),
            Self::NotUpgrade => (
                StatusCode::UPGRADE_REQUIRED,
                "upgrade_required",
                "this endpoint speaks WebSocket: send Connection: upgrade and Upgrade: websocket",
            ),
            Self::Version => (
                StatusCode::BAD_REQUEST,
                "bad_websocket_version",
                "Sec-WebSocket-Version must be 13",
            ),
            Self::Key => (
                StatusCode::BAD_REQUEST,
                "bad_websocket_key",
                "Sec-WebSocket-Key is missing",
            ),
            Self::NotUpgradable => (
                StatusCode::UPGRADE_REQUIRED,
                "upgrade_required",
                "this connection cannot be upgraded to WebSocket (use HTTP/1.1)",
            ),
        };
        let body = format!(r#"{{"error":{{"code":"{code}","message":"{message}"}}}}"#);
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self == Self::Version {
            headers.insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            );
        }
        response
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WsUpgrade {
    type Rejection = UpgradeRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if parts.method != Method::GET {
            return Err(UpgradeRejection::Method);
        }
        let h = &parts.headers;
        if !has_token(h, header::CONNECTION, "upgrade")
            || !has_token(h, header::UPGRADE, "websocket")
        {
            return Err(UpgradeRejection::NotUpgrade);
        }
        if h.get(header::SEC_WEBSOCKET_VERSION)
            .map(HeaderValue::as_bytes)
            != Some(b"13")
        {
            return Err(UpgradeRejection::Version);
        }
        let key = h
            .get(header::SEC_WEBSOCKET_KEY)
            .filter(|k| !k.is_empty())
            .cloned()
            .ok_or(UpgradeRejection::Key)?;
        let offered = h
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or(UpgradeRejection::NotUpgradable)?;
        Ok(Self {
            key,
            offered,
            on_upgrade,
            slot: parts.extensions.get::<crate::admit::ConnSlot>().cloned(),
        })
    }
}

/// Whether the comma-separated header `name` holds `token` (case-insensitive).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}
