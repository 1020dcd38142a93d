//! Players as a world sees them: resources, research, presence and statistics.

use serde::{Deserialize, Serialize};

use crate::body::{LifeStage, PlayerId};
use crate::research::ResearchLevels;
use crate::resources::Resources;

/// A player in one world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Player {
    pub id: PlayerId,
    pub resources: Resources,
    pub research: ResearchLevels,
    /// Production accrues only while the player is in the world; time away is paid as offline progress.
    pub online: bool,
    pub stats: PlayerStats,
}

/// Running totals for leaderboards.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlayerStats {
    /// Everything ever produced for the player (including offline progress).
    pub produced: Resources,
    pub bodies_created: u64,
    pub stars_created: u64,
    pub highest_life_stage: LifeStage,
}

impl Player {
    pub fn new(id: PlayerId, starting: Resources) -> Self {
        Self {
            id,
            resources: starting,
            research: ResearchLevels::default(),
            online: true,
            stats: PlayerStats::default(),
        }
    }
}
