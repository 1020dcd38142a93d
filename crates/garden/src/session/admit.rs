//! Letting a connection into a world: who may see it (a private world is "no such world" to everyone
//! but its owner and members, whatever the refusal would have been) and whether it has room.

use sim::PlayerId;
use tokio::sync::oneshot;

use crate::Garden;
use crate::worlds::{Refusal, ToWorld, WorldHandle};

/// Why a connection is not let in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// No such world, or a private one the caller may not see (the same answer for both).
    NotFound,
    /// The world has `max_players` players in it.
    Full,
    /// The world or the store did not answer.
    Unavailable,
}

/// The world `id` if `player` (none: an anonymous watcher) may see it.
pub async fn visible(
    garden: &Garden,
    id: u64,
    player: Option<PlayerId>,
) -> Result<WorldHandle, Denied> {
    let world = garden.worlds.get(id).ok_or(Denied::NotFound)?;
    if world.is_public() {
        return Ok(world);
    }
    let Some(player) = player else {
        return Err(Denied::NotFound);
    };
    if world.settings.owner == Some(player.0) {
        return Ok(world);
    }
    match garden.accounts.is_member(world.id, player).await {
        Ok(true) => Ok(world),
        Ok(false) => Err(Denied::NotFound),
        Err(e) => {
            tracing::error!(world = id, error = %e, "Cannot check a world's members.");
            Err(Denied::Unavailable)
        }
    }
}

/// Enters `player` into `world` (answered at the world's next tick).
pub async fn enter(world: &WorldHandle, player: PlayerId) -> Result<(), Denied> {
    let (admitted, answer) = oneshot::channel();
    let msg = ToWorld::Enter { player, admitted };
    if world.tx.send(msg).await.is_err() {
        return Err(Denied::Unavailable);
    }
    match answer.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(Refusal::Full)) => Err(Denied::Full),
        Err(_) => Err(Denied::Unavailable),
    }
}

/// Tells the world a connection of `player` left, without waiting on a full queue.
pub fn exit(world: &WorldHandle, player: PlayerId) {
    if world.tx.try_send(ToWorld::Exit { player }).is_err() {
        let world = world.clone();
        tokio::spawn(async move {
            let _ = world.tx.send(ToWorld::Exit { player }).await;
        });
    }
}
