//! The portable particle–particle kernel: plain Rust, correct on any CPU.
//!
//! Owns the fallback when no SIMD level is available (or one is forced off). Written as fixed-width lane
//! loops so the compiler can vectorise it with whatever the baseline target offers, but it uses no
//! intrinsics and no `unsafe`. Uses an exact `1 / (r² √r²)`, so it is also the most accurate fast kernel.

use super::kernel::{Out, Sources, Targets, load_block};

/// Targets per block: enough independent lanes for the compiler to fill SSE registers.
const W: usize = 8;

/// Accelerations of all `t` from all `s` into `out`; see [`super::kernel::p2p`].
pub(crate) fn p2p(t: &Targets, s: &Sources, eps2: f32, g: f32, out: &mut Out) {
    let ns = s.len();
    let (sx, sy, sz, sm) = (&s.x[..ns], &s.y[..ns], &s.z[..ns], &s.m[..ns]);
    let mut at = 0;
    while at < t.len() {
        let (p, k) = load_block::<W>(t, at);
        let mut acc = [[0.0f32; W]; 3];
        for j in 0..ns {
            let (bx, by, bz, bm) = (sx[j], sy[j], sz[j], sm[j]);
            for l in 0..W {
                let dx = bx - p[0][l];
                let dy = by - p[1][l];
                let dz = bz - p[2][l];
                let r2 = dx * dx + dy * dy + dz * dz + eps2;
                let s = if r2 > 0.0 { bm / (r2 * r2.sqrt()) } else { 0.0 };
                acc[0][l] += s * dx;
                acc[1][l] += s * dy;
                acc[2][l] += s * dz;
            }
        }
        out.store(at, k, &acc, g);
        at += W;
    }
}
