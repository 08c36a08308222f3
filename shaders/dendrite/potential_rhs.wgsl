// Potential solve, step 2: right-hand side b (deposition source and Dirichlet faces), the
// Jacobi diagonal, and per-workgroup partial sums of |D⁻¹b|² (the scale of the residual).
#include "common/grid.wgsl"
#include "common/stencil.wgsl"
#include "common/potential.wgsl"
#include "common/cg.wgsl"

@group(0) @binding(1) var<storage, read> params: PotentialParams;
@group(0) @binding(2) var<storage, read> sigma: array<f32>;
@group(0) @binding(3) var<storage, read> eta: array<f32>;
@group(0) @binding(4) var<storage, read> eta_ref: array<f32>;
@group(0) @binding(5) var<storage, read_write> b: array<f32>;
@group(0) @binding(6) var<storage, read_write> diag: array<f32>;
@group(0) @binding(7) var<storage, read_write> partials: array<vec2<f32>>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = thread_cell(gid);
    var bb = 0.0;
    if (cell.valid) {
        let i = cell.local;
        let c = vec3<i32>(i32(cell.x), i32(cell.y), i32(cell.z));
        let s = sigma[i];
        var rhs = params.source_scale * (eta[i] - eta_ref[i]);
        var d = 0.0;
        let dims = select(2u, 3u, is_3d());
        for (var a = 0u; a < dims; a++) {
            for (var side = -1; side <= 1; side += 2) {
                let f = potential_face(c, i, side * unit_axis(a), s, params);
                if (f.dirichlet) {
                    d += f.g;
                    rhs += f.g * f.value;
                } else if (f.neighbour != i) {
                    d += harmonic(s, sigma[f.neighbour]);
                }
            }
        }
        b[i] = rhs;
        diag[i] = d;
        bb = (rhs / d) * (rhs / d);
    }
    let total = workgroup_sum(lid, vec2<f32>(bb, 0.0));
    if (lid == 0u) {
        partials[workgroup_index(wid, groups)] = total;
    }
}
