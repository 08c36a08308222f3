// Potential solve, CG start from the warm start x = φ: the residual r = b - A x, and
// per-workgroup partial sums of (r·z, |D⁻¹r|²) with z = D⁻¹r, as the `jacobi` entry of
// potential_precondition.wgsl writes them, so that the host learns whether the warm start
// already meets the tolerance. One pass over the fine grid where q = A x, r = b - q and
// z = D⁻¹r took three, each value by the same expression. z itself is not stored: every
// iteration preconditions r afresh before reading z.
#include "common/grid.wgsl"
#include "common/potential_operator.wgsl"
#include "common/stored_operand.wgsl"
#include "common/cg.wgsl"

@group(0) @binding(1) var<storage, read> gx: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read> gz: array<f32>;
@group(0) @binding(4) var<storage, read> diag: array<f32>;
@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read> b: array<f32>;
@group(0) @binding(7) var<storage, read_write> r: array<f32>;
@group(0) @binding(8) var<storage, read_write> partials: array<vec2<f32>>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = thread_cell(gid);
    var v = vec2<f32>(0.0);
    if (cell.valid) {
        let i = cell.local;
        let ax = diag[i] * x[i] - coupled_sum(cell);
        let residual = b[i] - ax;
        r[i] = residual;
        let scaled = residual / diag[i];
        v = vec2<f32>(residual * scaled, scaled * scaled);
    }
    let total = workgroup_sum(lid, v);
    if (lid == 0u) {
        partials[workgroup_index(wid, groups)] = total;
    }
}
