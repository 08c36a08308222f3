// Potential solve, CG step: q = L p, and per-workgroup partial sums of p·q.
#include "common/grid.wgsl"
#include "common/stencil.wgsl"
#include "common/potential.wgsl"
#include "common/cg.wgsl"

@group(0) @binding(1) var<storage, read> params: PotentialParams;
@group(0) @binding(2) var<storage, read> sigma: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> q: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<vec2<f32>>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = thread_cell(gid);
    var xq = 0.0;
    if (cell.valid) {
        let i = cell.local;
        let c = vec3<i32>(i32(cell.x), i32(cell.y), i32(cell.z));
        let s = sigma[i];
        let xc = x[i];
        var acc = 0.0;
        let dims = select(2u, 3u, is_3d());
        for (var a = 0u; a < dims; a++) {
            for (var side = -1; side <= 1; side += 2) {
                let f = potential_face(c, i, side * unit_axis(a), s, params);
                if (f.dirichlet) {
                    acc += f.g * xc;
                } else if (f.neighbour != i) {
                    acc += harmonic(s, sigma[f.neighbour]) * (xc - x[f.neighbour]);
                }
            }
        }
        q[i] = acc;
        xq = xc * acc;
    }
    let total = workgroup_sum(lid, vec2<f32>(xq, 0.0));
    if (lid == 0u) {
        partials[workgroup_index(wid, groups)] = total;
    }
}
