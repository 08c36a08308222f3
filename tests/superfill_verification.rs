//! Verification of the superfill model (docs/verification.md, "superfill"): the level set's
//! reinitialisation and advection against exact distances, the surface accelerator against
//! FiPy's expanding-circle solution and exact conservation, and the flat-surface kinetics
//! and transport against their closed forms. References are named in each test.

mod common;

use mesolyte::gpu::domain::split_even_planes_ghosts;
use mesolyte::gpu::Gpu;
use mesolyte::grid::Grid;
use mesolyte::input::Section;
use mesolyte::models::superfill::{Superfill, SuperfillParams};

/// A superfill model on `grid` with the scenario keys `keys` (the feature is replaced by
/// the tests' own level sets where they need it).
fn model(gpu: &Gpu, grid: Grid, keys: &str) -> Superfill {
    let table: toml::Table = toml::from_str(keys).unwrap();
    let params = SuperfillParams::read(&mut Section::new("test.toml", "superfill", table), &grid)
        .unwrap_or_else(|e| panic!("{e}"));
    Superfill::new(gpu, grid, params).unwrap_or_else(|e| panic!("{e:#}"))
}

/// Keys that make a valid (unused) feature on a box of `n` cells of 10 nm per side.
const SMALL_FEATURE: &str =
    "width_m = 0.1e-6\ndepth_m = 0.1e-6\nbottom_m = 0.05e-6\nboundary_layer_m = 1e-3\n";

/// Cell centres' coordinates in cells.
fn centres(grid: &Grid) -> Vec<[f64; 3]> {
    (0..grid.cells())
        .map(|i| {
            let c = grid.coords(i);
            [c[0] as f64 + 0.5, c[1] as f64 + 0.5, c[2] as f64 + 0.5]
        })
        .collect()
}

/// Whether cell i is at least 8 cells from every face: the faces are symmetry planes, so a
/// surface that meets one at an angle has a mirror image, and distances near the face are to
/// both.
fn interior(grid: &Grid, i: usize) -> bool {
    let c = grid.coords(i as u64);
    let n = grid.counts();
    (0..grid.dims() as usize).all(|a| c[a] >= 8 && c[a] + 8 < n[a])
}

/// A flat metal surface at height `h0` (m) across the box (the vertical axis: y in 2D, z in
/// 3D).
fn flat(grid: &Grid, h0: f64) -> Vec<f32> {
    let vertical = grid.dims() as usize - 1;
    centres(grid)
        .into_iter()
        .map(|p| (p[vertical] * grid.dx - h0) as f32)
        .collect()
}

/// Largest |φ/Δx − d| over interior cells with |d| < 3 (cells), and the largest move of the
/// zero level between `before` and `after` along x-neighbour pairs that change sign in both.
fn distance_errors(grid: &Grid, d: &[f64], after: &[f32], before: &[f32]) -> (f64, f64) {
    let dx = grid.dx;
    let mut err: f64 = 0.0;
    for (i, &di) in d.iter().enumerate() {
        if di.abs() < 3.0 && interior(grid, i) {
            err = err.max((after[i] as f64 / dx - di).abs());
        }
    }
    let mut shift: f64 = 0.0;
    let crossing = |f: &[f32], i: usize| f[i] as f64 / (f[i] as f64 - f[i + 1] as f64);
    for i in 0..d.len() - 1 {
        if grid.coords(i as u64)[0] + 1 == grid.nx {
            continue;
        }
        let changes = |f: &[f32]| (f[i] > 0.0) != (f[i + 1] > 0.0);
        if changes(after) && changes(before) && interior(grid, i) {
            shift = shift.max((crossing(after, i) - crossing(before, i)).abs());
        }
    }
    (err, shift)
}

/// Reinitialisation (Russo & Smereka, J. Comput. Phys. 163, 51 (2000), sub-cell fix; the
/// issue's criterion): level sets with the right zero level but the wrong slope become
/// signed distances within 0.05 Δx within 3 cells of the surface, and the zero level moves
/// by less than 0.01 Δx. A plane, a circle and a sphere, each squeezed to a slope of 1.6
/// at the surface and flattened away from it (1.6 × 8 tanh(d/8), in cells).
#[test]
fn reinitialisation_makes_signed_distances_without_moving_the_surface() {
    let (gpu, _lock) = common::gpu();
    let squeeze = |d: f64| 1.6 * 8.0 * (d / 8.0).tanh();
    type Shape = Box<dyn Fn([f64; 3]) -> f64>;
    let cases: Vec<(&str, Grid, Shape)> = vec![
        (
            "plane",
            Grid::new_2d(48, 48, 1e-8),
            Box::new(|p: [f64; 3]| (0.6 * p[0] + 0.8 * p[1]) - 24.3),
        ),
        (
            "circle",
            Grid::new_2d(48, 48, 1e-8),
            Box::new(|p: [f64; 3]| ((p[0] - 23.7).powi(2) + (p[1] - 24.2).powi(2)).sqrt() - 13.3),
        ),
        (
            "sphere",
            Grid::new_3d(32, 32, 32, 1e-8),
            Box::new(|p: [f64; 3]| {
                ((p[0] - 15.6).powi(2) + (p[1] - 16.3).powi(2) + (p[2] - 16.1).powi(2)).sqrt() - 9.4
            }),
        ),
    ];
    for (name, grid, shape) in cases {
        let keys = SMALL_FEATURE.replace("depth_m = 0.1e-6", "depth_m = 0.05e-6");
        let mut m = model(&gpu, grid, &keys);
        let d: Vec<f64> = centres(&grid).into_iter().map(&shape).collect();
        let phi0: Vec<f32> = d.iter().map(|&v| (squeeze(v) * grid.dx) as f32).collect();
        m.set_level_set(&gpu, &phi0, 0.0).unwrap();
        m.reinitialise(&gpu, 40);
        let phi = m.level_set(&gpu);
        let (err, shift) = distance_errors(&grid, &d, &phi, &phi0);
        eprintln!("{name}: max |φ - d| = {err:.4} Δx, zero level moved {shift:.4} Δx");
        assert!(err < 0.05, "{name}: distance error {err} Δx");
        assert!(shift < 0.01, "{name}: zero level moved {shift} Δx");
    }
}

/// Advection (FiPy's levelSet/advection tests, superfill.md §3: a circle moved outward at
/// unit speed by a tenth of the box at CFL 0.1 keeps |φ − d| ≤ 0.026 Δx with second-order
/// differences): a quarter circle of radius 0.3 L on the symmetry planes, L = 50 cells,
/// within 3 cells of the surface, error below 0.03 Δx; and second order: the error falls by
/// at least 3x from 25 to 50 cells.
#[test]
fn an_expanding_circle_keeps_its_radius_and_converges_at_second_order() {
    let (gpu, _lock) = common::gpu();
    let mut errors = Vec::new();
    for n in [25u32, 50] {
        let grid = Grid::new_2d(n, n, 1e-8);
        let keys = format!("{SMALL_FEATURE}band_cells = 20\n");
        let keys = keys.replace("width_m = 0.1e-6", "width_m = 0.05e-6");
        let keys = keys.replace("depth_m = 0.1e-6", "depth_m = 0.04e-6");
        let keys = keys.replace("bottom_m = 0.05e-6", "bottom_m = 0.02e-6");
        let mut m = model(&gpu, grid, &keys);
        let r0 = 0.3 * n as f64;
        let travel = 0.1 * n as f64;
        let radius = |p: [f64; 3]| (p[0] * p[0] + p[1] * p[1]).sqrt();
        let phi0: Vec<f32> = centres(&grid)
            .into_iter()
            .map(|p| ((radius(p) - r0) * grid.dx) as f32)
            .collect();
        m.set_level_set(&gpu, &phi0, 0.0).unwrap();
        let steps = (travel / 0.1).round() as u64;
        let speed = 1e-9f32;
        let dt = 0.1 * grid.dx / speed as f64;
        m.advect_uniform(&gpu, speed, dt, steps).unwrap();
        let phi = m.level_set(&gpu);
        let mut err: f64 = 0.0;
        for (i, p) in centres(&grid).into_iter().enumerate() {
            let d = radius(p) - r0 - travel;
            if (0.0..3.0).contains(&d) {
                err = err.max((phi[i] as f64 / grid.dx - d).abs());
            }
        }
        eprintln!("{n} cells: max |φ - d| = {err:.4} Δx on the electrolyte side");
        errors.push(err);
    }
    assert!(errors[1] < 0.03, "error {} Δx at 50 cells", errors[1]);
    // Errors in Δx: second order in Δx means a factor 2 per halving in units of Δx.
    assert!(errors[0] / errors[1] > 1.6, "errors {errors:?}");
}

/// The surface accelerator on a growing surface (FiPy's levelSet/surfactant
/// expandingCircle, superfill.md §2.3): a quarter circle of metal growing at v = kθ with no
/// adsorption has r(t) = √(2 k r0 θ0 t + r0²) and θ = θ0 r0 / r. Checked within 1 % (θ's
/// mean; every interface cell within 3 %), and the total surface amount conserved exactly
/// (fixed point).
#[test]
fn coverage_on_an_expanding_circle_follows_the_exact_solution_and_is_conserved() {
    let (gpu, _lock) = common::gpu();
    let n = 64u32;
    let grid = Grid::new_2d(n, n, 1e-8);
    // v = Ω/(nF) b1 θ exp(−αFη/RT) with b0 = 0; no accelerator in solution; Cu²⁺ diffusing
    // fast enough that its depletion is below 1e-4.
    let keys = format!(
        "{SMALL_FEATURE}exchange_current_A_m2 = 0.0\naccelerator_bulk_mol_m3 = 0.0\ninitial_coverage = 0.5 # replaced by set_level_set\ncu_diffusivity_m2_s = 1e-6\nboundary_layer_m = 0.6e-6\nband_cells = 8\n"
    );
    let keys = keys.replace("boundary_layer_m = 1e-3\n", "");
    let mut m = model(&gpu, grid, &keys);
    let k = m.params.flat_velocity(1.0);
    let theta0 = 0.8;
    let r0 = 20.0 * grid.dx;
    let phi0: Vec<f32> = centres(&grid)
        .into_iter()
        .map(|p| ((p[0] * p[0] + p[1] * p[1]).sqrt() * grid.dx - r0) as f32)
        .collect();
    m.set_level_set(&gpu, &phi0, theta0).unwrap();
    let total0 = m.total_amount(&gpu).unwrap();
    // Travel about 15 cells at a Courant number of at most 0.2.
    let dt = 0.2 * grid.dx / (k * theta0);
    let t_end = ((r0 + 15.0 * grid.dx).powi(2) - r0 * r0) / (2.0 * k * r0 * theta0);
    let steps = (t_end / dt).ceil() as u64;
    let t = steps as f64 * dt;
    m.steps(&gpu, dt, steps).unwrap();
    let total = m.total_amount(&gpu).unwrap();
    assert_eq!(total, total0, "surface accelerator not conserved");
    let r_exact = (2.0 * k * r0 * theta0 * t + r0 * r0).sqrt();
    let theta_exact = theta0 * r0 / r_exact;
    // Radius along the diagonal-free axis x = 0 column and the coverage of interface cells.
    let phi = m.level_set(&gpu);
    let stride = n as usize;
    let r = mesolyte::models::superfill::surface_height(&phi, 0, stride, n as usize, grid.dx);
    let area = m.area.download(&gpu);
    let theta = m.theta_cell.download(&gpu);
    let (mut sum, mut count) = (0.0, 0.0);
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for i in 0..area.len() {
        if area[i] > 0.0 {
            sum += theta[i] as f64;
            count += 1.0;
            lo = lo.min(theta[i] as f64);
            hi = hi.max(theta[i] as f64);
        }
    }
    let mean = sum / count;
    eprintln!(
        "t = {t:.3} s: r = {:.4} (exact {:.4}) cells, θ mean {mean:.4} [{lo:.4}, {hi:.4}] (exact {theta_exact:.4})",
        r / grid.dx,
        r_exact / grid.dx
    );
    assert!((r / r_exact - 1.0).abs() < 0.01, "radius {r} vs {r_exact}");
    assert!(
        (mean / theta_exact - 1.0).abs() < 0.01,
        "θ {mean} vs {theta_exact}"
    );
    // Cell by cell too: 0.4546–0.4630 around 0.4558 (2026-12-06); 0.40–0.51 before the
    // transfer's forward pass.
    assert!(
        lo > 0.97 * theta_exact && hi < 1.03 * theta_exact,
        "θ from {lo} to {hi} around {theta_exact}"
    );
}

/// Flat-surface kinetics with the default bath (FiPy simpleTrenchSystem's parameters,
/// superfill.md §1.3 and check 10): the field's coverage follows θ = 1 − exp(−k c t),
/// 1/(k c) = 113.6 s, within 1 % while depletion is negligible, and the surface moves at
/// v(θ) = Ω/(nF)(b0 + b1 θ) exp(−αFη/RT), so its height is the integral of that.
#[test]
fn a_flat_surface_gains_coverage_and_height_at_the_kinetic_rates() {
    let (gpu, _lock) = common::gpu();
    let grid = Grid::new_2d(8, 40, 1e-8);
    let keys =
        "width_m = 0.04e-6\ndepth_m = 0.05e-6\nbottom_m = 0.1e-6\nboundary_layer_m = 0.25e-6\n";
    let mut m = model(&gpu, grid, keys);
    let h0 = 12.3 * grid.dx;
    m.set_level_set(&gpu, &flat(&grid, h0), 0.0).unwrap();
    let p = m.params.clone();
    let rate = p.adsorption_rate() * p.acc_bulk;
    assert!((1.0 / rate - 113.6).abs() < 0.1, "1/(k c) = {}", 1.0 / rate);
    // Explicit coupling lags the velocity a step behind the coverage (Δt/2 × Δv in height,
    // 0.3 % at the first step size); the second stretch checks the coverage only, further on.
    let mut t = 0.0;
    for (dt, steps) in [(0.01, 200), (0.03, 267)] {
        m.steps(&gpu, dt, steps).unwrap();
        t += steps as f64 * dt;
        let theta_exact = 1.0 - (-rate * t).exp();
        let area = m.area.download(&gpu);
        let theta = m.theta_cell.download(&gpu);
        let i = area.iter().position(|&a| a > 0.0).unwrap();
        let (v0, v1) = (
            p.flat_velocity(0.0),
            p.flat_velocity(1.0) - p.flat_velocity(0.0),
        );
        let h_exact = h0 + v0 * t + v1 * (t - (1.0 - (-rate * t).exp()) / rate);
        let phi = m.level_set(&gpu);
        let h = mesolyte::models::superfill::surface_height(&phi, 0, 8, 40, grid.dx);
        eprintln!(
            "t = {t} s: θ = {:.5} (exact {theta_exact:.5}), height {:.5e} (exact {h_exact:.5e}) m",
            theta[i], h
        );
        assert!((theta[i] as f64 / theta_exact - 1.0).abs() < 0.01);
        if dt < 0.02 {
            assert!(((h - h0) / (h_exact - h0) - 1.0).abs() < 0.01);
        }
    }
}

/// Cu²⁺ depletion across a thick diffusion layer through the box top's Robin closure (the
/// 1D steady state of FiPy's metalIonDiffusionEquation, superfill.md §1.7, with the layer
/// mostly above the box): a fully accelerated flat surface under δ = 50 µm, with the box
/// only 0.2 µm above it, deposits at v = v(1) c_s/c_bulk with
/// c_s/c_bulk = 1/(1 + i(1) δ/(n F D c_bulk)), within 1 %: 3.3 % of the undepleted speed.
/// Also the case whose accelerator solve broke down at f32's underflow floor (a trace of
/// accelerator released by rounding from the fully covered surface into a bath without any:
/// Σ (D⁻¹b)² = 1.4e-37), which now keeps its iterate (src/solvers/elliptic.rs, UNDERFLOW_RR).
#[test]
fn depletion_across_a_thick_layer_above_the_box_sets_the_deposition_rate() {
    let (gpu, _lock) = common::gpu();
    let grid = Grid::new_2d(8, 40, 1e-8);
    let keys = "width_m = 0.04e-6\ndepth_m = 0.05e-6\nbottom_m = 0.1e-6\nboundary_layer_m = 50e-6\naccelerator_bulk_mol_m3 = 0.0\nspecies_every = 1\n";
    let mut m = model(&gpu, grid, keys);
    let h0 = 12.3 * grid.dx;
    m.set_level_set(&gpu, &flat(&grid, h0), 1.0).unwrap();
    let p = m.params.clone();
    let i1 = p.currents().1;
    let limiting = p.ion_charge * mesolyte::constants::FARADAY * p.cu_diffusivity * p.cu_bulk
        / p.boundary_layer;
    let v_exact = p.flat_velocity(1.0) / (1.0 + i1 / limiting);
    let height = |m: &Superfill| {
        let phi = m.level_set(&gpu);
        mesolyte::models::superfill::surface_height(&phi, 0, 8, 40, grid.dx)
    };
    // The first steps deplete the box (the solution starts at the bulk value, where the
    // surface is 30 times faster), then the steady rate is measured.
    m.steps(&gpu, 0.2 * grid.dx / p.flat_velocity(1.0), 5)
        .unwrap();
    let dt = 0.2 * grid.dx / v_exact;
    let h1 = height(&m);
    m.steps(&gpu, dt, 40).unwrap();
    let v = (height(&m) - h1) / (40.0 * dt);

    eprintln!(
        "v = {v:.5e} m/s, exact {v_exact:.5e} (undepleted {:.4e})",
        p.flat_velocity(1.0)
    );
    assert!((v / v_exact - 1.0).abs() < 0.01, "v {v} vs {v_exact}");
}

/// The concentration solves on a fine, tall grid with long steps, where the time term
/// Δx²/(DΔt) (3e-8 here) is far below an f32's rounding of the diagonal: neither Cu²⁺ nor
/// the accelerator may rise above its bulk value (the surface only consumes them), and the
/// Cu²⁺ stays on the steady 1D profile through the box. Formed as rhs − d c_old + Σ c_nb,
/// the residual kept a source of the lost time term times c_old in every cell: here Cu²⁺
/// up to 250.47 against a bulk of 250, and 0.34 % above the steady profile mid-box (0.8 %
/// above bulk over FiPy's trench at 1.25 nm, where the run stopped as diverged).
#[test]
fn fine_grids_keep_the_concentrations_below_their_bulk_values() {
    let (gpu, _lock) = common::gpu();
    let (nx, ny, dx) = (8u32, 640u32, 1.25e-9);
    let grid = Grid::new_2d(nx, ny, dx);
    // The feature's keys put the field surface at 45 nm (36 cells), and the layer ends at
    // the box top; the level set is then replaced by a flat surface just above it.
    let layer = (ny as f64) * dx - 45e-9;
    let keys = format!(
        "width_m = 5e-9\ndepth_m = 5e-9\nbottom_m = 40e-9\nboundary_layer_m = {layer:e}\n\
         species_every = 1\n"
    );
    let mut m = model(&gpu, grid, &keys);
    m.set_level_set(&gpu, &flat(&grid, 36.3 * dx), 0.0).unwrap();
    let p = m.params.clone();
    m.steps(&gpu, 0.1, 3).unwrap();
    let phi = m.level_set(&gpu);
    let (cu, acc) = (m.c_cu.download(&gpu), m.c_acc.download(&gpu));
    let most = |c: &[f32]| {
        c.iter()
            .zip(&phi)
            .filter(|(_, &f)| f > 0.0)
            .map(|(&v, _)| v as f64)
            .fold(f64::MIN, f64::max)
    };
    let (cu_max, acc_max) = (most(&cu), most(&acc));
    // Quasi-steady (the box's diffusion time is 1 ms): linear from the first electrolyte
    // cell (the surface has moved about a cell) to the bulk value at the top face (row
    // ny − 1/2).
    let row = |j: u32| cu[(j * nx) as usize] as f64;
    let first = (0..ny).find(|&j| phi[(j * nx) as usize] > 0.0).unwrap();
    let surface = row(first);
    let mid = (first + ny) / 2;
    let linear =
        surface + (p.cu_bulk - surface) * (mid - first) as f64 / (ny as f64 - 0.5 - first as f64);
    eprintln!(
        "Cu2+ at most {cu_max} (bulk {}), at the surface {surface}, mid-box {} (linear \
         {linear:.4}); accelerator at most {acc_max} (bulk {})",
        p.cu_bulk,
        row(mid),
        p.acc_bulk
    );
    assert!(cu_max <= p.cu_bulk * (1.0 + 1e-5), "Cu2+ {cu_max}");
    assert!(
        acc_max <= p.acc_bulk * (1.0 + 1e-5),
        "accelerator {acc_max}"
    );
    assert!(surface < p.cu_bulk * 0.9999, "no depletion: {surface}");
    assert!(
        (row(mid) - linear).abs() < 1e-4 * p.cu_bulk,
        "mid-box {}",
        row(mid)
    );
}

/// A run of a shipped scenario with overrides; returns (metrics rows by column name,
/// summary.json).
/// A run's metrics rows (column name to value) and its summary.
type RunOutput = (
    Vec<std::collections::HashMap<String, f64>>,
    serde_json::Value,
);

/// The box-top guard (8 cells, docs/models/superfill.md, Physics) sees the deposit's top
/// over a void: metal to 55 of 60 cells with an electrolyte slot 30 cells tall across the
/// whole width under it, so every column holds 25 cells of metal. Read from the columns'
/// sums alone (until 2026-12-07) the deposit stood at 25 cells and the run went on.
#[test]
fn the_box_top_guard_sees_the_deposit_above_a_void() {
    use mesolyte::sim::Model;
    let (gpu, _lock) = common::gpu();
    let grid = Grid::new_2d(10, 60, 10e-9);
    let mut m = model(&gpu, grid, SMALL_FEATURE);
    // Signed distance in cells, metal negative: electrolyte above 55 and in 15 < y < 45.
    let distance = |y: f64| {
        if y > 55.0 {
            y - 55.0
        } else if y > 45.0 {
            -(y - 45.0).min(55.0 - y)
        } else if y > 15.0 {
            (y - 15.0).min(45.0 - y)
        } else {
            y - 15.0
        }
    };
    let phi: Vec<f32> = centres(&grid)
        .iter()
        .map(|p| (distance(p[1]) * grid.dx) as f32)
        .collect();
    m.set_level_set(&gpu, &phi, 0.0).unwrap();
    let _ = m.take_messages();
    // The guard reads the columns every fifth plan.
    for _ in 0..5 {
        m.stable_dt(&gpu).unwrap();
    }
    let messages = m.take_messages();
    eprintln!("{messages:?}; {:?}", m.status());
    assert!(
        messages
            .iter()
            .any(|s| s.contains("came within 8 cells of the box top")),
        "no stop at the box top: {messages:?}"
    );
}

fn run_scenario(name: &str, overrides: &[&str]) -> RunOutput {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let scenario = common::scenario(name);
    let mut args = vec!["run", scenario.as_str(), "--out", out.to_str().unwrap()];
    for o in overrides {
        args.push("--set");
        args.push(o);
    }
    common::ok(&common::mesolyte(&args));
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(|v| v.parse::<f64>().unwrap()))
                .collect()
        })
        .collect();
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    (rows, serde_json::from_str(&summary).unwrap())
}

/// When a metric first reaches `level`, linear between outputs.
fn first_reaching(rows: &[std::collections::HashMap<String, f64>], key: &str, level: f64) -> f64 {
    for w in rows.windows(2) {
        let (a, b) = (w[0][key], w[1][key]);
        if a < level && b >= level {
            let (ta, tb) = (w[0]["time_s"], w[1]["time_s"]);
            return ta + (tb - ta) * (level - a) / (b - a);
        }
    }
    f64::NAN
}

/// The shipped FiPy trench at FiPy's coarser resolution (10 nm; superfill.md §1.5, FiPy 4.0.3
/// re-run): incubation then bottom-up fill, the centre line 0.1 µm above the bottom at
/// 5.05 s and at the trench top at 6.58 s (within 5 %; we use CODATA's Faraday constant
/// where FiPy uses 9.6e4, 3 % faster kinetics), no void larger than a cell, and the centre
/// above the field afterwards (the bump).
#[test]
fn the_fipy_trench_incubates_fills_bottom_up_and_bumps() {
    let (_gpu, _lock) = common::gpu();
    let (rows, summary) = run_scenario(
        "superfill-trench-2d.toml",
        &[
            "grid.nx=30",
            "grid.ny=85",
            "grid.dx=1e-8",
            "run.output_every=0.1",
        ],
    );
    let t_01 = first_reaching(&rows, "centre_height_m", 0.1e-6);
    let t_fill = summary["fill_time_s"].as_f64().unwrap();
    let last = rows.last().unwrap();
    eprintln!(
        "0.1 µm at {t_01:.3} s, top at {t_fill:.3} s, end t = {} s: centre {:.4e}, field {:.4e} m, voids {}",
        last["time_s"], last["centre_height_m"], last["field_height_m"], last["void_count"]
    );
    assert!((t_01 / 5.05 - 1.0).abs() < 0.05, "0.1 µm at {t_01} s");
    assert!((t_fill / 6.58 - 1.0).abs() < 0.05, "filled at {t_fill} s");
    assert_eq!(summary["void_free"].as_f64(), Some(1.0));
    // No void over one cell, so no closure time (NaN, written as null).
    assert!(summary.get("void_closed_time_s").is_some());
    assert!(summary["void_closed_time_s"]
        .as_f64()
        .is_none_or(f64::is_nan));
    assert!(last["centre_height_m"] > last["field_height_m"], "no bump");
    assert!(summary["bump_height_m"].as_f64().unwrap() > 0.0);
    // The level set's metal volume against Faraday's law over the whole fill.
    for r in &rows[1..] {
        assert!(r["faraday_volume_error"].abs() < 0.03, "{r:?}");
    }
}

/// FiPy's trench on the shipped grid (5 nm) to 9.1 s, outputs every 0.1 s: the refinement
/// test's coarse run, which the overpotential-window test reads too. Run once per test binary;
/// the caller holds the GPU lock.
fn shipped_trench_to_9_1_s() -> &'static RunOutput {
    static RUN: std::sync::OnceLock<RunOutput> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let time = ["run.end_time=9.1", "run.output_every=0.1"];
        run_scenario(
            "superfill-trench-2d.toml",
            &[&SHIPPED_TRENCH_GRID[..], &time[..]].concat(),
        )
    })
}

/// FiPy's trench's shipped grid: 5 nm cells, half the pitch by the box height.
const SHIPPED_TRENCH_GRID: [&str; 3] = ["grid.nx=60", "grid.ny=170", "grid.dx=5e-9"];

/// Converged, not just consistent: FiPy's trench at the shipped 5 nm against 2.5 nm cells,
/// over the whole fill and the bump after it (to 9.1 s; the shipped scenario stops at about
/// 9.5 s, when the bump comes within 8 cells of the box top). The centre line crosses 0.1,
/// 0.25 and 0.4 µm above the bottom and reaches the trench top (the fill time) within 2 %
/// of the finer run's times, and overtakes the field within 3 % of the same time; from
/// 8.6 s on the bumps (centre less field) differ by less than 1.8 coarse cells (9 nm) and
/// grow at rates within 10 % of each other, over 10 nm at the end; both fill
/// without a void over a cell, and both deposit what Faraday's law says within 3 % all along
/// (the level set does not conserve volume by itself). The issue asks for the bump within
/// 2 %; at 5 nm it is not (below). Recorded 2026-12-07, last, with each solve's mean
/// corrected (shaders/solvers/cg_deflate.wgsl): fill 6.7325 and 6.7102 s (+0.33 %), the
/// centre over the field at 8.629 and 8.398 s (+2.75 %), bumps 12.7 and 21.3 nm at 9.1 s
/// (8.6 nm apart), growing at 27.2 and 29.3 nm/s. The 5 nm run at 1e-6 gives 8.616 s and
/// 13.1 nm: the gap is the grid's; before the correction the loose tolerance had narrowed
/// it (the test asked 2.5 % and 7.5 nm then). At 1.25 nm (measured, not a test) 6.7028 s,
/// 8.353 s and 22.9 nm. Earlier that day, with the CG's products in
/// difference form: fill 6.7307 and 6.7114 s (+0.29 %), the centre over the field at 8.591
/// and 8.406 s (+2.2 %, near this test's 2.5 %), bumps 14.2 and 20.8 nm at 9.1 s (6.6 nm
/// apart, near its 7.5 nm), growing at 27.9 and 28.8 nm/s; at 1.25 nm (measured, not a
/// test) 6.7065 s, 8.383 s and 21.8 nm. Earlier that day, with the cap's releases returned
/// where their cell turned metal: fill 6.732 and 6.714 s (+0.27 %), the centre over the
/// field at 8.59 and 8.43 s (+1.9 %), bumps 14.3 and 19.7 nm at 9.1 s, growing at 28.0 and
/// 28.7 nm/s; at 1.25 nm (measured, not a test) 6.704 s, 8.38 s and 21.9 nm: the bump's
/// steps shrink (5.4, then 2.2 nm), where before that fix they did not. Recorded 2026-12-06
/// with the species solves smoothed by Gauss-Seidel, before that fix: fill 6.731 and 6.719 s (+0.18 %), the centre over the field at 8.57 and
/// 8.49 s (+1.0 %), bumps 14.6 and 18.0 nm at 9.1 s, growing at 27.5 and 28.9 nm/s. The
/// 5 nm bump lags by what its centre loses as the bottom leaves a neck two cells either side
/// of the axis, where the cap releases accelerator that the 2.5 nm run keeps (without the
/// cap the two agree within 2 %: docs/models/superfill.md, Refinement). With damped Jacobi,
/// after the solve-interval fix (adsorb.wgsl): fill 6.736 and 6.719 s, the centre over the
/// field at 8.63 and 8.44 s (+2.2 %), bumps 13.2 and 19.4 nm at 9.1 s. Before the fix,
/// when half of the accelerator the cap released was lost, the 5 nm centre lost only 0.11 s
/// there (8.55 against 8.44 s, bumps 15.7 and 19.7 nm); solving every step (none
/// overwritten either way) gives 8.66 and 8.47 s. At 1.25 nm (33 min on lavapipe, before
/// the fix) the fill is 6.718 s with the (1, 2, 1) neighbourhood, and the 2.5 nm run is nearer the
/// 1.25 nm one than 5 nm is in both (docs/models/superfill.md, Refinement).
/// With the plain 3×3 mean (an unstable scheme at 1.25 nm:
/// short_ripples_on_a_moving_flat_surface_do_not_grow) the fill was 6.700 and 6.716 s and the
/// bumps 19.16 and 19.26 nm at 9.1 s.
#[test]
fn the_trench_fill_converges_at_half_the_cell_size() {
    let (_gpu, _lock) = common::gpu();
    let coarse = shipped_trench_to_9_1_s();
    let fine = &run_scenario(
        "superfill-trench-2d.toml",
        &[
            "grid.nx=120",
            "grid.ny=340",
            "grid.dx=2.5e-9",
            "run.end_time=9.1",
            "run.output_every=0.1",
        ],
    );
    let times = |(rows, summary): &RunOutput| {
        let mut t: Vec<f64> = [0.1e-6, 0.25e-6, 0.4e-6]
            .iter()
            .map(|&h| first_reaching(rows, "centre_height_m", h))
            .collect();
        t.push(summary["fill_time_s"].as_f64().unwrap());
        t.push(bump_onset(rows));
        t
    };
    let (tc, tf) = (times(coarse), times(fine));
    eprintln!("centre at 0.1, 0.25, 0.4 µm, the top, above the field: 5 nm {tc:?}, 2.5 nm {tf:?}");
    // The crossings and the fill within 2 %, the onset (the last) within 3 %.
    for (k, (a, b)) in tc.iter().zip(&tf).enumerate() {
        let tolerance = if k + 1 == tc.len() { 0.03 } else { 0.02 };
        assert!(
            (a / b - 1.0).abs() < tolerance,
            "5 nm {tc:?} against 2.5 nm {tf:?}"
        );
    }
    let bumps: Vec<(f64, f64)> = [8.6, 8.7, 8.8, 8.9, 9.0, 9.1]
        .iter()
        .map(|&t| (bump_at(&coarse.0, t), bump_at(&fine.0, t)))
        .collect();
    eprintln!("bump at 8.6 to 9.1 s (m): {bumps:?}");
    for &(a, b) in &bumps {
        assert!((a - b).abs() < 9e-9, "bumps {bumps:?}");
    }
    let ((a0, b0), (a, b)) = (bumps[0], bumps[bumps.len() - 1]);
    assert!(a > 10e-9 && b > 10e-9, "bumps {bumps:?}");
    assert!(((a - a0) / (b - b0) - 1.0).abs() < 0.1, "bumps {bumps:?}");
    for (rows, summary) in [coarse, fine] {
        assert_eq!(summary["void_free"].as_f64(), Some(1.0), "{summary}");
        for r in &rows[1..] {
            assert!(r["faraday_volume_error"].abs() < 0.03, "{r:?}");
        }
    }
}

/// Roughness of the trench's sidewall in cells: for each row from 12 cells above the
/// trench's bottom up to 460 nm above the box's floor (below the trench's rounded top),
/// where the zero level crosses it going out from the axis (linear between cells), minus
/// the mean over that row and its 4 neighbours on each side; the root mean square of that.
/// φ is the run's `phi_m`, rows of nx cells of size dx.
fn sidewall_ripple(phi: &[f32], nx: usize, dx: f64) -> f64 {
    // (height, crossing in cells) of every row with electrolyte on the axis and metal beside.
    let wall: Vec<(f64, f64)> = phi
        .chunks(nx)
        .enumerate()
        .filter(|(_, row)| row[0] > 0.0)
        .filter_map(|(r, row)| {
            let i = row.iter().position(|&v| v < 0.0)?;
            let (a, b) = (row[i - 1] as f64, row[i] as f64);
            Some(((r as f64 + 0.5) * dx, i as f64 - 0.5 + a / (a - b)))
        })
        .collect();
    assert!(!wall.is_empty(), "no sidewall: the trench has filled");
    let bottom = wall[0].0;
    let x: Vec<f64> = wall
        .iter()
        .filter(|(h, _)| *h > bottom + 12.0 * dx && *h < 460e-9)
        .map(|w| w.1)
        .collect();
    let residues: Vec<f64> = x
        .windows(9)
        .map(|w| w[4] - w.iter().sum::<f64>() / 9.0)
        .collect();
    assert!(residues.len() >= 5, "only {} rows of sidewall", x.len());
    (residues.iter().map(|r| r * r).sum::<f64>() / residues.len() as f64).sqrt()
}

/// The sidewalls of FiPy's trench stay smooth while they close in (shipped 5 nm): a wall
/// that advances faster where it is ahead would be a short-wave instability, which the
/// coverage equation does not have (a bulge spreads its accelerator over more surface, so
/// ripples oscillate; short_ripples_on_a_moving_flat_surface_do_not_grow).
/// Until 2026-12-06 the surface transfer gave every receiver a share of 0.05 beside the
/// one along the normal: a sidewall cell turning metal passed 4 % of its amount to each row
/// beside it, and ripples of about 4 cells grew tenfold in 2 s, the more so on finer grids
/// (0.011 cells root mean square at 5 s in this run; with outputs every 0.1 s, 0.018 and
/// 0.064 cells at 5 and 6 s at 5 nm, 0.081 and 0.165 at 2.5 nm), the fill's last stage
/// then moving by 1.3 % with the solver's tolerance (docs/models/superfill.md,
/// Refinement). Recorded since: 0.0010 and 0.0025 cells at 5 and 6 s (2026-12-06, the
/// coverage's (1, 12, 22, 12, 1) neighbourhood; 0.0011 and 0.0022 with the 3 × 3 mean and
/// the transfer's forward pass, 0.0022 and 0.0055 before it).
#[test]
fn the_trench_sidewalls_stay_smooth_as_they_close_in() {
    let (_gpu, _lock) = common::gpu();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let scenario = common::scenario("superfill-trench-2d.toml");
    common::ok(&common::mesolyte(&[
        "run",
        &scenario,
        "--out",
        out.to_str().unwrap(),
        "--no-pictures",
        "--set",
        "run.end_time=6",
        "--set",
        "run.output_every=1",
    ]));
    // The snapshots at 5 and 6 s: the series' last two (one a second).
    let series = std::fs::read_to_string(out.join("superfill-trench-2d.pvd")).unwrap();
    let files: Vec<&str> = series
        .split("file=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert_eq!(files.len(), 7, "{series}");
    for (t, file, limit) in [(5, files[5], 0.006), (6, files[6], 0.025)] {
        let (dims, phi) = mesolyte::io::vti_read::read_f32_array(&out.join(file), "phi_m")
            .unwrap_or_else(|e| panic!("{e:#}"));
        let ripple = sidewall_ripple(&phi, dims[0], 5e-9);
        eprintln!("t = {t} s: sidewall ripple {ripple:.4} cells (rms)");
        assert!(ripple < limit, "sidewall ripple {ripple} cells at {t} s");
    }
}

/// The shipped 10 nm trench (50 µm layer above a 52.5 nm box) at its default solver
/// tolerance gives the fill and incubation of a much tighter one. The reference is the same
/// run solved to 1e-8: what a solve's tolerance leaves in the box's mean is off the same
/// way every step, and under a thick layer only weak terms hold that mean (Robin 1e-5 here),
/// so until 2026-12-07 the default, 1e-4, filled this trench at 1.233 s against 2.107 s.
/// Each solve now ends by correcting that mean (shaders/solvers/cg_deflate.wgsl;
/// docs/models/superfill.md, Numerics), and 1e-4 does. Within 0.5 % (fill) and 2 %
/// (incubation, read from outputs 0.1 s apart); both runs void-free.
#[test]
fn the_10nm_trench_at_its_default_tolerance_matches_a_tight_solve() {
    let (_gpu, _lock) = common::gpu();
    let run = |extra: &[&str]| {
        let mut keys = vec!["run.end_time=2.5"];
        keys.extend_from_slice(extra);
        run_scenario("superfill-10nm-2d.toml", &keys).1
    };
    let (shipped, tight) = (run(&[]), run(&["superfill.solver_tolerance=1e-8"]));
    let get = |s: &serde_json::Value, k: &str| s[k].as_f64().unwrap();
    eprintln!(
        "fill {} s against {} s, incubation {} s against {} s",
        get(&shipped, "fill_time_s"),
        get(&tight, "fill_time_s"),
        get(&shipped, "incubation_time_s"),
        get(&tight, "incubation_time_s")
    );
    assert!((get(&shipped, "fill_time_s") / get(&tight, "fill_time_s") - 1.0).abs() < 0.005);
    assert!(
        (get(&shipped, "incubation_time_s") / get(&tight, "incubation_time_s") - 1.0).abs() < 0.02
    );
    for s in [&shipped, &tight] {
        assert_eq!(get(s, "void_free"), 1.0, "{s}");
    }
}

/// Without accelerator every surface grows at the suppressed rate: the centre line rises
/// with the field (conformal growth) until the sidewalls meet, and the detector reports the
/// closure (seam cells, or voids where the sidewalls trap electrolyte).
#[test]
fn without_accelerator_the_trench_closes_conformally_with_a_seam() {
    let (_gpu, _lock) = common::gpu();
    let (rows, summary) = run_scenario(
        "superfill-no-accelerator-2d.toml",
        &["grid.nx=30", "grid.ny=85", "grid.dx=1e-8"],
    );
    let early = &rows[4];
    let rise_centre = early["centre_height_m"];
    let rise_field = early["field_height_m"] - rows[0]["field_height_m"];
    assert!(
        (rise_centre / rise_field - 1.0).abs() < 0.05,
        "{rise_centre} vs {rise_field}"
    );
    let seam = summary["seam_length_m"].as_f64().unwrap();
    let voids = summary["void_count"].as_f64().unwrap();
    eprintln!("seam {seam:e} m, voids {voids}, summary {summary}");
    assert!(seam > 0.0 || voids > 0.0);
    assert!(summary["fill_fraction"].as_f64().unwrap() > 0.9);
    // The closure's date: after the last output that showed no void (the census, every 25
    // steps of about 0.5 s here, is coarser than these outputs).
    let closed = summary["void_closed_time_s"].as_f64().unwrap_or(f64::NAN);
    let first_void = rows.iter().position(|r| r["void_count"] > 0.0).unwrap();
    let clear = rows[first_void - 1]["time_s"];
    eprintln!("void closed at {closed} s; outputs show none at {clear} s");
    assert!(closed > clear && closed <= rows[rows.len() - 1]["time_s"]);
}

/// The same trench as a 2D run and extruded along y in 3D (two cells, symmetry planes on
/// both y faces) is the same fill: the 3D kernels reduce to the 2D ones on a y-uniform
/// state. Fill time and final bump within 1 % at 20 nm cells.
#[test]
fn an_extruded_trench_in_3d_fills_as_in_2d() {
    let (_gpu, _lock) = common::gpu();
    let common_keys = [
        "grid.dx=2e-8",
        "superfill.bottom_m=60e-9",
        "superfill.boundary_layer_m=0.32e-6",
    ];
    let mut two_d = vec!["grid.nx=15", "grid.ny=44"];
    two_d.extend(common_keys);
    let mut three_d = vec!["grid.nx=15", "grid.ny=2", "grid.nz=44"];
    three_d.extend(common_keys);
    let (_, a) = run_scenario("superfill-trench-2d.toml", &two_d);
    let (_, b) = run_scenario("superfill-trench-2d.toml", &three_d);
    let fill = |s: &serde_json::Value| s["fill_time_s"].as_f64().unwrap();
    eprintln!("fill 2D {} s, 3D {} s", fill(&a), fill(&b));
    assert!((fill(&a) / fill(&b) - 1.0).abs() < 0.01);
    assert_eq!(b["void_free"].as_f64(), Some(1.0));
}

/// Adsorption limited by the accelerator's diffusion (FiPy's adsorption.py, superfill.md
/// §1.7): a surface that does not move, under a layer of length L, takes up accelerator at
/// Γ k c_s (1 − θ) = D (c_bulk − c_s)/L, so −ln(1 − θ) + M θ = k c_bulk t with
/// M = k Γ L / D. At M = 2 the uptake starts three times slower than without depletion;
/// θ within 1 % of the implicit relation at 20 and 60 s.
#[test]
fn adsorption_limited_by_diffusion_follows_the_implicit_relation() {
    let (gpu, _lock) = common::gpu();
    let grid = Grid::new_2d(8, 40, 1e-8);
    // The layer is 0.25 µm above the initial field (at 0.15 µm); the surface below is put
    // at 12.3 cells, so the bulk is L = 0.25 µm + (0.15 µm − 0.123 µm) − 0.2 cells from the
    // interface cell's centre, where the model takes c_s.
    let h0 = 12.3 * grid.dx;
    let length = 0.25e-6 + (0.15e-6 - h0) - 0.2 * grid.dx;
    let p0 = {
        let keys =
            "width_m = 0.04e-6\ndepth_m = 0.05e-6\nbottom_m = 0.1e-6\nboundary_layer_m = 0.25e-6\n";
        model(&gpu, grid, keys).params.clone()
    };
    let k = p0.adsorption_rate();
    let m_target = 2.0;
    let diffusivity = k * p0.site_density * length / m_target;
    let keys = format!(
        "width_m = 0.04e-6\ndepth_m = 0.05e-6\nbottom_m = 0.1e-6\nboundary_layer_m = 0.25e-6\n\
         exchange_current_A_m2 = 1e-9\naccelerated_current_A_m2 = 0.0\n\
         accelerator_diffusivity_m2_s = {diffusivity:e}\nspecies_every = 1\n"
    );
    let mut m = model(&gpu, grid, &keys);
    m.set_level_set(&gpu, &flat(&grid, h0), 0.0).unwrap();
    let rate = k * p0.acc_bulk;
    let mut t = 0.0;
    for (dt, steps) in [(0.25, 80), (0.5, 80)] {
        m.steps(&gpu, dt, steps).unwrap();
        t += dt * steps as f64;
        // θ from −ln(1 − θ) + Mθ = k c t by bisection.
        let (mut lo, mut hi) = (0.0f64, 1.0 - 1e-12);
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if -(1.0 - mid).ln() + m_target * mid < rate * t {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let area = m.area.download(&gpu);
        let theta = m.theta_cell.download(&gpu);
        let i = area.iter().position(|&a| a > 0.0).unwrap();
        let free = 1.0 - (-rate * t).exp();
        eprintln!(
            "t = {t} s: θ = {:.5}, implicit relation {lo:.5} (without depletion {free:.5})",
            theta[i]
        );
        assert!((theta[i] as f64 / lo - 1.0).abs() < 0.01);
    }
}

/// The θ ≤ 1 cap releases accelerator into the solution (adsorb.wgsl), and the next solve
/// takes it in, also where the cell holding the release has turned metal before that solve,
/// as a front passes an interface cell within a step or two (species_setup.wgsl shares such
/// a release among the cell's electrolyte neighbours). The reference is conservation: the
/// accelerator on the surface, in solution and released but pending, with what left
/// through the box top in the solve (the Robin closure's flux D c_top/(Δx/2 + L) over the
/// solve's interval, from the top row's concentrations), adds up to what the surface held,
/// to 1e-4. A flat surface starts at θ = 1.5 in a bath without accelerator; the first
/// step's cap releases a third of it in the row above the front, and the second step's move
/// (half a cell a step) turns that row metal before the solve. In 2D in one buffer, in 2D
/// with the row turning metal at the top of a chunk (the release is read from the next
/// chunk's ghost plane), and in 3D, under a short layer (0.25 µm above the box, through
/// which much of the release leaves within the solve); and in 2D under a 1 mm layer, where
/// the box is nearly closed and its solution's total rests on the time term Δx²/(DΔt)
/// (6e-6 here). Until 2026-12-07 the release was dropped there: the budget fell by a third.
/// Until the solves applied their operator in difference form (the same day,
/// solvers/include/apply_split.wgsl), the 1 mm case came out 0.4 % short (its solution
/// 1.1 %), whatever the solver's tolerance: f32 rounded the time term away from the
/// diagonal's face count.
#[test]
fn released_accelerator_reaches_the_solution_where_its_cell_turned_metal() {
    let (mut gpu, _lock) = common::gpu();
    let dx = 1e-8;
    let cases = [
        ("2D", Grid::new_2d(8, 40, dx), None, 0.5e-6),
        (
            "2D, chunked",
            Grid::new_2d(8, 40, dx),
            Some(8 * 4 * 25),
            0.5e-6,
        ),
        ("3D", Grid::new_3d(4, 4, 40, dx), None, 0.5e-6),
        ("2D, 1 mm layer", Grid::new_2d(8, 40, dx), None, 1e-3),
    ];
    for (name, grid, binding, layer_m) in cases {
        let keys = format!(
            "width_m = 0.04e-6\ndepth_m = 0.05e-6\nbottom_m = 0.1e-6\n\
             boundary_layer_m = {layer_m:e}\naccelerator_bulk_mol_m3 = 0.0\nspecies_every = 2\n"
        );
        let saved = gpu.max_binding_bytes;
        // The release row: the last of a chunk where chunked, else row 13.
        let row = match binding {
            Some(b) => {
                gpu.max_binding_bytes = b;
                let spans =
                    split_even_planes_ghosts(grid.planes(), grid.plane_cells() * 4, b, 3).unwrap();
                assert!(spans.len() > 1, "{name}: one chunk");
                spans[1].first_plane - 1
            }
            None => 13,
        };
        // Row `row` is the interface (φ = 0.9 Δx) and turns metal in the second step.
        let h0 = (row as f64 - 0.4) * dx;
        let mut m = model(&gpu, grid, &keys);
        m.set_level_set(&gpu, &flat(&grid, h0), 1.5).unwrap();
        let start: f64 = m.accelerator_budget(&gpu).unwrap().iter().sum();
        let dt = 0.5 * dx / m.params.flat_velocity(1.0);
        m.steps(&gpu, dt, 1).unwrap();
        let released = m.accelerator_budget(&gpu).unwrap();
        m.steps(&gpu, dt, 1).unwrap();
        let after = m.accelerator_budget(&gpu).unwrap();
        gpu.max_binding_bytes = saved;
        // The solve after the second step advanced the solution over both steps.
        let p = &m.params;
        let layer = p.boundary_layer - p.box_above_field(&grid);
        let top = ((grid.planes() - 1) as u64 * grid.plane_cells()) as usize;
        let c_top: f64 = m.c_acc.download(&gpu)[top..]
            .iter()
            .map(|&c| c as f64)
            .sum();
        let face = grid.cell_volume() / dx;
        let out = 2.0 * dt * p.acc_diffusivity / (0.5 * dx + layer) * c_top * face;
        let metal = m.level_set(&gpu)[(row as u64 * grid.plane_cells()) as usize] <= 0.0;
        eprintln!(
            "{name}: surface, solution, pending {released:?} mol after the first step, \
             {after:?} after the second (of {start:.6e}), {out:.4e} out through the top; \
             release row metal: {metal}"
        );
        assert!(metal, "{name}: the release row should have turned metal");
        assert!(
            (released[2] / start - 1.0 / 3.0).abs() < 1e-3,
            "{name}: the cap should release a third"
        );
        let total = after.iter().sum::<f64>() + out;
        eprintln!("{name}: budget {:+.2e} relative", total / start - 1.0);
        assert!(
            (total / start - 1.0).abs() < 1e-4,
            "{name}: {total} of {start}"
        );
    }
}

/// Adsorption limited by the diffusion transient of the bath (Ward & Tordai, J. Chem. Phys.
/// 14, 453 (1946), their limit of a surface that takes up all that arrives): a surface that
/// does not move, a bath whose diffusion length √(Dt) (20 cells at 16 s) stays within the
/// box, and a rate constant so fast that the bath is emptied at the surface. The uptake is
/// then Γ θ = 2 c_bulk √(D t / π); its increase from 4 to 16 s within 2 %, with the
/// concentrations solved every step and every 4 steps, and θ at 16 s the same within 5 %
/// either way. A solve advances the bath over the 4 steps since the last one, and the
/// surface's uptake over them is then reckoned with the solve's sink (adsorb.wgsl).
/// Adsorbing every step from the last solve's concentration without that reckoning (a
/// version on the way there, with the solve's interval already right), the surface took up
/// the bulk value's worth for the 3 steps before the first solve (θ 2.7e-3 at 4 s against
/// 6.0e-5), and 2.6 % too much from 4 to 16 s. The reckoning takes that start back at the
/// coverage of the fourth step, not of each step's own: 4e-6 of the 2.6e-3 stays, +4 % on
/// θ at 16 s.
#[test]
fn adsorption_from_a_bath_in_transient_follows_ward_tordai_whatever_the_solve_cadence() {
    let (gpu, _lock) = common::gpu();
    let (nx, ny, dx) = (8u32, 110u32, 1e-8);
    let grid = Grid::new_2d(nx, ny, dx);
    let diffusivity = 2.5e-15;
    // The field of the feature's keys is at 0.15 µm and the layer ends at the box top; the
    // level set is then replaced by a flat surface at 12.3 cells.
    let layer = ny as f64 * dx - 0.15e-6;
    let uptake = |every: u32| {
        let keys = format!(
            "width_m = 0.04e-6\ndepth_m = 0.05e-6\nbottom_m = 0.1e-6\n\
             boundary_layer_m = {layer:e}\nexchange_current_A_m2 = 1e-9\n\
             accelerated_current_A_m2 = 0.0\naccelerator_diffusivity_m2_s = {diffusivity:e}\n\
             species_every = {every}\n"
        );
        let mut m = model(&gpu, grid, &keys);
        m.set_level_set(&gpu, &flat(&grid, 12.3 * dx), 0.0).unwrap();
        let p = m.params.clone();
        let theta = |m: &mut Superfill, steps: u64| {
            m.steps(&gpu, 0.1, steps).unwrap();
            let area = m.area.download(&gpu);
            let i = area.iter().position(|&a| a > 0.0).unwrap();
            m.theta_cell.download(&gpu)[i] as f64
        };
        let early = theta(&mut m, 40);
        let late = theta(&mut m, 120);
        let gained = p.site_density * (late - early);
        let exact = 2.0
            * p.acc_bulk
            * (diffusivity / std::f64::consts::PI).sqrt()
            * (16f64.sqrt() - 4f64.sqrt());
        eprintln!(
            "solves every {every} steps: Γ Δθ {gained:.4e} mol/m², Ward–Tordai {exact:.4e} \
             (θ {early:.4e} at 4 s, {late:.4e} at 16 s)"
        );
        (gained / exact, late)
    };
    let (ratio, late) = uptake(1);
    assert!((ratio - 1.0).abs() < 0.02, "every step: {ratio}");
    let (ratio4, late4) = uptake(4);
    assert!((ratio4 - 1.0).abs() < 0.02, "every 4 steps: {ratio4}");
    assert!(
        (late4 / late - 1.0).abs() < 0.05,
        "θ {late4} against {late}"
    );
}

/// The leveler's surface kinetics on a flat surface without depletion (FiPy leveler.py's
/// equations, superfill.md §1.6), against the same ODEs integrated in f64 (RK4, 1 ms):
///   dθ_L/dt = k_L c_L (1 − θ_L) − k_L⁻ v θ_L,
///   dθ_A/dt = k c_A (1 − θ_A − θ_L) − k_L c_L θ_A − k⁻ θ_A^q,
/// v from the per-adsorbate Butler-Volmer currents; θ_A, θ_L and the height within 1 % at
/// 15 and 30 s. The leveler is 50 times the shipped concentration, so that it matters
/// within a minute.
#[test]
fn leveler_and_accelerator_coverages_follow_their_rate_equations() {
    let (gpu, _lock) = common::gpu();
    let grid = Grid::new_2d(8, 60, 1e-8);
    let keys =
        "width_m = 0.04e-6\ndepth_m = 0.05e-6\nbottom_m = 0.1e-6\nboundary_layer_m = 0.45e-6\n\
        overpotential_V = -0.25\nkinetics = \"butler-volmer\"\n\
        suppressed_exchange_current_A_m2 = 0.6\naccelerated_exchange_current_A_m2 = 45.0\n\
        accelerated_transfer_coefficient = 0.4\ncu_diffusivity_m2_s = 1e-6\n\
        accelerator_bulk_mol_m3 = 50e-3\naccelerator_diffusivity_m2_s = 1e-6\n\
        site_density_mol_m2 = 6.35e-6\nadsorption_rate_m3_mol_s = 2.6e-4\n\
        adsorption_rate_eta3_m3_mol_s_V3 = 0.0\nadsorption_rate_alpha = 0.62\n\
        accelerator_consumption_1_s = 1.49e-3\naccelerator_consumption_order = 1.65\n\
        leveler_bulk_mol_m3 = 1.0\nleveler_diffusivity_m2_s = 1e-6\nspecies_every = 1\n";
    let mut m = model(&gpu, grid, keys);
    let h0 = 12.3 * grid.dx;
    m.set_level_set(&gpu, &flat(&grid, h0), 0.0).unwrap();
    let p = m.params.clone();
    let (k, ca) = (p.adsorption_rate(), p.acc_bulk);
    let (kl, cl, burial) = (p.leveler.rate, p.leveler.bulk, p.leveler.burial);
    let (km, q) = (p.consumption, p.consumption_order);
    let rates = |y: [f64; 3]| {
        let (ta, tl) = (y[0], y[1]);
        let v = p.flat_velocity(ta);
        [
            k * ca * (1.0 - ta - tl) - kl * cl * ta - km * ta.max(0.0).powf(q),
            kl * cl * (1.0 - tl) - burial * v * tl,
            v,
        ]
    };
    let mut y = [0.0f64; 3];
    let h = 1e-3;
    let mut t = 0.0;
    let dt = 0.2;
    for _ in 0..2 {
        m.steps(&gpu, dt, 75).unwrap();
        for _ in 0..15_000 {
            let k1 = rates(y);
            let k2 = rates(std::array::from_fn(|i| y[i] + 0.5 * h * k1[i]));
            let k3 = rates(std::array::from_fn(|i| y[i] + 0.5 * h * k2[i]));
            let k4 = rates(std::array::from_fn(|i| y[i] + h * k3[i]));
            y = std::array::from_fn(|i| {
                y[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
            });
        }
        t += 15.0;
        let area = m.area.download(&gpu);
        let i = area.iter().position(|&a| a > 0.0).unwrap();
        let theta = m.theta_cell.download(&gpu)[i] as f64;
        let theta_lev = m.theta_leveler_cell(&gpu)[i] as f64;
        let phi = m.level_set(&gpu);
        let height = mesolyte::models::superfill::surface_height(&phi, 0, 8, 60, grid.dx) - h0;
        eprintln!(
            "t = {t} s: θ_A {theta:.5} (ODE {:.5}), θ_L {theta_lev:.5} (ODE {:.5}), grown {height:.4e} m (ODE {:.4e})",
            y[0], y[1], y[2]
        );
        assert!((theta / y[0] - 1.0).abs() < 0.01);
        assert!((theta_lev / y[1] - 1.0).abs() < 0.01);
        assert!((height / y[2] - 1.0).abs() < 0.01);
    }
}

/// When the centre line first overtakes the field (the bump starts), linear between outputs.
fn bump_onset(rows: &[std::collections::HashMap<String, f64>]) -> f64 {
    let bump =
        |r: &std::collections::HashMap<String, f64>| r["centre_height_m"] - r["field_height_m"];
    for w in rows.windows(2) {
        let (a, b) = (bump(&w[0]), bump(&w[1]));
        if a < 0.0 && b >= 0.0 {
            let (ta, tb) = (w[0]["time_s"], w[1]["time_s"]);
            return ta - (tb - ta) * a / (b - a);
        }
    }
    f64::NAN
}

/// The bump at time `t`, linear between outputs.
fn bump_at(rows: &[std::collections::HashMap<String, f64>], t: f64) -> f64 {
    let w = rows
        .windows(2)
        .find(|w| w[0]["time_s"] <= t && t <= w[1]["time_s"])
        .unwrap_or_else(|| panic!("no output around {t} s"));
    let s = (t - w[0]["time_s"]) / (w[1]["time_s"] - w[0]["time_s"]);
    let bump =
        |r: &std::collections::HashMap<String, f64>| r["centre_height_m"] - r["field_height_m"];
    bump(&w[0]) + s * (bump(&w[1]) - bump(&w[0]))
}

/// FiPy leveler.py's case (Moffat, Wheeler, Kim & Josell, J. Electrochem. Soc. 153, C127
/// (2006)), with and without its 20 µmol/L leveler, at the scenario's 5 nm cells (FiPy's
/// own are 10 nm). FiPy 4.0.3 run beside ours at 10 nm
/// (tests/data/superfill/fipy_leveler_10nm.csv and fipy_leveler_off_10nm.csv): the centre
/// line overtakes the field at 79.1 s without leveler and 92.9 s with it, the leveler
/// gathering on the closing bottom and crowding the accelerator off its sites. How long ours
/// is delayed is not a stable number: where the bottom closes (about 52 s) either the
/// leveler or the accelerator takes the centre, and which one does turns on differences at
/// the solver's tolerance. At 5 nm (2026-12-06) the delay was 4.7 s with damped-Jacobi
/// smoothing at the default tolerance and at 1e-6, 1.3 s with Gauss-Seidel smoothing (the
/// shipped solver) at the default, and with Gauss-Seidel at 1e-6 the leveler held the bump
/// back past 100 s (docs/models/superfill.md, leveler section); since the CG's products are
/// formed in difference form (2026-12-07) 1e-6 and tighter tolerances agree (5.9 and
/// 6.2 s), and since each solve corrects its mean, the default 1e-4 agrees with them. What
/// holds in every case,
/// and what the issue asks, is the direction: the leveler delays the bump and keeps it
/// lower. Here: the onset without leveler within 15 % of FiPy's (ours is about 86–88 s: it
/// moves from 80–85 s at 10 nm to about 90 s at 2.5 nm, so FiPy's 10 nm is early too), the
/// leveler delaying it by at least 0.5 s, and 10 s after the bump starts without leveler,
/// the bump with leveler under 0.95 of it (FiPy: 22 nm against none). Measured: 87.1 and
/// 93.3 s, 8.23 against 19.05 nm (2026-12-07, at 1e-4 with the solves' mean corrected; 87.0
/// and 93.2 s, 8.3 against 18.9 nm solved to 5.1e-7 without it; at 1e-4 without it 82.5 and
/// 86.8 s, the tolerance's error; 83.1 and 87.6 s, 12.0 against
/// 20.5 nm with the cap's releases returned where their cell turned metal; 86.0 and 87.3 s,
/// 18.9 against 21.8 nm before).
#[test]
fn a_leveler_delays_and_suppresses_the_bump() {
    let (_gpu, _lock) = common::gpu();
    let run = |leveler: &str| {
        let set = format!("superfill.leveler_bulk_mol_m3={leveler}");
        // To 100 s: 10 s after the onset without leveler (about 87 s) and one output more.
        run_scenario(
            "superfill-leveler-2d.toml",
            &["run.output_every=2", "run.end_time=100", set.as_str()],
        )
        .0
    };
    let (without, with) = (run("0"), run("0.02"));
    let (t0, t1) = (bump_onset(&without), bump_onset(&with));
    let (b0, b1) = (bump_at(&without, t0 + 10.0), bump_at(&with, t0 + 10.0));
    eprintln!(
        "bump onset {t0:.1} s without leveler (FiPy 79.1), {t1:.1} s with (FiPy 92.9); \
         at {:.1} s: {b0:.3e} m against {b1:.3e} m",
        t0 + 10.0
    );
    assert!(
        (t0 / 79.1 - 1.0).abs() < 0.15,
        "onset without leveler at {t0} s"
    );
    assert!(
        t1 - t0 > 0.5,
        "the leveler delays the bump by {} s",
        t1 - t0
    );
    assert!(b0 > 5e-9, "bump without leveler {b0} m");
    assert!(
        b1 < 0.95 * b0,
        "bump {b1} m with leveler against {b0} m without"
    );
}

/// The corner-facet solution of the incubation period, for the setting of Josell, Moffat &
/// Wheeler, J. Electrochem. Soc. 151, C19 (2004) (fronts from the bottom corners, catalyst
/// pre-adsorbed at θ0, no adsorption, no consumption, no depletion; v = v(θ) linear). Each
/// bottom corner grows a flat 45° facet of uniform coverage θ_f and speed v_f = v(θ_f): its
/// ends sweep the bottom and the sidewall (each moving at v0 = v(θ0)) at √2 v_f − v0 and
/// lengthen the facet at v_f − √2 v0 each, so the catalyst they bring sets
///   θ_f (v_f − √2 v0) = θ0 (√2 v_f − v0),
/// a quadratic in θ_f (the root with v_f > √2 v0). The facet's distance from the original
/// corner along the diagonal is v_f t, and the flat bottom is gone (incubation ends) when the
/// facets of the two corners meet at the axis, t_inc = W / (2 (√2 v_f − v0)).
/// Returns (θ_f, v_f, t_inc).
fn corner_facet(v: impl Fn(f64) -> f64, theta0: f64, width: f64) -> (f64, f64, f64) {
    let s2 = std::f64::consts::SQRT_2;
    let (a, b) = (v(0.0), v(1.0) - v(0.0));
    let v0 = v(theta0);
    // b θ² + (a − √2 v0 − √2 b θ0) θ − θ0 (√2 a − v0) = 0
    let (qa, qb, qc) = (b, a - s2 * v0 - s2 * b * theta0, -theta0 * (s2 * a - v0));
    let theta_f = (-qb + (qb * qb - 4.0 * qa * qc).sqrt()) / (2.0 * qa);
    let v_f = v(theta_f);
    (theta_f, v_f, width / (2.0 * (s2 * v_f - v0)))
}

/// The facet case at cell size `dx`, observed at the times `at` (fractions of t_inc): per
/// time, the facet's distance from the corner along the diagonal over v_f t and the coverage
/// there over θ_f; and the time the centre line rose 0.5 % of the width above the flat
/// bottom's height y_b + v0 t (just after the facets meet there), over the exact solution's
/// time for that rise (1.01 t_inc).
fn corner_facet_run(gpu: &Gpu, dx: f64, at: &[f64]) -> (Vec<(f64, f64)>, f64) {
    let s2 = std::f64::consts::SQRT_2;
    let (width, theta0, bottom) = (0.25e-6, 0.1, 0.04e-6);
    let half_box = 0.2e-6;
    let (nx, ny) = (
        (half_box / dx).round() as usize,
        (0.42e-6 / dx).round() as usize,
    );
    let grid = Grid::new_2d(nx as u32, ny as u32, dx);
    // No adsorption (no accelerator in solution), and a bath 20 times FiPy's so that the
    // depletion the exact solution leaves out is below 0.1 % (Tafel: the rate depends on
    // c_s / c_bulk only).
    let keys = format!(
        "width_m = {width:e}\ndepth_m = 0.2e-6\npitch_m = {:e}\nbottom_m = {bottom:e}\n\
         boundary_layer_m = 0.3e-6\ncu_bulk_mol_m3 = 5000.0\naccelerator_bulk_mol_m3 = 0.0\n\
         initial_coverage = {theta0}\ncfl = 0.1\n",
        2.0 * half_box
    );
    let mut m = model(gpu, grid, &keys);
    let p = m.params.clone();
    let (theta_f, v_f, t_inc) = corner_facet(|t| p.flat_velocity(t), theta0, width);
    let v0 = p.flat_velocity(theta0);
    // The facet is the fastest surface: the run's step at its Courant number.
    let dt = p.cfl * dx / v_f;
    // After the facets meet, the axis outruns the flat bottom at √2 v_f − v0: the exact
    // solution's centre line is 0.005 W above the flat bottom's height at t_rise.
    let t_rise = t_inc + 0.005 * width / (s2 * v_f - v0);
    let bilinear = |f: &[f32], x: f64, y: f64| {
        let (fx, fy) = (x / dx - 0.5, y / dx - 0.5);
        let (i, j) = (fx.floor() as usize, fy.floor() as usize);
        let (u, w) = (fx - i as f64, fy - j as f64);
        let at = |i: usize, j: usize| f[j * nx + i] as f64;
        (1.0 - u) * (1.0 - w) * at(i, j)
            + u * (1.0 - w) * at(i + 1, j)
            + (1.0 - u) * w * at(i, j + 1)
            + u * w * at(i + 1, j + 1)
    };
    // Along the diagonal from the bottom corner into the trench.
    let diagonal = |s: f64| (width / 2.0 - s / s2, bottom + s / s2);
    let (mut t, mut incubation, mut out) = (0.0, f64::NAN, Vec::new());
    let mut rise_before = 0.0;
    for &frac in at.iter().chain([1.5].iter()) {
        // Chunks of 5 steps, watching the centre line; the incubation's end is interpolated
        // between chunks.
        while t < frac * t_inc {
            m.steps(gpu, dt, 5).unwrap();
            t += 5.0 * dt;
            if incubation.is_nan() {
                let phi = m.level_set(gpu);
                let h = mesolyte::models::superfill::surface_height(&phi, 0, nx, ny, dx);
                let rise = h - (bottom + v0 * t) - 0.005 * width;
                if rise > 0.0 {
                    incubation = (t - 5.0 * dt * rise / (rise - rise_before)) / t_rise;
                }
                rise_before = rise;
            }
        }
        if out.len() == at.len() {
            break;
        }
        let phi = m.level_set(gpu);
        let theta = m.theta_ext.download(gpu);
        let step = 0.05 * dx;
        let mut s = 0.0;
        while bilinear(&phi, diagonal(s + step).0, diagonal(s + step).1) < 0.0 {
            s += step;
        }
        let f0 = bilinear(&phi, diagonal(s).0, diagonal(s).1);
        let f1 = bilinear(&phi, diagonal(s + step).0, diagonal(s + step).1);
        let d = s + step * f0 / (f0 - f1);
        let th = bilinear(&theta, diagonal(d).0, diagonal(d).1);
        eprintln!(
            "Δx {:.1} nm, t = {:.3} t_inc: facet at {:.2} nm (exact {:.2}, a corner without \
             facet {:.2}), θ there {th:.4} (θ_f {theta_f:.4}, θ0 {theta0})",
            dx * 1e9,
            t / t_inc,
            d * 1e9,
            v_f * t * 1e9,
            s2 * v0 * t * 1e9,
        );
        out.push((d / (v_f * t), th / theta_f));
    }
    (out, incubation)
}

/// Josell, Moffat & Wheeler, J. Electrochem. Soc. 151, C19 (2004): the incubation period's
/// exact solution (`corner_facet`) on a trench 0.25 µm wide with θ0 = 0.1 pre-adsorbed
/// (θ_f = 0.2455, v_f = 2.4 v0, t_inc = 0.90 s). At 0.6 and 0.9 t_inc the facet's position
/// is within 1.5 % of v_f t at 5 nm and 1 % at 2.5 nm, its coverage within 6 % and 2 % of
/// θ_f (a corner growing without the catalyst's enrichment would lag by 41 %, and θ0 is
/// 41 % of θ_f); the incubation ends within 7 % of the exact time at 5 nm and 3 % at
/// 2.5 nm, and its error falls with every halving of Δx. Recorded 2026-12-06, with the
/// transfer's forward pass: position +1.1 % and +0.6 % at 5 nm, +0.4 % and +0.2 % at
/// 2.5 nm; coverage −3.9 % and +1.3 % at 5 nm (the point value swings by ±4 % between
/// outputs there), −0.2 % and +0.1 % at 2.5 nm; incubation 9.9 %, 5.2 %, 1.7 % early at
/// 10, 5, 2.5 nm (without the forward pass +1.2/+0.6 %, −3.9/+1.2 %, and 9.5, 5.1, 1.7 %
/// early). (Before the surface
/// transfer followed the normal between giver and receiver, 5 nm gave position +0.8 and
/// +0.4 %, coverage −1.1 and +1.2 %.)
#[test]
fn bottom_corners_grow_the_exact_incubation_facets() {
    let (gpu, _lock) = common::gpu();
    let mut errors = Vec::new();
    for dx in [10e-9, 5e-9, 2.5e-9] {
        let (rows, incubation) = corner_facet_run(&gpu, dx, &[0.3, 0.6, 0.9]);
        eprintln!("Δx {dx:e}: (distance, coverage) over exact {rows:?}; incubation ended at {incubation:.3} t_inc");
        if dx < 6e-9 {
            // (position, coverage) tolerances: 5 nm, then 2.5 nm.
            let (d_tol, th_tol) = if dx > 3e-9 {
                (0.015, 0.06)
            } else {
                (0.01, 0.02)
            };
            for &(d, th) in &rows[1..] {
                assert!(
                    (d - 1.0).abs() < d_tol,
                    "Δx {dx}: facet at {d} of the exact distance"
                );
                assert!(
                    (th - 1.0).abs() < th_tol,
                    "Δx {dx}: facet coverage {th} of θ_f"
                );
            }
        }
        errors.push((incubation - 1.0).abs());
    }
    // The facets meet through a junction rounded over about a cell, so the centre line
    // leaves the flat bottom about a cell's travel early: first order in Δx.
    assert!(
        errors[1] < 0.07 && errors[2] < 0.03,
        "incubation errors {errors:?}"
    );
    assert!(
        errors[0] > 1.5 * errors[1] && errors[1] > 1.5 * errors[2],
        "no convergence: {errors:?}"
    );
}

/// Vias superfill over a narrower range of conditions than trenches of the same width and
/// aspect ratio (Josell, Wheeler & Moffat, Electrochem. Solid-State Lett. 5, C44 (2002)):
/// FiPy's bath, the 0.25 µm × 0.5 µm trench (2D, the shipped 5 nm cells) against the via of
/// the same diameter and depth (3D, quarter domain, 10 nm cells). Both fill at −0.30 V, the
/// trench without a void and the via with at most a pocket of a few cells on its axis
/// (under 0.1 % of it: 0.02 % with the solves' Gauss-Seidel smoothing, 0.05 % since the
/// solve-interval fix of 2026-12-06, none before; the shipped 5 nm via closes one of
/// 0.14 %); at −0.36 V the trench is still void-free, but the via's mouth closes over a void
/// (0.86 % of it; 0.99 % with damped Jacobi) while its bottom is
/// still far down. Swept with outputs every second (2026-12-06,
/// docs/models/superfill.md), the trench at 5 nm is void-free through −0.38 V but for a
/// one-cell pocket at −0.37 V, and has voids from −0.385 V (0.24 % of it); the via at 10 nm
/// has voids of 1.3, 1.7 and 2.5 % of it at −0.36, −0.37 and −0.38 V. (Until 2026-12-06,
/// with a surface transfer that roughened the sidewalls, the trench stayed void-free
/// through −0.39 V and the test took −0.385 V.) At 10 nm the trench is too coarse for the
/// edge of its window: voids of 2 to 17 cells anywhere from −0.35 V to −0.385 V, depending
/// on the output interval.
#[test]
fn a_via_superfills_over_a_narrower_overpotential_window_than_a_trench() {
    let (_gpu, _lock) = common::gpu();
    let via = ["grid.nx=30", "grid.ny=30", "grid.nz=85", "grid.dx=1e-8"];
    let mut found = Vec::new();
    // Each run ends soon after its feature fills (at −0.30 V the trench at 6.76 s, the via at
    // 5.37 s; at −0.36 V at 3.56 and 2.86 s, 2026-12-07): what follows is the bump, which
    // this test does not read, and in the via it costs 0.5 s of wall time per step. No end
    // time: the shipped case on the shipped grid, the refinement test's run (to 9.1 s).
    for (scenario, grid, ends) in [
        (
            "superfill-trench-2d.toml",
            &SHIPPED_TRENCH_GRID[..],
            [None, Some("4")],
        ),
        (
            "superfill-via-3d.toml",
            &via[..],
            [Some("5.7"), Some("3.1")],
        ),
    ] {
        for (eta, end) in [("-0.30", ends[0]), ("-0.36", ends[1])] {
            let run;
            let (rows, s) = match end {
                None => shipped_trench_to_9_1_s(),
                Some(end) => {
                    let mut keys: Vec<String> = grid.iter().map(|s| s.to_string()).collect();
                    keys.push(format!("superfill.overpotential_V={eta}"));
                    keys.push(format!("run.end_time={end}"));
                    keys.push("run.output_every=1.0".into());
                    let keys: Vec<&str> = keys.iter().map(|s| s.as_str()).collect();
                    run = run_scenario(scenario, &keys);
                    &run
                }
            };
            let voids = s["void_volume_fraction"].as_f64().unwrap();
            if let Some(first) = rows.iter().position(|r| r["void_count"] > 0.0) {
                // The census (every 25 steps, under a second here) dates the
                // closure between the outputs (1 s apart) around it.
                let closed = s["void_closed_time_s"].as_f64().unwrap_or(f64::NAN);
                let (before, after) = (rows[first - 1]["time_s"], rows[first]["time_s"]);
                eprintln!("void closed at {closed} s, outputs at {before} and {after} s");
                if s["void_free"].as_f64() == Some(0.0) {
                    assert!(closed > before && closed <= after, "{closed}");
                }
            }
            eprintln!(
                "{scenario} at {eta} V: void-free {}, voids {voids:.4} of the feature, filled at {} s",
                s["void_free"], s["fill_time_s"]
            );
            assert!(
                s["fill_time_s"].as_f64().is_some(),
                "{scenario} at {eta} V did not fill by its end time ({end:?} s)"
            );
            found.push((s["void_free"].as_f64() == Some(1.0), voids));
        }
    }
    assert!(found[0].0 && found[1].0, "the trench: {found:?}");
    assert!(found[2].1 < 0.001, "the via at -0.30 V: {found:?}");
    assert!(
        !found[3].0 && found[3].1 > 0.005,
        "the via at -0.36 V: {found:?}"
    );
}

/// The fill's events come from heights sampled every few steps, not only at outputs: the
/// 10 nm trench's fill time and incubation do not depend on how often the run writes
/// output (outputs every 2 s put the fill time 9 % late, at 7.10 s against 6.50 s, while
/// they were read from outputs alone). Within 0.5 % (fill) and 1 % (incubation) between
/// outputs every 0.1 s and every 2 s, at Courant number 0.2: 6.5197 and 6.5417 s, 4.700 and
/// 4.699 s (2026-12-06, the solves smoothed by Gauss-Seidel; 6.5346 and 6.5470 s before). Outputs also shorten the steps that end on them, and on this
/// coarse grid that step sequence alone moves the fill at the default Courant number 0.4:
/// by 1.5 % (6.562 and 6.664 s; 1.1 % before the solve-interval fix of the same day, 0.5 %
/// at the shipped 5 nm), which is the time stepping's, not the sampling's, so the test
/// takes 0.2.
#[test]
fn the_fill_time_does_not_depend_on_the_output_interval() {
    let (_gpu, _lock) = common::gpu();
    let events = |every: &str| {
        let (_, s) = run_scenario(
            "superfill-trench-2d.toml",
            &[
                "grid.nx=30",
                "grid.ny=85",
                "grid.dx=1e-8",
                "run.end_time=7",
                "superfill.cfl=0.2",
                &format!("run.output_every={every}"),
            ],
        );
        let get = |k: &str| s[k].as_f64().unwrap();
        (get("fill_time_s"), get("incubation_time_s"))
    };
    let (fine, coarse) = (events("0.1"), events("2"));
    eprintln!("fill and incubation: outputs every 0.1 s {fine:?}, every 2 s {coarse:?}");
    assert!(
        (coarse.0 / fine.0 - 1.0).abs() < 0.005,
        "{fine:?} vs {coarse:?}"
    );
    assert!(
        (coarse.1 / fine.1 - 1.0).abs() < 0.01,
        "{fine:?} vs {coarse:?}"
    );
}

/// One run of `steps` steps on `grid` with `keys`, in one buffer and then with storage
/// bindings of `binding` bytes, which must split the fields into 5 chunks of whole planes
/// (3 ghost planes a side): the time reached, and the relative gaps of time and surface
/// accelerator and the largest gap of the level set (m) between the two.
fn chunked_against_one_buffer(
    grid: Grid,
    keys: &str,
    steps: u64,
    binding: u64,
) -> (f64, f64, f64, f64) {
    use mesolyte::sim::{Model, Moment};
    let (mut gpu, _lock) = common::gpu();
    let run = |gpu: &Gpu| {
        let mut m = model(gpu, grid, keys);
        let mut time = 0.0;
        for step in 0..steps {
            let dt = m.stable_dt(gpu).unwrap();
            m.advance(gpu, Moment::new(step, time), 1, dt).unwrap();
            time += dt;
        }
        (m.level_set(gpu), m.total_amount(gpu).unwrap() as f64, time)
    };
    let one = run(&gpu);
    let saved = gpu.max_binding_bytes;
    gpu.max_binding_bytes = binding;
    let plane = grid.plane_cells() * 4;
    let spans = split_even_planes_ghosts(grid.planes(), plane, binding, 3).unwrap();
    assert_eq!(spans.len(), 5);
    let many = run(&gpu);
    gpu.max_binding_bytes = saved;
    let phi_gap = one
        .0
        .iter()
        .zip(&many.0)
        .map(|(a, b)| (a - b).abs() as f64)
        .fold(0.0, f64::max);
    let (time_gap, amount_gap) = ((many.2 / one.2 - 1.0).abs(), (many.1 / one.1 - 1.0).abs());
    println!(
        "one buffer: t = {:.5} s, amount {}; chunks: t = {:.5} s, amount {}; level sets {:.3} dx apart",
        one.2,
        one.1,
        many.2,
        many.1,
        phi_gap / grid.dx
    );
    (one.2, time_gap, amount_gap, phi_gap)
}

/// A field larger than one storage binding is split into chunks along the vertical axis,
/// with 3 ghost planes a side (the extension's reach): FiPy's trench at 10 nm in 5 chunks
/// (at most 19 rows each, each starting at an even row, as the solves' Gauss-Seidel
/// smoothing needs) runs 150 steps, through incubation into the fill (6 s), as in one
/// buffer. Not to the bit: the solver's CG sums are summed per chunk, so round-off differs
/// and the time steps may drift apart (measured 2026-12-06: the same time to 6 digits,
/// surface accelerator 2.6e-7, level set below 0.0005 Δx; once 7e-5, 6e-5 and 0.018 Δx). A halo left stale is caught: without the exchange after the first advection
/// stage alone, 9e-4, 1e-3 and 0.22 Δx; without the area's, the run goes wrong at once.
#[test]
fn several_chunks_fill_the_trench_as_one_buffer_does() {
    let dx = 10e-9;
    let keys = "width_m = 0.25e-6\ndepth_m = 0.5e-6\npitch_m = 0.6e-6\nbottom_m = 50e-9\n\
                boundary_layer_m = 0.3e-6\noverpotential_V = -0.3\n";
    // Rows of 30 cells (120 bytes): 19 rows and 6 ghost rows per buffer (the column sums'
    // accumulators need 2.8 KiB in one binding).
    let (time, time_gap, amount_gap, phi_gap) =
        chunked_against_one_buffer(Grid::new_2d(30, 85, dx), keys, 150, 120 * 25);
    assert!(time > 5.5, "the run should reach the fill ({time} s)");
    assert!(time_gap < 2e-4, "time {time_gap}");
    assert!(amount_gap < 2e-4, "surface accelerator {amount_gap}");
    assert!(
        phi_gap < 0.05 * dx,
        "level sets {:.3} dx apart",
        phi_gap / dx
    );
}

/// The same in 3D, where the chunks split the vertical z: a quarter via at 10 nm
/// (15 × 15 × 85 cells) in 5 chunks, 100 steps to the end of incubation (4.5 s), must be
/// identical to the bit (time, surface amount, level set): here the solves' sums do not
/// drift apart as the trench's do. With the transfer's forward pass as one kernel, which
/// read 4 cells away, beyond the 3 ghost planes, the amounts parted by 2094 units of 3.1e9
/// (2026-12-06), within the trench's tolerances.
#[test]
fn several_chunks_fill_a_via_as_one_buffer_does() {
    let dx = 10e-9;
    let keys = "feature = \"via\"\nwidth_m = 0.25e-6\ndepth_m = 0.5e-6\npitch_m = 0.3e-6\n\
                bottom_m = 50e-9\nboundary_layer_m = 0.3e-6\noverpotential_V = -0.3\n";
    // Planes of 15 × 15 cells (900 bytes): 19 planes and 6 ghost planes per buffer.
    let (_, time_gap, amount_gap, phi_gap) =
        chunked_against_one_buffer(Grid::new_3d(15, 15, 85, dx), keys, 100, 900 * 25);
    assert_eq!(time_gap, 0.0, "time");
    assert_eq!(amount_gap, 0.0, "surface accelerator");
    assert_eq!(phi_gap, 0.0, "level sets");
}

/// A surface put in place at once (`set_level_set`, as a restored checkpoint's is) keeps no
/// coverage or velocity of the surface before it: the coverage runs over the cells near the
/// interface, so the cells near the old one must be cleared. The trench starts fully covered
/// (θ0 = 1, v(1)), then a flat surface far from its walls takes θ0 = 0.2: θ and v must be
/// zero wherever the new surface has no area, and at most those of θ = 0.2 (a restored
/// run's step plan reads the largest v). Without the clearing, θ = 1 stays on the old walls.
#[test]
fn a_surface_put_in_place_keeps_no_coverage_of_the_one_before() {
    let (gpu, _lock) = common::gpu();
    let grid = Grid::new_2d(30, 85, 10e-9);
    let keys = "width_m = 0.25e-6\ndepth_m = 0.5e-6\npitch_m = 0.6e-6\nbottom_m = 50e-9\n\
                boundary_layer_m = 0.3e-6\ninitial_coverage = 1.0\n";
    let mut m = model(&gpu, grid, keys);
    let before = m.theta_cell.download(&gpu);
    assert!(
        before.iter().any(|&t| t > 0.99),
        "the trench should start covered"
    );
    m.set_level_set(&gpu, &flat(&grid, 70.3 * grid.dx), 0.2)
        .unwrap();
    let (area, theta, vel) = (
        m.area.download(&gpu),
        m.theta_cell.download(&gpu),
        m.vel_cell.download(&gpu),
    );
    let v = m.params.flat_velocity(0.2);
    for i in 0..area.len() {
        if area[i] <= 0.0 {
            assert_eq!(
                (theta[i], vel[i]),
                (0.0, 0.0),
                "cell {i} keeps the old surface's"
            );
        } else {
            assert!((theta[i] - 0.2).abs() < 1e-4, "θ {} at cell {i}", theta[i]);
        }
        assert!(f64::from(vel[i]) <= v * 1.0001, "v {} at cell {i}", vel[i]);
    }
}

/// The surface kernels (coverage, transfer, adsorption) run over the cells within 5 cells
/// of the interface (gpu/cell_list.rs, `NEAR_CELLS` in the model): FiPy's trench at 10 nm,
/// 150 steps through incubation into the fill (6 s), must give the same bits as with them
/// run over every cell (level set, surface amounts, coverage, concentrations). With the
/// limit at 1 cell instead of 5 the runs part (their times differ); at 2 cells they still
/// agree, so the shipped limit has a margin of 3 cells here (2026-12-07).
#[test]
fn surface_kernels_over_the_cells_near_the_interface_change_nothing() {
    use mesolyte::sim::{Model, Moment};
    let (gpu, _lock) = common::gpu();
    let keys = "width_m = 0.25e-6\ndepth_m = 0.5e-6\npitch_m = 0.6e-6\nbottom_m = 50e-9\n\
                boundary_layer_m = 0.3e-6\noverpotential_V = -0.3\n";
    let grid = Grid::new_2d(30, 85, 10e-9);
    let run = |everywhere: bool| {
        let mut m = model(&gpu, grid, keys);
        if everywhere {
            m.surface_kernels_everywhere(&gpu).unwrap();
        }
        let mut time = 0.0;
        for step in 0..150 {
            let dt = m.stable_dt(&gpu).unwrap();
            m.advance(&gpu, Moment::new(step, time), 1, dt).unwrap();
            time += dt;
        }
        let bits = |v: Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
        let amounts: Vec<i32> = m.amount[0].download_as(&gpu).unwrap();
        let fields = [
            bits(m.level_set(&gpu)),
            bits(m.theta_cell.download(&gpu)),
            bits(m.c_acc.download(&gpu)),
            bits(m.c_cu.download(&gpu)),
        ];
        (time, amounts, fields)
    };
    let (near, everywhere) = (run(false), run(true));
    assert!(near.0 > 5.5, "the run should reach the fill ({} s)", near.0);
    assert_eq!(near.0.to_bits(), everywhere.0.to_bits(), "time");
    assert!(near.1 == everywhere.1, "surface amounts differ");
    for (name, (a, b)) in ["level set", "coverage", "accelerator", "Cu2+"]
        .iter()
        .zip(near.2.iter().zip(&everywhere.2))
    {
        assert!(a == b, "{name} differs");
    }
}

/// A plane keeps its coverage: on a flat surface moving along its normal nothing stretches,
/// so with v = kθ and no adsorption θ must stay uniform and the plane flat, at any tilt. A
/// plane tilted by 3° and by 10°, moved 20 cells at the shipped Courant number (0.4), keeps
/// θ within 1 % (standard deviation along it) and its zero level within 0.02 cells of a
/// plane (measured 0.14 % and 0.07 %, 0.003 and 0.001 cells). Without the transfer's
/// forward pass (transfer.wgsl), shares owed to neighbours crossing in the same step went up
/// the giver's own column and the coverage grew a checkerboard: at 3° 6.0 %, the plane rough
/// by 0.074 cells (13.7 % and 0.12 cells at a Courant number of 0.2).
#[test]
fn a_tilted_plane_keeps_uniform_coverage_and_stays_flat() {
    let (gpu, _lock) = common::gpu();
    let (nx, ny) = (128u32, 128u32);
    let grid = Grid::new_2d(nx, ny, 1e-8);
    let keys = format!(
        "{SMALL_FEATURE}exchange_current_A_m2 = 0.0\naccelerator_bulk_mol_m3 = 0.0\ninitial_coverage = 0.5 # replaced by set_level_set\ncu_diffusivity_m2_s = 1e-6\nband_cells = 8\n"
    )
    .replace("boundary_layer_m = 1e-3\n", "boundary_layer_m = 2e-6\n");
    for deg in [3.0f64, 10.0] {
        let mut m = model(&gpu, grid, &keys);
        let k = m.params.flat_velocity(1.0);
        let theta0 = 0.5;
        let (s, c) = deg.to_radians().sin_cos();
        let (x0, y0) = (nx as f64 / 2.0, 40.0);
        // Distance above the plane through (x0, y0) whose normal is (−sin, cos).
        let above = |x: f64, y: f64| (y - y0) * c - (x - x0) * s;
        let phi0: Vec<f32> = centres(&grid)
            .into_iter()
            .map(|p| (above(p[0], p[1]) * grid.dx) as f32)
            .collect();
        m.set_level_set(&gpu, &phi0, theta0).unwrap();
        let dt = 0.4 * grid.dx / (k * theta0);
        let steps = (20.0 * grid.dx / (k * theta0) / dt).ceil() as u64;
        m.steps(&gpu, dt, steps).unwrap();
        let (area, theta, phi) = (
            m.area.download(&gpu),
            m.theta_cell.download(&gpu),
            m.level_set(&gpu),
        );
        // Away from the side faces, whose mirror images fold the plane.
        let middle = |i: usize| (32..nx as usize - 32).contains(&i);
        let on: Vec<f64> = (0..area.len())
            .filter(|&i| area[i] > 0.0 && middle(i % nx as usize))
            .map(|i| theta[i] as f64)
            .collect();
        let heights: Vec<f64> = (0..nx as usize)
            .filter(|&i| middle(i))
            .map(|i| {
                let h = mesolyte::models::superfill::surface_height(
                    &phi,
                    i,
                    nx as usize,
                    ny as usize,
                    grid.dx,
                );
                above(i as f64 + 0.5, h / grid.dx)
            })
            .collect();
        let spread = |v: &[f64]| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
            (mean, sd)
        };
        let ((mean, sd), (travel, rough)) = (spread(&on), spread(&heights));
        eprintln!(
            "{deg}°: θ {mean:.4} ± {:.2} %, plane moved {travel:.3} cells, rough {rough:.4} cells",
            100.0 * sd / mean
        );
        assert!(
            (mean / theta0 - 1.0).abs() < 0.01 && sd / mean < 0.01,
            "{deg}°: θ {mean} ± {sd}"
        );
        assert!(rough < 0.02, "{deg}°: the plane is rough by {rough} cells");
    }
}

/// Short ripples on a moving flat surface must not grow. With v = kθ and no adsorption a
/// ripple h of wave number q on a surface at coverage θ₀ changes θ by the stretching, θ' =
/// θ₀ v ∂²h/∂x² per unit time, and moves at kθ', so h obeys the wave equation
/// h_tt = (kθ₀)² H(q) h_xx: ripples oscillate without growing (H = 1). H is the response of
/// the neighbourhood over which coverage.wgsl averages θ. With the plain 3 × 3 mean (until
/// 2026-12-06) H(q) = (1 + 2 cos q)/3 is negative for wavelengths between 2 and 3 cells, the
/// equation turns elliptic there and such ripples grew by e every 7 cells of travel: after
/// 60–80 cells from round-off, which is how far the trench's sidewalls travel at 1.25 nm
/// (docs/models/superfill.md, Refinement); from a seeded roughness of 0.012 cells, 0.061
/// cells after 30. The shipped weights, (1, 12, 22, 12, 1) per axis ((1, 2, 1) convolved with
/// (1, 10, 1)), make H = (1 + cos q)(5 + cos q)/12, never negative: the same roughness then
/// decays to 0.0079 cells (0.0069 with (1, 2, 1) alone).
#[test]
fn short_ripples_on_a_moving_flat_surface_do_not_grow() {
    let (gpu, _lock) = common::gpu();
    let (nx, ny) = (120u32, 80u32);
    let grid = Grid::new_2d(nx, ny, 1e-8);
    let keys = format!(
        "{SMALL_FEATURE}exchange_current_A_m2 = 0.0\naccelerator_bulk_mol_m3 = 0.0\ninitial_coverage = 0.5 # replaced by set_level_set\ncu_diffusivity_m2_s = 1e-6\nband_cells = 8\n"
    )
    .replace("boundary_layer_m = 1e-3\n", "boundary_layer_m = 2e-6\n");
    let mut m = model(&gpu, grid, &keys);
    let theta0 = 0.5;
    let v = m.params.flat_velocity(theta0);
    // Each column's surface 20 cells up, displaced by up to ±0.02 cells.
    let bumps = common::noise(nx as usize, 7);
    let phi0: Vec<f32> = centres(&grid)
        .into_iter()
        .map(|p| ((p[1] - 20.0 - 0.02 * bumps[p[0] as usize] as f64) * grid.dx) as f32)
        .collect();
    m.set_level_set(&gpu, &phi0, theta0).unwrap();
    let roughness = |phi: &[f32]| {
        let h: Vec<f64> = (0..nx as usize)
            .map(|i| {
                mesolyte::models::superfill::surface_height(phi, i, nx as usize, ny as usize, 1.0)
            })
            .collect();
        let mean = h.iter().sum::<f64>() / h.len() as f64;
        let rms = (h.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / h.len() as f64).sqrt();
        (mean, rms)
    };
    let (start, before) = roughness(&m.level_set(&gpu));
    let dt = 0.4 * grid.dx / v;
    m.steps(&gpu, dt, (30.0 * grid.dx / v / dt).round() as u64)
        .unwrap();
    let (end, after) = roughness(&m.level_set(&gpu));
    eprintln!(
        "surface moved {:.1} cells, roughness {before:.4} → {after:.4} cells",
        end - start
    );
    assert!(
        (end - start - 30.0).abs() < 1.0,
        "moved {} cells",
        end - start
    );
    assert!(
        after < before,
        "roughness grew from {before} to {after} cells"
    );
}
