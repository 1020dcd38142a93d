//! World actors against the real server: ticking, hibernation when empty, waking on join.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use protocol::v1::SUBPROTOCOL_BIN;

#[tokio::test]
async fn empty_world_hibernates_and_wakes_on_join() {
    let app = spawn_app(|c| c.world.hibernate_after = Duration::from_millis(300)).await;
    let world = app.state.game.garden.worlds.get(1).unwrap();
    let ticks = || world.stats.ticks.load(Ordering::Relaxed);

    tokio::time::sleep(Duration::from_millis(800)).await;
    let asleep = ticks();
    assert!(asleep > 0, "the world ticked before hibernating");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(ticks(), asleep, "no ticks while hibernating");

    let (mut c, _) = V1Client::join(&app, SUBPROTOCOL_BIN, hello(1)).await;
    for _ in 0..5 {
        c.next_frame().await;
    }
    assert!(
        ticks() >= asleep + 4,
        "ticking again after a join: {} vs {asleep}",
        ticks()
    );
    app.stop().await;
}
