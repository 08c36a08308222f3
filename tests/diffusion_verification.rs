//! Verification of the diffusion model against analytic solutions.
//! References (also listed in docs/verification.md):
//! - eigenmode decay: c = sin(k x) sin(k y) exp(-D |k|² t) solves the heat equation with
//!   c = 0 on the walls (separation of variables; Crank, *The Mathematics of Diffusion*, 2nd
//!   ed., 1975, ch. 4);
//! - Gaussian spread: width² = w0² + 2 D t, peak × (w0²/width²)^(d/2) (Crank eq. 2.6);
//! - conservation: with no-flux walls the total amount is constant; with an inward flux q
//!   through one face of area A it grows as q A t;
//! - steady state between two Dirichlet walls is linear (Crank ch. 4.2).

mod common;

use mesolyte::gpu::Gpu;
use mesolyte::grid::Grid;
use mesolyte::models::diffusion::{Boundary, Diffusion, DiffusionParams, Initial};
use mesolyte::sim::Model;
use mesolyte::sim::Moment;

const D: f64 = 1e-9;

fn params(initial: Initial, boundary: Boundary, g: &Grid) -> DiffusionParams {
    let l = g.lengths();
    DiffusionParams {
        diffusivity: D,
        initial,
        background: 0.0,
        amplitude: 1.0,
        centre: [
            l[0] / 2.0,
            l[1] / 2.0,
            if g.is_3d() { l[2] / 2.0 } else { 0.0 },
        ],
        boundary: [boundary; 3],
        face_values: [[0.0; 2]; 3],
        safety: 0.9,
    }
}

/// Runs to time `t` in equal steps no larger than the stable one; returns the field.
fn simulate(gpu: &Gpu, g: Grid, p: &DiffusionParams, t: f64) -> (Diffusion, Vec<f32>) {
    let mut m = Diffusion::new(gpu, g, p.clone()).unwrap();
    let n = (t / p.stable_dt(&g)).ceil() as u64;
    m.advance(gpu, Moment::new(0, 0.0), n, t / n as f64)
        .unwrap();
    let c = m.concentration().download(gpu);
    (m, c)
}

/// RMS error against the analytic solution, relative to the RMS of the analytic solution.
fn relative_l2_error(g: &Grid, p: &DiffusionParams, c: &[f32], t: f64) -> f64 {
    let exact = g.sample(|x| p.analytic(g, x, t).unwrap());
    let (mut num, mut den) = (0.0, 0.0);
    for (a, e) in c.iter().zip(&exact) {
        num += (*a as f64 - *e as f64).powi(2);
        den += (*e as f64).powi(2);
    }
    (num / den).sqrt()
}

#[test]
fn sine_mode_decay_converges_at_second_order() {
    let (gpu, _lock) = common::gpu();
    let l = 1e-4;
    let k2 = 2.0 * (std::f64::consts::PI / l).powi(2);
    let t = 0.7 / (D * k2); // amplitude falls to exp(-0.7)
    let mut errors = Vec::new();
    for n in [16u32, 32, 64] {
        let g = Grid::new_2d(n, n, l / n as f64);
        let p = params(Initial::Mode { modes: [1, 1, 0] }, Boundary::Dirichlet, &g);
        let (_, c) = simulate(&gpu, g, &p, t);
        errors.push(relative_l2_error(&g, &p, &c, t));
    }
    let orders: Vec<f64> = errors.windows(2).map(|w| (w[0] / w[1]).log2()).collect();
    eprintln!("sine-mode errors {errors:?}, orders {orders:?}");
    for o in &orders {
        assert!(
            (1.8..2.3).contains(o),
            "observed order {o} (errors {errors:?})"
        );
    }
    assert!(errors[2] < 1e-3, "error at 64² is {}", errors[2]);
}

#[test]
fn eigenmodes_decay_at_the_analytic_rate_in_3d() {
    let (gpu, _lock) = common::gpu();
    for (b, modes) in [
        (Boundary::Neumann, [1, 1, 1]),
        (Boundary::Periodic, [1, 0, 1]),
        (Boundary::Dirichlet, [1, 1, 2]),
    ] {
        let g = Grid::new_3d(32, 24, 28, 2e-6);
        let mut p = params(Initial::Mode { modes }, b, &g);
        p.background = 0.5;
        let l = g.lengths();
        let k = |m: u32, len: f64| {
            let base = std::f64::consts::PI * m as f64 / len;
            if b == Boundary::Periodic {
                2.0 * base
            } else {
                base
            }
        };
        let k2: f64 = (0..3).map(|a| k(modes[a], l[a]).powi(2)).sum();
        if b == Boundary::Dirichlet {
            p.background = 0.0; // a Dirichlet mode needs zero walls
        }
        let t = 0.5 / (D * k2);
        let (_, c) = simulate(&gpu, g, &p, t);
        let err = relative_l2_error(&g, &p, &c, t);
        eprintln!("{b:?} {modes:?}: relative L2 error {err:e}");
        // A wrong factor of two in D or dt would give exp(-0.5) vs exp(-1): a 40 % error.
        assert!(err < 5e-3, "{b:?}: error {err}");
    }
}

#[test]
fn gaussian_spreads_as_analytic() {
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_2d(160, 160, 1e-6);
    let w0 = 6e-6;
    let p = params(Initial::Gaussian { width: w0 }, Boundary::Periodic, &g);
    let t = 0.05; // width grows from 6 to 11.7 µm; the box edge is 80 µm from the centre
    let (_, c) = simulate(&gpu, g, &p, t);
    let err = relative_l2_error(&g, &p, &c, t);
    assert!(err < 5e-3, "Gaussian L2 error {err}");
    // Second moment: width² = w0² + 2 D t per axis.
    let (mut m0, mut m2) = (0.0, 0.0);
    for y in 0..g.ny {
        for x in 0..g.nx {
            let v = c[(x + g.nx * y) as usize] as f64;
            let r = g.cell_centre(x, y, 0);
            let d2 = (r[0] - p.centre[0]).powi(2) + (r[1] - p.centre[1]).powi(2);
            m0 += v;
            m2 += v * d2;
        }
    }
    let width2 = m2 / m0 / 2.0;
    let expected = w0 * w0 + 2.0 * D * t;
    // The discrete initial profile has second moment w0² + dx²/12 per axis.
    let rel = (width2 - expected - 1e-12 / 12.0).abs() / expected;
    assert!(rel < 1e-3, "width² {width2:e} vs {expected:e} ({rel:e})");
}

#[test]
fn no_flux_walls_conserve_the_total_to_round_off() {
    let (gpu, _lock) = common::gpu();
    for (g, b) in [
        (Grid::new_3d(32, 24, 20, 1e-6), Boundary::Neumann),
        (Grid::new_2d(96, 80, 1e-6), Boundary::Neumann),
        (Grid::new_2d(96, 80, 1e-6), Boundary::Periodic),
    ] {
        let mut p = params(Initial::Box { width: 5e-6 }, b, &g);
        p.background = 2.0;
        p.amplitude = 100.0;
        let mut m = Diffusion::new(&gpu, g, p.clone()).unwrap();
        let before = m.total(&gpu);
        m.advance(&gpu, Moment::new(0, 0.0), 3000, p.stable_dt(&g))
            .unwrap();
        let after = m.total(&gpu);
        let rel = (after - before).abs() / before;
        eprintln!("{g:?} {b:?}: relative change {rel:e}");
        assert!(rel < 1e-5, "total changed by {rel:e}");
        // The pulse did spread (the test would be empty otherwise).
        let c = m.concentration().download(&gpu);
        let max = c.iter().cloned().fold(f32::MIN, f32::max);
        assert!(max < 0.5 * 102.0, "peak {max} did not spread");
    }
}

#[test]
fn inward_flux_adds_exactly_q_area_t() {
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_2d(40, 30, 1e-6);
    let mut p = params(Initial::Uniform, Boundary::Neumann, &g);
    p.background = 1.0;
    let q = 2e-3; // mol/(m² s) into the domain through the low-x face
    p.face_values[0] = [q, 0.0];
    let t = 0.2;
    let (m, _) = simulate(&gpu, g, &p, t);
    let area = g.lengths()[1] * g.dz;
    let before = g.cells() as f64 * g.cell_volume() * 1.0;
    let gained = m.total(&gpu) - before;
    let expected = q * area * t;
    let rel = (gained - expected).abs() / expected;
    assert!(
        rel < 1e-3,
        "gained {gained:e} mol, expected {expected:e} ({rel:e})"
    );
}

#[test]
fn dirichlet_walls_reach_the_linear_steady_state() {
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_2d(24, 8, 1e-6);
    let mut p = params(Initial::Uniform, Boundary::Neumann, &g);
    p.boundary[0] = Boundary::Dirichlet;
    p.face_values[0] = [1.0, 0.0];
    let l = g.lengths()[0];
    let t = 3.0 * l * l / D; // slowest mode decays by exp(-3 π²) ~ 1e-13
    let (_, c) = simulate(&gpu, g, &p, t);
    let worst = (0..g.nx)
        .map(|x| {
            let exact = 1.0 - g.cell_centre(x, 0, 0)[0] / l;
            (c[x as usize] as f64 - exact).abs()
        })
        .fold(0.0, f64::max);
    assert!(worst < 1e-4, "steady profile deviates by {worst}");
}

#[test]
fn depletion_at_a_planar_electrode_follows_cottrell() {
    // Integrated Cottrell equation (Bard & Faulkner, Electrochemical Methods, 2nd ed., eq. 5.2.11
    // integrated in time): depleted amount per area Q/A = 2 c0 sqrt(D t / pi).
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_2d(200, 4, 1e-6);
    let mut p = params(Initial::Uniform, Boundary::Periodic, &g);
    p.background = 1000.0;
    p.boundary[0] = Boundary::Dirichlet;
    p.face_values[0] = [0.0, 1000.0];
    let c0 = 1000.0;
    let area = g.lengths()[1] * g.dz;
    let full = g.cells() as f64 * g.cell_volume() * c0;
    for t in [0.5, 2.0] {
        let (m, _) = simulate(&gpu, g, &p, t);
        let depleted = (full - m.total(&gpu)) / area;
        let cottrell = 2.0 * c0 * (D * t / std::f64::consts::PI).sqrt();
        let rel = (depleted - cottrell).abs() / cottrell;
        eprintln!("t = {t}: depleted {depleted:e} mol/m², Cottrell {cottrell:e} ({rel:e})");
        assert!(rel < 0.01, "t = {t}: {depleted:e} vs Cottrell {cottrell:e}");
    }
}
