//! Commands: the intents a world applies at the tick boundary, and why one may be refused.

use serde::{Deserialize, Serialize};

use crate::body::{BodyId, BodyKind, PlayerId};
use crate::research::ResearchId;
use crate::resources::Resources;

/// An intent from one player, applied at the start of the next tick.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Command {
    pub player: PlayerId,
    pub kind: CommandKind,
}

/// What a command asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CommandKind {
    /// Issued by the server when a player enters the world. A new player gets the starting resources; a
    /// returning one gets offline progress for `away_seconds` (measured by the server's clock).
    Join { away_seconds: f64 },
    /// Issued by the server when a player's last connection leaves: production stops accruing.
    Leave,
    /// Create a body at `position`. Without `velocity` it starts on a circular orbit around the body that
    /// pulls on it most (or at rest when there is none).
    CreateBody {
        kind: BodyKind,
        position: [f64; 3],
        velocity: Option<[f64; 3]>,
    },
    /// Remove a body the player owns (no refund).
    RemoveBody { body: BodyId },
    /// Buy the next level of a research.
    BuyResearch { research: ResearchId },
}

/// Why a command was refused. A refused command changes nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum Rejection {
    #[error("the player has not joined this world")]
    NotJoined,
    #[error("a number in the command is not finite")]
    NotFinite,
    #[error("not enough resources")]
    NotEnoughResources { missing: Resources },
    #[error("the position is outside the world (radius {radius})")]
    OutOfBounds { radius: f64 },
    #[error("the position overlaps body {body:?}")]
    OverlapsBody { body: BodyId },
    #[error("the initial speed exceeds the limit of {limit}")]
    TooFast { limit: f64 },
    #[error("the player owns the most bodies allowed ({limit})")]
    PlayerLimitReached { limit: u32 },
    #[error("the world holds the most bodies allowed ({limit})")]
    WorldLimitReached { limit: u32 },
    #[error("research {requires:?} is needed first")]
    Locked { requires: ResearchId },
    #[error("no such body")]
    NoSuchBody,
    #[error("the body belongs to someone else")]
    NotOwner,
    #[error("the research is at its highest level ({max})")]
    MaxLevel { max: u32 },
}

impl Rejection {
    /// A stable machine-readable code for the wire.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotJoined => "not_joined",
            Self::NotFinite => "not_finite",
            Self::NotEnoughResources { .. } => "not_enough_resources",
            Self::OutOfBounds { .. } => "out_of_bounds",
            Self::OverlapsBody { .. } => "overlaps_body",
            Self::TooFast { .. } => "too_fast",
            Self::PlayerLimitReached { .. } => "player_limit_reached",
            Self::WorldLimitReached { .. } => "world_limit_reached",
            Self::Locked { .. } => "locked",
            Self::NoSuchBody => "no_such_body",
            Self::NotOwner => "not_owner",
            Self::MaxLevel { .. } => "max_level",
        }
    }
}

/// What an accepted command did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Applied {
    Joined { offline_grant: Resources },
    Left,
    BodyCreated { body: BodyId },
    BodyRemoved { body: BodyId },
    ResearchBought { research: ResearchId, level: u32 },
}

/// The outcome of one command, in the order the commands were given.
pub type Outcome = Result<Applied, Rejection>;
