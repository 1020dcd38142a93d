//! Regressions found by running the original Cosmic Gardener browser client unchanged against `/ws`
//! (and the v1 `closing` message, documented and handled by the web client but never sent). Each test
//! names the bug it pins.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use protocol::v1::{SUBPROTOCOL_BIN, SUBPROTOCOL_JSON, ServerMessage};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Bug: `GetGameState` while the stream was paused (`SetGameRunning{running:false}`) got no reply; the
/// original server always answered it and docs/protocol.md promises "a GameState now".
#[tokio::test]
async fn get_game_state_is_answered_while_paused() {
    let app = spawn_app(|_| {}).await;
    let mut ws = connect(&app, None, "").await;
    until_type(&mut ws, "GameState").await;
    send_json(
        &mut ws,
        &json!({"type": "SetGameRunning", "running": false}),
    )
    .await;
    // What was in flight drains, then the stream is quiet.
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(50), ws.next()).await {}
    send_json(&mut ws, &json!({"type": "GetGameState"})).await;
    let state = until_type(&mut ws, "GameState").await;
    assert!(state["bodies"].as_array().unwrap().len() >= 50);
    // One answer, not a resumed stream.
    let quiet = tokio::time::timeout(Duration::from_millis(400), ws.next()).await;
    assert!(quiet.is_err(), "still paused after the answer");
    app.stop().await;
}

/// Bug: the server never answered a client's close frame, so a client that closed with 1000 saw 1006
/// (abnormal closure). Both protocols must echo the client's code.
#[tokio::test]
async fn a_client_close_is_answered_with_its_code() {
    let app = spawn_app(|_| {}).await;
    for (subprotocol, code) in [
        (None, CloseCode::Normal),
        (Some(SUBPROTOCOL_JSON), CloseCode::Normal),
        (Some(SUBPROTOCOL_BIN), CloseCode::Away),
    ] {
        let mut ws = connect(&app, subprotocol, "").await;
        if subprotocol.is_some() {
            send_json(&mut ws, &hello(1)).await;
        }
        next_data(&mut ws).await.expect("the first message");
        let frame = CloseFrame {
            code,
            reason: "bye".into(),
        };
        ws.send(Message::Close(Some(frame))).await.unwrap();
        assert_eq!(
            close_code(&mut ws).await,
            Some(u16::from(code)),
            "{subprotocol:?}: the close handshake completes with the client's code"
        );
    }
    app.stop().await;
}

/// Bug: the first `GameState` after connecting showed every resource at 0; the player's real balance
/// (a new player's 1,000 dust) must be in the very first frame.
#[tokio::test]
async fn the_first_game_state_has_the_players_balance() {
    let app = spawn_app(|_| {}).await;
    for _ in 0..3 {
        let mut ws = connect(&app, None, "").await;
        let first = until_type(&mut ws, "GameState").await;
        let dust = first["resources"]["cosmic_dust"].as_f64().unwrap();
        assert!(
            dust >= 1000.0,
            "first GameState has {dust} dust: {}",
            first["resources"]
        );
        ws.close(None).await.unwrap();
    }
    app.stop().await;
}

/// Bug: a refused creation said "the position overlaps body BodyId(0)" — Rust debug formatting shown to
/// a player.
#[tokio::test]
async fn a_refusal_shows_no_type_names() {
    let app = spawn_app(|_| {}).await;
    let mut ws = connect(&app, None, "").await;
    let state = until_type(&mut ws, "GameState").await;
    let body = &state["bodies"][0];
    let create =
        json!({"type": "CreateBody", "body_type": "Asteroid", "position": body["position"]});
    send_json(&mut ws, &create).await;
    let created = until_type(&mut ws, "BodyCreated").await;
    assert_eq!(created["success"], false, "{created}");
    let error = created["error"].as_str().unwrap();
    assert!(error.starts_with("the position overlaps body #"), "{error}");
    assert!(!error.contains("BodyId"), "{error}");
    app.stop().await;
}

/// `closing` was documented and handled by the web client but never sent: on shutdown a v1 client is
/// told to come back (with a delay) before the close frame.
#[tokio::test]
async fn shutdown_says_closing_before_the_close_frame() {
    let app = spawn_app(|_| {}).await;
    let (mut client, _) = V1Client::join(&app, SUBPROTOCOL_JSON, hello(1)).await;
    client.next_frame().await;
    let stop = tokio::spawn(app.stop());
    let closing = client
        .until(|m, _| match m {
            ServerMessage::Closing {
                code,
                retry_after_ms,
                ..
            } => Some((*code, *retry_after_ms)),
            _ => None,
        })
        .await;
    assert_eq!(closing.0, 1001);
    assert!(closing.1.is_some_and(|ms| ms > 0));
    assert_eq!(close_code(&mut client.ws).await, Some(1001));
    stop.await.unwrap();
}
