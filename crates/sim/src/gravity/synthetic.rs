//! Synthetic particle sets for benchmarks: a garden-like mix of dense clusters, a disk and a halo.
//!
//! Owns nothing the game uses. Deterministic from a seed (SplitMix64), so a benchmark measures the same
//! system on every run.

use super::Particles;

/// SplitMix64: a tiny, good-enough deterministic generator.
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform point in the ball of radius `r` around the origin.
    pub fn in_ball(&mut self, r: f64) -> [f64; 3] {
        loop {
            let p = [0, 1, 2].map(|_| 2.0 * self.unit() - 1.0);
            if p[0] * p[0] + p[1] * p[1] + p[2] * p[2] <= 1.0 {
                return p.map(|v| v * r);
            }
        }
    }
}

/// `n` bodies within `radius` of the origin: 40% in eight dense Plummer-like clusters, 40% in a thin
/// exponential disk, 20% in a uniform halo; masses log-uniform over 1..1e6.
pub fn garden(n: usize, radius: f64, seed: u64) -> Particles {
    let mut rng = SplitMix64(seed);
    let mut p = Particles::with_capacity(n);
    let centres: Vec<([f64; 3], f64)> = (0..8)
        .map(|_| {
            (
                rng.in_ball(0.7 * radius),
                radius * (0.005 + 0.02 * rng.unit()),
            )
        })
        .collect();
    for i in 0..n {
        let pos = match i % 5 {
            0 | 1 => {
                let (c, size) = centres[(rng.next_u64() % 8) as usize];
                // Radius with a heavy core: u² concentrates bodies near the centre.
                let u = rng.unit();
                let d = rng.in_ball(1.0);
                let norm = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt().max(1e-12);
                [0, 1, 2].map(|k| c[k] + d[k] / norm * size * u * u * 4.0)
            }
            2 | 3 => {
                let r = -0.25 * radius * (1.0 - rng.unit() * 0.98).ln();
                let a = std::f64::consts::TAU * rng.unit();
                let h = 0.01 * radius * (2.0 * rng.unit() - 1.0);
                [r.min(radius) * a.cos(), r.min(radius) * a.sin(), h]
            }
            _ => rng.in_ball(radius),
        };
        let mass = 10f64.powf(6.0 * rng.unit());
        let r = (pos[0] * pos[0] + pos[1] * pos[1] + pos[2] * pos[2]).sqrt();
        let s = if r > radius { radius / r } else { 1.0 };
        p.push(pos.map(|v| (v * s) as f32), mass as f32);
    }
    p
}
