//! Events: what happened during a tick, for clients to animate and servers to log.

use serde::{Deserialize, Serialize};

use crate::body::{BodyId, BodyKind, LifeStage, PlayerId};

/// Something that happened in a tick besides the commands' own outcomes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// `absorbed` merged into `survivor`, which is now of `kind`.
    Merged {
        survivor: BodyId,
        absorbed: BodyId,
        kind: BodyKind,
    },
    /// Stars merged past the collapse mass: `body` is now a black hole.
    CollapsedToBlackHole { body: BodyId },
    /// The body left the world radius and is gone.
    Escaped {
        body: BodyId,
        owner: Option<PlayerId>,
    },
    /// Life on a planet reached a new stage.
    LifeAdvanced { body: BodyId, stage: LifeStage },
    /// A collision wiped out the life on a planet.
    LifeLost { body: BodyId },
}
