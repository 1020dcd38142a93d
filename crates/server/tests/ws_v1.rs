//! Protocol v1 against the real server: hello, snapshot then deltas, request ids, typed errors, binary
//! framing with compression, and resume after reconnect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use protocol::frame::Frame;
use protocol::v1::{
    ClientMessage, ErrorCode, ReplyBody, SUBPROTOCOL_BIN, SUBPROTOCOL_JSON, ServerMessage,
};

fn create(request_id: u32, kind: &str, position: [f64; 3]) -> ClientMessage {
    ClientMessage::CreateBody {
        request_id,
        kind: kind.into(),
        position,
        velocity: None,
    }
}

async fn flow(subprotocol: &str) {
    let app = spawn_app(|_| {}).await;
    let (mut c, welcome) = V1Client::join(&app, subprotocol, hello(1)).await;
    let ServerMessage::Welcome {
        request_id,
        resumed,
        tick_rate_hz,
        ..
    } = welcome
    else {
        unreachable!()
    };
    assert_eq!((request_id, resumed, tick_rate_hz), (1, false, 20));

    // A snapshot first, then deltas, each based on the previous frame's tick.
    let first = c.next_frame().await;
    assert!(matches!(first, Frame::Snapshot { .. }), "{first:?}");
    assert!(c.view.bodies.len() >= 50);
    let mut last = first.tick();
    for _ in 0..5 {
        let (base_tick, tick) = c.next_delta().await;
        assert_eq!(base_tick, last);
        last = tick;
    }

    // A request is answered with its id; the body appears in the view, owned by this player.
    send_json(&mut c.ws, &create(7, "comet", [-30_000.0, 25_000.0, 0.0])).await;
    let body = c
        .until(|m, _| match m {
            ServerMessage::Reply {
                request_id: 7,
                result: ReplyBody::BodyCreated { body },
            } => Some(*body),
            ServerMessage::Error {
                request_id: Some(7),
                ..
            } => panic!("{m:?}"),
            _ => None,
        })
        .await;
    let player = c.player;
    c.until(|_, view| {
        view.bodies
            .iter()
            .any(|b| b.id == body && b.owner == player)
            .then_some(())
    })
    .await;

    // PlayerState shows the charge (comet: 500 of the 1,000 starting dust).
    let dust = c
        .until(|m, _| match m {
            ServerMessage::PlayerState { resources, .. } => Some(resources.cosmic_dust),
            _ => None,
        })
        .await;
    assert!((500.0..600.0).contains(&dust), "dust {dust}");

    // Typed errors echo the request id; the connection stays open.
    send_json(&mut c.ws, &create(8, "comet", [1e9, 0.0, 0.0])).await;
    send_json(&mut c.ws, &create(9, "wormhole", [0.0, 0.0, 0.0])).await;
    send_json(
        &mut c.ws,
        &ClientMessage::BuyResearch {
            request_id: 10,
            research: "stellar_ignition".into(),
        },
    )
    .await;
    send_json(
        &mut c.ws,
        &ClientMessage::RemoveBody {
            request_id: 11,
            body: c.view.bodies[0].id,
        },
    )
    .await;
    send_json(
        &mut c.ws,
        &serde_json::json!({"type": "dance", "request_id": 12}),
    )
    .await;
    let mut codes = Vec::new();
    while codes.len() < 5 {
        let m = c
            .until(|m, _| matches!(m, ServerMessage::Error { .. }).then(|| m.clone()))
            .await;
        let ServerMessage::Error {
            request_id, code, ..
        } = m
        else {
            unreachable!()
        };
        codes.push((request_id, code));
    }
    codes.sort_by_key(|(id, _)| *id);
    assert_eq!(
        codes,
        vec![
            (None, ErrorCode::BadMessage),
            (Some(8), ErrorCode::OutOfBounds),
            (Some(9), ErrorCode::UnknownKind),
            (Some(10), ErrorCode::NotEnoughResources),
            (Some(11), ErrorCode::NotOwner),
        ]
    );
    send_json(&mut c.ws, &ClientMessage::Ping { request_id: 13 }).await;
    c.until(|m, _| {
        matches!(
            m,
            ServerMessage::Reply {
                request_id: 13,
                result: ReplyBody::Pong
            }
        )
        .then_some(())
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn v1_json_flow() {
    flow(SUBPROTOCOL_JSON).await;
}

#[tokio::test]
async fn v1_binary_flow() {
    flow(SUBPROTOCOL_BIN).await;
}

/// Binary frames of a big world are compressed; a client that only takes deflate gets deflate.
#[tokio::test]
async fn binary_frames_use_the_codecs_the_client_accepts() {
    let app = spawn_app(|c| c.world_bodies = 2_000).await;
    let mut msg = hello(1);
    if let ClientMessage::Hello { codecs, .. } = &mut msg {
        *codecs = Some(vec![protocol::Codec::Deflate]);
    }
    let (mut c, _) = V1Client::join(&app, SUBPROTOCOL_BIN, msg).await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..10 {
        let raw = next_data(&mut c.ws).await.unwrap();
        let bytes = raw.into_data();
        seen.insert(bytes[0]);
    }
    assert!(
        seen.iter()
            .all(|b| *b == protocol::Codec::Deflate as u8 || *b == protocol::Codec::None as u8),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(protocol::Codec::Deflate as u8)),
        "large frames are compressed: {seen:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn hello_is_required_and_checked() {
    let app = spawn_app(|_| {}).await;
    let mut ws = connect(&app, Some(SUBPROTOCOL_JSON), "").await;
    send_json(&mut ws, &ClientMessage::Ping { request_id: 1 }).await;
    let m = parse_v1(next_data(&mut ws).await.unwrap());
    assert!(
        matches!(
            m,
            ServerMessage::Error {
                code: ErrorCode::HelloExpected,
                ..
            }
        ),
        "{m:?}"
    );
    assert_eq!(close_code(&mut ws).await, Some(1008));

    let mut ws = connect(&app, Some(SUBPROTOCOL_JSON), "").await;
    let mut bad = hello(3);
    if let ClientMessage::Hello { protocol_hash, .. } = &mut bad {
        *protocol_hash = "0000000000000000".into();
    }
    send_json(&mut ws, &bad).await;
    let m = parse_v1(next_data(&mut ws).await.unwrap());
    assert!(
        matches!(
            m,
            ServerMessage::Error {
                request_id: Some(3),
                code: ErrorCode::ProtocolMismatch,
                ..
            }
        ),
        "{m:?}"
    );
    assert_eq!(close_code(&mut ws).await, Some(1002));
    app.stop().await;
}

/// After a reconnect with the session token and the last applied tick, the server sends a delta from that
/// tick (not a snapshot), and the player is the same.
#[tokio::test]
async fn resume_after_reconnect_gets_a_delta() {
    let app = spawn_app(|_| {}).await;
    let (mut c, _) = V1Client::join(&app, SUBPROTOCOL_BIN, hello(1)).await;
    for _ in 0..3 {
        c.next_frame().await;
    }
    let (player, token, view) = (c.player, c.token.clone(), c.view.clone());
    drop(c);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let mut msg = hello(2);
    if let ClientMessage::Hello {
        token: t,
        resume_tick,
        ..
    } = &mut msg
    {
        *t = Some(token);
        *resume_tick = Some(view.tick);
    }
    let (mut c, welcome) = V1Client::join(&app, SUBPROTOCOL_BIN, msg).await;
    let ServerMessage::Welcome {
        resumed,
        player: again,
        ..
    } = welcome
    else {
        unreachable!()
    };
    assert!(resumed);
    assert_eq!(again, player);
    c.view = view.clone();
    match c.next_frame().await {
        Frame::Delta { base_tick, .. } => assert_eq!(base_tick, view.tick),
        other => panic!("expected a delta from the resume tick, got a {other:?}"),
    }

    // Resuming from a tick the server does not hold gets a snapshot.
    let mut msg = hello(3);
    if let ClientMessage::Hello { resume_tick, .. } = &mut msg {
        *resume_tick = Some(view.tick + 1_000_000);
    }
    let (mut c, welcome) = V1Client::join(&app, SUBPROTOCOL_BIN, msg).await;
    assert!(matches!(
        welcome,
        ServerMessage::Welcome { resumed: false, .. }
    ));
    assert!(matches!(c.next_frame().await, Frame::Snapshot { .. }));
    app.stop().await;
}

/// Without a token a v1 connection watches a public world: it gets frames, and its commands are refused
/// with `read_only` while the connection stays open.
#[tokio::test]
async fn without_a_token_a_client_only_watches() {
    let app = spawn_app(|_| {}).await;
    let (mut c, welcome) = V1Client::join_as(&app, SUBPROTOCOL_BIN, hello(1)).await;
    let ServerMessage::Welcome { player, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(player, 0, "a watcher is nobody");
    c.next_frame().await;
    send_json(
        &mut c.ws,
        &ClientMessage::RemoveBody {
            request_id: 7,
            body: 1,
        },
    )
    .await;
    let code = c
        .until(|m, _| match m {
            ServerMessage::Error {
                request_id: Some(7),
                code,
                ..
            } => Some(*code),
            _ => None,
        })
        .await;
    assert_eq!(code, protocol::v1::ErrorCode::ReadOnly);
    c.next_frame().await;
    app.stop().await;
}

/// A token given on the upgrade URL plays as its account, and the welcome hands it back (a client
/// stores the welcome's token to resume with).
#[tokio::test]
async fn the_upgrade_token_is_echoed_in_the_welcome() {
    let app = spawn_app(|_| {}).await;
    let token = guest_token(&app).await;
    let mut ws = connect(&app, Some(SUBPROTOCOL_BIN), &format!("?token={token}")).await;
    send_json(&mut ws, &hello(1)).await;
    let welcome = parse_v1(next_data(&mut ws).await.unwrap());
    let ServerMessage::Welcome {
        player,
        token: echoed,
        ..
    } = welcome
    else {
        panic!("expected welcome, got {welcome:?}")
    };
    assert_ne!(player, 0, "the upgrade's token plays");
    assert_eq!(echoed, token);
    app.stop().await;
}

/// A bad token is refused at hello with `unauthorized` and close code 1008.
#[tokio::test]
async fn a_forged_token_is_refused() {
    let app = spawn_app(|_| {}).await;
    let mut msg = hello(1);
    if let ClientMessage::Hello { token, .. } = &mut msg {
        *token = Some("not.a.jwt".into());
    }
    let mut ws = connect(&app, Some(SUBPROTOCOL_BIN), "").await;
    send_json(&mut ws, &msg).await;
    let m = parse_v1(next_data(&mut ws).await.unwrap());
    assert!(
        matches!(
            m,
            ServerMessage::Error {
                code: protocol::v1::ErrorCode::Unauthorized,
                ..
            }
        ),
        "{m:?}"
    );
    assert_eq!(close_code(&mut ws).await, Some(1008));
    app.stop().await;
}
