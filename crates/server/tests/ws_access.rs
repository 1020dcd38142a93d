//! Who may play which world over the WebSocket: a private world is "no such world" to everyone but its
//! owner and members, on every path; `max_players` holds on the WebSocket too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use protocol::v1::{ClientMessage, ErrorCode, SUBPROTOCOL_JSON, ServerMessage};
use serde_json::{Value, json};

async fn guest(app: &TestApp) -> String {
    let r = reqwest::Client::new()
        .post(app.http("/api/auth/guest"))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn create_world(app: &TestApp, token: &str, body: Value) -> u64 {
    let r = reqwest::Client::new()
        .post(app.http("/api/worlds"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let world: Value = r.json().await.unwrap();
    world["id"].as_u64().unwrap()
}

fn hello_for(world: u64, token: Option<String>) -> ClientMessage {
    ClientMessage::Hello {
        request_id: 1,
        protocol_hash: protocol::v1::protocol_hash_hex(),
        token,
        world: Some(world),
        resume_tick: None,
        codecs: None,
    }
}

/// What a hello gets: the welcome, or the error's code and message and the close code.
async fn answer(
    app: &TestApp,
    hello: ClientMessage,
) -> Result<u64, (ErrorCode, String, Option<u16>)> {
    let mut ws = connect(app, Some(SUBPROTOCOL_JSON), "").await;
    send_json(&mut ws, &hello).await;
    match parse_v1(next_data(&mut ws).await.unwrap()) {
        ServerMessage::Welcome { world, .. } => Ok(world),
        ServerMessage::Error { code, message, .. } => {
            Err((code, message, close_code(&mut ws).await))
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// Bug: any guest token could play a private world over the WebSocket (only anonymous clients were
/// refused), and the refusals differed from "no such world", revealing that the world exists.
#[tokio::test]
async fn a_private_world_is_no_such_world_to_strangers() {
    let app = spawn_app(|_| {}).await;
    let owner = guest(&app).await;
    let private = create_world(
        &app,
        &owner,
        json!({"name": "Secret", "public": false, "bodies": 5}),
    )
    .await;
    let stranger = guest(&app).await;
    let missing = answer(&app, hello_for(999_999, Some(stranger.clone())))
        .await
        .unwrap_err();
    assert_eq!(missing.0, ErrorCode::WorldNotFound);
    for hello in [
        hello_for(private, Some(stranger.clone())),
        hello_for(private, None),
    ] {
        assert_eq!(answer(&app, hello).await.unwrap_err(), missing);
    }
    assert_eq!(
        answer(&app, hello_for(999_999, None)).await.unwrap_err(),
        missing
    );
    // The owner plays it.
    assert_eq!(
        answer(&app, hello_for(private, Some(owner))).await,
        Ok(private)
    );
    app.stop().await;
}

/// Bug: `max_players` was not enforced on the WebSocket.
#[tokio::test]
async fn a_full_world_refuses_one_more_player() {
    let app = spawn_app(|_| {}).await;
    let owner = guest(&app).await;
    let world = create_world(
        &app,
        &owner,
        json!({"name": "Tiny", "max_players": 1, "bodies": 5}),
    )
    .await;
    let (_first, _) = V1Client::join(
        &app,
        SUBPROTOCOL_JSON,
        hello_for(world, Some(owner.clone())),
    )
    .await;
    let second = answer(&app, hello_for(world, Some(guest(&app).await)))
        .await
        .unwrap_err();
    assert_eq!(second.0, ErrorCode::WorldFull, "{second:?}");
    assert_eq!(second.2, Some(1008));
    // A second connection of a player already in the world is not a new player.
    assert_eq!(answer(&app, hello_for(world, Some(owner))).await, Ok(world));
    app.stop().await;
}

/// A deleted account's token fails with 401 on every path: REST (reads and writes, where creating a
/// world once answered 500 with a foreign-key error), the upgrade's `?token=` and the hello's token.
#[tokio::test]
async fn a_deleted_accounts_token_is_refused_everywhere() {
    let app = spawn_app(|_| {}).await;
    let token = guest(&app).await;
    let http = reqwest::Client::new();
    let gone = http
        .delete(app.http("/api/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    for (method, path, body) in [
        (reqwest::Method::GET, "/api/users/me", None),
        (
            reqwest::Method::POST,
            "/api/worlds",
            Some(json!({"name": "after deletion"})),
        ),
    ] {
        let mut req = http.request(method, app.http(path)).bearer_auth(&token);
        if let Some(b) = &body {
            req = req.json(b);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized", "{path}");
    }
    // v1 with the hello's token, and with the upgrade's: unauthorized, close 1008.
    let mut msg = hello(1);
    if let ClientMessage::Hello { token: t, .. } = &mut msg {
        *t = Some(token.clone());
    }
    for query in [String::new(), format!("?token={token}")] {
        let mut ws = connect(&app, Some(SUBPROTOCOL_JSON), &query).await;
        let hello = if query.is_empty() {
            msg.clone()
        } else {
            hello(2)
        };
        send_json(&mut ws, &hello).await;
        let reply = parse_v1(next_data(&mut ws).await.unwrap());
        assert!(
            matches!(
                reply,
                ServerMessage::Error {
                    code: ErrorCode::Unauthorized,
                    ..
                }
            ),
            "{query}: {reply:?}"
        );
        assert_eq!(close_code(&mut ws).await, Some(1008), "{query}");
    }
    app.stop().await;
}
