//! The names of the research lines: a leaf, so that the balance data (which prices each line) and the
//! research tree (which applies it) both name them without importing each other.

use serde::{Deserialize, Serialize};

/// One line of research.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResearchId {
    /// More dust from every source.
    DustYield,
    /// More energy from stars.
    EnergyYield,
    /// Life advances faster.
    LifeGrowth,
    /// More bodies per player.
    BodyLimit,
    /// A larger share of production while away.
    OfflineEfficiency,
    /// Unlocks creating stars.
    StellarIgnition,
    /// Unlocks creating black holes.
    SingularityEngineering,
}

impl ResearchId {
    pub const ALL: [ResearchId; 7] = [
        Self::DustYield,
        Self::EnergyYield,
        Self::LifeGrowth,
        Self::BodyLimit,
        Self::OfflineEfficiency,
        Self::StellarIgnition,
        Self::SingularityEngineering,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// The name balance files use.
    pub fn key(self) -> &'static str {
        match self {
            Self::DustYield => "dust_yield",
            Self::EnergyYield => "energy_yield",
            Self::LifeGrowth => "life_growth",
            Self::BodyLimit => "body_limit",
            Self::OfflineEfficiency => "offline_efficiency",
            Self::StellarIgnition => "stellar_ignition",
            Self::SingularityEngineering => "singularity_engineering",
        }
    }
}
