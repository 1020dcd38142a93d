//! The economy phase: every body's production accrues to its owner while the owner is in the world, plus a
//! base income; a returning player is paid for time away at a reduced rate.

use std::collections::BTreeMap;

use super::World;
use crate::body::{BodyKind, LifeStage, PlayerId};
use crate::research::ResearchId;
use crate::resources::Resources;

/// Production per second of every player in the world (online or not), research multipliers applied.
pub(super) fn rates(world: &World) -> BTreeMap<PlayerId, Resources> {
    let balance = &world.balance;
    let mut raw: BTreeMap<PlayerId, Resources> = world
        .state
        .players
        .keys()
        .map(|id| (*id, balance.player.base_income))
        .collect();
    for body in &world.state.bodies {
        let Some(rate) = body.owner.and_then(|o| raw.get_mut(&o)) else {
            continue;
        };
        rate.add_scaled(&balance.body(body.kind).production, 1.0);
        match body.kind {
            BodyKind::Star(class) => rate.energy += balance.stars.get(class).energy,
            BodyKind::Planet => {
                let life = &balance.life;
                let stage = body.life.stage;
                for (reached, yield_) in [
                    (LifeStage::Microbial, &life.microbial),
                    (LifeStage::Plant, &life.plant),
                    (LifeStage::Animal, &life.animal),
                    (LifeStage::Intelligent, &life.intelligent),
                ] {
                    if stage >= reached {
                        rate.add_scaled(yield_, 1.0);
                    }
                }
            }
            _ => {}
        }
    }
    for (id, rate) in raw.iter_mut() {
        if let Some(p) = world.state.players.get(id) {
            rate.cosmic_dust *= 1.0 + p.research.bonus(balance, ResearchId::DustYield);
            rate.energy *= 1.0 + p.research.bonus(balance, ResearchId::EnergyYield);
        }
    }
    raw
}

/// Adds one tick of production to every online player.
pub(super) fn accrue(world: &mut World) {
    let dt = world.balance.dt();
    let rates = rates(world);
    for (id, rate) in rates {
        if let Some(p) = world.state.players.get_mut(&id)
            && p.online
        {
            p.resources.add_scaled(&rate, dt);
            p.stats.produced.add_scaled(&rate, dt);
        }
    }
}

/// What a player returning after `away_seconds` receives: current production for the time away, capped,
/// at the offline rate (raised by research, at most 1).
pub(super) fn offline_grant(world: &World, player: PlayerId, away_seconds: f64) -> Resources {
    let balance = &world.balance;
    let Some(p) = world.state.players.get(&player) else {
        return Resources::ZERO;
    };
    let seconds = away_seconds.min(balance.player.offline_cap_hours * 3600.0);
    let share = (balance.player.offline_rate
        + p.research.bonus(balance, ResearchId::OfflineEfficiency))
    .min(1.0);
    rates(world)
        .get(&player)
        .copied()
        .unwrap_or_default()
        .scaled(seconds * share)
}
