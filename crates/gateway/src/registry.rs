//! The connection registry: every open WebSocket connection of every application, by id.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;

/// One open connection, as the registry lists it.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    /// The application serving it.
    pub app: &'static str,
    /// Its protocol's label.
    pub protocol: &'static str,
    /// Whom it belongs to, once known (an application's account id).
    pub principal: Option<u64>,
}

/// Open connections by id; cheap to clone.
#[derive(Clone, Debug)]
pub struct Registry {
    conns: Arc<DashMap<u64, ConnInfo>>,
    next: Arc<AtomicU64>,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            conns: Arc::default(),
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl Registry {
    /// Lists a new connection and returns its id.
    pub(crate) fn open(&self, info: ConnInfo) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.conns.insert(id, info);
        id
    }

    pub(crate) fn remove(&self, id: u64) {
        self.conns.remove(&id);
    }

    pub(crate) fn set_principal(&self, id: u64, principal: u64) {
        if let Some(mut c) = self.conns.get_mut(&id) {
            c.principal = Some(principal);
        }
    }

    /// Open connections, all applications together.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Open connections of one application.
    pub fn count_app(&self, app: &str) -> usize {
        self.conns.iter().filter(|c| c.app == app).count()
    }

    pub fn get(&self, id: u64) -> Option<ConnInfo> {
        self.conns.get(&id).map(|c| c.clone())
    }
}
