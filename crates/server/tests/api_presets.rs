//! The preset API against the real server, on SQLite and on PostgreSQL (with Redis as the cache): a
//! create, read, replace and history round trip, every write rule naming its field, who may see and
//! change what, deletion, and the list's filters and pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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
    let (status, preset) = call(app, Method::POST, "/api/presets", Some(token), Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{preset}");
    preset
}

fn show() -> Value {
    json!({
        "name": "  Neon Tunnel  ",
        "description": "Strobes at 50% speed",
        "isPublic": true,
        "tags": ["techno", "strobe"],
        "layers": [
            {"id": "bg", "name": "Background", "effectType": "gradient", "opacity": 0.5,
             "visible": true, "blendMode": "screen", "order": 0,
             "parameters": {"hue": 200, "colors": [0.1, 0.2, 0.3], "label": "sky", "on": true}},
            {"id": "fx", "effectType": "tunnel_3d"}
        ],
        "parameters": {"intensity": 0.8, "mode.alt": "fast"},
        "globalSettings": {"bpm": 128}
    })
}

fn ids(list: &Value) -> Vec<i64> {
    list["presets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn create_read_replace_and_read_the_history() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let (owner, owner_id) = guest(&app).await;

        let created = create(&app, &owner, show()).await;
        let id = created["id"].as_i64().unwrap();
        assert_eq!(created["ownerId"], owner_id);
        assert_eq!(created["name"], "Neon Tunnel", "the name is trimmed");
        assert_eq!(created["version"], 1);
        assert_eq!(created["isPublic"], true);
        assert_eq!(created["tags"], json!(["techno", "strobe"]));
        assert_eq!(created["createdAt"], created["updatedAt"]);
        // Every default is filled in, and parameters come back as they were sent.
        let fx = &created["layers"][1];
        assert_eq!(
            (
                &fx["name"],
                &fx["opacity"],
                &fx["visible"],
                &fx["blendMode"],
                &fx["order"]
            ),
            (
                &json!(""),
                &json!(1.0),
                &json!(true),
                &json!("normal"),
                &json!(1)
            )
        );
        assert_eq!(created["layers"][0]["parameters"]["hue"], json!(200));
        assert_eq!(
            created["layers"][0]["parameters"]["colors"],
            json!([0.1, 0.2, 0.3])
        );
        assert_eq!(
            created["globalSettings"],
            json!({"bpm": 128.0, "masterOpacity": 1.0, "speed": 1.0})
        );

        let path = format!("/api/presets/{id}");
        for _ in 0..2 {
            // The second read is served from the cache: the same preset.
            let (status, got) = call(&app, Method::GET, &path, None, None).await;
            assert_eq!(status, StatusCode::OK, "{got}");
            assert_eq!(got, created);
        }

        // A live room reads the content as stored: camelCase, exactly three keys.
        let (owner_of, public, content) = app
            .state
            .api
            .store
            .preset_content(id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((owner_of, public), (Some(owner_id), true));
        let content: Value = serde_json::from_str(&content).unwrap();
        let mut keys: Vec<_> = content.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["globalSettings", "layers", "parameters"]);
        assert_eq!(content["layers"], created["layers"]);
        assert_eq!(
            app.state.api.store.preset_content(id + 100).await.unwrap(),
            None
        );

        let mut second = show();
        second["name"] = json!("Neon Tunnel II");
        second["tags"] = json!(["house"]);
        second["layers"] = json!([{"id": "solo", "effectType": "kaleido", "opacity": 0.25}]);
        let (status, replaced) = call(&app, Method::PUT, &path, Some(&owner), Some(&second)).await;
        assert_eq!(status, StatusCode::OK, "{replaced}");
        assert_eq!(replaced["version"], 2);
        assert_eq!(replaced["createdAt"], created["createdAt"]);
        assert_eq!(replaced["layers"][0]["id"], "solo");
        let (_, got) = call(&app, Method::GET, &path, None, None).await;
        assert_eq!(got, replaced, "the cached version 1 was invalidated");
        let mut third = second.clone();
        third["name"] = json!("Neon Tunnel III");
        let (status, _) = call(&app, Method::PUT, &path, Some(&owner), Some(&third)).await;
        assert_eq!(status, StatusCode::OK);

        let (status, history) =
            call(&app, Method::GET, &format!("{path}/versions"), None, None).await;
        assert_eq!(status, StatusCode::OK, "{history}");
        let lines: Vec<(i64, &str)> = history["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["version"].as_i64().unwrap(), v["name"].as_str().unwrap()))
            .collect();
        assert_eq!(
            lines,
            [
                (3, "Neon Tunnel III"),
                (2, "Neon Tunnel II"),
                (1, "Neon Tunnel")
            ]
        );
        assert_eq!(
            (history["total"].as_i64(), history["limit"].as_i64()),
            (Some(3), Some(20))
        );
        let (_, page) = call(
            &app,
            Method::GET,
            &format!("{path}/versions?limit=1&offset=1"),
            None,
            None,
        )
        .await;
        assert_eq!(page["versions"][0]["version"], 2);
        assert_eq!(page["versions"].as_array().unwrap().len(), 1);

        // Version 1, whole, as it was.
        let (status, first) =
            call(&app, Method::GET, &format!("{path}/versions/1"), None, None).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(first["version"], 1);
        for key in [
            "name",
            "tags",
            "layers",
            "parameters",
            "globalSettings",
            "createdAt",
        ] {
            assert_eq!(first[key], created[key], "{key}");
        }
        assert_eq!(first["updatedAt"], created["updatedAt"]);
        let (_, second_seen) =
            call(&app, Method::GET, &format!("{path}/versions/2"), None, None).await;
        assert_eq!(second_seen, replaced);
        for missing in ["0", "4", "-1"] {
            let (status, _) = call(
                &app,
                Method::GET,
                &format!("{path}/versions/{missing}"),
                None,
                None,
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "version {missing}");
        }
        let (status, err) = call(
            &app,
            Method::GET,
            &format!("{path}/versions/last"),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(err["error"]["field"], "n");
        app.stop().await;
    }
}

#[tokio::test]
async fn every_write_rule_names_its_field() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let (token, _) = guest(&app).await;
        let with = |patch: Value| {
            let mut body = show();
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        let layer = |patch: Value| {
            let mut l = json!({"id": "a", "effectType": "plain"});
            for (k, v) in patch.as_object().unwrap() {
                l[k] = v.clone();
            }
            json!({"layers": [{"id": "x", "effectType": "plain"}, {"id": "y", "effectType": "plain"}, l]})
        };
        let many = |n: usize, f: &dyn Fn(usize) -> Value| Value::Array((0..n).map(f).collect());
        let numbers: Vec<f64> = (0..17).map(f64::from).collect();
        let params: serde_json::Map<String, Value> =
            (0..65).map(|i| (format!("p{i}"), json!(i))).collect();
        let cases = [
            (
                with(json!({"name": "   "})),
                "name",
                "name must be 1 to 100",
            ),
            (
                with(json!({"name": "x".repeat(101)})),
                "name",
                "name must be 1 to 100",
            ),
            (with(json!({"name": "bell\u{7}"})), "name", "printable"),
            (
                with(json!({"description": "d".repeat(501)})),
                "description",
                "at most 500",
            ),
            (
                with(json!({"description": "nul\u{0}"})),
                "description",
                "control",
            ),
            (
                with(json!({"tags": many(11, &|i| json!(format!("t{i}")))})),
                "tags",
                "at most 10",
            ),
            (
                with(json!({"tags": ["ok", "Caps"]})),
                "tags[1]",
                "tags[1] must be 1 to 32",
            ),
            (
                with(json!({"tags": ["x".repeat(33)]})),
                "tags[0]",
                "tags[0] must be",
            ),
            (
                with(json!({"tags": ["a", "b", "a"]})),
                "tags[2]",
                "repeated",
            ),
            (
                with(
                    json!({"layers": many(33, &|i| json!({"id": i.to_string(), "effectType": "e"}))}),
                ),
                "layers",
                "at most 32",
            ),
            (
                with(layer(json!({"opacity": 1.5}))),
                "layers[2].opacity",
                "layers[2].opacity must be between 0 and 1",
            ),
            (
                with(layer(json!({"opacity": -0.1}))),
                "layers[2].opacity",
                "between 0 and 1",
            ),
            (with(layer(json!({"id": ""}))), "layers[2].id", "1 to 64"),
            (
                with(layer(json!({"id": "i".repeat(65)}))),
                "layers[2].id",
                "1 to 64",
            ),
            (with(layer(json!({"id": "x"}))), "layers[2].id", "repeats"),
            (
                with(layer(json!({"name": "n".repeat(101)}))),
                "layers[2].name",
                "at most 100",
            ),
            (
                with(layer(json!({"effectType": "has space"}))),
                "layers[2].effectType",
                "A-Z",
            ),
            (
                with(layer(json!({"effectType": "e".repeat(33)}))),
                "layers[2].effectType",
                "1 to 32",
            ),
            (
                with(layer(json!({"blendMode": "burn"}))),
                "layers[2].blendMode",
                "one of normal, add",
            ),
            (
                with(layer(json!({"order": 1001}))),
                "layers[2].order",
                "between 0 and 1000",
            ),
            (
                with(layer(json!({"order": -1}))),
                "layers[2].order",
                "between 0 and 1000",
            ),
            (
                with(layer(json!({"parameters": {"s": "s".repeat(257)}}))),
                "layers[2].parameters.s",
                "at most 256 characters",
            ),
            (
                with(json!({"parameters": {"bad name": 1}})),
                "parameters",
                "names must be",
            ),
            (
                with(json!({"parameters": {"n": {"nested": 1}}})),
                "parameters.n",
                "must be a number",
            ),
            (
                with(json!({"parameters": {"n": null}})),
                "parameters.n",
                "must be a number",
            ),
            (
                with(json!({"parameters": {"n": numbers}})),
                "parameters.n",
                "at most 16 numbers",
            ),
            (
                with(json!({"parameters": {"n": [1, "two"]}})),
                "parameters.n",
                "must be a number",
            ),
            (
                with(json!({"parameters": params})),
                "parameters",
                "at most 64",
            ),
            (
                with(json!({"globalSettings": {"bpm": 10}})),
                "globalSettings.bpm",
                "between 20 and 300",
            ),
            (
                with(json!({"globalSettings": {"masterOpacity": 2}})),
                "globalSettings.masterOpacity",
                "between 0 and 1",
            ),
            (
                with(json!({"globalSettings": {"speed": 11}})),
                "globalSettings.speed",
                "between 0 and 10",
            ),
        ];
        for (body, field, message) in cases {
            let (status, err) = call(
                &app,
                Method::POST,
                "/api/presets",
                Some(&token),
                Some(&body),
            )
            .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {err}");
            assert_eq!(err["error"]["code"], "validation");
            assert_eq!(err["error"]["field"], field, "{err}");
            let text = err["error"]["message"].as_str().unwrap();
            assert!(text.contains(message), "{field}: {text}");
        }

        // Unreadable bodies are the extractor's 400s; the bare minimum is fine.
        let r = reqwest::Client::new()
            .post(app.http("/api/presets"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{\"name\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        for body in [
            json!({"layers": []}),
            with(layer(json!({"opacity": "half"}))),
            with(json!({"tags": "one"})),
        ] {
            let (status, err) = call(
                &app,
                Method::POST,
                "/api/presets",
                Some(&token),
                Some(&body),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {err}");
        }
        let minimal = create(&app, &token, json!({"name": "Blank", "unknownField": 1})).await;
        assert_eq!(minimal["isPublic"], false);
        assert_eq!(minimal["description"], Value::Null);
        assert_eq!(minimal["layers"], json!([]));
        assert_eq!(minimal["parameters"], json!({}));
        assert_eq!(
            minimal["globalSettings"],
            json!({"bpm": 120.0, "masterOpacity": 1.0, "speed": 1.0})
        );
        // A replacement follows the same rules.
        let path = format!("/api/presets/{}", minimal["id"]);
        let (status, err) = call(
            &app,
            Method::PUT,
            &path,
            Some(&token),
            Some(&with(layer(json!({"opacity": 3})))),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err["error"]["field"], "layers[2].opacity");
        app.stop().await;
    }
}

#[tokio::test]
async fn only_owners_write_and_private_presets_stay_hidden() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let (owner, _) = guest(&app).await;
        let (other, _) = guest(&app).await;
        let body = json!({"name": "Mine"});

        let (status, err) = call(&app, Method::POST, "/api/presets", None, Some(&body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(err["error"]["code"], "unauthorized");
        let private = create(&app, &owner, body.clone()).await;
        let public = create(&app, &owner, json!({"name": "Ours", "isPublic": true})).await;
        let private = format!("/api/presets/{}", private["id"]);
        let public = format!("/api/presets/{}", public["id"]);

        for path in [&private, &public] {
            let (status, _) = call(&app, Method::PUT, path, None, Some(&body)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "PUT {path}");
            let (status, _) = call(&app, Method::DELETE, path, None, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "DELETE {path}");
        }
        // Someone else's private preset does not exist for them, nor for anonymous callers.
        for token in [None, Some(other.as_str())] {
            for suffix in ["", "/versions", "/versions/1"] {
                let path = format!("{private}{suffix}");
                let (status, _) = call(&app, Method::GET, &path, token, None).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
            }
        }
        let (status, _) = call(&app, Method::PUT, &private, Some(&other), Some(&body)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = call(&app, Method::DELETE, &private, Some(&other), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Someone else's public preset: readable, not writable.
        let (status, _) = call(&app, Method::GET, &public, Some(&other), None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, err) = call(&app, Method::PUT, &public, Some(&other), Some(&body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(err["error"]["code"], "forbidden");
        let (status, err) = call(&app, Method::DELETE, &public, Some(&other), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(err["error"]["code"], "forbidden");
        let (_, still) = call(&app, Method::GET, &public, None, None).await;
        assert_eq!(still["version"], 1, "the refused writes changed nothing");

        // The owner reads the private one; making the public one private hides it (the cached copy too).
        let (status, _) = call(&app, Method::GET, &private, Some(&owner), None).await;
        assert_eq!(status, StatusCode::OK);
        let hide = json!({"name": "Ours", "isPublic": false});
        let (status, _) = call(&app, Method::PUT, &public, Some(&owner), Some(&hide)).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = call(&app, Method::GET, &public, None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = call(&app, Method::GET, "/api/presets/abc", None, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        app.stop().await;
    }
}

#[tokio::test]
async fn deleting_removes_the_preset_and_its_history() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let (owner, _) = guest(&app).await;
        let preset = create(&app, &owner, json!({"name": "Gone soon", "isPublic": true})).await;
        let id = preset["id"].as_i64().unwrap();
        let path = format!("/api/presets/{id}");
        let (status, _) = call(&app, Method::PUT, &path, Some(&owner), Some(&show())).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = call(&app, Method::GET, &path, None, None).await;
        assert_eq!(status, StatusCode::OK, "cached before the delete");

        let (status, _) = call(&app, Method::DELETE, &path, Some(&owner), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        for suffix in ["", "/versions", "/versions/1", "/versions/2"] {
            let (status, _) = call(&app, Method::GET, &format!("{path}{suffix}"), None, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}{suffix}");
        }
        let (status, _) = call(&app, Method::DELETE, &path, Some(&owner), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(app.state.api.store.preset_content(id).await.unwrap(), None);
        let (_, list) = call(
            &app,
            Method::GET,
            "/api/presets?mine=true",
            Some(&owner),
            None,
        )
        .await;
        assert_eq!(list["total"], 0);
        app.stop().await;
    }
}

#[tokio::test]
async fn lists_filter_search_and_page() {
    for backend in backends() {
        let app = spawn_app_on(backend, |_| {}).await;
        let (a, a_id) = guest(&app).await;
        let (b, _) = guest(&app).await;
        let mut made = Vec::new();
        for (token, name, public, tags, description) in [
            (&a, "Acid Rain", true, json!(["techno"]), "green strobes"),
            (&a, "Deep Blue", false, json!(["ambient", "techno"]), "slow"),
            (&a, "50% Off", true, json!([]), "half speed"),
            (&b, "Blue Monday", true, json!(["house"]), "ÉCLAIR lights"),
            (&b, "Secret B", false, json!(["techno"]), ""),
        ] {
            let body =
                json!({"name": name, "isPublic": public, "tags": tags, "description": description});
            made.push(create(&app, token, body).await["id"].as_i64().unwrap());
        }
        let [acid, deep, off, monday, secret] = made[..] else {
            unreachable!()
        };
        let list = |query: &str, token: Option<&str>| {
            let path = format!("/api/presets{query}");
            let app = &app;
            let token = token.map(str::to_string);
            async move {
                let (status, body) = call(app, Method::GET, &path, token.as_deref(), None).await;
                assert_eq!(status, StatusCode::OK, "{path}: {body}");
                body
            }
        };
        let sorted = |mut v: Vec<i64>| {
            v.sort_unstable();
            v
        };

        let anon = list("", None).await;
        assert_eq!(sorted(ids(&anon)), [acid, off, monday]);
        assert_eq!(anon["total"], 3);
        assert!(
            anon["presets"][0].get("layers").is_none(),
            "lists hold summaries"
        );
        let seen_by_a = list("", Some(&a)).await;
        assert_eq!(sorted(ids(&seen_by_a)), [acid, deep, off, monday]);
        // Newest updated first, ties broken by the newer id.
        let keys: Vec<(i64, i64)> = seen_by_a["presets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["updatedAt"].as_i64().unwrap(), p["id"].as_i64().unwrap()))
            .collect();
        let mut expected = keys.clone();
        expected.sort_unstable_by(|x, y| y.cmp(x));
        assert_eq!(keys, expected);

        assert_eq!(
            sorted(ids(&list("?mine=true", Some(&a)).await)),
            [acid, deep, off]
        );
        assert_eq!(
            sorted(ids(&list("?mine=true&public=true", Some(&a)).await)),
            [acid, off]
        );
        assert_eq!(
            sorted(ids(&list("?public=true", Some(&a)).await)),
            [acid, off, monday]
        );
        assert_eq!(
            sorted(ids(&list("?tag=techno", Some(&a)).await)),
            [acid, deep]
        );
        assert_eq!(
            sorted(ids(&list("?tag=techno", Some(&b)).await)),
            [acid, secret]
        );
        assert_eq!(
            sorted(ids(&list("?tag=techno&mine=true", Some(&b)).await)),
            [secret]
        );
        assert_eq!(
            sorted(ids(&list("?q=BLUE", Some(&a)).await)),
            [deep, monday]
        );
        assert_eq!(sorted(ids(&list("?q=%20strobes%20", None).await)), [acid]);
        assert_eq!(
            sorted(ids(&list("?q=%C3%A9clair", None).await)),
            [monday],
            "any case, not only ASCII"
        );
        // LIKE's wildcards are taken literally.
        assert_eq!(sorted(ids(&list("?q=50%25", None).await)), [off]);
        assert_eq!(ids(&list("?q=%25", None).await), [off]);
        assert_eq!(ids(&list("?q=_", None).await), Vec::<i64>::new());
        assert_eq!(
            list("?q=", None).await["total"],
            3,
            "an empty q filters nothing"
        );

        // Pages: the same order, cut.
        let all = ids(&seen_by_a);
        let first = list("?limit=2", Some(&a)).await;
        assert_eq!(
            (ids(&first), &first["limit"], &first["total"]),
            (all[..2].to_vec(), &json!(2), &json!(4))
        );
        let rest = list("?limit=2&offset=2", Some(&a)).await;
        assert_eq!(ids(&rest), all[2..].to_vec());
        assert_eq!(rest["offset"], 2);
        assert_eq!(ids(&list("?offset=10", Some(&a)).await), Vec::<i64>::new());

        // A replacement is the newest update.
        let path = format!("/api/presets/{deep}");
        let (status, _) = call(
            &app,
            Method::PUT,
            &path,
            Some(&a),
            Some(&json!({"name": "Deeper"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let top = list("?mine=true", Some(&a)).await;
        let newest = top["presets"][0]["updatedAt"].as_i64().unwrap();
        let deep_now = top["presets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == deep)
            .unwrap();
        assert_eq!(deep_now["updatedAt"].as_i64().unwrap(), newest);
        assert_eq!(deep_now["version"], 2);
        assert_eq!(deep_now["ownerId"], a_id);
        assert_eq!(
            deep_now["tags"],
            json!([]),
            "a replacement replaces the tags"
        );
        assert_eq!(
            ids(&list("?tag=ambient", Some(&a)).await),
            Vec::<i64>::new()
        );

        let (status, err) = call(&app, Method::GET, "/api/presets?mine=true", None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{err}");
        for (query, status, field) in [
            ("limit=0", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
            ("limit=101", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
            ("limit=ten", StatusCode::BAD_REQUEST, "limit"),
            ("offset=-1", StatusCode::UNPROCESSABLE_ENTITY, "offset"),
            ("tag=Techno", StatusCode::UNPROCESSABLE_ENTITY, "tag"),
            ("mine=maybe", StatusCode::BAD_REQUEST, "mine"),
            ("public=1", StatusCode::BAD_REQUEST, "public"),
            ("q=%00", StatusCode::UNPROCESSABLE_ENTITY, "q"),
        ] {
            let (got, err) = call(
                &app,
                Method::GET,
                &format!("/api/presets?{query}"),
                Some(&a),
                None,
            )
            .await;
            assert_eq!(got, status, "{query}: {err}");
            assert_eq!(err["error"]["field"], field, "{query}");
        }
        let (status, err) = call(
            &app,
            Method::GET,
            &format!("/api/presets/{acid}/versions?limit=0"),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err["error"]["field"], "limit");
        app.stop().await;
    }
}

#[tokio::test]
async fn openapi_describes_the_preset_routes() {
    let app = spawn_app_on(common::Backend::Sqlite, |_| {}).await;
    let doc: Value = reqwest::get(app.http("/api-docs/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, methods) in [
        ("/api/presets", &["get", "post"][..]),
        ("/api/presets/{id}", &["get", "put", "delete"]),
        ("/api/presets/{id}/versions", &["get"]),
        ("/api/presets/{id}/versions/{n}", &["get"]),
    ] {
        for method in methods {
            let op = &doc["paths"][path][method];
            assert_eq!(op["tags"], json!(["presets"]), "{method} {path}");
            for code in ["401", "408", "429", "503"] {
                assert!(
                    op["responses"][code].is_object(),
                    "{method} {path} documents {code}"
                );
            }
        }
    }
    let put = &doc["paths"]["/api/presets/{id}"]["put"]["responses"];
    for code in ["200", "400", "403", "404", "413", "415", "422"] {
        assert!(put[code].is_object(), "PUT documents {code}");
    }
    let schemas = &doc["components"]["schemas"];
    let tags = &schemas["PresetRequest"]["properties"]["tags"];
    assert_eq!(
        (tags["maxItems"].as_u64(), tags["uniqueItems"].as_bool()),
        (Some(10), Some(true))
    );
    let opacity = &schemas["LayerRequest"]["properties"]["opacity"];
    assert_eq!(
        (opacity["minimum"].as_f64(), opacity["maximum"].as_f64()),
        (Some(0.0), Some(1.0))
    );
    assert_eq!(schemas["ParamValue"]["oneOf"].as_array().unwrap().len(), 4);
    app.stop().await;
}

#[tokio::test]
async fn an_account_owns_its_quota_of_presets_and_no_more() {
    for backend in backends() {
        let app = spawn_app_on(backend, |c| c.quotas.guest_presets = 2).await;
        let (owner, _) = guest(&app).await;
        let first = create(&app, &owner, json!({"name": "One"})).await;
        create(&app, &owner, json!({"name": "Two"})).await;
        let (status, body) = call(
            &app,
            Method::POST,
            "/api/presets",
            Some(&owner),
            Some(&json!({"name": "Three"})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "quota_exceeded", "{body}");
        // Replacing one is not a new one; deleting one makes room.
        let path = format!("/api/presets/{}", first["id"]);
        let (status, _) = call(&app, Method::PUT, &path, Some(&owner), Some(&show())).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = call(&app, Method::DELETE, &path, Some(&owner), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        create(&app, &owner, json!({"name": "Three"})).await;
        app.stop().await;
    }
}
