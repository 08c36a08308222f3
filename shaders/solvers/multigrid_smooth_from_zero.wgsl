// Multigrid for the potential: the first damped-Jacobi sweep of a level, from x = 0. The sweep
// of multigrid_smooth.wgsl, out = x + ω (b - A x) / diag, is out = ω b / diag there: it reads
// neither x nor the faces, and x need not be cleared first.
#include "common/grid.wgsl"
#include "solvers/include/jacobi.wgsl"

@group(0) @binding(1) var<storage, read> diag: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        let i = cell.local;
        out[i] = OMEGA * b[i] / diag[i];
    }
}
