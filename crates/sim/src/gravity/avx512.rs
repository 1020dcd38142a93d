//! The AVX-512F particle–particle kernel: 16 lanes, two target vectors per source broadcast.
//!
//! Owns the hot loop on CPUs with AVX-512F; the same structure as the AVX2 kernel, twice as wide. Targets
//! sit in registers (32 per block, as two vectors);
//! each source is broadcast once and used against both, which halves the loads per interaction and gives the
//! two FMA pipes two independent dependency chains. `1/√r²` comes from `vrsqrt14ps` (14 bits) refined by one
//! Newton–Raphson step to full f32 precision, so accuracy stays at f32 level. Only [`p2p`] may be called, and only
//! after the caller has checked that the CPU has avx512f.

use std::arch::x86_64::*;

use super::kernel::{Out, Sources, Targets, load_block};

/// Lanes per vector.
const L: usize = 16;
/// Targets per block: two vectors.
const W: usize = 2 * L;

/// Accelerations of all `t` from all `s` into `out`; see [`super::kernel::p2p`].
///
/// `MASK` zeroes the force of pairs with r² = 0 (needed only when ε = 0).
#[target_feature(enable = "avx512f")]
pub(crate) fn p2p<const MASK: bool>(t: &Targets, s: &Sources, eps2: f32, g: f32, out: &mut Out) {
    let mut at = 0;
    while at < t.len() {
        let (p, k) = load_block::<W>(t, at);
        let acc = block::<MASK>(&p, s, eps2);
        // 1/8 from the Newton–Raphson form in `block` (a power of two, so exact).
        out.store(at, k, &acc, g * 0.125);
        at += W;
    }
}

/// 8 · Σ_j m_j d / (r² + ε²)^{3/2} for one block of 32 targets, sources in order.
#[target_feature(enable = "avx512f")]
fn block<const MASK: bool>(p: &[[f32; W]; 3], s: &Sources, eps2: f32) -> [[f32; W]; 3] {
    // SAFETY: each row of `p` holds W = 2·L f32, so loads of L lanes at offsets 0 and L are in bounds;
    // `loadu` has no alignment requirement.
    let (x0, x1, y0, y1, z0, z1) = unsafe {
        (
            _mm512_loadu_ps(p[0].as_ptr()),
            _mm512_loadu_ps(p[0].as_ptr().add(L)),
            _mm512_loadu_ps(p[1].as_ptr()),
            _mm512_loadu_ps(p[1].as_ptr().add(L)),
            _mm512_loadu_ps(p[2].as_ptr()),
            _mm512_loadu_ps(p[2].as_ptr().add(L)),
        )
    };
    let e = _mm512_set1_ps(eps2);
    let three = _mm512_set1_ps(3.0);
    let zero = _mm512_setzero_ps();
    let (mut ax0, mut ay0, mut az0) = (zero, zero, zero);
    let (mut ax1, mut ay1, mut az1) = (zero, zero, zero);
    let ns = s.len();
    let (sx, sy, sz, sm) = (&s.x[..ns], &s.y[..ns], &s.z[..ns], &s.m[..ns]);
    for j in 0..ns {
        let bx = _mm512_set1_ps(sx[j]);
        let by = _mm512_set1_ps(sy[j]);
        let bz = _mm512_set1_ps(sz[j]);
        // Newton–Raphson y' = y(3 − r²y²)/2 gives m·y'³ = (m/8)·(y(3 − r²y²))³: the exact 1/8 is
        // applied once per target, in `p2p`.
        let bm = _mm512_set1_ps(sm[j]);
        let (s0, dx, dy, dz) = pair::<MASK>(bx, by, bz, bm, x0, y0, z0, e, three);
        ax0 = _mm512_fmadd_ps(s0, dx, ax0);
        ay0 = _mm512_fmadd_ps(s0, dy, ay0);
        az0 = _mm512_fmadd_ps(s0, dz, az0);
        let (s1, dx, dy, dz) = pair::<MASK>(bx, by, bz, bm, x1, y1, z1, e, three);
        ax1 = _mm512_fmadd_ps(s1, dx, ax1);
        ay1 = _mm512_fmadd_ps(s1, dy, ay1);
        az1 = _mm512_fmadd_ps(s1, dz, az1);
    }
    let mut acc = [[0.0f32; W]; 3];
    // SAFETY: each row of `acc` holds W = 2·L f32, so stores of L lanes at offsets 0 and L are in bounds.
    unsafe {
        _mm512_storeu_ps(acc[0].as_mut_ptr(), ax0);
        _mm512_storeu_ps(acc[0].as_mut_ptr().add(L), ax1);
        _mm512_storeu_ps(acc[1].as_mut_ptr(), ay0);
        _mm512_storeu_ps(acc[1].as_mut_ptr().add(L), ay1);
        _mm512_storeu_ps(acc[2].as_mut_ptr(), az0);
        _mm512_storeu_ps(acc[2].as_mut_ptr().add(L), az1);
    }
    acc
}

/// One source against one vector of targets: the scale m/r³ and the displacement d, so that the caller
/// accumulates a += (m/r³)·d with one FMA per axis.
#[allow(clippy::too_many_arguments)] // Registers, not a parameter list: this is inlined into `block`.
#[target_feature(enable = "avx512f")]
#[inline]
fn pair<const MASK: bool>(
    bx: __m512,
    by: __m512,
    bz: __m512,
    bm: __m512,
    x: __m512,
    y: __m512,
    z: __m512,
    e: __m512,
    three: __m512,
) -> (__m512, __m512, __m512, __m512) {
    let dx = _mm512_sub_ps(bx, x);
    let dy = _mm512_sub_ps(by, y);
    let dz = _mm512_sub_ps(bz, z);
    let r2 = _mm512_fmadd_ps(dz, dz, _mm512_fmadd_ps(dy, dy, _mm512_fmadd_ps(dx, dx, e)));
    let r = _mm512_rsqrt14_ps(r2);
    // u = y(3 − r²y²) = 2 · (1/√r² refined once).
    let u = _mm512_mul_ps(r, _mm512_fnmadd_ps(r2, _mm512_mul_ps(r, r), three));
    let mut s = _mm512_mul_ps(_mm512_mul_ps(bm, u), _mm512_mul_ps(u, u));
    if MASK {
        s = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_GT_OQ>(r2, _mm512_setzero_ps()), s);
    }
    (s, dx, dy, dz)
}
