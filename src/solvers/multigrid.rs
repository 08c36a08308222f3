//! Geometric multigrid V-cycle, the preconditioner of the potential's conjugate gradients
//! (potential.rs). The 10⁶ conductivity contrast between Li metal and electrolyte makes
//! Jacobi-preconditioned CG need iterations growing with the grid (838 on 256² in
//! tests/dendrite_verification.rs); one V-cycle per iteration keeps it near 10 on any grid.
//!
//! - Levels: each coarse level halves every axis (odd sizes round up; the last coarse cell
//!   then has one child) until no axis exceeds `COARSEST_CELLS`. Axes of one cell are kept
//!   as they are, and so are periodic side axes of odd length where the caller asks for
//!   `Coarsening::KeepOddPeriodic` (see there).
//! - Operator: ½ PᵀAP, the Galerkin product with piecewise-constant prolongation P, halved
//!   (shaders/solvers/multigrid_coarsen.wgsl says why); restriction is Pᵀ.
//! - Smoother: two damped-Jacobi sweeps (ω = 0.8) before and two after the coarse
//!   correction, and a fixed even number of sweeps on the coarsest level: the V-cycle is the
//!   same symmetric linear operator every iteration, as CG requires, and treats every cell
//!   alike, so a planar front's potential stays exactly planar (red-black Gauss-Seidel,
//!   tried first, broke that at round-off level and a noiseless front grew fingers).
//!   A fine level given without scratch (`FineLevel::t` None: the least-memory correction
//!   solver, gde's largest images) is smoothed in place instead, by one multi-colour
//!   Gauss-Seidel sweep forward before the coarse correction and one backward after it
//!   (multigrid_gauss_seidel.wgsl; still symmetric), its residual restricted chunk by chunk
//!   (its chunks start at even planes), its correction added in place, and its first coarse
//!   level kept only in chunks where it is chunked.
//! - Dispatches: on a GPU a V-cycle's cost at a few million cells is its chain of dependent
//!   dispatches over small levels (about 9 ms for one at 2.6 M cells on an H200, measured),
//!   so the cycle is encoded with as few as the arithmetic allows: the first sweep of a level
//!   starts from x = 0 (no clear), the residual is summed by the restriction itself where
//!   the finer level is one buffer, the coarse correction is added inside the first sweep
//!   after it (multigrid_prolong_smooth.wgsl) where the level is one buffer, one-chunk
//!   levels need no halo passes (their neighbours wrap inside the buffer, common/grid.wgsl),
//!   and a one-buffer coarse level's first sweep is written by the restriction into it (the
//!   fine level's by the potential solver's CG update, `fine_t_ready`): 4 dispatches per
//!   level instead of 13 with periodic sides.
//! - The bottom: from the first level of at most `BOTTOM_CELLS` cells down to the coarsest
//!   and back, the whole cycle is one dispatch of one workgroup (multigrid_bottom.wgsl, which
//!   also builds those levels' operators in one), instead of 4 per level and the coarsest's
//!   sweeps. Its first level's vectors have room behind them for the coarser levels. (Those
//!   levels also keep fields of their own, a few thousand cells, which only the per-level
//!   path of `with_bottom(.., false)` uses, the tests' reference.) On a CPU device the
//!   bottom's workgroup is smaller (`CPU_BOTTOM_THREADS`).
//!   dendrite-3d's V-cycle is 13 dispatches in a solve (26 before the bottom and the fused
//!   first sweeps).
//!   `dispatches_per_vcycle` counts them (tested); they share one compute pass unless a copy
//!   between chunks intervenes (gpu/recorder.rs). Every variant computes each value by the
//!   same expression, so iterates do not depend on which one ran (tested bit for bit against
//!   `with_bottom(.., false)`).
//! - Chunks: coarse levels normally fit in one buffer. When the fine level is split into
//!   chunks, the first coarse level is also built in chunks aligned with the fine ones
//!   (`aligned`, each coarse chunk holds the parents of one fine chunk's planes) for
//!   restriction and prolongation, and copied plane by plane to and from its one-buffer form.
//!   Every cell is computed the same way either way, so results do not depend on chunking.

use anyhow::Result;
use bytemuck::{Pod, Zeroable};
use std::cell::Cell;
use std::sync::Arc;
use wgpu::util::DeviceExt;

use super::operator::{FineOperator, LevelOperator};
use crate::gpu::domain::GridInfo;
use crate::gpu::{ChunkSpan, Domain, Field, Gpu, Kernel, Recorder};
use crate::grid::Grid;

/// Coarsening stops when no axis has more cells than this.
const COARSEST_CELLS: u32 = 4;

/// A caller's kernel for the V-cycle's last fine sweep, bound per fine chunk
/// (`Multigrid::encode_vcycle`).
#[derive(Clone, Copy)]
pub struct FineFinish<'a> {
    pub kernel: &'a Kernel,
    pub groups: &'a [wgpu::BindGroup],
}

/// The fine level's operator and vectors, owned by the potential solver: b is the residual
/// to precondition, x receives M⁻¹b. The operator is stored, or computed from a conductivity
/// per cell (operator.rs); the coarse levels' are stored either way. `t`: the scratch that
/// damped-Jacobi sweeps alternate with x; without it the fine level is smoothed in place by
/// multi-colour Gauss-Seidel (shaders/solvers/multigrid_gauss_seidel.wgsl), one fine vector
/// fewer (see the module doc).
#[derive(Clone, Copy)]
pub struct FineLevel<'a> {
    pub operator: LevelOperator<'a>,
    pub b: &'a Field,
    pub x: &'a Field,
    pub t: Option<&'a Field>,
}

/// The fields of one coarse level (or of its chunk-aligned copy).
struct LevelFields {
    gx: Field,
    gy: Field,
    gz: Field,
    diag: Field,
    b: Field,
    x: Field,
    t: Field,
}

impl LevelFields {
    fn new(gpu: &Gpu, domain: &Arc<Domain>) -> LevelFields {
        Self::with_room(gpu, domain, 0)
    }

    /// Fields with room for `extra_cells` behind each (the bottom's coarser levels).
    fn with_room(gpu: &Gpu, domain: &Arc<Domain>, extra_cells: u64) -> LevelFields {
        let f = |name: &str| Field::with_room(gpu, domain, name, extra_cells);
        LevelFields {
            gx: f("mg gx"),
            gy: f("mg gy"),
            gz: f("mg gz"),
            diag: f("mg diag"),
            b: f("mg b"),
            x: f("mg x"),
            t: f("mg t"),
        }
    }
}

/// Bind groups of one level (per chunk), for the kernels that work on it alone.
struct LevelGroups {
    /// The first sweep, 0 → t.
    from_zero: Vec<wgpu::BindGroup>,
    /// Jacobi sweeps x → t and t → x.
    sweep_to_t: Vec<wgpu::BindGroup>,
    sweep_to_x: Vec<wgpu::BindGroup>,
}

/// Bind groups between level l and l + 1: restriction and coarsening run over l + 1's
/// chunk-aligned form, prolongation over level l.
struct Transition {
    restriction: Restriction,
    coarsen: Vec<wgpu::BindGroup>,
    prolongation: Prolongation,
}

/// How level l's residual reaches level l + 1's right-hand side.
enum Restriction {
    /// Summed by the restriction itself (level l is one buffer, or a fine level smoothed in
    /// place whose chunks start at even planes, run chunk by chunk).
    Fused(Vec<wgpu::BindGroup>),
    /// The same, also writing level l + 1's first sweep (levels l and l + 1 are one buffer,
    /// and l + 1 is not the bottom's first level, which sweeps inside the bottom kernel).
    FusedWithFirstSweep(Vec<wgpu::BindGroup>),
    /// Written to t by the residual kernel over level l, then restricted (level l is
    /// chunked: a child in a ghost plane would need the plane beyond it).
    TwoPass {
        residual: Vec<wgpu::BindGroup>,
        restrict: Vec<wgpu::BindGroup>,
    },
}

/// How level l + 1's correction reaches level l.
enum Prolongation {
    /// Added inside the first sweep after it, x + P e → t (level l is one buffer).
    Fused(Vec<wgpu::BindGroup>),
    /// Added to x in a pass of its own, then swept (level l is chunked).
    TwoPass(Vec<wgpu::BindGroup>),
}

struct CoarseLevel {
    domain: Arc<Domain>,
    fields: LevelFields,
    /// Chunk-aligned copy, when the finer level is split into chunks and this one is not.
    aligned: Option<(Arc<Domain>, LevelFields)>,
}

impl CoarseLevel {
    /// The domain and fields that line up with the finer level's chunks.
    fn aligned(&self) -> (&Arc<Domain>, &LevelFields) {
        match &self.aligned {
            Some((d, f)) => (d, f),
            None => (&self.domain, &self.fields),
        }
    }
}

/// The stages of a level and of the transition to the next one, built for the operator form
/// of that level (the fine level's may be matrix-free; `restrict` and `prolong` read no
/// operator) and, on grids of more than `BOTTOM_CELLS` cells, for the shape of the grid they
/// run over (`Kernel::shape_of`): the level's own, and for the restriction and coarsening
/// the next level's (in its chunk-aligned form). Smaller levels cost a dispatch more than
/// their cells, and share one set (the device builds each set of constants once).
struct Kernels {
    smooth: Kernel,
    smooth_from_zero: Kernel,
    residual: Kernel,
    restrict: Kernel,
    restrict_residual: Kernel,
    restrict_residual_sweep: Kernel,
    coarsen: Kernel,
    prolong: Kernel,
    prolong_smooth: Kernel,
}

impl Kernels {
    fn new(gpu: &Gpu, level: &Domain, next: &Domain, operator: FineOperator) -> Result<Kernels> {
        let shape = |domain: &Domain| {
            if domain.grid.cells() > BOTTOM_CELLS {
                Kernel::shape_of(domain).to_vec()
            } else {
                Vec::new()
            }
        };
        let on = |domain: &Domain, path: &'static str, entry: &str, own: &[(&str, f64)]| {
            let mut constants = own.to_vec();
            constants.extend(shape(domain));
            operator.kernel(gpu, domain, path, entry, &constants)
        };
        let smooth = "solvers/multigrid_smooth.wgsl";
        let restrict_residual = |with_sweep: bool| {
            let path = "solvers/multigrid_restrict_residual.wgsl";
            let sweep = [("WITH_FIRST_SWEEP", Kernel::flag(with_sweep))];
            on(next, path, "main", &sweep)
        };
        let plain = |domain: &Domain, path: &'static str| {
            Kernel::with_constants(gpu, path, "main", &shape(domain))
        };
        Ok(Kernels {
            smooth: on(level, smooth, "main", &[])?,
            smooth_from_zero: on(
                level,
                "solvers/multigrid_smooth_from_zero.wgsl",
                "main",
                &[],
            )?,
            residual: on(level, smooth, "residual", &[])?,
            restrict: plain(next, "solvers/multigrid_restrict.wgsl")?,
            restrict_residual: restrict_residual(false)?,
            restrict_residual_sweep: restrict_residual(true)?,
            coarsen: on(next, "solvers/multigrid_coarsen.wgsl", "main", &[])?,
            prolong: plain(level, "solvers/multigrid_prolong.wgsl")?,
            prolong_smooth: on(level, "solvers/multigrid_prolong_smooth.wgsl", "main", &[])?,
        })
    }
}

/// The fine level's in-place smoother, where it has no scratch vector
/// (multigrid_gauss_seidel.wgsl): the first colour's sweep from zero and one sweep per colour,
/// bound per fine chunk.
struct GaussSeidel {
    from_zero: Kernel,
    from_zero_groups: Vec<wgpu::BindGroup>,
    /// Per colour.
    sweeps: Vec<(Kernel, Vec<wgpu::BindGroup>)>,
}

impl GaussSeidel {
    fn new(gpu: &Gpu, domain: &Domain, fine: &FineLevel) -> Result<GaussSeidel> {
        let path = "solvers/multigrid_gauss_seidel.wgsl";
        let form = fine.operator.form();
        let colours = gauss_seidel_colours(domain.grid.counts());
        let kernel = |entry: &str, colour: u32| {
            let mut constants = vec![("COLOURS", colours as f64), ("COLOUR", colour as f64)];
            constants.extend(Kernel::shape_of(domain));
            form.kernel(gpu, domain, path, entry, &constants)
        };
        let bind = |k: &Kernel| {
            k.bind_chunks_named(gpu, domain, |c| {
                let mut b = fine.operator.named(c);
                b.extend([("b", &fine.b.buffers[c]), ("x", &fine.x.buffers[c])]);
                b
            })
        };
        let from_zero = kernel("from_zero", 0)?;
        let from_zero_groups = bind(&from_zero);
        let mut sweeps = Vec::new();
        for colour in 0..colours {
            let k = kernel("main", colour)?;
            let groups = bind(&k);
            sweeps.push((k, groups));
        }
        Ok(GaussSeidel {
            from_zero,
            from_zero_groups,
            sweeps,
        })
    }
}

/// How a forward Gauss-Seidel pass starts.
#[derive(Clone, Copy)]
enum FirstColour {
    /// From x = 0 (multigrid_gauss_seidel.wgsl's `from_zero`).
    FromZero,
    /// Written already, by the caller's last kernel (`encode_vcycle`'s `fine_t_ready`).
    Written,
    /// Swept from x as it is.
    Swept,
}

/// A V-cycle's first forward pass: from zero, unless the caller wrote its first colour.
fn first_colour(written: bool) -> FirstColour {
    if written {
        FirstColour::Written
    } else {
        FirstColour::FromZero
    }
}

/// Colours of the fine level's Gauss-Seidel sweeps on a grid of `n` cells: 2 (cells by the
/// parity of x + y + z) unless a side axis has an odd length above 1, whose wrap joins two
/// cells of one parity: 3 then (multigrid_gauss_seidel.wgsl says how they are assigned).
pub(crate) fn gauss_seidel_colours(n: [u32; 3]) -> u32 {
    if n[1..].iter().any(|&k| k > 1 && k % 2 == 1) {
        3
    } else {
        2
    }
}

/// The bottom of the V-cycle, every level from the first coarse one of at most this many
/// cells (ghost planes included) down to the coarsest and back, runs as one dispatch of one
/// workgroup (multigrid_bottom.wgsl). At 1024 threads that is up to 8 cells per thread and
/// stage, a few microseconds on a GPU, about what one more dependent dispatch costs.
const BOTTOM_CELLS: u64 = 8192;

/// The bottom's workgroup on a CPU device (lavapipe), where one workgroup runs on one core
/// and every barrier switches all its invocations in turn: at 1024 (lavapipe's largest)
/// per-level dispatches had run FiPy's trench (superfill-trench-2d to 7.8 s) 12 % faster
/// than the fused bottom; at 32 the fused bottom takes its solves from 16.0 ms per step
/// (per-level) to 12.3–12.9 ms (16: 14.7 ms, 64: 12.9–13.4 ms; docs/performance.md).
const CPU_BOTTOM_THREADS: u32 = 32;

/// A bottom level's entry in the bottom kernels' table (`BottomLevel` of
/// multigrid_bottom.wgsl): its grid and its offset in the first bottom level's vectors.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct BottomLevel {
    info: GridInfo,
    base: u32,
    _pad: [u32; 3],
}

/// The bottom's single-workgroup kernels.
struct Bottom {
    /// Level number (0: the fine level) of the bottom's first level.
    first: usize,
    /// Levels in the bottom, the first included.
    levels: usize,
    vcycle: Kernel,
    vcycle_group: wgpu::BindGroup,
    build: Kernel,
    build_group: wgpu::BindGroup,
    _table: wgpu::Buffer,
}

pub struct Multigrid {
    fine_domain: Arc<Domain>,
    /// Levels 1.. (the fine level's fields are the solver's; it passes them to each call).
    coarse: Vec<CoarseLevel>,
    /// The stages of each level that runs its own dispatches (levels 0 ..= `depth()`, or
    /// 0 .. depth() where there is a bottom), built for its operator form and, where it is
    /// large, its shape.
    stages: Vec<Kernels>,
    /// Per level; None for a fine level smoothed by Gauss-Seidel (`gauss_seidel`) and for
    /// the bottom's levels.
    groups: Vec<Option<LevelGroups>>,
    gauss_seidel: Option<GaussSeidel>,
    transitions: Vec<Transition>,
    coarsest_sweeps: u32,
    /// The fused bottom, or None where every level runs its own dispatches.
    bottom: Option<Bottom>,
    /// Dispatches encoded so far (`dispatches_per_vcycle`).
    dispatches: Cell<usize>,
}

/// Which axes each coarse level halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coarsening {
    /// Every axis of more than one cell, odd sizes rounded up (the last coarse cell then has
    /// one child, and along a periodic axis it neighbours the first).
    EveryAxis,
    /// Every axis except periodic side axes of odd length, which are kept: a level is then
    /// uniform along a periodic axis whenever the problem is, so a problem uniform along it
    /// gets an exactly uniform correction (the dendrite potential's planar front, which a
    /// one-child coarse cell breaks at round-off level and a noiseless front amplifies into
    /// fingers). The price is convergence where such an axis is long: its smooth errors are
    /// never seen at a coarser scale, and the coarse operators' factor ½ under-weights its
    /// links (gde's shipped GDL, periodic sides of 120 and 50 cells: 44 iterations along x
    /// kept, 15 coarsened).
    KeepOddPeriodic,
}

/// Cell counts of the level below `n`: each axis halved, rounded up, except periodic side
/// axes (1 and 2) of odd length under `Coarsening::KeepOddPeriodic`, which are kept.
fn coarser(n: [u32; 3], periodic_sides: bool, coarsening: Coarsening) -> [u32; 3] {
    let mut c = n.map(|k| k.div_ceil(2));
    for a in 1..3 {
        if coarsening == Coarsening::KeepOddPeriodic && periodic_sides && n[a] % 2 == 1 {
            c[a] = n[a];
        }
    }
    c
}

/// Chunks of a coarse level that hold the parents of each fine chunk's planes (the chunking
/// axis coarsened by `factor`), or None if a fine chunk has no plane of its own there (a
/// one-plane chunk at an odd plane).
fn aligned_spans(fine: &[ChunkSpan], factor: u32) -> Option<Vec<ChunkSpan>> {
    let spans: Vec<ChunkSpan> = fine
        .iter()
        .map(|c| {
            let first = c.first_plane.div_ceil(factor);
            ChunkSpan {
                first_plane: first,
                planes: (c.first_plane + c.planes).div_ceil(factor) - first,
            }
        })
        .collect();
    spans.iter().all(|s| s.planes > 0).then_some(spans)
}

fn grid_of(n: [u32; 3], dx: f64) -> Grid {
    if n[2] > 1 {
        Grid::new_3d(n[0], n[1], n[2], dx)
    } else {
        Grid::new_2d(n[0], n[1], dx)
    }
}

impl Multigrid {
    /// The V-cycle for `fine` on `fine_domain`, its bottom fused into one dispatch (on a
    /// CPU device of `CPU_BOTTOM_THREADS` invocations). Both forms give the same bits.
    pub fn new(
        gpu: &Gpu,
        fine_domain: &Arc<Domain>,
        fine: &FineLevel,
        coarsening: Coarsening,
    ) -> Result<Multigrid> {
        Self::with_bottom(gpu, fine_domain, fine, coarsening, true)
    }

    /// With `fused_bottom` false every level runs its own dispatches: the same V-cycle, bit
    /// for bit (tests compare the two), in more dispatches.
    pub fn with_bottom(
        gpu: &Gpu,
        fine_domain: &Arc<Domain>,
        fine: &FineLevel,
        coarsening: Coarsening,
        fused_bottom: bool,
    ) -> Result<Multigrid> {
        let periodic = fine_domain.periodic_chunk_axis;
        let mut coarse: Vec<CoarseLevel> = Vec::new();
        let mut n = fine_domain.grid.counts();
        while n.iter().any(|&k| k > COARSEST_CELLS) {
            let finer = coarse.last().map_or(fine_domain, |l| &l.domain);
            let next = coarser(n, periodic, coarsening);
            if next == n {
                break;
            }
            let grid = grid_of(next, fine_domain.grid.dx);
            let fits = grid.plane_cells() * 4 * (grid.planes() as u64 + 2) <= gpu.max_binding_bytes;
            let level = if finer.chunks.len() == 1 {
                let domain = Domain::new(gpu, grid, periodic)?;
                let fields = LevelFields::new(gpu, &domain);
                CoarseLevel {
                    domain,
                    fields,
                    aligned: None,
                }
            } else {
                let same_axis = grid.is_3d() == finer.grid.is_3d();
                let axis = grid.chunk_axis();
                let factor = if next[axis] == n[axis] { 1 } else { 2 };
                let spans = aligned_spans(&finer.chunks, factor).filter(|_| same_axis);
                let Some(spans) = spans else {
                    break;
                };
                let aligned = Domain::with_chunks(gpu, grid, periodic, spans)?;
                let aligned_fields = LevelFields::new(gpu, &aligned);
                // Below a fine level smoothed in place (the least memory), the first coarse
                // level is kept in its chunks alone, not also in one buffer: 7/8 of a fine
                // field less, at the price of chunked dispatches on that level.
                let least_memory = coarse.is_empty() && fine.t.is_none();
                if fits && !least_memory {
                    let domain = Domain::new(gpu, grid, periodic)?;
                    let fields = LevelFields::new(gpu, &domain);
                    CoarseLevel {
                        domain,
                        fields,
                        aligned: Some((aligned, aligned_fields)),
                    }
                } else {
                    CoarseLevel {
                        domain: aligned,
                        fields: aligned_fields,
                        aligned: None,
                    }
                }
            };
            coarse.push(level);
            n = next;
        }
        // The bottom's first level holds the coarser ones behind its own cells.
        let bottom_start = coarse.iter().position(|l| {
            fused_bottom && l.domain.chunks.len() == 1 && l.domain.buffer_cells(0) <= BOTTOM_CELLS
        });
        if let Some(i) = bottom_start {
            debug_assert!(coarse[i..].iter().all(|l| l.domain.chunks.len() == 1));
            let offsets = bottom_offsets(&coarse[i..]);
            let room = offsets[offsets.len() - 1] - offsets[1];
            coarse[i].fields = LevelFields::with_room(gpu, &coarse[i].domain, room);
        }
        // The stages of each level that runs its own dispatches: all but the bottom's.
        let own = bottom_start.map_or(coarse.len() + 1, |i| i + 1);
        let level_stages: Vec<Kernels> = (0..own)
            .map(|l| {
                let level = if l == 0 {
                    fine_domain
                } else {
                    &coarse[l - 1].domain
                };
                // The coarsest level without a bottom has no next; its own shape stands in.
                let next = coarse.get(l).map_or(level, |c| c.aligned().0);
                let form = if l == 0 {
                    fine.operator.form()
                } else {
                    FineOperator::Stored
                };
                Kernels::new(gpu, level, next, form)
            })
            .collect::<Result<_>>()?;
        let stages = |l: usize| &level_stages[l];

        // Per-level groups: level 0 is the solver's fine level.
        // Sweeps (x → t, t → x) and the residual (x → t) bind the same buffers.
        let sweep_with =
            |kernel: &Kernel, d: &Domain, f: &FineLevel, from: &Field, to: Option<&Field>| {
                let to = to.expect("a level smoothed by Jacobi has scratch");
                kernel.bind_chunks_named(gpu, d, |c| {
                    let mut b = f.operator.named(c);
                    b.extend([
                        ("b", &f.b.buffers[c]),
                        ("x", &from.buffers[c]),
                        ("out", &to.buffers[c]),
                    ]);
                    b
                })
            };
        let level_groups = |l: usize, d: &Domain, f: &FineLevel| LevelGroups {
            from_zero: stages(l).smooth_from_zero.bind_chunks_named(gpu, d, |c| {
                let mut b = f.operator.named(c);
                let t = f.t.expect("a level smoothed by Jacobi has scratch");
                b.extend([("b", &f.b.buffers[c]), ("out", &t.buffers[c])]);
                b
            }),
            sweep_to_t: sweep_with(&stages(l).smooth, d, f, f.x, f.t),
            sweep_to_x: sweep_with(&stages(l).smooth, d, f, f.t.unwrap(), Some(f.x)),
        };
        let mut groups = vec![fine.t.map(|_| level_groups(0, fine_domain, fine))];
        // The bottom's levels sweep inside its kernel: None.
        for (i, l) in coarse.iter().enumerate() {
            let runs_own = i + 1 < own;
            groups.push(runs_own.then(|| level_groups(i + 1, &l.domain, &view(&l.fields))));
        }
        let gauss_seidel = match fine.t {
            Some(_) => None,
            None => {
                check_even_chunks(fine_domain, coarse.first().map(|l| &l.domain.grid))?;
                Some(GaussSeidel::new(gpu, fine_domain, fine)?)
            }
        };

        let mut transitions = Vec::new();
        for (i, l) in coarse.iter().enumerate().take(own) {
            let (finer_domain, finer) = if i == 0 {
                (fine_domain, *fine)
            } else {
                (&coarse[i - 1].domain, view(&coarse[i - 1].fields))
            };
            let k = stages(i);
            let (aligned_domain, aligned) = l.aligned();
            let coarsen = k.coarsen.bind_chunks_named(gpu, aligned_domain, |c| {
                let mut b = vec![("other", &finer_domain.info_buffers[c])];
                b.extend(finer.operator.named(c));
                b.extend([
                    ("coarse_gx", &aligned.gx.buffers[c]),
                    ("coarse_gy", &aligned.gy.buffers[c]),
                    ("coarse_gz", &aligned.gz.buffers[c]),
                    ("coarse_diag", &aligned.diag.buffers[c]),
                ]);
                b
            });
            let one_buffer = finer_domain.chunks.len() == 1;
            // A fine level smoothed in place has no scratch for the two-pass form; its
            // chunks start at even planes (`check_even_chunks`), so each coarse chunk's
            // children lie in one fine chunk and the fused form runs chunk by chunk.
            let in_place = i == 0 && fine.t.is_none();
            let fuse = one_buffer || in_place;
            let restriction = if fuse {
                let with_sweep = l.aligned.is_none() && bottom_start != Some(i);
                let kernel = if with_sweep {
                    &k.restrict_residual_sweep
                } else {
                    &k.restrict_residual
                };
                let groups = kernel.bind_chunks_named(gpu, aligned_domain, |c| {
                    // The fine chunk under coarse chunk c (the one buffer where it is one).
                    let f = if one_buffer { 0 } else { c };
                    let mut b = vec![("other", &finer_domain.info_buffers[f])];
                    b.extend(finer.operator.named(f));
                    b.extend([
                        ("b", &finer.b.buffers[f]),
                        ("x", &finer.x.buffers[f]),
                        ("coarse_b", &aligned.b.buffers[c]),
                        // Bound either way; written only with the first sweep.
                        ("coarse_diag", &aligned.diag.buffers[c]),
                        ("coarse_t", &aligned.t.buffers[c]),
                    ]);
                    b
                });
                if with_sweep {
                    Restriction::FusedWithFirstSweep(groups)
                } else {
                    Restriction::Fused(groups)
                }
            } else {
                Restriction::TwoPass {
                    residual: sweep_with(&k.residual, finer_domain, &finer, finer.x, finer.t),
                    restrict: k.restrict.bind_chunks(gpu, aligned_domain, |c| {
                        vec![
                            &finer_domain.info_buffers[c],
                            &finer.t.expect("a two-pass restriction has scratch").buffers[c],
                            &aligned.b.buffers[c],
                        ]
                    }),
                }
            };
            // In place (two passes) where the level has no scratch to sweep into.
            let prolongation = if one_buffer && !in_place {
                Prolongation::Fused(k.prolong_smooth.bind_chunks_named(gpu, finer_domain, |_| {
                    let t = finer.t.expect("a level smoothed by Jacobi has scratch");
                    let mut b = vec![("other", &aligned_domain.info_buffers[0])];
                    b.extend(finer.operator.named(0));
                    b.extend([
                        ("b", &finer.b.buffers[0]),
                        ("x", &finer.x.buffers[0]),
                        ("coarse_x", &aligned.x.buffers[0]),
                        ("out", &t.buffers[0]),
                    ]);
                    b
                }))
            } else {
                Prolongation::TwoPass(k.prolong.bind_chunks(gpu, finer_domain, |c| {
                    vec![
                        &aligned_domain.info_buffers[c],
                        &aligned.x.buffers[c],
                        &finer.x.buffers[c],
                    ]
                }))
            };
            transitions.push(Transition {
                restriction,
                coarsen,
                prolongation,
            });
        }
        let last = coarse.last().map_or(&fine_domain.grid, |l| &l.domain.grid);
        // Pairs of sweeps (x → t → x), about as many as the coarsest grid is wide.
        let coarsest_sweeps = last.counts().into_iter().max().unwrap_or(1).clamp(4, 128);
        let bottom = match bottom_start {
            Some(i) => Some(Bottom::new(gpu, i + 1, &coarse[i..], coarsest_sweeps)?),
            None => None,
        };
        Ok(Multigrid {
            fine_domain: fine_domain.clone(),
            coarse,
            stages: level_stages,
            groups,
            gauss_seidel,
            transitions,
            coarsest_sweeps,
            bottom,
            dispatches: Cell::new(0),
        })
    }

    /// Builds the coarse operators from the fine one (whose fields and ghost planes must be
    /// current). Call once per solve, after the fine operator.
    pub fn encode_build(&self, rec: &mut Recorder) {
        // Levels 1 ..= `per_level` are built one dispatch each, the bottom's others together.
        let per_level = self.bottom.as_ref().map_or(self.coarse.len(), |b| b.first);
        for (i, l) in self.coarse.iter().enumerate().take(per_level) {
            let (aligned_domain, aligned) = l.aligned();
            self.dispatch(
                rec,
                aligned_domain,
                &self.stages(i).coarsen,
                &self.transitions[i].coarsen,
            );
            for (from, to) in [
                (&aligned.gx, &l.fields.gx),
                (&aligned.gy, &l.fields.gy),
                (&aligned.gz, &l.fields.gz),
                (&aligned.diag, &l.fields.diag),
            ] {
                if l.aligned.is_some() {
                    gather(rec.encoder(), from, to);
                }
                to.exchange_chunk_halos(rec);
            }
        }
        if let Some(b) = self.bottom.as_ref().filter(|b| b.levels > 1) {
            let pass = rec.pass();
            crate::gpu::set_pipeline(pass, b.build.pipeline());
            pass.set_bind_group(0, &b.build_group, &[]);
            pass.dispatch_workgroups(1, 1, 1);
        }
    }

    /// One V-cycle: `fine.x` = M⁻¹ `fine.b` (fine.t is overwritten). The fine operator's
    /// ghost planes and fine.b's values must be current; fine.x leaves with current ghosts
    /// where the fine level is chunked (one buffer reads none). `fine_t_ready`: the caller's
    /// last kernel already wrote the fine level's first sweep, fine.t = ω b / diag, or
    /// where the fine level is smoothed in place its first colour into fine.x (the solver's
    /// CG update does, cg_update.wgsl), so the cycle skips it.
    /// `finish`: the caller's kernel for the cycle's last fine sweep (t → x, the same
    /// expression as the smoother's), which may do more with x as it writes it; only where
    /// [`Multigrid::ends_with_fine_sweep`].
    pub fn encode_vcycle(
        &self,
        rec: &mut Recorder,
        fine: &FineLevel,
        fine_t_ready: bool,
        finish: Option<FineFinish>,
    ) {
        assert!(finish.is_none() || self.ends_with_fine_sweep());
        let depth = self.depth();
        for l in 0..depth {
            let (domain, _, t) = self.level(l, fine);
            if l == 0 && self.gauss_seidel.is_some() {
                self.gauss_seidel_forward(rec, fine, first_colour(fine_t_ready));
            } else if self.first_sweep_done(l) || (l == 0 && fine_t_ready) {
                self.sweep_back(rec, l, fine);
            } else {
                self.sweep_pair_from_zero(rec, l, fine);
            }
            let next = &self.coarse[l];
            let (aligned_domain, aligned) = next.aligned();
            match &self.transitions[l].restriction {
                Restriction::Fused(groups) => self.dispatch(
                    rec,
                    aligned_domain,
                    &self.stages(l).restrict_residual,
                    groups,
                ),
                Restriction::FusedWithFirstSweep(groups) => self.dispatch(
                    rec,
                    aligned_domain,
                    &self.stages(l).restrict_residual_sweep,
                    groups,
                ),
                Restriction::TwoPass { residual, restrict } => {
                    self.dispatch(rec, domain, &self.stages(l).residual, residual);
                    t.expect("a two-pass restriction has scratch")
                        .exchange_chunk_halos(rec);
                    self.dispatch(rec, aligned_domain, &self.stages(l).restrict, restrict);
                }
            }
            if next.aligned.is_some() {
                gather(rec.encoder(), &aligned.b, &next.fields.b);
            }
        }
        match &self.bottom {
            Some(b) => {
                let pass = self.pass_for_dispatch(rec);
                crate::gpu::set_pipeline(pass, b.vcycle.pipeline());
                pass.set_bind_group(0, &b.vcycle_group, &[]);
                pass.dispatch_workgroups(1, 1, 1);
            }
            None if depth == 0 && self.gauss_seidel.is_some() => {
                // The fine level is the coarsest: symmetric pairs of sweeps from zero.
                self.gauss_seidel_forward(rec, fine, first_colour(fine_t_ready));
                self.gauss_seidel_backward(rec, fine, None);
                for _ in 1..self.coarsest_sweeps {
                    self.gauss_seidel_forward(rec, fine, FirstColour::Swept);
                    self.gauss_seidel_backward(rec, fine, None);
                }
            }
            None => {
                if self.first_sweep_done(depth) {
                    self.sweep_back(rec, depth, fine);
                } else {
                    self.sweep_pair_from_zero(rec, depth, fine);
                }
                for _ in 1..self.coarsest_sweeps {
                    self.sweep_pair(rec, depth, fine);
                }
            }
        }
        for l in (0..depth).rev() {
            let (domain, x, _) = self.level(l, fine);
            let finish = finish.filter(|_| l == 0);
            match &self.transitions[l].prolongation {
                Prolongation::Fused(groups) => {
                    self.dispatch(rec, domain, &self.stages(l).prolong_smooth, groups);
                    self.sweep_back_with(rec, l, fine, finish);
                }
                Prolongation::TwoPass(groups) => {
                    let next = &self.coarse[l];
                    if let Some((_, aligned)) = &next.aligned {
                        scatter(rec.encoder(), &next.fields.x, &aligned.x);
                        aligned.x.exchange_chunk_halos(rec);
                    }
                    self.dispatch(rec, domain, &self.stages(l).prolong, groups);
                    x.exchange_chunk_halos(rec);
                    if l == 0 && self.gauss_seidel.is_some() {
                        self.gauss_seidel_backward(rec, fine, finish);
                        continue;
                    }
                    self.dispatch(
                        rec,
                        domain,
                        &self.stages(l).smooth,
                        &self.jacobi(l).sweep_to_t,
                    );
                    self.sweep_back_with(rec, l, fine, finish);
                }
            }
        }
    }

    /// The stages for level `l` and its transition to l + 1: the fine level's own where its
    /// operator is matrix-free.
    fn stages(&self, l: usize) -> &Kernels {
        &self.stages[l]
    }

    /// Levels 0 .. depth run their own dispatches; level `depth` is the bottom's first, or
    /// the coarsest.
    fn depth(&self) -> usize {
        self.bottom.as_ref().map_or(self.coarse.len(), |b| b.first)
    }

    /// Whether the cycle ends with a sweep of the fine level (from t into x, or of the first
    /// Gauss-Seidel colour where it is smoothed in place), which a caller may replace
    /// (`encode_vcycle`'s `finish`); not where the fine level is the bottom's or the
    /// coarsest.
    pub fn ends_with_fine_sweep(&self) -> bool {
        self.depth() > 0
    }

    /// Level `l`'s damped-Jacobi bind groups (every level but a fine one smoothed in place).
    fn jacobi(&self, l: usize) -> &LevelGroups {
        self.groups[l]
            .as_ref()
            .expect("this level is smoothed by Gauss-Seidel")
    }

    /// The fine level's Gauss-Seidel colours in order, each followed by the halo exchange
    /// the next one reads; `first` says how the first colour is done.
    fn gauss_seidel_forward(&self, rec: &mut Recorder, fine: &FineLevel, first: FirstColour) {
        let gs = self
            .gauss_seidel
            .as_ref()
            .expect("a fine level smoothed in place");
        for (colour, (k, groups)) in gs.sweeps.iter().enumerate() {
            match (colour, first) {
                (0, FirstColour::FromZero) => {
                    self.dispatch(rec, &self.fine_domain, &gs.from_zero, &gs.from_zero_groups)
                }
                (0, FirstColour::Written) => {}
                _ => self.dispatch(rec, &self.fine_domain, k, groups),
            }
            fine.x.exchange_chunk_halos(rec);
        }
    }

    /// The colours in reverse order, the adjoint of `gauss_seidel_forward` (so that the
    /// V-cycle stays symmetric); the last, colour 0, by the caller's `finish` where given.
    fn gauss_seidel_backward(
        &self,
        rec: &mut Recorder,
        fine: &FineLevel,
        finish: Option<FineFinish>,
    ) {
        let gs = self
            .gauss_seidel
            .as_ref()
            .expect("a fine level smoothed in place");
        for (colour, (k, groups)) in gs.sweeps.iter().enumerate().rev() {
            match finish.filter(|_| colour == 0) {
                Some(f) => self.dispatch(rec, &self.fine_domain, f.kernel, f.groups),
                None => self.dispatch(rec, &self.fine_domain, k, groups),
            }
            fine.x.exchange_chunk_halos(rec);
        }
    }

    /// Dispatches one V-cycle encodes (each waits for the one before): encodes one, drops it.
    pub fn dispatches_per_vcycle(&self, gpu: &Gpu, fine: &FineLevel, fine_t_ready: bool) -> usize {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        self.dispatches.set(0);
        self.encode_vcycle(&mut Recorder::new(&mut enc), fine, fine_t_ready, None);
        self.dispatches.get()
    }

    #[track_caller]
    fn dispatch(
        &self,
        rec: &mut Recorder,
        domain: &Domain,
        kernel: &Kernel,
        groups: &[wgpu::BindGroup],
    ) {
        let pass = self.pass_for_dispatch(rec);
        domain.dispatch(pass, kernel.pipeline(), groups);
    }

    /// The compute pass for the next dispatch, counted for `dispatches_per_vcycle`.
    #[track_caller]
    fn pass_for_dispatch<'r>(&self, rec: &'r mut Recorder) -> &'r mut wgpu::ComputePass<'static> {
        self.dispatches.set(self.dispatches.get() + 1);
        rec.pass()
    }

    fn level<'a>(
        &'a self,
        l: usize,
        fine: &FineLevel<'a>,
    ) -> (&'a Domain, &'a Field, Option<&'a Field>) {
        if l == 0 {
            (&self.fine_domain, fine.x, fine.t)
        } else {
            let c = &self.coarse[l - 1];
            (&c.domain, &c.fields.x, Some(&c.fields.t))
        }
    }

    /// Whether the restriction into level `l` also wrote its first sweep (into t).
    fn first_sweep_done(&self, l: usize) -> bool {
        l > 0
            && matches!(
                self.transitions[l - 1].restriction,
                Restriction::FusedWithFirstSweep(_)
            )
    }

    /// Two Jacobi sweeps on level `l`, x → t → x, with halo exchanges.
    fn sweep_pair(&self, rec: &mut Recorder, l: usize, fine: &FineLevel) {
        let (domain, _, _) = self.level(l, fine);
        self.dispatch(
            rec,
            domain,
            &self.stages(l).smooth,
            &self.jacobi(l).sweep_to_t,
        );
        self.sweep_back(rec, l, fine);
    }

    /// Two Jacobi sweeps on level `l` from x = 0 (whatever x holds), 0 → t → x.
    fn sweep_pair_from_zero(&self, rec: &mut Recorder, l: usize, fine: &FineLevel) {
        let (domain, _, _) = self.level(l, fine);
        self.dispatch(
            rec,
            domain,
            &self.stages(l).smooth_from_zero,
            &self.jacobi(l).from_zero,
        );
        self.sweep_back(rec, l, fine);
    }

    /// The second sweep of a pair, t → x, with the halo exchanges of both.
    fn sweep_back(&self, rec: &mut Recorder, l: usize, fine: &FineLevel) {
        self.sweep_back_with(rec, l, fine, None);
    }

    /// `sweep_back` by the caller's `finish` kernel where one is given.
    fn sweep_back_with(
        &self,
        rec: &mut Recorder,
        l: usize,
        fine: &FineLevel,
        finish: Option<FineFinish>,
    ) {
        let (domain, x, t) = self.level(l, fine);
        t.expect("a level smoothed by Jacobi has scratch")
            .exchange_chunk_halos(rec);
        match finish {
            Some(f) => self.dispatch(rec, domain, f.kernel, f.groups),
            None => self.dispatch(
                rec,
                domain,
                &self.stages(l).smooth,
                &self.jacobi(l).sweep_to_x,
            ),
        }
        x.exchange_chunk_halos(rec);
    }
}

/// Refuses a fine level smoothed in place whose chunks do not all start at an even plane
/// where `coarse` (the first coarse level's grid) halves the chunking axis: a coarse cell's
/// children must then lie in one fine chunk, since the restriction cannot sum a residual
/// from a ghost plane (`Domain::with_even_chunks` splits a grid so).
fn check_even_chunks(fine: &Domain, coarse: Option<&Grid>) -> Result<()> {
    let Some(coarse) = coarse else {
        return Ok(());
    };
    let halved = coarse.planes() != fine.grid.planes();
    if let Some(c) = fine
        .chunks
        .iter()
        .find(|c| halved && c.first_plane % 2 == 1)
    {
        anyhow::bail!(
            "a multigrid fine level smoothed in place needs chunks that start at even planes, \
             but one starts at plane {} (build its domain with Domain::with_even_chunks)",
            c.first_plane
        );
    }
    Ok(())
}

fn view(f: &LevelFields) -> FineLevel<'_> {
    FineLevel {
        operator: LevelOperator::Stored {
            gx: &f.gx,
            gy: &f.gy,
            gz: &f.gz,
            diag: &f.diag,
        },
        b: &f.b,
        x: &f.x,
        t: Some(&f.t),
    }
}

/// Where each bottom level starts in the first one's vectors (cells; the first at 0), and
/// where the last ends: the layout both the allocation and the bottom's table follow.
fn bottom_offsets(levels: &[CoarseLevel]) -> Vec<u64> {
    let mut offsets = vec![0];
    for l in levels {
        offsets.push(offsets[offsets.len() - 1] + l.domain.buffer_cells(0));
    }
    offsets
}

impl Bottom {
    /// The bottom from level number `first`, whose fields (`levels[0]`) have room for the
    /// coarser `levels[1..]` behind their own cells.
    fn new(gpu: &Gpu, first: usize, levels: &[CoarseLevel], sweeps: u32) -> Result<Bottom> {
        let mut table: Vec<u32> = vec![levels.len() as u32, sweeps, 0, 0];
        for (l, &base) in levels.iter().zip(&bottom_offsets(levels)).skip(1) {
            let entry = BottomLevel {
                info: l.domain.infos[0],
                base: base as u32,
                _pad: [0; 3],
            };
            table.extend_from_slice(bytemuck::cast_slice(&[entry]));
        }
        if levels.len() < 2 {
            // A bottom of one level reads no entry, but WGSL's runtime-sized array needs one
            // in the binding (a 4-cell-thin gde image failed to bind without it).
            let unused = BottomLevel {
                info: levels[0].domain.infos[0],
                base: 0,
                _pad: [0; 3],
            };
            table.extend_from_slice(bytemuck::cast_slice(&[unused]));
        }
        let table = gpu
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("mg bottom table"),
                contents: bytemuck::cast_slice(&table),
                usage: wgpu::BufferUsages::STORAGE,
            });
        let limits = &gpu.limits;
        let wide = limits.max_compute_invocations_per_workgroup >= 1024
            && limits.max_compute_workgroup_size_x >= 1024;
        let threads = if gpu.cpu {
            CPU_BOTTOM_THREADS
        } else if wide {
            1024
        } else {
            256
        };
        let threads = [("THREADS", threads as f64)];
        let path = "solvers/multigrid_bottom.wgsl";
        let vcycle = Kernel::with_constants(gpu, path, "main", &threads)?;
        let build = Kernel::with_constants(gpu, path, "build", &threads)?;
        let f = &levels[0].fields;
        let info = &levels[0].domain.info_buffers[0];
        let operator = [&f.gx, &f.gy, &f.gz, &f.diag].map(|x| &x.buffers[0]);
        let mut buffers = vec![info, &table];
        buffers.extend(operator);
        let build_group = build.bind(gpu, &buffers);
        buffers.extend([&f.b, &f.x, &f.t].map(|x| &x.buffers[0]));
        let vcycle_group = vcycle.bind(gpu, &buffers);
        Ok(Bottom {
            first,
            levels: levels.len(),
            vcycle,
            vcycle_group,
            build,
            build_group,
            _table: table,
        })
    }
}

/// Copies the interior planes of a chunked field into a one-buffer field of the same grid.
fn gather(enc: &mut wgpu::CommandEncoder, chunked: &Field, whole: &Field) {
    let pb = chunked.domain.grid.plane_cells() * 4;
    for (c, span) in chunked.domain.chunks.iter().enumerate() {
        enc.copy_buffer_to_buffer(
            &chunked.buffers[c],
            pb,
            &whole.buffers[0],
            (span.first_plane as u64 + 1) * pb,
            span.planes as u64 * pb,
        );
    }
}

/// The reverse of `gather` (ghost planes are left to the caller's halo exchange).
fn scatter(enc: &mut wgpu::CommandEncoder, whole: &Field, chunked: &Field) {
    let pb = chunked.domain.grid.plane_cells() * 4;
    for (c, span) in chunked.domain.chunks.iter().enumerate() {
        enc.copy_buffer_to_buffer(
            &whole.buffers[0],
            (span.first_plane as u64 + 1) * pb,
            &chunked.buffers[c],
            pb,
            span.planes as u64 * pb,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_chunks_hold_the_parents_of_each_fine_chunk() {
        let fine = [
            ChunkSpan {
                first_plane: 0,
                planes: 3,
            },
            ChunkSpan {
                first_plane: 3,
                planes: 3,
            },
            ChunkSpan {
                first_plane: 6,
                planes: 2,
            },
        ];
        let coarse = aligned_spans(&fine, 2).unwrap();
        let firsts: Vec<u32> = coarse.iter().map(|c| c.first_plane).collect();
        let planes: Vec<u32> = coarse.iter().map(|c| c.planes).collect();
        assert_eq!(firsts, [0, 2, 3]);
        assert_eq!(planes, [2, 1, 1]);
        // Each fine plane's parent lies in its chunk's coarse span or the plane below it.
        for (f, c) in fine.iter().zip(&coarse) {
            for z in f.first_plane..f.first_plane + f.planes {
                let parent = z / 2;
                assert!(parent + 1 >= c.first_plane && parent < c.first_plane + c.planes);
            }
        }
        let odd_single = [
            ChunkSpan {
                first_plane: 0,
                planes: 1,
            },
            ChunkSpan {
                first_plane: 1,
                planes: 1,
            },
        ];
        assert!(aligned_spans(&odd_single, 2).is_none());
        assert_eq!(aligned_spans(&odd_single, 1).unwrap(), odd_single);
        let keep = Coarsening::KeepOddPeriodic;
        assert_eq!(coarser([9, 1, 4], false, keep), [5, 1, 2]);
        // Odd periodic side axes are kept where asked; x is never a periodic side axis.
        assert_eq!(coarser([9, 7, 4], true, keep), [5, 7, 2]);
        assert_eq!(coarser([9, 6, 5], true, keep), [5, 3, 5]);
        let every = Coarsening::EveryAxis;
        assert_eq!(coarser([9, 7, 4], true, every), [5, 4, 2]);
        assert_eq!(coarser([9, 6, 5], true, every), [5, 3, 3]);
        assert_eq!(coarser([9, 1, 4], false, every), [5, 1, 2]);
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    impl crate::gpu::wgsl_layout::GpuScalars for GridInfo {
        const KIND: crate::gpu::wgsl_layout::Kind = crate::gpu::wgsl_layout::Kind::U32;
        const COUNT: usize = std::mem::size_of::<GridInfo>() / 4;
    }

    #[test]
    fn bottom_level_matches_wgsl() {
        crate::gpu::wgsl_layout::layout!(
            BottomLevel,
            "solvers/multigrid_bottom.wgsl",
            "BottomLevel",
            [info, base, _pad]
        );
    }
}
