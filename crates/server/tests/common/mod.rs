//! Test helpers: start the real server on port 0 and talk to it with real WebSocket clients.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use protocol::frame::{self, Frame, WorldView};
use protocol::v1::{self, ClientMessage, KIND_CONTROL, ServerMessage};
use server::{Application, Config};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct TestApp {
    pub port: u16,
    pub state: server::state::AppState,
    /// The data directory (removed when the app is dropped).
    pub dir: std::sync::Arc<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestApp {
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn http(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.task).await;
    }
}

/// Lets tests that need PostgreSQL or Redis be skipped on purpose (e.g. `cargo test` on a laptop without
/// them): `COSMIC_TEST_SKIP_SERVICES=1`. Without it a missing URL fails the test: none passes by skipping.
pub const SKIP_SERVICES: &str = "COSMIC_TEST_SKIP_SERVICES";

/// The URL in `var` (`TEST_DATABASE_URL`, `TEST_REDIS_URL`); when it is not set, `None` if skipping was
/// asked for, else the test fails naming what is missing.
pub fn service_url(var: &str, what: &str) -> Option<String> {
    if let Some(url) = std::env::var(var).ok().filter(|u| !u.is_empty()) {
        return Some(url);
    }
    if std::env::var_os(SKIP_SERVICES).is_some() {
        #[allow(clippy::print_stderr)] // the reason this test did less
        {
            eprintln!("{var} is not set and {SKIP_SERVICES} is: skipping the {what} part");
        }
        return None;
    }
    panic!(
        "{var} is not set: this test needs {what} (scripts/test.sh starts it and sets {var}); \
         set {SKIP_SERVICES}=1 to skip it deliberately"
    );
}

/// The databases a test runs against: SQLite always, and PostgreSQL at `TEST_DATABASE_URL` (required
/// unless skipping was asked for, see [`service_url`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    if service_url("TEST_DATABASE_URL", "PostgreSQL").is_some() {
        all.push(Backend::Postgres);
    }
    all
}

/// A fresh, empty database on `backend` (PostgreSQL: a new database on the `TEST_DATABASE_URL` server).
pub async fn fresh_database(backend: Backend) -> Option<String> {
    use sqlx::Connection;
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let base = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
            let name = format!("cosmic_test_{}", uuid_like());
            let mut conn = sqlx::PgConnection::connect(&base)
                .await
                .expect("TEST_DATABASE_URL reachable");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let (root, _) = base.rsplit_once('/').expect("URL with a database name");
            Some(format!("{root}/{name}"))
        }
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from_digit(rng.random_range(0..36), 36).unwrap())
        .collect()
}

/// A small, fast world for tests on a fresh SQLite database; `tweak` adjusts the configuration.
pub async fn spawn_app(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_on(Backend::Sqlite, tweak).await
}

/// A small, fast world on a fresh database of `backend`.
pub async fn spawn_app_on(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let database_url = fresh_database(backend).await;
    // The production pair: PostgreSQL with the Redis cache (keys under a namespace of this test's own).
    let redis_url = match backend {
        Backend::Postgres => service_url("TEST_REDIS_URL", "Redis"),
        Backend::Sqlite => None,
    };
    spawn_app_in(dir, |c| {
        c.database_url = database_url;
        c.redis_url = redis_url;
        c.cache.namespace = format!("cosmic-test-{}", uuid_like());
        tweak(c);
    })
    .await
}

/// Starts the app on an existing data directory (to restart a server on the same data).
pub async fn spawn_app_in(
    dir: std::sync::Arc<tempfile::TempDir>,
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        world_bodies: 60,
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    tweak(&mut config);
    let app = Application::build(config).await.expect("server builds");
    let port = app.port();
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp {
        port,
        state,
        dir,
        stop: Some(stop),
        task,
    }
}

/// Connects with an optional subprotocol and query string.
pub async fn connect(app: &TestApp, subprotocol: Option<&str>, query: &str) -> Ws {
    let mut req = format!("{}{query}", app.url())
        .into_client_request()
        .unwrap();
    if let Some(p) = subprotocol {
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", p.parse().unwrap());
    }
    let (ws, response) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connects");
    if let Some(p) = subprotocol {
        assert_eq!(response.headers().get("sec-websocket-protocol").unwrap(), p);
    }
    ws
}

pub async fn send_json(ws: &mut Ws, value: &impl serde::Serialize) {
    ws.send(Message::Text(serde_json::to_string(value).unwrap().into()))
        .await
        .unwrap();
}

/// The next data message (skipping pings), or `None` at close / end.
pub async fn next_data(ws: &mut Ws) -> Option<Message> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("message within 5 s")?
        {
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(m) => return Some(m),
            Err(_) => return None,
        }
    }
}

/// The next v0 message, as JSON.
pub async fn next_json(ws: &mut Ws) -> serde_json::Value {
    match next_data(ws).await.expect("open") {
        Message::Text(t) => serde_json::from_str(&t).unwrap(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// Reads v0 messages until one of `kind` arrives (GameState streams in between).
pub async fn until_type(ws: &mut Ws, kind: &str) -> serde_json::Value {
    for _ in 0..200 {
        let v = next_json(ws).await;
        if v["type"] == kind {
            return v;
        }
    }
    panic!("no {kind} message");
}

/// Reads until a close frame or the end; returns the close code seen, if any.
pub async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("closes within 10 s")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

/// A v1 message from either framing: control messages parsed, world frames decoded.
pub fn parse_v1(msg: Message) -> ServerMessage {
    match msg {
        Message::Text(t) => {
            serde_json::from_str(&t).unwrap_or_else(|e| panic!("bad JSON {t}: {e}"))
        }
        Message::Binary(b) => {
            let (_, payload) = protocol::codec::decompress(&b, 1 << 24).unwrap();
            if payload[0] == KIND_CONTROL {
                serde_json::from_slice(&payload[1..]).unwrap()
            } else {
                ServerMessage::Frame(frame::decode(&payload).unwrap())
            }
        }
        other => panic!("unexpected message {other:?}"),
    }
}

pub fn hello(request_id: u32) -> ClientMessage {
    ClientMessage::Hello {
        request_id,
        protocol_hash: v1::protocol_hash_hex(),
        token: None,
        world: None,
        resume_tick: None,
        codecs: None,
    }
}

/// A v1 client that keeps its view of the world up to date.
pub struct V1Client {
    pub ws: Ws,
    pub view: WorldView,
    pub player: u64,
    pub token: String,
    pub frames: u64,
}

impl V1Client {
    pub async fn join(
        app: &TestApp,
        subprotocol: &str,
        hello_msg: ClientMessage,
    ) -> (V1Client, ServerMessage) {
        // Players bring a token; a hello without one gets a new guest's.
        let mut hello_msg = hello_msg;
        if let ClientMessage::Hello {
            token: t @ None, ..
        } = &mut hello_msg
        {
            *t = Some(guest_token(app).await);
        }
        Self::join_as(app, subprotocol, hello_msg).await
    }

    /// Joins with exactly this hello (no token: watch only).
    pub async fn join_as(
        app: &TestApp,
        subprotocol: &str,
        hello_msg: ClientMessage,
    ) -> (V1Client, ServerMessage) {
        let mut ws = connect(app, Some(subprotocol), "").await;
        send_json(&mut ws, &hello_msg).await;
        let welcome = parse_v1(next_data(&mut ws).await.unwrap());
        let ServerMessage::Welcome {
            player, ref token, ..
        } = welcome
        else {
            panic!("expected welcome, got {welcome:?}")
        };
        let client = V1Client {
            ws,
            view: WorldView::default(),
            player,
            token: token.clone(),
            frames: 0,
        };
        (client, welcome)
    }

    /// Reads messages, applying frames, until `pick` returns something.
    pub async fn until<T>(
        &mut self,
        mut pick: impl FnMut(&ServerMessage, &WorldView) -> Option<T>,
    ) -> T {
        loop {
            let msg = parse_v1(next_data(&mut self.ws).await.expect("connection open"));
            if let ServerMessage::Frame(f) = &msg {
                frame::apply(&mut self.view, f).expect("frame applies to the view");
                self.frames += 1;
            }
            if let Some(t) = pick(&msg, &self.view) {
                return t;
            }
        }
    }

    pub async fn next_frame(&mut self) -> Frame {
        self.until(|m, _| match m {
            ServerMessage::Frame(f) => Some(f.clone()),
            _ => None,
        })
        .await
    }

    /// The next frame, which must be a delta: its base tick and tick.
    pub async fn next_delta(&mut self) -> (u64, u64) {
        match self.next_frame().await {
            Frame::Delta {
                base_tick, tick, ..
            } => (base_tick, tick),
            other => panic!("expected a delta, got {other:?}"),
        }
    }
}

/// An access token of a new guest account (as `POST /api/auth/guest` would give).
pub async fn guest_token(app: &TestApp) -> String {
    let user = app
        .state
        .api
        .store
        .create_user(&server::store::NewUser {
            is_guest: true,
            ..Default::default()
        })
        .await
        .unwrap();
    server::api::auth::issue_access(&app.state.api.auth, user.id, true).unwrap()
}

/// One REST call with an optional bearer token and JSON body: the status and the JSON answer (`Null` when
/// the body is not JSON).
pub async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut req = reqwest::Client::new().request(method, app.http(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// A body creation along a wide ring, so that new asteroids overlap nothing.
pub fn create(request_id: u32, i: u32) -> ClientMessage {
    let a = f64::from(i) * 0.37 + f64::from(request_id % 7) * 0.9;
    let r = 20_000.0 + f64::from(i % 50) * 300.0;
    ClientMessage::CreateBody {
        request_id,
        kind: "asteroid".into(),
        position: [r * a.cos(), r * a.sin(), f64::from(i % 13) * 40.0],
        velocity: None,
    }
}

/// A v1 player on `ws://127.0.0.1:<port>/ws` with `token` that creates up to `count` bodies, one at a
/// time, waiting for each reply (30 ms apart); it stops when its connection drops or a reply takes over
/// 5 s. Returns (and counts in `acked` as they come) the creations the server acknowledged.
pub async fn creating_player(
    port: u16,
    token: &str,
    seed: u32,
    count: u32,
    acked: &std::sync::atomic::AtomicU64,
) -> u64 {
    use std::sync::atomic::Ordering;
    let mut req = format!("ws://127.0.0.1:{port}/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        v1::SUBPROTOCOL_BIN.parse().unwrap(),
    );
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(req).await else {
        return 0;
    };
    let mut msg = hello(1);
    if let ClientMessage::Hello { token: t, .. } = &mut msg {
        *t = Some(token.to_string());
    }
    send_json(&mut ws, &msg).await;
    let mut total = 0;
    for i in 0..count {
        let m = serde_json::to_string(&create(10 + i, i + seed)).unwrap();
        if ws.send(Message::Text(m.into())).await.is_err() {
            break;
        }
        // Only a reply counts as an acknowledgement; a dropped connection ends the player.
        let reply = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match ws.next().await {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                    Some(Ok(Message::Ping(_))) => continue,
                    Some(Ok(msg)) => match parse_v1(msg) {
                        ServerMessage::Reply {
                            request_id,
                            result: v1::ReplyBody::BodyCreated { .. },
                        } if request_id == 10 + i => return Some(true),
                        ServerMessage::Error {
                            request_id: Some(r),
                            ..
                        } if r == 10 + i => return Some(false),
                        _ => continue,
                    },
                }
            }
        })
        .await;
        match reply {
            Ok(Some(true)) => {
                total += 1;
                acked.fetch_add(1, Ordering::SeqCst);
            }
            Ok(Some(false)) => {}
            _ => break,
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    total
}

/// A free loopback port (nothing listens on it once this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Guest accounts made straight in `store`, each with an access token signed with `secret`.
pub async fn guests_with_tokens(
    store: &server::store::Store,
    secret: &str,
    n: usize,
) -> Vec<(i64, String)> {
    let auth = server::api::AuthConfig {
        jwt_secret: secret.into(),
        ..Default::default()
    };
    let mut out = Vec::new();
    for _ in 0..n {
        let user = store
            .create_user(&server::store::NewUser {
                is_guest: true,
                ..Default::default()
            })
            .await
            .unwrap();
        let token = server::api::auth::issue_access(&auth, user.id, true).unwrap();
        out.push((user.id, token));
    }
    out
}

/// A `redis-server` child process on its own port, killed (SIGKILL) on drop.
pub struct PrivateRedis {
    child: Option<std::process::Child>,
    port: u16,
}

impl PrivateRedis {
    /// Starts redis-server on `port` and waits until it accepts connections.
    pub fn start(port: u16) -> Self {
        let child = std::process::Command::new("/usr/bin/redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("/usr/bin/redis-server starts");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server on port {port} did not come up"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            child: Some(child),
            port,
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Sends `signal` (`STOP`, `CONT`) to the server process.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} {pid}");
    }

    /// SIGKILL: no goodbye to the clients.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}
