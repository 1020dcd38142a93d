//! `cosmic.live.v1` at `/live` with real WebSocket clients: hello, the room's feed (full state, then
//! coalesced deltas that rebuild the state exactly), resume, refusals, audio features, `.bin` framing,
//! and members of both protocols in one room.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, Ws, guest_token, next_data, send_json, spawn_app};
use futures_util::SinkExt;
use live::delta::StateDelta;
use live::state::ShowState;
use live::v1::{SUBPROTOCOL_BIN, SUBPROTOCOL_JSON, protocol_hash_hex};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn connect(app: &TestApp, subprotocol: &str, token: &str) -> Ws {
    let url = format!("ws://127.0.0.1:{}/live?token={token}", app.port);
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", subprotocol.parse().unwrap());
    let (ws, response) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connects");
    assert_eq!(response.headers()["sec-websocket-protocol"], subprotocol);
    ws
}

/// The next message as JSON: text as it is; `.bin` control messages after their codec and kind bytes.
async fn next(ws: &mut Ws) -> Value {
    match next_data(ws).await.expect("open") {
        Message::Text(t) => serde_json::from_str(&t).unwrap(),
        Message::Binary(b) => {
            let (_, payload) = protocol::codec::decompress(&b, 1 << 20).expect("a codec byte");
            assert_eq!(payload[0], live::v1::KIND_CONTROL, "{b:?}");
            serde_json::from_slice(&payload[1..]).unwrap()
        }
        other => panic!("unexpected {other:?}"),
    }
}

async fn until(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let v = next(ws).await;
        if pred(&v) {
            return v;
        }
    }
    panic!("no such message");
}

async fn reply(ws: &mut Ws, request_id: u32) -> Value {
    until(ws, |v| v["request_id"] == request_id).await
}

/// A member after its hello: (socket, welcome, the first state it was sent).
async fn hello(app: &TestApp, subprotocol: &str, hello: Value) -> (Ws, Value, Value) {
    let token = guest_token(app).await;
    let mut ws = connect(app, subprotocol, &token).await;
    let mut msg = json!({ "type": "hello", "request_id": 1, "protocol_hash": protocol_hash_hex() });
    msg.as_object_mut()
        .unwrap()
        .extend(hello.as_object().unwrap().clone());
    send_json(&mut ws, &msg).await;
    let welcome = next(&mut ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    assert_eq!(welcome["request_id"], 1);
    let state = next(&mut ws).await;
    assert_eq!(state["type"], "state", "{state}");
    (ws, welcome, state)
}

/// A member speaking v1z3r's envelope (no subprotocol) after its `join_room` reply.
async fn compat_member(app: &TestApp, code: &str, participant: Value) -> Ws {
    let token = guest_token(app).await;
    let url = format!("ws://127.0.0.1:{}/live?token={token}", app.port);
    let mut ws = tokio_tungstenite::connect_async(url).await.unwrap().0;
    let join = json!({ "id": "j", "type": "join_room", "timestamp": 1, "source": "old", "roomId": code,
        "data": { "participant": participant }, "metadata": { "requestId": "j" } });
    send_json(&mut ws, &join).await;
    loop {
        let Message::Text(t) = next_data(&mut ws).await.unwrap() else {
            continue;
        };
        if t.contains("\"requestId\":\"j\"") {
            return ws;
        }
    }
}

/// A display in the room with join code `code`: (socket, welcome, first state).
async fn display_in(app: &TestApp, code: &str) -> (Ws, Value, Value) {
    hello(
        app,
        SUBPROTOCOL_JSON,
        json!({ "room": code, "role": "display" }),
    )
    .await
}

async fn host(app: &TestApp) -> (Ws, String) {
    let (ws, welcome, _) = hello(
        app,
        SUBPROTOCOL_JSON,
        json!({ "create": { "name": "Show" }, "name": "vj" }),
    )
    .await;
    assert_eq!(welcome["participant"]["role"], "host");
    (ws, welcome["room"]["code"].as_str().unwrap().to_owned())
}

async fn op(ws: &mut Ws, request_id: u32, op: Value) -> Value {
    send_json(
        ws,
        &json!({ "type": "op", "request_id": request_id, "op": op }),
    )
    .await;
    reply(ws, request_id).await
}

fn set(name: &str, value: f64) -> Value {
    json!({ "op": "set_parameters", "parameters": { name: value } })
}

#[tokio::test]
async fn displays_get_the_full_state_then_coalesced_deltas_that_rebuild_it_exactly() {
    let app = spawn_app(|_| {}).await;
    let (mut vj, code) = host(&app).await;
    let (mut display, welcome, first) = display_in(&app, &code).await;
    assert_eq!(welcome["participant"]["role"], "display");
    assert_eq!(welcome["fanout_hz"], 60);
    let mut have: ShowState = serde_json::from_value(first["state"].clone()).unwrap();

    // The host hears of the display.
    let p = until(&mut vj, |v| v["type"] == "presence").await;
    assert_eq!(p["event"], "participant_joined");
    assert_eq!(p["participant"]["role"], "display");

    let layer = json!({ "op": "add_layer", "layer": { "id": "l1", "effectType": "tunnel", "opacity": 0.5 } });
    assert_eq!(op(&mut vj, 2, layer).await["type"], "reply");
    // 40 changes sent back to back: far more than 60 Hz.
    let n = 40u32;
    for i in 0..n {
        let msg = json!({ "type": "op", "request_id": 100 + i, "op": set("hue", f64::from(i)) });
        send_json(&mut vj, &msg).await;
    }
    let last = reply(&mut vj, 100 + n - 1).await;
    let version = last["version"].as_u64().unwrap();

    let mut deltas = 0;
    while have.version < version {
        let m = next(&mut display).await;
        assert_eq!(m["type"], "delta", "{m}");
        let d: StateDelta = serde_json::from_value(m["delta"].clone()).unwrap();
        assert_eq!(
            d.base, have.version,
            "each delta is against what this display has"
        );
        d.apply_to(&mut have);
        deltas += 1;
    }
    assert!(
        deltas < n,
        "{deltas} deltas for {n} changes: nothing coalesced"
    );
    assert_eq!(
        have.parameters["hue"],
        live::state::Value::Number(f64::from(n - 1))
    );

    // A late display gets the same state, whole, at once.
    let (_late, _, full) = hello(&app, SUBPROTOCOL_JSON, json!({ "room": code })).await;
    let theirs: ShowState = serde_json::from_value(full["state"].clone()).unwrap();
    assert_eq!(theirs, have);
    assert_eq!(theirs.layers[0].id, "l1");
}

#[tokio::test]
async fn a_display_resumes_from_the_version_it_has() {
    let app = spawn_app(|_| {}).await;
    let (mut vj, code) = host(&app).await;
    op(&mut vj, 2, set("zoom", 2.0)).await;
    let (display, _, state) = hello(&app, SUBPROTOCOL_JSON, json!({ "room": code })).await;
    let version = state["state"]["version"].as_u64().unwrap();
    drop(display);

    // Back with what it had: nothing is resent until the next change, which comes as a delta.
    let token = guest_token(&app).await;
    let mut back = connect(&app, SUBPROTOCOL_JSON, &token).await;
    let msg = json!({ "type": "hello", "request_id": 1, "protocol_hash": protocol_hash_hex(), "room": code, "resume_version": version });
    send_json(&mut back, &msg).await;
    let welcome = next(&mut back).await;
    assert_eq!(welcome["resumed"], true);
    op(&mut vj, 3, set("zoom", 3.0)).await;
    let m = next(&mut back).await;
    assert_eq!(m["type"], "delta", "{m}");
    assert_eq!(m["delta"]["base"], version);
    assert_eq!(m["delta"]["parameters"]["zoom"], 3.0);

    // One that names a version it cannot have gets the whole state.
    let (_, _, full) = hello(
        &app,
        SUBPROTOCOL_JSON,
        json!({ "room": code, "resume_version": 999 }),
    )
    .await;
    assert_eq!(full["state"]["parameters"]["zoom"], 3.0);
}

#[tokio::test]
async fn refusals_are_typed_and_leave_the_room_unchanged() {
    let app = spawn_app(|_| {}).await;
    let (mut vj, code) = host(&app).await;
    let (mut display, _, _) = display_in(&app, &code).await;

    let e = op(&mut display, 7, set("hue", 1.0)).await;
    assert_eq!(e["type"], "error");
    assert_eq!(e["code"], "forbidden");
    // Malformed JSON, an unknown type and an operation over a limit: errors, and the connection stays.
    display.send(Message::Text("{nope".into())).await.unwrap();
    assert_eq!(next(&mut display).await["code"], "invalid_message");
    send_json(&mut display, &json!({ "type": "dance", "request_id": 8 })).await;
    let e = next(&mut display).await;
    assert_eq!(
        (e["code"].as_str(), e["request_id"].as_u64()),
        (Some("invalid_message"), Some(8))
    );
    let long = "x".repeat(65);
    let e = op(
        &mut vj,
        9,
        json!({ "op": "set_parameters", "parameters": { long: 1 } }),
    )
    .await;
    assert_eq!(e["code"], "limit_exceeded");
    // The host's next change is the room's first: version 1.
    let r = op(&mut vj, 10, set("hue", 0.5)).await;
    assert_eq!(r["version"], 1);
    let d = until(&mut display, |v| v["type"] == "delta").await;
    assert_eq!(d["delta"]["version"], 1);

    // Before hello: hello_expected. A wrong protocol hash: protocol_mismatch, then a 1002 close.
    let token = guest_token(&app).await;
    let mut ws = connect(&app, SUBPROTOCOL_JSON, &token).await;
    send_json(&mut ws, &json!({ "type": "leave", "request_id": 1 })).await;
    assert_eq!(next(&mut ws).await["code"], "hello_expected");
    let bad = json!({ "type": "hello", "request_id": 2, "protocol_hash": "0000", "room": code });
    send_json(&mut ws, &bad).await;
    assert_eq!(next(&mut ws).await["code"], "protocol_mismatch");
    assert_eq!(common::close_code(&mut ws).await, Some(1002));
}

#[tokio::test]
async fn audio_features_reach_every_display_and_are_never_stored() {
    let app = spawn_app(|_| {}).await;
    let (mut vj, code) = host(&app).await;
    let (mut display, _, _) = display_in(&app, &code).await;
    // A compat display in the same room.
    let mut compat = compat_member(&app, &code, json!({})).await;

    vj.send(Message::Binary(vec![b'A', 1, 3, 0, 128, 255].into()))
        .await
        .unwrap();
    let got = loop {
        if let Message::Binary(b) = next_data(&mut display).await.unwrap() {
            break b;
        }
    };
    assert_eq!(&got[..6], &[b'A', 1, 3, 0, 128, 255]);
    assert_eq!(got.len(), 6 + 8, "the server's time follows");
    let event = loop {
        let Message::Text(t) = next_data(&mut compat).await.unwrap() else {
            continue;
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["data"]["event"] == "audio_features" {
            break v;
        }
    };
    assert_eq!(event["type"], "broadcast");
    assert_eq!(event["data"]["bands"], json!([0.0, 0.502, 1.0]));
    assert_eq!(event["data"]["beat"], true);

    // A display may not send them; a bad one is refused. Neither changes the state.
    display
        .send(Message::Binary(vec![b'A', 0, 1, 9].into()))
        .await
        .unwrap();
    assert_eq!(next(&mut display).await["code"], "forbidden");
    vj.send(Message::Binary(vec![b'A', 0, 2, 9].into()))
        .await
        .unwrap();
    assert_eq!(
        until(&mut vj, |v| v["type"] == "error").await["code"],
        "invalid_message"
    );
    let r = op(&mut vj, 5, set("hue", 0.1)).await;
    assert_eq!(r["version"], 1, "audio features never touched the state");
}

#[tokio::test]
async fn bin_members_get_binary_frames_deflated_when_they_ask() {
    let app = spawn_app(|_| {}).await;
    let (mut vj, code) = host(&app).await;
    let big: serde_json::Map<String, Value> =
        (0..120).map(|i| (format!("param{i}"), json!(i))).collect();
    op(
        &mut vj,
        2,
        json!({ "op": "set_parameters", "parameters": big }),
    )
    .await;
    let token = guest_token(&app).await;
    let mut ws = connect(&app, SUBPROTOCOL_BIN, &token).await;
    let msg = json!({ "type": "hello", "request_id": 1, "protocol_hash": protocol_hash_hex(), "room": code, "codecs": ["deflate"] });
    send_json(&mut ws, &msg).await;
    let Message::Binary(welcome) = next_data(&mut ws).await.unwrap() else {
        panic!("binary")
    };
    assert_eq!(&welcome[..2], &[0, live::v1::KIND_CONTROL]);
    let Message::Binary(state) = next_data(&mut ws).await.unwrap() else {
        panic!("binary")
    };
    assert_eq!(
        state[0],
        protocol::Codec::Deflate as u8,
        "a large state is deflated"
    );
    let (_, payload) = protocol::codec::decompress(&state, 1 << 20).unwrap();
    let v: Value = serde_json::from_slice(&payload[1..]).unwrap();
    assert_eq!(v["state"]["parameters"]["param119"], 119.0);
}

#[tokio::test]
async fn members_of_both_protocols_share_one_room() {
    let app = spawn_app(|_| {}).await;
    let (mut vj, code) = host(&app).await;
    let (mut display, _, _) = hello(&app, SUBPROTOCOL_JSON, json!({ "room": code })).await;
    // An old v1z3r controller in the same room: its changes reach v1 displays as deltas.
    let mut old = compat_member(&app, &code, json!({ "name": "old", "role": "participant" })).await;
    // Guests do not control by default: the host grants it.
    let joined = until(&mut vj, |v| {
        v["type"] == "presence" && v["participant"]["name"] == "old"
    })
    .await;
    let id = joined["participant"]["id"].as_str().unwrap().to_owned();
    send_json(
        &mut vj,
        &json!({ "type": "set_role", "request_id": 3, "participant": id, "role": "controller" }),
    )
    .await;
    assert_eq!(reply(&mut vj, 3).await["type"], "reply");
    let update = json!({ "id": "u", "type": "parameter_update", "timestamp": 1, "source": "old", "roomId": code,
        "data": { "name": "speed", "value": 4 } });
    send_json(&mut old, &update).await;
    let d = until(&mut display, |v| {
        v["type"] == "delta" && v["delta"]["parameters"]["speed"].is_number()
    })
    .await;
    assert_eq!(d["delta"]["parameters"]["speed"], 4.0);

    // /health/detailed counts the room and its three members.
    let health: Value = reqwest::get(app.http("/health/detailed"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["live"]["rooms"], 1);
    assert_eq!(health["live"]["participants"], 3);
}

#[tokio::test]
async fn an_invitation_lets_one_joiner_in_as_a_controller() {
    let app = spawn_app(|_| {}).await;
    let create = json!({ "create": { "name": "Private", "isPrivate": true } });
    let (mut vj, welcome, _) = hello(&app, SUBPROTOCOL_JSON, create).await;
    let room_id = welcome["room"]["id"].as_str().unwrap().to_owned();
    send_json(&mut vj, &json!({ "type": "invite", "request_id": 2 })).await;
    let inv = reply(&mut vj, 2).await;
    assert_eq!(inv["type"], "invitation", "{inv}");
    assert_eq!(inv["role"], "controller");
    assert_eq!(inv["room"], room_id.as_str());
    let token = inv["token"].as_str().unwrap().to_owned();

    // A private room is not found by id; the invitation gets in, as a controller that may change the show.
    let token_ws = guest_token(&app).await;
    let mut ws = connect(&app, SUBPROTOCOL_JSON, &token_ws).await;
    let by_id = json!({ "type": "hello", "request_id": 1, "protocol_hash": protocol_hash_hex(), "room": room_id });
    send_json(&mut ws, &by_id).await;
    assert_eq!(next(&mut ws).await["code"], "not_found");
    let (mut co, welcome, _) = hello(&app, SUBPROTOCOL_JSON, json!({ "invite": token })).await;
    assert_eq!(welcome["participant"]["role"], "controller");
    assert_eq!(op(&mut co, 2, set("hue", 0.3)).await["type"], "reply");
    // Spent: the same token lets nobody else in. A controller may not invite.
    send_json(&mut ws, &json!({ "type": "hello", "request_id": 3, "protocol_hash": protocol_hash_hex(), "invite": token })).await;
    assert_eq!(next(&mut ws).await["code"], "not_found");
    send_json(
        &mut co,
        &json!({ "type": "invite", "request_id": 4, "role": "viewer" }),
    )
    .await;
    assert_eq!(reply(&mut co, 4).await["code"], "forbidden");
}
