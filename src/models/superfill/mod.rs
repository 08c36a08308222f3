//! Copper superfill of trenches and vias: a level set φ (electrolyte φ > 0, metal φ < 0)
//! moved by the deposition velocity v = iΩ/(nF), the curvature-enhanced accelerator
//! coverage θ carried on the interface, and Cu²⁺ and accelerator diffusing in the
//! electrolyte with consumption at the interface (Wheeler, Josell & Moffat, J. Electrochem.
//! Soc. 150, C302 (2003); FiPy's simpleTrenchSystem), optionally with a leveler (Moffat,
//! Wheeler, Kim & Josell, J. Electrochem. Soc. 153, C127 (2006); FiPy's leveler.py). docs/models/superfill.md says what
//! the numerics are and why; tests/superfill_verification.rs checks them.

mod analysis;
mod events;
mod kernels;
mod model;
mod params;
mod shape;

pub use analysis::{analyse, metal_fraction, surface_height, FillState};
pub use events::Events;
pub use kernels::{StepParams, M_SCALE};
pub use model::{Sample, Superfill};
pub use params::{Feature, Kinetics, Leveler, Shape, SuperfillParams};
pub use shape::{initial_phi, phi_at};

use anyhow::Result;
use std::sync::Arc;

use crate::gpu::Gpu;
use crate::grid::Grid;
use crate::models::contract::Model;

/// Scalar fields on the GPU, rounded up: 27 of the model's own, its list of the cells near
/// the interface (4 bytes a cell at most), and about 8 (3D) to 9 (2D)
/// for each of the three concentration solves (the operator's 4, r, p and z, and their
/// multigrid levels' 7 at an eighth or a quarter of the cells per level).
pub const GPU_FIELDS: u32 = 58;

/// The superfill model's registry entry (src/models/mod.rs).
pub const ENTRY: crate::models::ModelEntry = crate::models::ModelEntry {
    name: "superfill",
    clock: crate::models::contract::ClockKind::Seconds,
    uses_seed: false,
    seed_instead: "",
    parse: |s, grid| Ok(Arc::new(SuperfillParams::read(s, grid)?)),
    plan_every: 1,
};

impl crate::models::ModelSpec for SuperfillParams {
    /// The step at the fastest speed the kinetics allow: runs plan from the actual speed,
    /// so the planned step count is an upper bound.
    fn stable_dt(&self, grid: &Grid) -> f64 {
        self.bound_dt(grid)
    }

    fn step_bound(&self) -> Option<u64> {
        Some(self.step_estimate())
    }

    fn ghost_planes(&self) -> u32 {
        model::STENCIL_REACH
    }

    fn gpu_fields(&self) -> u32 {
        GPU_FIELDS
    }

    fn build(&self, gpu: &Gpu, grid: &Grid, _seed: u64) -> Result<Box<dyn Model>> {
        Ok(Box::new(Superfill::new(gpu, *grid, self.clone())?))
    }
}
