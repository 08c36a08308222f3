//! The implicit Li step (`li_step = "implicit"`): after the explicit η step, the Li balance
//! is linearised in w about the step's start and solved for w* on the engine's elliptic
//! solver (shaders/dendrite/li_setup.wgsl), then ρ moves by the face fluxes of w*
//! (li_update.wgsl), which conserves Li to round-off whatever the solve's tolerance. Its
//! point is a step without the Li diffusion limit, which pays where the reaction's own
//! limits are long (|V| ≤ 0.3 V, fine grids; docs/models/dendrite.md).

use anyhow::Result;
use std::sync::Arc;

use crate::gpu::{Domain, Field, Gpu, Kernel, Recorder};
use crate::solvers::{EllipticSolver, Preconditioner, SolveControl, SolveReport};

/// Relative residual of each Li solve.
pub const LI_TOLERANCE: f64 = 1e-6;

pub struct ImplicitLi {
    domain: Arc<Domain>,
    /// The solution w* (the fluxes' chemical potential); the next solve starts from it.
    pub w_star: Field,
    pub solver: EllipticSolver,
    setup: Kernel,
    update: Kernel,
    /// [from]: set-up reading η buffer 1 - from (new) and w, ρ buffers `from` (old).
    setup_bg: [Vec<wgpu::BindGroup>; 2],
    /// [writes_c][from]: update writing ρ and w buffers 1 - from.
    update_bg: [[Vec<wgpu::BindGroup>; 2]; 2],
    /// Solves and their CG iterations so far.
    pub totals: (u64, u64),
}

/// The dendrite fields the implicit step reads and writes.
pub struct LiFields<'a> {
    pub step_uniform: &'a [wgpu::Buffer; 2],
    pub eta: &'a [Field; 2],
    pub rho: &'a [Field; 2],
    pub w: &'a [Field; 2],
    pub phi: &'a Field,
    pub rho_fixed: &'a Field,
    pub rho_remainder: &'a Field,
    pub c: &'a Field,
}

impl ImplicitLi {
    /// The step on `domain`'s fields `f`. Its solves use the Jacobi preconditioner: the
    /// capacity term χΔx²/Δt keeps the system well conditioned at the steps the explicit η
    /// allows (about 5 iterations at Δx = 0.5 µm, −0.45 V, where multigrid needed 4 at 1.5×
    /// the wall time on lavapipe).
    pub fn new(gpu: &Gpu, domain: &Arc<Domain>, f: &LiFields) -> Result<ImplicitLi> {
        let w_star = Field::new(gpu, domain, "w_star");
        let solver = EllipticSolver::new(gpu, domain, &w_star, Preconditioner::Jacobi, "li")?;
        let setup = Kernel::shaped(gpu, "dendrite/li_setup.wgsl", domain)?;
        let update = Kernel::shaped(gpu, "dendrite/li_update.wgsl", domain)?;
        let op = solver.operator();
        let setup_bg = [0, 1].map(|from| {
            setup.bind_chunks_named(gpu, domain, |k| {
                vec![
                    ("p", &f.step_uniform[0]),
                    ("eta_new", &f.eta[1 - from].buffers[k]),
                    ("w_old", &f.w[from].buffers[k]),
                    ("rho_old", &f.rho[from].buffers[k]),
                    ("phi", &f.phi.buffers[k]),
                    ("gx", &op.gx.buffers[k]),
                    ("gy", &op.gy.buffers[k]),
                    ("gz", &op.gz.buffers[k]),
                    ("diag", &op.diag.buffers[k]),
                    ("b", &op.b.buffers[k]),
                ]
            })
        });
        let update_bg = [0, 1].map(|writes_c| {
            [0, 1].map(|from| {
                update.bind_chunks_named(gpu, domain, |k| {
                    vec![
                        ("p", &f.step_uniform[writes_c]),
                        ("eta_new", &f.eta[1 - from].buffers[k]),
                        ("w_old", &f.w[from].buffers[k]),
                        ("w_star", &w_star.buffers[k]),
                        ("phi", &f.phi.buffers[k]),
                        ("rho_fixed", &f.rho_fixed.buffers[k]),
                        ("rho_remainder", &f.rho_remainder.buffers[k]),
                        ("rho_out", &f.rho[1 - from].buffers[k]),
                        ("w_out", &f.w[1 - from].buffers[k]),
                        ("c_out", &f.c.buffers[k]),
                    ]
                })
            })
        });
        Ok(ImplicitLi {
            domain: domain.clone(),
            w_star,
            solver,
            setup,
            update,
            setup_bg,
            update_bg,
            totals: (0, 0),
        })
    }

    /// Solves for w* with η new in buffer 1 - `from` and w, ρ old in buffer `from`.
    pub fn solve(&mut self, gpu: &Gpu, from: usize, max_iterations: u32) -> Result<SolveReport> {
        let (domain, setup, groups) = (&self.domain, &self.setup, &self.setup_bg[from]);
        let encode = |rec: &mut Recorder| domain.dispatch(rec.pass(), setup.pipeline(), groups);
        let report = self.solver.solve(
            gpu,
            &self.w_star,
            SolveControl {
                tolerance: LI_TOLERANCE,
                max_iterations,
                max_iterations_key: "dendrite.potential_max_iterations",
                warm_step_max: 0.0,
            },
            &encode,
        )?;
        self.totals.0 += 1;
        self.totals.1 += report.iterations as u64;

        Ok(report)
    }

    /// Encodes the update of ρ and w into buffer 1 - `from` (and c if `writes_c`).
    pub fn encode_update(&self, rec: &mut Recorder, from: usize, writes_c: bool) {
        let groups = &self.update_bg[usize::from(writes_c)][from];
        self.domain
            .dispatch(rec.pass(), self.update.pipeline(), groups);
    }
}
