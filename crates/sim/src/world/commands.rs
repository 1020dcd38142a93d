//! The commands phase: validate each intent completely, then apply it. A rejected command changes nothing,
//! and a cost is charged exactly once, in the same step that applies the command.

use super::{World, economy};
use crate::body::{Body, BodyId, BodyKind, PlayerId, distance_squared, norm};
use crate::command::{Applied, Command, CommandKind, Outcome, Rejection};
use crate::player::Player;
use crate::research::ResearchId;

pub(super) fn apply(world: &mut World, command: &Command) -> Outcome {
    let player = command.player;
    match &command.kind {
        CommandKind::Join { away_seconds } => join(world, player, *away_seconds),
        CommandKind::Leave => {
            joined(world, player)?;
            if let Some(p) = world.state.players.get_mut(&player) {
                p.online = false;
            }
            Ok(Applied::Left)
        }
        CommandKind::CreateBody {
            kind,
            position,
            velocity,
        } => create_body(world, player, *kind, *position, *velocity),
        CommandKind::RemoveBody { body } => remove_body(world, player, *body),
        CommandKind::BuyResearch { research } => buy_research(world, player, *research),
    }
}

fn joined(world: &World, player: PlayerId) -> Result<&Player, Rejection> {
    world.state.players.get(&player).ok_or(Rejection::NotJoined)
}

fn join(world: &mut World, player: PlayerId, away_seconds: f64) -> Outcome {
    if !away_seconds.is_finite() || away_seconds < 0.0 {
        return Err(Rejection::NotFinite);
    }
    let grant = match world.state.players.get(&player) {
        None => {
            let starting = world.balance.player.starting_resources;
            world
                .state
                .players
                .insert(player, Player::new(player, starting));
            Default::default()
        }
        // Already here (another connection): nothing was missed.
        Some(p) if p.online => Default::default(),
        Some(_) => economy::offline_grant(world, player, away_seconds),
    };
    if let Some(p) = world.state.players.get_mut(&player) {
        p.online = true;
        p.resources.add_scaled(&grant, 1.0);
        p.stats.produced.add_scaled(&grant, 1.0);
    }
    Ok(Applied::Joined {
        offline_grant: grant,
    })
}

fn create_body(
    world: &mut World,
    player: PlayerId,
    kind: BodyKind,
    position: [f64; 3],
    velocity: Option<[f64; 3]>,
) -> Outcome {
    let balance = world.balance.clone();
    let p = joined(world, player)?;
    if position
        .iter()
        .chain(velocity.iter().flatten())
        .any(|v| !v.is_finite())
    {
        return Err(Rejection::NotFinite);
    }
    if let Some(requires) = balance.body(kind).requires
        && !p.research.is_unlocked(requires)
    {
        return Err(Rejection::Locked { requires });
    }
    let mass = balance.base_mass(kind);
    let radius = balance.radius_for(kind, mass);
    let world_radius = balance.world.radius;
    if norm(position) + radius > world_radius {
        return Err(Rejection::OutOfBounds {
            radius: world_radius,
        });
    }
    let limit = balance.world.max_spawn_speed;
    if velocity.is_some_and(|v| norm(v) > limit) {
        return Err(Rejection::TooFast { limit });
    }
    let world_limit = balance.world.max_bodies;
    if world.state.bodies.len() >= world_limit as usize {
        return Err(Rejection::WorldLimitReached { limit: world_limit });
    }
    let player_limit = balance.player.max_bodies
        + p.research.bonus(&balance, ResearchId::BodyLimit).floor() as u32;
    if world.owned_count(player) >= player_limit as usize {
        return Err(Rejection::PlayerLimitReached {
            limit: player_limit,
        });
    }
    if let Some(other) = world.state.bodies.iter().find(|b| {
        let reach = b.radius + radius;
        distance_squared(b.position, position) < reach * reach
    }) {
        return Err(Rejection::OverlapsBody { body: other.id });
    }
    let cost = balance.creation_cost(kind);
    let Some(remaining) = p.resources.checked_sub(&cost) else {
        return Err(Rejection::NotEnoughResources {
            missing: p.resources.shortfall(&cost),
        });
    };

    // Everything checked: apply.
    let velocity = velocity.unwrap_or_else(|| orbital_velocity(world, position, mass));
    if let Some(p) = world.state.players.get_mut(&player) {
        p.resources = remaining;
        p.stats.bodies_created += 1;
        if kind.is_star() {
            p.stats.stars_created += 1;
        }
    }
    let id = world.spawn(kind, mass, position, velocity, Some(player));
    Ok(Applied::BodyCreated { body: id })
}

/// Velocity for a circular orbit around the body that pulls hardest on `position` (at rest if none).
fn orbital_velocity(world: &World, position: [f64; 3], mass: f64) -> [f64; 3] {
    let attractor = world.state.bodies.iter().max_by(|a, b| {
        let pull = |x: &Body| x.mass / distance_squared(x.position, position).max(1e-9);
        pull(a).total_cmp(&pull(b))
    });
    let Some(a) = attractor else {
        return [0.0; 3];
    };
    let d = [
        position[0] - a.position[0],
        position[1] - a.position[1],
        position[2] - a.position[2],
    ];
    let r = norm(d);
    if r <= 0.0 {
        return a.velocity;
    }
    // Orbit in the plane perpendicular to z where possible (the garden's disc), else around x.
    let mut t = [-d[1], d[0], 0.0];
    if norm(t) < 1e-6 * r {
        t = [0.0, -d[2], d[1]];
    }
    let tn = norm(t);
    let speed = (world.balance.world.g * (a.mass + mass) / r).sqrt();
    std::array::from_fn(|k| a.velocity[k] + t[k] / tn * speed)
}

fn remove_body(world: &mut World, player: PlayerId, body: BodyId) -> Outcome {
    joined(world, player)?;
    let index = world.index_of(body).ok_or(Rejection::NoSuchBody)?;
    if world.state.bodies[index].owner != Some(player) {
        return Err(Rejection::NotOwner);
    }
    world.state.bodies.remove(index);
    world.acc_valid = false;
    Ok(Applied::BodyRemoved { body })
}

fn buy_research(world: &mut World, player: PlayerId, research: ResearchId) -> Outcome {
    let balance = world.balance.clone();
    let spec = balance.research.get(research);
    let p = joined(world, player)?;
    let level = p.research.level(research);
    if level >= spec.max_level {
        return Err(Rejection::MaxLevel {
            max: spec.max_level,
        });
    }
    if let Some(requires) = spec.requires
        && !p.research.is_unlocked(requires)
    {
        return Err(Rejection::Locked { requires });
    }
    let cost = spec.cost_at(level);
    let Some(remaining) = p.resources.checked_sub(&cost) else {
        return Err(Rejection::NotEnoughResources {
            missing: p.resources.shortfall(&cost),
        });
    };
    if let Some(p) = world.state.players.get_mut(&player) {
        p.resources = remaining;
        p.research.raise(research);
    }
    Ok(Applied::ResearchBought {
        research,
        level: level + 1,
    })
}
