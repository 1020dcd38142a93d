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
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestApp {
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.task).await;
    }
}

/// A small, fast world for tests; `tweak` adjusts the configuration.
pub async fn spawn_app(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        world_bodies: 60,
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
}
