//! The server's side of the garden's seams: the store writes what world actors persist, and the
//! accounts (JWT settings + store) answer the sessions.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use garden::{Accounts, PlayerStatsRow, StoreFailure, WorldStore};
use sim::PlayerId;

use crate::store::{NewUser, Store, StoreError};
use crate::tokens::AuthConfig;

fn failure(e: StoreError) -> StoreFailure {
    StoreFailure(e.to_string())
}

impl WorldStore for Store {
    fn append_commands<'a>(
        &'a self,
        world: u64,
        tick: u64,
        commands: &'a [sim::Command],
    ) -> BoxFuture<'a, Result<(), StoreFailure>> {
        async move {
            Store::append_commands(self, world as i64, tick, commands)
                .await
                .map_err(failure)
        }
        .boxed()
    }

    fn save_snapshot<'a>(
        &'a self,
        world: u64,
        state: &'a sim::WorldState,
    ) -> BoxFuture<'a, Result<usize, StoreFailure>> {
        async move {
            Store::save_snapshot(self, world as i64, state)
                .await
                .map_err(failure)
        }
        .boxed()
    }

    fn save_player_stats<'a>(
        &'a self,
        rows: &'a [PlayerStatsRow],
    ) -> BoxFuture<'a, Result<(), StoreFailure>> {
        async move { Store::save_player_stats(self, rows).await.map_err(failure) }.boxed()
    }
}

/// Accounts as the garden's sessions see them.
#[derive(Clone, Debug)]
pub struct ServerAccounts {
    pub store: Store,
    pub cache: crate::cache::Cache,
    pub auth: Arc<AuthConfig>,
}

impl Accounts for ServerAccounts {
    fn player_for_token<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Option<PlayerId>> {
        async move {
            let id = crate::tokens::verify_access(&self.auth, token).ok()?.sub;
            let exists = crate::accounts::exists(&self.store, &self.cache, id).await;
            // A store failure refuses the token too: the client is told to sign in again.
            exists.ok()?.then_some(PlayerId(id as u64))
        }
        .boxed()
    }

    fn new_guest(&self) -> BoxFuture<'_, Result<PlayerId, StoreFailure>> {
        async move {
            let user = self
                .store
                .create_user(&NewUser {
                    is_guest: true,
                    ..Default::default()
                })
                .await
                .map_err(failure)?;
            Ok(PlayerId(user.id as u64))
        }
        .boxed()
    }

    fn is_member(&self, world: u64, player: PlayerId) -> BoxFuture<'_, Result<bool, StoreFailure>> {
        async move {
            self.store
                .is_member(world as i64, player.0 as i64)
                .await
                .map_err(failure)
        }
        .boxed()
    }
}
