// Potential solve, the warm start, in one pass over the fine grid: the residual r = b - Aφ of
// the start from φ, and q = A d for the last change d of φ (potential_setup.wgsl), with
// per-workgroup partial sums of ((D⁻¹r)(D⁻¹q), (D⁻¹q)², (D⁻¹b)²), the last the scale of
// the residual that convergence is judged against. From them θ = Σ(D⁻¹r)(D⁻¹q) /
// Σ(D⁻¹q)², within [0, θ_max] (cg_scalars.wgsl, `theta`), minimises the Jacobi-scaled
// residual ‖D⁻¹(r - θ q)‖ that decides convergence, and the CG update moves the start to
// φ + θ d, r to r - θ q, and sums the norm of that residual. θ is about 1 when φ changes
// steadily between solves (an extrapolation in time) and about 0 when the last change was
// mostly the solver's own tolerance, which a fixed θ = 1 would carry forward
// (docs/models/dendrite.md, Potential solver).
#include "common/grid.wgsl"
#include "solvers/include/operator.wgsl"
#include "solvers/include/operator_stored.wgsl"
#include "solvers/include/apply_full.wgsl"
#include "solvers/include/cg_partials.wgsl"

@group(0) @binding(1) var<storage, read> gx: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read> gz: array<f32>;
@group(0) @binding(4) var<storage, read> diag: array<f32>;
@group(0) @binding(5) var<storage, read> phi: array<f32>;
@group(0) @binding(6) var<storage, read> d: array<f32>;
@group(0) @binding(7) var<storage, read> b: array<f32>;
@group(0) @binding(8) var<storage, read_write> r: array<f32>;
@group(0) @binding(9) var<storage, read_write> q: array<f32>;
@group(0) @binding(10) var<storage, read_write> partials: array<vec4<f32>>;

// Which vector `operand` (solvers/include/operator.wgsl) reads: d, or φ.
var<private> of_change: bool;

fn operand(j: u32, k: vec3<u32>) -> f32 {
    if (of_change) {
        return d[j];
    }
    return phi[j];
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = thread_cell(gid);
    var v = vec4<f32>(0.0);
    if (cell.valid) {
        let i = cell.local;
        let dg = diagonal(cell);
        of_change = false;
        let rn = b[i] - applied(cell, phi[i]);
        r[i] = rn;
        of_change = true;
        let ad = applied(cell, d[i]);
        q[i] = ad;
        let sr = rn / dg;
        let sq = ad / dg;
        let sb = b[i] / dg;
        v = vec4<f32>(sr * sq, sq * sq, sb * sb, 0.0);
    }
    write_partial(lid, wid, groups, v);
}
