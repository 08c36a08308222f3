//! The species stages as the steady problems they are (`gde.species.solver = "multigrid"`):
//! ∇·(D∇c) = 0 in the pore space, solid voxels excluded (no-flux pore-solid faces), solved
//! by the engine's elliptic solver (src/solvers/), in one or a few correction solves to a
//! host f64 solution (see `solve`), instead of time-stepping the D3Q7 lattice to a settled
//! flux. The solver's Dirichlet faces are its x faces, so the image is
//! permuted to put the solve axis along x. Per-cell diffusivities (Knudsen) enter as the cell
//! conductivity; faces take the harmonic mean, as the lattice's series rule does.
//! - Effective diffusivity: c held at the inlet and outlet faces, periodic or closed sides.
//! - Reaction: c held at the inlet face, the far face closed, and a first-order sink k·c on
//!   every pore face of a catalyst voxel, the wall half a cell from the pore cell's centre
//!   (where the lattice's reactive bounce-back puts it). A catalyst voxel is a cell held at
//!   c = 0 whose conductivity σ_k = k Δx / (2D) makes the face's series rule exact: the
//!   harmonic mean of σ_pore and σ_k is the conductance of the half cell and the kinetics in
//!   series, 1 / (Δx/(2 D_pore) + 1/k) per unit area.

use anyhow::{bail, Result};

use super::geometry::{Voxels, CATALYST, PORE};
use super::params::SteadyForm;
use crate::geometry::{reach, CellBox, Connectivity};
use crate::gpu::{Domain, Field, Gpu};
use crate::grid::Grid;
use crate::solvers::{
    CellKind, Coarsening, CorrectionMemory, EllipticSolver, FaceCondition, Faces, FineOperator,
    Preconditioner, SolveControl, HALF_SIGMA_RANGE,
};

/// The first solve's relative residual per unit of the target imbalance, by where it starts.
/// A diffusivity solve starts from the linear profile between its two held faces, whose
/// residual is already small (it is exact in open space): on the shipped GDL the plane
/// currents' spread after it was 0.3 to 0.6 times the relative residual (1e-3: 3.1e-4 and
/// 5.7e-4 along z and x, in 10 and 8 iterations; 1e-4: 3e-5 and 2e-4 in 13 and 11), but on
/// a 96³ fibre GDL 1e-3 left more than 1e-3 and a second round (20 iterations in all, 11 at
/// 3e-4): the ratio grows with the grid, hence 0.3 (shipped GDL: 11 and 10 iterations). A
/// reaction starts from zero; the same GDL's solves started from zero left a spread of 4 to
/// 20 times the relative residual (1e-5: 2.7e-4 and 9e-4 in 14 and 13 iterations). A spread
/// still above the target is refined below.
const FIRST_SOLVE_PER_TARGET_LINEAR: f64 = 0.3;
const FIRST_SOLVE_PER_TARGET_ZERO: f64 = 1e-2;
/// Bounds of the first solve's relative residual: the lower one is near f32's floor.
const FIRST_SOLVE_RANGE: (f64, f64) = (1e-6, 1e-2);
const MAX_ITERATIONS: u32 = 20_000;
/// Solves from the last solution before the imbalance is taken as what f32 allows.
const MAX_ROUNDS: u32 = 6;
/// Relative residual of a correction solve: each round then gains two to four digits
/// (measured on the shipped GDL: 8.7e-4, 2.4e-7, then to 1e-10 in two more), where f32
/// allows.
const CORRECTION_TOLERANCE: f64 = 1e-3;

fn control(tolerance: f64) -> SolveControl {
    SolveControl {
        tolerance,
        max_iterations: MAX_ITERATIONS,
        max_iterations_key: "(the gde steady solve's fixed limit)",
        warm_step_max: 0.0,
    }
}

/// σ_k for infinitely fast kinetics: the face then conducts 2 σ_pore (c = 0 on the wall),
/// exactly in f32 (2σ·1e20 / (σ + 1e20) rounds to 2σ for any σ ≤ 1e6).
const INSTANT: f64 = 1e20;

/// What one steady solve computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SteadyTask {
    /// c = 1 on the inlet face, 0 on the outlet face.
    Diffusivity,
    /// c = 1 on the inlet face, the outlet face closed, catalyst walls consuming k·c with
    /// `rate_m_s` (infinite: instant kinetics) for a bulk diffusivity `diffusivity_m2_s`.
    Reaction {
        rate_m_s: f64,
        diffusivity_m2_s: f64,
    },
}

/// One axis's steady solve.
pub struct SteadySolution {
    /// D_eff / D (the bulk diffusivity D, or each cell's own where they differ); diffusivity
    /// solves only (NaN for a reaction).
    pub deff_ratio: f64,
    /// The current through the inlet face per unit area, in units of D·c_in/Δx.
    pub inlet_current: f64,
    /// Conservation of the discrete solution: for diffusivity the (max − min) / mean of the
    /// current through the inlet face, every plane between cells and the outlet face; for a
    /// reaction |inlet − consumed| / inlet.
    pub imbalance: f64,
    pub iterations: u32,
    /// Solves it took: 1, or more where the first left the currents above the target.
    pub rounds: u32,
    /// The solver's vectors kept in f16 (matrix-free only): 0, 1 (the search direction) or
    /// 2 (the direction and the conductivity).
    pub f16_fields: u32,
    /// The normalised concentration (1 at the inlet; 0 in solid), in the grid's own storage
    /// order.
    pub profile: Vec<f32>,
}

/// The other two axes after `axis`, in order: the permuted grid's y and z.
fn others(axis: usize) -> [usize; 2] {
    match axis {
        0 => [1, 2],
        1 => [0, 2],
        _ => [0, 1],
    }
}

/// The grid a solve along `axis` runs on: that axis first (x), then the others in order.
pub fn permuted_grid(grid: &Grid, axis: usize) -> Grid {
    let n = grid.counts();
    let h = [grid.dx, grid.dy, grid.dz];
    let [b, c] = others(axis);
    let mut permuted = *grid;
    (permuted.nx, permuted.ny, permuted.nz) = (n[axis], n[b], n[c]);
    (permuted.dx, permuted.dy, permuted.dz) = (h[axis], h[b], h[c]);
    permuted
}

/// Conductance of two cells in series, as the solver's set-up computes it.
fn harmonic(a: f64, b: f64) -> f64 {
    2.0 * a * b / (a + b)
}

/// Solves `task` along `axis` of `voxels` on `grid`; `relative` is each cell's diffusivity
/// over the bulk one (None: 1 everywhere); `side_walls` closes the side faces (else periodic);
/// `target` is the imbalance (`SteadySolution::imbalance`) to refine the solution to, as far
/// as f32 allows; `steady_form`: whether the solver stores its operator or computes it from
/// a conductivity per cell, and in which precision (`gde.species.operator`).
#[allow(clippy::too_many_arguments)]
pub fn solve(
    gpu: &Gpu,
    grid: &Grid,
    voxels: &Voxels,
    axis: usize,
    side_walls: bool,
    relative: Option<&[f64]>,
    task: SteadyTask,
    target: f64,
    steady_form: SteadyForm,
) -> Result<SteadySolution> {
    let matrix_free = steady_form.matrix_free();
    let n = grid.counts();
    let [b, c] = others(axis);
    let permuted = permuted_grid(grid, axis);
    // Permuted index (i along the axis, j, k) -> the grid's index.
    let original = |i: u32, j: u32, k: u32| {
        let mut p = [0u32; 3];
        (p[axis], p[b], p[c]) = (i, j, k);
        (p[0] + n[0] * (p[1] + n[1] * p[2])) as usize
    };
    // The catalyst's conductivity, relative to the bulk diffusivity (reactions only).
    let catalyst_sigma = match task {
        SteadyTask::Diffusivity => None,
        SteadyTask::Reaction {
            rate_m_s,
            diffusivity_m2_s,
        } => Some(if rate_m_s.is_finite() {
            rate_m_s * grid.dx / (2.0 * diffusivity_m2_s)
        } else {
            INSTANT
        }),
    };
    let cells = grid.cells() as usize;
    let mut kind = Vec::with_capacity(cells);
    let mut sigma = Vec::with_capacity(cells);
    for k in 0..permuted.nz {
        for j in 0..permuted.ny {
            for i in 0..permuted.nx {
                let o = original(i, j, k);
                let label = voxels.labels[o];
                let (role, s) = match (label, catalyst_sigma) {
                    (PORE, _) => (CellKind::Solved, relative.map_or(1.0, |r| r[o])),
                    (CATALYST, Some(s)) => (CellKind::Held, s),
                    _ => (CellKind::Excluded, 1.0),
                };
                kind.push(role);
                sigma.push(s as f32);
            }
        }
    }
    let periodic = !side_walls;
    // Pore space that no held face reaches carries no current and would be a singular block
    // of the operator: a sealed pocket inside one coarse multigrid cell gives that cell a
    // zero diagonal, and its smoothing divides by it. It is excluded like solid. A reaction's
    // far face is closed, so only its inlet counts (pore reached from there alone that
    // touches no catalyst would be singular too; one that does would hold c = 0 anyway).
    let (nx, ny, nz) = (
        permuted.nx as usize,
        permuted.ny as usize,
        permuted.nz as usize,
    );
    let cell_box = CellBox::new([nx, ny, nz], [false, periodic, periodic]);
    let solved_at = |i: usize| kind[i] == CellKind::Solved;
    let reaction = catalyst_sigma.is_some();
    let seeds = (0..ny * nz).flat_map(|p| {
        let far = (!reaction).then_some(p * nx + nx - 1);
        std::iter::once(p * nx).chain(far)
    });
    let reached = reach(&cell_box, Connectivity::Faces, solved_at, seeds);
    for (k, r) in kind.iter_mut().zip(&reached) {
        if *k == CellKind::Solved && !r {
            *k = CellKind::Excluded;
        }
    }
    // Chunks start at even planes, as a solver with the least memory needs
    // (CorrectionMemory::Least; results do not depend on the chunking).
    let domain = Domain::with_even_chunks(gpu, permuted, periodic)?;
    let x = Field::new(gpu, &domain, "c normalised");
    // Nothing here needs levels uniform along the periodic sides, and keeping their odd
    // lengths uncoarsened costs iterations (Coarsening says how many).
    let mg = Preconditioner::Multigrid(Coarsening::EveryAxis);
    // The correction's operator follows the rule of the host's f64 residual below (inlet
    // face held, the outlet held for diffusivity and closed for a reaction, sides periodic
    // or closed), stored as built on the host, or computed on the GPU from one conductivity
    // per cell (matrix-free: 4 B per voxel instead of 16, slower on lavapipe). Matrix-free is
    // the path for the largest images, so it also keeps the fewest vectors (no A p, the fine
    // level smoothed in place: 4 B per voxel fewer again). Its f16 form keeps the search
    // direction in f16, and the conductivity too where each value fits f16's normal range
    // (always for diffusivity; a catalyst's σ over the decades of k may not): 2 B per voxel
    // fewer for each. Both only perturb the preconditioning solve; the f64 residual below
    // takes the exact operator, so the answer is the same to the target.
    // The conductivity's sign says what a cell is (FineOperator::Conductivity).
    let signed = |(k, &s): (&CellKind, &f32)| match k {
        CellKind::Solved => s,
        CellKind::Held => -s,
        CellKind::Excluded => 0.0,
    };
    let halves = steady_form == SteadyForm::MatrixFreeF16;
    let (low, high) = HALF_SIGMA_RANGE;
    let half_sigma = halves
        && kind
            .iter()
            .zip(&sigma)
            .map(signed)
            .all(|v| v == 0.0 || (low..=high).contains(&v.abs()));
    let (form, memory) = if matrix_free {
        let form = FineOperator::Conductivity {
            held_x: [true, !reaction],
            periodic_sides: periodic,
            half: half_sigma,
        };
        let memory = if halves {
            CorrectionMemory::Half
        } else {
            CorrectionMemory::Least
        };
        (form, memory)
    } else {
        (FineOperator::Stored, CorrectionMemory::Standard)
    };
    let mut solver = EllipticSolver::for_corrections(gpu, &domain, &x, mg, form, memory, "c")?;
    let side = if periodic {
        FaceCondition::Periodic
    } else {
        FaceCondition::Closed
    };
    // A reaction solves for the deficit u = 1 − c (inlet 0, catalyst 1): where kinetics are
    // slow c stays near 1 and the inlet current 2σ(1 − c) would be a difference of nearly
    // equal f32 values, while u keeps its relative precision (measured: 4e-4 off the exact
    // slab flux at k = 0.16 m/s as c, 1.1e-5 as u, the solver's tolerance).
    let (inlet_value, outlet) = if reaction {
        (0.0, FaceCondition::Closed)
    } else {
        (1.0, FaceCondition::Dirichlet(0.0))
    };
    let faces = [
        [FaceCondition::Dirichlet(inlet_value), outlet],
        [side; 2],
        [side; 2],
    ];
    // Held catalyst cells hold c = 0 (u = 1).
    let held_value = if reaction { 1.0 } else { 0.0 };
    let system = System {
        grid: &permuted,
        kind: &kind,
        sigma: &sigma,
        held: held_value,
        faces,
        cell_box: &cell_box,
    };
    // Every solve is for a correction to the host's f64 solution: the operator with
    // homogeneous faces, uploaded here once (the stored form as the host builds it, or the
    // conductivities whose sign says what a cell is, FineOperator::Conductivity), and the
    // solution's residual as b, uploaded per solve.
    // (Each host copy lives only for its upload: at 512³ one is 0.3 to 0.5 GB.)
    if half_sigma {
        let each = kind.iter().zip(&sigma).map(signed);
        let halved: Vec<half::f16> = each.map(half::f16::from_f32).collect();
        solver.conductivity().upload_as(gpu, &halved)?;
    } else if matrix_free {
        let values: Vec<f32> = kind.iter().zip(&sigma).map(signed).collect();
        solver.conductivity().upload(gpu, &values)?;
    } else {
        let operator = solver.operator();
        for (field, values) in [operator.gx, operator.gy, operator.gz, operator.diag]
            .into_iter()
            .zip(system.operator())
        {
            field.upload(gpu, &values)?;
        }
    }
    // The solver stops on a relative residual, in f32; what a user reads is the spread of
    // the plane currents. On large grids that spread grows with the cell count at a fixed
    // residual (1.5 % at 512³), and f32's own rounding of A·x leaves a residual of one sign
    // that no number of f32 iterations removes (8.5e-4 on the shipped GDL's x axis). So the
    // solution is kept and refined in mixed precision: the residual of the accumulated
    // solution is taken in f64 on the host, the f32 solver solves for its correction with
    // homogeneous conditions, and the correction is added in f64; until the currents meet
    // `target`, or a round no longer halves their imbalance, or MAX_ROUNDS. The first
    // round starts from the linear profile (diffusivity) or from zero (reaction).
    let (mut solution, per_target): (Vec<f64>, f64) = match task {
        SteadyTask::Diffusivity => (
            (0..cells)
                .map(|p| 1.0 - ((p % nx) as f64 + 0.5) / nx as f64)
                .collect(),
            FIRST_SOLVE_PER_TARGET_LINEAR,
        ),
        SteadyTask::Reaction { .. } => (vec![0.0; cells], FIRST_SOLVE_PER_TARGET_ZERO),
    };
    let (lowest, highest) = FIRST_SOLVE_RANGE;
    let first = (target * per_target).clamp(lowest, highest);
    let mut currents = Currents::of(&solution, &system, reaction);
    let (mut rounds, mut iterations) = (0, 0);
    loop {
        if !currents.inlet.is_finite() || !currents.imbalance.is_finite() {
            bail!("the steady {task:?} solve along axis {axis} gave a non-finite current");
        }
        let done = rounds > 0 && currents.imbalance <= target;
        if done || rounds == MAX_ROUNDS {
            break;
        }
        let residual = system.residual(&solution);
        // The solver starts each solve from x = 0 and takes b where it reads r.
        solver.rhs().upload(gpu, &residual)?;
        let tolerance = if rounds == 0 {
            first
        } else {
            CORRECTION_TOLERANCE
        };
        // The operator and b are in place: nothing to encode before the solve.
        let report = solver.solve(gpu, &x, control(tolerance), &|_| {})?;
        iterations += report.iterations;
        rounds += 1;
        let correction = x.download(gpu);
        let refined: Vec<f64> = solution
            .iter()
            .zip(&correction)
            .zip(&kind)
            .map(|((&s, &e), &k)| {
                if k == CellKind::Solved {
                    s + e as f64
                } else {
                    s
                }
            })
            .collect();
        let better = Currents::of(&refined, &system, reaction);
        let stalled = better.imbalance.is_nan() || better.imbalance >= 0.5 * currents.imbalance;
        if rounds > 1 && stalled {
            // f64 round-off of the sums, or a correction no better than the solution.
            if better.imbalance < currents.imbalance {
                (solution, currents) = (refined, better);
            }
            break;
        }
        (solution, currents) = (refined, better);
    }
    let (nx, ny, nz) = (permuted.nx, permuted.ny, permuted.nz);
    let at = |i: u32, j: u32, k: u32| (i + nx * (j + ny * k)) as usize;
    let mut profile = vec![0.0f32; cells];
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let p = at(i, j, k);
                if kind[p] == CellKind::Solved {
                    let x = solution[p];
                    profile[original(i, j, k)] = (if reaction { 1.0 - x } else { x }) as f32;
                }
            }
        }
    }
    let faces_across = ny as f64 * nz as f64;
    Ok(SteadySolution {
        deff_ratio: currents.deff_ratio,
        inlet_current: currents.inlet / faces_across,
        imbalance: currents.imbalance,
        iterations,
        rounds,
        f16_fields: u32::from(halves) + u32::from(half_sigma),
        profile,
    })
}

/// The currents of a solution, in units of σ·Δc per face.
struct Currents {
    /// Through the inlet face.
    inlet: f64,
    /// D_eff / D (diffusivity only; NaN for a reaction).
    deff_ratio: f64,
    /// See `SteadySolution::imbalance`.
    imbalance: f64,
}

impl Currents {
    /// `solution` is the solver's unknown (c, or 1 − c for a reaction) on `system`.
    fn of(solution: &[f64], system: &System, reaction: bool) -> Currents {
        let System {
            grid,
            kind,
            sigma,
            cell_box,
            ..
        } = *system;
        let (nx, ny, nz) = (grid.nx, grid.ny, grid.nz);
        let at = |i: u32, j: u32, k: u32| (i + nx * (j + ny * k)) as usize;
        let solved = |i: usize| kind[i] == CellKind::Solved;
        let held = |i: usize| kind[i] == CellKind::Held;
        // c and 1 − c, each from the stored unknown without a subtraction where it is the
        // unknown itself.
        let x = |i: usize| solution[i];
        let value = |i: usize| if reaction { 1.0 - x(i) } else { x(i) };
        let lack = |i: usize| if reaction { x(i) } else { 1.0 - x(i) };
        let sig = |i: usize| sigma[i] as f64;
        let mut planes = vec![0.0f64; nx as usize + 1];
        for k in 0..nz {
            for j in 0..ny {
                let (first, last) = (at(0, j, k), at(nx - 1, j, k));
                if solved(first) {
                    planes[0] += 2.0 * sig(first) * lack(first);
                }
                if solved(last) && !reaction {
                    planes[nx as usize] += 2.0 * sig(last) * value(last);
                }
                for i in 0..nx - 1 {
                    let (p, q) = (at(i, j, k), at(i + 1, j, k));
                    if solved(p) && solved(q) {
                        planes[i as usize + 1] += harmonic(sig(p), sig(q)) * (value(p) - value(q));
                    }
                }
            }
        }
        let inlet = planes[0];
        if !reaction {
            let mean = planes.iter().sum::<f64>() / planes.len() as f64;
            let max = planes.iter().cloned().fold(f64::MIN, f64::max);
            let min = planes.iter().cloned().fold(f64::MAX, f64::min);
            // Open space carries ny·nz faces of 1/nx each: D_eff/D is the current over that.
            let spread = if mean > 0.0 { (max - min) / mean } else { 0.0 };
            return Currents {
                inlet,
                deff_ratio: mean * nx as f64 / (ny as f64 * nz as f64),
                imbalance: spread,
            };
        }
        let mut consumed = 0.0f64;
        let offsets = Connectivity::Faces.offsets();
        for p in (0..kind.len()).filter(|&p| solved(p)) {
            let here = cell_box.coords(p);
            for &d in &offsets {
                if let Some(q) = cell_box.neighbour(here, d).map(|q| cell_box.index(q)) {
                    if held(q) {
                        consumed += harmonic(sig(p), sig(q)) * value(p);
                    }
                }
            }
        }
        let gap = if inlet > 0.0 {
            (inlet - consumed).abs() / inlet
        } else {
            0.0
        };
        Currents {
            inlet,
            deff_ratio: f64::NAN,
            imbalance: gap,
        }
    }
}

/// The discrete problem as solved (permuted grid), for the host's f64 work on a solution.
struct System<'a> {
    grid: &'a Grid,
    kind: &'a [CellKind],
    sigma: &'a [f32],
    /// The value of every held cell.
    held: f32,
    faces: Faces,
    cell_box: &'a CellBox,
}

/// What lies across a face of a solved cell that conducts.
enum Across {
    /// A solved cell (its index).
    Solved(usize),
    /// A fixed value: a held cell's, or a Dirichlet face's half a cell away.
    Value(f64),
}

impl System<'_> {
    /// Calls `f(axis, side, g, across)` for every conducting face of solved cell `p`, with
    /// the face's conductance g per unit volume as shaders/solvers/operator_setup.wgsl
    /// defines it (harmonic mean of the two σ over h², 2σ/h² to a Dirichlet face), computed
    /// in f64 from the f32 conductivities and spacings. The one host copy of that rule: the
    /// operator uploaded for the GPU and the f64 residual both come from here.
    fn for_each_face(&self, p: usize, mut f: impl FnMut(usize, usize, f64, Across)) {
        // The steady problems have Dirichlet, closed and periodic faces only, and no sources.
        debug_assert!(self
            .faces
            .iter()
            .flatten()
            .all(|f| !matches!(f, FaceCondition::Flux(_))));
        let g = self.grid;
        let inv_h2 = [g.dx, g.dy, g.dz].map(|h| (1.0 / (h * h)) as f32 as f64);
        let sig = |i: usize| self.sigma[i] as f64;
        let here = self.cell_box.coords(p);
        for axis in 0..3 {
            for (side, step) in [(0, -1i64), (1, 1)] {
                let mut d = [0i64; 3];
                d[axis] = step;
                let Some(q) = self.cell_box.neighbour(here, d) else {
                    if let FaceCondition::Dirichlet(v) = self.faces[axis][side] {
                        let across = Across::Value(v as f32 as f64);
                        f(axis, side, 2.0 * sig(p) * inv_h2[axis], across);
                    }
                    continue;
                };
                let q = self.cell_box.index(q);
                let across = match self.kind[q] {
                    _ if q == p => continue,
                    CellKind::Solved => Across::Solved(q),
                    CellKind::Held => Across::Value(self.held as f64),
                    CellKind::Excluded => continue,
                };
                f(axis, side, harmonic(sig(p), sig(q)) * inv_h2[axis], across);
            }
        }
    }

    /// b − A·x per cell in f64 (solved cells without sources; zero where the operator has an
    /// identity row): the source of a correction solve.
    fn residual(&self, x: &[f64]) -> Vec<f32> {
        let mut out = vec![0.0f32; x.len()];
        for (p, r) in out.iter_mut().enumerate() {
            if self.kind[p] != CellKind::Solved {
                continue;
            }
            let mut sum = 0.0f64;
            self.for_each_face(p, |_, _, g, across| {
                let other = match across {
                    Across::Solved(q) => x[q],
                    Across::Value(v) => v,
                };
                sum += g * (other - x[p]);
            });
            *r = sum as f32;
        }
        out
    }

    /// The correction's operator in the solver's stored form ([gx, gy, gz, diag]: each
    /// cell's +x, +y, +z face to a solved cell, and the full diagonal), with homogeneous
    /// faces: what OperatorSetup would write, without its fields on the GPU, each value
    /// computed in f64 and rounded once. Cells that are not solved, and solved cells with no
    /// conducting face, are identity rows.
    fn operator(&self) -> [Vec<f32>; 4] {
        let n = self.kind.len();
        let mut up = [vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]];
        let mut diag = vec![1.0f32; n];
        for p in (0..n).filter(|&p| self.kind[p] == CellKind::Solved) {
            let mut d = 0.0f64;
            self.for_each_face(p, |axis, side, g, across| {
                d += g;
                if side == 1 && matches!(across, Across::Solved(_)) {
                    up[axis][p] = g as f32;
                }
            });
            if d > 0.0 {
                diag[p] = d as f32;
            }
        }
        let [gx, gy, gz] = up;
        [gx, gy, gz, diag]
    }
}
