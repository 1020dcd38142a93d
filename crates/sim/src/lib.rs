//! Cosmic Gardener's simulation: the garden's rules and the gravity engine.
//!
//! Pure and deterministic: no async, no I/O, no clocks, no global randomness. The same world state and the
//! same command sequence give bit-identical results on the same build and CPU; that is what makes recovery by
//! snapshot + replay exact.
//!
//! The pipeline a caller drives: build [`Command`]s from validated intents, call [`World::step`] once per
//! tick, and read the [`StepReport`] (one outcome per command, plus events).

pub mod balance;
pub mod body;
pub mod command;
pub mod event;
pub mod gravity;
pub mod player;
pub mod research;
pub mod research_id;
pub mod resources;
pub mod rng;
pub mod world;

pub use balance::{Balance, BalanceError};
pub use body::{Body, BodyId, BodyKind, Life, LifeStage, PlayerId, SpectralClass, Tick};
pub use command::{Applied, Command, CommandKind, Outcome, Rejection};
pub use event::Event;
pub use player::{Player, PlayerStats};
pub use research::{ResearchId, ResearchLevels};
pub use resources::Resources;
pub use world::{GenerateOptions, Phase, StepReport, World, WorldState};
