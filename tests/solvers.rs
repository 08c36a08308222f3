//! The engine's elliptic solver (src/solvers/) on problems of its own, through the generic
//! operator set-up: steady conduction through voxel images with excluded (solid) cells,
//! against the series and parallel results that the finite-volume form reproduces exactly:
//! - parallel: open channels between excluded walls carry σ ΔV / L per open cell of the
//!   cross-section, so the effective conductivity is the open fraction times σ (a wall
//!   parallel to the flow adds no tortuosity);
//! - series: layers of conductivity σ_i along x give I/A = ΔV / (h Σ 1/σ_i), because the
//!   harmonic face mean makes each cell a resistor of h/σ_i (half of it to each face);
//!   tested at a 10⁶ contrast, the dendrite potential's;
//! - a pore pocket sealed inside the solid (solved cells with no path to a Dirichlet face, a
//!   singular block of the operator) must not stop the solve nor change the flux;
//! - held cells are Dirichlet values at cell centres; periodic sides and chunked fields
//!   (forced small chunks) give the same answer as one chunk;
//! - a split operator's solve (`FineOperator::Split`) ends with the mean that only its
//!   small rest holds: Σ (b − A x) = 0 over the coupled cells, exact for a uniform rest.
//!
//! The multigrid preconditioner's fused bottom is checked bit for bit against its per-level form.
//! Conservation: the current through every x plane is the same to 1e-3 (f32 fields, relative
//! residual 1e-7); analytic results to 2e-4 (measured: 3e-5 at most).

mod common;

use std::sync::Arc;

use mesolyte::gpu::domain::split_planes_ghosts;
use mesolyte::gpu::{ChunkSpan, Domain, Field, Gpu};
use mesolyte::solvers::{
    CellKind, Coarsening, CorrectionMemory, EllipticSolver, FaceCondition, Faces, FineOperator,
    OperatorSetup, Preconditioner, SolveControl,
};
use mesolyte::Grid;

const TOLERANCE: f64 = 1e-7;
/// The multigrid preconditioner as gde and superfill use it.
const MG: Preconditioner = Preconditioner::Multigrid(Coarsening::EveryAxis);

struct Problem {
    grid: Grid,
    sigma: Vec<f32>,
    kind: Vec<CellKind>,
    value: Vec<f32>,
    faces: Faces,
    periodic: bool,
}

impl Problem {
    /// σ = 1 everywhere, all cells solved, 1 V at x-, 0 at x+, closed sides.
    fn new(grid: Grid) -> Problem {
        let n = grid.cells() as usize;
        use FaceCondition::*;
        Problem {
            grid,
            sigma: vec![1.0; n],
            kind: vec![CellKind::Solved; n],
            value: vec![0.0; n],
            faces: [[Dirichlet(1.0), Dirichlet(0.0)], [Closed; 2], [Closed; 2]],
            periodic: false,
        }
    }

    fn at(&self, x: u32, y: u32, z: u32) -> usize {
        (x + self.grid.nx * (y + self.grid.ny * z)) as usize
    }
}

/// The solution, and the solve's iterations.
fn solve(
    gpu: &Gpu,
    p: &Problem,
    preconditioner: Preconditioner,
    chunks: Option<u64>,
) -> (Vec<f32>, u32) {
    solve_with_ghosts(gpu, p, preconditioner, chunks, 1)
}

/// `solve` on a domain with `ghost` ghost planes a side (a model's wider stencils).
fn solve_with_ghosts(
    gpu: &Gpu,
    p: &Problem,
    preconditioner: Preconditioner,
    chunks: Option<u64>,
    ghost: u32,
) -> (Vec<f32>, u32) {
    let domain: Arc<Domain> = match chunks {
        None => Domain::with_ghosts(gpu, p.grid, p.periodic, ghost).unwrap(),
        Some(bytes) => {
            let plane = p.grid.plane_cells() * 4;
            let spans = split_planes_ghosts(p.grid.planes(), plane, bytes, ghost).unwrap();
            assert!(spans.len() > 1, "the test wants several chunks");
            Domain::with_chunks_ghosts(gpu, p.grid, p.periodic, spans, ghost).unwrap()
        }
    };
    let x = Field::new(gpu, &domain, "x");
    let mut solver = EllipticSolver::new(gpu, &domain, &x, preconditioner, "x").unwrap();
    solver.set_batch(8);
    let setup = OperatorSetup::new(gpu, &domain, &solver, p.faces).unwrap();
    setup.upload(gpu, &p.sigma, &p.kind, &p.value).unwrap();
    let report = solver
        .solve(
            gpu,
            &x,
            SolveControl {
                tolerance: TOLERANCE,
                max_iterations: 20_000,
                max_iterations_key: "(test)",
                warm_step_max: 0.0,
            },
            &|rec| setup.encode(rec),
        )
        .unwrap();
    (x.download(gpu), report.iterations)
}

/// Current through each interior x plane (between x and x + 1), in units of σ·V per cell
/// face (h = 1: the operator scales every face alike), from the solution.
fn plane_currents(p: &Problem, x: &[f32]) -> Vec<f64> {
    let g = p.grid;
    (0..g.nx - 1)
        .map(|i| {
            let mut sum = 0.0;
            for z in 0..g.nz {
                for y in 0..g.ny {
                    let (a, b) = (p.at(i, y, z), p.at(i + 1, y, z));
                    if p.kind[a] == CellKind::Solved && p.kind[b] == CellKind::Solved {
                        let (sa, sb) = (p.sigma[a] as f64, p.sigma[b] as f64);
                        sum += 2.0 * sa * sb / (sa + sb) * (x[a] as f64 - x[b] as f64);
                    }
                }
            }
            sum
        })
        .collect()
}

/// The mean plane current over the planes of cells with σ ≤ 10 (in f32 a highly conducting
/// layer's potential differences are round-off), after checking that each carries it
/// (conservation).
fn current(p: &Problem, x: &[f32]) -> f64 {
    let all = plane_currents(p, x);
    let low = |i: u32| p.sigma[p.at(i, 0, 0)] <= 10.0 && p.sigma[p.at(i + 1, 0, 0)] <= 10.0;
    let c: Vec<f64> = (0..p.grid.nx - 1)
        .filter(|&i| low(i))
        .map(|i| all[i as usize])
        .collect();
    let mean = c.iter().sum::<f64>() / c.len() as f64;
    for (i, ci) in c.iter().enumerate() {
        assert!(
            ((ci - mean) / mean).abs() < 1e-3,
            "plane {i} carries {ci}, the mean is {mean}: current not conserved"
        );
    }
    mean
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

/// Two solid walls along the flow leave an open fraction f of the cross-section; with a
/// pore pocket sealed inside one wall. I = f · (cross-section cells) · σ ΔV / nx.
#[test]
fn parallel_channels_between_excluded_walls_carry_the_open_fraction() {
    let (gpu, _lock) = common::gpu();
    let grid = Grid::new_3d(32, 16, 8, 1e-6);
    let mut p = Problem::new(grid);
    let mut open = 0;
    for z in 0..8 {
        for y in 0..16 {
            let wall = (4..8).contains(&y) || (11..13).contains(&y);
            for x in 0..32 {
                // The pocket: solved cells inside the first wall, sealed on every side.
                let pocket = y == 5 || y == 6;
                let pocket = pocket && (10..20).contains(&x) && (2..5).contains(&z);
                let i = p.at(x, y, z);
                p.kind[i] = if wall && !pocket {
                    CellKind::Excluded
                } else {
                    CellKind::Solved
                };
            }
            open += u32::from(!wall);
        }
    }
    let expected = open as f64 / grid.nx as f64;
    for pre in [MG, Preconditioner::Jacobi] {
        let (x, iterations) = solve(&gpu, &p, pre, None);
        let i = current(&p, &x);
        eprintln!("parallel, {pre:?}: {iterations} iterations, current {i} vs {expected}");
        assert!(
            rel(i, expected) < 2e-4,
            "{pre:?}: current {i}, expected {expected} (open fraction {})",
            open as f64 / (16.0 * 8.0)
        );
        // Excluded cells stay at 0 (up to what the V-cycle's coarse levels leak into them).
        assert!(x[p.at(0, 5, 0)].abs() < 1e-6);
        assert!(
            iterations > 0 && iterations < 2_000,
            "{pre:?}: {iterations} iterations"
        );
    }
}

/// Layers along x: a floating layer 10 times as conductive, on one chunk and on forced
/// chunks, with periodic sides; and a layer 10⁶ times as conductive on the x- face (the
/// dendrite potential's metal on its electrode). I/A = ΔV / Σ 1/σ_i.
#[test]
fn series_layers_match_the_resistor_sum() {
    let (gpu, _lock) = common::gpu();
    let grid = Grid::new_3d(40, 12, 12, 1e-6);
    let layered = |layer: &dyn Fn(u32) -> f64| {
        let mut p = Problem::new(grid);
        p.periodic = true;
        p.faces[1] = [FaceCondition::Periodic; 2];
        p.faces[2] = [FaceCondition::Periodic; 2];
        for i in 0..p.sigma.len() {
            p.sigma[i] = layer(i as u32 % 40) as f32;
        }
        let resistance: f64 = (0..40).map(|x| 1.0 / layer(x)).sum();
        (p, 144.0 / resistance)
    };
    let (p, expected) = layered(&|x| if (10..25).contains(&x) { 10.0 } else { 1.0 });
    for pre in [MG, Preconditioner::Jacobi] {
        let (x, iterations) = solve(&gpu, &p, pre, None);
        let i = current(&p, &x);
        eprintln!("series ×10, {pre:?}: {iterations} iterations, current {i} vs {expected}");
        assert!(rel(i, expected) < 2e-4, "{pre:?}: {i} vs {expected}");
    }
    // 12 planes of 40·12 f32 (1920 B): chunks of at most 6 planes (two ghosts) along z.
    let (chunked, _) = solve(&gpu, &p, MG, Some(8 * 1920));
    assert!(rel(current(&p, &chunked), expected) < 2e-4);

    let (p, expected) = layered(&|x| if x < 15 { 1e6 } else { 1.0 });
    let (x, it_mg) = solve(&gpu, &p, MG, None);
    let i = current(&p, &x);
    assert!(rel(i, expected) < 2e-4, "10⁶ contrast: {i} vs {expected}");
    let (_, it_jacobi) = solve(&gpu, &p, Preconditioner::Jacobi, None);
    eprintln!(
        "series ×1e6: current {i} vs {expected}; iterations multigrid {it_mg}, jacobi {it_jacobi}"
    );
    assert!(it_mg < 30, "multigrid took {it_mg} iterations");
    assert!(
        it_jacobi > 2 * it_mg,
        "jacobi {it_jacobi}, multigrid {it_mg}"
    );
}

/// A long periodic side of odd length (gde's shipped GDL has one of 50 cells, 25 on its
/// first coarse level): coarsening it too gives the same current in far fewer iterations
/// than keeping it whole on every level (`Coarsening::KeepOddPeriodic`, the dendrite
/// potential's choice), where the coarse operators' factor ½ under-weights its links. The
/// two solutions must carry the same, conserved current; so must the coarsened solve on
/// forced chunks along that odd periodic axis (the chunk-aligned first coarse level of
/// `aligned_spans`, halving an odd periodic chunking axis).
#[test]
fn coarsening_odd_periodic_sides_keeps_the_iterations_low() {
    let (gpu, _lock) = common::gpu();
    let grid = Grid::new_3d(48, 48, 25, 1e-6);
    let mut p = Problem::new(grid);
    p.periodic = true;
    p.faces[1] = [FaceCondition::Periodic; 2];
    p.faces[2] = [FaceCondition::Periodic; 2];
    // Conductivity 30 on every third diagonal plane, 1 elsewhere: a 3D field.
    for i in 0..p.sigma.len() {
        let [x, y, z] = grid.coords(i as u64);
        p.sigma[i] = if (x + y + 2 * z) % 3 == 0 { 30.0 } else { 1.0 };
    }
    let (every, it_every) = solve(&gpu, &p, MG, None);
    let keep = Preconditioner::Multigrid(Coarsening::KeepOddPeriodic);
    let (kept, it_kept) = solve(&gpu, &p, keep, None);
    let (a, b) = (current(&p, &every), current(&p, &kept));
    eprintln!("odd periodic sides: {it_every} iterations coarsened, {it_kept} kept; {a} vs {b}");
    assert!(rel(a, b) < 1e-5, "{a} vs {b}");
    // Measured: 18 coarsened, 30 kept.
    assert!(
        it_every + 6 <= it_kept,
        "coarsened {it_every} iterations, kept {it_kept}"
    );
    // 25 planes of 48·48 f32 (9216 B): chunks of at most 6 planes (two ghosts) along z.
    let (chunked, it_chunked) = solve(&gpu, &p, MG, Some(8 * 9216));
    let c = current(&p, &chunked);
    eprintln!("chunked: {it_chunked} iterations, current {c}");
    assert!(rel(c, a) < 1e-5, "{c} vs {a}");
}

/// A model whose own stencils need wider ghost layers (superfill: 3 planes) hands the
/// solver a domain with them: one chunk gives the one-ghost answer to the bit, several
/// chunks the same current (the multigrid indexes a level by its chunk's ghost width).
#[test]
fn wider_ghost_domains_solve_as_one_ghost_domains_do() {
    let (gpu, _lock) = common::gpu();
    let grid = Grid::new_3d(24, 10, 16, 1e-6);
    let mut p = Problem::new(grid);
    for i in 0..p.sigma.len() {
        let [x, y, z] = grid.coords(i as u64);
        p.sigma[i] = if (x + y + z) % 5 == 0 { 30.0 } else { 1.0 };
    }
    let (one_ghost, it) = solve(&gpu, &p, MG, None);
    let (three, it3) = solve_with_ghosts(&gpu, &p, MG, None, 3);
    assert_eq!(it, it3);
    assert!(one_ghost == three, "a 3-ghost domain changed the solution");
    // 16 planes of 24·10 f32 (960 B): chunks of 4 planes and 6 ghost planes.
    let (chunked, _) = solve_with_ghosts(&gpu, &p, MG, Some(10 * 960), 3);
    let (a, b) = (current(&p, &one_ghost), current(&p, &chunked));
    eprintln!("3 ghosts: {it} iterations; chunked current {b} vs {a}");
    assert!(rel(a, b) < 1e-5, "{a} vs {b}");
}

/// One correction solve (x from 0, b given: `EllipticSolver::for_corrections`) of `p` with
/// homogeneous values (every Dirichlet face and held cell at 0) and b = `p.value` on solved
/// cells: with the fine operator stored, written by OperatorSetup from σ, kinds and faces, or
/// computed on the fly from the signed conductivity (`FineOperator::Conductivity`).
fn correction_solve(gpu: &Gpu, p: &Problem, stored: bool, chunks: Option<u64>) -> (Vec<f32>, u32) {
    correction_solve_keeping(
        gpu,
        p,
        stored,
        chunks,
        CorrectionMemory::Standard,
        Half::default(),
    )
}

/// What a half-precision correction solve varies: σ in f16 (conductivity form only), b
/// times `b_scale`, and iterations queued per read-back (`EllipticSolver::set_batch`).
#[derive(Clone, Copy)]
struct Half {
    sigma: bool,
    b_scale: f32,
    batch: u32,
}

impl Default for Half {
    fn default() -> Half {
        Half {
            sigma: false,
            b_scale: 1.0,
            batch: 1,
        }
    }
}

/// `correction_solve` keeping the vectors `memory` says, with `half`'s variations.
fn correction_solve_keeping(
    gpu: &Gpu,
    p: &Problem,
    stored: bool,
    chunks: Option<u64>,
    memory: CorrectionMemory,
    half: Half,
) -> (Vec<f32>, u32) {
    let half_sigma = half.sigma;
    let domain: Arc<Domain> = match chunks {
        None => Domain::new(gpu, p.grid, p.periodic).unwrap(),
        Some(bytes) => {
            let plane = p.grid.plane_cells() * 4;
            let spans = split_planes_ghosts(p.grid.planes(), plane, bytes, 1).unwrap();
            assert!(spans.len() > 1, "the test wants several chunks");
            Domain::with_chunks(gpu, p.grid, p.periodic, spans).unwrap()
        }
    };
    let held = |f: FaceCondition| matches!(f, FaceCondition::Dirichlet(_));
    let form = if stored {
        FineOperator::Stored
    } else {
        FineOperator::Conductivity {
            held_x: [held(p.faces[0][0]), held(p.faces[0][1])],
            periodic_sides: p.periodic,
            half: half_sigma,
        }
    };
    let x = Field::new(gpu, &domain, "x");
    let mut solver =
        EllipticSolver::for_corrections(gpu, &domain, &x, MG, form, memory, "x").unwrap();
    let b: Vec<f32> = p
        .kind
        .iter()
        .zip(&p.value)
        .map(|(&k, &v)| {
            if k == CellKind::Solved {
                v * half.b_scale
            } else {
                0.0
            }
        })
        .collect();
    let setup = if stored {
        let setup = OperatorSetup::new(gpu, &domain, &solver, p.faces).unwrap();
        setup.upload(gpu, &p.sigma, &p.kind, &b).unwrap();
        Some(setup)
    } else {
        let signed: Vec<f32> = p
            .kind
            .iter()
            .zip(&p.sigma)
            .map(|(k, &s)| match k {
                CellKind::Solved => s,
                CellKind::Held => -s,
                CellKind::Excluded => 0.0,
            })
            .collect();
        if half_sigma {
            let halved: Vec<half::f16> = signed.iter().map(|&v| half::f16::from_f32(v)).collect();
            solver.conductivity().upload_as(gpu, &halved).unwrap();
        } else {
            solver.conductivity().upload(gpu, &signed).unwrap();
        }
        solver.rhs().upload(gpu, &b).unwrap();
        None
    };
    let control = SolveControl {
        tolerance: 1e-6,
        max_iterations: 1000,
        max_iterations_key: "(test)",
        warm_step_max: 0.0,
    };
    let encode = |rec: &mut mesolyte::gpu::Recorder| {
        if let Some(s) = &setup {
            s.encode(rec);
        }
    };
    solver.set_batch(half.batch);
    let report = solver.solve(gpu, &x, control, &encode).unwrap();
    (x.download(gpu), report.iterations)
}

/// A correction problem with random σ in [1, 31), about 7 % excluded and 5 % held cells and
/// random b, held at the low x face, `far` at the high one, sides periodic or closed.
/// Excluded cells lie only where x % 3 == 1, so that every solved cell keeps a face that
/// conducts (where none does, the stored set-up zeroes b and the conductivity form keeps the
/// user's).
fn random_correction_problem(grid: Grid, periodic: bool, far: FaceCondition) -> Problem {
    use FaceCondition::{Closed, Dirichlet, Periodic};
    let mut p = Problem::new(grid);
    p.periodic = periodic;
    let side = if periodic { Periodic } else { Closed };
    p.faces = [[Dirichlet(0.0), far], [side; 2], [side; 2]];
    let n = p.sigma.len();
    let (r1, r2) = (common::noise(n, 3), common::noise(n, 5));
    for i in 0..n {
        p.sigma[i] = 16.0 + 15.0 * r1[i];
        let x = grid.coords(i as u64)[0];
        p.kind[i] = match r2[i] {
            r if r > 0.6 && x % 3 == 1 => CellKind::Excluded,
            r if r < -0.9 => CellKind::Held,
            _ => CellKind::Solved,
        };
    }
    p.value = common::noise(n, 7);
    p
}

/// The correction solves' cases (grid, periodic sides, far x face, chunk bytes): 3D with
/// periodic sides of odd length, closed sides and a closed far face (gde's reaction), 2D,
/// and 16 planes of 24·10 f32 (960 B) in two chunks of 8 planes.
fn correction_cases() -> Vec<(Grid, bool, FaceCondition, Option<u64>)> {
    use FaceCondition::{Closed, Dirichlet};
    vec![
        (Grid::new_3d(24, 17, 15, 1e-6), true, Dirichlet(0.0), None),
        (Grid::new_3d(20, 12, 10, 2e-6), false, Closed, None),
        (Grid::new_2d(40, 30, 1e-6), false, Dirichlet(0.0), None),
        (
            Grid::new_3d(24, 10, 16, 1e-6),
            true,
            Dirichlet(0.0),
            Some(10 * 960),
        ),
    ]
}

/// The matrix-free fine operator (shaders/solvers/include/operator_conductivity.wgsl, gde's
/// steady solves: 4 B per cell instead of 16) computes every face and diagonal by the
/// expressions, in the order, of the stored form's generic set-up (operator_setup.wgsl), so
/// a solve from the same σ, kinds and faces gives the same bits: random σ with excluded and
/// held cells, in 3D with periodic sides of odd length, with closed sides and a closed far
/// face (gde's reaction), in 2D, and in chunks. Fails on any face, diagonal or boundary rule
/// that differs (a wrong one changes the iterates long before the answer).
#[test]
fn a_conductivity_operator_solves_as_the_stored_set_up_does() {
    let (gpu, _lock) = common::gpu();
    let cases = correction_cases();
    for (grid, periodic, far, chunks) in cases {
        let p = random_correction_problem(grid, periodic, far);
        let (stored, it_stored) = correction_solve(&gpu, &p, true, chunks);
        let (computed, it_computed) = correction_solve(&gpu, &p, false, chunks);
        eprintln!("{grid:?}: {it_stored} iterations stored, {it_computed} computed");
        assert!(it_stored > 3);
        assert_eq!(it_stored, it_computed);
        assert!(stored == computed, "the two forms' solutions differ");
    }
}

/// The least-memory correction solver (`CorrectionMemory::Least`: no A p kept, the fine
/// level smoothed in place by multi-colour Gauss-Seidel, gde's largest images) is a different
/// preconditioner for the same system, so its answers must agree with the standard solver's
/// to the solve tolerance: random σ with excluded and held cells, both operator forms, in 3D
/// with periodic sides of odd length (three colours), closed sides, 2D, chunks (which start
/// at even planes), and a grid small enough to be its own coarsest level. A wrong colour
/// (two neighbours swept at once), a missed halo or an asymmetric cycle shows as a different
/// answer, a failed solve, or iterations far above the standard's.
#[test]
fn the_least_memory_solver_agrees_with_the_standard_one() {
    let (gpu, _lock) = common::gpu();
    let mut cases = correction_cases();
    // Small enough to be its own coarsest level, with an odd periodic side: three colours.
    cases.push((
        Grid::new_2d(4, 3, 1e-6),
        true,
        FaceCondition::Dirichlet(0.0),
        None,
    ));
    for (grid, periodic, far, chunks) in cases {
        let p = random_correction_problem(grid, periodic, far);
        let (standard, it_standard) = correction_solve(&gpu, &p, true, chunks);
        let scale = standard.iter().fold(0f32, |m, v| m.max(v.abs()));
        for stored in [true, false] {
            let least = CorrectionMemory::Least;
            let (x, it) =
                correction_solve_keeping(&gpu, &p, stored, chunks, least, Half::default());
            let worst = standard
                .iter()
                .zip(&x)
                .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
            eprintln!(
                "{grid:?} stored {stored}: {it} iterations least, {it_standard} standard; \
                 largest difference {:.2e} of the largest value",
                worst / scale
            );
            assert!(worst <= 1e-4 * scale, "{worst} of {scale}");
            assert!(it <= it_standard + 3, "{it} against {it_standard}");
            // The same bits again: the in-place sweeps race with nothing.
            let (again, _) =
                correction_solve_keeping(&gpu, &p, stored, chunks, least, Half::default());
            assert!(again == x, "a repeated solve differs");
        }
    }
    // Chunks that start at an odd plane would put a coarse cell's children in two chunks:
    // refused when the solver is built, with the way out named.
    let grid = Grid::new_3d(24, 10, 16, 1e-6);
    let spans = [(0, 5), (5, 11)].map(|(first_plane, planes)| ChunkSpan {
        first_plane,
        planes,
    });
    let domain = Domain::with_chunks(&gpu, grid, true, spans.to_vec()).unwrap();
    let x = Field::new(&gpu, &domain, "x");
    let form = FineOperator::Stored;
    let least = CorrectionMemory::Least;
    let built = EllipticSolver::for_corrections(&gpu, &domain, &x, MG, form, least, "x");
    let err = built
        .err()
        .expect("odd chunk starts are refused")
        .to_string();
    assert!(err.contains("even planes"), "{err}");
}

/// The half-precision correction solver (`CorrectionMemory::Half`: p in f16, and σ in f16
/// with `half`: gde's largest images, about 20 B per voxel). p is only the search direction:
/// x and r move along the same stored p, so the answer must agree with the standard
/// solver's to the solve tolerance, and since Half is Least's preconditioner the iterations
/// may exceed Least's by one at most. σ in f16 makes the operator that of σ rounded to f16,
/// so against a standard solve of those rounded values the same holds. Rounding and scale
/// faults show here as iterations (the answer is right by construction): p's scale is a
/// power of two set from ‖z‖ (cg_scalars.wgsl), so b scaled by 2²⁰ or 2⁴⁰ must take the
/// same iterations to the same answer scaled (a scale stuck at 1 would leave p's entries,
/// about 1e-14 here, as f16 zeros, and at 2²⁰ in f16's subnormals). Not scaled down: the
/// convergence test's f32 sum of (D⁻¹r)² is near f32's smallest normal already (D⁻¹r is
/// about 1e-19 at convergence) and would underflow, in any form of the solver;
/// and queuing 8 iterations per read-back (with rescaled no-op iterations past convergence)
/// gives the same bits as 1. Grids with an odd number of cells per plane are refused (halo
/// copies move 4-byte words).
#[test]
fn the_half_precision_solver_agrees_with_the_standard_one() {
    let (gpu, _lock) = common::gpu();
    assert!(
        gpu.summary.shader_f16,
        "lavapipe has f16 shaders; the test needs them"
    );
    let (least, half) = (CorrectionMemory::Least, CorrectionMemory::Half);
    for (grid, periodic, far, chunks) in correction_cases() {
        let mut p = random_correction_problem(grid, periodic, far);
        // σ as f16 keeps it: the operator a half-precision conductivity computes.
        for s in &mut p.sigma {
            *s = half::f16::from_f32(*s).to_f32();
        }
        let (standard, it_standard) = correction_solve(&gpu, &p, true, chunks);
        let scale = standard.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (stored, sigma) in [(true, false), (false, false), (false, true)] {
            let plain = Half {
                sigma,
                ..Half::default()
            };
            let (_, it_least) = correction_solve_keeping(&gpu, &p, stored, chunks, least, plain);
            let (x, it) = correction_solve_keeping(&gpu, &p, stored, chunks, half, plain);
            let worst = standard
                .iter()
                .zip(&x)
                .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
            eprintln!(
                "{grid:?} stored {stored}, σ in f16 {sigma}: {it} iterations, {it_least} \
                 with p in f32, {it_standard} standard; largest difference {:.2e} of the \
                 largest value",
                worst / scale
            );
            assert!(worst <= 1e-4 * scale, "{worst} of {scale}");
            assert!(it <= it_least + 1, "{it} against {it_least} with p in f32");
            for b_scale in [2f32.powi(20), 2f32.powi(40)] {
                let scaled = Half { b_scale, ..plain };
                let (y, it_scaled) =
                    correction_solve_keeping(&gpu, &p, stored, chunks, half, scaled);
                assert_eq!(it_scaled, it, "b × {b_scale:e}");
                let off = x
                    .iter()
                    .zip(&y)
                    .fold(0f32, |m, (a, b)| m.max((a * b_scale - b).abs()));
                assert!(off <= 1e-5 * scale * b_scale, "b × {b_scale:e}: {off}");
            }
            let batched = Half { batch: 8, ..plain };
            let (again, _) = correction_solve_keeping(&gpu, &p, stored, chunks, half, batched);
            assert!(again == x, "8 iterations per read-back differ from 1");
        }
    }
    // 5 × 3 cells per plane: refused when the solver is built.
    let domain = Domain::new(&gpu, Grid::new_3d(5, 3, 4, 1e-6), false).unwrap();
    let x = Field::new(&gpu, &domain, "x");
    let stored = FineOperator::Stored;
    let built = EllipticSolver::for_corrections(&gpu, &domain, &x, MG, stored, half, "x");
    let err = built.err().expect("odd planes are refused").to_string();
    assert!(err.contains("even number of cells per plane"), "{err}");
}

/// A plane of cells held at 0.25 V in the middle of a 2D strip: the left half carries
/// (1 - 0.25) / (distance to the held centres), the right half 0.25 / its distance.
#[test]
fn held_cells_act_as_dirichlet_values_at_their_centres() {
    let (gpu, _lock) = common::gpu();
    let grid = Grid::new_2d(33, 8, 1e-6);
    let mut p = Problem::new(grid);
    for y in 0..8 {
        let i = p.at(16, y, 0);
        p.kind[i] = CellKind::Held;
        p.value[i] = 0.25;
    }
    let (x, _) = solve(&gpu, &p, MG, None);
    // From the x- face to the held centres: 16.5 cells; from them to the x+ face: 16.5.
    let left = 8.0 * 0.75 / 16.5;
    let right = 8.0 * 0.25 / 16.5;
    let c = plane_currents(&p, &x);
    eprintln!("held: left {} vs {left}, right {} vs {right}", c[3], c[25]);
    assert!(rel(c[3], left) < 2e-4, "left {} vs {left}", c[3]);
    assert!(rel(c[25], right) < 2e-4, "right {} vs {right}", c[25]);
    // A held cell is an identity row of the system, solved like the rest: to the solver's
    // round-off, not bit for bit (the CG's sums decide the last bit).
    let held = x[p.at(16, 3, 0)];
    assert!((held - 0.25).abs() < 1e-6, "held cell at {held}");
}

/// Periodic x faces and mixed periodic sides are refused before any solve.
#[test]
fn impossible_face_conditions_are_refused() {
    let (gpu, _lock) = common::gpu();
    let grid = Grid::new_3d(8, 8, 8, 1e-6);
    let domain = Domain::new(&gpu, grid, false).unwrap();
    let x = Field::new(&gpu, &domain, "x");
    let solver = EllipticSolver::new(&gpu, &domain, &x, Preconditioner::Jacobi, "x").unwrap();
    use FaceCondition::*;
    let bad: [Faces; 2] = [
        [[Periodic; 2], [Closed; 2], [Closed; 2]],
        [[Closed; 2], [Periodic; 2], [Closed; 2]],
    ];
    for faces in bad {
        assert!(OperatorSetup::new(&gpu, &domain, &solver, faces).is_err());
    }
}

/// The V-cycle's bottom levels run as one single-workgroup dispatch
/// (shaders/solvers/multigrid_bottom.wgsl) computing each value by the same expression as the
/// per-level kernels, so one V-cycle (coarse operators built the same two ways) must give the
/// same M⁻¹b bit for bit: on a 2D grid whose bottom starts at level 2, a periodic 3D grid with
/// an odd side axis that is never coarsened (the bottom starts at level 1 and holds the
/// coarsest), and a 3D grid with odd axes (coarse cells with one child) whose bottom starts at
/// level 2. The operator has the solver's 10⁶ contrast: random cells conduct 10⁶ times more.
/// Each case runs with the fine operator stored and computed from σ (`FineOperator::
/// Conductivity`, a held low x face), each with the fine level's damped-Jacobi scratch and
/// without it (smoothed in place by multi-colour Gauss-Seidel).
#[test]
fn fused_multigrid_bottom_matches_the_per_level_vcycle() {
    use mesolyte::gpu::{Domain, Field, Recorder};
    use mesolyte::solvers::multigrid::{FineLevel, Multigrid};
    use mesolyte::solvers::operator::LevelOperator;
    use mesolyte::Grid;
    let (gpu, _lock) = common::gpu();
    use Coarsening::{EveryAxis, KeepOddPeriodic};
    for (grid, periodic, coarsening, per_level_levels) in [
        (Grid::new_2d(260, 130, 1e-6), false, EveryAxis, 2),
        (Grid::new_3d(24, 17, 16, 1e-6), true, KeepOddPeriodic, 1),
        (Grid::new_3d(24, 17, 16, 1e-6), true, EveryAxis, 1),
        (Grid::new_3d(64, 48, 40, 1e-6), false, EveryAxis, 2),
    ] {
        let domain = Domain::new(&gpu, grid, periodic).unwrap();
        let [nx, ny, nz] = grid.counts().map(|n| n as usize);
        let cells = nx * ny * nz;
        let sigma: Vec<f32> = common::noise(cells, 7)
            .iter()
            .map(|r| if *r > 0.6 { 1e6 } else { 1.0 + r.abs() })
            .collect();
        let at = |x: usize, y: usize, z: usize| x + nx * (y + ny * z);
        // Face conductance towards the +axis neighbour: harmonic mean of the two cells; zero
        // at the far x face and at the top of a non-periodic side axis.
        let face = |i: usize, j: usize| 2.0 * sigma[i] * sigma[j] / (sigma[i] + sigma[j]);
        let mut g = [vec![0f32; cells], vec![0f32; cells], vec![0f32; cells]];
        let mut diag = vec![0f32; cells];
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    let i = at(x, y, z);
                    let up = [
                        (x + 1 < nx).then(|| at(x + 1, y, z)),
                        (y + 1 < ny || periodic).then(|| at(x, (y + 1) % ny, z)),
                        (nz > 1 && (z + 1 < nz || periodic)).then(|| at(x, y, (z + 1) % nz)),
                    ];
                    for (axis, j) in up.into_iter().enumerate() {
                        if let Some(j) = j {
                            let c = face(i, j);
                            g[axis][i] = c;
                            diag[i] += c;
                            diag[j] += c;
                        }
                    }
                }
            }
        }
        for y in 0..ny {
            for z in 0..nz {
                diag[at(0, y, z)] += 2.0 * sigma[at(0, y, z)]; // Dirichlet electrode face
            }
        }
        let field = |name: &str, data: &[f32]| {
            let f = Field::new(&gpu, &domain, name);
            f.upload(&gpu, data).unwrap();
            f
        };
        let (gx, gy, gz) = (field("gx", &g[0]), field("gy", &g[1]), field("gz", &g[2]));
        let diag = field("diag", &diag);
        let b = field("b", &common::noise(cells, 11));
        let (x, t) = (field("x", &vec![0.0; cells]), field("t", &vec![0.0; cells]));
        let sigma = field("sigma", &sigma);
        for (stored, scratch) in [(true, true), (false, true), (true, false), (false, false)] {
            let operator = if stored {
                LevelOperator::Stored {
                    gx: &gx,
                    gy: &gy,
                    gz: &gz,
                    diag: &diag,
                }
            } else {
                LevelOperator::Conductivity {
                    sigma: &sigma,
                    held_x: [true, false],
                    periodic_sides: periodic,
                }
            };
            let fine = FineLevel {
                operator,
                b: &b,
                x: &x,
                t: scratch.then_some(&t),
            };
            let case = format!("{nx}x{ny}x{nz}, stored {stored}, scratch {scratch}");
            let mut results = Vec::new();
            for fused in [false, true] {
                let mg = Multigrid::with_bottom(&gpu, &domain, &fine, coarsening, fused).unwrap();
                let mut enc = gpu.device.create_command_encoder(&Default::default());
                {
                    let mut rec = Recorder::new(&mut enc);
                    mg.encode_build(&mut rec);
                    mg.encode_vcycle(&mut rec, &fine, false, None);
                }
                gpu.submit(enc.finish());
                results.push((
                    x.download(&gpu),
                    mg.dispatches_per_vcycle(&gpu, &fine, false),
                ));
            }
            let (per_level, fused) = (&results[0], &results[1]);
            assert!(per_level.0.iter().all(|v| v.is_finite()));
            assert!(per_level.0.iter().any(|v| *v != 0.0));
            let differing = per_level.0.iter().zip(&fused.0).filter(|(a, b)| a != b);
            assert_eq!(differing.count(), 0, "{case}: fused bottom differs");
            // Above the bottom: on the fine level five dispatches with scratch, or the first
            // colour from zero, the others, the restriction, the prolongation and every colour
            // again in place; four on each coarse one (its first sweep comes with the
            // restriction into it); then the bottom's one.
            let odd = |n: usize| n > 1 && n % 2 == 1;
            let colours = if odd(ny) || odd(nz) { 3 } else { 2 };
            let fine_dispatches = if scratch { 5 } else { 2 * colours + 2 };
            let expected = fine_dispatches + 4 * (per_level_levels - 1) + 1;
            assert_eq!(fused.1, expected, "{case}");
            assert!(
                per_level.1 > fused.1 + 5,
                "{case}: {} and {}",
                per_level.1,
                fused.1
            );
        }
    }
}

/// A split solve (`FineOperator::Split`) ends with the mean that only its rest holds
/// (shaders/solvers/cg_deflate.wgsl). A closed 2D box of unit faces whose coupled rows hold
/// a rest ε = 1e-6 beside them (a time term far below the face count, as superfill's species
/// under a thick layer) has A 1 = ε 1 there, so Σ (b − A x) = 0 says that the mean of x over
/// those cells is exactly Σ b / (ε N); a relative residual of 1e-4 hardly sees it. A block of
/// decoupled rows (superfill's metal: diag = rest, no faces) keeps x = b / diag. With the
/// correction the mean is asked within 1e-4 (measured 2.3e-7, 2026-12-07); without it (the
/// last step removed for a trial) the same solve stopped after one iteration with the mean
/// at 0.0013 against 2.0037.
#[test]
fn a_split_solve_gets_the_mean_that_only_its_rest_holds() {
    let (gpu, _lock) = common::gpu();
    let (nx, ny) = (64usize, 48usize);
    let grid = Grid::new_2d(nx as u32, ny as u32, 1e-6);
    let cells = nx * ny;
    let domain = Domain::with_even_chunks(&gpu, grid, false).unwrap();
    let (eps, metal_diag) = (1e-6f32, 1e-3f32);
    let metal = |i: usize| i % nx < 5;
    let (mut gx, mut gy, gz) = (vec![0f32; cells], vec![0f32; cells], vec![0f32; cells]);
    let (mut diag, mut rest) = (vec![0f32; cells], vec![0f32; cells]);
    for i in 0..cells {
        let (x, y) = (i % nx, i / nx);
        if metal(i) {
            (diag[i], rest[i]) = (metal_diag, metal_diag);
            continue;
        }
        rest[i] = eps;
        diag[i] += eps;
        if x + 1 < nx {
            gx[i] = 1.0;
            diag[i] += 1.0;
            diag[i + 1] += 1.0;
        }
        if y + 1 < ny {
            gy[i] = 1.0;
            diag[i] += 1.0;
            diag[i + nx] += 1.0;
        }
    }
    // Variations of 1e-5 about a mean of 2 ε (the noise's mean taken out): x is about 2 plus
    // variations of order 1e-2, and b's norm is mostly the variations'.
    let noise = common::noise(cells, 5);
    let noise_mean = noise.iter().map(|&v| v as f64).sum::<f64>() / cells as f64;
    let b: Vec<f32> = (0..cells)
        .map(|i| match metal(i) {
            true => -2.0 * metal_diag,
            false => 2.0 * eps + 1e-5 * (noise[i] as f64 - noise_mean) as f32,
        })
        .collect();
    let x = Field::new(&gpu, &domain, "x");
    let form = FineOperator::Split;
    let least = CorrectionMemory::Least;
    let mut solver =
        EllipticSolver::for_corrections(&gpu, &domain, &x, MG, form, least, "x").unwrap();
    let op = solver.operator();
    for (f, data) in [(op.gx, &gx), (op.gy, &gy), (op.gz, &gz), (op.diag, &diag)] {
        f.upload(&gpu, data).unwrap();
    }
    op.rest.unwrap().upload(&gpu, &rest).unwrap();
    solver.rhs().upload(&gpu, &b).unwrap();
    let control = SolveControl {
        tolerance: 1e-4,
        max_iterations: 1000,
        max_iterations_key: "(test)",
        warm_step_max: 0.0,
    };
    let report = solver.solve(&gpu, &x, control, &|_| {}).unwrap();
    let x = x.download(&gpu);
    let coupled: Vec<usize> = (0..cells).filter(|&i| !metal(i)).collect();
    let exact =
        coupled.iter().map(|&i| b[i] as f64).sum::<f64>() / (eps as f64 * coupled.len() as f64);
    let mean = coupled.iter().map(|&i| x[i] as f64).sum::<f64>() / coupled.len() as f64;
    println!(
        "mean {mean} against {exact} ({:.2e} off), {} iterations",
        mean / exact - 1.0,
        report.iterations
    );
    assert!((mean / exact - 1.0).abs() < 1e-4, "{mean} vs {exact}");
    for i in (0..cells).filter(|&i| metal(i)) {
        assert!((x[i] + 2.0).abs() < 1e-3, "decoupled cell {i}: {}", x[i]);
    }
}
