//! Logs: every HTTP request's lines carry its request id (the client's, or a new one echoed back), a
//! WebSocket connection's lines carry its connection id and its upgrade's request id, and no password or
//! token ever reaches a log line — checked on the JSON lines of the real auth flows at `debug` level.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use common::*;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Lines {
    type Writer = Lines;
    fn make_writer(&'a self) -> Lines {
        self.clone()
    }
}

/// The process-wide JSON log capture (one subscriber per test binary).
fn captured() -> &'static Lines {
    static LINES: OnceLock<Lines> = OnceLock::new();
    LINES.get_or_init(|| {
        let lines = Lines::default();
        let filter =
            tracing_subscriber::EnvFilter::new("debug,hyper=info,h2=info,tungstenite=info");
        let sub = server::telemetry::subscriber(
            server::telemetry::LogFormat::Json,
            filter,
            lines.clone(),
        );
        tracing::subscriber::set_global_default(sub).unwrap();
        lines
    })
}

fn log_text() -> String {
    String::from_utf8_lossy(&captured().0.lock().unwrap()).into_owned()
}

fn log_lines() -> Vec<Value> {
    log_text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

/// Every span field of a line (JSON lines list the spans they are in).
fn span_field<'a>(line: &'a Value, key: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    if let Some(spans) = line["spans"].as_array() {
        out.extend(spans.iter().filter_map(|s| s.get(key)));
    }
    if let Some(v) = line["span"].get(key) {
        out.push(v);
    }
    out
}

#[tokio::test]
async fn requests_and_connections_are_traceable_and_secrets_stay_out() {
    captured();
    let app = spawn_app(|_| {}).await;
    let http = reqwest::Client::new();
    let password = "correct-horse-battery-staple-42";

    // The client's request id is kept and echoed.
    let r = http
        .post(app.http("/api/auth/register"))
        .header("x-request-id", "req-register-1")
        .json(&json!({"email": "Ada@Example.com", "username": "ada", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["x-request-id"], "req-register-1");
    let tokens: Value = r.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();

    // A missing or unsafe id is replaced by a new one.
    let r = http
        .get(app.http("/health"))
        .header("x-request-id", "bad id!")
        .send()
        .await
        .unwrap();
    let given = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(given, "bad id!");
    assert!(!given.is_empty());

    let r = http
        .post(app.http("/api/auth/login"))
        .json(&json!({"login": "ada", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(app.http("/api/auth/login"))
        .json(&json!({"login": "ada", "password": "wrong-password-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .post(app.http("/api/auth/refresh"))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .get(app.http("/api/users/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A WebSocket connection with the token in the URL, upgraded with a known request id.
    let mut req = format!("{}?token={access}", app.url())
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("x-request-id", "req-ws-upgrade-1".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    next_data(&mut ws).await.unwrap();
    drop(ws);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.stop().await;

    let lines = log_lines();
    // The register request's lines carry its id, including the request log line.
    let register: Vec<_> = lines
        .iter()
        .filter(|l| {
            span_field(l, "request_id")
                .iter()
                .any(|v| *v == "req-register-1")
        })
        .collect();
    assert!(
        register
            .iter()
            .any(|l| l["message"] == "Request finished." && l["status"] == 201),
        "{register:?}"
    );
    // The connection's lines carry its id and the upgrade's request id.
    let ws_lines: Vec<_> = lines
        .iter()
        .filter(|l| {
            span_field(l, "request_id")
                .iter()
                .any(|v| *v == "req-ws-upgrade-1")
        })
        .filter(|l| !span_field(l, "conn").is_empty())
        .collect();
    assert!(
        !ws_lines.is_empty(),
        "no connection line carries the upgrade's request id"
    );

    // No secret in any line, at debug level.
    let text = log_text();
    for (what, secret) in [
        ("password", password),
        ("access token", &access),
        ("refresh token", &refresh),
    ] {
        assert!(!text.contains(secret), "the {what} reached the logs");
    }
    assert!(
        !text.contains("wrong-password-123"),
        "a failed password reached the logs"
    );
}
