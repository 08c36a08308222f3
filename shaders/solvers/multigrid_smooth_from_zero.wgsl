// Multigrid for the potential: the first damped-Jacobi sweep of a level, from x = 0. The sweep
// of multigrid_smooth.wgsl, out = x + ω (b - A x) / diag, is out = ω b / diag there: it reads
// no x (which need not be cleared first) and of a stored operator only the diagonal (a
// matrix-free one computes the diagonal from the cell's and its neighbours' σ).
#include "common/grid.wgsl"
#include "solvers/include/jacobi.wgsl"
#include "solvers/include/operator.wgsl"
#include "solvers/include/operator_stored.wgsl"
#include "solvers/include/diagonal_only.wgsl"

@group(0) @binding(1) var<storage, read> diag: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// The rest of the level's operator, for its diagonal (operator_stored.wgsl).
@group(0) @binding(4) var<storage, read> gx: array<f32>;
@group(0) @binding(5) var<storage, read> gy: array<f32>;
@group(0) @binding(6) var<storage, read> gz: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        let i = cell.local;
        out[i] = OMEGA * b[i] / diagonal(cell);
    }
}
