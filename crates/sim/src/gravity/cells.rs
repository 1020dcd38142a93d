//! The particle–cell kernel: accelerations from Barnes–Hut cells with monopole and quadrupole moments.
//!
//! Owns the far-field term of the tree walk. A cell at centre of mass c with mass M and second moment
//! I = Σ m sᵢsⱼ about c acts on a target at d = c − t, to second order in the Plummer-softened potential, as
//!
//! a = G · [ (M/R³ + 5/2 · dᵀQd / R⁷ − T/R⁵) · d − Q d / R⁵ ],  R² = |d|² + ε²,  Q = 3I,  T = 3/2 · tr I.
//!
//! (With ε = 0 this is the usual traceless-quadrupole force; the trace term is what softening adds.)
//! Results are *added* to the output.
//! On x86_64 with AVX2 + FMA (including AVX-512 CPUs, which all have it) an 8-lane kernel runs; otherwise
//! a portable loop.

use super::SimdLevel;
use super::kernel::{Out, Targets, load_block};

/// One accepted cell as the kernel reads it: 44 contiguous bytes, copied into an interaction list whole.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Cell {
    /// Centre of mass (the bounding-box centre if the mass is zero).
    pub com: [f32; 3],
    /// Total mass M.
    pub mass: f32,
    /// Q = 3 Σ m sᵢsⱼ about `com`, as xx, xy, xz, yy, yz, zz. Not traceless: softening gives the trace a
    /// force term of its own.
    pub quad: [f32; 6],
    /// T = 1.5 Σ m |s|².
    pub trace: f32,
}

/// Adds the accelerations of all `t` from all cells `c` into `out`, with the best kernel not above `level`.
pub(crate) fn p2c(level: SimdLevel, t: &Targets, c: &[Cell], eps2: f32, g: f32, out: &mut Out) {
    #[cfg(target_arch = "x86_64")]
    if level >= SimdLevel::Avx2Fma
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
    {
        // SAFETY: the CPU reports avx2 and fma (checked just above, not inferred from the level, since the
        // Avx512 level only promises avx512f), the features `p2c_avx2` enables.
        unsafe { p2c_avx2(t, c, eps2, g, out) };
        return;
    }
    let _ = level;
    p2c_portable(t, c, eps2, g, out);
}

/// Lanes per block of both cell kernels.
const W: usize = 8;

/// Plain-Rust cell kernel, correct on any CPU.
fn p2c_portable(t: &Targets, c: &[Cell], eps2: f32, g: f32, out: &mut Out) {
    let mut at = 0;
    while at < t.len() {
        let (p, k) = load_block::<W>(t, at);
        let mut acc = [[0.0f32; W]; 3];
        for cell in c {
            let q = cell.quad;
            for l in 0..W {
                let d = [0, 1, 2].map(|k| cell.com[k] - p[k][l]);
                let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + eps2;
                let inv = 1.0 / r2.sqrt();
                let inv2 = inv * inv;
                let inv3 = inv2 * inv;
                let inv5 = inv3 * inv2;
                let qd = [
                    q[0] * d[0] + q[1] * d[1] + q[2] * d[2],
                    q[1] * d[0] + q[3] * d[1] + q[4] * d[2],
                    q[2] * d[0] + q[4] * d[1] + q[5] * d[2],
                ];
                let dqd = d[0] * qd[0] + d[1] * qd[1] + d[2] * qd[2];
                let cf = cell.mass * inv3 + 2.5 * dqd * inv5 * inv2 - cell.trace * inv5;
                for k in 0..3 {
                    acc[k][l] += cf * d[k] - inv5 * qd[k];
                }
            }
        }
        add(out, at, k, &acc, g);
        at += W;
    }
}

/// Adds the first `k` lanes of `acc`, scaled by `g`, at target offset `at`.
fn add(out: &mut Out, at: usize, k: usize, acc: &[[f32; W]; 3], g: f32) {
    let end = (at + k).min(out.x.len()).min(out.y.len()).min(out.z.len());
    for (l, i) in (at..end).enumerate() {
        out.x[i] += acc[0][l] * g;
        out.y[i] += acc[1][l] * g;
        out.z[i] += acc[2][l] * g;
    }
}

/// AVX2 + FMA cell kernel: one vector of 8 targets per block, each cell's 11 values broadcast once.
///
/// (Two vectors per block, as the particle kernel does, measured no faster here: the 11 broadcasts plus two
/// sets of positions and sums no longer fit the 16 registers.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn p2c_avx2(t: &Targets, c: &[Cell], eps2: f32, g: f32, out: &mut Out) {
    use std::arch::x86_64::*;
    let e = _mm256_set1_ps(eps2);
    let three = _mm256_set1_ps(3.0);
    let half = _mm256_set1_ps(0.5);
    let five_halves = _mm256_set1_ps(2.5);
    let mut at = 0;
    while at < t.len() {
        let (p, k) = load_block::<W>(t, at);
        // SAFETY: each row of `p` holds W = 8 f32, exactly one unaligned 256-bit load.
        let (x, y, z) = unsafe {
            (
                _mm256_loadu_ps(p[0].as_ptr()),
                _mm256_loadu_ps(p[1].as_ptr()),
                _mm256_loadu_ps(p[2].as_ptr()),
            )
        };
        let (mut ax, mut ay, mut az) = (
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
        );
        for cell in c {
            let dx = _mm256_sub_ps(_mm256_set1_ps(cell.com[0]), x);
            let dy = _mm256_sub_ps(_mm256_set1_ps(cell.com[1]), y);
            let dz = _mm256_sub_ps(_mm256_set1_ps(cell.com[2]), z);
            let r2 = _mm256_fmadd_ps(dz, dz, _mm256_fmadd_ps(dy, dy, _mm256_fmadd_ps(dx, dx, e)));
            let r = _mm256_rsqrt_ps(r2);
            // One Newton–Raphson step: 1/√r² ≈ r (3 − r² r²) / 2.
            let inv = _mm256_mul_ps(
                _mm256_mul_ps(half, r),
                _mm256_fnmadd_ps(r2, _mm256_mul_ps(r, r), three),
            );
            let inv2 = _mm256_mul_ps(inv, inv);
            let inv3 = _mm256_mul_ps(inv2, inv);
            let inv5 = _mm256_mul_ps(inv3, inv2);
            let q = &cell.quad;
            let (qxx, qxy, qxz) = (
                _mm256_set1_ps(q[0]),
                _mm256_set1_ps(q[1]),
                _mm256_set1_ps(q[2]),
            );
            let (qyy, qyz, qzz) = (
                _mm256_set1_ps(q[3]),
                _mm256_set1_ps(q[4]),
                _mm256_set1_ps(q[5]),
            );
            let qx = _mm256_fmadd_ps(qxz, dz, _mm256_fmadd_ps(qxy, dy, _mm256_mul_ps(qxx, dx)));
            let qy = _mm256_fmadd_ps(qyz, dz, _mm256_fmadd_ps(qyy, dy, _mm256_mul_ps(qxy, dx)));
            let qz = _mm256_fmadd_ps(qzz, dz, _mm256_fmadd_ps(qyz, dy, _mm256_mul_ps(qxz, dx)));
            let dqd = _mm256_fmadd_ps(dz, qz, _mm256_fmadd_ps(dy, qy, _mm256_mul_ps(dx, qx)));
            let cf = _mm256_fmadd_ps(
                _mm256_mul_ps(five_halves, dqd),
                _mm256_mul_ps(inv5, inv2),
                _mm256_fnmadd_ps(
                    _mm256_set1_ps(cell.trace),
                    inv5,
                    _mm256_mul_ps(_mm256_set1_ps(cell.mass), inv3),
                ),
            );
            ax = _mm256_fnmadd_ps(inv5, qx, _mm256_fmadd_ps(cf, dx, ax));
            ay = _mm256_fnmadd_ps(inv5, qy, _mm256_fmadd_ps(cf, dy, ay));
            az = _mm256_fnmadd_ps(inv5, qz, _mm256_fmadd_ps(cf, dz, az));
        }
        let mut acc = [[0.0f32; W]; 3];
        // SAFETY: each row of `acc` holds W = 8 f32, exactly one unaligned 256-bit store.
        unsafe {
            _mm256_storeu_ps(acc[0].as_mut_ptr(), ax);
            _mm256_storeu_ps(acc[1].as_mut_ptr(), ay);
            _mm256_storeu_ps(acc[2].as_mut_ptr(), az);
        }
        add(out, at, k, &acc, g);
        at += W;
    }
}
