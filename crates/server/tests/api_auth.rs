//! The account API against the real server: registration, login, guests, refresh rotation and reuse
//! detection, logout, the caller's profile, and the JSON error bodies of bad requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{TestApp, backends, spawn_app_on};

async fn post(app: &TestApp, path: &str, body: &Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(app.http(path))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn with_token(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .request(method, app.http(path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn register(app: &TestApp, name: &str) -> Value {
    let (status, body) = post(
        app,
        "/api/auth/register",
        &json!({"email": format!("{name}@Example.com"), "username": name, "password": "correct horse"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

fn assert_error(body: &Value, code: &str, field: Option<&str>) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    match field {
        Some(f) => assert_eq!(body["error"]["field"], f, "{body}"),
        None => assert!(body["error"].get("field").is_none(), "{body}"),
    }
}

#[tokio::test]
async fn register_login_me_patch_delete() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let tokens = register(&app, "ada").await;
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 900);
        assert_eq!(tokens["refresh_token"].as_str().unwrap().len(), 64);
        assert_eq!(tokens["user"]["email"], "ada@example.com");
        assert_eq!(tokens["user"]["guest"], false);
        let access = tokens["access_token"].as_str().unwrap();

        for login in ["ada", "ADA@example.com"] {
            let (status, body) = post(
                &app,
                "/api/auth/login",
                &json!({"login": login, "password": "correct horse"}),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{login}: {body}");
            assert_eq!(body["user"]["username"], "ada");
        }

        let (status, me) =
            with_token(&app, reqwest::Method::GET, "/api/users/me", access, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["username"], "ada");

        let patch = json!({"username": "ada_lovelace"});
        let (status, me) = with_token(
            &app,
            reqwest::Method::PATCH,
            "/api/users/me",
            access,
            Some(&patch),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["username"], "ada_lovelace");
        let (_, me) = with_token(&app, reqwest::Method::GET, "/api/users/me", access, None).await;
        assert_eq!(
            me["username"], "ada_lovelace",
            "the cached profile was invalidated"
        );

        let (status, _) =
            with_token(&app, reqwest::Method::DELETE, "/api/users/me", access, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        // A deleted account's token is refused (it once read as 404, "no such user").
        let (status, body) =
            with_token(&app, reqwest::Method::GET, "/api/users/me", access, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (status, _) = post(
            &app,
            "/api/auth/login",
            &json!({"login": "ada_lovelace", "password": "correct horse"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn duplicates_are_conflicts_naming_the_field() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        register(&app, "grace").await;
        let body =
            json!({"email": "GRACE@example.com", "username": "other", "password": "correct horse"});
        let (status, err) = post(&app, "/api/auth/register", &body).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_error(&err, "conflict", Some("email"));
        let body =
            json!({"email": "other@example.com", "username": "grace", "password": "correct horse"});
        let (status, err) = post(&app, "/api/auth/register", &body).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_error(&err, "conflict", Some("username"));

        // Taking someone else's name through PATCH is the same conflict.
        let other = register(&app, "linus").await;
        let access = other["access_token"].as_str().unwrap();
        let patch = json!({"username": "grace"});
        let (status, err) = with_token(
            &app,
            reqwest::Method::PATCH,
            "/api/users/me",
            access,
            Some(&patch),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_error(&err, "conflict", Some("username"));
        app.stop().await;
    }
}

#[tokio::test]
async fn bad_input_is_named() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let cases = [
            (
                json!({"email": "a@example.com", "username": "abc", "password": "short"}),
                "password",
            ),
            (
                json!({"email": "not-an-email", "username": "abc", "password": "correct horse"}),
                "email",
            ),
            (
                json!({"email": "a@example.com", "username": "a b", "password": "correct horse"}),
                "username",
            ),
        ];
        for (body, field) in cases {
            let (status, err) = post(&app, "/api/auth/register", &body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert_error(&err, "validation", Some(field));
        }

        let client = reqwest::Client::new();
        let r = client
            .post(app.http("/api/auth/register"))
            .header("content-type", "application/json")
            .body("{\"email\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let err: Value = r.json().await.unwrap();
        assert_error(&err, "bad_request", None);
        assert!(
            err["error"]["message"].as_str().unwrap().contains("JSON"),
            "{err}"
        );

        let (status, err) = post(
            &app,
            "/api/auth/register",
            &json!({"email": "a@example.com"}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&err, "bad_request", Some("username"));

        let r = client
            .post(app.http("/api/auth/login"))
            .body("login=x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

        let huge = json!({"login": "x".repeat(20 * 1024), "password": "correct horse"});
        let (status, err) = post(&app, "/api/auth/login", &huge).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_error(&err, "payload_too_large", None);

        let r = client.get(app.http("/api/nope")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            r.headers()["x-request-id"].len(),
            16,
            "each API response carries its request id"
        );
        assert_error(&r.json().await.unwrap(), "not_found", None);
        let r = client
            .delete(app.http("/api/auth/login"))
            .header("x-request-id", "abc-123")
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["x-request-id"], "abc-123");
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_error(&r.json().await.unwrap(), "method_not_allowed", None);
        app.stop().await;
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        register(&app, "alan").await;
        let (s1, e1) = post(
            &app,
            "/api/auth/login",
            &json!({"login": "alan", "password": "wrong horse"}),
        )
        .await;
        let (s2, e2) = post(
            &app,
            "/api/auth/login",
            &json!({"login": "nobody", "password": "wrong horse"}),
        )
        .await;
        assert_eq!(s1, StatusCode::UNAUTHORIZED);
        assert_eq!(s2, StatusCode::UNAUTHORIZED);
        assert_eq!(e1, e2);
        assert_error(&e1, "unauthorized", None);

        let r = reqwest::Client::new()
            .get(app.http("/api/users/me"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let (status, _) = with_token(
            &app,
            reqwest::Method::GET,
            "/api/users/me",
            "not.a.jwt",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let first = register(&app, "barbara").await;
        let old = first["refresh_token"].clone();

        let (status, second) =
            post(&app, "/api/auth/refresh", &json!({"refresh_token": old})).await;
        assert_eq!(status, StatusCode::OK, "{second}");
        assert_ne!(second["refresh_token"], old);
        let access = second["access_token"].as_str().unwrap();
        let (status, _) =
            with_token(&app, reqwest::Method::GET, "/api/users/me", access, None).await;
        assert_eq!(status, StatusCode::OK);

        // The old token again: reuse. It fails, and so does the new one from now on.
        let (status, err) = post(&app, "/api/auth/refresh", &json!({"refresh_token": old})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_error(&err, "unauthorized", None);
        let (status, _) = post(
            &app,
            "/api/auth/refresh",
            &json!({"refresh_token": second["refresh_token"]}),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "the whole family is revoked"
        );

        let (status, _) = post(&app, "/api/auth/refresh", &json!({"refresh_token": "00ff"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn logout_revokes_the_session() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let tokens = register(&app, "edsger").await;
        let refresh = json!({"refresh_token": tokens["refresh_token"]});
        let r = reqwest::Client::new()
            .post(app.http("/api/auth/logout"))
            .json(&refresh)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let (status, _) = post(&app, "/api/auth/refresh", &refresh).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn expired_access_token_is_refused() {
    for backend in backends() {
        let app = spawn_app_on(backend, |c| c.auth.access_ttl = Duration::from_secs(1)).await;
        let (status, tokens) = post(&app, "/api/auth/guest", &json!({})).await;
        assert_eq!(status, StatusCode::CREATED);
        let access = tokens["access_token"].as_str().unwrap();
        let (status, _) =
            with_token(&app, reqwest::Method::GET, "/api/users/me", access, None).await;
        assert_eq!(status, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let (status, err) =
            with_token(&app, reqwest::Method::GET, "/api/users/me", access, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("expired"),
            "{err}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn guest_upgrades_to_a_full_account() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let r = reqwest::Client::new()
            .post(app.http("/api/auth/guest"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let tokens: Value = r.json().await.unwrap();
        assert_eq!(tokens["user"]["guest"], true);
        assert_eq!(tokens["user"]["username"], Value::Null);
        let access = tokens["access_token"].as_str().unwrap();

        let patch = json!({"email": "guest@example.com"});
        let (_, me) = with_token(
            &app,
            reqwest::Method::PATCH,
            "/api/users/me",
            access,
            Some(&patch),
        )
        .await;
        assert_eq!(me["guest"], true, "an email alone does not make an account");
        let patch = json!({"username": "hopper", "password": "correct horse"});
        let (status, me) = with_token(
            &app,
            reqwest::Method::PATCH,
            "/api/users/me",
            access,
            Some(&patch),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["guest"], false);
        assert_eq!(me["email"], "guest@example.com");

        let (status, body) = post(
            &app,
            "/api/auth/login",
            &json!({"login": "guest@example.com", "password": "correct horse"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["user"]["id"], tokens["user"]["id"]);
        // A refresh brings the access token's claims up to date.
        let (status, body) = post(
            &app,
            "/api/auth/refresh",
            &json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["user"]["guest"], false);

        let patch = json!({"password": "short"});
        let (status, err) = with_token(
            &app,
            reqwest::Method::PATCH,
            "/api/users/me",
            access,
            Some(&patch),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_error(&err, "validation", Some("password"));
        app.stop().await;
    }
}

/// Without a configured secret each data directory gets its own (kept across restarts), and a token
/// signed with the right secret but another issuer, or none, is refused.
#[tokio::test]
async fn the_secret_is_per_data_directory_and_the_issuer_is_checked() {
    let app = spawn_app_on(common::Backend::Sqlite, |_| {}).await;
    let secret = std::fs::read_to_string(app.dir.path().join("jwt-secret")).unwrap();
    assert_eq!(secret.len(), 64);
    assert_eq!(app.state.api.auth.jwt_secret, secret);
    let (_, tokens) = post(&app, "/api/auth/guest", &json!({})).await;
    let access = tokens["access_token"].as_str().unwrap();
    let (status, me) = with_token(&app, reqwest::Method::GET, "/api/users/me", access, None).await;
    assert_eq!(status, StatusCode::OK);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    let claims = json!({"sub": me["id"], "exp": now + 600, "iat": now, "guest": true});
    for iss in [Some("someone-else"), None] {
        let mut claims = claims.clone();
        if let Some(iss) = iss {
            claims["iss"] = json!(iss);
        }
        let forged = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap();
        let (status, _) =
            with_token(&app, reqwest::Method::GET, "/api/users/me", &forged, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "iss {iss:?}");
    }
    let dir = app.dir.clone();
    app.stop().await;
    let again = common::spawn_app_in(dir, |_| {}).await;
    assert_eq!(
        again.state.api.auth.jwt_secret, secret,
        "kept across restarts"
    );
    again.stop().await;
}

async fn login_from(app: &TestApp, source: &str, login: &str, password: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .local_address(source.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
        .post(app.http("/api/auth/login"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap()
}

/// Failed logins are throttled per login name — known or not, alike — with a growing wait, during which
/// even the right password is refused before it is checked (it was accepted after 40 failures in 1.7 s).
#[tokio::test]
async fn failed_logins_are_throttled_the_same_for_known_and_unknown_names() {
    let app = spawn_app_on(common::Backend::Sqlite, |_| {}).await;
    register(&app, "ada").await;
    for name in ["ada", "nobody"] {
        for _ in 0..6 {
            let r = login_from(&app, "127.0.0.1", name, "wrong password").await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{name}");
        }
        let r = login_from(&app, "127.0.0.1", name, "correct horse").await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert_eq!(r.headers()["retry-after"], "1", "{name}");
        let body: Value = r.json().await.unwrap();
        assert_error(&body, "too_many_requests", None);
    }
    // The wait over, the right password works (and clears the count).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = login_from(&app, "127.0.0.1", "ada", "correct horse").await;
    assert_eq!(r.status(), StatusCode::OK);
    let metrics = reqwest::get(app.http("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"cosmic_auth_throttled_total{reason="login"} 2"#),
        "{metrics}"
    );
    app.stop().await;
}

/// Concurrent logins beyond the hasher's queue get a 429 at once instead of queueing without limit, and
/// none fails with a 5xx; a real login afterwards goes through.
#[tokio::test]
async fn the_password_hasher_has_a_bounded_queue() {
    let app = spawn_app_on(common::Backend::Sqlite, |c| {
        c.auth.hash_concurrency = 1;
        c.auth.hash_queue = 2;
    })
    .await;
    register(&app, "ada").await;
    let flood = (0..30).map(|i| {
        let app = &app;
        async move {
            let r = login_from(app, "127.0.0.1", &format!("user{i}"), "wrong password").await;
            let retry = r.headers().get("retry-after").cloned();
            (r.status(), retry)
        }
    });
    let answers = futures_util::future::join_all(flood).await;
    let busy = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(busy > 0, "{answers:?}");
    for (status, retry) in &answers {
        assert!(
            *status == StatusCode::UNAUTHORIZED || *status == StatusCode::TOO_MANY_REQUESTS,
            "{answers:?}"
        );
        if *status == StatusCode::TOO_MANY_REQUESTS {
            // 1 s when the hasher is busy; an address past its free failures may be told longer.
            let secs: u64 = retry.as_ref().unwrap().to_str().unwrap().parse().unwrap();
            assert!(secs >= 1, "{answers:?}");
        }
    }
    let r = login_from(&app, "127.0.0.9", "ada", "correct horse").await;
    assert_eq!(r.status(), StatusCode::OK);
    app.stop().await;
}
