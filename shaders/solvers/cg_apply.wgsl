// Potential solve, CG step: q = A p, and per-workgroup partial sums of p·q. Pipeline constant
// STORE_Q false: the sums only, for a solver that keeps no q and computes A p again where
// its update needs it (cg_update.wgsl's RECOMPUTE_AP; q is then bound to a vector this
// stage leaves alone).
#include "common/grid.wgsl"
#include "solvers/include/operator.wgsl"
#include "solvers/include/operator_stored.wgsl"
#include "solvers/include/apply_full.wgsl"
#include "solvers/include/cg.wgsl"
#include "solvers/include/cg_partials.wgsl"
#include "solvers/include/direction_read_f32.wgsl"

@group(0) @binding(1) var<storage, read> gx: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read> gz: array<f32>;
@group(0) @binding(4) var<storage, read> diag: array<f32>;
@group(0) @binding(6) var<storage, read_write> q: array<f32>;
@group(0) @binding(7) var<storage, read_write> partials: array<vec4<f32>>;
// For a half-precision p's scale only.
@group(0) @binding(8) var<storage, read> scalars: Scalars;

override STORE_Q: bool = true;

// The operand of A p (solvers/include/operator.wgsl).
fn operand(j: u32, k: vec3<u32>) -> f32 {
    return direction(j);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = thread_cell(gid);
    var xq = 0.0;
    if (cell.valid) {
        let i = cell.local;
        let pi = direction(i);
        let v = applied(cell, pi);
        if (STORE_Q) {
            q[i] = v;
        }
        xq = pi * v;
    }
    write_partial(lid, wid, groups, vec4<f32>(xq, 0.0, 0.0, 0.0));
}
