// Plain copy of a chunk's interior: the bandwidth baseline every kernel is judged against.
// Same dispatch shape and indexing as the stencil kernels, so only the arithmetic differs.
#include "common/grid.wgsl"

@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (c.valid) {
        dst[c.local] = src[c.local];
    }
}

// The same copy with a flat 1D thread index (256 per workgroup, rows of groups in y); the
// benchmark uses whichever copy is faster as the baseline.
@compute @workgroup_size(256)
fn linear(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let t = gid.x + gid.y * groups.x * 256u;
    if (t < grid.planes * grid.plane_cells) {
        let i = t + grid.plane_cells;
        dst[i] = src[i];
    }
}
