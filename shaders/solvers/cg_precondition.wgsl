// Potential solve, CG step: the preconditioned residual z = M⁻¹ r and per-workgroup partial
// sums of (r·z, |D⁻¹r|²) (D the diagonal of A; the second sum is the convergence measure).
//   main:       after a V-cycle that wrote z, or (JACOBI) with M = D, z written here;
//   last_sweep: the V-cycle's last fine-level sweep itself, z = t + ω (r - A t) / diag from
//               its scratch t (multigrid_smooth.wgsl's sweep, the same expression), so that
//               z is summed as it is written, one dispatch fewer per iteration
//               (src/models/dendrite/multigrid.rs, `FineFinish`).
//   last_colour: the same for a fine level smoothed in place (GAUSS_SEIDEL): the cycle's last
//               Gauss-Seidel sweep, of colour 0, z = (r + Σ g z_nb) / diag there
//               (multigrid_gauss_seidel.wgsl's expression), and every cell's z summed, the
//               other colours' being final already.
// Pipeline constants (src/models/dendrite/potential.rs builds one pipeline per combination):
//   JACOBI: main only, see above.
//   FIRST:  a solve's first iteration, which also sets the first search direction p = z (a
//           dispatch instead of a buffer copy, which would end the compute pass). Not with a
//           half-precision p, whose scale comes from this stage's sums: cg_direction then
//           writes the first direction (src/solvers/elliptic.rs).
//   GAUSS_SEIDEL, COLOURS: `last_colour`'s operand is z itself, and the fine level's colours
//           (solvers/include/colours.wgsl).
#include "common/grid.wgsl"
#include "solvers/include/cg_partials.wgsl"
#include "solvers/include/operator.wgsl"
#include "solvers/include/operator_stored.wgsl"
#include "solvers/include/jacobi.wgsl"
#include "solvers/include/colours.wgsl"
#include "solvers/include/cg.wgsl"
#include "solvers/include/direction_f32.wgsl"

override JACOBI: bool = false;
override FIRST: bool = false;
override GAUSS_SEIDEL: bool = false;

@group(0) @binding(1) var<storage, read> r: array<f32>;
@group(0) @binding(2) var<storage, read> diag: array<f32>;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<vec4<f32>>;
// For a half-precision p's scale only (FIRST is not used with one: its scale comes from the
// sums of this stage, src/solvers/elliptic.rs).
@group(0) @binding(5) var<storage, read> scalars: Scalars;
// last_sweep only: the fine operator's faces and the V-cycle's fine scratch.
@group(0) @binding(6) var<storage, read> gx: array<f32>;
@group(0) @binding(7) var<storage, read> gy: array<f32>;
@group(0) @binding(8) var<storage, read> gz: array<f32>;
@group(0) @binding(9) var<storage, read> t: array<f32>;

// The sweep's operand (solvers/include/operator.wgsl): the scratch t, or z itself where the
// fine level is smoothed in place (t is then bound to a vector this stage only reads).
fn operand(j: u32, k: vec3<u32>) -> f32 {
    if (GAUSS_SEIDEL) {
        return z[j];
    }
    return t[j];
}

// The cell's z (already final): p = z on the first iteration, and its (r·z, |D⁻¹r|², z²),
// the last for the scale of a half-precision p (cg_scalars.wgsl).
fn finish_cell(i: u32, dg: f32, zi: f32) -> vec4<f32> {
    if (FIRST) {
        set_direction(i, zi);
    }
    let scaled = r[i] / dg;
    return vec4<f32>(r[i] * zi, scaled * scaled, zi * zi, 0.0);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = thread_cell(gid);
    var v = vec4<f32>(0.0);
    if (cell.valid) {
        let i = cell.local;
        let dg = diagonal(cell);
        if (JACOBI) {
            z[i] = r[i] / dg;
        }
        v = finish_cell(i, dg, z[i]);
    }
    write_partial(lid, wid, groups, v);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn last_sweep(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
              @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = thread_cell(gid);
    var v = vec4<f32>(0.0);
    if (cell.valid) {
        let i = cell.local;
        let dg = diagonal(cell);
        let zi = jacobi_sweep(t[i], r[i], dg, coupled_sum(cell));
        z[i] = zi;
        v = finish_cell(i, dg, zi);
    }
    write_partial(lid, wid, groups, v);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn last_colour(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
               @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = thread_cell(gid);
    var v = vec4<f32>(0.0);
    if (cell.valid) {
        let i = cell.local;
        let dg = diagonal(cell);
        var zi = z[i];
        if (colour_of(cell) == 0u) {
            zi = gauss_seidel_sweep(r[i], dg, coupled_sum(cell));
            z[i] = zi;
        }
        v = finish_cell(i, dg, zi);
    }
    write_partial(lid, wid, groups, v);
}
