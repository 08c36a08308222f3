// Multigrid for the potential: prolongation fused into the first sweep after the coarse
// correction, run over a level held in one buffer. The sweep applies to y = x + P e (x this
// level's iterate, e the coarse level's correction, P piecewise constant: each cell adds its
// parent's value) at the cell and at its neighbours, and writes out = y + ω (b - A y) / diag.
// y is never stored, because the next sweep reads only `out`: one pass and one write and
// read of x fewer than multigrid_prolong.wgsl followed by multigrid_smooth.wgsl, each value
// by the same expression. A chunked level keeps the two-pass form (a neighbour in a ghost
// plane would need its parent from the next chunk's coarse span).
#include "common/grid.wgsl"
#include "solvers/include/multigrid.wgsl"
#include "solvers/include/operator.wgsl"
#include "solvers/include/operator_stored.wgsl"
#include "solvers/include/jacobi.wgsl"

@group(0) @binding(1) var<storage, read> other: GridInfo;
@group(0) @binding(2) var<storage, read> gx: array<f32>;
@group(0) @binding(3) var<storage, read> gy: array<f32>;
@group(0) @binding(4) var<storage, read> gz: array<f32>;
@group(0) @binding(5) var<storage, read> diag: array<f32>;
@group(0) @binding(6) var<storage, read> b: array<f32>;
@group(0) @binding(7) var<storage, read> x: array<f32>;
@group(0) @binding(8) var<storage, read> coarse_x: array<f32>;
@group(0) @binding(9) var<storage, read_write> out: array<f32>;

// x + P e at local index j, coordinates k of this level.
fn operand(j: u32, k: vec3<u32>) -> f32 {
    return x[j] + coarse_x[parent_index(grid, other, k)];
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        let i = cell.local;
        let y = operand(i, vec3<u32>(cell.x, cell.y, cell.z));
        out[i] = jacobi_sweep(y, b[i], diagonal(cell), coupled_sum(cell));
    }
}
