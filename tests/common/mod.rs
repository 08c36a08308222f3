//! Helpers shared by the integration tests.
#![allow(dead_code)]

use mesolyte::gpu::Gpu;
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Opens the default adapter (lavapipe in CI). GPU tests take a lock so that two large tests
/// do not run at once on a 2-core machine and so timings of one do not starve another.
pub fn gpu() -> (Gpu, MutexGuard<'static, ()>) {
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    let guard = LOCK
        .get_or_init(|| Mutex::new(()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let gpu = Gpu::open(None).expect("a Vulkan adapter (install mesa-vulkan-drivers for lavapipe)");
    (gpu, guard)
}

/// A deterministic pseudo-random sequence (the crate's SplitMix64) mapped to [-1, 1).
pub fn noise(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = mesolyte::rng::Rng::new(seed);
    (0..n)
        .map(|_| ((rng.next_u64() >> 40) as f64 / (1u64 << 24) as f64 * 2.0 - 1.0) as f32)
        .collect()
}

pub fn mesolyte_bin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_mesolyte"))
}

/// Runs the mesolyte binary with `args` (headless: XDG_RUNTIME_DIR set) and returns its output.
pub fn mesolyte(args: &[&str]) -> std::process::Output {
    mesolyte_with_env(args, &[])
}

/// `mesolyte` with extra environment variables.
pub fn mesolyte_with_env(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> std::process::Output {
    std::process::Command::new(mesolyte_bin())
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Asserts that a run of the binary succeeded and returns its standard output.
pub fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Path of a shipped scenario file.
pub fn scenario(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// FiPy's trench on 15 × 44 cells of 20 nm, its rounded bottom and diffusion layer fitted to
/// that grid, as `--set` arguments: small superfill runs through a whole fill.
pub const SUPERFILL_SMALL_GRID: [&str; 10] = [
    "--set",
    "grid.nx=15",
    "--set",
    "grid.ny=44",
    "--set",
    "grid.dx=2e-8",
    "--set",
    "superfill.bottom_m=60e-9",
    "--set",
    "superfill.boundary_layer_m=0.32e-6",
];
