//! `/live` without a subprotocol: the envelope of v1z3r's `sync-core` client (`SyncClient`), which
//! works against it unchanged. JSON text frames; requests carry `metadata.requestId` and their replies
//! echo it; the old gateway's `{action, data}` messages are read too.

use gateway::{Flow, Incoming, Link, Principal};
use serde_json::{Map, Value, json};

use crate::actor::{Joiner, ToRoom};
use crate::envelope::{Envelope, error};
use crate::error::{ErrorCode, LiveError};
use crate::room::{NewRoom, Role};
use crate::rooms::RoomHandle;
use crate::state::{LayerInput, Op, Params, StateInput};
use crate::{Live, now_ms};

/// One compat connection.
#[derive(Debug)]
pub struct CompatSession {
    live: Live,
    link: Link,
    account: Option<u64>,
    room: Option<RoomHandle>,
}

/// One client message, read.
struct Request<'a> {
    kind: &'a str,
    data: Value,
    room_id: Option<&'a str>,
    target: Option<&'a str>,
    source: Option<&'a str>,
    request_id: Option<String>,
    timestamp: Option<f64>,
}

fn object(data: &Value) -> Map<String, Value> {
    data.as_object().cloned().unwrap_or_default()
}

fn str_field<'a>(data: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| data.get(*k).and_then(Value::as_str))
}

impl CompatSession {
    pub fn new(live: Live, link: Link, principal: Principal) -> Self {
        let account = match principal {
            Principal::Account(id) => Some(id),
            _ => None,
        };
        Self {
            live,
            link,
            account,
            room: None,
        }
    }

    pub async fn on_message(&mut self, msg: Incoming) -> Flow {
        let text = match msg {
            Incoming::Text(t) => t,
            Incoming::Binary(_) => {
                let m = "binary messages are not part of this protocol: send JSON text";
                self.link
                    .text(error(ErrorCode::InvalidMessage, m, None, None));
                return Flow::Continue;
            }
            Incoming::Limited => {
                let m = "too many messages: slow down";
                self.link.text(error(ErrorCode::RateLimited, m, None, None));
                return Flow::Continue;
            }
        };
        let value: Value = match serde_json::from_str(text.as_str()) {
            Ok(v @ Value::Object(_)) => v,
            Ok(other) => {
                let m = "a message is a JSON object";
                self.link
                    .text(error(ErrorCode::InvalidMessage, m, Some(other), None));
                return Flow::Continue;
            }
            Err(e) => {
                let m = format!("not valid JSON: {e}");
                let original = Value::String(text.as_str().chars().take(1024).collect());
                self.link
                    .text(error(ErrorCode::InvalidMessage, &m, Some(original), None));
                return Flow::Continue;
            }
        };
        let request_id = value
            .pointer("/metadata/requestId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let kind = str_field(&value, &["type", "action"]).unwrap_or("");
        let kind = match kind {
            "sync" => "sync_state",
            "preset-share" => "preset_update",
            k => k,
        };
        let req = Request {
            kind,
            data: value.get("data").cloned().unwrap_or(Value::Null),
            room_id: str_field(&value, &["roomId"]),
            target: str_field(&value, &["target"]),
            source: str_field(&value, &["source"]),
            request_id,
            timestamp: value.get("timestamp").and_then(Value::as_f64),
        };
        let rid = req.request_id.clone();
        let kind = req.kind.to_owned();
        if let Err(e) = self.handle(req).await {
            let original = (e.code == ErrorCode::InvalidMessage).then(|| value.clone());
            let mut text = error(e.code, &e.message, original, rid.as_deref());
            if kind == "join_room" {
                // The client reads `data.success` and `data.error` of a join's reply.
                let data = json!({ "success": false, "error": e.message, "code": e.code.as_str() });
                text = Envelope::new("join_room", "server", data)
                    .reply_to(rid.as_deref())
                    .text();
            }
            self.link.text(text);
        }
        Flow::Continue
    }

    fn reply(&self, kind: &str, data: Value, request_id: Option<&str>) {
        let mut env = Envelope::new(kind, "server", data).reply_to(request_id);
        if let Some(room) = &self.room {
            env = env.room(&room.id);
        }
        self.link.text(env.text());
    }

    fn joined(&self) -> Result<&RoomHandle, LiveError> {
        self.room
            .as_ref()
            .ok_or_else(|| LiveError::new(ErrorCode::NotInRoom, "join a room first"))
    }

    async fn apply(&self, op: Op, relay: Option<(&'static str, Value)>) -> Result<u64, LiveError> {
        let room = self.joined()?;
        let conn = self.link.conn();
        room.ask(|reply| ToRoom::Apply {
            conn,
            op,
            relay,
            reply,
        })
        .await?
    }

    async fn relay(
        &self,
        kind: &'static str,
        data: Value,
        target: Option<String>,
        control: bool,
    ) -> Result<(), LiveError> {
        let room = self.joined()?;
        let conn = self.link.conn();
        room.ask(|reply| ToRoom::Relay {
            conn,
            kind,
            data,
            target,
            control,
            reply,
        })
        .await?
    }

    async fn handle(&mut self, req: Request<'_>) -> Result<(), LiveError> {
        let rid = req.request_id.as_deref();
        // A message naming a room must name the connection's own: rooms never see each other.
        if let (Some(named), Some(room), false) = (req.room_id, &self.room, req.kind == "join_room")
            && named != room.id
            && named != room.code
        {
            return Err(LiveError::new(
                ErrorCode::Forbidden,
                "you are not a member of that room",
            ));
        }
        match req.kind {
            "ping" => {
                let mut data = json!({ "serverTime": now_ms() });
                if let Some(t) = req.timestamp {
                    data["clientTime"] = json!(t);
                }
                self.reply("pong", data, rid);
                Ok(())
            }
            "pong" | "error" => Ok(()),
            "authentication" => {
                let data = json!({ "success": self.account.is_some(), "authenticated": self.account.is_some() });
                self.reply("authentication", data, rid);
                Ok(())
            }
            "join_room" => self.join(&req).await,
            "leave_room" => {
                self.leave();
                self.link.text(
                    Envelope::new("leave_room", "server", json!({ "success": true }))
                        .reply_to(rid)
                        .text(),
                );
                Ok(())
            }
            "sync_state" => self.sync_state(&req).await,
            "parameter_update" => {
                let op = parameter_op(&req.data);
                let relay = Some(("parameter_update", req.data.clone()));
                match op {
                    Some(op) => self.apply(op, relay).await.map(|_| ()),
                    None => self.relay("parameter_update", req.data, None, true).await,
                }
            }
            "layer_update" => self.layer_update(req.data).await,
            "preset_update" => self.preset_update(req.data).await,
            "broadcast" => {
                if let Some(action) = str_field(&req.data, &["action"])
                    && matches!(action, "grant_control" | "revoke_control" | "set_role")
                {
                    return self.set_role(action, &req.data, rid).await;
                }
                if str_field(&req.data, &["action"]) == Some("invite") {
                    return self.invite(&req.data, rid).await;
                }
                self.relay("broadcast", req.data, None, false).await
            }
            "voice_command" => self.relay("voice_command", req.data, None, false).await,
            "direct_message" => {
                let target = req.target.ok_or_else(|| {
                    LiveError::new(ErrorCode::InvalidMessage, "direct_message needs a target")
                })?;
                self.relay("direct_message", req.data, Some(target.to_owned()), false)
                    .await
            }
            "" => Err(LiveError::new(
                ErrorCode::InvalidMessage,
                "a message needs a type",
            )),
            other => Err(LiveError::new(
                ErrorCode::InvalidMessage,
                format!("unknown message type: {other}"),
            )),
        }
    }

    fn leave(&mut self) {
        if let Some(room) = self.room.take() {
            let conn = self.link.conn();
            if room.tx.try_send(ToRoom::Leave { conn }).is_err() {
                tokio::spawn(async move {
                    let _ = room.tx.send(ToRoom::Leave { conn }).await;
                });
            }
        }
    }

    async fn join(&mut self, req: &Request<'_>) -> Result<(), LiveError> {
        let account = self.account.ok_or_else(|| {
            LiveError::new(
                ErrorCode::Unauthorized,
                "a token is needed: connect to /live?token=… (POST /api/auth/guest gives one)",
            )
        })?;
        let create = req.data.get("createRoom").filter(|c| c.is_object());
        let mut invited = None;
        let room = match (req.room_id, create) {
            _ if str_field(&req.data, &["invite"]).is_some() => {
                let token = str_field(&req.data, &["invite"]).unwrap_or_default();
                let (room, role) = self.live.rooms.redeem(token)?;
                invited = Some(role);
                room
            }
            (None, Some(given)) => {
                let given: NewRoom = serde_json::from_value(given.clone()).map_err(|e| {
                    LiveError::new(ErrorCode::InvalidOperation, format!("createRoom: {e}"))
                })?;
                self.live.rooms.create(account, given).await?
            }
            (Some(key), _) => self
                .live
                .rooms
                .find(key)
                .ok_or_else(|| LiveError::new(ErrorCode::NotFound, "no such room"))?,
            (None, None) => {
                return Err(LiveError::new(
                    ErrorCode::InvalidMessage,
                    "join_room needs a roomId, or data.createRoom to create one",
                ));
            }
        };
        let p = req.data.get("participant").cloned().unwrap_or(Value::Null);
        let name = str_field(&p, &["name"])
            .map(|n| n.trim().chars().take(64).collect::<String>())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "guest".into());
        let joiner = Joiner {
            conn: self.link.conn(),
            link: self.link.clone(),
            account,
            name,
            role: str_field(&p, &["role"]).map(str::to_owned),
            id_hint: req.source.map(str::to_owned),
            metadata: p.get("metadata").map(object).unwrap_or_default(),
            speaks: crate::actor::Speaks::Compat,
            invited,
            greet: None,
        };
        if self.room.as_ref().is_some_and(|r| r.id != room.id) {
            self.leave();
        }
        let joined = room.ask(|reply| ToRoom::Join { joiner, reply }).await??;
        self.room = Some(room);
        let data =
            json!({ "success": true, "room": joined.view, "participant": joined.participant });
        self.reply("join_room", data, req.request_id.as_deref());
        Ok(())
    }

    async fn sync_state(&self, req: &Request<'_>) -> Result<(), LiveError> {
        if req.data.get("request").and_then(Value::as_str) == Some("get_state") {
            let room = self.joined()?;
            let (state, _) = room.ask(|reply| ToRoom::State { reply }).await?;
            let mut state = serde_json::to_value(&state).unwrap_or_default();
            state["serverTime"] = json!(now_ms());
            self.reply(
                "sync_state",
                json!({ "state": state }),
                req.request_id.as_deref(),
            );
            return Ok(());
        }
        let given = req
            .data
            .get("state")
            .or_else(|| req.data.get("tempo").map(|_| &req.data));
        let Some(given) = given else {
            return Err(LiveError::new(
                ErrorCode::InvalidMessage,
                "sync_state needs data.state, or data.request \"get_state\"",
            ));
        };
        let state: StateInput = serde_json::from_value(given.clone())
            .map_err(|e| LiveError::new(ErrorCode::InvalidOperation, format!("state: {e}")))?;
        let version = self.apply(Op::ReplaceState { state }, None).await?;
        if req.request_id.is_some() {
            let data = json!({ "success": true, "version": version });
            self.reply("sync_state", data, req.request_id.as_deref());
        }
        Ok(())
    }

    async fn layer_update(&self, data: Value) -> Result<(), LiveError> {
        let action = str_field(&data, &["action", "operation"]);
        let layer: Option<LayerInput> = data
            .get("layer")
            .map(|l| serde_json::from_value(l.clone()))
            .transpose()
            .map_err(|e| LiveError::new(ErrorCode::InvalidOperation, format!("layer: {e}")))?;
        let id = str_field(&data, &["layerId", "id"])
            .map(str::to_owned)
            .or_else(|| layer.as_ref().and_then(|l| l.id.clone()));
        let order: Option<Vec<String>> = data
            .get("order")
            .and_then(|o| serde_json::from_value(o.clone()).ok());
        let relay = || Some(("layer_update", data.clone()));
        let op = match (action, layer, id, order) {
            (Some("remove" | "delete"), _, Some(id), _) => Op::RemoveLayer { id },
            (Some("reorder") | None, None, _, Some(order)) => Op::ReorderLayers { order },
            (Some("add" | "create"), Some(layer), _, _) => Op::AddLayer { layer },
            (Some("update") | None, Some(changes), Some(id), _) => {
                let update = Op::UpdateLayer {
                    id,
                    changes: changes.clone(),
                };
                return match self.apply(update, relay()).await {
                    // No such layer yet: v1z3r sends a new layer the same way.
                    Err(e) if e.code == ErrorCode::NotFound && action.is_none() => {
                        let add = Op::AddLayer { layer: changes };
                        self.apply(add, relay()).await.map(|_| ())
                    }
                    other => other.map(|_| ()),
                };
            }
            (None, Some(layer), None, _) => Op::AddLayer { layer },
            _ => return self.relay("layer_update", data, None, true).await,
        };
        self.apply(op, relay()).await.map(|_| ())
    }

    async fn preset_update(&self, data: Value) -> Result<(), LiveError> {
        let id = match data.get("presetId").or_else(|| data.get("id")) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let Some(id) = id else {
            return self.relay("preset_update", data, None, true).await;
        };
        let op = self.live.preset_op(&id, self.account.unwrap_or(0)).await?;
        self.apply(op, Some(("preset_update", data)))
            .await
            .map(|_| ())
    }

    async fn set_role(
        &self,
        action: &str,
        data: &Value,
        rid: Option<&str>,
    ) -> Result<(), LiveError> {
        let participant = str_field(data, &["participantId", "participant", "target"])
            .ok_or_else(|| LiveError::new(ErrorCode::InvalidMessage, "name the participantId"))?
            .to_owned();
        let role = match action {
            "grant_control" => Role::Controller,
            "revoke_control" => Role::Display,
            _ => serde_json::from_value(data.get("role").cloned().unwrap_or_default()).map_err(
                |_| {
                    LiveError::new(
                        ErrorCode::InvalidMessage,
                        "role is controller, display or viewer",
                    )
                },
            )?,
        };
        let room = self.joined()?;
        let conn = self.link.conn();
        let p = room
            .ask(|reply| ToRoom::SetRole {
                conn,
                participant,
                role,
                reply,
            })
            .await??;
        self.reply(
            "broadcast",
            json!({ "success": true, "event": "role_changed", "participant": p }),
            rid,
        );
        Ok(())
    }

    /// `broadcast {action: "invite", role?, ttlSecs?}`: a single-use invitation token for this room.
    async fn invite(&self, data: &Value, rid: Option<&str>) -> Result<(), LiveError> {
        let role = match data.get("role") {
            Some(r) => serde_json::from_value(r.clone()).map_err(|_| {
                LiveError::new(
                    ErrorCode::InvalidMessage,
                    "role is controller, display or viewer",
                )
            })?,
            None => Role::Controller,
        };
        let ttl = data.get("ttlSecs").and_then(Value::as_u64);
        let (token, _, expires_at) = self
            .live
            .invite(self.room.as_ref(), self.link.conn(), role, ttl)
            .await?;
        let data = json!({ "success": true, "event": "invitation", "token": token, "role": role, "expiresAt": expires_at });
        self.reply("broadcast", data, rid);
        Ok(())
    }

    pub fn on_close(mut self) {
        self.leave();
    }
}

/// `parameter_update`'s data as an operation: `{parameters: {…}, layerId?}` or `{name, value,
/// layerId?}` (also `parameter`/`key` for the name). Anything else is relayed as it is.
fn parameter_op(data: &Value) -> Option<Op> {
    let layer = str_field(data, &["layerId", "layer"]).map(str::to_owned);
    if let Some(params) = data.get("parameters") {
        let parameters: Params = serde_json::from_value(params.clone()).ok()?;
        return Some(Op::SetParameters { layer, parameters });
    }
    let name = str_field(data, &["name", "parameter", "key"])?;
    let value = serde_json::from_value(data.get("value")?.clone()).ok()?;
    let parameters = Params::from([(name.to_owned(), value)]);
    Some(Op::SetParameters { layer, parameters })
}
