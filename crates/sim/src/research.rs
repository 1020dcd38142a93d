//! The research tree: upgrades bought with resources, each with levels and a cost that rises per level.

use serde::{Deserialize, Serialize};

use crate::balance::{Balance, ResearchSpec};
use crate::resources::Resources;

pub use crate::research_id::ResearchId;

/// A player's research levels, one per [`ResearchId`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResearchLevels(pub [u32; ResearchId::ALL.len()]);

impl ResearchLevels {
    pub fn level(&self, id: ResearchId) -> u32 {
        self.0[id.index()]
    }

    pub(crate) fn raise(&mut self, id: ResearchId) {
        self.0[id.index()] += 1;
    }

    /// The effect per level times the level: the bonus this research gives now.
    pub fn bonus(&self, balance: &Balance, id: ResearchId) -> f64 {
        balance.research.get(id).effect * f64::from(self.level(id))
    }

    pub fn is_unlocked(&self, id: ResearchId) -> bool {
        self.level(id) > 0
    }
}

impl ResearchSpec {
    /// What the next level costs when `level` levels are already bought.
    pub fn cost_at(&self, level: u32) -> Resources {
        // powi keeps the result identical across platforms for the same build; levels are small.
        self.base_cost
            .scaled(self.cost_growth.powi(level.min(i32::MAX as u32) as i32))
    }
}
