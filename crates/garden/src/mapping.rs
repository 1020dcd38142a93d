//! Translations between simulation types and wire types (the protocol crate knows nothing of `sim`).

use protocol::frame::{WireBody, WireEvent};
use protocol::kinds;
use protocol::quant;
use protocol::v1::{ErrorCode, WireResources};
use sim::{Body, BodyKind, Event, LifeStage, Rejection, ResearchId, Resources, SpectralClass};

pub fn kind_code(kind: BodyKind) -> u8 {
    match kind {
        BodyKind::Asteroid => 0,
        BodyKind::Comet => 1,
        BodyKind::Moon => 2,
        BodyKind::DwarfPlanet => 3,
        BodyKind::Planet => 4,
        BodyKind::BlackHole => 5,
        BodyKind::Star(class) => 8 + class.index() as u8,
    }
}

pub fn kind_from_code(code: u8) -> Option<BodyKind> {
    Some(match code {
        0 => BodyKind::Asteroid,
        1 => BodyKind::Comet,
        2 => BodyKind::Moon,
        3 => BodyKind::DwarfPlanet,
        4 => BodyKind::Planet,
        5 => BodyKind::BlackHole,
        8..=14 => BodyKind::Star(SpectralClass::ALL[usize::from(code - 8)]),
        _ => return None,
    })
}

pub fn kind_from_name(name: &str) -> Option<BodyKind> {
    kinds::code(name).and_then(kind_from_code)
}

pub fn research_from_name(name: &str) -> Option<ResearchId> {
    ResearchId::ALL.into_iter().find(|r| r.key() == name)
}

pub fn life_code(stage: LifeStage) -> u8 {
    stage as u8
}

/// A body on the wire; `dt` (seconds per tick) sets its predicted move from its velocity. The publisher
/// replaces that with the observed move for bodies that were there the tick before.
pub fn wire_body(b: &Body, dt: f64) -> WireBody {
    let step = b.velocity.map(|v| v * dt);
    WireBody {
        id: b.id.0,
        kind: kind_code(b.kind),
        owner: b.owner.map_or(0, |p| p.0),
        pos: quant::position(b.position),
        vel: quant::velocity(b.velocity),
        mv: quant::position(step),
        mass: b.mass as f32,
        radius: b.radius as f32,
        life: life_code(b.life.stage),
    }
}

pub fn wire_event(e: &Event) -> WireEvent {
    match e {
        Event::Merged {
            survivor, absorbed, ..
        } => WireEvent::Merged {
            survivor: survivor.0,
            absorbed: absorbed.0,
        },
        Event::CollapsedToBlackHole { body } => WireEvent::Collapsed { body: body.0 },
        Event::Escaped { body, .. } => WireEvent::Escaped { body: body.0 },
        Event::LifeAdvanced { body, stage } => WireEvent::LifeAdvanced {
            body: body.0,
            stage: life_code(*stage),
        },
        Event::LifeLost { body } => WireEvent::LifeLost { body: body.0 },
    }
}

pub fn resources(r: &Resources) -> WireResources {
    WireResources {
        cosmic_dust: r.cosmic_dust,
        energy: r.energy,
        organic_matter: r.organic_matter,
        biomass: r.biomass,
        dark_matter: r.dark_matter,
        thought_points: r.thought_points,
    }
}

pub fn error_code(r: &Rejection) -> ErrorCode {
    match r {
        Rejection::NotJoined => ErrorCode::NotJoined,
        Rejection::NotFinite => ErrorCode::NotFinite,
        Rejection::NotEnoughResources { .. } => ErrorCode::NotEnoughResources,
        Rejection::OutOfBounds { .. } => ErrorCode::OutOfBounds,
        Rejection::OverlapsBody { .. } => ErrorCode::OverlapsBody,
        Rejection::TooFast { .. } => ErrorCode::TooFast,
        Rejection::PlayerLimitReached { .. } => ErrorCode::PlayerLimitReached,
        Rejection::WorldLimitReached { .. } => ErrorCode::WorldLimitReached,
        Rejection::Locked { .. } => ErrorCode::Locked,
        Rejection::NoSuchBody => ErrorCode::NoSuchBody,
        Rejection::NotOwner => ErrorCode::NotOwner,
        Rejection::MaxLevel { .. } => ErrorCode::MaxLevel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_roundtrips_through_its_code_and_name() {
        let mut all = vec![
            BodyKind::Asteroid,
            BodyKind::Comet,
            BodyKind::Moon,
            BodyKind::DwarfPlanet,
            BodyKind::Planet,
            BodyKind::BlackHole,
        ];
        all.extend(SpectralClass::ALL.map(BodyKind::Star));
        for kind in all {
            let code = kind_code(kind);
            assert_eq!(kind_from_code(code), Some(kind));
            assert_eq!(kind_from_name(kinds::name(code).unwrap()), Some(kind));
        }
        for name in kinds::RESEARCH {
            assert!(research_from_name(name).is_some(), "{name}");
        }
    }
}
