//! `cosmic bench codec`: bytes per client per tick of v0 JSON, v1 deltas, and v1 with adaptive
//! compression, on a 1,000-body world with 10 players over 200 ticks; plus each codec's ratio and speed.

use std::sync::Arc;
use std::time::Instant;

use protocol::Codec;
use sim::{Balance, BodyKind, Command, CommandKind, GenerateOptions, PlayerId, World};

use garden::mapping;
use garden::worlds::publisher::Publisher;

const BODIES: usize = 1_000;
const PLAYERS: u64 = 10;

/// Runs the suite and returns its figures as a JSON object.
pub fn run(quick: bool) -> anyhow::Result<serde_json::Value> {
    let ticks: u64 = if quick { 40 } else { 200 };
    let mut world = World::generate(
        Arc::new(Balance::default()),
        &GenerateOptions {
            bodies: BODIES,
            players: PLAYERS,
            ..Default::default()
        },
    );
    let mut publisher = Publisher::new(1, 64, garden::DEFAULT_PLAYER_STATE_EVERY);
    super::progress(format!(
        "codec: {BODIES} bodies, {PLAYERS} players, {ticks} ticks"
    ));
    let (mut json, mut v1, mut v1z) = (0u64, 0u64, 0u64);
    let mut payloads: Vec<Vec<u8>> = Vec::new();
    let mut previous = publisher.frame(&world, Vec::new());
    for t in 0..ticks {
        // Every player acts now and then, as in play.
        let commands: Vec<Command> = (1..=PLAYERS)
            .filter(|p| (t + p) % 10 == 0)
            .map(|p| Command {
                player: PlayerId(p),
                kind: CommandKind::CreateBody {
                    kind: BodyKind::Asteroid,
                    position: [-40_000.0 + 700.0 * t as f64, 1_000.0 * p as f64, 0.0],
                    velocity: None,
                },
            })
            .collect();
        let report = world.step(&commands);
        let events = report.events.iter().map(mapping::wire_event).collect();
        let frame = publisher.frame(&world, events);
        let Some(delta) = frame.for_base(Some(previous.tick)) else {
            anyhow::bail!("no delta for tick {}", frame.tick);
        };
        for p in 1..=PLAYERS {
            json += frame.v0_game_state(p).len() as u64;
        }
        v1 += delta.payload_len() as u64 + 1;
        v1z += delta.binary_for(frame.codec, u8::MAX).len() as u64;
        payloads.push(delta.with_codec(Codec::None)[1..].to_vec());
        previous = frame;
    }
    let per_tick = |total: u64, clients: u64| total as f64 / (ticks * clients) as f64;
    let json_bpt = per_tick(json, PLAYERS);
    let v1_bpt = per_tick(v1, 1);
    let v1z_bpt = per_tick(v1z, 1);
    let mut figures = serde_json::json!({
        "bodies": BODIES,
        "players": PLAYERS,
        "ticks": ticks,
        "json_bytes_per_tick": json_bpt,
        "v1_bytes_per_tick": v1_bpt,
        "v1z_bytes_per_tick": v1z_bpt,
        "reduction": 1.0 - v1z_bpt / json_bpt,
        "reduction_uncompressed": 1.0 - v1_bpt / json_bpt,
    });
    for codec in Codec::ALL {
        let (ratio, compress, decompress) = measure(codec, &payloads);
        let name = codec.name();
        figures[format!("{name}_ratio")] = serde_json::json!(ratio);
        figures[format!("{name}_compress_mb_s")] = serde_json::json!(compress);
        figures[format!("{name}_decompress_mb_s")] = serde_json::json!(decompress);
        let stats = publisher.codec_stats(codec);
        figures[format!("{name}_chosen_frames")] = serde_json::json!(stats.frames);
    }
    Ok(figures)
}

/// Compressed/raw size ratio and compression and decompression speed (MB/s of raw payload).
fn measure(codec: Codec, payloads: &[Vec<u8>]) -> (f64, f64, f64) {
    let raw: usize = payloads.iter().map(Vec::len).sum();
    let start = Instant::now();
    let messages: Vec<Vec<u8>> = payloads
        .iter()
        .map(|p| {
            let mut out = Vec::new();
            protocol::codec::compress_into(codec, p, &mut out);
            out
        })
        .collect();
    let compress_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for m in &messages {
        std::hint::black_box(protocol::codec::decompress(m, 1 << 24).ok());
    }
    let decompress_s = start.elapsed().as_secs_f64();
    let out: usize = messages.iter().map(Vec::len).sum();
    let mb = raw as f64 / 1e6;
    (
        out as f64 / raw as f64,
        mb / compress_s.max(1e-9),
        mb / decompress_s.max(1e-9),
    )
}
