//! The f64 scalar reference: the oracle every fast kernel is tested against.
//!
//! Owns correctness, not speed: O(N²), one thread, f64 throughout. Nothing in the game loop calls it.

use super::{Accelerations, GravityParams, Particles};

/// f64 scalar reference: the oracle the fast kernels are tested against. O(N²), one thread.
///
/// With `softening == 0` a pair at zero distance (including a body with itself) gives NaN, exactly as the
/// formula does; the fast kernels instead treat a zero displacement as no force.
pub fn reference_f64(pos: &[[f64; 3]], mass: &[f64], g: f64, softening: f64) -> Vec<[f64; 3]> {
    pos.iter()
        .map(|pi| reference_one_f64(*pi, pos, mass, g, softening))
        .collect()
}

/// f64 reference acceleration at one point `at` from all `pos`/`mass` sources.
///
/// Used to check a sample of bodies of a large system without paying O(N²).
pub fn reference_one_f64(
    at: [f64; 3],
    pos: &[[f64; 3]],
    mass: &[f64],
    g: f64,
    softening: f64,
) -> [f64; 3] {
    let eps2 = softening * softening;
    let mut a = [0.0f64; 3];
    for (pj, &mj) in pos.iter().zip(mass) {
        let d = [pj[0] - at[0], pj[1] - at[1], pj[2] - at[2]];
        let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + eps2;
        let inv = 1.0 / (r2 * r2.sqrt());
        for k in 0..3 {
            a[k] += mj * d[k] * inv;
        }
    }
    a.map(|v| v * g)
}

/// The f32 particles widened to f64, as the reference takes them.
pub fn widen(p: &Particles) -> (Vec<[f64; 3]>, Vec<f64>) {
    let pos = (0..p.len())
        .map(|i| [p.x[i] as f64, p.y[i] as f64, p.z[i] as f64])
        .collect();
    let m = p.m.iter().map(|&v| v as f64).collect();
    (pos, m)
}

/// Computes accelerations into `out` (resized to `p.len()`) with the f64 reference, rounded to f32.
pub fn reference_into(p: &Particles, params: &GravityParams, out: &mut Accelerations) {
    let (pos, m) = widen(p);
    let acc = reference_f64(&pos, &m, params.g as f64, params.softening as f64);
    out.reset(p.len());
    for (i, a) in acc.iter().enumerate() {
        out.x[i] = a[0] as f32;
        out.y[i] = a[1] as f32;
        out.z[i] = a[2] as f32;
    }
}
