//! Life: a planet's habitability from the stars around it and its mass, and growth through the stages.

use super::World;
use crate::balance::LifeSpec;
use crate::body::{BodyKind, LifeStage, distance_squared};
use crate::event::Event;
use crate::research::ResearchId;

/// Distances in the flux formula are measured in units of this many game units.
const FLUX_DISTANCE_UNIT: f64 = 1000.0;

/// Updates every planet's habitability and advances its life.
pub(super) fn grow(world: &mut World, events: &mut Vec<Event>) {
    let balance = world.balance.clone();
    let spec = &balance.life;
    let stars: Vec<([f64; 3], f64)> = world
        .state
        .bodies
        .iter()
        .filter_map(|b| match b.kind {
            BodyKind::Star(class) => Some((b.position, balance.stars.get(class).luminosity)),
            _ => None,
        })
        .collect();
    let years_per_tick = balance.dt() / spec.seconds_per_game_year;
    let players = &mut world.state.players;
    for body in world
        .state
        .bodies
        .iter_mut()
        .filter(|b| b.kind == BodyKind::Planet)
    {
        let h = habitability(spec, body.position, body.mass, &stars);
        body.life.habitability = h;
        if h <= 0.0 {
            continue;
        }
        let owner = body.owner.and_then(|id| players.get_mut(&id));
        let speed = 1.0
            + owner
                .as_ref()
                .map_or(0.0, |p| p.research.bonus(&balance, ResearchId::LifeGrowth));
        body.life.years += h * years_per_tick * speed;
        let stage = stage_for(spec, body.life.years);
        if stage > body.life.stage {
            body.life.stage = stage;
            events.push(Event::LifeAdvanced {
                body: body.id,
                stage,
            });
            if let Some(p) = owner {
                p.stats.highest_life_stage = p.stats.highest_life_stage.max(stage);
            }
        }
    }
}

/// Habitability in [0, 1]: 1 at the optimal stellar flux, falling to 0 at `flux_tolerance` times
/// brighter or dimmer (log scale); 0 for planets too light or too heavy to hold life.
pub fn habitability(
    spec: &LifeSpec,
    position: [f64; 3],
    mass: f64,
    stars: &[([f64; 3], f64)],
) -> f64 {
    if !(spec.min_planet_mass..=spec.max_planet_mass).contains(&mass) {
        return 0.0;
    }
    let flux: f64 = stars
        .iter()
        .map(|(p, luminosity)| {
            let d2 = distance_squared(*p, position) / (FLUX_DISTANCE_UNIT * FLUX_DISTANCE_UNIT);
            luminosity / d2.max(1e-6)
        })
        .sum();
    if flux <= 0.0 {
        return 0.0;
    }
    let off = (flux / spec.optimal_flux).ln().abs() / spec.flux_tolerance.ln();
    (1.0 - off).max(0.0)
}

/// The stage reached after `years` of growth.
pub fn stage_for(spec: &LifeSpec, years: f64) -> LifeStage {
    if years >= spec.years_to_intelligent {
        LifeStage::Intelligent
    } else if years >= spec.years_to_animal {
        LifeStage::Animal
    } else if years >= spec.years_to_plant {
        LifeStage::Plant
    } else if years >= spec.years_to_microbial {
        LifeStage::Microbial
    } else {
        LifeStage::None
    }
}
