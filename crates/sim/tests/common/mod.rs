//! Helpers shared by the simulation's integration tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::sync::Arc;

use sim::{Balance, Body, BodyId, BodyKind, Command, CommandKind, Life, PlayerId, World};

pub fn balance() -> Arc<Balance> {
    Arc::new(Balance::default())
}

/// The default balance with every source of income set to zero, so resources move only by costs.
pub fn balance_without_income() -> Arc<Balance> {
    let mut b = Balance::default();
    b.player.base_income = Default::default();
    for spec in [
        &mut b.bodies.asteroid,
        &mut b.bodies.comet,
        &mut b.bodies.moon,
        &mut b.bodies.dwarf_planet,
        &mut b.bodies.planet,
        &mut b.bodies.star,
        &mut b.bodies.black_hole,
    ] {
        spec.production = Default::default();
    }
    for class in sim::SpectralClass::ALL {
        match class {
            sim::SpectralClass::O => b.stars.o.energy = 0.0,
            sim::SpectralClass::B => b.stars.b.energy = 0.0,
            sim::SpectralClass::A => b.stars.a.energy = 0.0,
            sim::SpectralClass::F => b.stars.f.energy = 0.0,
            sim::SpectralClass::G => b.stars.g.energy = 0.0,
            sim::SpectralClass::K => b.stars.k.energy = 0.0,
            sim::SpectralClass::M => b.stars.m.energy = 0.0,
        }
    }
    b.validate().unwrap();
    Arc::new(b)
}

pub fn body(
    kind: BodyKind,
    mass: f64,
    radius: f64,
    position: [f64; 3],
    velocity: [f64; 3],
) -> Body {
    Body {
        id: BodyId(0),
        kind,
        mass,
        radius,
        position,
        velocity,
        owner: None,
        age: 0,
        life: Life::default(),
    }
}

pub fn join(player: u64) -> Command {
    Command {
        player: PlayerId(player),
        kind: CommandKind::Join { away_seconds: 0.0 },
    }
}

pub fn create(player: u64, kind: BodyKind, position: [f64; 3]) -> Command {
    Command {
        player: PlayerId(player),
        kind: CommandKind::CreateBody {
            kind,
            position,
            velocity: None,
        },
    }
}

/// Every float of the state as raw bits, so comparisons catch -0.0 vs 0.0 and NaN payloads.
pub fn fingerprint(world: &World) -> Vec<u64> {
    let mut out = vec![world.tick().0];
    for b in world.bodies() {
        out.push(b.id.0);
        out.push(b.mass.to_bits());
        out.push(b.radius.to_bits());
        out.extend(b.position.iter().chain(&b.velocity).map(|v| v.to_bits()));
        out.push(b.life.years.to_bits());
        out.push(b.age);
    }
    for p in world.players() {
        out.push(p.id.0);
        out.extend(p.resources.to_array().iter().map(|v| v.to_bits()));
    }
    out
}
