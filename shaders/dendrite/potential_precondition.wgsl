// Potential solve, CG step: the preconditioned residual z = M⁻¹ r and per-workgroup partial
// sums of (r·z, |D⁻¹r|²) (D the diagonal of A; the second sum is the convergence measure).
// Pipeline constants (src/models/dendrite/potential.rs builds one pipeline per combination):
//   JACOBI: M = D, z written here; otherwise z already holds the multigrid V-cycle's M⁻¹ r
//           (src/models/dendrite/multigrid.rs).
//   FIRST:  a solve's first iteration, which also sets the first search direction p = z (a
//           dispatch instead of a buffer copy, which would end the compute pass).
#include "common/grid.wgsl"
#include "common/cg.wgsl"

override JACOBI: bool = false;
override FIRST: bool = false;

@group(0) @binding(1) var<storage, read> r: array<f32>;
@group(0) @binding(2) var<storage, read> diag: array<f32>;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> p: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = thread_cell(gid);
    var v = vec2<f32>(0.0);
    if (cell.valid) {
        let i = cell.local;
        let scaled = r[i] / diag[i];
        if (JACOBI) {
            z[i] = scaled;
        }
        if (FIRST) {
            p[i] = z[i];
        }
        v = vec2<f32>(r[i] * z[i], scaled * scaled);
    }
    let total = workgroup_sum(lid, v);
    if (lid == 0u) {
        partials[workgroup_index(wid, groups)] = total;
    }
}
