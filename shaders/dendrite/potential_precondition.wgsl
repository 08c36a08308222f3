// Potential solve, CG step: the preconditioned residual z = M⁻¹ r and per-workgroup partial
// sums of (r·z, |D⁻¹r|²) (D the diagonal of A; the second sum is the convergence measure).
//   jacobi: M = D, z written here.
//   main:   z already holds the multigrid V-cycle's M⁻¹ r (src/models/dendrite/multigrid.rs).
//   jacobi_first, main_first: the same in a solve's first iteration, which also sets the
//           first search direction p = z (a dispatch instead of a buffer copy, which would
//           end the compute pass).
#include "common/grid.wgsl"
#include "common/cg.wgsl"

@group(0) @binding(1) var<storage, read> r: array<f32>;
@group(0) @binding(2) var<storage, read> diag: array<f32>;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> p: array<f32>;

// z = r / diag first when `jacobi`; p = z when `first`; then the partial sums of
// (r·z, |D⁻¹r|²).
fn finish(gid: vec3<u32>, lid: u32, wid: vec3<u32>, groups: vec3<u32>, jacobi: bool, first: bool) {
    let cell = thread_cell(gid);
    var v = vec2<f32>(0.0);
    if (cell.valid) {
        let i = cell.local;
        let scaled = r[i] / diag[i];
        if (jacobi) {
            z[i] = scaled;
        }
        if (first) {
            p[i] = z[i];
        }
        v = vec2<f32>(r[i] * z[i], scaled * scaled);
    }
    let total = workgroup_sum(lid, v);
    if (lid == 0u) {
        partials[workgroup_index(wid, groups)] = total;
    }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn jacobi(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
          @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    finish(gid, lid, wid, groups, true, false);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    finish(gid, lid, wid, groups, false, false);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn jacobi_first(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    finish(gid, lid, wid, groups, true, true);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main_first(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
              @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    finish(gid, lid, wid, groups, false, true);
}
