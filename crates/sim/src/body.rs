//! Celestial bodies: their kinds, identities and state.

use serde::{Deserialize, Serialize};

/// A body's identity within its world; never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BodyId(pub u64);

/// A player's identity; assigned by the server (an account id), opaque to the simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PlayerId(pub u64);

/// A world's tick counter.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Tick(pub u64);

/// Spectral class of a star, hottest (O) to coolest (M).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SpectralClass {
    O,
    B,
    A,
    F,
    G,
    K,
    M,
}

impl SpectralClass {
    /// Hottest first.
    pub const ALL: [SpectralClass; 7] = [
        Self::O,
        Self::B,
        Self::A,
        Self::F,
        Self::G,
        Self::K,
        Self::M,
    ];

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What a body is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BodyKind {
    Asteroid,
    Comet,
    Moon,
    DwarfPlanet,
    Planet,
    Star(SpectralClass),
    BlackHole,
}

impl BodyKind {
    /// The kind's name as balance files spell it.
    pub fn key(self) -> &'static str {
        match self {
            Self::Asteroid => "asteroid",
            Self::Comet => "comet",
            Self::Moon => "moon",
            Self::DwarfPlanet => "dwarf_planet",
            Self::Planet => "planet",
            Self::Star(_) => "star",
            Self::BlackHole => "black_hole",
        }
    }

    pub fn is_star(self) -> bool {
        matches!(self, Self::Star(_))
    }
}

/// How far life on a planet has come. Ordered: a later stage includes the earlier ones.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum LifeStage {
    #[default]
    None,
    Microbial,
    Plant,
    Animal,
    Intelligent,
}

/// Life on a planet: its stage and the game-years of growth accumulated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Life {
    pub stage: LifeStage,
    /// Game-years of full habitability accumulated; the stage follows from it.
    pub years: f64,
    /// Habitability in [0, 1] at the last life update.
    pub habitability: f64,
}

/// One body in a world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Body {
    pub id: BodyId,
    pub kind: BodyKind,
    pub mass: f64,
    pub radius: f64,
    pub position: [f64; 3],
    pub velocity: [f64; 3],
    /// `None` for bodies that belong to the world (the seeded garden).
    pub owner: Option<PlayerId>,
    /// Ticks since creation.
    pub age: u64,
    /// Only planets carry life.
    pub life: Life,
}

impl Body {
    pub fn momentum(&self) -> [f64; 3] {
        self.velocity.map(|v| v * self.mass)
    }
}

pub(crate) fn distance_squared(a: [f64; 3], b: [f64; 3]) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

pub(crate) fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}
