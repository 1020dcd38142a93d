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
    #[error("the position overlaps body #{}", .body.0)]
    OverlapsBody { body: BodyId },
    #[error("the initial speed exceeds the limit of {limit}")]
    TooFast { limit: f64 },
    #[error("the player owns the most bodies allowed ({limit})")]
    PlayerLimitReached { limit: u32 },
    #[error("the world holds the most bodies allowed ({limit})")]
    WorldLimitReached { limit: u32 },
    #[error("research \"{}\" is needed first", .requires.key())]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a refused creation told the player "the position overlaps body BodyId(0)" (Rust debug
    /// formatting); user-facing messages never show type names.
    #[test]
    fn rejection_messages_show_no_type_names() {
        let all = [
            Rejection::NotJoined,
            Rejection::NotFinite,
            Rejection::NotEnoughResources {
                missing: Resources::default(),
            },
            Rejection::OutOfBounds { radius: 50_000.0 },
            Rejection::OverlapsBody { body: BodyId(7) },
            Rejection::TooFast { limit: 10.0 },
            Rejection::PlayerLimitReached { limit: 50 },
            Rejection::WorldLimitReached { limit: 5_000 },
            Rejection::Locked {
                requires: ResearchId::StellarIgnition,
            },
            Rejection::NoSuchBody,
            Rejection::NotOwner,
            Rejection::MaxLevel { max: 10 },
        ];
        for r in all {
            let text = r.to_string();
            assert!(
                !text.contains("Id(") && !text.contains('{') && !text.contains("::"),
                "{text}"
            );
            let camel = text.split(|c: char| !c.is_alphanumeric()).any(|w| {
                w.chars().next().is_some_and(char::is_uppercase)
                    && w.chars().skip(1).any(char::is_uppercase)
            });
            assert!(!camel, "a type name in {text:?}");
        }
        assert_eq!(
            Rejection::OverlapsBody { body: BodyId(0) }.to_string(),
            "the position overlaps body #0"
        );
    }
}
