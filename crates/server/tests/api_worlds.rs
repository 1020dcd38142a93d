//! The world API against the real server: creating worlds (their actors start), listing, settings by the
//! owner only, membership and capacity, the leaderboard's parameters and order, stats, and the OpenAPI
//! description with its Swagger UI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::store::PlayerStatsRow;

use common::{TestApp, backends, call, spawn_app_on};

/// A new guest's access token and user id.
async fn guest(app: &TestApp) -> (String, i64) {
    let (status, body) = call(app, Method::POST, "/api/auth/guest", None, None).await;
    assert_eq!(status, StatusCode::CREATED);
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["user"]["id"].as_i64().unwrap(),
    )
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, world) = call(app, Method::POST, "/api/worlds", Some(token), Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{world}");
    world
}

#[tokio::test]
async fn create_list_get_and_patch_worlds() {
    for backend in backends() {
        // The guest owns two worlds here (quotas have tests of their own).
        let app = spawn_app_on(backend, |c| c.quotas.guest_worlds = 2).await;
        let (owner, owner_id) = guest(&app).await;
        let (other, _) = guest(&app).await;

        let (status, _) = call(
            &app,
            Method::POST,
            "/api/worlds",
            None,
            Some(&json!({"name": "x"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        for (body, field) in [
            (json!({"name": ""}), "name"),
            (json!({"name": "w", "max_players": 0}), "max_players"),
            (json!({"name": "w", "tick_rate": 61}), "tick_rate"),
            (json!({"name": "w", "bodies": 5001}), "bodies"),
        ] {
            let (status, err) =
                call(&app, Method::POST, "/api/worlds", Some(&owner), Some(&body)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(err["error"]["field"], field);
        }

        let public = create(
            &app,
            &owner,
            json!({"name": "Meadow", "bodies": 10, "tick_rate": 10}),
        )
        .await;
        assert_eq!(public["owner_id"], owner_id);
        assert_eq!(public["members"], 0);
        assert_eq!(public["running"], true);
        let id = public["id"].as_i64().unwrap();
        assert!(
            app.state.game.garden.worlds.get(id as u64).is_some(),
            "the world's actor runs"
        );
        let private = create(
            &app,
            &owner,
            json!({"name": "Secret", "public": false, "bodies": 0}),
        )
        .await;
        let secret = private["id"].as_i64().unwrap();

        let ids = |list: &Value| -> Vec<i64> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|w| w["id"].as_i64().unwrap())
                .collect()
        };
        let (_, anon) = call(&app, Method::GET, "/api/worlds", None, None).await;
        assert_eq!(ids(&anon), vec![1, id]);
        let (_, mine) = call(&app, Method::GET, "/api/worlds", Some(&owner), None).await;
        assert_eq!(ids(&mine), vec![1, id, secret]);

        // Live figures come from the running world (its first tick may still be on the way).
        let mut got = Value::Null;
        for _ in 0..50 {
            let (status, body) =
                call(&app, Method::GET, &format!("/api/worlds/{id}"), None, None).await;
            assert_eq!(status, StatusCode::OK);
            got = body;
            if got["tick"].as_u64().unwrap() > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(got["name"], "Meadow");
        assert_eq!(got["tick_rate"], 10);
        assert!(got["tick"].as_u64().unwrap() > 0, "{got}");
        // The live count: bodies that collide in the first ticks merge (seen once under a loaded machine).
        let bodies = got["bodies"].as_u64().unwrap();
        assert!((1..=10).contains(&bodies), "{got}");
        let (status, _) = call(
            &app,
            Method::GET,
            &format!("/api/worlds/{secret}"),
            Some(&other),
            None,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "a private world is hidden from others"
        );
        let (status, _) = call(
            &app,
            Method::GET,
            &format!("/api/worlds/{secret}"),
            Some(&owner),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, err) = call(&app, Method::GET, "/api/worlds/abc", None, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(err["error"]["field"], "id");
        let (status, _) = call(&app, Method::GET, "/api/worlds/999", None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let patch = json!({"name": "Renamed"});
        let path = format!("/api/worlds/{id}");
        let (status, err) = call(&app, Method::PATCH, &path, Some(&other), Some(&patch)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(err["error"]["code"], "forbidden");
        let (status, err) = call(
            &app,
            Method::PATCH,
            &path,
            Some(&owner),
            Some(&json!({"tick_rate": 0})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err["error"]["field"], "tick_rate");
        let patch = json!({"name": "Renamed", "public": false, "tick_rate": 15});
        let (status, got) = call(&app, Method::PATCH, &path, Some(&owner), Some(&patch)).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert_eq!(got["name"], "Renamed");
        assert_eq!(got["tick_rate"], 15);
        assert!(
            !app.state
                .game
                .garden
                .worlds
                .get(id as u64)
                .unwrap()
                .is_public(),
            "the handle follows the setting"
        );
        let (status, _) = call(&app, Method::GET, &path, None, None).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "the cached summary was invalidated"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn join_leave_and_world_full() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let (a, _) = guest(&app).await;
        let (b, _) = guest(&app).await;
        let world = create(
            &app,
            &a,
            json!({"name": "Tiny", "max_players": 1, "bodies": 0}),
        )
        .await;
        let id = world["id"].as_i64().unwrap();
        let join = format!("/api/worlds/{id}/join");
        let leave = format!("/api/worlds/{id}/leave");
        let summary = format!("/api/worlds/{id}");

        let (status, _) = call(&app, Method::POST, &join, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        for _ in 0..2 {
            let (status, _) = call(&app, Method::POST, &join, Some(&a), None).await;
            assert_eq!(status, StatusCode::NO_CONTENT, "joining is idempotent");
        }
        let (_, got) = call(&app, Method::GET, &summary, None, None).await;
        assert_eq!(got["members"], 1);
        let (status, err) = call(&app, Method::POST, &join, Some(&b), None).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(err["error"]["code"], "world_full");

        let (status, _) = call(&app, Method::POST, &leave, Some(&a), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = call(&app, Method::POST, &join, Some(&b), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, got) = call(&app, Method::GET, &summary, None, None).await;
        assert_eq!(got["members"], 1);
        let (status, _) = call(&app, Method::POST, "/api/worlds/999/join", Some(&b), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        app.stop().await;
    }
}

fn stats_row(world: i64, user: i64, dust: f64, stars: i64) -> PlayerStatsRow {
    PlayerStatsRow {
        world_id: world,
        user_id: user,
        total_dust: dust,
        stars_created: stars,
        bodies_created: 1,
        highest_life_stage: 0,
        resources: "{\"cosmic_dust\":1.0}".into(),
        research: "{}".into(),
        updated_at: 0,
    }
}

#[tokio::test]
async fn leaderboard_orders_and_validates() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let world = app.state.game.garden.default_world as i64;
        let mut users = Vec::new();
        for _ in 0..3 {
            users.push(guest(&app).await);
        }
        let rows = [
            stats_row(world, users[0].1, 500.0, 1),
            stats_row(world, users[1].1, 1500.0, 0),
            stats_row(world, users[2].1, 900.0, 7),
        ];
        app.state.api.store.save_player_stats(&rows).await.unwrap();

        let order = |board: &Value| -> Vec<i64> {
            board["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["user_id"].as_i64().unwrap())
                .collect()
        };
        let (status, board) = call(&app, Method::GET, "/api/leaderboard", None, None).await;
        assert_eq!(status, StatusCode::OK, "{board}");
        assert_eq!(board["metric"], "total_dust");
        assert_eq!(board["limit"], 10);
        assert_eq!(order(&board), vec![users[1].1, users[2].1, users[0].1]);
        assert_eq!(board["entries"][0]["value"], 1500.0);
        let path = format!("/api/leaderboard?world={world}&metric=stars_created&limit=2");
        let (_, board) = call(&app, Method::GET, &path, None, None).await;
        assert_eq!(order(&board), vec![users[2].1, users[0].1]);

        for (query, status, field) in [
            ("metric=bogus", StatusCode::UNPROCESSABLE_ENTITY, "metric"),
            ("limit=0", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
            ("limit=101", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
            ("limit=ten", StatusCode::BAD_REQUEST, "limit"),
            ("world=first", StatusCode::BAD_REQUEST, "world"),
        ] {
            let (got, err) = call(
                &app,
                Method::GET,
                &format!("/api/leaderboard?{query}"),
                None,
                None,
            )
            .await;
            assert_eq!(got, status, "{query}: {err}");
            assert_eq!(err["error"]["field"], field, "{query}");
        }
        let (status, _) = call(&app, Method::GET, "/api/leaderboard?world=999", None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The caller's own figures.
        let (token, _) = &users[2];
        let (status, me) = call(
            &app,
            Method::GET,
            &format!("/api/worlds/{world}/players/me"),
            Some(token),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["stars_created"], 7);
        assert_eq!(me["resources"]["cosmic_dust"], 1.0);
        // A player with nothing stored in the world yet gets zeros, not a 404; an unknown world is a 404.
        let (fresh, fresh_id) = guest(&app).await;
        let (status, none) = call(
            &app,
            Method::GET,
            &format!("/api/worlds/{world}/players/me"),
            Some(&fresh),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{none}");
        assert_eq!(none["user_id"], fresh_id);
        assert_eq!(none["total_dust"], 0.0);
        assert_eq!(none["resources"], json!({}));
        let (status, _) = call(
            &app,
            Method::GET,
            "/api/worlds/999/players/me",
            Some(&fresh),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (status, stats) = call(&app, Method::GET, "/api/stats", None, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(stats["users"], 4);
        assert_eq!(stats["guests"], 4);
        assert_eq!(stats["worlds"], 1);
        assert_eq!(stats["worlds_running"], 1);
        assert_eq!(stats["players"], 3);
        assert_eq!(stats["total_dust"], 2900.0);
        assert_eq!(stats["stars_created"], 8);
        assert_eq!(stats["connections"], 0);
        app.stop().await;
    }
}

#[tokio::test]
async fn openapi_lists_every_endpoint_and_swagger_ui_is_served() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let doc: Value = reqwest::get(app.http("/api-docs/openapi.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            doc["openapi"]
        );
        for path in [
            "/api/auth/register",
            "/api/auth/login",
            "/api/auth/guest",
            "/api/auth/refresh",
            "/api/auth/logout",
            "/api/users/me",
            "/api/worlds",
            "/api/worlds/{id}",
            "/api/worlds/{id}/join",
            "/api/worlds/{id}/leave",
            "/api/worlds/{id}/players/me",
            "/api/leaderboard",
            "/api/stats",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} is documented");
        }
        for method in ["get", "patch", "delete"] {
            assert!(
                doc["paths"]["/api/users/me"][method].is_object(),
                "{method} /api/users/me"
            );
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        // What every write can answer is documented on each, and numbers carry their ranges.
        let create = &doc["paths"]["/api/worlds"]["post"]["responses"];
        for code in [
            "201", "400", "401", "403", "408", "413", "415", "422", "429", "503",
        ] {
            assert!(
                create[code].is_object(),
                "POST /api/worlds documents {code}"
            );
        }
        let refresh = &doc["paths"]["/api/auth/refresh"]["post"]["responses"];
        for code in ["400", "415", "422"] {
            assert!(
                refresh[code].is_object(),
                "POST /api/auth/refresh documents {code}"
            );
        }
        let bodies = &doc["components"]["schemas"]["CreateWorldRequest"]["properties"]["bodies"];
        assert_eq!(
            (bodies["minimum"].as_i64(), bodies["maximum"].as_i64()),
            (Some(0), Some(5000))
        );
        let r = reqwest::get(app.http("/swagger-ui/")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(r.text().await.unwrap().contains("swagger"));
        app.stop().await;

        let app = spawn_app_on(backend, |c| c.swagger_ui = false).await;
        let r = reqwest::get(app.http("/swagger-ui/")).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = reqwest::get(app.http("/api-docs/openapi.json"))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let doc: Value = r.json().await.unwrap();
        assert!(doc["paths"]["/api/stats"].is_object());
        app.stop().await;
    }
}
