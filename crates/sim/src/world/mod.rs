//! A world: its bodies and players, and the fixed-step tick that moves them.
//!
//! Owns the tick and the order of its phases. Each phase lives in its own module; this file reads as the
//! table of contents. Nothing here reads a clock or does I/O: callers that time phases pass an observer.

mod commands;
mod economy;
mod generate;
mod life;
mod physics;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::balance::Balance;
use crate::body::{Body, BodyId, BodyKind, Life, PlayerId, Tick};
use crate::command::{Command, Outcome};
use crate::event::Event;
use crate::gravity::{Accelerations, GravityEngine, GravityParams, KernelChoice, Particles};
use crate::player::Player;
use crate::resources::Resources;

pub use generate::GenerateOptions;

/// Everything that makes a world what it is: enough to restore it exactly. Bodies are kept in id order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorldState {
    pub tick: Tick,
    pub next_body_id: u64,
    pub bodies: Vec<Body>,
    pub players: BTreeMap<PlayerId, Player>,
}

/// The phases of a tick, in order. Observers get each phase as it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Validate and apply the tick's commands.
    Commands,
    /// Gravity and the kick-drift-kick integration.
    Gravity,
    /// Merge bodies that touch; remove those that left the world.
    Collisions,
    /// Habitability and life stages.
    Life,
    /// Production accrues to players.
    Economy,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Self::Commands,
        Self::Gravity,
        Self::Collisions,
        Self::Life,
        Self::Economy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Commands => "commands",
            Self::Gravity => "gravity",
            Self::Collisions => "collisions",
            Self::Life => "life",
            Self::Economy => "economy",
        }
    }
}

/// What one tick did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepReport {
    /// The tick the world reached.
    pub tick: Tick,
    /// One outcome per command, in the order given.
    pub outcomes: Vec<Outcome>,
    pub events: Vec<Event>,
    /// Gravity interactions evaluated (pairs, or body–cell pairs for Barnes–Hut).
    pub interactions: u64,
}

/// A live world: its state plus the balance it runs under and the gravity engine's working memory.
#[derive(Clone, Debug)]
pub struct World {
    state: WorldState,
    balance: Arc<Balance>,
    engine: GravityEngine,
    particles: Particles,
    /// Accelerations at the current positions, index-aligned with `state.bodies`, when `acc_valid`.
    acc: Accelerations,
    acc_valid: bool,
}

impl World {
    /// An empty world.
    pub fn new(balance: Arc<Balance>) -> Self {
        Self::restore(balance, WorldState::default())
    }

    /// A world continuing exactly from `state` (as taken by [`World::snapshot`]).
    pub fn restore(balance: Arc<Balance>, state: WorldState) -> Self {
        Self {
            state,
            balance,
            engine: GravityEngine::new(KernelChoice::Auto),
            particles: Particles::default(),
            acc: Accelerations::default(),
            acc_valid: false,
        }
    }

    /// Uses another gravity kernel (benchmarks, tests). The choice never changes results beyond the
    /// kernels' stated accuracy.
    pub fn with_gravity(mut self, engine: GravityEngine) -> Self {
        self.engine = engine;
        self.acc_valid = false;
        self
    }

    /// A copy of the state to store; [`World::restore`] continues from it bit for bit.
    pub fn snapshot(&self) -> WorldState {
        self.state.clone()
    }

    pub fn state(&self) -> &WorldState {
        &self.state
    }

    pub fn balance(&self) -> &Balance {
        &self.balance
    }

    pub fn tick(&self) -> Tick {
        self.state.tick
    }

    pub fn bodies(&self) -> &[Body] {
        &self.state.bodies
    }

    pub fn body(&self, id: BodyId) -> Option<&Body> {
        self.index_of(id).map(|i| &self.state.bodies[i])
    }

    pub fn player(&self, id: PlayerId) -> Option<&Player> {
        self.state.players.get(&id)
    }

    pub fn players(&self) -> impl Iterator<Item = &Player> {
        self.state.players.values()
    }

    /// Production per second the player earns now (while online), research included.
    pub fn production_rate(&self, player: PlayerId) -> Resources {
        economy::rates(self)
            .get(&player)
            .copied()
            .unwrap_or_default()
    }

    /// Production per second of every player in the world, in one pass over the bodies.
    pub fn production_rates(&self) -> BTreeMap<PlayerId, Resources> {
        economy::rates(self)
    }

    /// Advances one tick: applies `commands` in order, then runs every phase.
    pub fn step(&mut self, commands: &[Command]) -> StepReport {
        self.step_observed(commands, |_| {})
    }

    /// [`World::step`], calling `observer` as each [`Phase`] ends (for timing by the caller).
    pub fn step_observed(
        &mut self,
        commands: &[Command],
        mut observer: impl FnMut(Phase),
    ) -> StepReport {
        let mut report = StepReport {
            outcomes: commands.iter().map(|c| commands::apply(self, c)).collect(),
            ..StepReport::default()
        };
        observer(Phase::Commands);
        report.interactions = physics::integrate(self);
        observer(Phase::Gravity);
        physics::collide(self, &mut report.events);
        physics::escape(self, &mut report.events);
        observer(Phase::Collisions);
        life::grow(self, &mut report.events);
        observer(Phase::Life);
        economy::accrue(self);
        observer(Phase::Economy);
        self.state.tick.0 += 1;
        self.state.bodies.iter_mut().for_each(|b| b.age += 1);
        report.tick = self.state.tick;
        report
    }

    fn gravity_params(&self) -> GravityParams {
        GravityParams {
            g: self.balance.world.g as f32,
            softening: self.balance.world.softening as f32,
        }
    }

    fn index_of(&self, id: BodyId) -> Option<usize> {
        self.state.bodies.binary_search_by_key(&id, |b| b.id).ok()
    }

    /// Number of bodies a player owns.
    pub fn owned_count(&self, player: PlayerId) -> usize {
        self.state
            .bodies
            .iter()
            .filter(|b| b.owner == Some(player))
            .count()
    }

    /// Sum over bodies of mass × velocity.
    pub fn total_momentum(&self) -> [f64; 3] {
        self.state.bodies.iter().fold([0.0; 3], |acc, b| {
            let p = b.momentum();
            [acc[0] + p[0], acc[1] + p[1], acc[2] + p[2]]
        })
    }

    pub fn total_mass(&self) -> f64 {
        self.state.bodies.iter().map(|b| b.mass).sum()
    }

    /// Kinetic plus potential energy (softened potential, pairwise, O(N²): for tests and tools).
    pub fn total_energy(&self) -> f64 {
        let g = self.balance.world.g;
        let eps2 = self.balance.world.softening.powi(2);
        let bodies = &self.state.bodies;
        let kinetic: f64 = bodies
            .iter()
            .map(|b| 0.5 * b.mass * crate::body::norm(b.velocity).powi(2))
            .sum();
        let mut potential = 0.0;
        for (i, a) in bodies.iter().enumerate() {
            for b in &bodies[i + 1..] {
                let r = (crate::body::distance_squared(a.position, b.position) + eps2).sqrt();
                potential -= g * a.mass * b.mass / r;
            }
        }
        kinetic + potential
    }

    /// Adds a body directly, outside the rules (world generation, tests). Returns its id.
    pub fn insert_body(&mut self, mut body: Body) -> BodyId {
        let id = BodyId(self.state.next_body_id);
        self.state.next_body_id += 1;
        body.id = id;
        self.state.bodies.push(body);
        self.acc_valid = false;
        id
    }

    /// Adds a body of `kind` with the radius its mass gives, outside the rules (generation, commands that
    /// passed validation). Returns its id.
    pub(crate) fn spawn(
        &mut self,
        kind: BodyKind,
        mass: f64,
        position: [f64; 3],
        velocity: [f64; 3],
        owner: Option<PlayerId>,
    ) -> BodyId {
        let radius = self.balance.radius_for(kind, mass);
        self.insert_body(Body {
            id: BodyId(0),
            kind,
            mass,
            radius,
            position,
            velocity,
            owner,
            age: 0,
            life: Life::default(),
        })
    }
}
