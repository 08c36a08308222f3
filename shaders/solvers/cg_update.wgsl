// Potential solve, CG step: x += α p, r -= α q, and per-workgroup partial sums of
// (0, |D⁻¹r|², Σ r, Σ rest) of the new residual (the convergence measure, read before the
// next V-cycle; the last two over a split operator's coupled cells, else 0: apply_split.wgsl).
// Pipeline constant FIRST_SWEEP (with multigrid): also the next V-cycle's first sweep on the
// fine level, from zero, t = ω r / diag (multigrid_smooth_from_zero.wgsl), into q, which is
// the V-cycle's fine scratch and is not read again before the next A p
// (src/models/dendrite/potential.rs): one dispatch fewer per V-cycle.
// Pipeline constant RECOMPUTE_AP: A p is computed here again, by cg_apply.wgsl's `applied`
// (the same bits), instead of read from q: the solver then keeps no q (4 B per cell fewer;
// src/solvers/elliptic.rs, `CorrectionMemory::Least`). With it, FIRST_COLOUR writes the next
// V-cycle's first fine sweep of that solver, which smooths in place: z = r / diag on the
// first Gauss-Seidel colour and 0 elsewhere (multigrid_gauss_seidel.wgsl's `from_zero`), into
// q, which is then bound to z (dead since the last direction update).
#include "common/grid.wgsl"
#include "solvers/include/cg.wgsl"
#include "solvers/include/cg_partials.wgsl"
#include "solvers/include/jacobi.wgsl"
#include "solvers/include/operator.wgsl"
#include "solvers/include/operator_stored.wgsl"
#include "solvers/include/apply_full.wgsl"
#include "solvers/include/colours.wgsl"
#include "solvers/include/direction_read_f32.wgsl"

@group(0) @binding(1) var<storage, read> scalars: Scalars;
@group(0) @binding(3) var<storage, read_write> q: array<f32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> r: array<f32>;
@group(0) @binding(6) var<storage, read> diag: array<f32>;
@group(0) @binding(7) var<storage, read_write> partials: array<vec4<f32>>;
// The rest of the fine operator, for its diagonal (operator_stored.wgsl) and RECOMPUTE_AP.
@group(0) @binding(8) var<storage, read> gx: array<f32>;
@group(0) @binding(9) var<storage, read> gy: array<f32>;
@group(0) @binding(10) var<storage, read> gz: array<f32>;

override FIRST_SWEEP: bool = false;
override RECOMPUTE_AP: bool = false;
override FIRST_COLOUR: bool = false;

// The operand of A p (solvers/include/operator.wgsl), for RECOMPUTE_AP.
fn operand(j: u32, k: vec3<u32>) -> f32 {
    return direction(j);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = thread_cell(gid);
    var scaled = 0.0;
    var sums = vec2<f32>(0.0);
    if (cell.valid) {
        let i = cell.local;
        let pi = direction(i);
        x[i] = x[i] + scalars.alpha * pi;
        let dg = diagonal(cell);
        var ap: f32;
        if (RECOMPUTE_AP) {
            ap = applied(cell, pi);
        } else {
            ap = q[i];
        }
        let rn = r[i] - scalars.alpha * ap;
        r[i] = rn;
        scaled = rn / dg;
        sums = split_sums(cell, rn);
        if (FIRST_SWEEP) {
            q[i] = OMEGA * rn / dg;
        }
        if (FIRST_COLOUR) {
            q[i] = gauss_seidel_from_zero(cell, rn, dg);
        }
    }
    write_partial(lid, wid, groups, vec4<f32>(0.0, scaled * scaled, sums.x, sums.y));
}
