//! The physics models and their registry: scenario section -> parameters -> GPU model.

pub mod dendrite;
pub mod diffusion;

use anyhow::Result;

use crate::gpu::Gpu;
use crate::grid::Grid;
use crate::scenario::{RunSettings, ScenarioError, Section};
use crate::sim::Model;

/// Model names accepted in a scenario's `model` key.
pub const NAMES: &[&str] = &["diffusion", "dendrite"];

/// Validated parameters of one model, in SI units.
#[derive(Debug, Clone)]
pub enum ModelParams {
    Diffusion(diffusion::DiffusionParams),
    Dendrite(dendrite::DendriteParams),
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
        other => unreachable!("model {other:?} passed the name check but has no parser"),
    }
}

impl ModelParams {
    pub fn name(&self) -> &'static str {
        match self {
            ModelParams::Diffusion(_) => "diffusion",
            ModelParams::Dendrite(_) => "dendrite",
        }
    }

    /// The time step the model uses by default (s).
    pub fn stable_dt(&self, grid: &Grid) -> f64 {
        match self {
            ModelParams::Diffusion(p) => p.stable_dt(grid),
            ModelParams::Dendrite(p) => dendrite::stable_dt(p, grid),
        }
    }

    /// The largest time step a user may fix (s).
    pub fn max_stable_dt(&self, grid: &Grid) -> f64 {
        match self {
            ModelParams::Diffusion(p) => p.max_stable_dt(grid),
            ModelParams::Dendrite(p) => dendrite::stable_dt(p, grid) / p.time_step_safety,
        }
    }

    /// Warnings about a scenario that is valid but may not mean what the user expects.
    pub fn warnings(&self, grid: &Grid) -> Vec<String> {
        match self {
            ModelParams::Diffusion(_) => Vec::new(),
            ModelParams::Dendrite(p) => p.warnings(grid),
        }
    }

    /// Scalar f32 fields the model keeps on the GPU (for the memory estimate).
    pub fn gpu_fields(&self) -> u32 {
        match self {
            ModelParams::Diffusion(_) => diffusion::GPU_FIELDS,
            ModelParams::Dendrite(_) => dendrite::GPU_FIELDS,
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
        }
    }
}
