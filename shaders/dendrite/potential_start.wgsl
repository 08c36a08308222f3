// Potential solve, CG start from x = φ: the residual r = b - A x. Its norm is summed after the
// warm start has moved along φ's last change (potential_warm_project.wgsl), by the CG update
// kernel. One pass over the fine grid where q = A x and r = b - q took two.
#include "common/grid.wgsl"
#include "common/potential_operator.wgsl"
#include "common/stored_operand.wgsl"

@group(0) @binding(1) var<storage, read> gx: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read> gz: array<f32>;
@group(0) @binding(4) var<storage, read> diag: array<f32>;
@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read> b: array<f32>;
@group(0) @binding(7) var<storage, read_write> r: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        let i = cell.local;
        r[i] = b[i] - (diag[i] * x[i] - coupled_sum(cell));
    }
}
