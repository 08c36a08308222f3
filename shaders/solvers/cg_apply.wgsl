// Potential solve, CG step: q = A x, and per-workgroup partial sums of x·q. Pipeline constant
// STORE_Q false: the sums only, for a solver that keeps no q and computes A p again where
// its update needs it (cg_update.wgsl's RECOMPUTE_AP; q is then bound to a vector this
// stage leaves alone).
#include "common/grid.wgsl"
#include "solvers/include/operator.wgsl"
#include "solvers/include/operator_stored.wgsl"
#include "solvers/include/stored_operand.wgsl"
#include "solvers/include/cg_partials.wgsl"

@group(0) @binding(1) var<storage, read> gx: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read> gz: array<f32>;
@group(0) @binding(4) var<storage, read> diag: array<f32>;
@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read_write> q: array<f32>;
@group(0) @binding(7) var<storage, read_write> partials: array<vec4<f32>>;

override STORE_Q: bool = true;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = thread_cell(gid);
    var xq = 0.0;
    if (cell.valid) {
        let i = cell.local;
        let v = diagonal(cell) * x[i] - coupled_sum(cell);
        if (STORE_Q) {
            q[i] = v;
        }
        xq = x[i] * v;
    }
    write_partial(lid, wid, groups, vec4<f32>(xq, 0.0, 0.0, 0.0));
}
