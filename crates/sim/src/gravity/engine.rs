//! The engine a world owns: which kernel runs, its tuning, and the scratch buffers reused between ticks.
//!
//! Owns the choice between direct sum and Barnes–Hut and the knobs benchmarks and tests turn (SIMD level,
//! threading, opening angle). It does no arithmetic itself.

use super::barnes_hut::{self, BarnesHutParams};
use super::direct;
use super::{Accelerations, GravityParams, KernelChoice, Particles, SimdLevel};

/// Default opening angle (see [`BarnesHutParams::theta`]; local expansions open at 0.8 of it). RMS relative
/// force errors measured on this build, 20k-body test set (`tests/gravity.rs`) / 100k-body garden
/// (`bench gravity`), leaf 16, bucket 128: 0.5: 5.7e-4 / 3.8e-4; 0.55: 8.7e-4 / 5.2e-4; 0.6: 1.1e-3 /
/// 8.8e-4. 0.55 keeps the harsher test set under the 1e-3 budget.
pub const DEFAULT_THETA: f32 = 0.55;

/// Default most bodies per octree leaf. Swept with the bucket size at 100k bodies, theta 0.55, local
/// expansions on (1 thread, CPU time, best of 5, noisy 2-core box): leaf/bucket 16/128 ≈ 127–145 ms,
/// 24/128 ≈ 127–140 ms, 16/64 ≈ 141 ms, 16/192 ≈ 151 ms, 12/96 ≈ 167 ms, 32/256 ≈ 150 ms; the old
/// 32/256 without local expansions ≈ 165–175 ms. 16/128 has the fewest interactions at equal accuracy.
pub const DEFAULT_LEAF_SIZE: usize = 16;

/// Default most bodies per Barnes–Hut bucket (bodies sharing one interaction list and one local
/// expansion); see [`DEFAULT_LEAF_SIZE`].
pub const DEFAULT_GROUP_SIZE: usize = 128;

/// Body count from which [`KernelChoice::Auto`] uses Barnes–Hut instead of the direct sum.
///
/// Measured with `cosmic bench gravity` on the 2-core Zen3 (AVX2), all threads, garden distribution,
/// direct vs Barnes–Hut ms: 1,024: 0.47 vs 0.61; 2,048: 1.18 vs 1.28; 4,096: 3.55 vs 2.00;
/// 8,192: 14.4 vs 5.0; 16,384: 56.7 vs 12.4; 32,768: 224 vs 26.9. Barnes–Hut first wins at 4,096; below
/// that the (exact) direct sum is as fast or faster.
pub const DEFAULT_CROSSOVER_N: usize = 4096;

/// The gravity engine a world owns: kernel choice, tuning, and reusable scratch buffers.
#[derive(Debug, Clone)]
pub struct GravityEngine {
    /// Which kernel runs.
    pub choice: KernelChoice,
    /// Barnes–Hut opening angle and bucket sizes.
    pub bh: BarnesHutParams,
    /// With [`KernelChoice::Auto`]: Barnes–Hut at or above this many bodies, direct sum below.
    pub crossover_n: usize,
    /// Always a level this CPU supports.
    simd: SimdLevel,
    parallel: bool,
    last_interactions: u64,
    scratch: barnes_hut::Scratch,
}

impl Default for GravityEngine {
    fn default() -> Self {
        Self::new(KernelChoice::Auto)
    }
}

impl GravityEngine {
    /// An engine with the default tuning, the best SIMD level of this CPU, on all threads.
    pub fn new(choice: KernelChoice) -> Self {
        Self {
            choice,
            bh: BarnesHutParams {
                theta: DEFAULT_THETA,
                leaf_size: DEFAULT_LEAF_SIZE,
                group_size: DEFAULT_GROUP_SIZE,
            },
            crossover_n: DEFAULT_CROSSOVER_N,
            simd: SimdLevel::detect(),
            parallel: true,
            last_interactions: 0,
            scratch: Default::default(),
        }
    }

    /// Uses at most `level`: the level itself if this CPU supports it, else the best one below it.
    pub fn with_simd(mut self, level: SimdLevel) -> Self {
        self.simd = level.supported();
        self
    }

    /// Runs on rayon's pool (`true`, the default) or on the calling thread only. Results are identical.
    pub fn with_parallel(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }

    /// Sets the Barnes–Hut opening angle (see [`BarnesHutParams::theta`]).
    pub fn with_theta(mut self, theta: f32) -> Self {
        self.bh.theta = theta;
        self
    }

    /// Sets the body count from which `Auto` switches to Barnes–Hut.
    pub fn with_crossover(mut self, n: usize) -> Self {
        self.crossover_n = n;
        self
    }

    /// The SIMD level the kernels use.
    pub fn simd_level(&self) -> SimdLevel {
        self.simd
    }

    /// Whether the kernels run on rayon's pool.
    pub fn is_parallel(&self) -> bool {
        self.parallel
    }

    /// The kernel a call with `n` bodies runs: `Direct` or `BarnesHut`, never `Auto`.
    pub fn kernel_for(&self, n: usize) -> KernelChoice {
        match self.choice {
            KernelChoice::Auto if n >= self.crossover_n => KernelChoice::BarnesHut,
            KernelChoice::Auto => KernelChoice::Direct,
            other => other,
        }
    }

    /// Accelerations of every particle into `out` (resized to `p.len()`).
    ///
    /// Malformed input (position and mass arrays of different lengths) gives all-zero accelerations rather
    /// than a panic.
    pub fn accelerations(
        &mut self,
        p: &Particles,
        params: &GravityParams,
        out: &mut Accelerations,
    ) {
        let n = p.len();
        if p.x.len() != n || p.y.len() != n || p.z.len() != n {
            out.reset(n);
            self.last_interactions = 0;
            return;
        }
        self.last_interactions = match self.kernel_for(p.len()) {
            KernelChoice::BarnesHut => barnes_hut::barnes_hut(
                self.simd,
                self.parallel,
                &self.bh,
                p,
                params,
                out,
                &mut self.scratch,
            ),
            _ => direct::direct(self.simd, self.parallel, p, params, out),
        };
    }

    /// Pair interactions (or particle–cell interactions for Barnes–Hut) the last call evaluated.
    pub fn last_interactions(&self) -> u64 {
        self.last_interactions
    }
}
