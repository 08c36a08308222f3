//! `cargo bench`: achieved memory bandwidth of each stencil kernel as a fraction of a plain
//! copy kernel on the same adapter, in the same run (docs/performance.md records the figures).
//!
//! Sizes default to what a CPU (lavapipe) finishes quickly; on a real GPU set
//! MESOLYTE_BENCH_SCALE=4 (or more) for grids large enough to saturate it.

use mesolyte::gpu::{Domain, Field, Gpu, Kernel};
use mesolyte::grid::Grid;
use mesolyte::models::dendrite::Dendrite;
use mesolyte::models::diffusion::{Boundary, Diffusion, DiffusionParams, Initial};
use mesolyte::models::superfill::{Superfill, SuperfillParams};
use mesolyte::sim::Model;
use mesolyte::sim::Moment;
use mesolyte::Scenario;
use std::time::Instant;

/// Seconds per repetition of `work`, after warm-up; the best of several timed batches.
///
/// The warm-up keeps the device busy for half a second: a GPU that idled while the CPU set
/// up a model runs at idle clocks, and two repetitions are over before it has clocked up
/// (measured on an H200: the first kernel timed after a long set-up ran at a third of its
/// speed; docs/performance.md).
fn time_per_rep(gpu: &Gpu, reps: u32, mut work: impl FnMut(u32)) -> f64 {
    let warm = Instant::now();
    while warm.elapsed().as_secs_f64() < 0.5 {
        work(2);
        gpu.wait();
    }
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        work(reps);
        gpu.wait();
        best = best.min(t.elapsed().as_secs_f64() / reps as f64);
    }
    best
}

/// Bytes per second of a copy kernel over every chunk of `grid` (one read + one write per
/// cell): the fastest of the cell-shaped copy (`main`), a flat 1D copy (`linear`) and a flat
/// copy of 16-byte elements (copy_vec4.wgsl).
fn copy_bandwidth(gpu: &Gpu, grid: Grid, reps: u32) -> f64 {
    let domain = Domain::new(gpu, grid, false).unwrap();
    let a = Field::new(gpu, &domain, "a");
    let b = Field::new(gpu, &domain, "b");
    let mut best: f64 = 0.0;
    let variants = [
        ("bench/copy.wgsl", "main", 1),
        ("bench/copy.wgsl", "linear", 1),
        ("bench/copy_vec4.wgsl", "main", 4),
    ];
    for (path, entry, per_thread) in variants {
        let k = Kernel::with_entry(gpu, path, entry).unwrap();
        let bgs = k.bind_chunks(gpu, &domain, |c| vec![&a.buffers[c], &b.buffers[c]]);
        let secs = time_per_rep(gpu, reps, |n| {
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            for _ in 0..n {
                let mut pass = enc.begin_compute_pass(&Default::default());
                if entry == "main" && per_thread == 1 {
                    domain.dispatch(&mut pass, k.pipeline(), &bgs);
                } else {
                    pass.set_pipeline(k.pipeline());
                    for (c, bg) in bgs.iter().enumerate() {
                        let cells = domain.chunks[c].planes as u64 * grid.plane_cells();
                        let groups = (cells / per_thread).div_ceil(256);
                        let gx = groups.min(gpu.max_groups_per_dim() as u64) as u32;
                        pass.set_bind_group(0, bg, &[]);
                        pass.dispatch_workgroups(gx, groups.div_ceil(gx as u64) as u32, 1);
                    }
                }
            }
            gpu.queue.submit([enc.finish()]);
        });
        let rate = 8.0 * grid.cells() as f64 / secs;
        println!("  copy ({path} {entry}): {:.2} GB/s", rate / 1e9);
        best = best.max(rate);
    }
    best
}

/// What a dependent pass and a read-back cost by themselves, in seconds: a chain of tiny
/// dispatches that each wait for the one before (as on a V-cycle's coarse levels and in the
/// CG scalar stages), recorded one per compute pass and all in one pass; and a 32-byte
/// read-back's round trip (submit, map, wait), which a potential solve pays per batch.
fn latencies(gpu: &Gpu) -> (f64, f64, f64) {
    use wgpu::BufferUsages as U;
    let k = Kernel::new(gpu, "bench/chain.wgsl").unwrap();
    let data = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("chain"),
        size: 1024,
        usage: U::STORAGE | U::COPY_SRC,
        mapped_at_creation: false,
    });
    let staging = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("chain read-back"),
        size: 32,
        usage: U::MAP_READ | U::COPY_DST,
        mapped_at_creation: false,
    });
    let bg = k.bind(gpu, &[&data]);
    const CHAIN: u32 = 200;
    let chain = |one_pass: bool| {
        time_per_rep(gpu, CHAIN, |n| {
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            if one_pass {
                let mut pass = enc.begin_compute_pass(&Default::default());
                pass.set_pipeline(k.pipeline());
                pass.set_bind_group(0, &bg, &[]);
                for _ in 0..n {
                    pass.dispatch_workgroups(1, 1, 1);
                }
            } else {
                for _ in 0..n {
                    let mut pass = enc.begin_compute_pass(&Default::default());
                    pass.set_pipeline(k.pipeline());
                    pass.set_bind_group(0, &bg, &[]);
                    pass.dispatch_workgroups(1, 1, 1);
                }
            }
            gpu.queue.submit([enc.finish()]);
        })
    };
    let (own_pass, one_pass) = (chain(false), chain(true));
    gpu.wait();
    let mut readback = f64::INFINITY;
    for _ in 0..50 {
        let t = Instant::now();
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(&data, 0, &staging, 0, 32);
        gpu.queue.submit([enc.finish()]);
        mesolyte::gpu::field::read_mapped(gpu, &staging);
        readback = readback.min(t.elapsed().as_secs_f64());
    }
    (own_pass, one_pass, readback)
}

fn diffusion_rate(gpu: &Gpu, grid: Grid, reps: u32) -> f64 {
    let p = DiffusionParams {
        diffusivity: 1e-9,
        initial: Initial::Gaussian { width: 4e-6 },
        background: 0.0,
        amplitude: 1.0,
        centre: [1e-5; 3],
        boundary: [Boundary::Periodic, Boundary::Neumann, Boundary::Dirichlet],
        face_values: [[0.0; 2]; 3],
        safety: 0.9,
    };
    let mut m = Diffusion::new(gpu, grid, p.clone()).unwrap();
    let dt = p.stable_dt(&grid);
    let secs = time_per_rep(gpu, reps, |n| {
        m.advance(gpu, Moment::new(0, 0.0), n as u64, dt).unwrap();
    });
    grid.cells() as f64 / secs
}

/// Ideal traffic of one explicit dendrite step: step.wgsl reads η, w, φ and the fixed-point
/// copies and remainders of η and ρ, and writes η, ρ, w and those four (c only on the last
/// step of a batch). 72 B/cell until 2026-11-29, when w and c had a pass of their own that
/// read η, ρ and w again, and c was written every step.
const DENDRITE_BYTES_PER_CELL: f64 = 56.0;

/// Steps between potential solves in the solve-share measurement (the scenario default).
const SOLVE_EVERY: u64 = 20;

/// What the dendrite bench measures with one preconditioner.
struct DendriteRates {
    /// Cells per second of the explicit step alone (no solves).
    cells_per_s: f64,
    /// Mean seconds of a warm solve made every `SOLVE_EVERY` steps, as in a run.
    solve_s: f64,
    /// Mean CG iterations of those solves.
    iterations: f64,
    /// Dispatches of one preconditioning, the V-cycle with the CG sums (multigrid only).
    precondition_dispatches: Option<usize>,
    /// GPU time of one V-cycle queued back to back with others (multigrid only): a solve's
    /// V-cycles without its waits.
    vcycle_s: Option<f64>,
}

/// A dendrite model that never solves the potential by itself (the bench calls the solves).
fn dendrite_model(gpu: &Gpu, grid: Grid, preconditioner: &str) -> Dendrite {
    let dims = if grid.is_3d() {
        format!("nz = {}\n", grid.nz)
    } else {
        String::new()
    };
    let text = format!(
        "name = \"bench\"\nmodel = \"dendrite\"\n[grid]\nnx = {}\nny = {}\n{dims}dx = 1e-6\n[run]\nend_time = 1\n\
         [dendrite]\npotential_every_steps = 1000000\nnucleation_density_m2 = 1e9\n\
         potential_preconditioner = \"{preconditioner}\"",
        grid.nx, grid.ny
    );
    let s = Scenario::parse("bench.toml", &text, &[]).unwrap();
    let p = s
        .params
        .downcast_ref::<mesolyte::models::dendrite::DendriteParams>()
        .expect("not a dendrite scenario");
    Dendrite::new(gpu, grid, p.clone(), s.run.seed).unwrap()
}

/// Solves left out of the solve timing: the first, after the step timing's hundreds of steps
/// without one, catches up on all of them, and the second's warm start moves along that
/// catch-up (potential.rs); a run solves every few steps from its start. (With only the first
/// left out, Jacobi solves on 512² averaged 3.4 iterations over the bench's few blocks; with
/// both, 0.1.)
const WARM_UP_SOLVES: u64 = 2;

/// The explicit step's rate (no solves), then warm solves made every `SOLVE_EVERY` steps as a
/// run makes them, each timed from a drained queue to its result (so a solve's own waits are
/// in, the steps before it are not); the first `WARM_UP_SOLVES` are left out.
fn dendrite_rates(gpu: &Gpu, grid: Grid, reps: u32, preconditioner: &str) -> DendriteRates {
    let mut m = dendrite_model(gpu, grid, preconditioner);
    // Iterations queued per read-back (performance only; results do not depend on it).
    if let Some(batch) = std::env::var("MESOLYTE_POTENTIAL_BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
    {
        m.set_potential_batch(batch);
    }
    let dt = m.stable_dt(gpu).unwrap();
    let mut step = 1;
    let step_s = time_per_rep(gpu, reps, |n| {
        m.advance(gpu, Moment::new(step, 0.0), n as u64, dt)
            .unwrap();
        step += n as u64;
    });
    // A Jacobi solve on a CPU device costs seconds: keep the blocks few.
    let blocks = (reps as u64 / SOLVE_EVERY).clamp(3, 8);
    let (mut solve_s, mut iterations) = (0.0, 0u64);
    for block in 0..blocks + WARM_UP_SOLVES {
        m.advance(gpu, Moment::new(step, 0.0), SOLVE_EVERY, dt)
            .unwrap();
        step += SOLVE_EVERY;
        gpu.wait();
        let t = Instant::now();
        let report = m.solve_potential(gpu).unwrap();
        if block >= WARM_UP_SOLVES {
            solve_s += t.elapsed().as_secs_f64();
            iterations += report.iterations as u64;
        }
    }
    // V-cycles alone: the difference between queueing 1 + K and 1 (each with the coarse
    // operators' build, from a drained queue) is K V-cycles' GPU time.
    let vcycles_s = |count: u32| {
        (0..3)
            .map(|_| {
                gpu.wait();
                let t = Instant::now();
                let queued = m.submit_potential_vcycles(gpu, count);
                gpu.wait();
                queued.then(|| t.elapsed().as_secs_f64())
            })
            .fold(None, |best: Option<f64>, t| match (best, t) {
                (_, None) => None,
                (None, Some(t)) => Some(t),
                (Some(b), Some(t)) => Some(b.min(t)),
            })
    };
    const K: u32 = 8;
    let vcycle_s = match (vcycles_s(1), vcycles_s(1 + K)) {
        (Some(one), Some(many)) => Some(((many - one) / K as f64).max(0.0)),
        _ => None,
    };
    DendriteRates {
        cells_per_s: grid.cells() as f64 / step_s,
        solve_s: solve_s / blocks as f64,
        iterations: iterations as f64 / blocks as f64,
        precondition_dispatches: m.potential_precondition_dispatches(gpu),
        vcycle_s,
    }
}

/// Ideal traffic of one lattice update: every population read once and written once, plus
/// the cell's label (neighbour labels come from cache).
const D3Q19_BYTES_PER_UPDATE: f64 = 19.0 * 8.0 + 4.0;
const D3Q7_BYTES_PER_UPDATE: f64 = 7.0 * 8.0 + 4.0;
/// The same with the populations stored in f16 (gde.flow.storage = "f16").
const D3Q19_F16_BYTES_PER_UPDATE: f64 = 19.0 * 4.0 + 4.0;

/// A gde model on an all-pore box of `grid` (a channel between side walls: an all-pore
/// periodic box has no permeability and is refused), with `sections` after its `[gde.flow]`
/// keys (more flow keys, or further sections), advanced one iteration so that its lattices
/// are set up; and its params.
fn gde_bench_model(
    gpu: &Gpu,
    grid: Grid,
    sections: &str,
) -> (mesolyte::models::gde::Gde, mesolyte::models::gde::GdeParams) {
    let text = format!(
        "name = \"bench\"\nmodel = \"gde\"\n[grid]\nnx = {}\nny = {}\nnz = {}\ndx = 1e-6\n[run]\nend_time = 1\n\
         [gde.geometry]\nkind = \"empty\"\n[gde.flow]\naxes = [\"x\"]\ncheck_every = 1000000\nside_walls = true\n\
         {sections}",
        grid.nx, grid.ny, grid.nz
    );
    let s = Scenario::parse("bench.toml", &text, &[]).unwrap();
    let p = s
        .params
        .downcast_ref::<mesolyte::models::gde::GdeParams>()
        .expect("not a gde scenario")
        .clone();
    let mut m = mesolyte::models::gde::Gde::new(gpu, grid, p.clone()).unwrap();
    m.advance(gpu, Moment::new(0, 0.0), 1, 1.0).unwrap();
    (m, p)
}

/// Lattice updates per second of `m`'s D3Q19 step pairs (one pair is two updates of every
/// cell).
fn flow_pair_rate(gpu: &Gpu, m: &mesolyte::models::gde::Gde, grid: Grid, reps: u32) -> f64 {
    let flow = m.flow.as_ref().unwrap();
    let secs = time_per_rep(gpu, reps, |n| {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        flow.encode(&mut enc, n as u64);
        gpu.queue.submit([enc.finish()]);
    });
    2.0 * grid.cells() as f64 / secs
}

/// Lattice updates per second of the D3Q19 step pair with its populations in f16, on the
/// same box as `gde_rates`.
fn gde_f16_rate(gpu: &Gpu, grid: Grid, reps: u32) -> f64 {
    let (m, _) = gde_bench_model(gpu, grid, "storage = \"f16\"\n");
    flow_pair_rate(gpu, &m, grid, reps)
}

/// Lattice updates per second of the gde model's D3Q19 flow and D3Q7 species steps on the
/// all-pore box of `gde_bench_model` (the roofline case; porous media skip solid cells), and
/// the bytes per cell the model allocates for flow (populations, label, velocity and
/// pressure).
fn gde_rates(gpu: &Gpu, grid: Grid, reps: u32) -> (f64, f64, u64) {
    use mesolyte::models::gde::{self, species::SpeciesTask};
    let (mut m, p) = gde_bench_model(
        gpu,
        grid,
        "[gde.species]\naxes = [\"x\"]\nsolver = \"lattice\"\n",
    );
    let flow_rate = flow_pair_rate(gpu, &m, grid, reps);
    let flow = m.flow.as_ref().unwrap();
    // Each half alone (repeating one half is not physics, but it times the kernel).
    for (odd, name) in [(false, "even (cell-local)"), (true, "odd (neighbours)")] {
        let secs = time_per_rep(gpu, reps, |n| {
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            for _ in 0..n {
                flow.encode_half(&mut enc, odd);
            }
            gpu.queue.submit([enc.finish()]);
        });
        println!(
            "  D3Q19 {name} half: {:.1} MLUPs",
            grid.cells() as f64 / secs / 1e6
        );
    }
    stream_experiment(gpu, grid, reps);
    let species = m.species.as_mut().unwrap();
    species
        .configure(gpu, 0, SpeciesTask::Diffusivity, 0.0, true)
        .unwrap();
    let species = m.species.as_ref().unwrap();
    let secs = time_per_rep(gpu, reps, |n| {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        species.encode(&mut enc, n as u64);
        gpu.queue.submit([enc.finish()]);
    });
    let species_rate = 2.0 * grid.cells() as f64 / secs;
    let mut flow_only = p.clone();
    flow_only.species.axes.clear();
    (flow_rate, species_rate, gde::bytes_per_cell(&flow_only))
}

/// Times nineteen streams moved in place like the D3Q19 even step, without its arithmetic
/// (bench/streams19.wgsl), once with a binding per stream (as the model binds them) and once
/// with all nineteen in one buffer. Set against the even half's rate, these say whether that
/// half is held back by its bindings, its arithmetic, or the streams themselves. Skipped when
/// the grid needs more than one chunk or the nineteen do not fit in one binding.
fn stream_experiment(gpu: &Gpu, grid: Grid, reps: u32) {
    let domain = Domain::new(gpu, grid, false).unwrap();
    let cells = domain.buffer_cells(0);
    if domain.chunks.len() > 1 || 19 * cells * 4 > gpu.max_binding_bytes {
        println!("  19 streams: skipped (the grid does not fit one binding)");
        return;
    }
    let streams: Vec<Field> = (0..19)
        .map(|i| Field::new(gpu, &domain, &format!("s{i}")))
        .collect();
    let all = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("19 streams in one buffer"),
        size: 19 * cells * 4,
        usage: wgpu::BufferUsages::STORAGE,
        mapped_at_creation: false,
    });
    for entry in ["main", "single"] {
        let k = Kernel::with_entry(gpu, "bench/streams19.wgsl", entry).unwrap();
        let bgs = if entry == "main" {
            k.bind_chunks(gpu, &domain, |_| {
                streams.iter().map(|f| &f.buffers[0]).collect()
            })
        } else {
            // `all` is binding 20, past the nineteen separate streams.
            fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
                wgpu::BindGroupEntry {
                    binding,
                    resource: buffer.as_entire_binding(),
                }
            }
            vec![gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("19 streams in one buffer"),
                layout: k.layout(),
                entries: &[entry(0, &domain.info_buffers[0]), entry(20, &all)],
            })]
        };
        let secs = time_per_rep(gpu, reps, |n| {
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            {
                let mut pass = enc.begin_compute_pass(&Default::default());
                for _ in 0..n {
                    domain.dispatch(&mut pass, k.pipeline(), &bgs);
                }
            }
            gpu.queue.submit([enc.finish()]);
        });
        let rate = grid.cells() as f64 / secs;
        println!(
            "  19 streams in place, no arithmetic ({}): {:.1} MLUPs, {:.2} GB/s at 152 B/cell",
            if entry == "main" {
                "a binding each, as the model"
            } else {
                "one binding"
            },
            rate / 1e6,
            152.0 * rate / 1e9
        );
    }
}

/// Prints the gde D3Q19 and D3Q7 rates against the copy bandwidth `copy` (bytes/s).
fn gde_report(gpu: &Gpu, scale: u32, copy: f64) {
    // At most 256³: 2.6 GB of populations per update, far beyond any cache.
    let n = (96 * scale).min(256);
    let grid = Grid::new_3d(n, n, n, 1e-6);
    let reps = (20_000_000 / grid.cells()).clamp(3, 100) as u32;
    let (q19, q7, bytes) = gde_rates(gpu, grid, reps);
    let bw19 = q19 * D3Q19_BYTES_PER_UPDATE;
    let bw7 = q7 * D3Q7_BYTES_PER_UPDATE;
    println!(
            "3D {}x{}x{}: gde D3Q19 {:.1} MLUPs, {:.2} GB/s at {D3Q19_BYTES_PER_UPDATE} B/update = {:.0}% of copy, \
             {bytes} B/cell allocated for flow | D3Q7 {:.1} MLUPs, {:.2} GB/s at {D3Q7_BYTES_PER_UPDATE} B/update = {:.0}% of copy",
            grid.nx,
            grid.ny,
            grid.nz,
            q19 / 1e6,
            bw19 / 1e9,
            100.0 * bw19 / copy,
            q7 / 1e6,
            bw7 / 1e9,
            100.0 * bw7 / copy
        );
    if gpu.summary.shader_f16 {
        let q = gde_f16_rate(gpu, grid, reps);
        let bw = q * D3Q19_F16_BYTES_PER_UPDATE;
        println!(
            "  D3Q19 with f16 populations: {:.1} MLUPs, {:.2} GB/s at {D3Q19_F16_BYTES_PER_UPDATE} \
             B/update = {:.0}% of copy ({:.2}x the f32 storage's rate)",
            q / 1e6,
            bw / 1e9,
            100.0 * bw / copy,
            q / q19
        );
    } else {
        println!(
            "  D3Q19 with f16 populations: not timed ({} has no f16 shaders)",
            gpu.summary.name
        );
    }
}

/// Bytes per cell one CG iteration of a correction solve moves on the fine level, counting
/// each binding a pass reads or writes once (neighbour reads hit cache; the coarse levels,
/// an eighth of the cells and less, and the partial sums are left out): update, the
/// V-cycle's fine passes, the direction and A p. With the operator stored (4 fields read
/// by every stencil pass): 8 + 7 + 6 + 7 + 7 + 3 + 6 = 44 fields; computed from σ (one
/// field): 8 + 4 + 3 + 4 + 4 + 3 + 3 = 29; with the fewest vectors (A p computed again, the
/// fine level swept in place in two colours: update 7, colour 1 4, restriction 3,
/// prolongation 2, colour 1 4, colour 0 with the sums 4, direction 3, A p 2) also 29; with
/// p and σ in f16 as well (half a field each: 6 + 3.5 + 2.5 + 2 + 3.5 + 3.5 + 2 + 1) 24.
const STEADY_BYTES_PER_CELL: [(&str, f64); 4] = [
    ("stored", 44.0 * 4.0),
    ("matrix-free", 29.0 * 4.0),
    ("matrix-free, fewest vectors", 29.0 * 4.0),
    ("matrix-free, fewest vectors, p and σ in f16", 24.0 * 4.0),
];

/// The steady solve bench's image: 96³ scaled, at most 256³ (its fields are built on the
/// CPU).
fn steady_grid(scale: u32) -> Grid {
    let n = (96 * scale).min(256);
    Grid::new_3d(n, n, n, 1e-6)
}

/// The elliptic solver's correction solves as gde's steady path makes them (from zero, b
/// given, multigrid every axis): a random porous box of `grid` (80 % pore, σ = 1, solid
/// excluded, x faces held, sides periodic), solved to 1e-6 with the operator stored,
/// computed, and computed with the fewest vectors; each timed from a drained queue to its
/// result, the best of three solves. Prints iterations, time per iteration and cell
/// iterations per second against the copy bandwidth `copy`.
fn steady_report(gpu: &Gpu, grid: Grid, copy: f64) {
    use mesolyte::solvers::{
        CellKind, Coarsening, CorrectionMemory, EllipticSolver, FaceCondition, FineOperator,
        OperatorSetup, Preconditioner, SolveControl,
    };
    let n = grid.cells() as usize;
    let mut rng = mesolyte::rng::Rng::new(11);
    let mut uniform = || (rng.next_u64() >> 40) as f64 / (1u64 << 24) as f64;
    let mut kind: Vec<CellKind> = (0..n)
        .map(|_| {
            if uniform() < 0.8 {
                CellKind::Solved
            } else {
                CellKind::Excluded
            }
        })
        .collect();
    // Pore that no x face reaches would be a singular block: excluded, as gde does.
    use mesolyte::geometry::{reach, CellBox, Connectivity};
    let [nx, ny, nz] = grid.counts().map(|k| k as usize);
    let cell_box = CellBox::new([nx, ny, nz], [false, true, true]);
    let seeds = (0..ny * nz).flat_map(|p| [p * nx, p * nx + nx - 1]);
    let reached = reach(
        &cell_box,
        Connectivity::Faces,
        |i| kind[i] == CellKind::Solved,
        seeds,
    );
    for (k, r) in kind.iter_mut().zip(&reached) {
        if !r {
            *k = CellKind::Excluded;
        }
    }
    let b: Vec<f32> = kind
        .iter()
        .map(|k| match k {
            CellKind::Solved => (uniform() * 2.0 - 1.0) as f32,
            _ => 0.0,
        })
        .collect();
    let sigma: Vec<f32> = kind
        .iter()
        .map(|k| if *k == CellKind::Solved { 1.0 } else { 0.0 })
        .collect();
    use FaceCondition::{Dirichlet, Periodic};
    let faces = [[Dirichlet(0.0); 2], [Periodic; 2], [Periodic; 2]];
    let control = SolveControl {
        tolerance: 1e-6,
        max_iterations: 500,
        max_iterations_key: "(bench)",
        warm_step_max: 0.0,
    };
    let mg = Preconditioner::Multigrid(Coarsening::EveryAxis);
    let conductivity = FineOperator::Conductivity {
        held_x: [true, true],
        periodic_sides: true,
        half: false,
    };
    let half_conductivity = FineOperator::Conductivity {
        held_x: [true, true],
        periodic_sides: true,
        half: true,
    };
    let mut paths = vec![
        (FineOperator::Stored, CorrectionMemory::Standard),
        (conductivity, CorrectionMemory::Standard),
        (conductivity, CorrectionMemory::Least),
    ];
    if gpu.summary.shader_f16 {
        paths.push((half_conductivity, CorrectionMemory::Half));
    } else {
        println!("  steady correction solve in f16: not timed (no f16 shaders)");
    }
    for ((form, memory), (name, bytes)) in paths.into_iter().zip(STEADY_BYTES_PER_CELL) {
        let domain = Domain::with_even_chunks(gpu, grid, true).unwrap();
        let x = Field::new(gpu, &domain, "x");
        let mut solver =
            EllipticSolver::for_corrections(gpu, &domain, &x, mg, form, memory, "bench").unwrap();
        let setup = match form {
            FineOperator::Stored => {
                let setup = OperatorSetup::new(gpu, &domain, &solver, faces).unwrap();
                setup.upload(gpu, &sigma, &kind, &b).unwrap();
                Some(setup)
            }
            FineOperator::Conductivity { half: false, .. } => {
                solver.conductivity().upload(gpu, &sigma).unwrap();
                None
            }
            FineOperator::Split => unreachable!("the bench builds no split solver"),
            FineOperator::Conductivity { half: true, .. } => {
                let halved: Vec<half::f16> =
                    sigma.iter().map(|&v| half::f16::from_f32(v)).collect();
                solver.conductivity().upload_as(gpu, &halved).unwrap();
                None
            }
        };
        let encode = |rec: &mut mesolyte::gpu::Recorder| {
            if let Some(s) = &setup {
                s.encode(rec);
            }
        };
        let mut best = f64::INFINITY;
        let mut iterations = 0;
        for _ in 0..3 {
            if setup.is_none() {
                // A correction solve takes b in r, which the solve overwrites.
                solver.rhs().upload(gpu, &b).unwrap();
            }
            gpu.wait();
            let t0 = Instant::now();
            let report = solver.solve(gpu, &x, control, &encode).unwrap();
            best = best.min(t0.elapsed().as_secs_f64());
            iterations = report.iterations;
        }
        let per_iteration = best / iterations as f64;
        let rate = grid.cells() as f64 / per_iteration;
        println!(
            "  steady correction solve, {name}: {iterations} iterations, {:.1} ms each, \
             {:.1} Mcell iterations/s, {:.2} GB/s at {bytes} B/cell = {:.0}% of copy",
            per_iteration * 1e3,
            rate / 1e6,
            rate * bytes / 1e9,
            100.0 * rate * bytes / copy
        );
    }
}

/// Bytes one superfill step moves per cell outside the concentration solves, counting each
/// binding a kernel reads or writes once per cell (neighbour reads hit cache) and a binding
/// it reads and writes twice: extend 10 (5 read, 3 written, `deposited` both), advect
/// 2 × 4, interface 5, transfer 13 (gather 4, forward 5, main 4), coverage 2 × 7, adsorb
/// 12 (6 read; the amounts and the pending release read and written), and on the steps
/// that reinitialise (one in five) 16 sweeps × 3 fields, φ's copy (2) and the interface
/// and coverage again (12): 74.4 fields of 4 bytes. The leveler's fields count: the kernels
/// bind and touch them whether or not the bath holds leveler. Since 2026-12-07 transfer,
/// coverage and adsorb run over the cells near the interface only (gpu/cell_list.rs), so
/// they move their bytes for a sixth to a twentieth of the cells: the figure is the box's
/// as if they ran over all of it, and the fraction of copy it gives an effective one.
const SUPERFILL_BYTES_PER_CELL: f64 = 297.6;

/// Cell updates per second of the superfill step on FiPy's trench (scaled up with
/// `scale`): the level-set and surface part alone (no concentration solves), and whole
/// steps with the scenario's solve cadence (`species_every`); and the CG iterations per
/// solve. Returns the grid, both rates, the iterations and the cadence.
fn superfill_rates(gpu: &Gpu, scale: u32) -> (Grid, f64, f64, f64, u64) {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/superfill-trench-2d.toml"
    );
    let n = scale.min(8);
    let sets = [
        format!("grid.nx={}", 60 * n),
        format!("grid.ny={}", 170 * n),
        format!("grid.dx={:e}", 5e-9 / n as f64),
        "superfill.bottom_m=50e-9".to_string(),
    ];
    let scenario = Scenario::load(std::path::Path::new(file), &sets).expect("superfill scenario");
    let params = scenario
        .params
        .downcast_ref::<SuperfillParams>()
        .expect("superfill parameters")
        .clone();
    let grid = scenario.grid;
    let dt = params.bound_dt(&grid);
    let rate = |species_every: u64| {
        let mut p = params.clone();
        p.species_every = species_every;
        let mut m = Superfill::new(gpu, grid, p).expect("superfill model");
        let steps = 20;
        let t = time_per_rep(gpu, 1, |_| {
            m.steps(gpu, dt, steps).expect("superfill steps")
        });
        let per_solve = m.solves.1 as f64 / m.solves.0.max(1) as f64;
        (grid.cells() as f64 * steps as f64 / t, per_solve)
    };
    let (level_set, _) = rate(1_000_000);
    let (whole, iterations) = rate(params.species_every);
    (grid, level_set, whole, iterations, params.species_every)
}

fn superfill_report(gpu: &Gpu, scale: u32) {
    let (grid, level_set, whole, iterations, every) = superfill_rates(gpu, scale);
    let reps = (400_000_000 / grid.cells()).clamp(5, 200) as u32;
    let copy = copy_bandwidth(gpu, grid, reps);
    let achieved = SUPERFILL_BYTES_PER_CELL * level_set;
    println!(
        "2D {}x{}: copy {:.2} GB/s | superfill step without solves {:.2} Mcell/s, {:.2} GB/s at {SUPERFILL_BYTES_PER_CELL} B/cell = {:.1}% of copy | \
         whole steps (solves every {every}) {:.2} Mcell/s, {:.1} CG iterations per solve",
        grid.nx,
        grid.ny,
        copy / 1e9,
        level_set / 1e6,
        achieved / 1e9,
        100.0 * achieved / copy,
        whole / 1e6,
        iterations
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo bench -- gde` runs only the gde lattice kernels,
    // `cargo bench -- dendrite` only the copy baselines and the dendrite step and solves,
    // `cargo bench -- superfill` only the superfill step (with its own copy baseline),
    // `cargo bench -- steady` only the copy baselines and gde's steady correction solves.
    let only_gde = std::env::args().skip(1).any(|a| a == "gde");
    let only_dendrite = std::env::args().skip(1).any(|a| a == "dendrite");
    let only_superfill = std::env::args().skip(1).any(|a| a == "superfill");
    let only_steady = std::env::args().skip(1).any(|a| a == "steady");
    let scale: u32 = std::env::var("MESOLYTE_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let gpu = Gpu::open(None).expect("no GPU adapter");
    println!(
        "adapter: {} ({}, {})",
        gpu.summary.name, gpu.summary.backend, gpu.summary.device_type
    );
    if only_superfill {
        superfill_report(&gpu, scale);
        return;
    }
    if !only_gde && !only_dendrite && !only_steady {
        let (own_pass, one_pass, readback) = latencies(&gpu);
        println!(
            "dependent tiny dispatch: {:.1} us each in its own pass, {:.1} us in one pass | \
             32-byte read-back round trip: {:.1} us",
            own_pass * 1e6,
            one_pass * 1e6,
            readback * 1e6
        );
    }
    // 3D at most 512³: 512 MiB per field, and its fields are initialised on the CPU.
    let n3 = (160 * scale).min(512);
    let cases = [
        ("2D", Grid::new_2d(2048 * scale, 2048 * scale, 1e-6)),
        ("3D", Grid::new_3d(n3, n3, n3, 1e-6)),
    ];
    for (label, grid) in cases {
        if only_gde && !grid.is_3d() {
            continue;
        }
        let reps = (400_000_000 / grid.cells()).clamp(5, 200) as u32;
        let copy = copy_bandwidth(&gpu, grid, reps);
        if only_gde {
            gde_report(&gpu, scale, copy);
            continue;
        }
        if only_steady {
            println!(
                "{label} {}x{}x{}: copy {:.2} GB/s",
                grid.nx,
                grid.ny,
                grid.nz,
                copy / 1e9
            );
            if grid.is_3d() {
                steady_report(&gpu, steady_grid(scale), copy);
            }
            continue;
        }
        // Ideal traffic of the diffusion step: read c once and write it once (8 B/cell);
        // neighbour reads are served from cache when the kernel is memory-bound.
        let diffusion = if only_dendrite {
            String::new()
        } else {
            let cells_per_s = diffusion_rate(&gpu, grid, reps);
            let achieved = 8.0 * cells_per_s;
            format!(
                " | diffusion {:.1} Mcell/s, {:.2} GB/s at 8 B/cell = {:.0}% of copy",
                cells_per_s / 1e6,
                achieved / 1e9,
                100.0 * achieved / copy
            )
        };
        println!(
            "{label} {}x{}x{}: copy {:.2} GB/s{diffusion}",
            grid.nx,
            grid.ny,
            grid.nz,
            copy / 1e9
        );
        // The dendrite model's first potential solve is from scratch and its initial fields
        // are built on the CPU: keep its grid smaller, and at most 256³ (67 MB per field,
        // beyond any GPU's L2).
        let grid = if grid.is_3d() {
            let n = (96 * scale).min(256);
            Grid::new_3d(n, n, n, 1e-6)
        } else {
            Grid::new_2d(512 * scale, 512 * scale, 1e-6)
        };
        let reps = (100_000_000 / grid.cells()).clamp(5, 100) as u32;
        for preconditioner in ["multigrid", "jacobi"] {
            let r = dendrite_rates(&gpu, grid, reps, preconditioner);
            let achieved = DENDRITE_BYTES_PER_CELL * r.cells_per_s;
            let step_s = grid.cells() as f64 / r.cells_per_s;
            let solve_s = r.solve_s;
            let run_s = solve_s + SOLVE_EVERY as f64 * step_s;
            let passes = match (r.precondition_dispatches, r.vcycle_s) {
                (Some(p), Some(t)) => format!(
                    ", {p} dispatches per V-cycle with its CG sums, {:.2} ms per V-cycle queued back to back",
                    t * 1e3
                ),
                _ => String::new(),
            };
            println!(
                "{label} {}x{}x{}: dendrite step {:.1} Mcell/s, {:.2} GB/s at {DENDRITE_BYTES_PER_CELL} B/cell = {:.0}% of copy | \
                 solving every {SOLVE_EVERY} steps ({preconditioner}): {:.2} ms per solve ({:.1} CG iterations{passes}) = {:.0}% of run time",
                grid.nx,
                grid.ny,
                grid.nz,
                r.cells_per_s / 1e6,
                achieved / 1e9,
                100.0 * achieved / copy,
                solve_s * 1e3,
                r.iterations,
                100.0 * solve_s / run_s
            );
        }
        if grid.is_3d() && !only_dendrite {
            gde_report(&gpu, scale, copy);
            steady_report(&gpu, steady_grid(scale), copy);
        }
    }
    if !only_dendrite && !only_steady {
        superfill_report(&gpu, scale);
    }
}
