//! The physics models and their registry: one `ModelEntry` per model in `REGISTRY`, and the
//! `ModelSpec` trait each model's validated parameters implement once. The scenario reader
//! finds a model by name here; nothing else names a model.

pub mod contract;
pub mod dendrite;
pub mod diffusion;
pub mod gde;
pub mod superfill;

use anyhow::Result;
use std::any::Any;
use std::path::Path;
use std::sync::Arc;

use crate::gpu::Gpu;
use crate::grid::Grid;
use crate::input::{ScenarioError, Section};
use contract::{ClockKind, Model};

/// Reads a model's scenario section into its validated parameters.
pub type ParseSection = fn(&mut Section, &Grid) -> Result<Arc<dyn ModelSpec>, ScenarioError>;

/// One model: its scenario name, what its clock counts, whether it draws random numbers
/// from `run.seed`, and the reader of its scenario section.
pub struct ModelEntry {
    /// The scenario's `model` key, and the name of the model's section.
    pub name: &'static str,
    /// Simulated seconds, or solver iterations (steady-state solves): `run.end_time` and
    /// `run.output_every` are then iterations and `run.dt` does not apply.
    pub clock: ClockKind,
    /// Whether `run.seed` changes the model's results; a scenario that sets it for a model
    /// that draws no random numbers gets a warning.
    pub uses_seed: bool,
    /// What sets the model's randomness instead, named in that warning (empty: nothing).
    pub seed_instead: &'static str,
    /// Reads and validates the model's section.
    pub parse: ParseSection,
    /// The most steps between two plans of the time step: the loop's batches are no longer
    /// (superfill: 1). `run.check_every`, the divergence guard's cadence, is independent of it.
    pub plan_every: u64,
}

impl std::fmt::Debug for ModelEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ModelEntry({})", self.name)
    }
}

/// Every model, in the order `mesolyte list` and errors name them.
pub const REGISTRY: &[ModelEntry] = &[
    diffusion::ENTRY,
    dendrite::ENTRY,
    gde::ENTRY,
    superfill::ENTRY,
];

/// Model names accepted in a scenario's `model` key.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|e| e.name).collect()
}

/// The registry entry of the model named `name`.
pub fn entry(name: &str) -> Option<&'static ModelEntry> {
    REGISTRY.iter().find(|e| e.name == name)
}

/// A model's validated parameters, in SI units: what can be known about a run without a
/// device, and `build`, which makes the GPU model.
pub trait ModelSpec: Any + std::fmt::Debug + Send + Sync {
    /// The time step the model uses by default (s); 1 for an iteration clock.
    fn stable_dt(&self, _grid: &Grid) -> f64 {
        1.0
    }

    /// The largest time step a user may fix (s).
    fn max_stable_dt(&self, grid: &Grid) -> f64 {
        self.stable_dt(grid)
    }

    /// Warnings about a scenario that is valid but may not mean what the user expects.
    fn warnings(&self, _grid: &Grid) -> Vec<String> {
        Vec::new()
    }

    /// The cost class of a run for the recorded speeds behind the wall-time estimate
    /// (`sim::rates`): runs of one class cost about the same per cell and step.
    fn rate_variant(&self, grid: &Grid) -> String {
        if grid.nz > 1 { "3D" } else { "2D" }.to_string()
    }

    /// A bound on the clock steps a run takes whatever `run.end_time` allows, where the
    /// parameters fix it (gde: one step per steady solve; superfill: about the box height
    /// over the front's travel per step), for the wall-time estimate and, on an iteration
    /// clock, the end of the progress display.
    fn step_bound(&self) -> Option<u64> {
        None
    }

    /// Scalar f32 fields the model keeps on the GPU (for the memory estimate).
    fn gpu_fields(&self) -> u32;

    /// `gpu_fields` for `grid` on a device with `memory` bytes (None: not reported) and, if
    /// `shader_f16`, f16 shaders, for a model that trades speed for memory where memory is
    /// short (gde's steady solves); the memory estimate uses this one.
    fn gpu_fields_on(&self, grid: &Grid, memory: Option<u64>, shader_f16: bool) -> u32 {
        let _ = (grid, memory, shader_f16);
        self.gpu_fields()
    }

    /// Ghost planes on each side of a chunk of the model's domain (for the memory estimate
    /// and its chunk split): 1, or up to 3 for wider stencils (`Domain::with_ghosts`).
    fn ghost_planes(&self) -> u32 {
        1
    }

    /// The scenario key whose setting needs the adapter's f16 shaders, if any: the key, its
    /// value and the value to use instead (checked when the adapter opens, before any GPU
    /// work).
    fn needs_f16_shaders(&self) -> Option<(&'static str, &'static str, &'static str)> {
        None
    }

    /// Whether the model has a voxel geometry that `describe` can write (`--geometry-out`).
    fn has_geometry(&self) -> bool {
        false
    }

    /// Lines for `validate` beyond the scenario's own description (gde: the geometry, built on
    /// the CPU, written as .vti to `geometry_out` if given and `has_geometry`).
    fn describe(&self, _grid: &Grid, _geometry_out: Option<&Path>) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Checks that need more than the section (gde: the generated or imported geometry), CPU
    /// only; `validate` and `run` call it before any GPU work.
    fn check(&self, _grid: &Grid) -> Result<()> {
        Ok(())
    }

    /// The GPU model, in its initial state; `seed` is `run.seed` (models that draw random
    /// numbers key them by it).
    fn build(&self, gpu: &Gpu, grid: &Grid, seed: u64) -> Result<Box<dyn Model>>;
}

impl dyn ModelSpec {
    /// The concrete parameters, for code that knows which model it holds (tests, benches).
    pub fn downcast_ref<T: ModelSpec>(&self) -> Option<&T> {
        (self as &dyn Any).downcast_ref()
    }
}
