//! The superfill model on the GPU: its fields, one step of the level set, surface
//! accelerator and dissolved species, reinitialisation, and what it reports.
//!
//! A step (operator split, explicit coupling, as FiPy's simpleTrenchSystem):
//! 1. extend the interface cells' velocity and coverage off the interface (extend.wgsl,
//!    which also tallies the step's deposited volume for the Faraday check);
//! 2. move φ (advect.wgsl, two stages), then recompute the interface cells and areas
//!    (interface.wgsl) and hand the surface accelerator of cells that turned metal to the
//!    new interface cells (transfer.wgsl), which conserves it exactly;
//! 3. coverage on the moved interface (coverage.wgsl), then (every `species_every` steps)
//!    one backward-Euler step of Cu²⁺ and of the accelerator in solution over the time
//!    since the last solve, each a linear solve on the engine's elliptic solver with the
//!    interface sinks and the top's Robin closure (species_setup.wgsl);
//! 4. every `reinit_every` steps, reinitialise φ to a signed distance (reinit.wgsl) and
//!    recompute the areas and coverage; then cap θ at 1 and adsorb accelerator with the
//!    last solved concentration, after a solve reckoning the steps since the previous one
//!    with its change (adsorb.wgsl), and recompute coverage and velocity for the next step.

use anyhow::Result;
use std::sync::Arc;

use super::analysis::{self, FillState};
use super::kernels::{Kernels, StepParams, M_SCALE};
use super::params::{SuperfillParams, TOP_MARGIN_CELLS};
use super::shape;
use crate::gpu::{
    field_max, field_stats, Along, AxisReduce, CellList, Domain, Element, Field, Gpu, Recorder,
    StatsQuery,
};
use crate::grid::Grid;
use crate::models::contract::{Guard, Metric, Model, Moment, OutputField, PictureSpec};
use crate::solvers::{
    Coarsening, CorrectionMemory, EllipticSolver, FineOperator, Preconditioner, SolveControl,
};

/// Reinitialisation iterations per band cell (the distance travels dtau cells per iteration).
fn reinit_iterations(p: &SuperfillParams, grid: &Grid, initial: bool) -> u32 {
    let reach = if initial { 2.0 } else { 1.0 } * p.band_cells;
    let n = (reach / super::kernels::reinit_dtau(grid.is_3d())).ceil() as u32 + 2;
    n + n % 2
}

/// Plans of the time step between two readings of the metal columns (Robin closure and
/// the box-top check): the front moves at most a cell per five steps.
const COLUMN_PLANS: u64 = 5;

/// Steps between two samples of the centre and field heights for the fill's events (fill
/// time, incubation): outputs alone made them depend on the output interval (a fill time
/// interpolated between outputs 2 s apart was 9 % late).
const HEIGHT_SAMPLE_STEPS: u64 = 5;

/// Steps between two void censuses (the whole level set read back and its electrolyte
/// labelled on the CPU, as at an output), a multiple of `HEIGHT_SAMPLE_STEPS`: every 25
/// steps up to 500 000 cells, then 5 steps more per 100 000 cells, so that a census costs
/// about as much per step on any larger grid (the 612 000-cell via: every 35 steps).
fn void_census_steps(grid: &Grid) -> u64 {
    HEIGHT_SAMPLE_STEPS * grid.cells().div_ceil(100_000).max(5)
}

/// The cells of the feature's axis column and of the far column (the field), bottom to top:
/// the columns `analysis::analyse` reads the heights on.
fn height_probe(grid: &Grid) -> Vec<u64> {
    let (n, stride, far) = analysis::height_columns(grid);
    let column = |start: usize| (0..n).map(move |k| (start + k * stride) as u64);
    column(0).chain(column(far)).collect()
}

/// Cells the widest stencils reach (extend.wgsl; transfer.wgsl, whose receivers' normals
/// read a cell beyond the giver's neighbours, and whose forward pass is split in two,
/// `gather` and `forward`, to stay within it), the ghost planes of a chunked field.
pub const STENCIL_REACH: u32 = 3;

/// The surface kernels (coverage, the transfer's passes, adsorption) run over the cells
/// within this many cells of the zero level, or within the band where that is narrower
/// (`near`). They change cells within about 3: the interface cells (|φ| up to about 1.5
/// cells), cells that were interface cells since the last solve (the front travels about a
/// cell between solves), and the transfer's receivers, a cell beyond its givers; φ is a
/// distance to within the few per cent the steps between reinitialisations let it drift.
const NEAR_CELLS: f64 = 5.0;

/// The limit on |φ| of the cells the surface kernels run over (`NEAR_CELLS`), in φ's units.
fn near_limit(p: &SuperfillParams, grid: &Grid) -> f32 {
    (NEAR_CELLS.min(p.band_cells) * grid.dx) as f32
}

fn counted_before_censuses() -> bool {
    true
}

/// Output names.
pub const PHI: &str = "phi_m";
pub const THETA: &str = "theta";
pub const CU: &str = "c_cu_mol_m3";
pub const ACC: &str = "c_acc_mol_m3";
pub const METAL: &str = "metal";
pub const VOID_ID: &str = "void_id";
pub const VELOCITY: &str = "velocity_m_s";
pub const SEAM: &str = "seam";
pub const THETA_LEVELER: &str = "theta_leveler";
pub const LEVELER: &str = "c_lev_mol_m3";

/// A look at the fill at one time (a height sample, a void census or an output), kept for
/// the summary's events.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    pub time: f64,
    pub centre: f64,
    pub field: f64,
    /// Voids and the largest one's cells, as of the last census or output.
    pub voids: usize,
    #[serde(default)]
    pub largest_void: usize,
    /// Whether the voids were counted at this look (a census or an output). Checkpoints
    /// from before the census held output samples (counted) and height samples carrying
    /// the last output's count: taken as counted, they compare as they did.
    #[serde(default = "counted_before_censuses")]
    pub counted: bool,
}

impl Sample {
    /// The look of a census or an output: heights and voids from the whole level set.
    fn counted(time: f64, s: &FillState) -> Sample {
        Sample {
            time,
            centre: s.centre_height,
            field: s.field_height,
            voids: s.void_count,
            largest_void: s.largest_void_cells,
            counted: true,
        }
    }
}

pub struct Superfill {
    pub params: SuperfillParams,
    grid: Grid,
    domain: Arc<Domain>,
    k: Kernels,
    uniform: wgpu::Buffer,
    /// φ, double-buffered; `cur` holds the state.
    pub phi: [Field; 2],
    cur: usize,
    /// Stage-1 φ of the advection, and φ0 of a reinitialisation.
    phi_stage: Field,
    /// The cells near the interface (NEAR_CELLS), rebuilt whenever φ moves
    /// (`encode_interface`), over which the surface kernels run.
    near: CellList,
    /// Surface accelerator (i32 fixed point, θ × area × M_SCALE): [0] holds the state, [1]
    /// what the transfer's forward pass leaves for its main pass.
    pub amount: [Field; 2],
    /// The leveler's surface amounts, held and moved as `amount`.
    amount_lev: [Field; 2],
    /// What each cell turning metal passes on in the transfer's forward pass (scratch).
    passed: Field,
    pub area: Field,
    metal_frac: Field,
    /// Sums of `metal_frac` along the vertical: each column's metal height.
    columns: AxisReduce,
    /// Largest `metal_frac` of each horizontal plane: the highest metal whatever lies below
    /// it (a column's sum misses the height of a void inside it). None where a chunk's
    /// planes' accumulators (96 B a plane) would not fit one binding (`AxisReduce::fits`),
    /// which takes planes of fewer than 24 cells under a binding cap a few chunks' planes
    /// wide (tests that force chunks on narrow boxes): the guard then reads the columns
    /// alone. Any other error in building it is the model's own, and stops it.
    rows: Option<AxisReduce>,
    seam: Field,
    pub theta_cell: Field,
    pub vel_cell: Field,
    pub vel_ext: Field,
    pub theta_ext: Field,
    theta_lev_cell: Field,
    theta_lev_ext: Field,
    /// Deposited volume per cell from Faraday's law, in cell volumes.
    pub deposited: Field,
    /// Accelerator released by the cap since the last solve, which returns it (adsorb.wgsl).
    excess: Field,
    pub c_cu: Field,
    pub c_acc: Field,
    /// The concentration solves' unknowns: each step's change of c_cu and c_acc (transient:
    /// solved from zero and added within the step, so not part of a checkpoint).
    delta_cu: Field,
    delta_acc: Field,
    /// The leveler in solution and its solve's unknown.
    pub c_lev: Field,
    delta_lev: Field,
    metal: Field,
    void_id: Field,
    cu_solver: EllipticSolver,
    acc_solver: EllipticSolver,
    lev_solver: EllipticSolver,
    /// Feature cells (the fill and void fractions are of these).
    feature: Vec<bool>,
    initial_metal_volume: f64,
    /// Diffusion layer between the box top and the bulk, m, as of the last plan.
    layer_left: f64,
    /// Highest metal column top above the box bottom, m, as of the last plan.
    deposit_top: f64,
    top_reached: bool,
    /// The fill as the level set last showed it (outputs' analysis), until φ moves.
    fill: Option<FillState>,
    /// Time-step plans so far (the columns are read every `COLUMN_PLANS`).
    plans: u64,
    /// Centre and field heights every `HEIGHT_SAMPLE_STEPS` steps and at each output.
    history: Vec<Sample>,
    messages: Vec<String>,
    /// Cells of the axis column, then of the far (field) column, bottom to top.
    height_probe: Vec<u64>,
    /// Concentration solves and their iterations so far.
    pub solves: (u64, u64),
    /// Steps made by [`Superfill::steps`], which numbers them on from call to call as a run
    /// does, so that reinitialisations and solves keep their cadence across calls.
    stepped: u64,
    /// The step the uniform holds, s.
    dt: f64,
    /// Time stepped since the last species solve, s: the next solve advances the solution
    /// over it and its own step (state: a resumed run must solve over the same intervals).
    since_solve: f64,
}

impl Superfill {
    pub fn new(gpu: &Gpu, grid: Grid, params: SuperfillParams) -> Result<Superfill> {
        // Stencils reach 3 cells (the extension, the transfer; STENCIL_REACH): a field
        // larger than one storage binding is split into chunks with 3 ghost planes a side,
        // refreshed after each kernel that writes a field a later stencil reads. The chunks
        // start at even planes, as the species solves' Gauss-Seidel smoothing needs.
        let domain = Domain::with_even_chunks_ghosts(gpu, grid, false, STENCIL_REACH)?;
        let vertical = SuperfillParams::vertical(&grid);
        let f = |name: &str| Field::new(gpu, &domain, name);
        let phi = [f(PHI), f(PHI)];
        let amount = [
            Field::typed(gpu, &domain, "theta_amount", Element::I32),
            Field::typed(gpu, &domain, "theta_amount", Element::I32),
        ];
        let c_cu = f(CU);
        let c_acc = f(ACC);
        let delta_cu = f("delta_cu");
        let delta_acc = f("delta_acc");
        let delta_lev = f("delta_lev");
        // Each solve is for a change δ and starts from δ = 0 (a solver for corrections): the
        // previous solve's δ as the start (the warm solver with no step along its change, as
        // before 2026-12-06) took more iterations (1491 against 1459 over FiPy's trench to
        // 7.8 s) and two more kernels per solve, and kept two fields more per species (x_prev,
        // and b, which a solver for corrections keeps in its residual's memory). The least
        // memory form smooths the fine level by Gauss-Seidel: FiPy's trench to 7.8 s took 796
        // V-cycles instead of 1456 with damped Jacobi (its q field gone, A p computed again
        // in the update), 15.9 s of GPU time instead of 22.1 s on lavapipe (2026-12-06). The
        // operator is split: the time term, the sink and the Robin top are kept apart from
        // the face count, which rounds them away in f32 under a thick layer (operator.rs).
        let mg = Preconditioner::Multigrid(Coarsening::EveryAxis);
        let solver = |x: &Field, label: &str| {
            let (form, memory) = (FineOperator::Split, CorrectionMemory::Least);
            EllipticSolver::for_corrections(gpu, &domain, x, mg, form, memory, label)
        };
        let cu_solver = solver(&delta_cu, "cu")?;
        let acc_solver = solver(&delta_acc, "acc")?;
        let lev_solver = solver(&delta_lev, "lev")?;
        let uniform = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("superfill params"),
            size: std::mem::size_of::<StepParams>() as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let phi0 = shape::initial_phi(&params, &grid);
        let feature = shape::feature_cells(&params, &grid, &phi0);
        let mut m = Superfill {
            k: Kernels::new(gpu, &domain)?,
            uniform,
            phi,
            cur: 0,
            phi_stage: f("phi_stage"),
            near: CellList::new(gpu, &domain, near_limit(&params, &grid))?,
            amount,
            amount_lev: [
                Field::typed(gpu, &domain, "theta_lev_amount", Element::I32),
                Field::typed(gpu, &domain, "theta_lev_amount", Element::I32),
            ],
            passed: Field::typed(gpu, &domain, "theta_amount_passed", Element::I32),
            area: f("interface_area"),
            metal_frac: f("metal_fraction"),
            columns: AxisReduce::new(gpu, &domain, vertical, Along::Columns)?,
            rows: if AxisReduce::fits(gpu, &domain, vertical, Along::Planes) {
                Some(AxisReduce::new(gpu, &domain, vertical, Along::Planes)?)
            } else {
                None
            },
            seam: Field::typed(gpu, &domain, SEAM, Element::U32),
            theta_cell: f("theta_cell"),
            vel_cell: f("velocity_cell"),
            vel_ext: f(VELOCITY),
            theta_ext: f(THETA),
            theta_lev_cell: f("theta_lev_cell"),
            theta_lev_ext: f(THETA_LEVELER),
            deposited: f("deposited"),
            excess: f("excess"),
            c_cu,
            c_acc,
            delta_cu,
            delta_acc,
            c_lev: f(LEVELER),
            delta_lev,
            metal: Field::typed(gpu, &domain, METAL, Element::U32),
            void_id: Field::typed(gpu, &domain, VOID_ID, Element::I32),
            cu_solver,
            acc_solver,
            lev_solver,
            feature,
            initial_metal_volume: 0.0,
            layer_left: 0.0,
            deposit_top: 0.0,
            top_reached: false,
            fill: None,
            plans: 0,
            history: Vec::new(),
            messages: Vec::new(),
            height_probe: height_probe(&grid),
            solves: (0, 0),
            stepped: 0,
            dt: 1.0,
            since_solve: 0.0,
            domain,
            grid,
            params,
        };
        m.phi[0].upload(gpu, &phi0)?;
        let n = grid.cells() as usize;
        m.c_cu.upload(gpu, &vec![m.params.cu_bulk as f32; n])?;
        m.c_acc.upload(gpu, &vec![m.params.acc_bulk as f32; n])?;
        m.c_lev
            .upload(gpu, &vec![m.params.leveler.bulk as f32; n])?;
        m.layer_left = m.params.boundary_layer - m.params.box_above_field(&grid);
        m.write_uniform(gpu, 1.0);
        // The combined distances are a signed distance only near the surface: reinitialise.
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        {
            let mut rec = Recorder::new(&mut enc);
            m.encode_reinit(gpu, &mut rec, reinit_iterations(&m.params, &grid, true));
            m.encode_interface(gpu, &mut rec, m.cur, m.cur);
        }
        gpu.submit(enc.finish());
        // Initial coverage θ0 on every interface cell.
        let area = m.area.download(gpu);
        let theta0 = m.params.initial_coverage;
        let amounts: Vec<i32> = area
            .iter()
            .map(|&a| (theta0 * a as f64 * M_SCALE).round() as i32)
            .collect();
        m.amount[0].upload_as(gpu, &amounts)?;
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        m.encode_coverage(gpu, &mut Recorder::new(&mut enc));
        gpu.submit(enc.finish());
        m.initial_metal_volume = m.metal_volume(gpu);
        m.plan_columns(gpu)?;
        Ok(m)
    }

    /// Writes the step parameters for steps of `dt` (a solve in them covers `dt` and the
    /// time since the last solve, `solve_dt` at the solve writes again).
    fn write_uniform(&mut self, gpu: &Gpu, dt: f64) {
        self.dt = dt;
        self.write_params(gpu, self.since_solve + dt);
    }

    fn write_params(&self, gpu: &Gpu, solve_dt: f64) {
        let u = StepParams::new(&self.params, &self.grid, self.dt, solve_dt, self.layer_left);
        gpu.queue
            .write_buffer(&self.uniform, 0, bytemuck::bytes_of(&u));
    }

    /// Bind groups of `kernel` with `fields` and the step parameters (`p`) by name, and
    /// with `near` the list of cells near the interface (`cells`).
    fn bind(
        &self,
        gpu: &Gpu,
        kernel: &crate::gpu::Kernel,
        fields: &[(&str, &Field)],
        near: bool,
    ) -> Vec<wgpu::BindGroup> {
        kernel.bind_chunks_named(gpu, &self.domain, |c| {
            let mut v: Vec<(&str, &wgpu::Buffer)> = vec![("p", &self.uniform)];
            if near {
                v.push(("cells", self.near.buffer(c)));
            }
            v.extend(fields.iter().map(|(n, f)| (*n, &f.buffers[c])));
            v
        })
    }

    /// Binds `fields` (and the step parameters as `p`) by name and dispatches over the cells.
    #[track_caller]
    fn dispatch(
        &self,
        gpu: &Gpu,
        rec: &mut Recorder,
        kernel: &crate::gpu::Kernel,
        fields: Vec<(&str, &Field)>,
    ) {
        let bind = self.bind(gpu, kernel, &fields, false);
        self.domain.dispatch(rec.pass(), kernel.pipeline(), &bind);
    }

    /// [`Superfill::dispatch`] for the surface kernels: over the cells near the interface.
    #[track_caller]
    fn dispatch_near(
        &self,
        gpu: &Gpu,
        rec: &mut Recorder,
        kernel: &crate::gpu::Kernel,
        fields: Vec<(&str, &Field)>,
    ) {
        let bind = self.bind(gpu, kernel, &fields, true);
        self.near.dispatch(rec.pass(), kernel.pipeline(), &bind);
    }

    /// Interface areas, metal fractions and seam marks of φ in buffer `new` (φ before the
    /// step in `old`), and the list of cells near it that the surface kernels run over.
    fn encode_interface(&self, gpu: &Gpu, rec: &mut Recorder, new: usize, old: usize) {
        self.dispatch(
            gpu,
            rec,
            &self.k.interface,
            vec![
                ("phi", &self.phi[new]),
                ("phi_old", &self.phi[old]),
                ("area", &self.area),
                ("metal_frac", &self.metal_frac),
                ("seam", &self.seam),
            ],
        );
        halos(rec, &[&self.area]);
        self.near.encode_band(gpu, rec, &self.phi[new]);
    }

    /// Zeroes the coverage's outputs over the whole box, for a surface put in place at once
    /// (`set_level_set`, a restored checkpoint): coverage runs over the cells near the
    /// interface, and left alone the cells near the one before would keep its values, which
    /// the step plan (the largest velocity) and `max_theta` read.
    fn clear_coverage(&self, rec: &mut Recorder) {
        for f in [&self.theta_cell, &self.vel_cell, &self.theta_lev_cell] {
            f.encode_clear(rec);
        }
    }

    fn encode_coverage(&self, gpu: &Gpu, rec: &mut Recorder) {
        self.dispatch_near(
            gpu,
            rec,
            &self.k.coverage,
            vec![
                ("amount", &self.amount[0]),
                ("area", &self.area),
                ("c_cu", &self.c_cu),
                ("theta_cell", &self.theta_cell),
                ("vel_cell", &self.vel_cell),
                ("amount_lev", &self.amount_lev[0]),
                ("theta_lev_cell", &self.theta_lev_cell),
            ],
        );
        halos(
            rec,
            &[&self.theta_cell, &self.vel_cell, &self.theta_lev_cell],
        );
    }

    fn encode_extend(&self, gpu: &Gpu, rec: &mut Recorder, accumulate: bool) {
        self.dispatch(
            gpu,
            rec,
            &self.k.extend[usize::from(accumulate)],
            vec![
                ("phi", &self.phi[self.cur]),
                ("area", &self.area),
                ("vel_cell", &self.vel_cell),
                ("theta_cell", &self.theta_cell),
                ("vel_ext", &self.vel_ext),
                ("theta_ext", &self.theta_ext),
                ("deposited", &self.deposited),
                ("theta_lev_cell", &self.theta_lev_cell),
                ("theta_lev_ext", &self.theta_lev_ext),
            ],
        );
    }

    /// What the sweeps need of φ0 = φ (the fix next to the interface, the sign elsewhere)
    /// into the stage buffer, then `iterations` (even) reinitialisation sweeps ending in
    /// buffer `cur`.
    fn encode_reinit(&self, gpu: &Gpu, rec: &mut Recorder, iterations: u32) {
        self.dispatch(
            gpu,
            rec,
            &self.k.reinit[0],
            vec![("phi_in", &self.phi[self.cur]), ("fixed", &self.phi_stage)],
        );
        for it in 0..iterations {
            let from = (self.cur + it as usize) % 2;
            self.dispatch(
                gpu,
                rec,
                &self.k.reinit[1],
                vec![
                    ("fixed", &self.phi_stage),
                    ("phi_in", &self.phi[from]),
                    ("phi_out", &self.phi[1 - from]),
                ],
            );
            halos(rec, &[&self.phi[1 - from]]);
        }
    }

    /// Steps 1 and 2 and the coverage of step 3 (module docs).
    /// The two advection stages, from φ in `cur` to φ in the other buffer.
    fn encode_advect(&self, gpu: &Gpu, rec: &mut Recorder) {
        let (cur, next) = (self.cur, 1 - self.cur);
        // Stage 1 differentiates φ into the stage buffer, stage 2 that into φ's other buffer.
        let stages = [
            (&self.phi[cur], &self.phi_stage),
            (&self.phi_stage, &self.phi[next]),
        ];
        for (stage, (phi_d, out)) in stages.into_iter().enumerate() {
            self.dispatch(
                gpu,
                rec,
                &self.k.advect[stage],
                vec![
                    ("phi_in", &self.phi[cur]),
                    ("phi_d", phi_d),
                    ("vel_ext", &self.vel_ext),
                    ("phi_out", out),
                ],
            );
            halos(rec, &[out]);
        }
    }

    fn encode_move(&mut self, gpu: &Gpu, rec: &mut Recorder) {
        self.encode_extend(gpu, rec, true);
        self.encode_advect(gpu, rec);
        let (cur, next) = (self.cur, 1 - self.cur);
        self.encode_interface(gpu, rec, next, cur);
        let mut surfaces = vec![&self.amount];
        if self.params.has_leveler() {
            surfaces.push(&self.amount_lev);
        }
        // The forward pass (what each giver passes on, then the exchange) into the other
        // buffer, the main pass back.
        for amounts in surfaces {
            let passes = [
                (&amounts[0], &self.passed),
                (&amounts[0], &amounts[1]),
                (&amounts[1], &amounts[0]),
            ];
            // Each entry binds the names it uses (`gather` writes `passed`, `main` ignores it).
            for (pass, (from, to)) in passes.into_iter().enumerate() {
                let list = vec![
                    ("phi", &self.phi[next]),
                    ("area", &self.area),
                    ("amount_in", from),
                    ("passed", &self.passed),
                    ("amount_out", to),
                ];
                self.dispatch_near(gpu, rec, &self.k.transfer[pass], list);
                halos(rec, &[to]);
            }
        }
        self.cur = next;
        self.encode_coverage(gpu, rec);
    }

    /// Step 3's solve of one species (0: Cu²⁺, 1: accelerator).
    fn solve_species(&mut self, gpu: &Gpu, species: usize) -> Result<()> {
        let (solver, x, conc, name) = match species {
            0 => (&mut self.cu_solver, &self.delta_cu, &self.c_cu, "Cu2+"),
            1 => (
                &mut self.acc_solver,
                &self.delta_acc,
                &self.c_acc,
                "accelerator",
            ),
            _ => (
                &mut self.lev_solver,
                &self.delta_lev,
                &self.c_lev,
                "leveler",
            ),
        };
        let op = solver.operator();
        let kernel = &self.k.setup[species];
        let bind = kernel.bind_chunks_named(gpu, &self.domain, |c| {
            vec![
                ("p", &self.uniform),
                ("phi", &self.phi[self.cur].buffers[c]),
                ("area", &self.area.buffers[c]),
                ("theta_cell", &self.theta_cell.buffers[c]),
                ("c_old", &conc.buffers[c]),
                ("excess", &self.excess.buffers[c]),
                ("gx", &op.gx.buffers[c]),
                ("gy", &op.gy.buffers[c]),
                ("gz", &op.gz.buffers[c]),
                ("diag", &op.diag.buffers[c]),
                ("rest", &op.rest.expect("a split operator").buffers[c]),
                ("b", &op.b.buffers[c]),
                ("theta_lev_cell", &self.theta_lev_cell.buffers[c]),
            ]
        });
        let domain = &self.domain;
        let encode = |rec: &mut Recorder| domain.dispatch(rec.pass(), kernel.pipeline(), &bind);
        let control = SolveControl {
            tolerance: self.params.solver_tolerance,
            max_iterations: self.params.solver_max_iterations,
            max_iterations_key: "superfill.solver_max_iterations",
            warm_step_max: 0.0, // ignored: the solves start from zero
        };
        let report = solver
            .solve(gpu, x, control, &encode)
            .map_err(|e| anyhow::anyhow!("{name} solve: {e}"))?;
        self.solves.0 += 1;
        self.solves.1 += report.iterations as u64;
        Ok(())
    }

    /// Adds the solves' changes to the concentrations.
    fn encode_species_update(&self, gpu: &Gpu, rec: &mut Recorder) {
        let bind = self.k.update.bind_chunks_named(gpu, &self.domain, |c| {
            vec![
                ("phi", &self.phi[self.cur].buffers[c]),
                ("delta_cu", &self.delta_cu.buffers[c]),
                ("delta_acc", &self.delta_acc.buffers[c]),
                ("c_cu", &self.c_cu.buffers[c]),
                ("c_acc", &self.c_acc.buffers[c]),
                ("delta_lev", &self.delta_lev.buffers[c]),
                ("c_lev", &self.c_lev.buffers[c]),
            ]
        });
        self.domain
            .dispatch(rec.pass(), self.k.update.pipeline(), &bind);
        halos(rec, &[&self.c_cu, &self.c_acc, &self.c_lev]);
    }

    /// Step 4: a reinitialisation when `reinit` says so, then adsorption, coverage and
    /// velocity for the next step.
    fn encode_finish(&mut self, gpu: &Gpu, rec: &mut Recorder, solved: bool, reinit: bool) {
        if solved {
            self.encode_species_update(gpu, rec);
        }
        // Reinitialisation before the cap: it moves φ within cells, and the areas with it, so
        // a cap applied before it left coverages up to 1.006 where the trench bottom closes
        // (FiPy's trench at 5 nm, 2026-12-06).
        if reinit {
            self.encode_reinit(gpu, rec, reinit_iterations(&self.params, &self.grid, false));
            self.encode_interface(gpu, rec, self.cur, self.cur);
            self.encode_coverage(gpu, rec);
        }
        self.dispatch_near(
            gpu,
            rec,
            &self.k.adsorb[usize::from(solved)],
            vec![
                ("area", &self.area),
                ("theta_cell", &self.theta_cell),
                ("c_acc", &self.c_acc),
                ("amount", &self.amount[0]),
                ("excess", &self.excess),
                ("theta_lev_cell", &self.theta_lev_cell),
                ("c_lev", &self.c_lev),
                ("amount_lev", &self.amount_lev[0]),
                ("vel_cell", &self.vel_cell),
                ("delta_acc", &self.delta_acc),
                ("delta_lev", &self.delta_lev),
            ],
        );
        // The species set-up reads the releases of metal neighbours, in ghost planes too.
        halos(rec, &[&self.amount[0], &self.amount_lev[0], &self.excess]);
        self.encode_coverage(gpu, rec);
    }

    /// One whole step of `dt` (the uniform holds it); `number` is the step's count from the
    /// run's start, which schedules the reinitialisation.
    fn step(&mut self, gpu: &Gpu, number: u64) -> Result<()> {
        self.fill = None;
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        self.encode_move(gpu, &mut Recorder::new(&mut enc));
        gpu.submit(enc.finish());
        let solve = number.is_multiple_of(self.params.species_every);
        if solve {
            // The solves advance the dissolved species over every step since the last one,
            // and the surface's uptake over those steps is reckoned after them (adsorb.wgsl):
            // with this step's dt alone a bath in transient ran species_every times slow
            // (the Ward–Tordai test). queue.write_buffer lands before the next submission,
            // after this step's move.
            self.write_params(gpu, self.since_solve + self.dt);
            self.since_solve = 0.0;
            self.solve_species(gpu, 0)?;
            self.solve_species(gpu, 1)?;
            if self.params.has_leveler() {
                self.solve_species(gpu, 2)?;
            }
        } else {
            self.since_solve += self.dt;
        }
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        let reinit = number.is_multiple_of(self.params.reinit_every);
        self.encode_finish(gpu, &mut Recorder::new(&mut enc), solve, reinit);
        gpu.submit(enc.finish());
        Ok(())
    }

    /// Adds the centre and field heights at `time` to the history, with the voids counted
    /// now when `census` (else as of the last census or output).
    fn sample_heights(&mut self, gpu: &Gpu, time: f64, census: bool) -> Result<()> {
        if self.history.last().is_some_and(|h| h.time >= time) {
            return Ok(());
        }
        let sample = if census {
            let phi = self.phi[self.cur].download(gpu);
            let bottom = self.params.feature_bottom();
            let (s, _) = analysis::analyse(&self.grid, &phi, &self.feature, bottom);
            Sample::counted(time, &s)
        } else {
            let phi = self.phi[self.cur].read_cells_at(gpu, &self.height_probe)?;
            let n = phi.len() / 2;
            let bottom = self.params.feature_bottom();
            let dx = self.grid.dx;
            let last = self.history.last();
            Sample {
                time,
                centre: analysis::surface_height(&phi, 0, 1, n, dx) - bottom,
                field: analysis::surface_height(&phi, n, 1, n, dx) - bottom,
                voids: last.map_or(0, |h| h.voids),
                largest_void: last.map_or(0, |h| h.largest_void),
                counted: false,
            }
        };
        self.note_new_voids(&sample);
        self.history.push(sample);
        Ok(())
    }

    /// Says so when `sample` counts more voids than the last count, with the time of that
    /// count: the void closed in between.
    fn note_new_voids(&mut self, sample: &Sample) {
        let last = self
            .history
            .iter()
            .rev()
            .find(|h| h.counted)
            .map_or((0.0, 0), |h| (h.time, h.voids));
        if sample.counted && sample.voids > last.1 {
            self.messages.push(format!(
                "a void closed between t = {:.4} and {:.4} s ({} now, largest {} cells)",
                last.0, sample.time, sample.voids, sample.largest_void
            ));
        }
    }

    /// Metal volume in the box from the metal fractions, m³.
    fn metal_volume(&self, gpu: &Gpu) -> f64 {
        field_stats(gpu, &self.metal_frac, StatsQuery::default()).sum * self.grid.cell_volume()
    }

    /// Deposited volume by Faraday's law since the start, m³.
    pub fn faraday_volume(&self, gpu: &Gpu) -> f64 {
        field_stats(gpu, &self.deposited, StatsQuery::default()).sum * self.grid.cell_volume()
    }

    /// Reads the metal columns' heights: the far column's sets how much of the diffusion
    /// layer lies above the box (the layer keeps its thickness above the field surface),
    /// the highest (or the highest plane holding metal, over a void) says whether the
    /// deposit nears the box top.
    fn plan_columns(&mut self, gpu: &Gpu) -> Result<()> {
        let v = SuperfillParams::vertical(&self.grid);
        let cols = self.columns.reduce(gpu, &self.metal_frac);
        let dx = self.grid.dx;
        let far = cols.sum.len() - 1;
        let field_top = cols.sum[far] * dx;
        // The highest column's sum is its deposit's height unless a void lies inside it. A
        // fraction above 0 in plane k (centres at k + 1/2 cells) puts metal within half a
        // cell of a centre there, so the deposit reaches k cells at least, whatever lies
        // below: the guard takes the larger of the two.
        let lowest_top = self.rows.as_ref().map_or(0.0, |r| {
            let rows = r.reduce(gpu, &self.metal_frac);
            rows.max.iter().rposition(|&f| f > 0.0).unwrap_or(0) as f64
        });
        let column_top = cols.sum.iter().cloned().fold(0.0, f64::max);
        self.deposit_top = column_top.max(lowest_top) * dx;
        let height = SuperfillParams::box_height(&self.grid);
        self.layer_left = self.params.boundary_layer - (height - field_top);
        if self.deposit_top > height - TOP_MARGIN_CELLS * dx && !self.top_reached {
            self.top_reached = true;
            self.messages.push(format!(
                "the deposit came within {TOP_MARGIN_CELLS} cells of the box top ({:.4e} m of {height:.4e} m): the run stops here; a taller box ([grid] n{}) lets it go on",
                self.deposit_top,
                ["x", "y", "z"][v]
            ));
        }
        Ok(())
    }

    /// The fill as the level set shows it now, with the void and metal labels uploaded for
    /// output: analysed once per state (an output's snapshot, metrics and summary share it).
    fn look(&mut self, gpu: &Gpu) -> Result<FillState> {
        if let Some(s) = self.fill {
            return Ok(s);
        }
        let s = self.analyse_fill(gpu)?;
        self.fill = Some(s);
        Ok(s)
    }

    fn analyse_fill(&mut self, gpu: &Gpu) -> Result<FillState> {
        let phi = self.phi[self.cur].download(gpu);
        let (s, void_id) = analysis::analyse(
            &self.grid,
            &phi,
            &self.feature,
            self.params.feature_bottom(),
        );
        self.void_id.upload_as(gpu, &void_id)?;
        let metal: Vec<u32> = phi.iter().map(|&v| u32::from(v <= 0.0)).collect();
        self.metal.upload_as(gpu, &metal)?;
        Ok(s)
    }

    /// The leveler's coverage on each interface cell (0 elsewhere).
    pub fn theta_leveler_cell(&self, gpu: &Gpu) -> Vec<f32> {
        self.theta_lev_cell.download(gpu)
    }

    /// The level set now (metres, x fastest).
    pub fn level_set(&self, gpu: &Gpu) -> Vec<f32> {
        self.phi[self.cur].download(gpu)
    }

    /// Replaces the level set (verification tests: shapes the feature generator does not
    /// make) and puts coverage `theta0` on its interface cells.
    pub fn set_level_set(&mut self, gpu: &Gpu, phi: &[f32], theta0: f64) -> Result<()> {
        self.fill = None;
        self.phi[self.cur].upload(gpu, phi)?;
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        self.encode_interface(gpu, &mut Recorder::new(&mut enc), self.cur, self.cur);
        gpu.submit(enc.finish());
        let amounts: Vec<i32> = self
            .area
            .download(gpu)
            .iter()
            .map(|&a| (theta0 * a as f64 * M_SCALE).round() as i32)
            .collect();
        self.amount[0].upload_as(gpu, &amounts)?;
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        {
            let mut rec = Recorder::new(&mut enc);
            self.clear_coverage(&mut rec);
            self.encode_coverage(gpu, &mut rec);
        }
        gpu.submit(enc.finish());
        self.initial_metal_volume = self.metal_volume(gpu);
        Ok(())
    }

    /// `iterations` (made even) reinitialisation sweeps, as a run does every `reinit_every`
    /// steps.
    pub fn reinitialise(&mut self, gpu: &Gpu, iterations: u32) {
        self.fill = None;
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        {
            let mut rec = Recorder::new(&mut enc);
            self.encode_reinit(gpu, &mut rec, iterations + iterations % 2);
            self.encode_interface(gpu, &mut rec, self.cur, self.cur);
            self.encode_coverage(gpu, &mut rec);
        }
        gpu.submit(enc.finish());
    }

    /// Moves the level set `steps` steps of `dt` at a uniform normal `speed` (m/s), with the
    /// run's advection and nothing else (verification of the advection scheme).
    pub fn advect_uniform(&mut self, gpu: &Gpu, speed: f32, dt: f64, steps: u64) -> Result<()> {
        self.fill = None;
        self.write_uniform(gpu, dt);
        self.vel_ext
            .upload(gpu, &vec![speed; self.grid.cells() as usize])?;
        for _ in 0..steps {
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            self.encode_advect(gpu, &mut Recorder::new(&mut enc));
            gpu.submit(enc.finish());
            self.cur = 1 - self.cur;
        }
        Ok(())
    }

    /// The surface accelerator in amount units (θ × area in cell faces × M_SCALE), exact.
    pub fn total_amount(&self, gpu: &Gpu) -> Result<i64> {
        let a = self.amount[0].download_as::<i32>(gpu)?;
        Ok(a.iter().map(|&v| v as i64).sum())
    }

    /// The accelerator on the surface, in solution and released but not yet returned to
    /// it (`excess`, taken in by the next solve), mol (a 2D cell as deep as `Grid` says).
    pub fn accelerator_budget(&self, gpu: &Gpu) -> Result<[f64; 3]> {
        let face = self.grid.cell_volume() / self.grid.dx;
        let per_unit = self.params.site_density * face;
        let surface = self.total_amount(gpu)? as f64 / M_SCALE * per_unit;
        let sum = |f: &Field| f.download(gpu).iter().map(|&v| v as f64).sum::<f64>();
        let dissolved = sum(&self.c_acc) * self.grid.cell_volume();
        Ok([surface, dissolved, sum(&self.excess) * per_unit])
    }

    /// Runs the surface kernels over every cell from now on instead of the cells near the
    /// interface (`NEAR_CELLS`): the reference that tests compare the list with.
    pub fn surface_kernels_everywhere(&mut self, gpu: &Gpu) -> Result<()> {
        self.near = CellList::new(gpu, &self.domain, f32::INFINITY)?;
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        self.near
            .encode_band(gpu, &mut Recorder::new(&mut enc), &self.phi[self.cur]);
        gpu.submit(enc.finish());
        Ok(())
    }

    /// The run's steps without the loop (verification tests), numbered on from the last
    /// call.
    pub fn steps(&mut self, gpu: &Gpu, dt: f64, steps: u64) -> Result<()> {
        self.write_uniform(gpu, dt);
        for _ in 0..steps {
            self.stepped += 1;
            self.step(gpu, self.stepped)?;
        }
        Ok(())
    }

    fn seam_cells(&self, gpu: &Gpu) -> Result<usize> {
        let seam = self.seam.download_as::<u32>(gpu)?;
        Ok(seam.iter().filter(|&&s| s != 0).count())
    }
}

impl Model for Superfill {
    fn stable_dt(&mut self, gpu: &Gpu) -> Result<f64> {
        // The loop plans every step (superfill's registry entry): the interface speed can
        // grow tenfold within a few dozen steps. The columns move slowly; read them every
        // few plans.
        self.plans += 1;
        if self.plans.is_multiple_of(COLUMN_PLANS) {
            self.plan_columns(gpu)?;
        }
        let v = field_max(gpu, &self.vel_cell);
        let v = v.max(self.params.flat_velocity(0.0) * 1e-3);
        let mut dt = self.params.cfl * self.grid.dx / v;
        let k = self.params.adsorption_rate() * self.params.acc_bulk;
        if k > 0.0 {
            dt = dt.min(0.1 / k);
        }
        Ok(dt)
    }

    fn advance(&mut self, gpu: &Gpu, from: Moment, steps: u64, dt: f64) -> Result<u64> {
        if self.top_reached {
            return Ok(0);
        }
        self.write_uniform(gpu, dt);
        for k in 0..steps {
            self.step(gpu, from.step + k + 1)?;
        }
        let step = from.step + steps;
        if step.is_multiple_of(HEIGHT_SAMPLE_STEPS) {
            let census = step.is_multiple_of(void_census_steps(&self.grid));
            self.sample_heights(gpu, from.time + steps as f64 * dt, census)?;
        }
        Ok(steps)
    }

    fn state_fields(&self) -> Vec<&Field> {
        vec![
            &self.phi[self.cur],
            &self.amount[0],
            &self.c_cu,
            &self.c_acc,
            &self.deposited,
            &self.excess,
            &self.seam,
            &self.amount_lev[0],
            &self.c_lev,
        ]
    }

    fn pictures(&self) -> PictureSpec {
        let mut fields = vec![CU, THETA];
        if self.params.has_leveler() {
            fields.push(THETA_LEVELER);
        }
        PictureSpec {
            fields,
            interface: Some((PHI, 0.0)),
            open_cells: None,
            // 3D: the plane through the feature's axis (on the x = 0 and y = 0 symmetry
            // planes), the cross-section an engineer draws.
            section: (1, Some(0)),
        }
    }

    fn output_fields(&self) -> Vec<OutputField<'_>> {
        let mut out = vec![
            OutputField::scalar(PHI, &self.phi[self.cur]),
            OutputField::scalar(THETA, &self.theta_ext),
            OutputField::scalar(CU, &self.c_cu),
            OutputField::scalar(ACC, &self.c_acc),
            OutputField::scalar(VELOCITY, &self.vel_ext),
            OutputField::scalar(METAL, &self.metal),
            OutputField::scalar(VOID_ID, &self.void_id),
            OutputField::scalar(SEAM, &self.seam),
        ];
        if self.params.has_leveler() {
            out.push(OutputField::scalar(THETA_LEVELER, &self.theta_lev_ext));
            out.push(OutputField::scalar(LEVELER, &self.c_lev));
        }
        out
    }

    fn guards(&self) -> Vec<Guard> {
        let p = &self.params;
        vec![
            Guard {
                field: THETA.into(),
                lo: -1e-6,
                hi: 1.0 + 1e-6,
                hint: "",
            },
            Guard {
                field: CU.into(),
                lo: -1e-3 * p.cu_bulk as f32,
                hi: 1.001 * p.cu_bulk as f32,
                hint: "",
            },
        ]
    }

    fn prepare_outputs(&mut self, gpu: &Gpu) -> Result<()> {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        self.encode_extend(gpu, &mut Recorder::new(&mut enc), false);
        gpu.submit(enc.finish());
        self.look(gpu)?;
        Ok(())
    }

    fn metrics(&mut self, gpu: &Gpu, now: Moment) -> Result<Vec<Metric>> {
        let s = self.look(gpu)?;
        let theta = field_max(gpu, &self.theta_cell);
        let vmax = field_max(gpu, &self.vel_cell);
        let deposited = self.faraday_volume(gpu);
        let grown = self.metal_volume(gpu) - self.initial_metal_volume;
        let faraday_error = if deposited > 0.0 {
            (grown - deposited) / deposited
        } else {
            0.0
        };
        let sample = Sample::counted(now.time, &s);
        // The step's height sample may already stand at this time (its clock summed in
        // another order: equal to round-off): the output's replaces it, with the same
        // heights and voids counted now.
        let last = self.history.last().map(|h| h.time);
        let same = last.is_some_and(|t| (t - now.time).abs() <= 1e-9 * now.time.abs());
        if same || last.is_none_or(|t| t < now.time) {
            // Against the look it replaces too: a census there has announced its voids.
            self.note_new_voids(&sample);
            if same {
                self.history.pop();
            }
            self.history.push(sample);
        }
        Ok(vec![
            ("centre_height_m".into(), s.centre_height),
            ("field_height_m".into(), s.field_height),
            ("fill_fraction".into(), s.fill_fraction),
            ("void_count".into(), s.void_count as f64),
            ("void_volume_fraction".into(), s.void_fraction),
            ("max_theta".into(), theta),
            ("max_velocity_m_s".into(), vmax),
            ("faraday_volume_error".into(), faraday_error),
        ])
    }

    fn summary(&mut self, gpu: &Gpu, now: Moment) -> Result<Vec<Metric>> {
        let mut out = self.metrics(gpu, now)?;
        let s = self.look(gpu)?;
        let seam = self.seam_cells(gpu)? as f64;
        let seam_size = if self.grid.is_3d() {
            seam * self.grid.dx * self.grid.dx
        } else {
            seam * self.grid.dx
        };
        let events = super::events::Events::from_history(
            &self.history,
            self.params.shape.depth,
            0.25 * self.grid.dx,
        );
        out.extend([
            ("fill_time_s".into(), events.fill_time),
            (
                "void_free".into(),
                f64::from(u8::from(s.largest_void_cells <= 1)),
            ),
            ("seam_length_m".into(), seam_size),
            ("bump_height_m".into(), s.centre_height - s.field_height),
            ("incubation_time_s".into(), events.incubation_time),
            ("void_closed_time_s".into(), events.void_closed_time),
        ]);
        Ok(out)
    }

    fn finished(&mut self, _gpu: &Gpu) -> Result<bool> {
        Ok(self.top_reached)
    }

    fn take_messages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.messages)
    }

    fn status(&self) -> Option<String> {
        Some(format!(
            "deposit top {:.3e} m, {:.1} CG iterations per solve",
            self.deposit_top,
            self.solves.1 as f64 / self.solves.0.max(1) as f64
        ))
    }

    fn step_hint(&self) -> &'static str {
        "the step follows the fastest interface velocity (Courant number superfill.cfl); a jump in it usually means a corner of the level set broke: refine the grid"
    }

    fn save_scalars(&self) -> serde_json::Value {
        // The columns are read every few plans: their last reading and the plan count are
        // state, or a resumed run would read them at other steps than an uninterrupted one.
        serde_json::json!({
            "history": self.history,
            "initial_metal_volume": self.initial_metal_volume,
            "plans": self.plans,
            "since_solve": self.since_solve,
            "layer_left": self.layer_left,
            "deposit_top": self.deposit_top,
        })
    }

    fn restore_scalars(&mut self, v: &serde_json::Value) -> Result<()> {
        self.history = serde_json::from_value(v["history"].clone())?;
        let number = |key: &str| {
            v[key]
                .as_f64()
                .ok_or_else(|| anyhow::anyhow!("checkpoint: superfill scalar {key} missing"))
        };
        self.initial_metal_volume = number("initial_metal_volume")?;
        self.layer_left = number("layer_left")?;
        self.deposit_top = number("deposit_top")?;
        self.since_solve = number("since_solve")?;
        self.plans = v["plans"]
            .as_u64()
            .ok_or_else(|| anyhow::anyhow!("checkpoint: superfill scalar plans missing"))?;
        Ok(())
    }

    fn after_restore(&mut self, gpu: &Gpu) -> Result<()> {
        self.fill = None;
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        {
            let mut rec = Recorder::new(&mut enc);
            self.encode_interface(gpu, &mut rec, self.cur, self.cur);
            self.clear_coverage(&mut rec);
            self.encode_coverage(gpu, &mut rec);
        }
        gpu.submit(enc.finish());
        Ok(())
    }
}

/// Refreshes the ghost planes of `fields` after a kernel wrote them, where the domain has
/// several chunks (nothing to do with one).
fn halos(rec: &mut Recorder, fields: &[&Field]) {
    for f in fields {
        f.exchange_chunk_halos(rec);
    }
}
