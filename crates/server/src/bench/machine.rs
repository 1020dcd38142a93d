//! The machine a benchmark ran on: CPU model, cores, SIMD level, as recorded with every figure.

use serde::Serialize;

/// What every benchmark's JSON carries under `machine`.
#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub simd: String,
    pub os: &'static str,
    pub arch: &'static str,
}

impl Machine {
    pub fn detect() -> Self {
        Self {
            cpu: cpu_model().unwrap_or_else(|| "unknown".into()),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            simd: sim::gravity::SimdLevel::detect().to_string(),
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
        }
    }
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, name)| name.trim().to_string())
}
