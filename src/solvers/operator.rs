//! Where the elliptic solver's fine-level operator lives (shaders/solvers/include/operator.wgsl).
//!
//! - Stored: each cell's +x, +y, +z face conductance and the full diagonal, 16 bytes per
//!   cell, written by the user's set-up kernel before each solve: any operator of the
//!   solver's form (the dendrite potential, `OperatorSetup`).
//! - Split: stored, and the diagonal's rest (what is not its faces' sum: a time term, a
//!   sink, a boundary's conductance) kept apart as well, 20 bytes per cell, so that the CG
//!   applies A in difference form (shaders/solvers/include/apply_split.wgsl): exact where
//!   the rest is far below the face count, which f32 rounds away from the whole diagonal
//!   (superfill's species under a thick diffusion layer). A split solve also ends by
//!   correcting x's mean over the coupled cells (shaders/solvers/cg_deflate.wgsl), which
//!   only the rest holds there and the relative residual hardly sees. Every other stage
//!   reads it as stored.
//! - Conductivity (matrix-free): one value per cell, 4 bytes (2 in f16), from which every
//!   kernel that reads the fine level computes faces and diagonal as it needs them
//!   (shaders/solvers/include/operator_conductivity.wgsl, swapped in for
//!   operator_stored.wgsl): the harmonic-mean rule of `OperatorSetup` for solved, held and
//!   excluded cells, with held (Dirichlet) x faces and periodic or closed sides, and no
//!   sources; in f32 it gives the stored set-up's bits, in f16 the rule of σ rounded to 11
//!   bits. For solvers whose operator is that rule alone and memory is what limits the grid
//!   (gde's steady solves on micro-CT images).
//!
//! The multigrid's coarse levels keep their Galerkin operators stored either way.

use anyhow::{bail, Result};

use crate::gpu::shaders::{CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY, SPLIT_OPERATOR};
use crate::gpu::{Domain, Element, Field, Gpu, Kernel};

/// How a solver keeps its fine operator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FineOperator {
    /// Face conductances and diagonal, written by the user (`EllipticSolver::operator`).
    Stored,
    /// As `Stored`, with the diagonal's rest beside it (`OperatorFields::rest`), which the
    /// CG's products A p read instead of the whole diagonal.
    Split,
    /// One conductivity per cell (`EllipticSolver::conductivity`), its sign saying what the
    /// cell is: σ > 0 solved; σ < 0 held at a fixed value, conducting |σ| to solved
    /// neighbours; 0 excluded. `held_x`: whether the low and high x faces of the domain are
    /// held (Dirichlet, half a cell away) or closed. `periodic_sides`: whether y and z wrap
    /// (else they are closed), as the domain's chunking axis must then. `half`: σ is kept in
    /// f16 (2 B per cell; shaders/solvers/include/conductivity_f16.wgsl), for corrections
    /// whose residual the user takes with the exact operator; every nonzero |σ| must lie in
    /// f16's normal range (`HALF_SIGMA_RANGE`), the adapter must have f16 shaders and the
    /// grid an even number of cells per plane.
    Conductivity {
        held_x: [bool; 2],
        periodic_sides: bool,
        half: bool,
    },
}

/// The magnitudes a half-precision σ may take: f16's normal range, where it keeps 11 bits
/// (below it a value loses bits, and one that rounds to 0 would mean "excluded").
pub const HALF_SIGMA_RANGE: (f32, f32) = (6.103_515_6e-5, 65504.0);

impl FineOperator {
    /// Entry `entry` of stage `path` (one that reads a level's operator) for this form, on
    /// `domain`, with the stage's own pipeline `constants`.
    pub fn kernel(
        &self,
        gpu: &Gpu,
        domain: &Domain,
        path: &'static str,
        entry: &str,
        constants: &[(&str, f64)],
    ) -> Result<Kernel> {
        self.kernel_with(gpu, domain, path, entry, constants, &[])
    }

    /// `kernel` with the stage's own include `swaps` too (a half-precision direction,
    /// src/solvers/elliptic.rs).
    pub fn kernel_with(
        &self,
        gpu: &Gpu,
        domain: &Domain,
        path: &'static str,
        entry: &str,
        constants: &[(&str, f64)],
        swaps: &[(&'static str, &'static str)],
    ) -> Result<Kernel> {
        match *self {
            FineOperator::Stored => {
                Kernel::with_constants_and_includes(gpu, path, entry, constants, swaps)
            }
            FineOperator::Split => {
                let all: Vec<_> = SPLIT_OPERATOR.iter().chain(swaps).copied().collect();
                Kernel::with_constants_and_includes(gpu, path, entry, constants, &all)
            }
            FineOperator::Conductivity {
                held_x,
                periodic_sides,
                half,
            } => {
                let g = &domain.grid;
                // As the host rules of the stored set-ups compute it: 1/h² in f32.
                let inv_h2 = |h: f64| (1.0 / (h * h)) as f32 as f64;
                let mut all = constants.to_vec();
                all.extend([
                    ("INV_H2_X", inv_h2(g.dx)),
                    ("INV_H2_Y", inv_h2(g.dy)),
                    ("INV_H2_Z", inv_h2(g.dz)),
                    ("HELD_LOW_X", Kernel::flag(held_x[0])),
                    ("HELD_HIGH_X", Kernel::flag(held_x[1])),
                    ("PERIODIC_SIDES", Kernel::flag(periodic_sides)),
                ]);
                let half_sigma: &[(&str, &str)] = if half { HALF_CONDUCTIVITY } else { &[] };
                let all_swaps: Vec<_> = CONDUCTIVITY_OPERATOR
                    .iter()
                    .chain(half_sigma)
                    .chain(swaps)
                    .copied()
                    .collect();
                Kernel::with_constants_and_includes(gpu, path, entry, &all, &all_swaps)
            }
        }
    }
}

/// A level's operator as the kernels bind it.
#[derive(Clone, Copy)]
pub enum LevelOperator<'a> {
    Stored {
        gx: &'a Field,
        gy: &'a Field,
        gz: &'a Field,
        diag: &'a Field,
    },
    Conductivity {
        sigma: &'a Field,
        held_x: [bool; 2],
        periodic_sides: bool,
    },
}

impl<'a> LevelOperator<'a> {
    /// Chunk `c`'s buffers by the names the stages give them (`Kernel::bind_named`; a stage
    /// that reads only the diagonal skips the faces).
    pub fn named(&self, c: usize) -> Vec<(&'static str, &'a wgpu::Buffer)> {
        match *self {
            LevelOperator::Stored { gx, gy, gz, diag } => vec![
                ("gx", &gx.buffers[c]),
                ("gy", &gy.buffers[c]),
                ("gz", &gz.buffers[c]),
                ("diag", &diag.buffers[c]),
            ],
            LevelOperator::Conductivity { sigma, .. } => vec![("sigma", &sigma.buffers[c])],
        }
    }

    /// The form, for building the stages that read it (`FineOperator::kernel`).
    pub fn form(&self) -> FineOperator {
        match *self {
            LevelOperator::Stored { .. } => FineOperator::Stored,
            LevelOperator::Conductivity {
                sigma,
                held_x,
                periodic_sides,
            } => FineOperator::Conductivity {
                held_x,
                periodic_sides,
                half: sigma.element() == Element::F16,
            },
        }
    }
}

/// Refuses an f16 field (`what`: a half-precision conductivity or direction) where f16
/// fields do not work: they need the adapter's f16 shaders and an even number of cells per
/// plane (halo copies move 4-byte words).
pub(super) fn require_half_fields(gpu: &Gpu, domain: &Domain, what: &str) -> Result<()> {
    if !(gpu.summary.shader_f16 && domain.grid.plane_cells().is_multiple_of(2)) {
        bail!(
            "{what} in f16 needs the adapter's f16 shaders and an even number of cells per plane"
        );
    }
    Ok(())
}

/// Refuses a conductivity form whose periodic sides the domain cannot wrap, and one in f16
/// where f16 fields do not work (`require_half_fields`).
pub(super) fn check(gpu: &Gpu, form: FineOperator, domain: &Domain) -> Result<()> {
    if let FineOperator::Conductivity {
        periodic_sides,
        half,
        ..
    } = form
    {
        if periodic_sides && !domain.periodic_chunk_axis {
            bail!("a conductivity operator with periodic sides needs a domain periodic along its chunking axis");
        }
        if half {
            require_half_fields(gpu, domain, "a conductivity")?;
        }
    }
    Ok(())
}
