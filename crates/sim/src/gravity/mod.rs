//! The gravity engine: accelerations from positions and masses, with Plummer softening.
//!
//! Owns the force kernels and the choice between them. It knows nothing of bodies, players or game rules:
//! the world hands it a structure-of-arrays copy of positions and masses and gets accelerations back.
//! Every kernel is deterministic: the same input gives bit-identical output on the same build and CPU,
//! whatever the thread count (each body's sum runs in a fixed order on one thread).
//!
//! a_i = G · Σ_j m_j · (r_j − r_i) / (|r_j − r_i|² + ε²)^{3/2}
//!
//! A body's own term is zero because its displacement is zero, so no kernel needs to skip `j == i`.

use serde::{Deserialize, Serialize};

/// Positions and masses in structure-of-arrays layout, f32, as the SIMD kernels read them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Particles {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub z: Vec<f32>,
    pub m: Vec<f32>,
}

impl Particles {
    pub fn with_capacity(n: usize) -> Self {
        Self {
            x: Vec::with_capacity(n),
            y: Vec::with_capacity(n),
            z: Vec::with_capacity(n),
            m: Vec::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.m.len()
    }

    pub fn is_empty(&self) -> bool {
        self.m.is_empty()
    }

    pub fn clear(&mut self) {
        self.x.clear();
        self.y.clear();
        self.z.clear();
        self.m.clear();
    }

    pub fn push(&mut self, pos: [f32; 3], mass: f32) {
        self.x.push(pos[0]);
        self.y.push(pos[1]);
        self.z.push(pos[2]);
        self.m.push(mass);
    }
}

/// Accelerations in structure-of-arrays layout, one entry per particle.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Accelerations {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub z: Vec<f32>,
}

impl Accelerations {
    /// Resizes to `n` entries, all zero.
    pub fn reset(&mut self, n: usize) {
        for v in [&mut self.x, &mut self.y, &mut self.z] {
            v.clear();
            v.resize(n, 0.0);
        }
    }

    pub fn len(&self) -> usize {
        self.x.len()
    }

    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    pub fn get(&self, i: usize) -> [f32; 3] {
        [self.x[i], self.y[i], self.z[i]]
    }
}

/// The physical constants every kernel uses.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GravityParams {
    /// Gravitational constant in game units (DESIGN: 100).
    pub g: f32,
    /// Plummer softening length ε, in game units.
    pub softening: f32,
}

/// f64 scalar reference: the oracle the fast kernels are tested against. O(N²), one thread.
pub fn reference_f64(pos: &[[f64; 3]], mass: &[f64], g: f64, softening: f64) -> Vec<[f64; 3]> {
    let eps2 = softening * softening;
    pos.iter()
        .map(|pi| {
            let mut a = [0.0f64; 3];
            for (pj, &mj) in pos.iter().zip(mass) {
                let d = [pj[0] - pi[0], pj[1] - pi[1], pj[2] - pi[2]];
                let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + eps2;
                let inv = 1.0 / (r2 * r2.sqrt());
                for k in 0..3 {
                    a[k] += mj * d[k] * inv;
                }
            }
            a.map(|v| v * g)
        })
        .collect()
}

/// Computes accelerations into `out` (resized to `p.len()`), using the f64 reference.
///
/// Placeholder entry point until the fast kernels land; the world calls [`GravityEngine`].
fn reference_into(p: &Particles, params: &GravityParams, out: &mut Accelerations) {
    let pos: Vec<[f64; 3]> = (0..p.len())
        .map(|i| [p.x[i] as f64, p.y[i] as f64, p.z[i] as f64])
        .collect();
    let m: Vec<f64> = p.m.iter().map(|&v| v as f64).collect();
    let acc = reference_f64(&pos, &m, params.g as f64, params.softening as f64);
    out.reset(p.len());
    for (i, a) in acc.iter().enumerate() {
        out.x[i] = a[0] as f32;
        out.y[i] = a[1] as f32;
        out.z[i] = a[2] as f32;
    }
}

/// Which kernel the engine runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum KernelChoice {
    /// Direct sum below the crossover body count, Barnes–Hut above it.
    #[default]
    Auto,
    /// Direct sum with the best SIMD level this CPU has, on all threads.
    Direct,
    /// Barnes–Hut with the engine's opening angle, on all threads.
    BarnesHut,
}

/// The gravity engine a world owns: kernel choice, tuning, and reusable scratch buffers.
#[derive(Debug, Clone, Default)]
pub struct GravityEngine {
    pub choice: KernelChoice,
}

impl GravityEngine {
    pub fn new(choice: KernelChoice) -> Self {
        Self { choice }
    }

    /// Accelerations of every particle into `out` (resized to `p.len()`).
    pub fn accelerations(
        &mut self,
        p: &Particles,
        params: &GravityParams,
        out: &mut Accelerations,
    ) {
        reference_into(p, params, out);
    }

    /// Pair interactions (or particle–cell interactions for Barnes–Hut) the last call evaluated.
    pub fn last_interactions(&self) -> u64 {
        0
    }
}

/// The instruction set a SIMD kernel uses, chosen at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SimdLevel {
    /// Plain Rust, any CPU.
    Portable,
    /// x86_64 AVX2 with FMA, 8 lanes.
    Avx2Fma,
    /// x86_64 AVX-512F, 16 lanes.
    Avx512,
}

impl SimdLevel {
    /// The best level this CPU supports.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Self::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Self::Avx2Fma;
            }
        }
        Self::Portable
    }
}

impl std::fmt::Display for SimdLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Portable => "portable",
            Self::Avx2Fma => "avx2+fma",
            Self::Avx512 => "avx512f",
        })
    }
}
