//! Motion: kick-drift-kick leapfrog under the gravity engine, merging bodies that touch, and escape past
//! the world radius.

use super::World;
use crate::body::{BodyKind, Life, LifeStage, distance_squared};
use crate::event::Event;

/// One leapfrog step (kick ½dt, drift dt, new forces, kick ½dt). Returns the interactions evaluated.
///
/// Accelerations at the start are those computed at the end of the previous step; they are recomputed
/// only when the set of bodies changed since (commands, merges, escapes, restore), which gives the same
/// values because the kernels are deterministic.
pub(super) fn integrate(world: &mut World) -> u64 {
    if world.state.bodies.is_empty() {
        return 0;
    }
    let dt = world.balance.dt();
    let half = 0.5 * dt;
    let mut interactions = 0;
    if !world.acc_valid {
        interactions += compute_accelerations(world);
    }
    for (i, b) in world.state.bodies.iter_mut().enumerate() {
        let a = world.acc.get(i);
        for ((v, x), a) in b.velocity.iter_mut().zip(&mut b.position).zip(a) {
            *v += f64::from(a) * half;
            *x += *v * dt;
        }
    }
    interactions += compute_accelerations(world);
    for (i, b) in world.state.bodies.iter_mut().enumerate() {
        for (v, a) in b.velocity.iter_mut().zip(world.acc.get(i)) {
            *v += f64::from(a) * half;
        }
    }
    interactions
}

fn compute_accelerations(world: &mut World) -> u64 {
    let params = world.gravity_params();
    let World {
        state,
        engine,
        particles,
        acc,
        acc_valid,
        ..
    } = world;
    particles.clear();
    for b in &state.bodies {
        particles.push(b.position.map(|v| v as f32), b.mass as f32);
    }
    engine.accelerations(particles, &params, acc);
    *acc_valid = true;
    engine.last_interactions()
}

/// Merges every pair of bodies closer than the sum of their radii. Mass and momentum are conserved; the
/// heavier body survives with its kind, id and owner.
pub(super) fn collide(world: &mut World, events: &mut Vec<Event>) {
    let pairs = touching_pairs(world);
    if pairs.is_empty() {
        return;
    }
    let balance = world.balance.clone();
    let bodies = &mut world.state.bodies;
    // survivor[i]: the body i now belongs to (itself while alive).
    let mut survivor: Vec<usize> = (0..bodies.len()).collect();
    let find = |survivor: &mut Vec<usize>, mut i: usize| {
        while survivor[i] != i {
            survivor[i] = survivor[survivor[i]];
            i = survivor[i];
        }
        i
    };
    for (i, j) in pairs {
        let (i, j) = (find(&mut survivor, i), find(&mut survivor, j));
        if i == j {
            continue;
        }
        // Heavier survives; on a tie the older (lower id, lower index) one.
        let (s, a) = if bodies[j].mass > bodies[i].mass {
            (j, i)
        } else {
            (i, j)
        };
        survivor[a] = s;
        let absorbed = bodies[a].clone();
        let body = &mut bodies[s];
        let mass = body.mass + absorbed.mass;
        for k in 0..3 {
            body.position[k] =
                (body.position[k] * body.mass + absorbed.position[k] * absorbed.mass) / mass;
            body.velocity[k] =
                (body.velocity[k] * body.mass + absorbed.velocity[k] * absorbed.mass) / mass;
        }
        body.mass = mass;
        if body.kind.is_star()
            && absorbed.kind.is_star()
            && mass >= balance.collisions.black_hole_collapse_mass
        {
            body.kind = BodyKind::BlackHole;
            events.push(Event::CollapsedToBlackHole { body: body.id });
        } else if body.kind.is_star() {
            body.kind = BodyKind::Star(balance.star_class_for(mass));
        }
        body.radius = balance.radius_for(body.kind, mass);
        if body.kind == BodyKind::Planet && body.life.stage > LifeStage::None {
            events.push(Event::LifeLost { body: body.id });
        }
        body.life = Life::default();
        events.push(Event::Merged {
            survivor: body.id,
            absorbed: absorbed.id,
            kind: body.kind,
        });
    }
    let mut index = 0;
    bodies.retain(|_| {
        let alive = survivor[index] == index;
        index += 1;
        alive
    });
    world.acc_valid = false;
}

/// Pairs (i < j) of touching bodies, sorted: sweep and prune along x, O(N log N) for spread-out worlds.
fn touching_pairs(world: &World) -> Vec<(usize, usize)> {
    let bodies = &world.state.bodies;
    let lo = |i: usize| bodies[i].position[0] - bodies[i].radius;
    let mut order: Vec<usize> = (0..bodies.len()).collect();
    order.sort_unstable_by(|&a, &b| lo(a).total_cmp(&lo(b)).then(a.cmp(&b)));
    let mut pairs = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        let hi = bodies[i].position[0] + bodies[i].radius;
        for &j in &order[k + 1..] {
            if lo(j) > hi {
                break;
            }
            let reach = bodies[i].radius + bodies[j].radius;
            if distance_squared(bodies[i].position, bodies[j].position) < reach * reach {
                pairs.push((i.min(j), i.max(j)));
            }
        }
    }
    pairs.sort_unstable();
    pairs
}

/// Removes bodies beyond the world radius.
pub(super) fn escape(world: &mut World, events: &mut Vec<Event>) {
    let limit = world.balance.world.radius.powi(2);
    let before = world.state.bodies.len();
    world.state.bodies.retain(|b| {
        let inside = distance_squared(b.position, [0.0; 3]) <= limit;
        if !inside {
            events.push(Event::Escaped {
                body: b.id,
                owner: b.owner,
            });
        }
        inside
    });
    if world.state.bodies.len() != before {
        world.acc_valid = false;
    }
}
