//! The particle–particle kernel every fast path shares, and its run-time CPU dispatch.
//!
//! Owns one operation: for each target position, G · Σ_j m_j d_ij / (|d_ij|² + ε²)^{3/2} over a list of
//! sources, summed in source order. The direct sum calls it with all bodies as sources; Barnes–Hut calls it
//! with a bucket's interaction list. Each target's sum depends only on that target and the source list, never
//! on how targets are batched, which is what makes the threaded paths bit-identical to one thread.
//!
//! A zero displacement (a body and itself, or coincident bodies with ε = 0) contributes no force.

use super::SimdLevel;
use super::portable;
#[cfg(target_arch = "x86_64")]
use super::{avx2, avx512};

/// Source particles of one kernel call: positions and masses, equal-length slices.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sources<'a> {
    pub x: &'a [f32],
    pub y: &'a [f32],
    pub z: &'a [f32],
    pub m: &'a [f32],
}

impl Sources<'_> {
    /// Number of sources: the shortest slice, so a malformed call cannot index out of bounds.
    pub fn len(&self) -> usize {
        self.x
            .len()
            .min(self.y.len())
            .min(self.z.len())
            .min(self.m.len())
    }
}

/// Target positions of one kernel call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Targets<'a> {
    pub x: &'a [f32],
    pub y: &'a [f32],
    pub z: &'a [f32],
}

impl Targets<'_> {
    /// Number of targets: the shortest slice.
    pub fn len(&self) -> usize {
        self.x.len().min(self.y.len()).min(self.z.len())
    }
}

/// Where one kernel call writes its accelerations (overwritten, not accumulated).
#[derive(Debug)]
pub(crate) struct Out<'a> {
    pub x: &'a mut [f32],
    pub y: &'a mut [f32],
    pub z: &'a mut [f32],
}

impl Out<'_> {
    /// Writes the first `k` lanes of a block of sums, scaled by `g`, at target offset `at`.
    ///
    /// Shared by every SIMD level so they all scale and store the same way.
    #[inline]
    pub fn store<const W: usize>(&mut self, at: usize, k: usize, acc: &[[f32; W]; 3], g: f32) {
        let end = (at + k)
            .min(self.x.len())
            .min(self.y.len())
            .min(self.z.len());
        for (l, i) in (at..end).enumerate() {
            self.x[i] = acc[0][l] * g;
            self.y[i] = acc[1][l] * g;
            self.z[i] = acc[2][l] * g;
        }
    }
}

/// Copies up to `W` targets starting at `at` into zero-padded lane arrays.
#[inline]
pub(crate) fn load_block<const W: usize>(t: &Targets, at: usize) -> ([[f32; W]; 3], usize) {
    let k = t.len().saturating_sub(at).min(W);
    let mut b = [[0.0f32; W]; 3];
    b[0][..k].copy_from_slice(&t.x[at..at + k]);
    b[1][..k].copy_from_slice(&t.y[at..at + k]);
    b[2][..k].copy_from_slice(&t.z[at..at + k]);
    (b, k)
}

/// Accelerations of all `t` from all `s` into `out`, with the best kernel not above `level`.
///
/// `eps2` is ε², `g` the gravitational constant. The level is clamped to what this CPU supports, so
/// asking for AVX-512 on a CPU without it runs the next level down instead of faulting.
pub(crate) fn p2p(level: SimdLevel, t: &Targets, s: &Sources, eps2: f32, g: f32, out: &mut Out) {
    let level = level.min(SimdLevel::detect());
    // With ε > 0 no pair has r² = 0, so the zero-displacement mask can be compiled out.
    let masked = eps2 <= 0.0;
    match level {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => {
            // SAFETY: `level` is clamped to `SimdLevel::detect()`, which returns Avx512 only when the CPU
            // reports avx512f, the only feature `avx512::p2p` enables.
            unsafe {
                if masked {
                    avx512::p2p::<true>(t, s, eps2, g, out)
                } else {
                    avx512::p2p::<false>(t, s, eps2, g, out)
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2Fma => {
            // SAFETY: `level` is clamped to `SimdLevel::detect()`, which returns Avx2Fma or above only when
            // the CPU reports both avx2 and fma, the features `avx2::p2p` enables.
            unsafe {
                if masked {
                    avx2::p2p::<true>(t, s, eps2, g, out)
                } else {
                    avx2::p2p::<false>(t, s, eps2, g, out)
                }
            }
        }
        _ => portable::p2p(t, s, eps2, g, out),
    }
}
