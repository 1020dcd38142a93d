//! A full `World::step` on a generated garden: gravity, collisions, life and economy together.

use std::sync::Arc;
use std::time::Instant;

use sim::{Balance, Command, CommandKind, GenerateOptions, PlayerId, World};

/// Median milliseconds of one `World::step` for a world of `bodies` bodies and `players` online players,
/// each tick carrying one creation command (as a lively world would).
pub fn step_ms(bodies: usize, players: u64, ticks: usize) -> f64 {
    let mut world = World::generate(
        Arc::new(Balance::default()),
        &GenerateOptions {
            bodies,
            players,
            ..Default::default()
        },
    );
    let mut times = Vec::with_capacity(ticks);
    for t in 0..ticks + 10 {
        let command = Command {
            player: PlayerId(1 + t as u64 % players.max(1)),
            kind: CommandKind::CreateBody {
                kind: sim::BodyKind::Asteroid,
                position: [-45_000.0 + 90.0 * t as f64, 44_000.0, 0.0],
                velocity: Some([0.0; 3]),
            },
        };
        let start = Instant::now();
        std::hint::black_box(world.step(std::slice::from_ref(&command)));
        if t >= 10 {
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
