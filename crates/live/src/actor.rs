//! One task per room: it owns the room's members and its show state, applies operations one at a
//! time from a bounded mailbox, relays messages to the other members, and keeps the room in the store
//! (at most once a second while it changes, and when it stops).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gateway::{FeedFrame, FrameSender, Link, Message, Utf8Bytes};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tracing::{info, warn};

use crate::audio::AudioFeatures;
use crate::envelope::Envelope;
use crate::error::{ErrorCode, LiveError};
use crate::frame::LiveFrame;
use crate::room::{Capabilities, ConflictPolicy, Participant, Role, RoomMeta, RoomView, iso8601};
use crate::seams::{RoomStore, StoredRoom};
use crate::state::{Limits, Op, ShowState, Taps};
use crate::v1::{ServerMessage, bin_control};

/// Messages a room's mailbox holds at most; a full one answers `unavailable`.
pub const MAILBOX: usize = 1024;
/// How long a host's write to a path shields it from others in a `host_wins` room.
pub const HOST_WINS_MS: i64 = 1_000;

/// A joiner, as its session describes it.
#[derive(Debug)]
pub struct Joiner {
    pub conn: u64,
    pub link: Link,
    pub account: u64,
    pub name: String,
    /// The role asked for (`host` only counts for the room's owner).
    pub role: Option<String>,
    /// The id the client goes by (its `source`), kept as the participant id when free.
    pub id_hint: Option<String>,
    pub metadata: serde_json::Map<String, Value>,
    pub speaks: Speaks,
    /// The role an invitation gives (it overrides `role`).
    pub invited: Option<Role>,
    /// `cosmic.live.v1`: what the room answers the hello with, before anything else reaches the
    /// joiner (its welcome, then the feed).
    pub greet: Option<Greeting>,
}

/// A `cosmic.live.v1` hello, as the room answers it.
#[derive(Debug)]
pub struct Greeting {
    pub request_id: u32,
    pub resume_version: Option<u64>,
    /// Codecs the client decodes (`Codec::bit` set).
    pub codecs: u8,
}

/// The protocol a member speaks: what it is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speaks {
    /// The v1z3r envelope: every change relayed at once, in the sender's words.
    Compat,
    /// `cosmic.live.v1`: the room's feed of states and deltas; other messages as JSON text, or as
    /// `.bin` binary messages.
    V1 { binary: bool },
}

/// What a joiner gets back.
#[derive(Debug)]
pub struct Joined {
    pub view: RoomView,
    pub participant: Participant,
}

/// What a room is asked.
#[derive(Debug)]
pub enum ToRoom {
    Join {
        joiner: Joiner,
        reply: oneshot::Sender<Result<Joined, LiveError>>,
    },
    Leave {
        conn: u64,
    },
    /// An operation on the state; `relay` is the envelope type and data the other members get (the
    /// sender's own words), or none for the server's rendering of the operation.
    Apply {
        conn: u64,
        op: Op,
        relay: Option<(&'static str, Value)>,
        reply: oneshot::Sender<Result<u64, LiveError>>,
    },
    /// A message for the other members (or one of them: `target`), checked against the sender's
    /// capabilities when it is a control message.
    Relay {
        conn: u64,
        kind: &'static str,
        data: Value,
        target: Option<String>,
        control: bool,
        reply: oneshot::Sender<Result<(), LiveError>>,
    },
    /// The host sets a member's role (capabilities follow it).
    SetRole {
        conn: u64,
        participant: String,
        role: Role,
        reply: oneshot::Sender<Result<Participant, LiveError>>,
    },
    State {
        reply: oneshot::Sender<(ShowState, RoomView)>,
    },
    /// Whether the member may invite others (`canInviteOthers`).
    MayInvite {
        conn: u64,
        reply: oneshot::Sender<Result<(), LiveError>>,
    },
    /// A frame of the controller's audio features, for the other members (never stored).
    Audio {
        conn: u64,
        features: AudioFeatures,
    },
}

#[derive(Debug)]
struct Member {
    link: Link,
    participant: Participant,
    speaks: Speaks,
}

/// A room's task state.
#[derive(Debug)]
pub struct RoomActor {
    pub meta: RoomMeta,
    pub state: ShowState,
    pub last_active: i64,
    pub limits: Limits,
    pub store: Arc<dyn RoomStore>,
    pub empty_ttl: Duration,
    members: HashMap<u64, Member>,
    /// `host_wins`: path → the host's last write (ms).
    host_writes: HashMap<String, i64>,
    taps: Taps,
    dirty: bool,
    fanout: Fanout,
    pub stats: Arc<RoomStats>,
}

/// What a room reports without being asked.
#[derive(Debug, Default)]
pub struct RoomStats {
    pub members: std::sync::atomic::AtomicU64,
    pub version: std::sync::atomic::AtomicU64,
}

/// The room's feed and when it next publishes: a token bucket of [`BURST`] publications refilled at
/// `fanout_hz`, so a controller's changes at that rate go out as they come (its jitter taken by the
/// burst) and faster ones coalesce, at most `fanout_hz` a second on average.
#[derive(Debug)]
struct Fanout {
    frames: FrameSender,
    /// The state of the last published frame.
    published: ShowState,
    hz: f64,
    tokens: f64,
    refilled: Instant,
    /// When the coalesced changes go out; `None`: nothing waits.
    due: Option<Instant>,
    /// When the first change waiting went in.
    since: Option<Instant>,
}

/// Publications a room may make back to back.
const BURST: f64 = 2.0;

impl Fanout {
    fn new(state: &ShowState, hz: u32) -> Self {
        let first: Arc<dyn FeedFrame> = Arc::new(LiveFrame::new(None, state, crate::now_ms()));
        Self {
            frames: watch::channel(first).0,
            published: state.clone(),
            hz: f64::from(hz.clamp(1, 1000)),
            tokens: BURST,
            refilled: Instant::now(),
            due: None,
            since: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        let earned = (now - self.refilled).as_secs_f64() * self.hz;
        self.tokens = (self.tokens + earned).min(BURST);
        self.refilled = now;
    }

    /// Publishes `state` when it differs from what was published.
    fn publish(&mut self, state: &ShowState) {
        let now = Instant::now();
        self.refill(now);
        self.tokens = (self.tokens - 1.0).max(0.0);
        self.due = None;
        let since = self.since.take();
        if state.version == self.published.version {
            return;
        }
        let frame = LiveFrame::new(Some(&self.published), state, crate::now_ms());
        self.frames.send_replace(Arc::new(frame));
        self.published = state.clone();
        if let Some(since) = since {
            crate::metrics::published(since.elapsed());
        }
    }

    /// A change went in: publish now if the bucket allows, else when it has a token again.
    fn changed(&mut self, state: &ShowState) {
        let now = Instant::now();
        self.since.get_or_insert(now);
        if self.due.is_some() {
            return;
        }
        self.refill(now);
        if self.tokens >= 1.0 {
            self.publish(state);
        } else {
            let wait = (1.0 - self.tokens) / self.hz;
            self.due = Some(now + Duration::from_secs_f64(wait));
        }
    }
}

impl RoomActor {
    pub fn new(
        meta: RoomMeta,
        state: ShowState,
        last_active: i64,
        limits: Limits,
        store: Arc<dyn RoomStore>,
        empty_ttl: Duration,
        fanout_hz: u32,
    ) -> Self {
        Self {
            fanout: Fanout::new(&state, fanout_hz),
            stats: Arc::default(),
            meta,
            state,
            last_active,
            limits,
            store,
            empty_ttl,
            members: HashMap::new(),
            host_writes: HashMap::new(),
            taps: Taps::default(),
            dirty: false,
        }
    }

    fn view(&self) -> RoomView {
        let mut participants: Vec<_> = self
            .members
            .values()
            .map(|m| m.participant.clone())
            .collect();
        participants.sort_by(|a, b| a.joined_at.cmp(&b.joined_at).then(a.id.cmp(&b.id)));
        RoomView {
            id: self.meta.id.clone(),
            code: self.meta.code.clone(),
            name: self.meta.name.clone(),
            description: self.meta.description.clone(),
            max_participants: self.meta.max_participants,
            participants,
            created_at: iso8601(self.meta.created_at),
            is_private: self.meta.is_private,
            owner_id: self.meta.owner.to_string(),
            settings: self.meta.settings,
        }
    }

    fn stored(&self) -> StoredRoom {
        StoredRoom {
            id: self.meta.id.clone(),
            code: self.meta.code.clone(),
            owner: self.meta.owner,
            meta: serde_json::to_string(&self.meta).unwrap_or_default(),
            state: serde_json::to_string(&self.state).unwrap_or_default(),
            last_active: self.last_active,
        }
    }

    async fn save(&mut self) {
        match self.store.save_room(&self.stored()).await {
            Ok(()) => self.dirty = false,
            Err(e) => {
                warn!(room = %self.meta.id, error = %e, "Cannot save a live room; will retry.")
            }
        }
    }

    /// Sends `compat` (an envelope) to the compat members and `v1` to the `cosmic.live.v1` ones, each
    /// encoded once; to all but `except`.
    fn fan_out(&self, compat: Option<String>, v1: Option<&ServerMessage>, except: Option<u64>) {
        let compat = compat.map(Utf8Bytes::from);
        let v1 = v1.map(|m| {
            let json = m.json();
            let bin = bytes::Bytes::from(bin_control(&json));
            (Utf8Bytes::from(json), bin)
        });
        let mut n = 0;
        for (conn, m) in &self.members {
            if Some(*conn) == except {
                continue;
            }
            let msg = match (m.speaks, &compat, &v1) {
                (Speaks::Compat, Some(text), _) => Message::Text(text.clone()),
                (Speaks::V1 { binary: false }, _, Some((text, _))) => Message::Text(text.clone()),
                (Speaks::V1 { binary: true }, _, Some((_, bin))) => Message::Binary(bin.clone()),
                _ => continue,
            };
            m.link.message(msg);
            n += 1;
        }
        crate::metrics::fanned_out(n);
    }

    /// Sends `msg` to one member in its protocol (`compat` for a compat member).
    fn send_to(m: &Member, compat: String, v1: &ServerMessage) {
        match m.speaks {
            Speaks::Compat => m.link.text(compat),
            Speaks::V1 { binary: false } => m.link.text(v1.json()),
            Speaks::V1 { binary: true } => m.link.binary(bin_control(&v1.json())),
        }
    }

    fn presence(&self, event: &str, who: &Participant, except: Option<u64>) {
        let data = json!({ "event": event, "roomId": self.meta.id, "participant": who });
        let text = Envelope::new("broadcast", "server", data)
            .room(&self.meta.id)
            .text();
        let v1 = ServerMessage::Presence {
            event: event.to_owned(),
            participant: who.clone(),
        };
        self.fan_out(Some(text), Some(&v1), except);
    }

    /// Fans a controller's audio features out: the same bytes to every `cosmic.live.v1` member, a
    /// `broadcast` to compat ones.
    fn audio(&self, conn: u64, features: &AudioFeatures) {
        let Some(m) = self.members.get(&conn) else {
            return;
        };
        if !m.participant.capabilities.can_control_audio {
            let e = LiveError::forbidden("send audio features");
            let v1 = ServerMessage::error(None, e.code, e.message.clone());
            Self::send_to(
                m,
                crate::envelope::error(e.code, &e.message, None, None),
                &v1,
            );
            return;
        }
        let now = crate::now_ms();
        let bin = bytes::Bytes::from(features.server_message(now));
        let text = Utf8Bytes::from(
            Envelope::new("broadcast", &m.participant.id, features.compat_data(now))
                .room(&self.meta.id)
                .text(),
        );
        let mut n = 0;
        for (c, member) in &self.members {
            if *c == conn {
                continue;
            }
            let msg = match member.speaks {
                Speaks::Compat => Message::Text(text.clone()),
                Speaks::V1 { .. } => Message::Binary(bin.clone()),
            };
            member.link.message(msg);
            n += 1;
        }
        crate::metrics::fanned_out(n);
    }

    fn joined(&self, participant: Participant) -> Joined {
        Joined {
            view: self.view(),
            participant,
        }
    }

    /// A `cosmic.live.v1` joiner's welcome, then its feed: the whole state, or what it lacks of it.
    fn greet(&self, m: &Member, g: Greeting) {
        let Speaks::V1 { binary } = m.speaks else {
            return;
        };
        let welcome = ServerMessage::Welcome {
            request_id: g.request_id,
            protocol_hash: crate::v1::protocol_hash_hex(),
            room: self.view(),
            participant: m.participant.clone(),
            version: self.state.version,
            server_time: crate::now_ms(),
            fanout_hz: self.fanout.hz as u32,
            resumed: g.resume_version.is_some(),
        };
        Self::send_to(m, String::new(), &welcome);
        let cursor = gateway::Cursor {
            base: g.resume_version,
            codecs: g.codecs,
            format: if binary {
                crate::frame::FORMAT_BIN
            } else {
                crate::frame::FORMAT_JSON
            },
            ..gateway::Cursor::default()
        };
        m.link
            .follow(gateway::Feed::new(self.fanout.frames.subscribe(), cursor));
    }

    fn join(&mut self, j: Joiner) -> Result<Joined, LiveError> {
        if let Some(m) = self.members.get(&j.conn) {
            return Ok(self.joined(m.participant.clone()));
        }
        if self.members.len() >= self.meta.max_participants as usize {
            return Err(LiveError::new(ErrorCode::RoomFull, "the room is full"));
        }
        let role = if j.account == self.meta.owner {
            Role::Host
        } else if let Some(role) = j.invited {
            role
        } else {
            Role::requested(j.role.as_deref(), self.meta.settings.allow_guest_control)
        };
        let taken = |id: &str| self.members.values().any(|m| m.participant.id == id);
        let id = j
            .id_hint
            .filter(|h| !h.is_empty() && h.len() <= 64 && !taken(h))
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let now = iso8601(crate::now_ms());
        let participant = Participant {
            id,
            name: j.name,
            role,
            joined_at: now.clone(),
            last_seen: now,
            capabilities: Capabilities::of(role),
            metadata: j.metadata,
        };
        self.presence("participant_joined", &participant, None);
        let (conn, greet) = (j.conn, j.greet);
        self.members.insert(
            j.conn,
            Member {
                link: j.link,
                participant: participant.clone(),
                speaks: j.speaks,
            },
        );
        crate::metrics::joined(role);
        self.touch();
        if let (Some(g), Some(m)) = (greet, self.members.get(&conn)) {
            self.greet(m, g);
        }
        Ok(self.joined(participant))
    }

    fn leave(&mut self, conn: u64) {
        if let Some(m) = self.members.remove(&conn) {
            crate::metrics::left(m.participant.role);
            self.presence("participant_left", &m.participant, None);
            self.touch();
        }
    }

    fn touch(&mut self) {
        self.last_active = crate::now_ms();
        self.dirty = true;
        let s = &self.stats;
        s.members.store(
            self.members.len() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        s.version
            .store(self.state.version, std::sync::atomic::Ordering::Relaxed);
    }

    fn member(&self, conn: u64) -> Result<&Member, LiveError> {
        self.members
            .get(&conn)
            .ok_or_else(|| LiveError::new(ErrorCode::NotInRoom, "join the room first"))
    }

    fn may(&self, conn: u64, op: &Op) -> Result<Role, LiveError> {
        let m = self.member(conn)?;
        let caps = m.participant.capabilities;
        let allowed = if op.manages_layers() {
            caps.can_manage_layers
        } else {
            caps.can_control_visuals
        };
        if !allowed {
            return Err(LiveError::forbidden("change the show"));
        }
        Ok(m.participant.role)
    }

    fn apply(&mut self, conn: u64, op: Op) -> Result<u64, LiveError> {
        let role = self.may(conn, &op)?;
        let now = crate::now_ms();
        let op = match op {
            Op::Tap => match self.taps.tap(now) {
                Some(tempo) => Op::SetTempo { tempo },
                // One tap alone changes nothing yet.
                None => return Ok(self.state.version),
            },
            op => op,
        };
        let paths = op.paths();
        if self.meta.settings.conflict_resolution == ConflictPolicy::HostWins {
            if role == Role::Host {
                for p in &paths {
                    self.host_writes.insert(p.clone(), now);
                }
            } else {
                self.host_writes.retain(|_, at| now - *at < HOST_WINS_MS);
                let clash = self.host_writes.keys().find(|hp| {
                    paths.iter().any(|p| {
                        p == "*"
                            || *hp == "*"
                            || p.starts_with(hp.as_str())
                            || hp.starts_with(p.as_str())
                    })
                });
                if let Some(hp) = clash {
                    return Err(LiveError::new(
                        ErrorCode::Conflict,
                        format!("the host changed {hp} less than a second ago"),
                    ));
                }
            }
        }
        self.state.apply(op, now, &self.limits)?;
        self.touch();
        Ok(self.state.version)
    }

    fn relay(
        &self,
        conn: u64,
        kind: &'static str,
        data: Value,
        target: Option<String>,
        control: bool,
    ) -> Result<(), LiveError> {
        let m = self.member(conn)?;
        if control && !m.participant.capabilities.can_control_visuals {
            return Err(LiveError::forbidden(&format!("send {kind}")));
        }
        let source = m.participant.id.as_str();
        let v1 = ServerMessage::Message {
            from: source.to_owned(),
            kind: kind.to_owned(),
            data: data.clone(),
            target: target.clone(),
        };
        match target {
            None => {
                let text = Envelope::new(kind, source, data).room(&self.meta.id).text();
                self.fan_out(Some(text), Some(&v1), Some(conn));
            }
            Some(target) => {
                let to = self
                    .members
                    .values()
                    .find(|m| m.participant.id == target)
                    .ok_or_else(|| {
                        LiveError::new(ErrorCode::NotFound, format!("no participant {target:?}"))
                    })?;
                let text = Envelope::new(kind, source, data)
                    .room(&self.meta.id)
                    .target(&target)
                    .text();
                Self::send_to(to, text, &v1);
            }
        }
        Ok(())
    }

    fn set_role(&mut self, conn: u64, id: &str, role: Role) -> Result<Participant, LiveError> {
        if self.member(conn)?.participant.role != Role::Host {
            return Err(LiveError::forbidden("grant or revoke control"));
        }
        if role == Role::Host {
            return Err(LiveError::new(
                ErrorCode::InvalidOperation,
                "a room has one host",
            ));
        }
        let m = self
            .members
            .values_mut()
            .find(|m| m.participant.id == id)
            .ok_or_else(|| LiveError::new(ErrorCode::NotFound, format!("no participant {id:?}")))?;
        if m.participant.role == Role::Host {
            return Err(LiveError::new(
                ErrorCode::InvalidOperation,
                "the host keeps its role",
            ));
        }
        crate::metrics::left(m.participant.role);
        crate::metrics::joined(role);
        m.participant.role = role;
        m.participant.capabilities = Capabilities::of(role);
        let p = m.participant.clone();
        self.presence("role_changed", &p, None);
        Ok(p)
    }

    /// The server's rendering of an accepted operation for the other members.
    fn rendering(op_name: &str, state: &ShowState, op: &Op) -> (&'static str, Value) {
        match op {
            Op::SetParameters { .. } | Op::RemoveParameters { .. } => (
                "parameter_update",
                json!({ "op": op, "version": state.version }),
            ),
            Op::ReplaceState { .. } => ("sync_state", json!({ "state": state })),
            Op::SetTempo { .. } | Op::Tap => (
                "sync_state",
                json!({ "tempo": state.tempo, "version": state.version }),
            ),
            _ => (
                "layer_update",
                json!({ "op": op, "name": op_name, "version": state.version, "layers": state.layers }),
            ),
        }
    }

    /// Runs until the registry drops the room, the server stops, or the room stays empty past its
    /// time to live (it is then deleted).
    pub async fn run(
        mut self,
        mut rx: mpsc::Receiver<ToRoom>,
        mut shutdown: watch::Receiver<bool>,
        on_expired: impl FnOnce(&str) + Send,
    ) {
        let mut save = tokio::time::interval(Duration::from_secs(1));
        save.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut sweep = tokio::time::interval(Duration::from_secs(30));
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => self.handle(msg),
                    None => break,
                },
                () = sleep_until(self.fanout.due), if self.fanout.due.is_some() => {
                    self.fanout.publish(&self.state);
                }
                _ = save.tick() => if self.dirty { self.save().await },
                _ = sweep.tick() => {
                    // An occupied room stays fresh in the store, so that another node's idle copy of it
                    // (cluster mode: every node restores every room) never deletes it.
                    if !self.members.is_empty() {
                        self.touch();
                        continue;
                    }
                    let idle = crate::now_ms() - self.last_active;
                    if idle >= self.empty_ttl.as_millis() as i64 {
                        info!(room = %self.meta.id, "Removing a live room nobody was in for its time to live.");
                        on_expired(&self.meta.id);
                        if let Err(e) = self.store.delete_room(&self.meta.id, self.last_active).await {
                            warn!(room = %self.meta.id, error = %e, "Cannot delete an expired live room.");
                        }
                        return;
                    }
                }
                changed = shutdown.changed() => if changed.is_err() || *shutdown.borrow() { break },
            }
        }
        if self.dirty {
            self.save().await;
        }
    }

    fn handle(&mut self, msg: ToRoom) {
        match msg {
            ToRoom::Join { joiner, reply } => {
                let _ = reply.send(self.join(joiner));
            }
            ToRoom::Leave { conn } => self.leave(conn),
            ToRoom::Apply {
                conn,
                op,
                relay,
                reply,
            } => {
                let name = op.name();
                crate::metrics::message(name);
                let rendered = relay.is_none().then(|| op.clone());
                let result = self.apply(conn, op);
                if result.is_ok() {
                    let source = self
                        .members
                        .get(&conn)
                        .map(|m| m.participant.id.clone())
                        .unwrap_or_default();
                    let (kind, data) = match (relay, rendered) {
                        (Some(relay), _) => relay,
                        (None, Some(op)) => Self::rendering(name, &self.state, &op),
                        (None, None) => ("broadcast", Value::Null),
                    };
                    let text = Envelope::new(kind, &source, data)
                        .room(&self.meta.id)
                        .text();
                    self.fan_out(Some(text), None, Some(conn));
                    self.fanout.changed(&self.state);
                }
                let _ = reply.send(result);
            }
            ToRoom::Relay {
                conn,
                kind,
                data,
                target,
                control,
                reply,
            } => {
                crate::metrics::message(kind);
                let _ = reply.send(self.relay(conn, kind, data, target, control));
            }
            ToRoom::SetRole {
                conn,
                participant,
                role,
                reply,
            } => {
                let _ = reply.send(self.set_role(conn, &participant, role));
            }
            ToRoom::State { reply } => {
                let _ = reply.send((self.state.clone(), self.view()));
            }
            ToRoom::MayInvite { conn, reply } => {
                let may = self.member(conn).and_then(|m| {
                    if m.participant.capabilities.can_invite_others {
                        Ok(())
                    } else {
                        Err(LiveError::forbidden("invite others"))
                    }
                });
                let _ = reply.send(may);
            }
            ToRoom::Audio { conn, features } => {
                crate::metrics::message("audio_features");
                self.audio(conn, &features);
            }
        }
    }
}

/// Sleeps until `at` (never called with `None`: the select arm is off then).
async fn sleep_until(at: Option<Instant>) {
    tokio::time::sleep_until(at.unwrap_or_else(Instant::now)).await;
}
