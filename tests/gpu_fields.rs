//! The GPU layer: chunked fields and their ghost planes, a field larger than one storage
//! binding, and reductions against CPU results on odd sizes.

mod common;

use mesolyte::gpu::{field_stats, Domain, Field, Gpu, Stats, StatsQuery};
use mesolyte::sim::Moment;
use mesolyte::grid::Grid;
use mesolyte::models::diffusion::{Boundary, Diffusion, DiffusionParams, Initial};
use mesolyte::sim::Model;

fn params(boundary: [Boundary; 3]) -> DiffusionParams {
    DiffusionParams {
        diffusivity: 1e-9,
        initial: Initial::Uniform,
        background: 0.0,
        amplitude: 1.0,
        centre: [0.0; 3],
        boundary,
        face_values: [[1.0, -0.5], [0.25, 0.0], [0.0, 0.75]],
        safety: 0.9,
    }
}

/// One explicit diffusion step on the CPU in f64: the reference for the GPU stencil.
fn cpu_step(g: &Grid, p: &DiffusionParams, c: &[f32], dt: f64) -> Vec<f64> {
    let n = [g.nx as i64, g.ny as i64, g.nz as i64];
    let h = g.spacing();
    let idx = |x: [i64; 3]| (x[0] + n[0] * (x[1] + n[1] * x[2])) as usize;
    let mut out = vec![0.0; c.len()];
    for z in 0..n[2] {
        for y in 0..n[1] {
            for x in 0..n[0] {
                let pos = [x, y, z];
                let cv = c[idx(pos)] as f64;
                let mut change = 0.0;
                for a in 0..g.dims() as usize {
                    let r = p.diffusivity * dt / (h[a] * h[a]);
                    for (side, d) in [(0usize, -1i64), (1, 1)] {
                        let mut q = pos;
                        q[a] += d;
                        let diff = if q[a] >= 0 && q[a] < n[a] {
                            c[idx(q)] as f64 - cv
                        } else {
                            match p.boundary[a] {
                                Boundary::Periodic => {
                                    q[a] = q[a].rem_euclid(n[a]);
                                    c[idx(q)] as f64 - cv
                                }
                                Boundary::Dirichlet => 2.0 * (p.face_values[a][side] - cv),
                                Boundary::Neumann => p.face_values[a][side] * h[a] / p.diffusivity,
                            }
                        };
                        change += r * diff;
                    }
                }
                out[idx(pos)] = cv + change;
            }
        }
    }
    out
}

/// Runs `steps` GPU steps from `data` with bindings capped at `cap` bytes (None = adapter's).
fn gpu_steps(
    gpu: &mut Gpu,
    g: Grid,
    p: &DiffusionParams,
    data: &[f32],
    steps: u64,
    cap: Option<u64>,
) -> (Vec<f32>, usize) {
    let saved = gpu.max_binding_bytes;
    if let Some(c) = cap {
        gpu.max_binding_bytes = c;
    }
    let mut m = Diffusion::new(gpu, g, p.clone()).unwrap();
    gpu.max_binding_bytes = saved;
    m.state_fields()[0].upload(gpu, data).unwrap();
    let dt = p.stable_dt(&g);
    m.advance(gpu, Moment::new(0, 0.0), steps, dt).unwrap();
    let chunks = m.state_fields()[0].domain.chunks.len();
    (m.state_fields()[0].download(gpu), chunks)
}

#[test]
fn chunked_stencil_matches_cpu_and_single_chunk_bitwise() {
    let (mut gpu, _lock) = common::gpu();
    use Boundary::*;
    let cases = [
        (Grid::new_2d(37, 29, 1e-6), [Periodic, Periodic, Neumann]),
        (Grid::new_2d(37, 29, 1e-6), [Dirichlet, Neumann, Neumann]),
        (
            Grid::new_3d(13, 11, 17, 2e-6),
            [Neumann, Dirichlet, Periodic],
        ),
        (
            Grid::new_3d(13, 11, 17, 2e-6),
            [Periodic, Periodic, Dirichlet],
        ),
    ];
    for (g, bc) in cases {
        let mut p = params(bc);
        p.face_values[0] = [0.0, 0.0]; // keep x Neumann faces flux-free when used
        let data = common::noise(g.cells() as usize, 7);
        // Force chunks of three or four planes so that every chunk has neighbours.
        let cap = 5 * g.plane_cells() * 4;
        let (single, n1) = gpu_steps(&mut gpu, g, &p, &data, 1, None);
        let (split, n2) = gpu_steps(&mut gpu, g, &p, &data, 1, Some(cap));
        assert_eq!(n1, 1);
        assert!(n2 >= 4, "expected several chunks, got {n2}");
        assert_eq!(
            single, split,
            "{bc:?}: chunked result differs from single chunk"
        );
        let reference = cpu_step(&g, &p, &data, p.stable_dt(&g));
        let worst = single
            .iter()
            .zip(&reference)
            .map(|(a, b)| (*a as f64 - b).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-5,
            "{bc:?}: GPU step differs from CPU reference by {worst}"
        );
        // Many steps: ghost planes must be refreshed after every step.
        let (a, _) = gpu_steps(&mut gpu, g, &p, &data, 25, None);
        let (b, _) = gpu_steps(&mut gpu, g, &p, &data, 25, Some(cap));
        assert_eq!(a, b, "{bc:?}: 25 chunked steps differ from single chunk");
    }
}

#[test]
fn field_larger_than_one_storage_binding() {
    let (mut gpu, _lock) = common::gpu();
    // 512 x 512 x 136 cells x 4 bytes = 136 MiB: more than lavapipe's 128 MiB binding.
    let g = Grid::new_3d(512, 512, 136, 1e-6);
    let bytes = g.cells() * 4;
    assert!(bytes > 128 << 20);
    // On a GPU with larger bindings, cap at lavapipe's limit so the test means the same.
    gpu.max_binding_bytes = gpu.max_binding_bytes.min(128 << 20);
    let p = params([Boundary::Neumann, Boundary::Periodic, Boundary::Periodic]);
    let mut p = p;
    p.face_values = [[0.0; 2]; 3];
    let data = common::noise(g.cells() as usize, 3);
    let mut m = Diffusion::new(&gpu, g, p.clone()).unwrap();
    let field = m.state_fields()[0];
    assert!(
        field.domain.chunks.len() >= 2,
        "a 136 MiB field must be split"
    );
    field.upload(&gpu, &data).unwrap();
    assert_eq!(
        field.download(&gpu),
        data,
        "round trip through chunks changed values"
    );
    let dt = p.stable_dt(&g);
    m.advance(&gpu, Moment::new(0, 0.0), 1, dt).unwrap();
    let out = m.state_fields()[0].download(&gpu);
    let reference = cpu_step(&g, &p, &data, dt);
    let worst = out
        .iter()
        .zip(&reference)
        .map(|(a, b)| (*a as f64 - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-5, "large-field step differs from CPU by {worst}");
    let s = field_stats(&gpu, m.state_fields()[0], StatsQuery::default());
    let cpu: f64 = reference.iter().sum();
    assert!(
        (s.sum - cpu).abs() < 1e-3 * (g.cells() as f64).sqrt(),
        "sum {} vs {}",
        s.sum,
        cpu
    );
}

fn check_stats(gpu: &Gpu, g: Grid, cap: Option<u64>, seed: u64) {
    let mut gpu_cap = Gpu::open(None).unwrap();
    if let Some(c) = cap {
        gpu_cap.max_binding_bytes = c;
    }
    let _ = gpu;
    let domain = Domain::new(&gpu_cap, g, false).unwrap();
    let f = Field::new(&gpu_cap, &domain, "x");
    let mut data = common::noise(g.cells() as usize, seed);
    let n = data.len();
    data[n / 3] = f32::NAN;
    data[n - 1] = f32::INFINITY;
    data[n / 2] = 5.0;
    f.upload(&gpu_cap, &data).unwrap();
    let q = StatsQuery {
        threshold: 0.5,
        lo: -0.9,
        hi: 2.0,
    };
    let got = field_stats(&gpu_cap, &f, q);
    let want = Stats::of_slice(&data, q);
    assert_eq!(
        (
            got.count,
            got.nonfinite,
            got.above,
            got.outside,
            got.first_bad
        ),
        (
            want.count,
            want.nonfinite,
            want.above,
            want.outside,
            want.first_bad
        ),
        "{g:?}"
    );
    assert_eq!((got.min, got.max), (want.min, want.max));
    let tol = 1e-6 * want.sum_sq.max(1.0);
    assert!(
        (got.sum - want.sum).abs() < tol,
        "sum {} vs {}",
        got.sum,
        want.sum
    );
    assert!(
        (got.sum_sq - want.sum_sq).abs() < tol,
        "sumsq {} vs {}",
        got.sum_sq,
        want.sum_sq
    );
}

#[test]
fn reductions_match_cpu_on_odd_sizes() {
    let (gpu, _lock) = common::gpu();
    check_stats(&gpu, Grid::new_2d(37, 23, 1.0), None, 1);
    check_stats(&gpu, Grid::new_2d(1001, 3, 1.0), None, 2);
    check_stats(&gpu, Grid::new_3d(19, 13, 7, 1.0), Some(19 * 13 * 4 * 3), 3);
    check_stats(&gpu, Grid::new_2d(2049, 5, 1.0), Some(2049 * 4 * 3), 4);
    check_stats(&gpu, Grid::new_3d(64, 33, 65, 1.0), None, 5);
}
