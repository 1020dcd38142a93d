//! The rooms of this node: by id and by join code, each a running [`RoomActor`]. Created by a
//! creator's request, restored from the store at start, removed when they expire.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use dashmap::DashMap;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use crate::actor::{MAILBOX, RoomActor, RoomStats, ToRoom};
use crate::error::{ErrorCode, LiveError};
use crate::room::{NewRoom, Role, RoomMeta, as_code, new_code};
use crate::seams::{RoomStore, StoreFailure};
use crate::state::{Limits, ShowState};

/// A running room's address.
#[derive(Clone, Debug)]
pub struct RoomHandle {
    pub id: String,
    pub code: String,
    pub is_private: bool,
    pub tx: mpsc::Sender<ToRoom>,
    /// Kept current by the room's actor, read by `/health/detailed`.
    pub stats: Arc<RoomStats>,
}

impl RoomHandle {
    /// Asks the room and waits for its answer; a full mailbox or a stopped room is `unavailable`.
    pub async fn ask<T>(
        &self,
        msg: impl FnOnce(tokio::sync::oneshot::Sender<T>) -> ToRoom,
    ) -> Result<T, LiveError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .try_send(msg(tx))
            .map_err(|_| LiveError::unavailable())?;
        rx.await.map_err(|_| LiveError::unavailable())
    }
}

/// One room in [`Rooms::summary`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RoomSummary {
    pub id: String,
    pub members: u64,
    pub version: u64,
}

/// Settings every room of the node runs with.
#[derive(Clone, Debug)]
pub struct RoomOptions {
    pub limits: Limits,
    /// A room nobody is in for this long is removed.
    pub empty_ttl: Duration,
    /// Rooms one account may own at most.
    pub rooms_per_owner: usize,
    /// States published to `cosmic.live.v1` members at most this often (changes in between coalesce).
    pub fanout_hz: u32,
}

impl Default for RoomOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            empty_ttl: Duration::from_secs(24 * 3600),
            rooms_per_owner: 20,
            fanout_hz: 60,
        }
    }
}

/// An invitation into a room, in a role (single use).
#[derive(Clone, Debug)]
struct Invitation {
    room: String,
    role: Role,
    expires_at: i64,
}

/// Invitations last this long unless their host says otherwise…
pub const INVITATION_TTL_SECS: u64 = 24 * 3600;
/// …and never longer than this.
pub const MAX_INVITATION_TTL_SECS: u64 = 7 * 24 * 3600;

#[derive(Debug)]
struct Inner {
    by_id: DashMap<String, RoomHandle>,
    invitations: DashMap<String, Invitation>,
    by_code: DashMap<String, String>,
    owners: DashMap<u64, usize>,
    store: Arc<dyn RoomStore>,
    options: RoomOptions,
    shutdown: watch::Receiver<bool>,
    tasks: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// The registry; cheap to clone.
#[derive(Clone, Debug)]
pub struct Rooms(Arc<Inner>);

impl Rooms {
    pub fn new(
        store: Arc<dyn RoomStore>,
        options: RoomOptions,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self(Arc::new(Inner {
            by_id: DashMap::new(),
            invitations: DashMap::new(),
            by_code: DashMap::new(),
            owners: DashMap::new(),
            store,
            options,
            shutdown,
            tasks: std::sync::Mutex::default(),
        }))
    }

    pub fn len(&self) -> usize {
        self.0.by_id.len()
    }

    /// Every room with its members and state version, the busiest first.
    pub fn summary(&self) -> Vec<RoomSummary> {
        let mut list: Vec<_> = self
            .0
            .by_id
            .iter()
            .map(|h| RoomSummary {
                id: h.id.clone(),
                members: h.stats.members.load(Ordering::Relaxed),
                version: h.stats.version.load(Ordering::Relaxed),
            })
            .collect();
        list.sort_by(|a, b| b.members.cmp(&a.members).then_with(|| a.id.cmp(&b.id)));
        list
    }

    /// How often rooms publish their state at most.
    pub fn fanout_hz(&self) -> u32 {
        self.0.options.fanout_hz
    }

    pub fn is_empty(&self) -> bool {
        self.0.by_id.is_empty()
    }

    /// Starts every stored room (at server start).
    pub async fn restore(&self) -> Result<usize, StoreFailure> {
        let stored = self.0.store.load_rooms().await?;
        let mut n = 0;
        for room in stored {
            let meta: RoomMeta = match serde_json::from_str(&room.meta) {
                Ok(m) => m,
                Err(e) => {
                    warn!(room = %room.id, error = %e, "Skipping a stored live room that does not read.");
                    continue;
                }
            };
            let state: ShowState = serde_json::from_str(&room.state).unwrap_or_default();
            self.spawn(meta, state, room.last_active);
            n += 1;
        }
        info!(rooms = n, "Live rooms restored.");
        Ok(n)
    }

    fn spawn(&self, meta: RoomMeta, state: ShowState, last_active: i64) -> RoomHandle {
        let (tx, rx) = mpsc::channel(MAILBOX);
        let handle = RoomHandle {
            id: meta.id.clone(),
            code: meta.code.clone(),
            is_private: meta.is_private,
            tx,
            stats: Arc::default(),
        };
        *self.0.owners.entry(meta.owner).or_default() += 1;
        self.0.by_code.insert(meta.code.clone(), meta.id.clone());
        self.0.by_id.insert(meta.id.clone(), handle.clone());
        crate::metrics::rooms(self.len());
        let owner = meta.owner;
        let mut actor = RoomActor::new(
            meta,
            state,
            last_active,
            self.0.options.limits.clone(),
            self.0.store.clone(),
            self.0.options.empty_ttl,
            self.0.options.fanout_hz,
        );
        actor.stats = handle.stats.clone();
        let rooms = self.clone();
        let expired = move |id: &str| rooms.forget(id, owner);
        let task = tokio::spawn(actor.run(rx, self.0.shutdown.clone(), expired));
        let mut tasks = self.0.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
        handle
    }

    fn forget(&self, id: &str, owner: u64) {
        if let Some((_, h)) = self.0.by_id.remove(id) {
            self.0.by_code.remove(&h.code);
            if let Some(mut n) = self.0.owners.get_mut(&owner) {
                *n = n.saturating_sub(1);
            }
        }
        crate::metrics::rooms(self.len());
    }

    /// A new room owned by `owner`, stored before it is announced.
    pub async fn create(&self, owner: u64, given: NewRoom) -> Result<RoomHandle, LiveError> {
        let owned = self.0.owners.get(&owner).map_or(0, |n| *n);
        if owned >= self.0.options.rooms_per_owner {
            return Err(LiveError::new(
                ErrorCode::LimitExceeded,
                format!(
                    "an account owns {} rooms at most",
                    self.0.options.rooms_per_owner
                ),
            ));
        }
        let code = loop {
            let code = new_code();
            if !self.0.by_code.contains_key(&code) {
                break code;
            }
        };
        let id = uuid::Uuid::new_v4().to_string();
        let now = crate::now_ms();
        let meta = RoomMeta::new(id, code, owner, given, now)?;
        let state = ShowState {
            timestamp: now,
            ..ShowState::default()
        };
        let stored = crate::seams::StoredRoom {
            id: meta.id.clone(),
            code: meta.code.clone(),
            owner,
            meta: serde_json::to_string(&meta).unwrap_or_default(),
            state: serde_json::to_string(&state).unwrap_or_default(),
            last_active: now,
        };
        self.0.store.save_room(&stored).await.map_err(|e| {
            warn!(error = %e, "Cannot store a new live room.");
            LiveError::unavailable()
        })?;
        info!(room = %meta.id, code = %meta.code, owner, "Live room created.");
        Ok(self.spawn(meta, state, now))
    }

    /// The room `key` names: a room id, or a join code. A private room is found by its code only
    /// (by id it is "no such room").
    pub fn find(&self, key: &str) -> Option<RoomHandle> {
        if let Some(h) = self.0.by_id.get(key) {
            return (!h.is_private).then(|| h.clone());
        }
        let code = as_code(key)?;
        let id = self.0.by_code.get(&code)?.clone();
        self.0.by_id.get(&id).map(|h| h.clone())
    }

    /// A new invitation into room `room` as `role` (not the host's), for `ttl_secs` (capped): its token
    /// and when it expires (Unix ms). Whoever asks must have been checked by the room
    /// ([`crate::actor::ToRoom::MayInvite`]).
    pub fn invite(
        &self,
        room: &str,
        role: Role,
        ttl_secs: Option<u64>,
    ) -> Result<(String, i64), LiveError> {
        if role == Role::Host {
            return Err(LiveError::new(
                ErrorCode::InvalidOperation,
                "a room has one host",
            ));
        }
        let ttl = ttl_secs
            .unwrap_or(INVITATION_TTL_SECS)
            .clamp(1, MAX_INVITATION_TTL_SECS);
        let now = crate::now_ms();
        self.0.invitations.retain(|_, i| i.expires_at > now);
        let token: String = {
            use rand::Rng;
            let mut rng = rand::rng();
            (0..24)
                .map(|_| {
                    const A: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
                    A[rng.random_range(0..A.len())] as char
                })
                .collect()
        };
        let expires_at = now + ttl as i64 * 1000;
        let invitation = Invitation {
            room: room.to_owned(),
            role,
            expires_at,
        };
        self.0.invitations.insert(token.clone(), invitation);
        Ok((token, expires_at))
    }

    /// The room and role an invitation token lets in, once (the token is then spent).
    pub fn redeem(&self, token: &str) -> Result<(RoomHandle, Role), LiveError> {
        let gone = || {
            LiveError::new(
                ErrorCode::NotFound,
                "no such invitation (or it was used, or it expired)",
            )
        };
        let (_, i) = self.0.invitations.remove(token).ok_or_else(gone)?;
        if i.expires_at <= crate::now_ms() {
            return Err(gone());
        }
        Ok((self.get(&i.room).ok_or_else(gone)?, i.role))
    }

    /// The room with id `id`, private or not (for a member already in it).
    pub fn get(&self, id: &str) -> Option<RoomHandle> {
        self.0.by_id.get(id).map(|h| h.clone())
    }

    /// Waits for every room to write its state (after shutdown was signalled).
    pub async fn stopped(&self) {
        let tasks = std::mem::take(&mut *self.0.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for t in tasks {
            let _ = t.await;
        }
    }
}
