//! Initial state: a planar Li electrode surface (optionally with sinusoidal bumps) and seed
//! nuclei on it, listed or drawn at an areal density; Li ions at the bulk concentration.

use super::params::{DendriteParams, Nucleus};
use super::units::{ModelNumbers, LENGTH_M};
use crate::grid::Grid;
use crate::rng::Rng;

/// Mixed into the run's seed so that the nuclei's stream differs from other draws on the
/// same seed ("nuclei" in ASCII).
const NUCLEI_STREAM: u64 = 0x6e75636c65690000;

/// The listed nuclei plus those drawn at `nucleation_density_m2` with radii uniform in
/// [min, max], positions uniform on the electrode, from `seed`.
pub fn nuclei(p: &DendriteParams, grid: &Grid, seed: u64) -> Vec<Nucleus> {
    let mut all = p.nuclei.clone();
    let l = grid.lengths();
    let area = l[1] * if grid.is_3d() { l[2] } else { grid.dz };
    let count = (p.nucleation_density_m2 * area).round() as usize;
    let mut rng = Rng::new(seed ^ NUCLEI_STREAM);
    for _ in 0..count {
        let y = rng.uniform() * l[1];
        let z = if grid.is_3d() {
            rng.uniform() * l[2]
        } else {
            0.0
        };
        let radius = p.nucleus_radius_min_m
            + rng.uniform() * (p.nucleus_radius_max_m - p.nucleus_radius_min_m);
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

/// Beyond this many interface widths outside its radius a nucleus's profile
/// ½(1 − tanh(d/width)) is exactly 0 in f64 (1 − tanh(25) is below half an ulp of 1), so
/// cells farther away than that along any axis need not look at it.
const NUCLEUS_REACH_WIDTHS: f64 = 25.0;

/// Equilibrium interface profile ½(1 − tanh(d / width)) at signed distance `d` (m) from the
/// interface, metal on the negative side.
fn profile(d: f64, width: f64) -> f64 {
    0.5 * (1.0 - (d / width).tanh())
}

/// η of the substrate alone at cell centre `r`.
fn substrate_eta(p: &DendriteParams, grid: &Grid, width: f64, r: [f64; 3]) -> f64 {
    profile(r[0] - surface(p, grid, r[1], r[2]), width)
}

/// η of nucleus `s` alone at cell centre `r`: a sphere centred on the planar front.
fn nucleus_eta(p: &DendriteParams, grid: &Grid, s: &Nucleus, width: f64, r: [f64; 3]) -> f64 {
    let dz = if grid.is_3d() { r[2] - s.z } else { 0.0 };
    let dist = ((r[0] - p.interface_position_m).powi(2) + (r[1] - s.y).powi(2) + dz * dz).sqrt();
    profile(dist - s.radius, width)
}

/// η at every cell (storage order): the largest of the substrate's profile and each
/// nucleus's. Each nucleus visits only the box of cells its profile reaches, so the cost is
/// cells + nuclei × box rather than cells × nuclei (a 512³ grid with 500 nuclei would be
/// 7·10¹⁰ profile evaluations the other way). The result is the same to the bit: outside
/// its box a nucleus adds exactly 0, and rounding to f32 keeps the order of values, so the
/// f32 maximum equals the rounded f64 maximum.
pub fn phase_field(
    p: &DendriteParams,
    n: &ModelNumbers,
    grid: &Grid,
    seeds: &[Nucleus],
) -> Vec<f32> {
    let width = 2.0 * n.interface_length * LENGTH_M; // m
    let mut eta = grid.sample(|r| substrate_eta(p, grid, width, r));
    for s in seeds {
        let reach = s.radius + NUCLEUS_REACH_WIDTHS * width;
        // Cells whose centre lies within `reach` of `centre` along one axis.
        let span = |centre: f64, h: f64, count: u32| {
            let lo = ((centre - reach) / h - 0.5).floor().max(0.0) as u32;
            let hi = (((centre + reach) / h + 0.5).ceil().max(0.0) as u32).min(count);
            lo..hi
        };
        let zs = if grid.is_3d() {
            span(s.z, grid.dz, grid.nz)
        } else {
            0..1
        };
        for z in zs {
            for y in span(s.y, grid.dy, grid.ny) {
                for x in span(p.interface_position_m, grid.dx, grid.nx) {
                    let value = nucleus_eta(p, grid, s, width, grid.cell_centre(x, y, z)) as f32;
                    let i = grid.index(x, y, z) as usize;
                    eta[i] = eta[i].max(value);
                }
            }
        }
    }
    eta
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scenario;

    fn parse(grid: &str, dendrite: &str) -> (DendriteParams, Grid) {
        let text = format!(
            "name = \"t\"\nmodel = \"dendrite\"\n[grid]\n{grid}\n[run]\nend_time = 1\n\
             [dendrite]\n{dendrite}\n"
        );
        let s = Scenario::parse("t.toml", &text, &[]).unwrap();
        let p = s
            .params
            .downcast_ref::<crate::models::dendrite::DendriteParams>()
            .expect("not a dendrite scenario")
            .clone();
        (p, s.grid)
    }

    /// Where η crosses ½ going up x in the column (y, z), m (linear between cell centres).
    fn front_in_column(eta: &[f32], g: &Grid, y: u32, z: u32) -> f64 {
        for x in 0..g.nx - 1 {
            let (a, b) = (
                eta[g.index(x, y, z) as usize] as f64,
                eta[g.index(x + 1, y, z) as usize] as f64,
            );
            if a >= 0.5 && b < 0.5 {
                return (x as f64 + 0.5 + (a - 0.5) / (a - b)) * g.dx;
            }
        }
        panic!("no front in column {y}, {z}")
    }

    /// Substrate roughness: the surface sits at x0 + H ½(1 − cos 2πy/λ) (2D; the product of
    /// two such bumps in 3D), so its η = ½ crossing in each column is there, the tip at
    /// x0 + H and the mean over whole periods at x0 + H/2 (x0 + H/4 in 3D).
    #[test]
    fn rough_substrate_has_bumps_of_the_given_height_and_spacing() {
        let rough =
            "interface_position_m = 5e-6\nroughness_height_m = 3e-6\nroughness_spacing_m = 5e-6";
        for (grid, mean_factor) in [
            ("nx = 48\nny = 60\ndx = 0.25e-6", 0.5),
            ("nx = 48\nny = 20\nnz = 20\ndx = 0.25e-6", 0.25),
        ] {
            let (p, g) = parse(grid, rough);
            let n = ModelNumbers::from_params(&p, g.dx);
            let eta = phase_field(&p, &n, &g, &[]);
            let (mut tip, mut sum, mut count) = (0.0f64, 0.0, 0.0);
            for z in 0..g.nz {
                for y in 0..g.ny {
                    let c = g.cell_centre(0, y, z);
                    let front = front_in_column(&eta, &g, y, z);
                    let expected = surface(&p, &g, c[1], c[2]);
                    assert!((front - expected).abs() < 0.01e-6, "{front} vs {expected}");
                    tip = tip.max(front);
                    sum += front;
                    count += 1.0;
                }
            }
            // Cell centres sample the bump's crest to within a quarter cell.
            assert!((tip - 8e-6).abs() < 0.05e-6, "tip {tip}");
            // The spacing: 15 µm of electrode hold 3 crests along y (z = 0 row).
            let row: Vec<f64> = (0..g.ny).map(|y| front_in_column(&eta, &g, y, 0)).collect();
            let crests = (0..row.len())
                .filter(|&i| {
                    let (prev, next) = (
                        row[(i + row.len() - 1) % row.len()],
                        row[(i + 1) % row.len()],
                    );
                    row[i] > prev && row[i] >= next
                })
                .count();
            assert_eq!(crests, g.ny as usize / 20, "crests along y");
            let mean = sum / count;
            assert!(
                (mean - (5e-6 + mean_factor * 3e-6)).abs() < 0.01e-6,
                "mean {mean}"
            );
        }
    }

    /// Nuclei: a listed one is a disc (2D) centred on the surface, so the front in a column at
    /// distance d from its centre is at x0 + √(r² − d²); drawn ones number density × area
    /// (2D: area L_y · dz), with radii in the given range and positions on the electrode.
    #[test]
    fn nuclei_are_listed_or_drawn_at_the_given_density_and_sizes() {
        let (p, g) = parse(
            "nx = 80\nny = 80\ndx = 0.25e-6",
            "interface_position_m = 3e-6\nnuclei_m = [[10e-6, 4e-6]]",
        );
        let n = ModelNumbers::from_params(&p, g.dx);
        let seeds = nuclei(&p, &g, 1);
        assert_eq!(seeds.len(), 1);
        let eta = phase_field(&p, &n, &g, &seeds);
        for y in 0..g.ny {
            let d = g.cell_centre(0, y, 0)[1] - 10e-6;
            let expected = 3e-6 + (16e-12 - d * d).max(0.0).sqrt();
            // Away from where the disc meets the flat surface (profiles overlap there).
            if d.abs() < 3.5e-6 {
                let front = front_in_column(&eta, &g, y, 0);
                assert!(
                    (front - expected).abs() < 0.02e-6,
                    "d {d}: {front} vs {expected}"
                );
            }
        }
        let (p, g) = parse(
            "nx = 40\nny = 400\nnz = 200\ndx = 1e-6",
            "nucleation_density_m2 = 2e9\nnucleus_radius_min_m = 1e-6\nnucleus_radius_max_m = 3e-6",
        );
        let seeds = nuclei(&p, &g, 5);
        // 2e9 per m² on 400 × 200 µm: 160.
        assert_eq!(seeds.len(), 160);
        for s in &seeds {
            assert!((1e-6..=3e-6).contains(&s.radius), "{s:?}");
            assert!(
                (0.0..400e-6).contains(&s.y) && (0.0..200e-6).contains(&s.z),
                "{s:?}"
            );
        }
        let mean_radius = seeds.iter().map(|s| s.radius).sum::<f64>() / 160.0;
        assert!((mean_radius - 2e-6).abs() < 0.15e-6, "{mean_radius}");
        assert_ne!(seeds, nuclei(&p, &g, 6), "another seed draws other nuclei");
    }

    /// The boxed nuclei give bit for bit the field of the plain definition (every cell
    /// against every nucleus, maximum in f64), with nuclei cut by the domain's edges and a
    /// rough substrate.
    #[test]
    fn boxed_nuclei_match_the_plain_definition() {
        for (dims, density) in [("nz = 24\n", 2e10), ("", 5e11)] {
            let text = format!(
                "name = \"t\"\nmodel = \"dendrite\"\n[grid]\nnx = 40\nny = 28\n{dims}dx = 0.5e-6\n\
                 [run]\nend_time = 1\n[dendrite]\nnucleation_density_m2 = {density}\n\
                 nucleus_radius_min_m = 1e-6\nnucleus_radius_max_m = 3e-6\n\
                 roughness_height_m = 1e-6\nroughness_spacing_m = 7e-6\n"
            );
            let s = Scenario::parse("t.toml", &text, &[]).unwrap();
            let p = s
                .params
                .downcast_ref::<crate::models::dendrite::DendriteParams>()
                .expect("not a dendrite scenario");
            let grid = s.grid;
            let n = ModelNumbers::from_params(p, grid.dx);
            let seeds = nuclei(p, &grid, 7);
            assert!(seeds.len() >= 2, "{} nuclei", seeds.len());
            let width = 2.0 * n.interface_length * LENGTH_M;
            let plain = grid.sample(|r| {
                let metal = seeds.iter().map(|s| nucleus_eta(p, &grid, s, width, r));
                metal.fold(substrate_eta(p, &grid, width, r), f64::max)
            });
            let boxed = phase_field(p, &n, &grid, &seeds);
            assert!(plain == boxed, "boxed nuclei differ ({dims:?})");
        }
    }
}
