//! `cosmic bench gravity`: kernel throughput, Barnes–Hut at 100k bodies, and the direct/Barnes–Hut crossover.
//!
//! Throughput is in giga pair interactions per second (n² per direct-sum call). Every figure is the median
//! of several timed runs after a warm-up run. `world_1k_step_ms` is added by the world benchmark.

use std::hint::black_box;
use std::time::Instant;

use serde_json::{Map, Value, json};
use sim::gravity::{
    Accelerations, GravityEngine, GravityParams, KernelChoice, Particles, SimdLevel, naive_scalar,
    reference_one_f64, synthetic, widen,
};

use super::progress;

/// The game's constants (DESIGN: G = 100, softening 10).
const PARAMS: GravityParams = GravityParams {
    g: 100.0,
    softening: 10.0,
};
/// Radius of the synthetic gardens.
const RADIUS: f64 = 50_000.0;
/// Body count of the kernel-throughput figures.
const N_KERNEL: usize = 16_384;
/// Body count of the Barnes–Hut figure.
const N_BH: usize = 100_000;
/// Bodies sampled for the Barnes–Hut error.
const ERR_SAMPLES: usize = 1_000;

/// Runs the suite and returns its figures as a JSON object.
pub fn run(quick: bool) -> anyhow::Result<Value> {
    let reps = if quick { 1 } else { 5 };
    let mut fig = Map::new();

    let n = if quick { 4_096 } else { N_KERNEL };
    let p = synthetic::garden(n, RADIUS, 1);
    let pairs = (n * n) as f64;
    fig.insert("n".into(), json!(n));

    let scalar_s = median_secs(reps.min(3), || {
        let mut out = Accelerations::default();
        black_box(naive_scalar(black_box(&p), &PARAMS, &mut out));
        black_box(out);
    });
    let scalar_gips = pairs / scalar_s / 1e9;
    progress(format_args!("scalar 1 thread: {scalar_gips:.3} G pairs/s"));
    fig.insert("scalar_gips".into(), json!(round3(scalar_gips)));

    let best = SimdLevel::detect();
    let mut simd_1t_gips = 0.0;
    for level in [SimdLevel::Portable, SimdLevel::Avx2Fma, SimdLevel::Avx512] {
        if level.supported() != level {
            continue;
        }
        let engine = GravityEngine::new(KernelChoice::Direct)
            .with_simd(level)
            .with_parallel(false);
        let gips = pairs / engine_secs(engine, &p, reps) / 1e9;
        progress(format_args!("{level} 1 thread: {gips:.3} G pairs/s"));
        let key = match level {
            SimdLevel::Portable => "simd_portable_1t_gips",
            SimdLevel::Avx2Fma => "simd_avx2_1t_gips",
            SimdLevel::Avx512 => "simd_avx512_1t_gips",
        };
        fig.insert(key.into(), json!(round3(gips)));
        if level == best {
            simd_1t_gips = gips;
        }
    }
    fig.insert("simd_1t_gips".into(), json!(round3(simd_1t_gips)));

    let simd_gips = pairs / engine_secs(GravityEngine::new(KernelChoice::Direct), &p, reps) / 1e9;
    progress(format_args!(
        "{best} {} threads: {simd_gips:.3} G pairs/s",
        rayon::current_num_threads()
    ));
    fig.insert("simd_gips".into(), json!(round3(simd_gips)));
    fig.insert("speedup".into(), json!(round3(simd_gips / scalar_gips)));

    let bh = barnes_hut_100k(quick)?;
    fig.insert("bh_100k_ms".into(), json!(round3(bh.ms)));
    fig.insert("bh_100k_rms_err".into(), json!(bh.rms_err));
    fig.insert(
        "bh_theta".into(),
        json!((f64::from(bh.theta) * 1e4).round() / 1e4),
    );
    fig.insert(
        "bh_100k_interactions_per_body".into(),
        json!(bh.interactions_per_body.round()),
    );

    let (crossover_n, table) = crossover(quick);
    fig.insert("crossover_n".into(), json!(crossover_n));
    fig.insert("crossover_ms".into(), table);
    Ok(Value::Object(fig))
}

/// Median time of `engine` over `reps` runs on `p`, after one warm-up run.
fn engine_secs(mut engine: GravityEngine, p: &Particles, reps: usize) -> f64 {
    let mut out = Accelerations::default();
    median_secs(reps, || {
        engine.accelerations(black_box(p), &PARAMS, &mut out);
        black_box(&out);
    })
}

/// Median wall time of `f` over `reps` runs, after one warm-up run.
fn median_secs(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// What the Barnes–Hut run measured.
struct BhFigures {
    /// Median wall time of one evaluation, tree build included.
    ms: f64,
    /// RMS over sampled bodies of |a − a_ref| / |a_ref|, a_ref from the f64 reference over all bodies.
    rms_err: f64,
    theta: f32,
    /// Body–body plus body–cell interactions per body.
    interactions_per_body: f64,
}

/// Barnes–Hut on a 100k-body garden with all threads.
fn barnes_hut_100k(quick: bool) -> anyhow::Result<BhFigures> {
    let n = if quick { 20_000 } else { N_BH };
    let p = synthetic::garden(n, RADIUS, 2);
    let mut engine = GravityEngine::new(KernelChoice::BarnesHut);
    let theta = engine.bh.theta;
    let mut out = Accelerations::default();
    let secs = median_secs(if quick { 3 } else { 9 }, || {
        engine.accelerations(black_box(&p), &PARAMS, &mut out);
        black_box(&out);
    });
    let interactions = engine.last_interactions();
    let (pos, m) = widen(&p);
    let mut rng = synthetic::SplitMix64(3);
    let mut sum = 0.0;
    let samples = ERR_SAMPLES.min(n);
    for _ in 0..samples {
        let i = (rng.next_u64() % n as u64) as usize;
        let r = reference_one_f64(
            pos[i],
            &pos,
            &m,
            f64::from(PARAMS.g),
            f64::from(PARAMS.softening),
        );
        let a = out.get(i).map(f64::from);
        let d2: f64 = (0..3).map(|k| (a[k] - r[k]).powi(2)).sum();
        let r2: f64 = r.iter().map(|v| v * v).sum();
        anyhow::ensure!(r2 > 0.0, "reference acceleration of body {i} is zero");
        sum += d2 / r2;
    }
    let err = (sum / samples as f64).sqrt();
    progress(format_args!(
        "Barnes-Hut n={n} theta={theta}: {:.2} ms, {:.0} interactions/body, RMS rel err {err:.2e}",
        secs * 1e3,
        interactions as f64 / n as f64
    ));
    Ok(BhFigures {
        ms: secs * 1e3,
        rms_err: err,
        theta,
        interactions_per_body: interactions as f64 / n as f64,
    })
}

/// Direct sum against Barnes–Hut (all threads) at growing n: the crossover, and the times as
/// `{n: [direct_ms, bh_ms]}`.
///
/// The crossover is the smallest measured n from which Barnes–Hut wins at every larger measured n, so one
/// noisy small-n timing cannot move it. Small sizes get more repetitions, since one call is sub-millisecond.
fn crossover(quick: bool) -> (Option<usize>, Value) {
    let sizes: &[usize] = if quick {
        &[1_024, 4_096]
    } else {
        &[1_024, 2_048, 4_096, 8_192, 16_384, 32_768]
    };
    let mut bh_wins = Vec::new();
    let mut table = Map::new();
    for &n in sizes {
        let p = synthetic::garden(n, RADIUS, 4);
        let reps = match (quick, n) {
            (true, _) => 1,
            (false, ..=4_096) => 41,
            (false, _) => 7,
        };
        let d = engine_secs(GravityEngine::new(KernelChoice::Direct), &p, reps) * 1e3;
        let b = engine_secs(GravityEngine::new(KernelChoice::BarnesHut), &p, reps) * 1e3;
        progress(format_args!(
            "crossover n={n}: direct {d:.3} ms, Barnes-Hut {b:.3} ms"
        ));
        bh_wins.push((n, b < d));
        table.insert(n.to_string(), json!([round3(d), round3(b)]));
    }
    let from = bh_wins
        .iter()
        .rposition(|&(_, wins)| !wins)
        .map_or(0, |last_loss| last_loss + 1);
    (bh_wins.get(from).map(|&(n, _)| n), Value::Object(table))
}

fn round3(v: f64) -> f64 {
    (v * 1e3).round() / 1e3
}
