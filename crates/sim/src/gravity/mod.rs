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
//!
//! Layout: `engine` (the [`GravityEngine`] a world owns, and the tuning defaults) picks `direct` (all
//! pairs, threaded over target chunks) or `barnes_hut` (octree from `morton`/`octree`, group walk, cell
//! kernel in `cells`, far field summed per bucket in `local`). Both evaluate body–body interactions with `kernel`, which dispatches at run time to
//! `avx512`, `avx2` or `portable`. `reference` is the f64 oracle, `scalar` the naive f32 benchmark baseline,
//! `synthetic` the benchmark's particle sets.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod barnes_hut;
mod cells;
mod direct;
mod engine;
mod kernel;
mod local;
mod morton;
mod octree;
mod portable;
mod reference;
mod scalar;
pub mod synthetic;

use serde::{Deserialize, Serialize};

pub use barnes_hut::BarnesHutParams;
pub use engine::{
    DEFAULT_CROSSOVER_N, DEFAULT_GROUP_SIZE, DEFAULT_LEAF_SIZE, DEFAULT_THETA, GravityEngine,
};
pub use reference::{reference_f64, reference_into, reference_one_f64, widen};
pub use scalar::naive_scalar;

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

    /// This level if the CPU supports it, else the best level below it that it does.
    pub fn supported(self) -> Self {
        self.min(Self::detect())
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
