//! Effective diffusivity as the steady problem it is (`gde.species.solver = "multigrid"`):
//! ∇·(D∇c) = 0 in the pore space, solid voxels excluded (no-flux pore-solid faces), c held at
//! the inlet and outlet faces of the solve axis, periodic or closed sides, solved once by the
//! engine's elliptic solver (src/solvers/) instead of time-stepping the D3Q7 lattice to a
//! settled flux. The solver's Dirichlet faces are its x faces, so the image is permuted to put
//! the solve axis along x. Per-cell diffusivities (Knudsen) enter as the cell conductivity;
//! faces take the harmonic mean, as the lattice's series rule does.

use anyhow::{bail, Result};

use super::geometry::{Voxels, PORE};
use crate::geometry::{reach, CellBox, Connectivity};
use crate::gpu::{Domain, Field, Gpu};
use crate::grid::Grid;
use crate::solvers::{
    CellKind, EllipticSolver, FaceCondition, OperatorSetup, Preconditioner, SolveControl,
};

/// Relative residual of the solve: near f32's floor, where the plane fluxes agree to ~1e-4.
const TOLERANCE: f64 = 1e-6;
const MAX_ITERATIONS: u32 = 20_000;

/// One axis's steady solve.
pub struct SteadyDiffusion {
    /// D_eff / D (the bulk diffusivity D, or each cell's own where they differ).
    pub deff_ratio: f64,
    /// (max − min) / mean of the diffusive current through the inlet face, every plane
    /// between cells and the outlet face: conservation of the discrete solution.
    pub uniformity: f64,
    pub iterations: u32,
    /// The normalised concentration (1 at the inlet, 0 at the outlet; 0 in solid), in the
    /// grid's own storage order.
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

/// Solves along `axis` of `voxels` on `grid`; `relative` is each cell's diffusivity over the
/// bulk one (None: 1 everywhere); `side_walls` closes the side faces (else periodic).
pub fn solve(
    gpu: &Gpu,
    grid: &Grid,
    voxels: &Voxels,
    axis: usize,
    side_walls: bool,
    relative: Option<&[f64]>,
) -> Result<SteadyDiffusion> {
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
    let cells = grid.cells() as usize;
    let mut kind = Vec::with_capacity(cells);
    let mut sigma = Vec::with_capacity(cells);
    for k in 0..permuted.nz {
        for j in 0..permuted.ny {
            for i in 0..permuted.nx {
                let o = original(i, j, k);
                let pore = voxels.labels[o] == PORE;
                kind.push(if pore {
                    CellKind::Solved
                } else {
                    CellKind::Excluded
                });
                sigma.push(relative.map_or(1.0, |r| r[o]) as f32);
            }
        }
    }
    let periodic = !side_walls;
    // Pore space that neither face reaches carries no current and would be a singular block
    // of the operator: a sealed pocket inside one coarse multigrid cell gives that cell a
    // zero diagonal, and its smoothing divides by it. It is excluded like solid.
    let (nx, ny, nz) = (
        permuted.nx as usize,
        permuted.ny as usize,
        permuted.nz as usize,
    );
    let cell_box = CellBox::new([nx, ny, nz], [false, periodic, periodic]);
    let solved_at = |i: usize| kind[i] == CellKind::Solved;
    let faces_seeds = (0..ny * nz).flat_map(|p| [p * nx, p * nx + nx - 1]);
    let reached = reach(&cell_box, Connectivity::Faces, solved_at, faces_seeds);
    for (k, r) in kind.iter_mut().zip(&reached) {
        if !r {
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
    let faces = [
        [FaceCondition::Dirichlet(1.0), FaceCondition::Dirichlet(0.0)],
        [side; 2],
        [side; 2],
    ];
    let setup = OperatorSetup::new(gpu, &domain, &solver, faces)?;
    setup.upload(gpu, &sigma, &kind, &vec![0.0; cells])?;
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

    // The current through every plane normal to the axis, in units of σ·Δc per face.
    let (nx, ny, nz) = (permuted.nx, permuted.ny, permuted.nz);
    let at = |i: u32, j: u32, k: u32| (i + nx * (j + ny * k)) as usize;
    let solved = |i: usize| kind[i] == CellKind::Solved;
    let mut planes = vec![0.0f64; nx as usize + 1];
    for k in 0..nz {
        for j in 0..ny {
            let (first, last) = (at(0, j, k), at(nx - 1, j, k));
            if solved(first) {
                planes[0] += 2.0 * sigma[first] as f64 * (1.0 - solution[first] as f64);
            }
            if solved(last) {
                planes[nx as usize] += 2.0 * sigma[last] as f64 * solution[last] as f64;
            }
            for i in 0..nx - 1 {
                let (p, q) = (at(i, j, k), at(i + 1, j, k));
                if solved(p) && solved(q) {
                    let (sp, sq) = (sigma[p] as f64, sigma[q] as f64);
                    planes[i as usize + 1] +=
                        2.0 * sp * sq / (sp + sq) * (solution[p] as f64 - solution[q] as f64);
                }
            }
        }
    }
    let mean = planes.iter().sum::<f64>() / planes.len() as f64;
    let max = planes.iter().cloned().fold(f64::MIN, f64::max);
    let min = planes.iter().cloned().fold(f64::MAX, f64::min);
    if !mean.is_finite() {
        bail!("the steady diffusion solve along axis {axis} gave a non-finite current");
    }
    // Open space carries ny·nz faces of 1/nx each: D_eff/D is the current over that.
    let deff_ratio = mean * nx as f64 / (ny as f64 * nz as f64);
    let mut profile = vec![0.0f32; cells];
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let p = at(i, j, k);
                if solved(p) {
                    profile[original(i, j, k)] = solution[p];
                }
            }
        }
    }
    Ok(SteadyDiffusion {
        deff_ratio,
        uniformity: if mean > 0.0 { (max - min) / mean } else { 0.0 },
        iterations: report.iterations,
        profile,
    })
}
