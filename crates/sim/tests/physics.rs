//! Physics invariants of the world step: momentum, energy of a circular orbit, merges, escape.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use sim::{Balance, BodyKind, Event, GenerateOptions, SpectralClass, World};

fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// Total momentum of a generated 400-body garden stays put over 500 ticks. Forces are f32 and summed
/// per body, so Newton's third law holds only to f32 rounding: the bound is relative to Σ|m v|.
#[test]
fn total_momentum_is_conserved() {
    let mut world = World::generate(
        balance(),
        &GenerateOptions {
            bodies: 400,
            ..Default::default()
        },
    );
    let start = world.total_momentum();
    let mut scale: f64 = world.bodies().iter().map(|b| norm(b.momentum())).sum();
    let mass = world.total_mass();
    for _ in 0..500 {
        let report = world.step(&[]);
        assert!(
            report
                .events
                .iter()
                .all(|e| !matches!(e, Event::Escaped { .. }))
        );
        scale = scale.max(world.bodies().iter().map(|b| norm(b.momentum())).sum());
    }
    let end = world.total_momentum();
    let drift = norm([end[0] - start[0], end[1] - start[1], end[2] - start[2]]);
    assert!(
        drift <= 1e-5 * scale,
        "momentum drift {drift:e} vs scale {scale:e}"
    );
    // Merges (if any) conserve mass; nothing escaped.
    assert!((world.total_mass() - mass).abs() <= 1e-12 * mass);
}

/// A light body on a circular orbit around a heavy one: over 10,000 steps (≈ 2.25 orbits at 20 Hz) the
/// total energy stays within 1e-5 relative (leapfrog's bounded oscillation is ≈ (ω dt)² ≈ 2e-6 here).
#[test]
fn circular_orbit_keeps_its_energy() {
    let b = balance();
    let (m_star, m_rock, r) = (1.0e6, 1.0, 5_000.0);
    let v = (b.world.g * (m_star + m_rock) / r).sqrt();
    let mut world = World::new(b);
    // Zero total momentum: the star moves opposite the rock.
    world.insert_body(body(
        BodyKind::Star(SpectralClass::G),
        m_star,
        500.0,
        [0.0; 3],
        [0.0, -v * m_rock / m_star, 0.0],
    ));
    world.insert_body(body(
        BodyKind::Asteroid,
        m_rock,
        5.0,
        [r, 0.0, 0.0],
        [0.0, v, 0.0],
    ));
    let e0 = world.total_energy();
    let mut worst: f64 = 0.0;
    for _ in 0..10_000 {
        world.step(&[]);
        worst = worst.max(((world.total_energy() - e0) / e0).abs());
    }
    assert!(worst <= 1e-5, "relative energy drift {worst:e}");
    let rock = &world.bodies()[1];
    assert!(
        (norm(rock.position) - r).abs() < 0.01 * r,
        "orbit radius wandered: {}",
        norm(rock.position)
    );
}

/// Two overlapping bodies merge: mass exactly summed, momentum conserved, the heavier keeps its id and kind.
#[test]
fn merge_conserves_mass_and_momentum() {
    let mut b = Balance::default();
    b.world.g = 1e-12; // Gravity negligible: only the merge changes momentum.
    let mut world = World::new(Arc::new(b));
    let heavy = world.insert_body(body(
        BodyKind::Moon,
        50.0,
        20.0,
        [100.0, 0.0, 0.0],
        [3.0, -1.0, 0.5],
    ));
    let light = world.insert_body(body(
        BodyKind::Asteroid,
        1.0,
        5.0,
        [110.0, 0.0, 0.0],
        [-40.0, 7.0, 2.0],
    ));
    let p0 = world.total_momentum();
    let m0 = world.total_mass();
    let report = world.step(&[]);
    assert_eq!(world.bodies().len(), 1);
    let survivor = &world.bodies()[0];
    assert_eq!(survivor.id, heavy);
    assert_eq!(survivor.kind, BodyKind::Moon);
    assert_eq!(survivor.mass, m0);
    let p1 = world.total_momentum();
    for k in 0..3 {
        assert!(
            (p1[k] - p0[k]).abs() <= 1e-9 * norm(p0).max(1.0),
            "axis {k}: {p0:?} vs {p1:?}"
        );
    }
    assert!(report.events.contains(&Event::Merged {
        survivor: heavy,
        absorbed: light,
        kind: BodyKind::Moon
    }));
}

/// Two O stars past the collapse mass become a black hole.
#[test]
fn heavy_star_merger_collapses_into_black_hole() {
    let b = balance();
    let mass = b.base_mass(BodyKind::Star(SpectralClass::O));
    assert!(2.0 * mass >= b.collisions.black_hole_collapse_mass);
    let mut world = World::new(b);
    let star = BodyKind::Star(SpectralClass::O);
    let a = world.insert_body(body(star, mass, 500.0, [0.0; 3], [0.0; 3]));
    world.insert_body(body(star, mass, 500.0, [600.0, 0.0, 0.0], [0.0; 3]));
    let report = world.step(&[]);
    assert_eq!(world.bodies().len(), 1);
    assert_eq!(world.bodies()[0].kind, BodyKind::BlackHole);
    assert!(
        report
            .events
            .contains(&Event::CollapsedToBlackHole { body: a })
    );
}

/// Three bodies touching in a chain merge into one in the same tick.
#[test]
fn chain_of_touching_bodies_merges_into_one() {
    let mut world = World::new(balance());
    for x in [0.0, 9.0, 18.0] {
        world.insert_body(body(BodyKind::Asteroid, 1.0, 5.0, [x, 0.0, 0.0], [0.0; 3]));
    }
    world.step(&[]);
    assert_eq!(world.bodies().len(), 1);
    assert_eq!(world.bodies()[0].mass, 3.0);
}

/// A body beyond the world radius escapes with an event.
#[test]
fn body_past_the_radius_escapes() {
    let b = balance();
    let edge = b.world.radius;
    let mut world = World::new(b);
    let id = world.insert_body(body(
        BodyKind::Comet,
        2.0,
        6.0,
        [edge - 1.0, 0.0, 0.0],
        [2_000.0, 0.0, 0.0],
    ));
    let report = world.step(&[]);
    assert!(world.bodies().is_empty());
    assert!(report.events.contains(&Event::Escaped {
        body: id,
        owner: None
    }));
}
