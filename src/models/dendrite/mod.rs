//! Phase-field Li electrodeposition (model `dendrite`): the grand-potential form of Hong &
//! Viswanathan (2018) of the nonlinear model of Chen et al. (2015). Fields: order parameter η
//! (`xi`, 1 metal, 0 electrolyte), Li content ρ (conserved), chemical potential w, potential
//! φ. Explicit steps (shaders/dendrite/step.wgsl, one pass per step) with a potential
//! solve every `potential_every_steps` (potential.rs). Units: units.rs. Verification:
//! tests/dendrite_verification.rs; documentation: docs/models/dendrite.md.

pub mod implicit_li;
pub mod initial;
pub mod metrics;
pub mod params;
pub mod planar_reference;
pub mod potential;
pub mod units;

use anyhow::{Context, Result};
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;
use std::time::Instant;

pub use params::{DendriteParams, FarBoundary, LiStep, SideBoundary, Transport};
pub use units::ModelNumbers;

use crate::gpu::{field_max, Domain, Element, Field, Gpu, Kernel, Recorder};
use crate::grid::Grid;
use crate::models::contract::{Guard, Metric, Model, Moment, OutputField, PictureSpec};
use crate::solvers::{SolveControl, SolveReport};
use metrics::{ColumnKernel, ColumnParams, Columns};
use potential::{Potential, PotentialParams};
use units::{FARADAY, LENGTH_M};

/// Scalar fields on the GPU: η ×2 and ρ ×2 with their fixed-point master copies and
/// remainders, w ×2, φ, c; the potential solver's gx, gy, gz, diag, b, r, p, q, z, η_ref,
/// φ_prev; and its multigrid levels, 7 fields on 1/4 + 1/16 + … of the cells in 2D (2.3
/// fields' worth; 1 in 3D), counted as 3.
pub const GPU_FIELDS: u32 = 26;

/// Fields the implicit Li step adds: w*, the Li solver's x_prev, gx, gy, gz, diag, b, r, p,
/// q, z, and its multigrid levels (counted as 3, as for the potential).
pub const IMPLICIT_LI_FIELDS: u32 = 14;

/// The dendrite model's registry entry (src/models/mod.rs).
pub const ENTRY: crate::models::ModelEntry = crate::models::ModelEntry {
    name: "dendrite",
    clock: crate::models::contract::ClockKind::Seconds,
    uses_seed: true,
    seed_instead: "",
    parse: |s, grid| Ok(Arc::new(DendriteParams::read(s, grid)?)),
    plan_every: u64::MAX,
};

impl crate::models::ModelSpec for DendriteParams {
    fn stable_dt(&self, grid: &Grid) -> f64 {
        stable_dt(self, grid)
    }

    fn max_stable_dt(&self, grid: &Grid) -> f64 {
        stable_dt(self, grid) / self.time_step_safety
    }

    fn warnings(&self, grid: &Grid) -> Vec<String> {
        DendriteParams::warnings(self, grid)
    }

    fn gpu_fields(&self) -> u32 {
        GPU_FIELDS
            + if self.li_step == LiStep::Implicit {
                IMPLICIT_LI_FIELDS
            } else {
                0
            }
    }

    fn build(&self, gpu: &Gpu, grid: &Grid, seed: u64) -> Result<Box<dyn Model>> {
        Ok(Box::new(Dendrite::new(gpu, *grid, self.clone(), seed)?))
    }
}

/// Electrolyte site fraction assumed by the scenario-level time-step estimate (validation of
/// a fixed `run.dt`); runs adapt the step to the measured maximum instead.
pub const NOMINAL_SITE_FRACTION: f64 = 0.5;
/// Largest step θ of the potential's warm start φ + θ (φ - φ_prev) along its last change
/// (EllipticSolver::solve): 1 continues a steady change over an equal interval; the bound
/// keeps an ill-posed line search (a tiny last change) from overshooting.
const MAX_WARM_STEP: f64 = 2.0;

/// Environment variable that makes a run time its potential solves and print their share of
/// the wall time at every output (docs/performance.md). Each solve then starts from a drained
/// queue, which costs a little GPU idle time per solve, so it is off by default.
pub const PROFILE_SOLVES_VAR: &str = "MESOLYTE_PROFILE_SOLVES";

/// Largest electrolyte site fraction allowed before the run counts as diverged.
pub const MAX_SITE_FRACTION: f64 = 0.99;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct StepParams {
    dx: f32,
    dt: f32,
    kappa: f32,
    barrier: f32,
    mobility: f32,
    kinetic: f32,
    alpha: f32,
    f_over_rt: f32,
    diffusivity: f32,
    site_ratio: f32,
    eps_liquid: f32,
    inv_ref_fraction: f32,
    aniso_strength: f32,
    aniso_mode: f32,
    noise_step: f32,
    bulk_fraction: f32,
    sites_mol_m3: f32,
    seed: u32,
    flags: u32,
    _pad: u32,
}

/// The stable explicit time step (s) on `grid` when the electrolyte site fraction is at most
/// `c_max`: Li transport has effective diffusivity D/(1 - c_l) (from c_l' = c_l(1 - c_l)).
pub fn stable_dt(p: &DendriteParams, grid: &Grid) -> f64 {
    stable_dt_at(p, grid, NOMINAL_SITE_FRACTION)
}

pub fn stable_dt_at(p: &DendriteParams, grid: &Grid, c_max: f64) -> f64 {
    let n = ModelNumbers::from_params(p, grid.dx);
    let d = grid.dims() as f64;
    let dx2 = n.dx * n.dx;
    let aniso = if grid.is_3d() {
        16.0
    } else {
        (p.anisotropy_mode as f64).powi(2)
    };
    let stiffness = n.kappa * (1.0 + p.anisotropy_strength * aniso);
    let allen_cahn = 1.0 / (n.mobility * (2.0 * d * stiffness / dx2 + 2.0 * n.barrier));
    let v = n.voltage.abs();
    // Largest Butler-Volmer relaxation rate: L_η max h' (anodic + cathodic branch), with the
    // ion site fraction at most MAX_SITE_FRACTION.
    let bv_rate = n.kinetic
        * 1.875
        * (((1.0 - n.alpha) * n.f_over_rt * v).exp()
            + c_max / n.reference_fraction * (n.alpha * n.f_over_rt * v).exp());
    let reaction = 0.5 / bv_rate;
    // Depletion: one step may not deposit more Li (dv h' Δη) than the cell's ions hold,
    // c_ref-scale site fractions: dt dv h'max² L_η e^{α F |V|} / c_ref < 1/2.
    let depletion = 0.5 * n.reference_fraction
        / (n.site_ratio * 1.875 * 1.875 * n.kinetic * (n.alpha * n.f_over_rt * v).exp());
    let reaction = reaction.min(depletion);
    let mut dt = allen_cahn.min(reaction);
    if p.transport == Transport::Full && p.li_step == LiStep::Explicit {
        // 2d face weights, plus one for the reservoir face half a cell away (weight 2), so
        // that every update stays monotone, boundary cells included.
        let d_eff = n.diffusivity / (1.0 - c_max);
        dt = dt.min(dx2 / ((2.0 * d + 1.0) * d_eff));
    }
    p.time_step_safety * dt
}

pub struct Dendrite {
    grid: Grid,
    pub params: DendriteParams,
    pub numbers: ModelNumbers,
    domain: Arc<Domain>,
    eta: [Field; 2],
    /// η's master copy in fixed point (an i32 field, η · 2^30) and the f32 remainder carried
    /// from each step's rounding (step.wgsl): `eta` holds its f32 copies.
    eta_fixed: Field,
    eta_remainder: Field,
    rho: [Field; 2],
    /// ρ's master copy in fixed point (ρ · 2^24) and its remainder, as for η.
    rho_fixed: Field,
    rho_remainder: Field,
    w: [Field; 2],
    phi: Field,
    c: Field,
    /// Which of `eta`/`rho`/`w`/`counter` holds the current state.
    current: usize,
    step_kernel: Kernel,
    /// Bind groups [writes c][from which buffer of each pair].
    step_bg: [[Vec<wgpu::BindGroup>; 2]; 2],
    /// Step parameters: [0] for steps that leave c alone, [1] for the last step of a batch,
    /// which writes it (WRITE_CONCENTRATION in dendrite/include/dendrite_params.wgsl).
    step_uniform: [wgpu::Buffer; 2],
    /// The noise's step counter, read from one and its successor written to the other.
    counter: [wgpu::Buffer; 2],
    uniform_dt: f64,
    seed: u32,
    potential: Potential,
    columns: ColumnKernel,
    /// Simulated time since the last potential solve (s): the source's Δt.
    since_solve: f64,
    /// Whether warm starts are extrapolated (on unless a test or bench turns it off).
    extrapolate: bool,
    pub last_solve: SolveReport,
    /// Potential solves and their CG iterations since the run started (checkpointed).
    pub solve_totals: (u64, u64),
    /// With MESOLYTE_PROFILE_SOLVES set: host seconds spent in potential solves, each timed
    /// from a drained queue, and when the model was built.
    solve_profile: Option<(f64, Instant)>,
    /// Metal Li (site-fraction sum) at the start, and at the previous metrics call with its time.
    initial_metal: f64,
    previous_metal: (f64, f64),
    /// The implicit Li step, when `li_step = "implicit"` with full transport.
    implicit: Option<implicit_li::ImplicitLi>,
}

/// Flag bit of the step that also writes the concentration c
/// (dendrite/include/dendrite_params.wgsl).
const WRITE_CONCENTRATION: u32 = 8;
/// Flag bit of the step that moves η only (the implicit Li step follows).
const ETA_ONLY: u32 = 16;

/// Units per unit η and ρ of the fixed-point master copies (ETA_SCALE and RHO_SCALE in
/// shaders/dendrite/step.wgsl).
const ETA_FIXED_SCALE: f64 = (1u64 << 30) as f64;
const RHO_FIXED_SCALE: f64 = (1u64 << 24) as f64;

/// Values as a fixed-point master copy of step.wgsl with `scale` units per unit (rounded).
fn fixed_point(values: &[f32], scale: f64) -> Vec<i32> {
    values
        .iter()
        .map(|&v| (v as f64 * scale).round() as i32)
        .collect()
}

impl Dendrite {
    pub fn new(gpu: &Gpu, grid: Grid, params: DendriteParams, seed: u64) -> Result<Dendrite> {
        let numbers = ModelNumbers::from_params(&params, grid.dx);
        let periodic = params.side_boundary == SideBoundary::Periodic;
        // The chunking axis is a side axis (y in 2D, z in 3D): it wraps when the sides do.
        let domain = Domain::new(gpu, grid, periodic)?;
        let f = |name: &str| Field::new(gpu, &domain, name);
        let eta = [f("xi"), f("xi")];
        // η's fixed-point master copy and its rounding remainder (step.wgsl).
        let fixed = |name: &str| Field::typed(gpu, &domain, name, Element::I32);
        let (eta_fixed, eta_remainder) = (fixed("xi_fixed"), f("xi_remainder"));
        let rho = [f("rho"), f("rho")];
        let (rho_fixed, rho_remainder) = (fixed("rho_fixed"), f("rho_remainder"));
        let w = [f("w"), f("w")];
        let (phi, c) = (f("phi_V"), f("c_li_mol_m3"));
        let step_kernel = Kernel::shaped(gpu, "dendrite/step.wgsl", &domain)?;
        use wgpu::BufferUsages as U;
        let step_uniform = [0, 1].map(|_| {
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("dendrite step params"),
                size: std::mem::size_of::<StepParams>() as u64,
                usage: U::STORAGE | U::COPY_DST,
                mapped_at_creation: false,
            })
        });
        let counter = [0, 1].map(|_| {
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("step counter"),
                size: 16,
                usage: U::STORAGE | U::COPY_DST,
                mapped_at_creation: false,
            })
        });
        let step_bg = [0, 1].map(|writes_c| {
            [0, 1].map(|from| {
                // By the names of step.wgsl's variables: most of these are f32 fields, so a
                // swap in a positional list would run, wrongly.
                step_kernel.bind_chunks_named(gpu, &domain, |k| {
                    vec![
                        ("p", &step_uniform[writes_c]),
                        ("eta_in", &eta[from].buffers[k]),
                        ("w_in", &w[from].buffers[k]),
                        ("phi_in", &phi.buffers[k]),
                        ("rho_in", &rho[from].buffers[k]),
                        ("eta_out", &eta[1 - from].buffers[k]),
                        ("rho_out", &rho[1 - from].buffers[k]),
                        ("step_counter", &counter[from]),
                        ("eta_fixed", &eta_fixed.buffers[k]),
                        ("eta_remainder", &eta_remainder.buffers[k]),
                        ("rho_fixed", &rho_fixed.buffers[k]),
                        ("rho_remainder", &rho_remainder.buffers[k]),
                        ("w_out", &w[1 - from].buffers[k]),
                        ("c_out", &c.buffers[k]),
                        ("step_counter_out", &counter[1 - from]),
                    ]
                })
            })
        });
        let potential = Potential::new(
            gpu,
            &domain,
            [&eta[0], &eta[1]],
            &phi,
            params.potential_preconditioner,
        )?;
        let columns = ColumnKernel::new(gpu, &domain)?;
        let implicit = if params.li_step == LiStep::Implicit && params.transport == Transport::Full
        {
            let fields = implicit_li::LiFields {
                step_uniform: &step_uniform,
                eta: &eta,
                rho: &rho,
                w: &w,
                phi: &phi,
                rho_fixed: &rho_fixed,
                rho_remainder: &rho_remainder,
                c: &c,
            };
            Some(implicit_li::ImplicitLi::new(gpu, &domain, &fields)?)
        } else {
            None
        };

        // Initial state: η from the substrate and nuclei, w = 0 (bulk), ρ(η, 0), φ ≈ V h(η).
        let seeds = initial::nuclei(&params, &grid, seed);
        let eta0 = initial::phase_field(&params, &numbers, &grid, &seeds);
        let rho0: Vec<f32> = eta0
            .iter()
            .map(|&e| numbers.li_density(e as f64, 0.0) as f32)
            .collect();
        let c0: Vec<f32> = eta0
            .iter()
            .map(|&e| {
                (numbers.bulk_fraction
                    * (1.0 - ModelNumbers::h(e as f64))
                    * params.electrolyte_site_density_mol_m3) as f32
            })
            .collect();
        let phi0: Vec<f32> = eta0
            .iter()
            .map(|&e| (numbers.voltage * ModelNumbers::h(e as f64)) as f32)
            .collect();
        eta[0].upload(gpu, &eta0)?;
        eta_fixed.upload_as(gpu, &fixed_point(&eta0, ETA_FIXED_SCALE))?;
        rho[0].upload(gpu, &rho0)?;
        rho_fixed.upload_as(gpu, &fixed_point(&rho0, RHO_FIXED_SCALE))?;
        c.upload(gpu, &c0)?;
        phi.upload(gpu, &phi0)?;
        w[0].upload(gpu, &vec![0.0; eta0.len()])?;
        potential.set_reference(gpu, &eta[0]);

        let mut model = Dendrite {
            grid,
            params,
            numbers,
            domain,
            eta,
            eta_fixed,
            eta_remainder,
            rho,
            rho_fixed,
            rho_remainder,
            w,
            phi,
            c,
            current: 0,
            step_kernel,
            step_bg,
            step_uniform,
            counter,
            uniform_dt: f64::NAN,
            seed: seed as u32,
            potential,
            columns,
            since_solve: 0.0,
            extrapolate: true,
            last_solve: SolveReport::default(),
            solve_totals: (0, 0),
            solve_profile: std::env::var_os(PROFILE_SOLVES_VAR).map(|_| (0.0, Instant::now())),
            initial_metal: 0.0,
            previous_metal: (0.0, 0.0),
            implicit,
        };
        model
            .solve_potential(gpu)
            .context("the initial potential solve (t = 0)")?;
        let metal = model.measure(gpu).metal_sum;
        model.initial_metal = metal;
        model.previous_metal = (metal, 0.0);
        Ok(model)
    }

    /// The step's flag bits (dendrite/include/dendrite_params.wgsl), WRITE_CONCENTRATION aside.
    fn flags(&self) -> u32 {
        let p = &self.params;
        self.periodic_flag()
            | (u32::from(p.far_boundary == FarBoundary::Closed) << 1)
            | (u32::from(p.transport == Transport::Pinned) << 2)
            | if self.implicit.is_some() { ETA_ONLY } else { 0 }
    }

    fn write_step_uniform(&mut self, gpu: &Gpu, dt: f64) {
        let n = &self.numbers;
        let u = StepParams {
            dx: n.dx as f32,
            dt: dt as f32,
            kappa: n.kappa as f32,
            barrier: n.barrier as f32,
            mobility: n.mobility as f32,
            kinetic: n.kinetic as f32,
            alpha: n.alpha as f32,
            f_over_rt: n.f_over_rt as f32,
            diffusivity: n.diffusivity as f32,
            site_ratio: n.site_ratio as f32,
            eps_liquid: n.epsilon_liquid as f32,
            inv_ref_fraction: (1.0 / n.reference_fraction) as f32,
            aniso_strength: self.params.anisotropy_strength as f32,
            aniso_mode: self.params.anisotropy_mode as f32,
            noise_step: (n.noise * dt.sqrt()) as f32,
            bulk_fraction: n.bulk_fraction as f32,
            sites_mol_m3: self.params.electrolyte_site_density_mol_m3 as f32,
            seed: self.seed,
            flags: self.flags(),
            _pad: 0,
        };
        let writes_c = StepParams {
            flags: u.flags | WRITE_CONCENTRATION,
            ..u
        };
        for (buffer, params) in self.step_uniform.iter().zip([u, writes_c]) {
            gpu.queue
                .write_buffer(buffer, 0, bytemuck::bytes_of(&params));
        }
        self.uniform_dt = dt;
    }

    /// Solves the charge equation for the current η, with the deposition source averaged
    /// since the previous solve.
    pub fn solve_potential(&mut self, gpu: &Gpu) -> Result<SolveReport> {
        let n = &self.numbers;
        let source_scale = if self.since_solve > 0.0 {
            -n.dx * n.dx * n.charge_source / self.since_solve
        } else {
            0.0
        };
        let params = PotentialParams {
            voltage: n.voltage as f32,
            sigma_electrode: n.sigma_electrode as f32,
            sigma_electrolyte: n.sigma_electrolyte as f32,
            source_scale: source_scale as f32,
            flags: self.periodic_flag(),
            _pad: [0; 3],
        };
        if self.solve_profile.is_some() {
            gpu.wait();
        }
        let started = Instant::now();
        let report = self.potential.solve(
            gpu,
            self.current,
            &self.phi,
            params,
            SolveControl {
                tolerance: self.params.potential_tolerance,
                max_iterations: self.params.potential_max_iterations as u32,
                max_iterations_key: "dendrite.potential_max_iterations",
                // The first solve has no last change to move along.
                warm_step_max: if self.extrapolate && self.solve_totals.0 > 0 {
                    MAX_WARM_STEP as f32
                } else {
                    0.0
                },
            },
        )?;
        self.potential.set_reference(gpu, &self.eta[self.current]);
        self.since_solve = 0.0;
        self.last_solve = report;
        self.solve_totals.0 += 1;
        self.solve_totals.1 += report.iterations as u64;
        if let Some((wall, _)) = &mut self.solve_profile {
            *wall += started.elapsed().as_secs_f64();
        }
        Ok(report)
    }

    /// Mean CG iterations of the potential solves so far (0 before the first).
    pub fn mean_solve_iterations(&self) -> f64 {
        let (solves, iterations) = self.solve_totals;
        iterations as f64 / solves.max(1) as f64
    }

    /// Turns the potential's extrapolated warm start off (each solve then starts from φ as it
    /// is) or on; for comparisons in tests and benches.
    pub fn set_warm_start_extrapolation(&mut self, on: bool) {
        self.extrapolate = on;
    }

    /// Iterations the potential solver queues per read-back of its residual (default 1 with
    /// multigrid, 16 with Jacobi). Performance only: results do not depend on it (tested).
    pub fn set_potential_batch(&mut self, iterations: u32) {
        self.potential.solver.set_batch(iterations);
    }

    /// Dispatches of one multigrid preconditioning in the potential solver: the V-cycle and
    /// the CG sums of its result (None with Jacobi).
    pub fn potential_precondition_dispatches(&self, gpu: &Gpu) -> Option<usize> {
        self.potential.solver.dispatches_per_precondition(gpu)
    }

    /// For the bench: queues the coarse operators' build and `count` V-cycles on the potential
    /// solver's current residual, without waiting (EllipticSolver::submit_vcycles). False
    /// with the Jacobi preconditioner.
    pub fn submit_potential_vcycles(&self, gpu: &Gpu, count: u32) -> bool {
        self.potential.solver.submit_vcycles(gpu, count)
    }

    /// Replaces η (all cells, storage order) and makes it the potential source's reference;
    /// for verification set-ups such as conductors in series.
    pub fn set_phase_field(&mut self, gpu: &Gpu, eta: &[f32]) -> Result<()> {
        self.eta[self.current].upload(gpu, eta)?;
        self.eta_fixed
            .upload_as(gpu, &fixed_point(eta, ETA_FIXED_SCALE))?;
        self.eta_remainder.upload(gpu, &vec![0.0; eta.len()])?;
        self.potential.set_reference(gpu, &self.eta[self.current]);
        self.since_solve = 0.0;
        Ok(())
    }

    pub fn eta(&self) -> &Field {
        &self.eta[self.current]
    }

    pub fn rho(&self) -> &Field {
        &self.rho[self.current]
    }

    pub fn w(&self) -> &Field {
        &self.w[self.current]
    }

    pub fn phi(&self) -> &Field {
        &self.phi
    }

    pub fn concentration(&self) -> &Field {
        &self.c
    }

    pub fn measure(&self, gpu: &Gpu) -> Columns {
        let params = ColumnParams {
            dx: self.numbers.dx as f32,
            site_ratio: self.numbers.site_ratio as f32,
            flags: self.periodic_flag(),
            _pad: 0,
        };
        self.columns
            .measure(gpu, params, self.eta(), self.rho(), self.w())
    }

    /// Metrics now, with the current density averaged since `since` = (metal Li sum, time);
    /// also returns the metal Li sum, the reference for the next call.
    fn metrics_since(&self, gpu: &Gpu, since: (f64, f64), now: f64) -> (Vec<Metric>, f64) {
        let cols = self.measure(gpu);
        let um = LENGTH_M;
        let base = self.params.interface_position_m;
        let heights: Vec<f64> = cols.thickness.iter().map(|t| t * um - base).collect();
        let n = heights.len() as f64;
        let mean = heights.iter().sum::<f64>() / n;
        let roughness = (heights.iter().map(|h| (h - mean).powi(2)).sum::<f64>() / n).sqrt();
        let tip = cols.tip.iter().cloned().fold(0.0, f64::max) * um - base;
        let dx = self.grid.dx;
        let area = cols.gradient_sum
            * dx
            * dx
            * if self.grid.is_3d() {
                1.0
            } else {
                self.grid.dz / dx
            };
        let deposited = self.moles(cols.metal_sum - self.initial_metal);
        let (prev_metal, prev_time) = since;
        let current = if now > prev_time {
            self.params.charge_number * FARADAY * self.moles(cols.metal_sum - prev_metal)
                / (now - prev_time)
                / self.electrode_area()
        } else {
            0.0
        };
        let metrics = vec![
            ("tip_height_m".into(), tip),
            ("mean_height_m".into(), mean),
            ("roughness_m".into(), roughness),
            ("interface_area_m2".into(), area),
            ("li_deposited_mol".into(), deposited),
            // Li per volume of the metal grown since the start (dv C_l = 81 900 mol/m³ for a
            // fully dense deposit; issue 21): an interface that starves the metal of Li shows
            // here before it shows in the front. 0 until the metal has grown by 1 % of a cell.
            (
                "deposit_li_density_mol_m3".into(),
                if mean.abs() > 0.01 * dx {
                    deposited / (mean * self.electrode_area())
                } else {
                    0.0
                },
            ),
            ("li_total_mol".into(), self.moles(cols.li_sum)),
            ("current_density_A_m2".into(), current),
            (
                "potential_iterations".into(),
                self.last_solve.iterations as f64,
            ),
            ("potential_residual".into(), self.last_solve.residual),
            // Ions piling up in front of the electrode shrink it (D/(1 - c_l)): this says
            // why a run slows down.
            ("time_step_s".into(), self.planned_dt(gpu)),
        ];
        (metrics, cols.metal_sum)
    }

    /// The stable step (s) for the fields as they are now: planned for the highest ion site
    /// fraction on the grid, with headroom for its rise during the coming batch of steps
    /// (the guard stops the run if it reaches MAX_SITE_FRACTION).
    fn planned_dt(&self, gpu: &Gpu) -> f64 {
        let c_now = field_max(gpu, &self.c) / self.params.electrolyte_site_density_mol_m3;
        let c_plan = (c_now + 0.5 * (1.0 - c_now)).clamp(NOMINAL_SITE_FRACTION, MAX_SITE_FRACTION);
        stable_dt_at(&self.params, &self.grid, c_plan)
    }

    /// The GPU flag bit for periodic side faces.
    fn periodic_flag(&self) -> u32 {
        u32::from(self.params.side_boundary == SideBoundary::Periodic)
    }

    /// Electrode area (m²): a 2D grid counts with depth dz.
    fn electrode_area(&self) -> f64 {
        let l = self.grid.lengths();
        l[1] * if self.grid.is_3d() {
            l[2]
        } else {
            self.grid.dz
        }
    }

    /// Amount of Li (mol) for a sum of site fractions over cells.
    fn moles(&self, site_sum: f64) -> f64 {
        site_sum * self.params.electrolyte_site_density_mol_m3 * self.grid.cell_volume()
    }

    /// One step with the implicit Li balance: η explicitly (the step kernel, η only), w* by
    /// the Li solve, then ρ and w from its fluxes, and c if `writes_c`.
    fn implicit_step(&mut self, gpu: &Gpu, writes_c: bool) -> Result<()> {
        let from = self.current;
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        let mut rec = Recorder::new(&mut enc);
        let groups = &self.step_bg[usize::from(writes_c)][from];
        self.domain
            .dispatch(rec.pass(), self.step_kernel.pipeline(), groups);
        self.eta[1 - from].exchange_chunk_halos(&mut rec);
        drop(rec);
        gpu.submit(enc.finish());
        let li = self.implicit.as_mut().expect("an implicit Li step");
        li.solve(gpu, from, self.params.potential_max_iterations as u32)?;
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        let mut rec = Recorder::new(&mut enc);
        li.encode_update(&mut rec, from, writes_c);
        self.rho[1 - from].exchange_chunk_halos(&mut rec);
        self.w[1 - from].exchange_chunk_halos(&mut rec);
        drop(rec);
        gpu.submit(enc.finish());
        self.current = 1 - from;
        Ok(())
    }

    /// One explicit step: η, ρ and w from the current buffers into the other ones, and c if
    /// `writes_c` (the last step before the host may read it).
    fn encode_step(&mut self, rec: &mut Recorder, writes_c: bool) {
        let from = self.current;
        let groups = &self.step_bg[usize::from(writes_c)][from];
        self.domain
            .dispatch(rec.pass(), self.step_kernel.pipeline(), groups);
        self.current = 1 - from;
        // Stencils read η, ρ, w and φ through side_index / neighbour_on, which wrap a
        // one-chunk grid inside its buffer: halo passes only between chunks.
        self.eta[self.current].exchange_chunk_halos(rec);
        self.rho[self.current].exchange_chunk_halos(rec);
        self.w[self.current].exchange_chunk_halos(rec);
    }
}

impl Model for Dendrite {
    fn stable_dt(&mut self, gpu: &Gpu) -> Result<f64> {
        Ok(self.planned_dt(gpu))
    }

    fn advance(&mut self, gpu: &Gpu, from: Moment, steps: u64, dt: f64) -> Result<u64> {
        let first_step = from.step;
        // The time of each step, for messages only: the loop keeps the clock.
        let mut time = from.time;
        if dt != self.uniform_dt {
            self.write_step_uniform(gpu, dt);
        }
        gpu.queue.write_buffer(
            &self.counter[self.current],
            0,
            bytemuck::bytes_of(&(first_step as u32)),
        );
        let every = self.params.potential_every_steps;
        let end = first_step + steps;
        let mut step = first_step;
        while step < end {
            if step.is_multiple_of(every) && step > 0 {
                self.solve_potential(gpu).with_context(|| {
                    format!(
                        "the potential solve at step {step}, t = {time:.4e} s (the last good \
                         output is kept)"
                    )
                })?;
            }
            // The steps up to the next solve, in one submission and one compute pass.
            let stop = ((step / every + 1) * every).min(end);
            if self.implicit.is_some() {
                for s in step..stop {
                    self.implicit_step(gpu, s + 1 == end).with_context(|| {
                        format!(
                            "the implicit Li solve at step {s}, t = {time:.4e} s (the last \
                             good output is kept)"
                        )
                    })?;
                    self.since_solve += dt;
                    time += dt;
                }
                step = stop;
                continue;
            }
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            let mut rec = Recorder::new(&mut enc);
            for s in step..stop {
                // c is read only between advances (time-step plan, guards, outputs).
                self.encode_step(&mut rec, s + 1 == end);
                self.since_solve += dt;
                time += dt;
            }
            drop(rec);
            gpu.submit(enc.finish());
            step = stop;
        }
        Ok(steps)
    }

    fn state_fields(&self) -> Vec<&Field> {
        let mut fields = vec![
            self.eta(),
            self.rho(),
            self.w(),
            &self.phi,
            &self.c,
            &self.potential.eta_ref,
            self.potential.solver.x_prev(),
            &self.eta_fixed,
            &self.eta_remainder,
            &self.rho_fixed,
            &self.rho_remainder,
        ];
        if let Some(li) = &self.implicit {
            fields.extend([&li.w_star, li.solver.x_prev()]);
        }
        fields
    }

    fn pictures(&self) -> PictureSpec {
        PictureSpec {
            fields: vec!["xi", "c_li_mol_m3"],
            interface: Some(("xi", 0.5)),
            ..PictureSpec::default()
        }
    }

    fn output_fields(&self) -> Vec<OutputField<'_>> {
        vec![
            OutputField::scalar("xi", self.eta()),
            OutputField::scalar("c_li_mol_m3", &self.c),
            OutputField::scalar("phi_V", &self.phi),
            OutputField::scalar("w", self.w()),
        ]
    }

    fn step_hint(&self) -> &'static str {
        if self.implicit.is_some() {
            return "With the implicit Li step the step is limited by the Allen-Cahn and \
                    Butler-Volmer terms: ions piling up ahead of the deposit raise the \
                    cathodic rate and shrink it (docs/models/dendrite.md, Time stepping).";
        }
        "The step is limited by Li transport, D/(1 - c): ions piling up near the sites' \
         saturation ahead of the deposit, or close to the far (bulk) boundary, shrink it \
         (docs/models/dendrite.md, Time stepping)."
    }

    fn guards(&self) -> Vec<Guard> {
        let v = self.numbers.voltage as f32;
        let c_max = (MAX_SITE_FRACTION * self.params.electrolyte_site_density_mol_m3) as f32;
        vec![
            Guard {
                field: "xi".into(),
                lo: -0.25,
                hi: 1.25,
                hint: "",
            },
            // Near saturation Li transport stiffens without bound (D/(1 - c_l)).
            Guard {
                field: "c_li_mol_m3".into(),
                lo: 0.0,
                hi: c_max,
                hint: "Li ions have filled the electrolyte's sites. They pile up where the \
                       field drives them onto the metal faster than they diffuse away: \
                       ahead of a deposit that has come close to the far (bulk) boundary, \
                       where the applied voltage falls over a few cells (a longer grid along \
                       x, an earlier run.end_time or dendrite.stop_tip_height_m avoids \
                       that), or, at a large dendrite.applied_voltage_V, in front of the \
                       whole electrode (docs/models/dendrite.md, Boundaries).",
            },
            Guard {
                field: "phi_V".into(),
                lo: v.min(0.0) - 0.05,
                hi: v.max(0.0) + 0.05,
                hint: "",
            },
        ]
    }

    fn metrics(&mut self, gpu: &Gpu, now: Moment) -> Result<Vec<Metric>> {
        let (m, metal) = self.metrics_since(gpu, self.previous_metal, now.time);
        self.previous_metal = (metal, now.time);
        if let Some((wall, since)) = self.solve_profile {
            let total = since.elapsed().as_secs_f64();
            eprintln!(
                "[{PROFILE_SOLVES_VAR}] t = {:.4} s: {} potential solves, {:.2} iterations each; \
                 {wall:.2} s of {total:.2} s wall in solves ({:.0} %)",
                now.time,
                self.solve_totals.0,
                self.mean_solve_iterations(),
                100.0 * wall / total.max(1e-9)
            );
        }
        Ok(m)
    }

    /// With `stop_tip_height_m`, the run ends once the tip has reached it. The tip is
    /// measured here, on the fields as they are, so the answer does not depend on whether
    /// `metrics` ran first (the loop asks after each batch and at each output).
    fn finished(&mut self, gpu: &Gpu) -> Result<bool> {
        let Some(stop) = self.params.stop_tip_height_m else {
            return Ok(false);
        };
        let cols = self.measure(gpu);
        let tip = cols.tip.iter().cloned().fold(0.0, f64::max) * LENGTH_M
            - self.params.interface_position_m;
        Ok(tip >= stop)
    }

    fn summary(&mut self, gpu: &Gpu, now: Moment) -> Result<Vec<Metric>> {
        // Current density averaged over the whole run, not since the last output (which is
        // the current time at the end of a run).
        let (mut m, _) = self.metrics_since(gpu, (self.initial_metal, 0.0), now.time);
        let tip = m[0].1;
        let mean = m[1].1;
        m.push((
            "dendrite_index".into(),
            if mean > 0.0 { tip / mean } else { f64::NAN },
        ));
        m.push(("potential_solves".into(), self.solve_totals.0 as f64));
        m.push((
            "potential_iterations_per_solve".into(),
            self.mean_solve_iterations(),
        ));
        if let Some(li) = &self.implicit {
            let (solves, iterations) = li.totals;
            m.push(("li_solves".into(), solves as f64));
            m.push((
                "li_iterations_per_solve".into(),
                iterations as f64 / solves.max(1) as f64,
            ));
        }
        Ok(m)
    }

    fn save_scalars(&self) -> serde_json::Value {
        let li = self.implicit.as_ref().map_or((0, 0), |li| li.totals);
        serde_json::json!({
            "li_solves": li.0,
            "li_iterations": li.1,
            "since_solve": self.since_solve,
            "solves": self.solve_totals.0,
            "solve_iterations": self.solve_totals.1,
            "initial_metal": self.initial_metal,
            "previous_metal": [self.previous_metal.0, self.previous_metal.1],
            "iterations": self.last_solve.iterations,
            "residual": self.last_solve.residual,
        })
    }

    fn restore_scalars(&mut self, v: &serde_json::Value) -> Result<()> {
        let num = |k: &str| {
            v[k].as_f64()
                .ok_or_else(|| anyhow::anyhow!("checkpoint lacks dendrite scalar {k}"))
        };
        self.since_solve = num("since_solve")?;
        self.solve_totals = (num("solves")? as u64, num("solve_iterations")? as u64);
        self.initial_metal = num("initial_metal")?;
        self.previous_metal = (
            v["previous_metal"][0].as_f64().unwrap_or(0.0),
            v["previous_metal"][1].as_f64().unwrap_or(0.0),
        );
        self.last_solve = SolveReport {
            iterations: num("iterations")? as u32,
            residual: num("residual")?,
        };
        if let Some(li) = &mut self.implicit {
            li.totals = (num("li_solves")? as u64, num("li_iterations")? as u64);
        }
        Ok(())
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    #[test]
    fn step_params_match_wgsl() {
        crate::gpu::wgsl_layout::layout!(
            StepParams,
            "dendrite/step.wgsl",
            "StepParams",
            [
                dx,
                dt,
                kappa,
                barrier,
                mobility,
                kinetic,
                alpha,
                f_over_rt,
                diffusivity,
                site_ratio,
                eps_liquid,
                inv_ref_fraction,
                aniso_strength,
                aniso_mode,
                noise_step,
                bulk_fraction,
                sites_mol_m3,
                seed,
                flags,
                _pad
            ]
        );
    }
}
