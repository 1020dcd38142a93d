//! The direct sum: every body against every body with the SIMD kernel, on one thread or all of them.
//!
//! Owns the split of target bodies into chunks and their distribution over rayon's pool. Sources are
//! always all bodies in index order, so each body's sum is the same whatever the chunking or thread count.

use rayon::prelude::*;

use super::kernel::{self, Out, Sources, Targets};
use super::{Accelerations, GravityParams, Particles, SimdLevel};

/// Target bodies per rayon task: a multiple of every kernel's block width (8, 16, 32), small enough to
/// balance two to a few dozen threads at a few thousand bodies.
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
    if parallel {
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
