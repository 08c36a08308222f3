//! The species stages as the steady problems they are (`gde.species.solver = "multigrid"`):
//! ∇·(D∇c) = 0 in the pore space, solid voxels excluded (no-flux pore-solid faces), solved
//! once by the engine's elliptic solver (src/solvers/) instead of time-stepping the D3Q7
//! lattice to a settled flux. The solver's Dirichlet faces are its x faces, so the image is
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
use crate::geometry::{reach, CellBox, Connectivity};
use crate::gpu::{Domain, Field, Gpu};
use crate::grid::Grid;
use crate::solvers::{
    CellKind, EllipticSolver, FaceCondition, OperatorSetup, Preconditioner, SolveControl,
};

/// Relative residual of the solve: near f32's floor, where the plane fluxes agree to ~1e-4.
const TOLERANCE: f64 = 1e-6;
const MAX_ITERATIONS: u32 = 20_000;
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

/// Conductance of two cells in series, as the solver's set-up computes it.
fn harmonic(a: f64, b: f64) -> f64 {
    2.0 * a * b / (a + b)
}

/// Solves `task` along `axis` of `voxels` on `grid`; `relative` is each cell's diffusivity
/// over the bulk one (None: 1 everywhere); `side_walls` closes the side faces (else periodic).
pub fn solve(
    gpu: &Gpu,
    grid: &Grid,
    voxels: &Voxels,
    axis: usize,
    side_walls: bool,
    relative: Option<&[f64]>,
    task: SteadyTask,
) -> Result<SteadySolution> {
    let n = grid.counts();
    let h = [grid.dx, grid.dy, grid.dz];
    let [b, c] = others(axis);
    let mut permuted = *grid;
    (permuted.nx, permuted.ny, permuted.nz) = (n[axis], n[b], n[c]);
    (permuted.dx, permuted.dy, permuted.dz) = (h[axis], h[b], h[c]);
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
    let domain = Domain::new(gpu, permuted, periodic)?;
    let x = Field::new(gpu, &domain, "c normalised");
    let mut solver = EllipticSolver::new(gpu, &domain, &x, Preconditioner::Multigrid, "c")?;
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
    let setup = OperatorSetup::new(gpu, &domain, &solver, faces)?;
    // Held catalyst cells hold c = 0 (u = 1); solved cells have no source.
    let held_value = if reaction { 1.0 } else { 0.0 };
    let values: Vec<f32> = kind
        .iter()
        .map(|&k| if k == CellKind::Held { held_value } else { 0.0 })
        .collect();
    setup.upload(gpu, &sigma, &kind, &values)?;
    let report = solver.solve(
        gpu,
        &x,
        SolveControl {
            tolerance: TOLERANCE,
            max_iterations: MAX_ITERATIONS,
            max_iterations_key: "(the gde steady solve's fixed limit)",
            warm_step_max: 0.0,
        },
        &|rec| setup.encode(rec),
    )?;
    let solution = x.download(gpu);

    // Currents in units of σ·Δc per face: through every plane normal to the axis, and into
    // the catalyst.
    let (nx, ny, nz) = (permuted.nx, permuted.ny, permuted.nz);
    let at = |i: u32, j: u32, k: u32| (i + nx * (j + ny * k)) as usize;
    let solved = |i: usize| kind[i] == CellKind::Solved;
    let held = |i: usize| kind[i] == CellKind::Held;
    // c and 1 − c, each from the stored unknown without a subtraction where it is the
    // unknown itself.
    let x = |i: usize| solution[i] as f64;
    let value = |i: usize| if reaction { 1.0 - x(i) } else { x(i) };
    let lack = |i: usize| if reaction { x(i) } else { 1.0 - x(i) };
    let sig = |i: usize| sigma[i] as f64;
    let mut planes = vec![0.0f64; nx as usize + 1];
    let mut consumed = 0.0f64;
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
    if reaction {
        let offsets = Connectivity::Faces.offsets();
        for p in (0..cells).filter(|&p| solved(p)) {
            let here = cell_box.coords(p);
            for &d in &offsets {
                if let Some(q) = cell_box.neighbour(here, d).map(|q| cell_box.index(q)) {
                    if held(q) {
                        consumed += harmonic(sig(p), sig(q)) * value(p);
                    }
                }
            }
        }
    }
    let inlet = planes[0];
    let faces_across = ny as f64 * nz as f64;
    let (deff_ratio, imbalance) = if !reaction {
        let mean = planes.iter().sum::<f64>() / planes.len() as f64;
        let max = planes.iter().cloned().fold(f64::MIN, f64::max);
        let min = planes.iter().cloned().fold(f64::MAX, f64::min);
        // Open space carries ny·nz faces of 1/nx each: D_eff/D is the current over that.
        let spread = if mean > 0.0 { (max - min) / mean } else { 0.0 };
        (mean * nx as f64 / faces_across, spread)
    } else {
        let gap = if inlet > 0.0 {
            (inlet - consumed).abs() / inlet
        } else {
            0.0
        };
        (f64::NAN, gap)
    };
    if !inlet.is_finite() || !imbalance.is_finite() {
        bail!("the steady {task:?} solve along axis {axis} gave a non-finite current");
    }
    let mut profile = vec![0.0f32; cells];
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let p = at(i, j, k);
                if solved(p) {
                    profile[original(i, j, k)] = value(p) as f32;
                }
            }
        }
    }
    Ok(SteadySolution {
        deff_ratio,
        inlet_current: inlet / faces_across,
        imbalance,
        iterations: report.iterations,
        profile,
    })
}
