//! Seeded world generation: a living garden to start from (the default world, benchmarks, tests).
//!
//! A black-hole core, a few star systems on circular orbits around it with planets around each star (some
//! in the habitable zone), and a disc of asteroids, comets, moons and dwarf planets. Same seed, same world.

use std::sync::Arc;

use super::World;
use crate::balance::Balance;
use crate::body::{BodyKind, PlayerId, SpectralClass};
use crate::command::{Command, CommandKind};
use crate::rng::Rng;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub seed: u64,
    /// Total bodies, core and stars included (at least the core and one system are made).
    pub bodies: usize,
    /// Players joined to the world (ids 1..=players, online); they own the disc bodies in turn.
    pub players: u64,
    /// Star systems orbiting the core.
    pub systems: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            bodies: 300,
            players: 0,
            systems: 4,
        }
    }
}

const CORE_MASS: f64 = 1.0e7;
const DISC_INNER: f64 = 3_000.0;
const DISC_OUTER: f64 = 40_000.0;

impl World {
    /// A new world populated from `options`.
    pub fn generate(balance: Arc<Balance>, options: &GenerateOptions) -> World {
        let mut world = World::new(balance);
        let mut rng = Rng::new(options.seed);
        let join: Vec<Command> = (1..=options.players)
            .map(|id| Command {
                player: PlayerId(id),
                kind: CommandKind::Join { away_seconds: 0.0 },
            })
            .collect();
        for c in &join {
            let _ = super::commands::apply(&mut world, c);
        }

        world.spawn(BodyKind::BlackHole, CORE_MASS, [0.0; 3], [0.0; 3], None);
        let g = world.balance.world.g;
        let classes = [
            SpectralClass::G,
            SpectralClass::K,
            SpectralClass::F,
            SpectralClass::M,
        ];
        let mut systems = Vec::new();
        for s in 0..options.systems.max(1) {
            let class = classes[s % classes.len()];
            let mass = world.balance.base_mass(BodyKind::Star(class));
            let r = rng.range(8_000.0, 30_000.0);
            let (pos, vel) = circular(&mut rng, [0.0; 3], [0.0; 3], g * CORE_MASS, r, 0.0);
            world.spawn(BodyKind::Star(class), mass, pos, vel, None);
            systems.push((pos, vel, mass));
        }
        let mut turn = 0u64;
        let mut owner = |rng: &mut Rng| {
            if options.players == 0 || rng.unit() < 0.2 {
                return None;
            }
            turn += 1;
            Some(PlayerId(turn % options.players + 1))
        };
        let planet_mass = world.balance.base_mass(BodyKind::Planet);
        while world.state.bodies.len() < options.bodies.max(2) {
            let roll = rng.unit();
            if roll < 0.08 {
                // A planet around one of the stars, between 600 and 2,500 units: the inner ones are habitable.
                let (spos, svel, smass) = systems[rng.below(systems.len() as u64) as usize];
                let r = rng.range(600.0, 2_500.0);
                let (pos, vel) = circular(&mut rng, spos, svel, g * smass, r, 0.02);
                let who = owner(&mut rng);
                world.spawn(BodyKind::Planet, planet_mass, pos, vel, who);
                continue;
            }
            let kind = match roll {
                r if r < 0.70 => BodyKind::Asteroid,
                r if r < 0.85 => BodyKind::Comet,
                r if r < 0.95 => BodyKind::Moon,
                _ => BodyKind::DwarfPlanet,
            };
            let r = rng.range(DISC_INNER, DISC_OUTER);
            let enclosed = CORE_MASS
                + systems
                    .iter()
                    .filter(|(p, _, _)| crate::body::norm(*p) < r)
                    .map(|(_, _, m)| m)
                    .sum::<f64>();
            let (pos, vel) = circular(&mut rng, [0.0; 3], [0.0; 3], g * enclosed, r, 0.03);
            let mass = world.balance.base_mass(kind);
            let who = owner(&mut rng);
            world.spawn(kind, mass, pos, vel, who);
        }
        world
    }
}

/// A random point at distance `r` from `center` near the z = 0 plane (height up to `thickness` × r), with
/// the velocity of a circular orbit around a mass whose G·M is `gm`.
fn circular(
    rng: &mut Rng,
    center: [f64; 3],
    center_velocity: [f64; 3],
    gm: f64,
    r: f64,
    thickness: f64,
) -> ([f64; 3], [f64; 3]) {
    let angle = rng.range(0.0, std::f64::consts::TAU);
    let (s, c) = angle.sin_cos();
    let z = rng.range(-thickness, thickness) * r;
    let pos = [center[0] + r * c, center[1] + r * s, center[2] + z];
    let speed = (gm / r).sqrt();
    let vel = [
        center_velocity[0] - speed * s,
        center_velocity[1] + speed * c,
        center_velocity[2],
    ];
    (pos, vel)
}
