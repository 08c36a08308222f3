//! Initial state: a planar Li electrode surface (optionally with sinusoidal bumps) and seed
//! nuclei on it, listed or drawn at an areal density; Li ions at the bulk concentration.

use super::params::{DendriteParams, Nucleus};
use super::units::{ModelNumbers, LENGTH_M};
use crate::grid::Grid;

/// SplitMix64: a small deterministic generator for drawing nuclei from the run's seed.
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The listed nuclei plus those drawn at `nucleation_density_m2` with radii uniform in
/// [min, max], positions uniform on the electrode, from `seed`.
pub fn nuclei(p: &DendriteParams, grid: &Grid, seed: u64) -> Vec<Nucleus> {
    let mut all = p.nuclei.clone();
    let l = grid.lengths();
    let area = l[1] * if grid.is_3d() { l[2] } else { grid.dz };
    let count = (p.nucleation_density_m2 * area).round() as usize;
    let mut rng = SplitMix(seed ^ 0x6e75636c65690000);
    for _ in 0..count {
        let y = rng.next_f64() * l[1];
        let z = if grid.is_3d() {
            rng.next_f64() * l[2]
        } else {
            0.0
        };
        let radius = p.nucleus_radius_min_m
            + rng.next_f64() * (p.nucleus_radius_max_m - p.nucleus_radius_min_m);
        all.push(Nucleus { y, z, radius });
    }
    all
}

/// Substrate surface position (m) at (y, z): the planar front plus bumps of the given height
/// and spacing, ½(1 - cos) in each side direction.
fn surface(p: &DendriteParams, grid: &Grid, y: f64, z: f64) -> f64 {
    if p.roughness_height_m == 0.0 {
        return p.interface_position_m;
    }
    let bump =
        |s: f64| 0.5 * (1.0 - (2.0 * std::f64::consts::PI * s / p.roughness_spacing_m).cos());
    let shape = if grid.is_3d() {
        bump(y) * bump(z)
    } else {
        bump(y)
    };
    p.interface_position_m + p.roughness_height_m * shape
}

/// η at every cell (storage order).
pub fn phase_field(
    p: &DendriteParams,
    n: &ModelNumbers,
    grid: &Grid,
    seeds: &[Nucleus],
) -> Vec<f32> {
    let width = 2.0 * n.interface_length * LENGTH_M; // m
    grid.sample(|r| {
        let front = surface(p, grid, r[1], r[2]);
        let mut eta = 0.5 * (1.0 - ((r[0] - front) / width).tanh());
        for s in seeds {
            let dz = if grid.is_3d() { r[2] - s.z } else { 0.0 };
            let dist =
                ((r[0] - p.interface_position_m).powi(2) + (r[1] - s.y).powi(2) + dz * dz).sqrt();
            eta = eta.max(0.5 * (1.0 - ((dist - s.radius) / width).tanh()));
        }
        eta
    })
}
