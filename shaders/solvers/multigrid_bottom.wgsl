// Multigrid for the potential: the bottom of the V-cycle in one dispatch of one workgroup.
// From the first level small enough (BOTTOM_CELLS in src/models/dendrite/multigrid.rs) down
// to the coarsest and back, every stage that the per-level kernels would run as a dispatch
// of its own runs here as a loop over the level's cells followed by a barrier:
//   main:  the V-cycle's bottom (two sweeps, the restriction with its residual, on each level
//          down; the coarsest level's sweeps; the prolongation inside the first sweep and a
//          second sweep on each level up);
//   build: the bottom levels' coarse operators, each from the one above.
// On a GPU a dependent dispatch costs microseconds however few cells it covers, and below a
// few thousand cells one workgroup does a stage in about that time; one dispatch then
// replaces five per level. Each value is computed by the same expression as in the per-level
// kernels (multigrid_smooth*.wgsl, multigrid_restrict_residual.wgsl,
// multigrid_prolong_smooth.wgsl, solvers/include/galerkin.wgsl), so the iterates do not depend on
// which ran (tests/dendrite_verification.rs compares them).
//
// Storage: the first bottom level is an ordinary level (binding 0 is its GridInfo; the
// kernels above it write its right-hand side and operator and read its correction), and each
// of its vectors is allocated with room behind it for the coarser levels, which live only
// there, at the offsets in `table`. Indices are local ones plus the level's offset, and
// neighbours wrap inside a level (common/grid.wgsl), so ghost planes are never read.
#include "common/grid.wgsl"
#include "solvers/include/multigrid.wgsl"
#include "solvers/include/galerkin.wgsl"
#include "solvers/include/operator.wgsl"
#include "solvers/include/operator_stored.wgsl"
#include "solvers/include/jacobi.wgsl"

// Threads of the one workgroup: 1024 where the adapter allows it, else WebGPU's 256.
override THREADS: u32 = 256u;

struct BottomLevel {
    info: GridInfo,
    // Offset of the level's first (ghost-plane) cell in the vectors below.
    base: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

struct BottomTable {
    levels: u32,
    // Sweep pairs on the coarsest level.
    coarsest_sweeps: u32,
    pad0: u32,
    pad1: u32,
    // Levels 1.. of the bottom (level 0 is `grid`, at offset 0).
    coarser: array<BottomLevel>,
}

@group(0) @binding(1) var<storage, read> table: BottomTable;
@group(0) @binding(2) var<storage, read_write> gx: array<f32>;
@group(0) @binding(3) var<storage, read_write> gy: array<f32>;
@group(0) @binding(4) var<storage, read_write> gz: array<f32>;
@group(0) @binding(5) var<storage, read_write> diag: array<f32>;
@group(0) @binding(6) var<storage, read_write> b: array<f32>;
@group(0) @binding(7) var<storage, read_write> x: array<f32>;
@group(0) @binding(8) var<storage, read_write> t: array<f32>;

// What `operand` reads: x, t, or x plus the next coarser level's correction.
const FROM_X: u32 = 0u;
const FROM_T: u32 = 1u;
const FROM_X_PLUS_COARSE: u32 = 2u;

var<private> lane: u32;
var<private> source: u32;
// The level being swept, whose cells `operand` is asked for.
var<private> swept_info: GridInfo;
// The level whose x `operand` prolongs from, and its offset (FROM_X_PLUS_COARSE).
var<private> coarse_info: GridInfo;
var<private> coarse_base: u32;
// The level the fine operator of `galerkin_entry` is read from.
var<private> fine_base: u32;

fn level_info(l: u32) -> GridInfo {
    if (l == 0u) {
        return grid;
    }
    return table.coarser[l - 1u].info;
}

fn level_base(l: u32) -> u32 {
    if (l == 0u) {
        return 0u;
    }
    return table.coarser[l - 1u].base;
}

fn level_cells(info: GridInfo) -> u32 {
    return info.nx * info.ny * info.nz;
}

// g / n for g below 2^24 (a bottom level holds at most BOTTOM_CELLS): the f32 quotient, off
// by at most one, corrected. A CPU device divides integers lane by lane and floats in its
// vector unit; every sweep of the bottom finds each cell's coordinates this way.
fn quotient(g: u32, n: u32) -> u32 {
    var q = u32(f32(g) / f32(n));
    q = select(q, q - 1u, q * n > g);
    return select(q, q + 1u, (q + 1u) * n <= g);
}

// Coordinates of the level's g-th interior cell (storage order: x fastest).
fn cell_coords(info: GridInfo, g: u32) -> vec3<u32> {
    let row = quotient(g, info.nx);
    let z = quotient(row, info.ny);
    return vec3<u32>(g - row * info.nx, row - z * info.ny, z);
}

// The vector A is applied to, at packed index j (coordinates k on the level being swept).
fn operand(j: u32, k: vec3<u32>) -> f32 {
    switch (source) {
        case FROM_X: {
            return x[j];
        }
        case FROM_T: {
            return t[j];
        }
        default: {
            return x[j] + x[coarse_base + parent_index(swept_info, coarse_info, k)];
        }
    }
}

fn fine_operator(fine: GridInfo, k: vec3<u32>, j: u32) -> vec4<f32> {
    let i = fine_base + j;
    return vec4<f32>(gx[i], gy[i], gz[i], diag[i]);
}

// The first sweep of level l, from x = 0: t = ω b / diag (multigrid_smooth_from_zero.wgsl).
fn sweep_from_zero(l: u32) {
    let info = level_info(l);
    let first = level_base(l) + info.plane_cells;
    for (var g = lane; g < level_cells(info); g += THREADS) {
        let i = first + g;
        t[i] = OMEGA * b[i] / diag[i];
    }
    storageBarrier();
}

// One damped-Jacobi sweep of level l applied to `operand_source` (multigrid_smooth.wgsl, or
// multigrid_prolong_smooth.wgsl for FROM_X_PLUS_COARSE), into x or t.
fn sweep(l: u32, operand_source: u32, into_x: bool) {
    let info = level_info(l);
    let base = level_base(l);
    source = operand_source;
    swept_info = info;
    if (operand_source == FROM_X_PLUS_COARSE) {
        coarse_info = level_info(l + 1u);
        coarse_base = level_base(l + 1u);
    }
    for (var g = lane; g < level_cells(info); g += THREADS) {
        let i = base + info.plane_cells + g;
        let k = cell_coords(info, g);
        let y = operand(i, k);
        let v = jacobi_sweep(y, b[i], diag[i], coupled_sum_on(info, k, i));
        if (into_x) {
            x[i] = v;
        } else {
            t[i] = v;
        }
    }
    storageBarrier();
}

// Level l + 1's right-hand side: each coarse cell sums b - A x over its children on level l
// (multigrid_restrict_residual.wgsl).
fn restrict_residual(l: u32) {
    let fine = level_info(l);
    let base = level_base(l);
    let coarse = level_info(l + 1u);
    let first = level_base(l + 1u) + coarse.plane_cells;
    source = FROM_X;
    for (var g = lane; g < level_cells(coarse); g += THREADS) {
        let kids = children_between(fine, coarse, cell_coords(coarse, g));
        var sum = 0.0;
        for (var m = 0u; m < child_count(kids); m++) {
            let k = child(kids, m);
            let j = base + level_index(fine, k.x, k.y, k.z);
            sum += b[j] - (diag[j] * x[j] - coupled_sum_on(fine, k, j));
        }
        b[first + g] = sum;
    }
    storageBarrier();
}

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(local_invocation_index) lid: u32) {
    lane = lid;
    let coarsest = table.levels - 1u;
    for (var l = 0u; l < coarsest; l++) {
        sweep_from_zero(l);
        sweep(l, FROM_T, true);
        restrict_residual(l);
    }
    sweep_from_zero(coarsest);
    sweep(coarsest, FROM_T, true);
    for (var s = 1u; s < table.coarsest_sweeps; s++) {
        sweep(coarsest, FROM_X, false);
        sweep(coarsest, FROM_T, true);
    }
    for (var l = coarsest; l > 0u; l--) {
        sweep(l - 1u, FROM_X_PLUS_COARSE, false);
        sweep(l - 1u, FROM_T, true);
    }
}

@compute @workgroup_size(THREADS, 1, 1)
fn build(@builtin(local_invocation_index) lid: u32) {
    for (var l = 1u; l < table.levels; l++) {
        let fine = level_info(l - 1u);
        let coarse = level_info(l);
        let first = level_base(l) + coarse.plane_cells;
        fine_base = level_base(l - 1u);
        for (var g = lid; g < level_cells(coarse); g += THREADS) {
            let a = galerkin_entry(fine, children_between(fine, coarse, cell_coords(coarse, g)));
            let i = first + g;
            gx[i] = a.x;
            gy[i] = a.y;
            gz[i] = a.z;
            diag[i] = a.w;
        }
        storageBarrier();
    }
}
