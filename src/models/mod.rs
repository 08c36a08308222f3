//! The physics models and their registry: scenario section -> parameters -> GPU model.

pub mod dendrite;
pub mod diffusion;
pub mod gde;

use anyhow::Result;

use crate::gpu::Gpu;
use crate::grid::Grid;
use crate::scenario::{RunSettings, ScenarioError, Section};
use crate::sim::Model;

/// Model names accepted in a scenario's `model` key.
pub const NAMES: &[&str] = &["diffusion", "dendrite", "gde"];

/// Whether the model's clock counts solver iterations rather than simulated seconds (the
/// steady-state gde solves); `run.end_time` and `run.output_every` are then iterations and
/// `run.dt` does not apply. Known from the model's name, before its section is read.
pub fn clock_counts_iterations(name: &str) -> bool {
    name == "gde"
}

/// Validated parameters of one model, in SI units.
#[derive(Debug, Clone)]
pub enum ModelParams {
    Diffusion(diffusion::DiffusionParams),
    Dendrite(dendrite::DendriteParams),
    Gde(gde::GdeParams),
}

/// Reads the model's section (named like the model).
pub fn parse(name: &str, s: &mut Section, grid: &Grid) -> Result<ModelParams, ScenarioError> {
    match name {
        "diffusion" => Ok(ModelParams::Diffusion(diffusion::DiffusionParams::read(
            s, grid,
        )?)),
        "dendrite" => Ok(ModelParams::Dendrite(dendrite::DendriteParams::read(
            s, grid,
        )?)),
        "gde" => Ok(ModelParams::Gde(gde::GdeParams::read(s, grid)?)),
        other => unreachable!("model {other:?} passed the name check but has no parser"),
    }
}

impl ModelParams {
    pub fn name(&self) -> &'static str {
        match self {
            ModelParams::Diffusion(_) => "diffusion",
            ModelParams::Dendrite(_) => "dendrite",
            ModelParams::Gde(_) => "gde",
        }
    }

    /// The time step the model uses by default (s).
    pub fn stable_dt(&self, grid: &Grid) -> f64 {
        match self {
            ModelParams::Diffusion(p) => p.stable_dt(grid),
            ModelParams::Dendrite(p) => dendrite::stable_dt(p, grid),
            // Steady-state solves: the clock counts iterations.
            ModelParams::Gde(_) => 1.0,
        }
    }

    /// The name of the model's clock (Model::time_name): simulated seconds, or iterations
    /// for the steady-state gde solves.
    pub fn time_name(&self) -> &'static str {
        match self {
            ModelParams::Gde(_) => "iteration",
            _ => "time_s",
        }
    }

    /// The largest time step a user may fix (s).
    pub fn max_stable_dt(&self, grid: &Grid) -> f64 {
        match self {
            ModelParams::Diffusion(p) => p.max_stable_dt(grid),
            ModelParams::Dendrite(p) => dendrite::stable_dt(p, grid) / p.time_step_safety,
            ModelParams::Gde(_) => 1.0,
        }
    }

    /// Warnings about a scenario that is valid but may not mean what the user expects.
    pub fn warnings(&self, grid: &Grid) -> Vec<String> {
        match self {
            ModelParams::Diffusion(_) => Vec::new(),
            ModelParams::Dendrite(p) => p.warnings(grid),
            ModelParams::Gde(_) => Vec::new(),
        }
    }

    /// Scalar f32 fields the model keeps on the GPU (for the memory estimate).
    pub fn gpu_fields(&self) -> u32 {
        match self {
            ModelParams::Diffusion(_) => diffusion::GPU_FIELDS,
            ModelParams::Dendrite(_) => dendrite::GPU_FIELDS,
            ModelParams::Gde(p) => p.gpu_fields(),
        }
    }

    pub fn build(&self, gpu: &Gpu, grid: &Grid, run: &RunSettings) -> Result<Box<dyn Model>> {
        match self {
            ModelParams::Diffusion(p) => {
                Ok(Box::new(diffusion::Diffusion::new(gpu, *grid, p.clone())?))
            }
            ModelParams::Dendrite(p) => Ok(Box::new(dendrite::Dendrite::new(
                gpu,
                *grid,
                p.clone(),
                run,
            )?)),
            ModelParams::Gde(p) => Ok(Box::new(gde::Gde::new(gpu, *grid, p.clone())?)),
        }
    }
}
