//! The direct sum: every body against every body with the SIMD kernel, on one thread or all of them.
//!
//! Owns the split of target bodies into chunks and their distribution over rayon's pool. Sources are
//! always all bodies in index order, so each body's sum is the same whatever the chunking or thread count.

use rayon::prelude::*;

use super::kernel::{self, Out, Sources, Targets};
use super::{Accelerations, GravityParams, Particles, SimdLevel};

/// Target bodies per rayon task: a multiple of every kernel's block width (8, 16, 32), small enough to
/// balance two to a few dozen threads at a few thousand bodies.
/// Below this many bodies the direct sum runs on the calling thread even when parallel: one thread does
/// n² ≤ 10⁶ interactions in ≈ 0.4 ms, while waking rayon's parked workers cost more than that in ticks of the
/// 400-body default world (last tick time sampled 20× through `/health`: 0.33–4.4 ms with the pool,
/// 0.20–0.59 ms without). Results are identical either way: each body's sum runs in the same order.
pub const MIN_PARALLEL_N: usize = 1024;

const CHUNK: usize = 128;

/// Direct-sum accelerations into `out` (resized to `p.len()`); returns the pair interactions evaluated (n²).
pub(crate) fn direct(
    level: SimdLevel,
    parallel: bool,
    p: &Particles,
    params: &GravityParams,
    out: &mut Accelerations,
) -> u64 {
    let n = p.len();
    out.reset(n);
    let src = Sources {
        x: &p.x,
        y: &p.y,
        z: &p.z,
        m: &p.m,
    };
    let eps2 = params.softening * params.softening;
    let g = params.g;
    let run = |c: usize, (ox, (oy, oz)): (&mut [f32], (&mut [f32], &mut [f32]))| {
        let lo = c * CHUNK;
        let hi = (lo + CHUNK).min(n);
        let t = Targets {
            x: &p.x[lo..hi],
            y: &p.y[lo..hi],
            z: &p.z[lo..hi],
        };
        let mut o = Out {
            x: ox,
            y: oy,
            z: oz,
        };
        kernel::p2p(level, &t, &src, eps2, g, &mut o);
    };
    if parallel && n >= MIN_PARALLEL_N {
        out.x
            .par_chunks_mut(CHUNK)
            .zip(out.y.par_chunks_mut(CHUNK).zip(out.z.par_chunks_mut(CHUNK)))
            .enumerate()
            .for_each(|(c, o)| run(c, o));
    } else {
        out.x
            .chunks_mut(CHUNK)
            .zip(out.y.chunks_mut(CHUNK).zip(out.z.chunks_mut(CHUNK)))
            .enumerate()
            .for_each(|(c, o)| run(c, o));
    }
    (n as u64) * (n as u64)
}
