//! Live sessions at `/live` with real WebSocket clients speaking v1z3r's `sync-core` envelope: rooms,
//! roles, the one show state, relays, presence, isolation, limits, bad input, restarts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    TestApp, Ws, backends, fresh_database, guest_token, next_json, send_json, spawn_app,
    spawn_app_in,
};
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

async fn live(app: &TestApp, token: Option<&str>) -> Ws {
    let url = match token {
        Some(t) => format!("ws://127.0.0.1:{}/live?token={t}", app.port),
        None => format!("ws://127.0.0.1:{}/live", app.port),
    };
    tokio_tungstenite::connect_async(url)
        .await
        .expect("connects")
        .0
}

/// Sends an envelope as v1z3r's client does (a UUID id, a timestamp, `source`, optional `metadata.requestId`).
async fn send(
    ws: &mut Ws,
    source: &str,
    kind: &str,
    room: Option<&str>,
    data: Value,
    request: Option<&str>,
) {
    let mut msg = json!({
        "id": uuid_v4(), "type": kind, "timestamp": 1_700_000_000_000u64, "source": source, "data": data,
    });
    if let Some(r) = room {
        msg["roomId"] = json!(r);
    }
    if let Some(q) = request {
        msg["metadata"] = json!({ "requestId": q });
    }
    send_json(ws, &msg).await;
}

fn uuid_v4() -> String {
    use rand::Rng;
    let b: [u8; 16] = rand::rng().random();
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]]) & 0xfff,
        u16::from_be_bytes([b[8], b[9]]) & 0xfff,
        u64::from_be_bytes([0, 0, b[10], b[11], b[12], b[13], b[14], b[15]])
    )
}

/// Every rule of the client's `MessageSchema`, plus ours: a UUID id, no null anywhere.
fn assert_envelope(v: &Value) {
    let text = v.to_string();
    assert!(!text.contains("null"), "null in {text}");
    let o = v.as_object().expect("an object");
    assert!(uuid_ok(o["id"].as_str().unwrap()), "id in {text}");
    let types = [
        "ping",
        "pong",
        "join_room",
        "leave_room",
        "broadcast",
        "direct_message",
        "parameter_update",
        "layer_update",
        "preset_update",
        "voice_command",
        "sync_state",
        "error",
        "authentication",
    ];
    assert!(
        types.contains(&o["type"].as_str().unwrap()),
        "type in {text}"
    );
    assert!(o["timestamp"].is_number());
    assert!(o["source"].is_string());
    assert!(o["data"].is_object(), "data in {text}");
    for k in ["target", "roomId"] {
        assert!(o.get(k).is_none_or(Value::is_string), "{k} in {text}");
    }
    assert!(o.get("metadata").is_none_or(Value::is_object));
}

fn uuid_ok(s: &str) -> bool {
    let parts: Vec<_> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The next envelope (checked), skipping presence broadcasts unless asked for.
async fn next(ws: &mut Ws) -> Value {
    let v = next_json(ws).await;
    assert_envelope(&v);
    v
}

async fn until(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..50 {
        let v = next(ws).await;
        if pred(&v) {
            return v;
        }
    }
    panic!("no such message");
}

async fn reply(ws: &mut Ws, request: &str) -> Value {
    until(ws, |v| v["metadata"]["requestId"] == request).await
}

/// A host with a new room: (socket, room id, join code).
async fn host(app: &TestApp, settings: Value) -> (Ws, String, String) {
    let token = guest_token(app).await;
    let mut ws = live(app, Some(&token)).await;
    let create = json!({ "createRoom": { "name": "Friday show", "maxParticipants": 50, "isPrivate": false, "ownerId": "x", "settings": settings } });
    send(&mut ws, "host-1", "join_room", None, create, Some("c1")).await;
    let r = reply(&mut ws, "c1").await;
    assert_eq!(r["type"], "join_room");
    assert_eq!(r["data"]["success"], true, "{r}");
    let room = &r["data"]["room"];
    assert_eq!(room["participants"][0]["role"], "host");
    assert_eq!(room["participants"][0]["id"], "host-1");
    (
        ws,
        room["id"].as_str().unwrap().into(),
        room["code"].as_str().unwrap().into(),
    )
}

async fn join(app: &TestApp, room: &str, source: &str, role: &str) -> (Ws, Value) {
    let token = guest_token(app).await;
    let mut ws = live(app, Some(&token)).await;
    let data = json!({ "participant": { "name": source, "role": role, "capabilities": {}, "metadata": {} } });
    send(&mut ws, source, "join_room", Some(room), data, Some("j")).await;
    let r = reply(&mut ws, "j").await;
    (ws, r)
}

async fn state(ws: &mut Ws, source: &str) -> Value {
    send(
        ws,
        source,
        "sync_state",
        None,
        json!({ "request": "get_state" }),
        Some("s"),
    )
    .await;
    reply(ws, "s").await["data"]["state"].clone()
}

#[tokio::test]
async fn a_host_creates_a_room_and_displays_join_by_code_and_follow_its_changes() {
    let app = spawn_app(|_| {}).await;
    let (mut host_ws, room, code) = host(&app, json!({})).await;
    assert_eq!(code.len(), 6);
    let (mut d1, r1) = join(&app, &code.to_lowercase(), "d1", "participant").await;
    assert_eq!(r1["data"]["success"], true, "{r1}");
    assert_eq!(r1["roomId"], room);
    let me = r1["data"]["participant"].clone();
    assert_eq!(me["role"], "display");
    assert_eq!(me["capabilities"]["canControlVisuals"], false);
    // Presence reaches the host with the joiner's name and role.
    let p = until(&mut host_ws, |v| v["data"]["event"] == "participant_joined").await;
    assert_eq!(p["type"], "broadcast");
    assert_eq!(p["data"]["participant"]["name"], "d1");
    assert_eq!(p["data"]["participant"]["role"], "display");

    send(
        &mut host_ws,
        "host-1",
        "parameter_update",
        Some(&room),
        json!({ "parameters": { "hue": 0.25, "strobe": true } }),
        None,
    )
    .await;
    let got = until(&mut d1, |v| v["type"] == "parameter_update").await;
    assert_eq!(got["roomId"], room);
    assert_eq!(got["source"], "host-1");
    assert_eq!(got["data"]["parameters"]["hue"], 0.25);
    // The state the late joiner asks for has it.
    let (mut d2, _) = join(&app, &room, "d2", "viewer").await;
    let s = state(&mut d2, "d2").await;
    assert_eq!(s["parameters"]["hue"], 0.25);
    assert_eq!(s["parameters"]["strobe"], true);
    assert_eq!(s["version"], 1);
    assert!(s["serverTime"].as_i64().unwrap() > 1_700_000_000_000);

    // Layers: add, then update through the v1z3r shape (layer with an id).
    let layer = json!({ "action": "add", "layer": { "id": "tunnel", "effectType": "tunnel", "opacity": 0.8, "blendMode": "add" } });
    send(&mut host_ws, "host-1", "layer_update", None, layer, None).await;
    until(&mut d1, |v| v["type"] == "layer_update").await;
    let update = json!({ "layer": { "id": "tunnel", "opacity": 0.5 } });
    send(&mut host_ws, "host-1", "layer_update", None, update, None).await;
    until(&mut d1, |v| {
        v["type"] == "layer_update" && v["data"]["layer"]["opacity"] == 0.5
    })
    .await;
    let s = state(&mut d1, "d1").await;
    assert_eq!(s["layers"][0]["id"], "tunnel");
    assert_eq!(s["layers"][0]["opacity"], 0.5);
    assert_eq!(s["layers"][0]["blendMode"], "add");
    assert_eq!(s["version"], 3);

    // Ping is answered with the server's time.
    send(&mut d1, "d1", "ping", None, json!({}), Some("p")).await;
    let pong = reply(&mut d1, "p").await;
    assert_eq!(pong["type"], "pong");
    assert!(pong["data"]["serverTime"].is_number());
    app.stop().await;
}

#[tokio::test]
async fn displays_and_viewers_may_not_control_until_the_host_grants_it() {
    let app = spawn_app(|_| {}).await;
    let (mut host_ws, room, _) = host(&app, json!({})).await;
    let (mut d, r) = join(&app, &room, "d", "participant").await;
    let id = r["data"]["participant"]["id"].as_str().unwrap().to_owned();
    for (kind, data) in [
        ("parameter_update", json!({ "parameters": { "hue": 1 } })),
        (
            "layer_update",
            json!({ "action": "add", "layer": { "effectType": "strobe" } }),
        ),
        ("sync_state", json!({ "state": { "parameters": {} } })),
        ("parameter_update", json!({ "anything": "else" })),
    ] {
        send(&mut d, "d", kind, None, data, Some("x")).await;
        let e = reply(&mut d, "x").await;
        assert_eq!(e["type"], "error", "{e}");
        assert_eq!(e["data"]["code"], "forbidden", "{e}");
    }
    assert_eq!(
        state(&mut d, "d").await["version"],
        0,
        "the room is unchanged"
    );

    send(
        &mut host_ws,
        "host-1",
        "broadcast",
        None,
        json!({ "action": "grant_control", "participantId": id }),
        Some("g"),
    )
    .await;
    let granted = reply(&mut host_ws, "g").await;
    assert_eq!(granted["data"]["participant"]["role"], "controller");
    let change = until(&mut d, |v| v["data"]["event"] == "role_changed").await;
    assert_eq!(
        change["data"]["participant"]["capabilities"]["canControlVisuals"],
        true
    );
    send(
        &mut d,
        "d",
        "parameter_update",
        None,
        json!({ "name": "hue", "value": 0.75 }),
        None,
    )
    .await;
    until(&mut host_ws, |v| v["type"] == "parameter_update").await;
    assert_eq!(state(&mut d, "d").await["parameters"]["hue"], 0.75);

    // Only the host grants.
    send(
        &mut d,
        "d",
        "broadcast",
        None,
        json!({ "action": "revoke_control", "participantId": "host-1" }),
        Some("r"),
    )
    .await;
    assert_eq!(reply(&mut d, "r").await["data"]["code"], "forbidden");
    app.stop().await;
}

#[tokio::test]
async fn rooms_never_see_each_other() {
    let app = spawn_app(|_| {}).await;
    let (mut a, room_a, _) = host(&app, json!({})).await;
    let (mut b, room_b, _) = host(&app, json!({})).await;
    let (mut in_b, _) = join(&app, &room_b, "in-b", "viewer").await;
    send(
        &mut a,
        "host-1",
        "parameter_update",
        None,
        json!({ "parameters": { "only_a": 1 } }),
        None,
    )
    .await;
    send(
        &mut a,
        "host-1",
        "broadcast",
        None,
        json!({ "hello": "a" }),
        None,
    )
    .await;
    // Naming another room is refused.
    send(
        &mut a,
        "host-1",
        "broadcast",
        Some(&room_b),
        json!({ "sneak": true }),
        Some("n"),
    )
    .await;
    assert_eq!(reply(&mut a, "n").await["data"]["code"], "forbidden");
    send(
        &mut b,
        "host-1",
        "broadcast",
        None,
        json!({ "hello": "b" }),
        None,
    )
    .await;
    let got = until(&mut in_b, |v| {
        v["type"] == "broadcast" && v["data"].get("hello").is_some()
    })
    .await;
    assert_eq!(got["data"]["hello"], "b");
    assert!(
        state(&mut in_b, "in-b").await["parameters"]
            .get("only_a")
            .is_none()
    );
    assert_ne!(room_a, room_b);
    app.stop().await;
}

#[tokio::test]
async fn bad_input_gets_an_error_and_the_connection_stays() {
    let app = spawn_app(|_| {}).await;
    let (mut h, room, _) = host(&app, json!({})).await;
    h.send(Message::Text("{not json".into())).await.unwrap();
    let e = next(&mut h).await;
    assert_eq!(e["type"], "error");
    assert_eq!(e["data"]["code"], "invalid_message");
    assert!(e["data"]["message"].is_string());
    send(&mut h, "host-1", "dance", None, json!({}), Some("u")).await;
    let e = reply(&mut h, "u").await;
    assert_eq!(e["data"]["message"], "unknown message type: dance");
    assert_eq!(e["data"]["originalMessage"]["type"], "dance");
    // Limits: a value out of range, too many layers, a name too long: typed errors, room unchanged.
    send(
        &mut h,
        "host-1",
        "layer_update",
        None,
        json!({ "action": "add", "layer": { "opacity": 3 } }),
        Some("o"),
    )
    .await;
    assert_eq!(
        reply(&mut h, "o").await["data"]["code"],
        "invalid_operation"
    );
    let long = "n".repeat(65);
    send(
        &mut h,
        "host-1",
        "parameter_update",
        None,
        json!({ "parameters": { long: 1 } }),
        Some("l"),
    )
    .await;
    assert_eq!(reply(&mut h, "l").await["data"]["code"], "limit_exceeded");
    for i in 0..32 {
        send(
            &mut h,
            "host-1",
            "layer_update",
            None,
            json!({ "action": "add", "layer": { "id": format!("l{i}") } }),
            None,
        )
        .await;
    }
    send(
        &mut h,
        "host-1",
        "layer_update",
        None,
        json!({ "action": "add", "layer": { "id": "one-too-many" } }),
        Some("m"),
    )
    .await;
    assert_eq!(reply(&mut h, "m").await["data"]["code"], "limit_exceeded");
    let s = state(&mut h, "host-1").await;
    assert_eq!(s["layers"].as_array().unwrap().len(), 32);
    assert_eq!(s["version"], 32);
    // The old gateway's {action, data} is read too.
    send_json(
        &mut h,
        &json!({ "action": "ping", "data": {}, "metadata": { "requestId": "old" } }),
    )
    .await;
    assert_eq!(reply(&mut h, "old").await["type"], "pong");
    let _ = room;
    app.stop().await;
}

#[tokio::test]
async fn a_token_is_needed_to_create_or_join() {
    let app = spawn_app(|_| {}).await;
    let (_h, room, _) = host(&app, json!({})).await;
    let mut anon = live(&app, None).await;
    send(
        &mut anon,
        "a",
        "join_room",
        Some(&room),
        json!({ "participant": { "name": "a" } }),
        Some("j"),
    )
    .await;
    let r = reply(&mut anon, "j").await;
    assert_eq!(r["type"], "join_room");
    assert_eq!(r["data"]["success"], false);
    assert!(r["data"]["error"].as_str().unwrap().contains("token"));
    send(&mut anon, "a", "ping", None, json!({}), Some("p")).await;
    assert_eq!(reply(&mut anon, "p").await["type"], "pong");
    app.stop().await;
}

#[tokio::test]
async fn private_rooms_are_joined_by_code_only() {
    let app = spawn_app(|_| {}).await;
    let token = guest_token(&app).await;
    let mut h = live(&app, Some(&token)).await;
    send(
        &mut h,
        "h",
        "join_room",
        None,
        json!({ "createRoom": { "name": "secret", "isPrivate": true } }),
        Some("c"),
    )
    .await;
    let r = reply(&mut h, "c").await;
    let room = r["data"]["room"]["id"].as_str().unwrap().to_owned();
    let code = r["data"]["room"]["code"].as_str().unwrap().to_owned();
    let (_, by_id) = join(&app, &room, "x", "viewer").await;
    assert_eq!(by_id["data"]["success"], false);
    let (_, by_code) = join(&app, &code, "y", "viewer").await;
    assert_eq!(by_code["data"]["success"], true);
    app.stop().await;
}

#[tokio::test]
async fn host_wins_refuses_a_controller_writing_what_the_host_just_wrote() {
    let app = spawn_app(|_| {}).await;
    let (mut h, room, _) = host(
        &app,
        json!({ "allowGuestControl": true, "conflictResolution": "host_wins" }),
    )
    .await;
    let (mut c, r) = join(&app, &room, "c", "participant").await;
    assert_eq!(r["data"]["participant"]["role"], "controller");
    send(
        &mut h,
        "host-1",
        "parameter_update",
        None,
        json!({ "parameters": { "hue": 0.1 } }),
        None,
    )
    .await;
    until(&mut c, |v| v["type"] == "parameter_update").await;
    send(
        &mut c,
        "c",
        "parameter_update",
        None,
        json!({ "parameters": { "hue": 0.9 } }),
        Some("w"),
    )
    .await;
    assert_eq!(reply(&mut c, "w").await["data"]["code"], "conflict");
    send(
        &mut c,
        "c",
        "parameter_update",
        None,
        json!({ "parameters": { "speed": 2.5 } }),
        Some("ok"),
    )
    .await;
    let s = state(&mut c, "c").await;
    assert_eq!(s["parameters"]["hue"], 0.1);
    assert_eq!(s["parameters"]["speed"], 2.5);
    app.stop().await;
}

#[tokio::test]
async fn direct_messages_reach_their_target_only() {
    let app = spawn_app(|_| {}).await;
    let (mut h, room, _) = host(&app, json!({})).await;
    let (mut a, _) = join(&app, &room, "a", "viewer").await;
    let (mut b, _) = join(&app, &room, "b", "viewer").await;
    let mut dm = json!({ "id": uuid_v4(), "type": "direct_message", "timestamp": 1, "source": "host-1", "target": "b", "data": { "hi": "b" } });
    send_json(&mut h, &dm).await;
    let got = until(&mut b, |v| v["type"] == "direct_message").await;
    assert_eq!(got["target"], "b");
    assert_eq!(got["data"]["hi"], "b");
    dm["target"] = json!("a");
    dm["data"] = json!({ "hi": "a" });
    send_json(&mut h, &dm).await;
    let got = until(&mut a, |v| v["type"] == "direct_message").await;
    assert_eq!(got["data"]["hi"], "a", "a never saw b's message");
    app.stop().await;
}

#[tokio::test]
async fn rooms_and_their_state_survive_a_restart_on_each_backend() {
    for backend in backends() {
        let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
        let url = fresh_database(backend).await;
        let app = spawn_app_in(dir.clone(), |c| c.database_url = url.clone()).await;
        let (mut h, room, code) = host(&app, json!({})).await;
        send(
            &mut h,
            "host-1",
            "parameter_update",
            None,
            json!({ "parameters": { "hue": 0.5 } }),
            None,
        )
        .await;
        send(
            &mut h,
            "host-1",
            "sync_state",
            None,
            json!({ "state": { "tempo": { "bpm": 128 } } }),
            Some("t"),
        )
        .await;
        assert_eq!(reply(&mut h, "t").await["data"]["version"], 2);
        app.stop().await;
        let app = spawn_app_in(dir, |c| c.database_url = url.clone()).await;
        let (mut d, r) = join(&app, &code, "d", "viewer").await;
        assert_eq!(r["data"]["success"], true, "{backend:?}: {r}");
        assert_eq!(r["data"]["room"]["id"], room);
        let s = state(&mut d, "d").await;
        assert_eq!(s["parameters"]["hue"], 0.5, "{backend:?}");
        assert_eq!(s["tempo"]["bpm"], 128.0, "{backend:?}");
        assert_eq!(s["version"], 2, "{backend:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn preset_update_loads_a_saved_preset_into_the_room_for_everyone() {
    let app = spawn_app(|_| {}).await;
    let (mut h, room, _) = host(&app, json!({})).await;
    let (mut d, _) = join(&app, &room, "d", "viewer").await;
    let token = guest_token(&app).await;
    let body = json!({
        "name": "Warm tunnel", "isPublic": true,
        "layers": [{ "id": "t", "effectType": "tunnel", "opacity": 0.6, "visible": true, "blendMode": "screen", "order": 0, "parameters": { "speed": 1.5 } }],
        "parameters": { "hue": 0.1 },
        "globalSettings": { "bpm": 128 }
    });
    let (status, preset) = common::call(
        &app,
        reqwest::Method::POST,
        "/api/presets",
        Some(&token),
        Some(&body),
    )
    .await;
    assert_eq!(status, 201, "{preset}");
    let id = preset["id"].as_i64().unwrap();
    send(
        &mut h,
        "host-1",
        "preset_update",
        None,
        json!({ "presetId": id }),
        Some("p"),
    )
    .await;
    let got = until(&mut d, |v| v["type"] == "preset_update").await;
    assert_eq!(got["data"]["presetId"], id);
    let s = state(&mut d, "d").await;
    assert_eq!(s["activePresetId"], id.to_string());
    assert_eq!(s["layers"][0]["effectType"], "tunnel");
    assert_eq!(s["layers"][0]["blendMode"], "screen");
    assert_eq!(s["parameters"]["hue"], 0.1);
    assert_eq!(s["tempo"]["bpm"], 128.0);
    send(
        &mut h,
        "host-1",
        "preset_update",
        None,
        json!({ "presetId": 999_999 }),
        Some("q"),
    )
    .await;
    assert_eq!(reply(&mut h, "q").await["data"]["code"], "not_found");
    app.stop().await;
}
