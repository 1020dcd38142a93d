//! The naive scalar f32 kernel: the benchmark's baseline, written the obvious way.
//!
//! Owns nothing the game needs: one thread, no intrinsics, `1 / (r² · √r²)` per pair, so the SIMD speedup
//! is measured against what a straightforward loop gets. It must not be tuned.

use super::{Accelerations, GravityParams, Particles};

/// Direct sum with a plain scalar loop on one thread; returns the pair interactions evaluated (n²).
///
/// Requires `params.softening > 0` for finite results (a body's own term is 0 · ∞ otherwise), like the
/// formula it implements.
pub fn naive_scalar(p: &Particles, params: &GravityParams, out: &mut Accelerations) -> u64 {
    let n = p.len();
    out.reset(n);
    // Malformed input (arrays of different lengths) gets the zeros `reset` left, not a panic.
    if p.x.len() != n || p.y.len() != n || p.z.len() != n {
        return 0;
    }
    let eps2 = params.softening * params.softening;
    for i in 0..n {
        let (xi, yi, zi) = (p.x[i], p.y[i], p.z[i]);
        let (mut ax, mut ay, mut az) = (0.0f32, 0.0f32, 0.0f32);
        for j in 0..n {
            let dx = p.x[j] - xi;
            let dy = p.y[j] - yi;
            let dz = p.z[j] - zi;
            let r2 = dx * dx + dy * dy + dz * dz + eps2;
            let inv = 1.0 / (r2 * r2.sqrt());
            let s = p.m[j] * inv;
            ax += s * dx;
            ay += s * dy;
            az += s * dz;
        }
        out.x[i] = ax * params.g;
        out.y[i] = ay * params.g;
        out.z[i] = az * params.g;
    }
    (n as u64) * (n as u64)
}
