//! Gas-diffusion-electrode transport: pore-scale lattice Boltzmann flow (D3Q19 TRT) and
//! species transport (D3Q7) in voxel microstructures, giving permeability, effective
//! diffusivity, tortuosity, limiting current and O₂ transport resistance.
//!
//! The model runs a fixed sequence of steady-state *stages*, each to its own convergence
//! criterion: one flow solve per `gde.flow.axes`, one diffusivity solve per
//! `gde.species.axes`, then (with `gde.reaction.enabled`) a reactive solve at the given
//! kinetics and one at infinitely fast kinetics. The clock counts iterations: one iteration
//! is an even/odd pair of lattice steps of the in-place scheme. docs/models/gde.md explains
//! the choices; tests/gde_verification.rs checks them.

pub mod connectivity;
pub mod flow;
pub mod geometry;
pub mod lattice;
pub mod params;
pub mod species;
pub mod units;

pub use params::GdeParams;

use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::Path;

use crate::gpu::{field_stats, Domain, Field, Gpu, StatsQuery};
use crate::grid::Grid;
use crate::sim::{Metric, Model, OutputField};
use flow::FlowSolver;
use geometry::Voxels;
use params::{Drive, AXES};
use species::{knudsen_diffusivity_field, SpeciesSolver, SpeciesTask};
use units::FARADAY;

/// Largest advection speed the species lattice accepts, in cells per step.
const MAX_ADVECTION_LU: f64 = 0.05;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stage {
    Flow(usize),
    Diffusivity(usize),
    Reaction { limiting: bool },
}

impl Stage {
    fn code(&self) -> f64 {
        match self {
            Stage::Flow(_) => 1.0,
            Stage::Diffusivity(_) => 2.0,
            Stage::Reaction { limiting: false } => 3.0,
            Stage::Reaction { limiting: true } => 4.0,
        }
    }

    /// What the stage solves, for messages.
    fn describe(&self) -> String {
        match self {
            Stage::Flow(a) => format!("flow along {}", AXES[*a]),
            Stage::Diffusivity(a) => format!("diffusion along {}", AXES[*a]),
            Stage::Reaction { limiting: false } => "reaction".into(),
            Stage::Reaction { limiting: true } => "limiting current".into(),
        }
    }
}

/// The stages a scenario asks for, in run order.
pub fn stages(p: &GdeParams) -> Vec<Stage> {
    let mut s: Vec<Stage> = p.flow.axes.iter().map(|&a| Stage::Flow(a)).collect();
    s.extend(p.species.axes.iter().map(|&a| Stage::Diffusivity(a)));
    if p.reaction.enabled {
        s.push(Stage::Reaction { limiting: false });
        if p.reaction.limiting {
            s.push(Stage::Reaction { limiting: true });
        }
    }
    s
}

pub struct Gde {
    pub params: GdeParams,
    pub grid: Grid,
    pub porosity: f64,
    pub specific_surface_m_inv: f64,
    /// Reactive catalyst area per geometric area of the fed face (reaction runs only).
    pub catalyst_roughness_factor: Option<f64>,
    label: Field,
    pub flow: Option<FlowSolver>,
    pub species: Option<SpeciesSolver>,
    stages: Vec<Stage>,
    /// Per stage, why it is skipped with a zero result: no pore path for it
    /// (connectivity.rs), found before any lattice step.
    no_path: Vec<Option<String>>,
    /// What building the geometry found (Voxels::notes).
    geometry_notes: Vec<String>,
    stage: usize,
    stage_iterations: u64,
    started: bool,
    /// Monitored quantity at the previous check, its relative change (or the flux
    /// non-uniformity), consecutive passed checks, and the current estimate of the result.
    last_value: f64,
    residual: f64,
    passes: u32,
    estimate: f64,
    results: Vec<Metric>,
    /// Stage completions not yet shown (Model::take_messages).
    messages: Vec<String>,
}

impl Gde {
    /// Builds the geometry on the CPU and the solvers on the GPU.
    pub fn new(gpu: &Gpu, grid: Grid, params: GdeParams) -> Result<Gde> {
        let voxels = geometry::build(&params.geometry, &grid, &params.base_dir)?;
        Self::with_voxels(gpu, grid, params, &voxels, None)
    }

    /// Builds the model on a given voxel image; `local_diffusivity` (m²/s per cell) overrides
    /// the species diffusivity cell by cell (Knudsen, or layered media in tests).
    pub fn with_voxels(
        gpu: &Gpu,
        grid: Grid,
        params: GdeParams,
        voxels: &Voxels,
        local_diffusivity: Option<Vec<f64>>,
    ) -> Result<Gde> {
        let porosity = voxels.porosity();
        if porosity == 0.0 {
            bail!("the geometry has no pore voxels");
        }
        // The chunk axis (z) may wrap for some solves; the lattice decides per solve.
        let domain = Domain::new(gpu, grid, true)?;
        let label = Field::new(gpu, &domain, "label");
        label.upload(gpu, &voxels.as_f32())?;
        let stages = stages(&params);
        let no_path = stages_without_path(voxels, &params, &stages);
        let flow = if params.flow.axes.is_empty() {
            None
        } else {
            Some(FlowSolver::new(gpu, &domain, &label, params.flow.clone())?)
        };
        let needs_species = stages.iter().any(|s| !matches!(s, Stage::Flow(_)));
        let species = if needs_species {
            let local = local_diffusivity.or_else(|| {
                params
                    .species
                    .knudsen
                    .then(|| knudsen_diffusivity_field(voxels, grid.dx, &params.species))
            });
            Some(SpeciesSolver::new(
                gpu,
                &domain,
                &label,
                flow.as_ref().map(|f| &f.velocity),
                params.species.clone(),
                local.as_deref(),
            )?)
        } else {
            None
        };
        let catalyst_roughness_factor = params.reaction.enabled.then(|| {
            let mut periodic = [!params.species.side_walls; 3];
            periodic[params.reaction.axis] = false;
            let faces = connectivity::reactive_faces(voxels, periodic) as f64;
            let l = grid.lengths();
            let inlet: f64 = (0..3)
                .filter(|&a| a != params.reaction.axis)
                .map(|a| l[a])
                .product();
            faces * grid.dx * grid.dx / inlet
        });
        let mut gde = Gde {
            specific_surface_m_inv: voxels.specific_surface(grid.dx),
            catalyst_roughness_factor,
            porosity,
            params,
            grid,
            label,
            flow,
            species,
            stages,
            no_path,
            geometry_notes: voxels.notes.clone(),
            stage: 0,
            stage_iterations: 0,
            started: false,
            last_value: f64::NAN,
            residual: f64::INFINITY,
            passes: 0,
            estimate: f64::NAN,
            results: Vec::new(),
            messages: Vec::new(),
        };
        gde.skip_stages_without_path();
        Ok(gde)
    }

    pub fn current_stage(&self) -> Option<Stage> {
        self.stages.get(self.stage).copied()
    }

    /// Results of finished stages (summary.json keys).
    pub fn results(&self) -> &[Metric] {
        &self.results
    }

    pub fn result(&self, name: &str) -> Option<f64> {
        self.results
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// The limiting-current solve starts from the converged kinetic one: its steady state
    /// lies between that field and zero everywhere, so the start is closer than the uniform
    /// inlet value.
    fn starts_from_previous_stage(&self) -> bool {
        self.stage > 0
            && self.stages[self.stage - 1] == Stage::Reaction { limiting: false }
            && self.stages[self.stage] == Stage::Reaction { limiting: true }
    }

    /// Writes the current stage's parameters; with `reset`, also its initial populations.
    fn configure(&mut self, gpu: &Gpu, reset: bool) -> Result<()> {
        let Some(stage) = self.current_stage() else {
            return Ok(());
        };
        match stage {
            Stage::Flow(axis) => {
                let f = self.flow.as_mut().expect("flow solver for a flow stage");
                f.configure(gpu, axis, reset)?;
            }
            Stage::Diffusivity(axis) => {
                let scale = self.advection_scale();
                if scale != 0.0 {
                    self.check_advection_speed(gpu, scale)?;
                }
                let s = self.species.as_mut().expect("species solver");
                s.configure(gpu, axis, SpeciesTask::Diffusivity, scale, reset)?;
            }
            Stage::Reaction { limiting } => {
                let r = &self.params.reaction;
                let s = self.species.as_mut().expect("species solver");
                let k = r.effective_rate_m_s(self.params.species.temperature_k, limiting);
                let rate_lu = s.units.rate_lu(k);
                s.configure(gpu, r.axis, SpeciesTask::Reaction { rate_lu }, 0.0, reset)?;
            }
        }
        Ok(())
    }

    /// The species lattice moves a population one cell per step; advection by more than
    /// `MAX_ADVECTION_LU` cells per step loses accuracy and stability (the TRT equilibrium
    /// w c (1 + 4 c_i·u) turns negative at 1/4).
    fn check_advection_speed(&self, gpu: &Gpu, scale: f64) -> Result<()> {
        let flow = self.flow.as_ref().expect("advection needs a flow solve");
        let speed = flow
            .velocity
            .iter()
            .map(|u| {
                let s = field_stats(gpu, u, StatsQuery::default());
                s.max.abs().max(s.min.abs())
            })
            .fold(0.0, f64::max);
        let lu = speed * scale;
        if lu > MAX_ADVECTION_LU {
            bail!(
                "advection: the flow's largest speed {speed:e} m/s is {lu:.3} species lattice \
                 cells per step, above {MAX_ADVECTION_LU}; lower gde.species.relaxation_time \
                 (it sets the species time step) or gde.flow.pressure_gradient_Pa_m"
            );
        }
        Ok(())
    }

    /// Species lattice velocity per m/s of the flow field (0 without advection).
    fn advection_scale(&self) -> f64 {
        match (&self.species, self.params.species.advection) {
            (Some(s), true) => s.units.velocity_lu(1.0),
            _ => 0.0,
        }
    }

    fn stage_settings(&self, stage: Stage) -> (u64, u64, f64) {
        let (f, s, r) = (
            &self.params.flow,
            &self.params.species,
            &self.params.reaction,
        );
        match stage {
            Stage::Flow(_) => (f.check_every, f.max_iterations, f.tolerance),
            Stage::Diffusivity(_) => (s.check_every, s.max_iterations, s.tolerance),
            Stage::Reaction { .. } => (s.check_every, s.max_iterations, r.tolerance),
        }
    }

    /// Measures the current stage; finishes it when converged or out of iterations.
    /// `iteration` is the run's iteration count at this check (for messages).
    fn check(&mut self, gpu: &Gpu, iteration: u64) -> Result<()> {
        let stage = self.current_stage().expect("checking a running stage");
        let (_, max_iterations, tolerance) = self.stage_settings(stage);
        let needs_two = matches!(stage, Stage::Diffusivity(_));
        match stage {
            Stage::Flow(axis) => {
                let f = self.flow.as_ref().unwrap();
                f.update_fields(gpu);
                let limit = f.units.speed_limit();
                let mut mean = f64::NAN;
                for (a, u) in f.velocity.iter().enumerate() {
                    let s = field_stats(gpu, u, StatsQuery::default());
                    if a == axis {
                        // Superficial mean velocity (over all cells) along the solve axis.
                        mean = s.mean();
                    }
                    let peak = s.max.abs().max(s.min.abs());
                    if s.nonfinite > 0 || peak > limit {
                        let what = if s.nonfinite > 0 {
                            let place = s.first_bad.map_or(String::new(), |i| {
                                let [x, y, z] = u.domain.grid.coords(i);
                                format!(", first at cell ({x}, {y}, {z})")
                            });
                            format!("became non-finite in {} cells{place}", s.nonfinite)
                        } else {
                            format!("reached {peak:e} m/s, above the lattice limit {limit:e} m/s (Mach 0.3)")
                        };
                        bail!(crate::sim::Diverged(format!(
                            "flow along {}: velocity_{} {what} at iteration {iteration} ({} of \
                             this stage); lower gde.flow.pressure_gradient_Pa_m (or \
                             inlet_velocity_m_s). The last good output is kept.",
                            AXES[axis], AXES[a], self.stage_iterations
                        )));
                    }
                }
                self.estimate = f.permeability(gpu, mean);
                // A velocity inlet fixes the mean flow from the start: watch the permeability
                // (the pressure field) settle instead.
                let watched = match f.params.drive {
                    Drive::Velocity => self.estimate,
                    _ => mean,
                };
                self.residual = ((watched - self.last_value) / watched).abs();
                self.last_value = watched;
            }
            Stage::Diffusivity(_) => {
                let s = self.species.as_ref().unwrap();
                s.update_fields(gpu);
                let planes = s.plane_fluxes(gpu);
                let mean = planes.iter().sum::<f64>() / planes.len() as f64;
                let max = planes.iter().cloned().fold(f64::MIN, f64::max);
                let min = planes.iter().cloned().fold(f64::MAX, f64::min);
                self.residual = ((max - min) / mean).abs();
                self.last_value = mean;
                self.estimate = s.deff_ratio(mean);
            }
            Stage::Reaction { .. } => {
                let s = self.species.as_ref().unwrap();
                s.update_fields(gpu);
                let inlet = s.plane_fluxes(gpu)[0];
                self.residual = ((inlet - self.last_value) / inlet).abs();
                self.last_value = inlet;
                self.estimate = s.inlet_flux_mol_m2_s(inlet);
            }
        }
        if !self.residual.is_finite() && !self.last_value.is_finite() {
            bail!(crate::sim::Diverged(format!(
                "stage {stage:?}: the monitored quantity became non-finite at iteration \
                 {iteration} ({} of this stage). The last good output is kept.",
                self.stage_iterations
            )));
        }
        self.passes = if self.residual < tolerance {
            self.passes + 1
        } else {
            0
        };
        let converged = self.passes >= if needs_two { 2 } else { 1 };
        if converged || self.stage_iterations >= max_iterations {
            self.finish_stage(stage, converged);
        }
        Ok(())
    }

    fn finish_stage(&mut self, stage: Stage, converged: bool) {
        let results = self.stage_results(stage, converged);
        // The stage's main result comes first in stage_results.
        let (key, value) = &results[0];
        self.messages.push(format!(
            "stage {}/{} ({}) {} after {} iterations: {key} = {value:.4e}",
            self.stage + 1,
            self.stages.len(),
            stage.describe(),
            if converged {
                "converged"
            } else {
                "stopped unconverged at max_iterations"
            },
            self.stage_iterations,
        ));
        self.results.extend(results);
        self.stage += 1;
        self.started = false;
        self.skip_stages_without_path();
        if self.stage < self.stages.len() {
            // After the last stage its iterations, residual and estimate stay for the
            // final metrics row.
            self.stage_iterations = 0;
            self.last_value = f64::NAN;
            self.residual = f64::INFINITY;
            self.passes = 0;
            self.estimate = f64::NAN;
        }
    }

    /// Records the zero results of the stages from the current one on that have no pore
    /// path (connectivity.rs) and moves past them: the lattice would only approach zero,
    /// and its convergence test, a relative change, would never pass.
    fn skip_stages_without_path(&mut self) {
        while let Some(stage) = self.current_stage() {
            if self.no_path[self.stage].is_none() {
                break;
            }
            self.stage_iterations = 0;
            self.estimate = 0.0;
            self.residual = 0.0;
            self.record(stage, true);
            let flag = format!("stage_{}_no_pore_path", self.stage + 1);
            self.results.push((flag, 1.0));
            self.stage += 1;
        }
    }

    /// The results of `stage` from the current estimate and residual.
    fn record(&mut self, stage: Stage, converged: bool) {
        let results = self.stage_results(stage, converged);
        self.results.extend(results);
    }

    /// The results `stage` has with the current estimate and residual, and its flag if it
    /// did not converge.
    fn stage_results(&self, stage: Stage, converged: bool) -> Vec<Metric> {
        let mut out = Vec::new();
        let mut put = |k: String, v: f64| out.push((k, v));
        match stage {
            Stage::Flow(a) => {
                put(format!("permeability_{}_m2", AXES[a]), self.estimate);
                put(format!("permeability_{}_residual", AXES[a]), self.residual);
            }
            Stage::Diffusivity(a) => {
                let r = self.estimate;
                put(format!("deff_ratio_{}", AXES[a]), r);
                put(format!("tortuosity_{}", AXES[a]), self.porosity / r);
                put(format!("macmullin_{}", AXES[a]), 1.0 / r);
                put(format!("flux_nonuniformity_{}", AXES[a]), self.residual);
            }
            Stage::Reaction { limiting } => {
                let flux = self.estimate;
                let n_f = self.params.reaction.electrons * FARADAY;
                if limiting {
                    put("limiting_current_A_m2".into(), n_f * flux);
                    put(
                        "transport_resistance_s_m".into(),
                        self.params.species.concentration_in_mol_m3 / flux,
                    );
                } else {
                    put("current_density_A_m2".into(), n_f * flux);
                    put("o2_flux_mol_m2_s".into(), flux);
                }
            }
        }
        out.push((
            format!("stage_{}_iterations", self.stage + 1),
            self.stage_iterations as f64,
        ));
        if !converged {
            out.push((format!("stage_{}_unconverged", self.stage + 1), 1.0));
        }
        out
    }
}

impl Model for Gde {
    fn stable_dt(&mut self, _gpu: &Gpu) -> Result<f64> {
        Ok(1.0)
    }

    fn time_name(&self) -> &'static str {
        "iteration"
    }

    fn advance(&mut self, gpu: &Gpu, first_step: u64, steps: u64, _dt: f64) -> Result<u64> {
        let mut left = steps;
        while left > 0 {
            let Some(stage) = self.current_stage() else {
                // All stages done: the run's clock stops at the last iteration taken.
                return Ok(steps - left);
            };
            if !self.started {
                let reset = !self.starts_from_previous_stage();
                self.configure(gpu, reset)?;
                self.started = true;
            }
            let (every, _, _) = self.stage_settings(stage);
            let n = left.min(every - self.stage_iterations % every);
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            match stage {
                Stage::Flow(_) => self.flow.as_ref().unwrap().encode(&mut enc, n),
                _ => self.species.as_ref().unwrap().encode(&mut enc, n),
            }
            gpu.submit(enc.finish());
            self.stage_iterations += n;
            left -= n;
            if self.stage_iterations.is_multiple_of(every) {
                self.check(gpu, first_step + steps - left)?;
            }
        }
        Ok(steps)
    }

    fn state_fields(&self) -> Vec<&Field> {
        let mut v = vec![&self.label];
        if let Some(f) = &self.flow {
            v.extend(f.lattice.pops.iter());
            v.extend(f.velocity.iter());
            v.push(&f.pressure);
        }
        if let Some(s) = &self.species {
            v.extend(s.lattice.pops.iter());
            v.push(&s.concentration);
            v.push(&s.flux);
        }
        v
    }

    fn output_fields(&self) -> Vec<OutputField<'_>> {
        let mut v = vec![OutputField::scalar("label", &self.label)];
        if let Some(f) = &self.flow {
            let [x, y, z] = &f.velocity;
            v.push(OutputField::vector("velocity_m_s", x, y, z));
            v.push(OutputField::scalar("pressure_Pa", &f.pressure));
        }
        if let Some(s) = &self.species {
            v.push(OutputField::scalar("c_mol_m3", &s.concentration));
        }
        v
    }

    fn metrics(&mut self, _gpu: &Gpu) -> Result<Vec<Metric>> {
        // The stage being run, or once all are done the last one with its final values.
        let stage = self.current_stage().or(self.stages.last().copied());
        let (code, axis) = match stage {
            Some(Stage::Flow(a)) | Some(Stage::Diffusivity(a)) => (stage.unwrap().code(), a as f64),
            Some(s @ Stage::Reaction { .. }) => (s.code(), self.params.reaction.axis as f64),
            None => (0.0, f64::NAN),
        };
        let est = |want: f64| {
            if code == want {
                self.estimate
            } else {
                f64::NAN
            }
        };
        Ok(vec![
            ("stage".into(), code),
            ("axis".into(), axis),
            ("stage_iterations".into(), self.stage_iterations as f64),
            (
                "residual".into(),
                if stage.is_some() {
                    self.residual
                } else {
                    f64::NAN
                },
            ),
            ("permeability_m2".into(), est(1.0)),
            ("deff_ratio".into(), est(2.0)),
            (
                "o2_flux_mol_m2_s".into(),
                if code >= 3.0 { self.estimate } else { f64::NAN },
            ),
        ])
    }

    fn notes(&self) -> Vec<String> {
        let mut v = self.geometry_notes.clone();
        v.extend(self.no_path.iter().flatten().cloned());
        v
    }

    fn finished(&mut self, _gpu: &Gpu) -> Result<bool> {
        Ok(self.stage >= self.stages.len())
    }

    fn take_messages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.messages)
    }

    fn status(&self) -> Option<String> {
        let stage = self.current_stage()?;
        let (_, _, tolerance) = self.stage_settings(stage);
        let residual = if self.residual.is_finite() {
            format!("{:.1e}", self.residual)
        } else {
            "-".into()
        };
        Some(format!(
            "stage {}/{} {}: residual {residual} (tolerance {tolerance:.0e})",
            self.stage + 1,
            self.stages.len(),
            stage.describe()
        ))
    }

    fn summary(&mut self, _gpu: &Gpu) -> Result<Vec<Metric>> {
        let mut v = vec![
            ("porosity".to_string(), self.porosity),
            (
                "specific_surface_m_inv".to_string(),
                self.specific_surface_m_inv,
            ),
        ];
        if let Some(rf) = self.catalyst_roughness_factor {
            // The film's resistance per catalyst area, referred to the geometric area: the
            // "local" O2 resistance, which falls with catalyst area (loading) and grows with
            // the film (docs/models/gde.md).
            let film = self.params.reaction.film_resistance_s_m();
            v.push(("catalyst_roughness_factor".into(), rf));
            v.push(("local_resistance_s_m".into(), film / rf));
        }
        v.extend(self.results.iter().cloned());
        // A run stopped by run.end_time inside a stage: that stage's current estimate,
        // flagged unconverged, and how many stages did not run at all.
        if let Some(stage) = self.current_stage() {
            let running = self.started && self.estimate.is_finite();
            if running {
                v.extend(self.stage_results(stage, false));
            }
            let not_run = self.stages.len() - self.stage - usize::from(running);
            v.push(("stages_not_run".into(), not_run as f64));
        }
        Ok(v)
    }

    fn save_scalars(&self) -> serde_json::Value {
        json!({
            "stage": self.stage,
            "stage_iterations": self.stage_iterations,
            "started": self.started,
            "last_value": self.last_value.to_bits(),
            "residual": self.residual.to_bits(),
            "passes": self.passes,
            "estimate": self.estimate.to_bits(),
            "results": self.results.iter().map(|(k, v)| json!([k, v.to_bits()])).collect::<Vec<_>>(),
        })
    }

    fn restore_scalars(&mut self, v: &serde_json::Value) -> Result<()> {
        let u = |k: &str| {
            v[k].as_u64()
                .ok_or_else(|| anyhow::anyhow!("checkpoint lacks {k}"))
        };
        self.stage = u("stage")? as usize;
        self.stage_iterations = u("stage_iterations")?;
        self.started = v["started"].as_bool().unwrap_or(false);
        self.last_value = f64::from_bits(u("last_value")?);
        self.residual = f64::from_bits(u("residual")?);
        self.passes = u("passes")? as u32;
        self.estimate = f64::from_bits(u("estimate")?);
        self.results = v["results"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| {
                        Some((e[0].as_str()?.to_string(), f64::from_bits(e[1].as_u64()?)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(())
    }

    fn after_restore(&mut self, gpu: &Gpu) -> Result<()> {
        if self.started {
            self.configure(gpu, false)?;
        }
        Ok(())
    }
}

/// The geometry a run would build, described for `mesolyte validate` (CPU only): porosity,
/// specific surface, label fractions, and the stages that would have no pore path. With
/// `export`, also writes it there as a .vti image with one array, `label`, as a run's
/// first snapshot holds it.
pub fn describe_geometry(
    params: &GdeParams,
    grid: &Grid,
    export: Option<&Path>,
) -> Result<Vec<String>> {
    let v = geometry::build(&params.geometry, grid, &params.base_dir)?;
    if let Some(path) = export {
        let labels = v.as_f32();
        crate::io::vtk::write_vti(
            path,
            grid,
            &[crate::io::vtk::NamedArray {
                name: "label",
                components: 1,
                values: &labels,
            }],
        )
        .with_context(|| format!("writing the geometry to {}", path.display()))?;
    }
    let f = v.label_fractions();
    let mut line = format!(
        "geometry: porosity {:.4}, specific surface {:.4e} 1/m",
        v.porosity(),
        v.specific_surface(grid.dx)
    );
    for (name, k) in [("solid", 1), ("ionomer", 2), ("catalyst", 3)] {
        if f[k] > 0.0 {
            line += &format!(", {name} {:.4}", f[k]);
        }
    }
    let mut lines = vec![line];
    let no_path = stages_without_path(&v, params, &stages(params));
    let notes = v.notes.iter().chain(no_path.iter().flatten());
    lines.extend(notes.map(|n| format!("note: {n}")));
    Ok(lines)
}

/// Per stage, why it has a zero result without running (`missing_path`), if it does. One
/// flood fill per stage, each O(voxels): in parallel, as a 512³ image takes seconds per fill.
fn stages_without_path(v: &Voxels, params: &GdeParams, stages: &[Stage]) -> Vec<Option<String>> {
    std::thread::scope(|scope| {
        let fills: Vec<_> = stages
            .iter()
            .map(|&s| scope.spawn(move || missing_path(v, params, s)))
            .collect();
        fills
            .into_iter()
            .map(|f| f.join().expect("connectivity check panicked"))
            .collect()
    })
}

/// Why `stage` has a zero result without running, if it does: no pore path along its axis
/// (through the faces and edges the D3Q19 lattice links for flow, the faces for species; a
/// body-force solve needs a cluster winding around its periodic axis), or no catalyst that
/// the fed pore space reaches.
fn missing_path(v: &Voxels, p: &GdeParams, stage: Stage) -> Option<String> {
    let sides = |walls: bool| [!walls; 3];
    match stage {
        Stage::Flow(a) => {
            let periodic = sides(p.flow.side_walls);
            let links = connectivity::Links::FacesAndEdges;
            let open = match p.flow.drive {
                Drive::BodyForce => connectivity::winds(v, a, links, periodic),
                _ => connectivity::crosses(v, a, links, periodic),
            };
            (!open).then(|| {
                format!(
                    "no pore path crosses the domain along {0}: permeability_{0}_m2 = 0 \
                     without a flow solve",
                    AXES[a]
                )
            })
        }
        Stage::Diffusivity(a) => {
            let open = connectivity::crosses(
                v,
                a,
                connectivity::Links::Faces,
                sides(p.species.side_walls),
            );
            (!open).then(|| {
                format!(
                    "no pore path crosses the domain along {0} (face-connected voxels): \
                     deff_ratio_{0} = 0 and tortuosity_{0} infinite, without a species solve",
                    AXES[a]
                )
            })
        }
        Stage::Reaction { limiting } => {
            let a = p.reaction.axis;
            let fed = connectivity::feeds_catalyst(v, a, sides(p.species.side_walls));
            (!fed).then(|| {
                format!(
                    "no catalyst voxel borders the pore space reached from the low {} face: \
                     the {}current is 0 without a reactive solve",
                    AXES[a],
                    if limiting { "limiting " } else { "" }
                )
            })
        }
    }
}

/// Bytes per cell the model keeps on the GPU (ghost planes aside), for the docs and bench.
pub fn bytes_per_cell(p: &GdeParams) -> u64 {
    4 * p.gpu_fields() as u64
}
