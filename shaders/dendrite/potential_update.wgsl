// Potential solve, CG step: x += α p, r -= α q.
#include "common/grid.wgsl"
#include "common/cg.wgsl"

@group(0) @binding(1) var<storage, read> scalars: Scalars;
@group(0) @binding(2) var<storage, read> p: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> r: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        let i = cell.local;
        x[i] = x[i] + scalars.alpha * p[i];
        r[i] = r[i] - scalars.alpha * q[i];
    }
}
