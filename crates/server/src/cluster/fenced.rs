//! A world's storage as its owner in a cluster writes it: every journal and snapshot write carries the
//! lease's fencing token, and the first refusal stops the world (its owner lost the lease: another node
//! runs it now, and nothing of this one may land after the takeover).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use garden::{PlayerStatsRow, StoreFailure, WorldStore};
use tokio::sync::watch;

use crate::metrics::names::CLUSTER_FENCED_WRITES_TOTAL;
use crate::store::{Store, StoreError};

/// [`WorldStore`] with a fencing token.
#[derive(Debug)]
pub struct FencedStore {
    pub store: Store,
    /// The lease's token (raised in place when the lease is taken again after a Redis restart).
    pub fence: Arc<AtomicU64>,
    /// Set to stop the world.
    pub stop: Arc<watch::Sender<bool>>,
}

impl FencedStore {
    fn token(&self) -> Option<u64> {
        Some(self.fence.load(Ordering::SeqCst))
    }

    fn refused(&self, world: u64, e: StoreError) -> StoreFailure {
        if let StoreError::Fenced { token, newest } = &e {
            metrics::counter!(CLUSTER_FENCED_WRITES_TOTAL).increment(1);
            tracing::error!(
                world,
                token,
                newest,
                "Write refused by the fencing check: another node owns this world now; stopping it here."
            );
            self.stop.send_replace(true);
        }
        StoreFailure(e.to_string())
    }
}

impl WorldStore for FencedStore {
    fn append_commands<'a>(
        &'a self,
        world: u64,
        tick: u64,
        commands: &'a [sim::Command],
    ) -> BoxFuture<'a, Result<(), StoreFailure>> {
        async move {
            self.store
                .append_commands_fenced(world as i64, self.token(), tick, commands)
                .await
                .map_err(|e| self.refused(world, e))
        }
        .boxed()
    }

    fn save_snapshot<'a>(
        &'a self,
        world: u64,
        state: &'a sim::WorldState,
    ) -> BoxFuture<'a, Result<usize, StoreFailure>> {
        async move {
            self.store
                .save_snapshot_fenced(world as i64, self.token(), state)
                .await
                .map_err(|e| self.refused(world, e))
        }
        .boxed()
    }

    fn save_player_stats<'a>(
        &'a self,
        rows: &'a [PlayerStatsRow],
    ) -> BoxFuture<'a, Result<(), StoreFailure>> {
        // Figures for leaderboards, rewritten whole by whoever runs the world next: not fenced.
        WorldStore::save_player_stats(&self.store, rows)
    }
}
