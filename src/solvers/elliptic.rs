//! The engine's elliptic solver: A x = b for a symmetric positive (semi-)definite operator
//! given as face conductances and a diagonal (shaders/solvers/include/operator.wgsl), by
//! preconditioned conjugate gradients (shaders/solvers/cg_*.wgsl) with one
//! geometric-multigrid V-cycle (multigrid.rs) or the Jacobi diagonal as the preconditioner.
//!
//! A user writes the operator, stored as gx, gy, gz of each cell's +x, +y, +z face and the
//! full diagonal, and b with a kernel of its own, encoded by the closure it passes to `solve`
//! (the dendrite potential: σ(η) and the electrode, in shaders/dendrite/potential_setup.wgsl),
//! or with the generic set-up (`setup.rs`: a cell conductivity, excluded cells and boundary
//! conditions per domain face). A solver built `for_corrections` may instead keep its fine
//! operator as one signed conductivity per cell and compute faces and diagonal as it goes
//! (`FineOperator::Conductivity`, operator.rs: the generic set-up's rule with held x faces,
//! 4 B per cell instead of 16, or 2 in f16), or stored with the diagonal's rest beside it
//! (`FineOperator::Split`: the CG's products A p in difference form, for a rest far below
//! the face count, which f32 would round away from the diagonal, and a last correction of
//! x's mean, shaders/solvers/cg_deflate.wgsl), and may keep the fewest vectors
//! (`CorrectionMemory::Least`: no A p, the fine level smoothed in place; `Half`: the same
//! with the search direction p in f16). Boundary values live in the operator: a
//! Dirichlet face half a cell away adds its conductance to the diagonal and conductance ×
//! value to b; a closed face has conductance 0. Side axes (y, z) wrap in every stencil, so a
//! stored operator is periodic where its faces across the wrap conduct and closed where they
//! are 0; the conductivity form says which with `periodic_sides`. x never wraps.
//! The comments below speak of the dendrite potential φ, the solver's first user.
//!
//! All CG scalars stay on the GPU, and so does the decision to stop: once the residual meets
//! the tolerance, further iterations step by α = 0 and are not counted (solvers/include/cg.wgsl).
//! The host therefore queues a batch of iterations (one V-cycle iteration, or 16 Jacobi
//! ones) and reads 48 bytes after it, and the result is what checking after every iteration
//! would give, whatever the batch. When the previous solve needed iterations, the first batch
//! goes in the same submission as the operator set-up and the warm start's residual (a
//! one-iteration solve then costs one read-back); when it did not, the warm start's residual
//! is read first, so a start that is already converged costs no V-cycle and no coarse
//! operators. That choice changes the time, never the result. Each iteration preconditions
//! the residual it inherits, so k iterations cost k V-cycles.
//!
//! Why a read-back per V-cycle: on a GPU a V-cycle costs about a millisecond (tens of
//! dependent dispatches) and a 48-byte read-back tens of microseconds, and warm-started solves
//! mostly need one or two iterations; larger batches would mostly run no-op V-cycles
//! (measured on an H200, docs/performance.md).
//!
//! Warm start: each solve starts from φ moved along its change over the last solve, by the
//! step that minimises the Jacobi-scaled residual (`encode_start`). That is an extrapolation
//! in time when φ changes steadily between solves, and no move when the last change was
//! mostly the previous solve's own error; it cuts CG iterations per solve by 60-70 % in
//! dendrite runs (docs/models/dendrite.md).
//!
//! Convergence is judged by the relative residual of the Jacobi-scaled system,
//! ‖D⁻¹r‖ / ‖D⁻¹b‖ (D the diagonal of the operator) whatever the preconditioner: each entry of
//! D⁻¹r is a local potential correction in volts, so electrolyte cells count as much as metal
//! cells. (A plain ‖r‖/‖b‖ is dominated by the metal's 10⁶ conductance and accepts a
//! potential still centivolts off in the electrolyte.)

use anyhow::{bail, Result};
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;

use super::multigrid::{gauss_seidel_colours, Coarsening, FineFinish, FineLevel, Multigrid};
use super::operator::{require_half_fields, FineOperator, LevelOperator};
use crate::gpu::shaders::HALF_DIRECTION;
use crate::gpu::{Domain, Element, Field, Gpu, Kernel, Recorder};

/// Preconditioner of the conjugate gradients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preconditioner {
    /// One geometric-multigrid V-cycle per iteration, its levels coarsened as given:
    /// iterations independent of grid size.
    Multigrid(Coarsening),
    /// The operator's diagonal: cheap iterations, but their number grows with the grid.
    Jacobi,
}

/// The fine vectors a solver `for_corrections` keeps beside x and its operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectionMemory {
    /// r, p, q = A p and z; the multigrid smooths the fine level by damped Jacobi, with q as
    /// the scratch its sweeps alternate with z.
    Standard,
    /// r, p and z: A p is computed again where the update needs it (cg_update.wgsl's
    /// RECOMPUTE_AP), and the multigrid smooths the fine level in place by multi-colour
    /// Gauss-Seidel (multigrid_gauss_seidel.wgsl): one field (4 B per cell) fewer, a different
    /// preconditioner (iteration counts differ, answers agree to the tolerance), and more
    /// dispatches per V-cycle. Its domain must be split with `Domain::with_even_chunks`.
    Least,
    /// As `Least`, with the search direction p in f16 (2 B per cell fewer;
    /// shaders/solvers/include/direction_f16.wgsl): x and r still move along the same stored
    /// p, so the rounding costs iterations, not accuracy. Needs `require_half_fields`
    /// (operator.rs).
    Half,
}

impl CorrectionMemory {
    /// Whether the solver keeps q = A p (and the multigrid its fine scratch).
    fn keeps_q(self) -> bool {
        self == CorrectionMemory::Standard
    }
}

/// The CG scalars on the GPU (`Scalars` of shaders/solvers/include/cg.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, Default)]
pub(crate) struct Scalars {
    rz: f32,
    alpha: f32,
    beta: f32,
    rr: f32,
    bb: f32,
    tol2: f32,
    iterations: u32,
    converged: u32,
    theta_max: f32,
    direction_scale: f32,
    previous_direction_scale: f32,
    shift: f32,
}

/// How far one solve goes, and where it may start.
#[derive(Debug, Clone, Copy)]
pub struct SolveControl {
    /// Relative residual ‖D⁻¹r‖ / ‖D⁻¹b‖ to reach.
    pub tolerance: f64,
    /// Iterations after which the solve fails.
    pub max_iterations: u32,
    /// The scenario key that sets `max_iterations`, named when a solve runs out of them.
    pub max_iterations_key: &'static str,
    /// Largest step θ of the warm start φ + θ (φ - φ_prev) along φ's last change (see
    /// `EllipticSolver::encode_start`); 0 starts from x itself.
    pub warm_step_max: f32,
}

/// Result of one solve.
#[derive(Debug, Clone, Copy, Default)]
pub struct SolveReport {
    pub iterations: u32,
    /// ‖D⁻¹r‖ / ‖D⁻¹b‖ at the end (r = b - Aφ, D the diagonal of A).
    pub residual: f64,
}

struct Kernels {
    /// The warm start's direction (the last change of x) and x_prev ← x.
    warm: Kernel,
    apply: Kernel,
    /// The warm start's residual and the image of its direction (cg_start.wgsl); None for a
    /// solver `for_corrections`, whose start is the CG update at α = 0 (`encode_start`).
    start: Option<Kernel>,
    /// cg_update.wgsl; with multigrid FIRST_SWEEP, which also writes the next
    /// V-cycle's first fine sweep.
    update: Kernel,
    /// cg_precondition.wgsl with JACOBI: z = D⁻¹r and the residual norm; [1] is the
    /// first iteration's (FIRST), which also sets p = z (not used with a half-precision p,
    /// whose first direction cg_direction writes once its scale is known).
    jacobi: [Kernel; 2],
    direction: Kernel,
}

/// The multigrid preconditioner: the V-cycle writes z and cg_precondition.wgsl sums
/// (r·z, |D⁻¹r|², z²) ([1]: with FIRST, in a solve's first iteration, which also sets p = z;
/// not with a half-precision p),
/// bound per chunk. Where the cycle ends with a fine sweep, its entry `last_sweep` is that
/// sweep and sums z as it writes it (`fused`); otherwise `main` runs after the cycle.
struct VCycle {
    multigrid: Multigrid,
    fused: bool,
    finish: [Kernel; 2],
    finish_bg: [Vec<wgpu::BindGroup>; 2],
}

/// The single-workgroup CG scalar stages, in the order of `cg_scalars.wgsl`'s entries.
#[derive(Clone, Copy)]
enum Sum {
    Init = 0,
    Alpha = 1,
    Beta = 2,
    Residual = 3,
    Theta = 4,
    FromZero = 5,
}
/// Byte offsets of `Scalars::tol2` and `Scalars::theta_max`, written by the host before each
/// solve, and the size of `Scalars`.
const TOL2_OFFSET: u64 = std::mem::offset_of!(Scalars, tol2) as u64;
const THETA_MAX_OFFSET: u64 = std::mem::offset_of!(Scalars, theta_max) as u64;
/// Byte offset of `Scalars::alpha`, which the host zeroes before a correction solve's start.
const ALPHA_OFFSET: u64 = std::mem::offset_of!(Scalars, alpha) as u64;
/// `Scalars::converged` after a breakdown (shaders/solvers/cg_scalars.wgsl's BROKE_DOWN).
const BROKE_DOWN: u32 = 2;
/// Σ (D⁻¹r)² at or below which a breakdown is taken for f32's floor, not the operator's:
/// the CG products p·Ap underflow (f32's smallest normal number is 1.2e-38) once the
/// residual's entries fall to about 1e-19, and a correction whose squares sum to less than
/// 1e-30 (entries of 1e-15 or less, in the unknown's units) is below anything our models
/// solve for, so its x stands, whatever relative residual it reached. An absolute floor,
/// chosen for our units (concentrations in mol/m³, potentials in V). (superfill's accelerator solve met one, at Σ (D⁻¹b)² = 1.4e-37 and
/// a relative residual of 5.4e-4, on a trace released by rounding into a bath without
/// accelerator: tests/superfill_verification.rs, depletion_across_a_thick_layer_...)
const UNDERFLOW_RR: f32 = 1e-30;
const DIRECTION_SCALES_OFFSET: u64 = std::mem::offset_of!(Scalars, direction_scale) as u64;
const SCALARS_BYTES: u64 = std::mem::size_of::<Scalars>() as u64;
const SUM_ENTRIES: [&str; 6] = ["main", "alpha", "beta", "residual", "theta", "from_zero"];

/// The operator A (face conductances and diagonal), the right-hand side b, and the CG
/// vectors on the fine grid.
struct Vectors {
    operator: OperatorStore,
    /// None for a solver `for_corrections`, whose user writes b into r.
    b: Option<Field>,
    r: Field,
    p: Field,
    /// A p, and the V-cycle's fine scratch; None with `CorrectionMemory::Least` and `Half`.
    q: Option<Field>,
    z: Field,
}

/// The fine operator's fields in the solver's form (operator.rs). One per solver: the
/// variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum OperatorStore {
    Stored {
        gx: Field,
        gy: Field,
        gz: Field,
        diag: Field,
        /// The diagonal's rest, for the split form's products (operator.rs).
        rest: Option<Field>,
    },
    Conductivity {
        sigma: Field,
        held_x: [bool; 2],
        periodic_sides: bool,
    },
}

impl OperatorStore {
    fn new(gpu: &Gpu, domain: &Arc<Domain>, label: &str, form: FineOperator) -> OperatorStore {
        let f = |name: &str| Field::new(gpu, domain, &format!("{label} {name}"));
        let typed = |name: &str, e| Field::typed(gpu, domain, &format!("{label} {name}"), e);
        match form {
            FineOperator::Stored | FineOperator::Split => OperatorStore::Stored {
                gx: f("gx"),
                gy: f("gy"),
                gz: f("gz"),
                diag: f("diag"),
                rest: (form == FineOperator::Split).then(|| f("rest")),
            },
            FineOperator::Conductivity {
                held_x,
                periodic_sides,
                half,
            } => OperatorStore::Conductivity {
                sigma: typed("sigma", if half { Element::F16 } else { Element::F32 }),
                held_x,
                periodic_sides,
            },
        }
    }

    fn level(&self) -> LevelOperator<'_> {
        match self {
            OperatorStore::Stored {
                gx, gy, gz, diag, ..
            } => LevelOperator::Stored { gx, gy, gz, diag },
            OperatorStore::Conductivity {
                sigma,
                held_x,
                periodic_sides,
            } => LevelOperator::Conductivity {
                sigma,
                held_x: *held_x,
                periodic_sides: *periodic_sides,
            },
        }
    }

    /// Chunk `c`'s buffers by name for the stages that form the CG's products A p (those
    /// that include solvers/include/apply_full.wgsl, or apply_split.wgsl with the rest).
    fn named_for_products(&self, c: usize) -> Vec<(&'static str, &wgpu::Buffer)> {
        let mut list = self.level().named(c);
        if let OperatorStore::Stored {
            rest: Some(rest), ..
        } = self
        {
            list.push(("rest", &rest.buffers[c]));
        }
        list
    }

    fn fields(&self) -> Vec<&Field> {
        match self {
            // The rest is read at its own cell only: no ghost planes to exchange.
            OperatorStore::Stored {
                gx, gy, gz, diag, ..
            } => vec![gx, gy, gz, diag],
            OperatorStore::Conductivity { sigma, .. } => vec![sigma],
        }
    }
}

impl Vectors {
    /// The fine level as the multigrid sees it: precondition r into z, q as scratch (none:
    /// smoothed in place).
    fn fine_level(&self) -> FineLevel<'_> {
        FineLevel {
            operator: self.operator.level(),
            b: &self.r,
            x: &self.z,
            t: self.q.as_ref(),
        }
    }

    /// q where the solver keeps it, else z: cg_apply's STORE_Q leaves it alone, and
    /// cg_update's RECOMPUTE_AP reads none but writes the first Gauss-Seidel colour into it.
    fn q_or_z(&self, c: usize) -> &wgpu::Buffer {
        &self.q.as_ref().unwrap_or(&self.z).buffers[c]
    }

    /// The V-cycle's fine scratch for cg_precondition's `last_sweep` (q), or where there is
    /// none a vector that stage only reads (r), for its `last_colour`, which declares t but
    /// sweeps z itself.
    fn t_or_r(&self, c: usize) -> &wgpu::Buffer {
        &self.q.as_ref().unwrap_or(&self.r).buffers[c]
    }
}

/// The linear system's fields a user's set-up kernel writes before each solve: the
/// conductance of each cell's +x, +y, +z face, the full diagonal (Dirichlet faces included)
/// and the right-hand side; with `FineOperator::Split` also the diagonal's rest, what it
/// holds beyond the sum of the cell's face conductances.
pub struct OperatorFields<'a> {
    pub gx: &'a Field,
    pub gy: &'a Field,
    pub gz: &'a Field,
    pub diag: &'a Field,
    pub rest: Option<&'a Field>,
    pub b: &'a Field,
}

/// Where each solve starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// From x moved along its last change (`encode_start`), with x_prev kept for that.
    Warm,
    /// From x = 0, with b written by the user into r (`EllipticSolver::for_corrections`),
    /// keeping the vectors given.
    Zero(CorrectionMemory),
}

pub struct EllipticSolver {
    domain: Arc<Domain>,
    start: Start,
    v: Vectors,
    /// x as the previous solve left it: the warm start moves along the change since (part of
    /// a run's state, checkpointed by the user). None for a solver built `for_corrections`.
    x_prev: Option<Field>,
    vcycle: Option<VCycle>,
    /// Iterations queued per read-back of 48 bytes (results do not depend on it).
    batch: u32,
    /// Iterations of the previous solve: whether to queue the first batch with the set-up.
    last_iterations: u32,
    scalars: wgpu::Buffer,
    staging: wgpu::Buffer,
    k: Kernels,
    /// Bind groups per chunk.
    /// None without a warm start: the start's direction is then cleared instead.
    warm_bg: Option<Vec<wgpu::BindGroup>>,
    apply_p_bg: Vec<wgpu::BindGroup>,
    /// None for a solver `for_corrections` (no start kernel).
    start_bg: Option<Vec<wgpu::BindGroup>>,
    update_bg: Vec<wgpu::BindGroup>,
    jacobi_bg: [Vec<wgpu::BindGroup>; 2],
    direction_bg: Vec<wgpu::BindGroup>,
    sums: Vec<(Kernel, wgpu::BindGroup)>,
    /// The split operator's last step (cg_deflate.wgsl), the shift of x by the mean's
    /// correction that the CG update's sums set, with its bind groups per chunk. None for
    /// the other forms.
    deflation: Option<(Kernel, Vec<wgpu::BindGroup>)>,
}

impl EllipticSolver {
    /// A solver for x (`phi`) on `domain`; `label` prefixes its fields' names (`x_prev` is
    /// named `<label>_prev`, the name a checkpoint stores).
    pub fn new(
        gpu: &Gpu,
        domain: &Arc<Domain>,
        phi: &Field,
        preconditioner: Preconditioner,
        label: &str,
    ) -> Result<EllipticSolver> {
        Self::build(
            gpu,
            domain,
            phi,
            preconditioner,
            label,
            Start::Warm,
            FineOperator::Stored,
        )
    }

    /// A solver whose every solve starts from x = 0 (it clears x), for corrections to a
    /// solution kept elsewhere (gde's steady solves refine an f64 solution on the host). It
    /// keeps neither the warm start's x_prev nor b, two fields fewer: the user writes b into
    /// `rhs()`, which is the residual r's memory (the residual of x = 0 is b), before
    /// each solve, and `SolveControl::warm_step_max` is ignored. Its fine operator is kept in
    /// `form`: stored (`operator`) or one conductivity per cell (`conductivity`); `memory`
    /// says which vectors it keeps.
    pub fn for_corrections(
        gpu: &Gpu,
        domain: &Arc<Domain>,
        phi: &Field,
        preconditioner: Preconditioner,
        form: FineOperator,
        memory: CorrectionMemory,
        label: &str,
    ) -> Result<EllipticSolver> {
        let start = Start::Zero(memory);
        Self::build(gpu, domain, phi, preconditioner, label, start, form)
    }

    fn build(
        gpu: &Gpu,
        domain: &Arc<Domain>,
        phi: &Field,
        preconditioner: Preconditioner,
        label: &str,
        start: Start,
        form: FineOperator,
    ) -> Result<EllipticSolver> {
        super::operator::check(gpu, form, domain)?;
        let warm_start = start == Start::Warm;
        let (keep_q, half_p) = match start {
            Start::Warm => (true, false),
            Start::Zero(memory) => (memory.keeps_q(), memory == CorrectionMemory::Half),
        };
        if half_p {
            require_half_fields(gpu, domain, "a solver's search direction")?;
        }
        let f = |name: &str| Field::new(gpu, domain, &format!("{label} {name}"));
        let p_element = if half_p { Element::F16 } else { Element::F32 };
        let v = Vectors {
            operator: OperatorStore::new(gpu, domain, label, form),
            b: warm_start.then(|| f("b")),
            r: f("r"),
            p: Field::typed(gpu, domain, &format!("{label} p"), p_element),
            q: keep_q.then(|| f("q")),
            z: f("z"),
        };
        let x_prev = warm_start.then(|| Field::new(gpu, domain, &format!("{label}_prev")));
        let buffer = |label: &str, size: u64, usage: wgpu::BufferUsages| {
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        use wgpu::BufferUsages as U;
        let scalars = buffer(
            "cg scalars",
            SCALARS_BYTES,
            U::STORAGE | U::COPY_SRC | U::COPY_DST,
        );
        let staging = buffer("cg read-back", SCALARS_BYTES, U::MAP_READ | U::COPY_DST);
        // One vec4 of partial sums per workgroup (solvers/include/cg_partials.wgsl).
        let partials = buffer("cg partials", domain.total_groups() as u64 * 16, U::STORAGE);
        // Every cell kernel here runs on the fine level only: built for its shape.
        let kernel = |path: &'static str| Kernel::shaped(gpu, path, domain);
        let sums = |entry: &str| Kernel::with_entry(gpu, "solvers/cg_scalars.wgsl", entry);
        let multigrid = match preconditioner {
            Preconditioner::Multigrid(coarsening) => {
                Some(Multigrid::new(gpu, domain, &v.fine_level(), coarsening)?)
            }
            Preconditioner::Jacobi => None,
        };
        // The stages that read the fine operator, built for its form, and with p's precision
        // (those that do not touch p ignore that swap).
        let p_swaps: &[(&str, &str)] = if half_p { HALF_DIRECTION } else { &[] };
        // They run on the fine level only: built for its shape.
        let stage = |path: &'static str, entry: &str, constants: &[(&str, f64)]| {
            let mut all = constants.to_vec();
            all.extend(Kernel::shape_of(domain));
            form.kernel_with(gpu, domain, path, entry, &all, p_swaps)
        };
        // Colours of the fine level's Gauss-Seidel sweeps where it is smoothed in place.
        let colours = f64::from(gauss_seidel_colours(domain.grid.counts()));
        // cg_precondition.wgsl with its pipeline constants.
        let precondition = |entry: &str, jacobi: bool, first: bool| {
            let constants = [
                ("JACOBI", Kernel::flag(jacobi)),
                ("FIRST", Kernel::flag(first)),
                ("GAUSS_SEIDEL", Kernel::flag(!keep_q)),
                ("COLOURS", colours),
            ];
            stage("solvers/cg_precondition.wgsl", entry, &constants)
        };
        let k = Kernels {
            warm: kernel("solvers/warm_direction.wgsl")?,
            apply: stage(
                "solvers/cg_apply.wgsl",
                "main",
                &[("STORE_Q", Kernel::flag(keep_q))],
            )?,
            start: if warm_start {
                Some(stage("solvers/cg_start.wgsl", "main", &[])?)
            } else {
                None
            },
            update: stage(
                "solvers/cg_update.wgsl",
                "main",
                &[
                    ("FIRST_SWEEP", Kernel::flag(multigrid.is_some() && keep_q)),
                    ("RECOMPUTE_AP", Kernel::flag(!keep_q)),
                    ("FIRST_COLOUR", Kernel::flag(multigrid.is_some() && !keep_q)),
                    ("COLOURS", colours),
                ],
            )?,
            jacobi: [
                precondition("main", true, false)?,
                precondition("main", true, true)?,
            ],
            direction: Kernel::with_constants_and_includes(
                gpu,
                "solvers/cg_direction.wgsl",
                "main",
                &Kernel::shape_of(domain),
                p_swaps,
            )?,
        };
        // The warm start's direction d goes into p, its image A d into q.
        let warm_bg = x_prev.as_ref().map(|prev| {
            k.warm.bind_chunks(gpu, domain, |c| {
                vec![&phi.buffers[c], &prev.buffers[c], &v.p.buffers[c]]
            })
        });
        // Bound by name: the fine operator's buffers depend on its form, and a stage that
        // reads only the diagonal skips the faces.
        let op = &v.operator;
        let apply_p_bg = k.apply.bind_chunks_named(gpu, domain, |c| {
            product_named_with(
                op,
                c,
                &[
                    ("p", &v.p.buffers[c]),
                    ("q", v.q_or_z(c)),
                    ("partials", &partials),
                    ("scalars", &scalars),
                ],
            )
        });
        let start_bg = k.start.as_ref().zip(v.b.as_ref()).map(|(start, b)| {
            start.bind_chunks_named(gpu, domain, |c| {
                product_named_with(
                    op,
                    c,
                    &[
                        ("phi", &phi.buffers[c]),
                        ("d", &v.p.buffers[c]),
                        ("b", &b.buffers[c]),
                        ("r", &v.r.buffers[c]),
                        ("q", v.q_or_z(c)),
                        ("partials", &partials),
                    ],
                )
            })
        });
        let update_bg = k.update.bind_chunks_named(gpu, domain, |c| {
            product_named_with(
                op,
                c,
                &[
                    ("scalars", &scalars),
                    ("p", &v.p.buffers[c]),
                    ("q", v.q_or_z(c)),
                    ("x", &phi.buffers[c]),
                    ("r", &v.r.buffers[c]),
                    ("partials", &partials),
                ],
            )
        });
        // [later iterations, the first].
        // last_sweep also reads the fine faces and the V-cycle's fine scratch q (as t).
        let precondition_bg = |kernels: &[Kernel; 2]| {
            [0, 1].map(|first| {
                kernels[first].bind_chunks_named(gpu, domain, |c| {
                    named_with(
                        op,
                        c,
                        &[
                            ("r", &v.r.buffers[c]),
                            ("z", &v.z.buffers[c]),
                            ("partials", &partials),
                            ("p", &v.p.buffers[c]),
                            ("t", v.t_or_r(c)),
                            ("scalars", &scalars),
                        ],
                    )
                })
            })
        };
        let jacobi_bg = precondition_bg(&k.jacobi);
        let vcycle = match multigrid {
            Some(multigrid) => {
                let fused = multigrid.ends_with_fine_sweep();
                let entry = match (fused, keep_q) {
                    (false, _) => "main",
                    (true, true) => "last_sweep",
                    (true, false) => "last_colour",
                };
                let finish = [
                    precondition(entry, false, false)?,
                    precondition(entry, false, true)?,
                ];
                let finish_bg = precondition_bg(&finish);
                Some(VCycle {
                    multigrid,
                    fused,
                    finish,
                    finish_bg,
                })
            }
            None => None,
        };
        let direction_bg = k.direction.bind_chunks_named(gpu, domain, |c| {
            vec![
                ("scalars", &scalars),
                ("z", &v.z.buffers[c]),
                ("p", &v.p.buffers[c]),
            ]
        });
        // Auto layouts belong to one pipeline each, so every entry point gets its own group.
        let mut sums_built = Vec::new();
        for entry in SUM_ENTRIES {
            let kernel = sums(entry)?;
            let bg = kernel.bind(gpu, &[&partials, &scalars]);
            sums_built.push((kernel, bg));
        }
        let deflation = match op {
            OperatorStore::Stored {
                diag,
                rest: Some(rest),
                ..
            } => {
                let kernel = kernel("solvers/cg_deflate.wgsl")?;
                let groups = kernel.bind_chunks_named(gpu, domain, |c| {
                    vec![
                        ("diag", &diag.buffers[c]),
                        ("rest", &rest.buffers[c]),
                        ("x", &phi.buffers[c]),
                        ("scalars", &scalars),
                    ]
                });
                Some((kernel, groups))
            }
            _ => None,
        };
        // Iterations per read-back: a V-cycle costs tens of dispatches and a warm start needs a
        // few; Jacobi iterations are cheap and number in the hundreds.
        let batch = if vcycle.is_some() { 1 } else { 16 };
        Ok(EllipticSolver {
            domain: domain.clone(),
            start,
            v,
            x_prev,
            vcycle,
            batch,
            last_iterations: 1,
            scalars,
            staging,
            k,
            warm_bg,
            apply_p_bg,
            start_bg,
            update_bg,
            jacobi_bg,
            direction_bg,
            sums: sums_built,
            deflation,
        })
    }

    /// Sets the iterations queued per read-back (at least 1). Performance only: iterations
    /// past convergence are no-ops on the GPU, so results do not depend on it.
    pub fn set_batch(&mut self, iterations: u32) {
        self.batch = iterations.max(1);
    }

    /// Dispatches of one preconditioning as a solve runs it after the CG update: the
    /// multigrid V-cycle and the CG sums of z, which ride on the cycle's last sweep where
    /// it ends with one (None with the Jacobi preconditioner).
    pub fn dispatches_per_precondition(&self, gpu: &Gpu) -> Option<usize> {
        let vc = self.vcycle.as_ref()?;
        let cycle = vc
            .multigrid
            .dispatches_per_vcycle(gpu, &self.v.fine_level(), true);
        Some(cycle + usize::from(!vc.fused))
    }

    /// For the bench: submits the coarse operators' build and `count` preconditioner
    /// applications to the current residual, with no read-back, so that their GPU time can
    /// be told apart from a solve's waits. It writes only vectors that every solve recomputes
    /// before reading (z, q, the coarse levels and the workgroup partial sums). False with
    /// the Jacobi preconditioner.
    pub fn submit_vcycles(&self, gpu: &Gpu, count: u32) -> bool {
        let Some(vc) = &self.vcycle else {
            return false;
        };
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        let mut rec = Recorder::new(&mut enc);
        vc.multigrid.encode_build(&mut rec);
        for _ in 0..count {
            self.precondition(&mut rec, false, false);
        }
        drop(rec);
        gpu.submit(enc.finish());
        true
    }

    /// The CG scalars, once a submitted copy into the staging buffer has run.
    fn read_scalars(&self, gpu: &Gpu) -> Scalars {
        let raw = crate::gpu::field::read_mapped(gpu, &self.staging);
        *bytemuck::from_bytes(bytemuck::cast_slice(&raw))
    }

    #[track_caller]
    fn single(&self, rec: &mut Recorder, which: Sum) {
        let (k, bg) = &self.sums[which as usize];
        let pass = rec.pass();
        crate::gpu::set_pipeline(pass, k.pipeline());
        pass.set_bind_group(0, bg, &[]);
        pass.dispatch_workgroups(1, 1, 1);
    }

    #[track_caller]
    fn cells(&self, rec: &mut Recorder, k: &Kernel, groups: &[wgpu::BindGroup]) {
        self.domain.dispatch(rec.pass(), k.pipeline(), groups);
    }

    /// z = M⁻¹ r and the partial sums of (r·z, |D⁻¹r|²); in the `first` iteration also the
    /// first direction p = z. `after_update`: the CG update (which with multigrid writes the
    /// V-cycle's first fine sweep) ran last.
    fn precondition(&self, rec: &mut Recorder, first: bool, after_update: bool) {
        let f = usize::from(first);
        match &self.vcycle {
            Some(vc) if vc.fused => {
                let finish = FineFinish {
                    kernel: &vc.finish[f],
                    groups: &vc.finish_bg[f],
                };
                vc.multigrid
                    .encode_vcycle(rec, &self.v.fine_level(), after_update, Some(finish));
            }
            Some(vc) => {
                vc.multigrid
                    .encode_vcycle(rec, &self.v.fine_level(), after_update, None);
                self.cells(rec, &vc.finish[f], &vc.finish_bg[f]);
            }
            None => self.cells(rec, &self.k.jacobi[f], &self.jacobi_bg[f]),
        }
    }

    /// The user's operator and right-hand side (`setup`), and the warm start with its
    /// residual r = b - Aφ and Jacobi-scaled norm (converged already?).
    /// The warm start is φ + θ d, d = φ - φ_prev the change over the last solve and θ the
    /// step along d that minimises ‖D⁻¹(r - θ A d)‖, the convergence measure, within
    /// [0, θ_max] (cg_start.wgsl); θ_max = 0 starts from φ itself. A solver
    /// `for_corrections` starts from φ = 0 with r = b as its user wrote it: its start is the
    /// CG update at α = 0 (`solve` writes it), which leaves both as they are and sums
    /// |D⁻¹r|² = |D⁻¹b|², the scale of the convergence test, and with multigrid writes the
    /// first V-cycle's first fine sweep; `from_zero` then totals it (two dispatches fewer
    /// than a start kernel and a `theta` stage before the update, with the same bits).
    fn encode_start(&self, rec: &mut Recorder, phi: &Field, setup: &dyn Fn(&mut Recorder)) {
        let v = &self.v;
        // The operator and b, then d = φ - φ_prev into p.
        setup(rec);
        match (&self.warm_bg, self.start) {
            (Some(groups), _) => self.cells(rec, &self.k.warm, groups),
            // No direction: θ A d = 0 (q = 0 too, since the start does not write it), and
            // the start is x itself, or zero.
            (None, start) => {
                let mut clear = vec![&v.p];
                if let Start::Zero(_) = start {
                    clear.push(phi);
                    clear.extend(&v.q);
                }
                for field in clear {
                    field.encode_clear(rec);
                }
            }
        }
        // The operator is read only through neighbour_on: no wrap pass on one chunk.
        // A correction's r is the user's b, written like the operator.
        let user_r = matches!(self.start, Start::Zero(_)).then_some(&v.r);
        for f in v.operator.fields().into_iter().chain([&v.p]).chain(user_r) {
            f.exchange_chunk_halos(rec);
        }
        match (&self.k.start, &self.start_bg) {
            // r = b - Aφ, q = A d, and θ into the scalars' α (with |D⁻¹b|² and the iteration
            // count's reset); the CG update then moves φ by θ d and r by -θ q.
            (Some(start), Some(groups)) => {
                self.cells(rec, start, groups);
                self.single(rec, Sum::Theta);
                self.cells(rec, &self.k.update, &self.update_bg);
                self.single(rec, Sum::Residual);
            }
            _ => {
                self.cells(rec, &self.k.update, &self.update_bg);
                self.single(rec, Sum::FromZero);
            }
        }
    }

    /// One PCG iteration: z = M⁻¹r and the new direction p (p = z on the `first`), then
    /// q = A p, the step φ += α p, r -= α q, and the new residual norm into the scalars.
    /// Every iteration follows an update (the warm start's, or the last iteration's).
    fn iteration(&self, rec: &mut Recorder, first: bool) {
        let v = &self.v;
        // A half-precision p takes its scale from the sums of z, so its first direction is
        // written after them, by the direction update with β = 0.
        let half_p = self.start == Start::Zero(CorrectionMemory::Half);
        self.precondition(rec, first && !half_p, true);
        if first {
            self.single(rec, Sum::Init);
            if half_p {
                self.cells(rec, &self.k.direction, &self.direction_bg);
            }
        } else {
            self.single(rec, Sum::Beta);
            self.cells(rec, &self.k.direction, &self.direction_bg);
        }
        v.p.exchange_chunk_halos(rec);
        self.cells(rec, &self.k.apply, &self.apply_p_bg);
        self.single(rec, Sum::Alpha);
        self.cells(rec, &self.k.update, &self.update_bg);
        self.single(rec, Sum::Residual);
    }

    /// x as the previous solve left it, for checkpoints. Panics for a solver built
    /// `for_corrections`, which has none.
    pub fn x_prev(&self) -> &Field {
        self.x_prev
            .as_ref()
            .expect("a solver built without a warm start has no x_prev")
    }

    /// The fields of the linear system, for the bind groups of a user's set-up kernel.
    /// Panics for a solver whose fine operator is a conductivity (`conductivity`, `rhs`).
    pub fn operator(&self) -> OperatorFields<'_> {
        let OperatorStore::Stored {
            gx,
            gy,
            gz,
            diag,
            rest,
        } = &self.v.operator
        else {
            panic!("this solver computes its operator from a conductivity: write `conductivity()`");
        };
        OperatorFields {
            gx,
            gy,
            gz,
            diag,
            rest: rest.as_ref(),
            b: self.rhs(),
        }
    }

    /// The right-hand side b, for the user to write before each solve (for a solver
    /// `for_corrections`, the memory of the residual r).
    pub fn rhs(&self) -> &Field {
        self.v.b.as_ref().unwrap_or(&self.v.r)
    }

    /// The conductivity per cell of a solver built with `FineOperator::Conductivity` (see
    /// there for its sign), for the user to write; its ghost planes are exchanged at the
    /// start of each solve. Panics for a stored operator (`operator`).
    pub fn conductivity(&self) -> &Field {
        match &self.v.operator {
            OperatorStore::Conductivity { sigma, .. } => sigma,
            OperatorStore::Stored { .. } => {
                panic!("this solver's operator is stored: write `operator()`")
            }
        }
    }

    /// Solves for `phi` (the field given at construction; warm start from its current values
    /// moved along their last change, see `encode_start`) as far as `control` says. `setup`
    /// encodes the kernels that write the operator and right-hand side (`operator`); it runs
    /// in the solve's first submission.
    pub fn solve(
        &mut self,
        gpu: &Gpu,
        phi: &Field,
        control: SolveControl,
        setup: &dyn Fn(&mut Recorder),
    ) -> Result<SolveReport> {
        let SolveControl {
            tolerance,
            max_iterations,
            max_iterations_key,
            warm_step_max,
        } = control;
        let tol2 = (tolerance * tolerance) as f32;
        gpu.queue
            .write_buffer(&self.scalars, TOL2_OFFSET, bytemuck::bytes_of(&tol2));
        gpu.queue.write_buffer(
            &self.scalars,
            THETA_MAX_OFFSET,
            bytemuck::bytes_of(&warm_step_max),
        );
        if let Start::Zero(_) = self.start {
            // The start's update steps by α = 0 (`encode_start`).
            gpu.queue
                .write_buffer(&self.scalars, ALPHA_OFFSET, bytemuck::bytes_of(&0.0f32));
        }
        // A half-precision p is all zero until the first direction sets its scale.
        gpu.queue.write_buffer(
            &self.scalars,
            DIRECTION_SCALES_OFFSET,
            bytemuck::bytes_of(&[1.0f32; 2]),
        );
        let relative = |s: &Scalars| {
            if s.bb > 0.0 {
                (s.rr.max(0.0) as f64).sqrt() / (s.bb as f64).sqrt()
            } else {
                0.0
            }
        };
        // When the last solve needed iterations, the first batch goes with the set-up, without
        // waiting for the warm start's residual (iterations that start converged change
        // nothing, solvers/include/cg.wgsl): a solve of k ≤ batch iterations costs one read-back, not
        // two. Otherwise the warm start is checked first, so an already converged one costs
        // no V-cycle. Either way the result is the same.
        let mut queue_now = if self.last_iterations > 0 {
            self.batch
        } else {
            0
        };
        let mut queued = 0u32;
        let mut set_up = false;
        let s = loop {
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            let mut rec = Recorder::new(&mut enc);
            if !std::mem::replace(&mut set_up, true) {
                self.encode_start(&mut rec, phi, setup);
            }
            if let (Some(vc), true) = (&self.vcycle, queued == 0 && queue_now > 0) {
                vc.multigrid.encode_build(&mut rec);
            }
            for _ in 0..queue_now.min(max_iterations - queued) {
                self.iteration(&mut rec, queued == 0);
                queued += 1;
            }
            rec.encoder()
                .copy_buffer_to_buffer(&self.scalars, 0, &self.staging, 0, SCALARS_BYTES);
            drop(rec);
            gpu.submit(enc.finish());
            let s = self.read_scalars(gpu);
            if !s.rr.is_finite() {
                bail!(
                    "the elliptic solver broke down (non-finite residual) after {} iterations",
                    s.iterations
                );
            }
            if s.converged == BROKE_DOWN && s.rr > UNDERFLOW_RR {
                bail!(
                    "the elliptic solver broke down (p·Ap = 0 before convergence) after {} iterations, at relative residual {:.3e} (Σ (D⁻¹r)² = {:.3e})",
                    s.iterations,
                    relative(&s),
                    s.rr
                );
            }
            if s.converged != 0 {
                break s;
            }
            if s.iterations >= max_iterations {
                bail!(
                    "the elliptic solver did not reach relative residual {tolerance:e} in {max_iterations} iterations (it reached {:.3e}); \
                     raise {max_iterations_key} or refine the time step",
                    relative(&s)
                );
            }
            queue_now = self.batch;
        };
        self.last_iterations = s.iterations;
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        let mut rec = Recorder::new(&mut enc);
        if let Some((shift, groups)) = &self.deflation {
            // The split operator's mean over its coupled cells, which the stopping test
            // hardly sees (cg_deflate.wgsl). The residual reported is the CG's, before it.
            self.cells(&mut rec, shift, groups);
        }
        phi.exchange_chunk_halos(&mut rec);
        drop(rec);
        gpu.submit(enc.finish());
        Ok(SolveReport {
            iterations: s.iterations,
            residual: relative(&s),
        })
    }
}

/// The operator's buffers of chunk `c` by name, then `others`.
fn named_with<'b>(
    op: &'b OperatorStore,
    c: usize,
    others: &[(&'static str, &'b wgpu::Buffer)],
) -> Vec<(&'static str, &'b wgpu::Buffer)> {
    let mut list = op.level().named(c);
    list.extend_from_slice(others);
    list
}

/// `named_with` for a stage that forms A p (`OperatorStore::named_for_products`).
fn product_named_with<'b>(
    op: &'b OperatorStore,
    c: usize,
    others: &[(&'static str, &'b wgpu::Buffer)],
) -> Vec<(&'static str, &'b wgpu::Buffer)> {
    let mut list = op.named_for_products(c);
    list.extend_from_slice(others);
    list
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    #[test]
    fn scalars_match_wgsl() {
        crate::gpu::wgsl_layout::layout!(
            Scalars,
            "solvers/cg_scalars.wgsl",
            "Scalars",
            [
                rz,
                alpha,
                beta,
                rr,
                bb,
                tol2,
                iterations,
                converged,
                theta_max,
                direction_scale,
                previous_direction_scale,
                shift
            ]
        );
    }
}
