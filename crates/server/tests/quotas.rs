//! Quotas against the real server: guests are held to guest quotas (worlds, bodies, tick rate,
//! players) and registered players to theirs; the node's simulation budget and one owner's share of
//! it refuse worlds that would break them; guest accounts are rate-limited per client address (REST
//! and v0 WebSocket alike), with the address taken from `X-Forwarded-For` only behind a trusted proxy;
//! unused guest accounts are removed and their tokens stop working.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;

use common::{TestApp, backends, call, spawn_app, spawn_app_on};

async fn guest(app: &TestApp) -> String {
    let (status, body) = call(app, Method::POST, "/api/auth/guest", None, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

async fn player(app: &TestApp, name: &str) -> String {
    let body = json!({"username": name, "email": format!("{name}@example.com"), "password": "correct horse battery"});
    let (status, body) = call(app, Method::POST, "/api/auth/register", None, Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

async fn create(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    call(app, Method::POST, "/api/worlds", Some(token), Some(&body)).await
}

/// The value of one series on `/metrics` (the recorder is the process's: other tests may add to it).
async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = reqwest::get(app.http("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{series} is not on /metrics"))
}

fn assert_refused(status: StatusCode, body: &Value, want: StatusCode, code: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
}

#[tokio::test]
async fn guests_and_players_are_held_to_their_quotas() {
    let app = spawn_app(|_| {}).await;
    let g = guest(&app).await;
    for (ask, field) in [
        (json!({"name": "big", "bodies": 5000}), "bodies"),
        (json!({"name": "fast", "tick_rate": 60}), "tick_rate"),
        (
            json!({"name": "crowded", "max_players": 5000}),
            "max_players",
        ),
    ] {
        let (status, body) = create(&app, &g, ask).await;
        assert_refused(status, &body, StatusCode::FORBIDDEN, "quota_exceeded");
        assert_eq!(body["error"]["field"], field);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("register"),
            "{body}"
        );
    }
    let (status, world) = create(&app, &g, json!({"name": "mine", "bodies": 1000})).await;
    assert_eq!(status, StatusCode::CREATED, "{world}");
    let (status, body) = create(&app, &g, json!({"name": "another"})).await;
    assert_refused(status, &body, StatusCode::FORBIDDEN, "quota_exceeded");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 1 worlds"),
        "{body}"
    );
    // A settings change is held to the same caps.
    let path = format!("/api/worlds/{}", world["id"]);
    let (status, body) = call(
        &app,
        Method::PATCH,
        &path,
        Some(&g),
        Some(&json!({"tick_rate": 60})),
    )
    .await;
    assert_refused(status, &body, StatusCode::FORBIDDEN, "quota_exceeded");

    // A registered player gets the larger quota.
    let p = player(&app, "quotaplayer").await;
    let (status, body) = create(
        &app,
        &p,
        json!({"name": "fast", "tick_rate": 60, "bodies": 2000}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn the_simulation_budget_refuses_worlds_that_would_break_it() {
    // The default world costs 60 bodies x 20 Hz = 1,200 body updates per second.
    let app = spawn_app(|c| {
        c.quotas.node_budget = 50_000;
        c.quotas.owner_budget_share = 0.5;
    })
    .await;
    let world = json!({"name": "w", "bodies": 1000, "tick_rate": 20});
    let a = player(&app, "budgeta").await;
    let (status, body) = create(&app, &a, world.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The owner's share is 25,000: a second world of 20,000 breaks it.
    let (status, body) = create(&app, &a, world.clone()).await;
    assert_refused(
        status,
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "simulation_budget_exhausted",
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("your worlds"),
        "{body}"
    );
    let b = player(&app, "budgetb").await;
    let (status, body) = create(&app, &b, world.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The node holds 41,200 now: 20,000 more would break its 50,000, whoever asks.
    let c = player(&app, "budgetc").await;
    let r = reqwest::Client::new()
        .post(app.http("/api/worlds"))
        .bearer_auth(&c)
        .json(&world)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().get("retry-after").is_some());
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("server's"),
        "{body}"
    );
    // A small enough world still fits.
    let (status, body) = create(
        &app,
        &c,
        json!({"name": "small", "bodies": 100, "tick_rate": 10}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let series = r#"cosmic_quota_refusals_total{what="world",reason="budget"}"#;
    assert!(metric(&app, series).await >= 2.0);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_creations_cannot_overshoot_the_world_quota() {
    let app = spawn_app(|c| c.quotas.guest_worlds = 2).await;
    let g = guest(&app).await;
    let tries = (0..10).map(|i| {
        let (app, g) = (&app, &g);
        async move {
            create(app, g, json!({"name": format!("w{i}"), "bodies": 10}))
                .await
                .0
        }
    });
    let statuses = futures_util::future::join_all(tries).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 2, "{statuses:?}");
    app.stop().await;
}

#[tokio::test]
async fn guest_accounts_are_rate_limited_per_address_on_every_path() {
    let app = spawn_app(|c| c.quotas.guests_per_address_per_hour = 3).await;
    for _ in 0..2 {
        guest(&app).await;
    }
    // The third guest of this address comes from a v0 connection without a token.
    let mut ws = common::connect(&app, None, "").await;
    common::until_type(&mut ws, "GameState").await;
    let r = reqwest::Client::new()
        .post(app.http("/api/auth/guest"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=1200).contains(&wait), "{wait}");
    // A fourth v0 guest is refused before the upgrade, with the same JSON 429.
    match tokio_tungstenite::connect_async(app.url()).await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS.as_u16());
        }
        other => panic!("expected a 429, got {:?}", other.map(|(_, r)| r.status())),
    }
    // Players with a token, and v1 watchers, are not guests in the making.
    let token = common::guest_token(&app).await;
    let mut ws = common::connect(&app, None, &format!("?token={token}")).await;
    common::until_type(&mut ws, "GameState").await;
    let _watcher = common::connect(&app, Some("cosmic.v1.json"), "").await;
    app.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_counted() {
    let app = spawn_app(|c| {
        c.quotas.guests_per_address_per_hour = 1;
        c.http.uncapped_addresses = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let from = |client: &'static str| {
        reqwest::Client::new()
            .post(app.http("/api/auth/guest"))
            .header("x-forwarded-for", client)
            .send()
    };
    assert_eq!(
        from("198.51.100.1").await.unwrap().status(),
        StatusCode::CREATED
    );
    assert_eq!(
        from("198.51.100.1").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // A forged first entry changes nothing: the proxy's own entry (the last) is the client.
    assert_eq!(
        from("203.0.113.5, 198.51.100.1").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        from("198.51.100.2").await.unwrap().status(),
        StatusCode::CREATED
    );
    app.stop().await;
}

#[tokio::test]
async fn unused_guests_are_removed_and_their_tokens_refused() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let idle = guest(&app).await;
        let (status, body) = call(&app, Method::POST, "/api/auth/guest", None, None).await;
        assert_eq!(status, StatusCode::CREATED);
        let active_refresh = body["refresh_token"].as_str().unwrap().to_string();
        let registered = player(&app, "staysput").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let cutoff = server::store::now_ms();
        tokio::time::sleep(Duration::from_millis(20)).await;
        // The active guest refreshes after the cutoff: that is use.
        let refresh = json!({"refresh_token": active_refresh});
        let (status, body) = call(
            &app,
            Method::POST,
            "/api/auth/refresh",
            None,
            Some(&refresh),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let active = body["access_token"].as_str().unwrap().to_string();

        let api = &app.state.api;
        let removed = server::quotas::guests::remove_unused_since(&api.store, &api.cache, cutoff)
            .await
            .unwrap();
        assert_eq!(removed, 1);
        let (status, _) = call(&app, Method::GET, "/api/users/me", Some(&idle), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        for token in [&active, &registered] {
            let (status, body) = call(&app, Method::GET, "/api/users/me", Some(token), None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        assert!(metric(&app, "cosmic_guests_removed_total").await >= 1.0);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_guests_world_holds_at_most_its_quota_of_live_bodies() {
    use protocol::v1::{ClientMessage, ErrorCode, ReplyBody, ServerMessage};
    const CAP: usize = 8;
    let app = spawn_app(|c| c.quotas.guest_world_max_bodies = CAP as u32).await;
    let g = guest(&app).await;
    let (status, world) = create(&app, &g, json!({"name": "tiny", "bodies": 0})).await;
    assert_eq!(status, StatusCode::CREATED, "{world}");
    assert_eq!(world["max_bodies"], CAP, "{world}");
    let hello = ClientMessage::Hello {
        request_id: 1,
        protocol_hash: protocol::v1::protocol_hash_hex(),
        token: Some(g.clone()),
        world: world["id"].as_u64(),
        resume_tick: None,
        codecs: None,
    };
    let (mut c, _) = common::V1Client::join_as(&app, "cosmic.v1.json", hello).await;
    c.next_frame().await;
    let generated = c.view.bodies.len();
    assert!(generated < CAP, "{generated} bodies generated");
    // Asteroids far apart, one at a time, until the world says it is full.
    let mut created = 0;
    let code = loop {
        let request_id = 10 + created as u32;
        let angle = created as f64;
        let position = [30_000.0 * angle.cos(), 30_000.0 * angle.sin(), 0.0];
        let kind = "asteroid".into();
        let create = ClientMessage::CreateBody {
            request_id,
            kind,
            position,
            velocity: None,
        };
        common::send_json(&mut c.ws, &create).await;
        let outcome = c
            .until(|m, _| match m {
                ServerMessage::Reply {
                    request_id: r,
                    result: ReplyBody::BodyCreated { .. },
                } if *r == request_id => Some(None),
                ServerMessage::Error {
                    request_id: Some(r),
                    code,
                    ..
                } if *r == request_id => Some(Some(*code)),
                _ => None,
            })
            .await;
        match outcome {
            None => created += 1,
            Some(code) => break code,
        }
        assert!(created <= CAP, "more bodies than the cap were accepted");
    };
    assert_eq!(code, ErrorCode::WorldLimitReached);
    assert_eq!(generated + created, CAP);
    app.stop().await;
}

#[tokio::test]
async fn worlds_over_a_lowered_budget_slow_down_and_the_servers_own_do_not() {
    let app = spawn_app(|_| {}).await;
    let p = player(&app, "slowed").await;
    let (status, world) = create(
        &app,
        &p,
        json!({"name": "big", "bodies": 1000, "tick_rate": 20}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{world}");
    let id = world["id"].as_u64().unwrap();
    let dir = app.dir.clone();
    app.stop().await;

    // The operator lowers the budget: the default world (60 bodies x 20 Hz = 1,200) leaves 10,000 of
    // 11,200 for the player's 1,000 x 20 = 20,000, so it runs at half speed.
    let app = common::spawn_app_in(dir, |c| {
        c.quotas.node_budget = 11_200;
        c.quotas.owner_budget_share = 1.0;
    })
    .await;
    let worlds = &app.state.game.garden.worlds;
    let period_ms = |id: u64| {
        let w = worlds.get(id).unwrap();
        w.stats
            .period_nanos
            .load(std::sync::atomic::Ordering::Relaxed)
            / 1_000_000
    };
    let mut slowed = 0;
    for _ in 0..100 {
        slowed = period_ms(id);
        if slowed >= 90 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        (90..=112).contains(&slowed),
        "the player's world ticks every {slowed} ms"
    );
    assert_eq!(period_ms(1), 50, "the server's own world keeps its rate");
    let speed = worlds
        .get(id)
        .unwrap()
        .settings
        .speed_percent
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!((45..=55).contains(&speed), "speed {speed} %");
    assert!(metric(&app, "cosmic_worlds_slowed").await >= 1.0);
    app.stop().await;
}
