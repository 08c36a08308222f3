// Potential solve, the start of a correction solve (EllipticSolver::for_corrections): x
// starts at 0, so the residual is b itself, which the user wrote straight into r (the
// solver keeps no b: one field fewer). Only the scale of the convergence test is summed,
// the partial sums of (0, 0, (D⁻¹b)²) in cg_start.wgsl's layout, so that the same
// cg_scalars.wgsl `theta` entry takes a step of 0 and keeps |D⁻¹b|².
#include "common/grid.wgsl"
#include "solvers/include/cg_partials.wgsl"
#include "solvers/include/operator.wgsl"
#include "solvers/include/operator_stored.wgsl"
#include "solvers/include/diagonal_only.wgsl"

@group(0) @binding(1) var<storage, read> diag: array<f32>;
@group(0) @binding(2) var<storage, read> r: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<vec4<f32>>;
// The rest of the operator, for its diagonal (operator_stored.wgsl).
@group(0) @binding(4) var<storage, read> gx: array<f32>;
@group(0) @binding(5) var<storage, read> gy: array<f32>;
@group(0) @binding(6) var<storage, read> gz: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = thread_cell(gid);
    var v = vec4<f32>(0.0);
    if (cell.valid) {
        let sb = r[cell.local] / diagonal(cell);
        v = vec4<f32>(0.0, 0.0, sb * sb, 0.0);
    }
    write_partial(lid, wid, groups, v);
}
