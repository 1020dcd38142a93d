//! Protocol v0 (compat) against the real server: the existing client's flow and its errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn v0_client_plays_as_a_guest() {
    let app = spawn_app(|_| {}).await;
    let mut ws = connect(&app, None, "").await;

    let state = until_type(&mut ws, "GameState").await;
    assert!(
        state["bodies"].as_array().unwrap().len() >= 50,
        "the default world is alive"
    );
    assert!(state["tick"].as_u64().is_some());

    send_json(&mut ws, &json!({"type": "Heartbeat"})).await;
    send_json(&mut ws, &json!({"type": "CreateBody", "body_type": "Asteroid", "position": [30000.0, 30000.0, 0.0]})).await;
    let created = until_type(&mut ws, "BodyCreated").await;
    assert_eq!(created["success"], true, "{created}");
    let id = created["body_id"].as_str().unwrap().to_string();

    // The body shows up in the state, and the cost (100 dust) was charged to this guest.
    let state = loop {
        let s = until_type(&mut ws, "GameState").await;
        if s["bodies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["id"] == id.as_str())
        {
            break s;
        }
    };
    let dust = state["resources"]["cosmic_dust"].as_f64().unwrap();
    assert!(dust < 1000.0 && dust > 850.0, "dust {dust}");

    send_json(&mut ws, &json!({"type": "RemoveBody", "body_id": id})).await;
    let removed = until_type(&mut ws, "BodyRemoved").await;
    assert_eq!(removed["success"], true);

    // A body of the world (no owner) cannot be removed.
    let other = state["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] != id.as_str())
        .unwrap()["id"]
        .clone();
    send_json(&mut ws, &json!({"type": "RemoveBody", "body_id": other})).await;
    assert_eq!(until_type(&mut ws, "BodyRemoved").await["success"], false);
    app.stop().await;
}

#[tokio::test]
async fn v0_errors_keep_the_connection_open() {
    let app = spawn_app(|_| {}).await;
    let mut ws = connect(&app, None, "").await;

    ws_send_raw(&mut ws, "{not json").await;
    let err = until_type(&mut ws, "Error").await;
    assert!(
        err["message"].as_str().unwrap().contains("malformed"),
        "{err}"
    );

    send_json(&mut ws, &json!({"type": "Teleport"})).await;
    until_type(&mut ws, "Error").await;

    send_json(
        &mut ws,
        &json!({"type": "SaveGame", "game_state": {"resources": {"cosmic_dust": 1e12}}}),
    )
    .await;
    let err = until_type(&mut ws, "Error").await;
    assert!(
        err["message"].as_str().unwrap().contains("server owns"),
        "{err}"
    );

    send_json(
        &mut ws,
        &json!({"type": "SpendResources", "cosmic_dust": -1e9, "energy": 0}),
    )
    .await;
    until_type(&mut ws, "Error").await;

    send_json(&mut ws, &json!({"type": "CreateBody", "body_type": {"Planet": {"mass": 5}}, "position": [1e9, 0, 0]})).await;
    let created = until_type(&mut ws, "BodyCreated").await;
    assert_eq!(created["success"], false);

    // Still open and serving.
    send_json(&mut ws, &json!({"type": "GetGameState"})).await;
    until_type(&mut ws, "GameState").await;
    app.stop().await;
}

#[tokio::test]
async fn set_game_running_pauses_the_stream() {
    let app = spawn_app(|_| {}).await;
    let mut ws = connect(&app, None, "").await;
    until_type(&mut ws, "GameState").await;
    send_json(
        &mut ws,
        &json!({"type": "SetGameRunning", "running": false}),
    )
    .await;
    // Drain what was in flight, then nothing more arrives for a while.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    while let Ok(Some(_)) = tokio::time::timeout(
        std::time::Duration::from_millis(50),
        futures_util::StreamExt::next(&mut ws),
    )
    .await
    {}
    let quiet = tokio::time::timeout(
        std::time::Duration::from_millis(400),
        futures_util::StreamExt::next(&mut ws),
    )
    .await;
    assert!(quiet.is_err(), "no GameState while paused");
    send_json(&mut ws, &json!({"type": "SetGameRunning", "running": true})).await;
    until_type(&mut ws, "GameState").await;
    app.stop().await;
}

async fn ws_send_raw(ws: &mut Ws, text: &str) {
    futures_util::SinkExt::send(ws, Message::Text(text.to_string().into()))
        .await
        .unwrap();
}
