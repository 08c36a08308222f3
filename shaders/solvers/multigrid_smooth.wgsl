// Multigrid for the potential, on one level:
//   main:     one damped-Jacobi sweep, out = x + ω (b - A x) / diag, ω = 0.8, from `x` into
//             `out` (the V-cycle alternates two buffers; the first sweep of a level is
//             multigrid_smooth_from_zero.wgsl);
//   residual: out = b - A x, for restriction to the next level where restriction cannot
//             compute it itself (multigrid_restrict.wgsl). Jacobi rather than Gauss-Seidel
// because every cell is treated alike: a problem that is uniform along a periodic side axis
// (a planar front) keeps an exactly uniform potential, which red-black ordering breaks at
// round-off level and a noiseless planar front then amplifies into fingers.
#include "common/grid.wgsl"
#include "solvers/include/operator.wgsl"
#include "solvers/include/operator_stored.wgsl"
#include "solvers/include/stored_operand.wgsl"
#include "solvers/include/jacobi.wgsl"

@group(0) @binding(1) var<storage, read> gx: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read> gz: array<f32>;
@group(0) @binding(4) var<storage, read> diag: array<f32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read> x: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

fn residual_at(cell: Cell) -> f32 {
    let i = cell.local;
    return b[i] - (diagonal(cell) * x[i] - coupled_sum(cell));
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        let i = cell.local;
        out[i] = jacobi_sweep(x[i], b[i], diagonal(cell), coupled_sum(cell));
    }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn residual(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        out[cell.local] = residual_at(cell);
    }
}
