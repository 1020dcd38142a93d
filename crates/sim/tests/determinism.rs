//! Determinism: the same state and commands give bit-identical results; snapshot → restore → continue
//! equals an uninterrupted run (the basis of recovery by snapshot + replay).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use sim::{BodyKind, Command, GenerateOptions, World, WorldState};

fn garden() -> World {
    World::generate(
        balance(),
        &GenerateOptions {
            bodies: 600,
            players: 8,
            ..Default::default()
        },
    )
}

/// A fixed script of commands at fixed ticks: creations (some rejected), joins, research.
fn commands_for(tick: u64) -> Vec<Command> {
    match tick % 25 {
        0 => vec![create(
            1 + tick % 8,
            BodyKind::Asteroid,
            [1_000.0 + tick as f64 * 37.0, -4_000.0, 10.0],
        )],
        7 => vec![
            join(100 + tick),
            create(100 + tick, BodyKind::Comet, [0.0, 0.0, 0.0]),
        ],
        13 => vec![create(
            3,
            BodyKind::Moon,
            [20_000.0, tick as f64 * 11.0, 0.0],
        )],
        _ => vec![],
    }
}

/// Runs the script; returns how many commands were accepted (so the tests know it did something).
fn run(world: &mut World, ticks: std::ops::Range<u64>) -> usize {
    ticks
        .map(|t| {
            world
                .step(&commands_for(t))
                .outcomes
                .iter()
                .filter(|o| o.is_ok())
                .count()
        })
        .sum()
}

#[test]
fn same_run_twice_is_bit_identical() {
    let mut a = garden();
    let mut b = garden();
    let accepted = run(&mut a, 0..300);
    assert!(
        accepted >= 20,
        "the script should do something: {accepted} accepted"
    );
    run(&mut b, 0..300);
    assert_eq!(fingerprint(&a), fingerprint(&b));
}

#[test]
fn snapshot_restore_continue_equals_uninterrupted_run() {
    let mut straight = garden();
    run(&mut straight, 0..300);

    let mut first = garden();
    run(&mut first, 0..137);
    // Through bytes, as storage would keep it.
    let bytes = serde_json::to_vec(&first.snapshot()).unwrap();
    drop(first);
    let state: WorldState = serde_json::from_slice(&bytes).unwrap();
    let mut resumed = World::restore(balance(), state);
    run(&mut resumed, 137..300);

    assert_eq!(fingerprint(&resumed), fingerprint(&straight));
    assert_eq!(resumed.snapshot(), straight.snapshot());
}
