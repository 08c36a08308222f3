// Plain copy of a chunk's interior: the bandwidth baseline every kernel is judged against.
// Same dispatch shape and indexing as the stencil kernels, so only the arithmetic differs.
#include "common/grid.wgsl"

@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x + gid.y * grid.row_threads;
    if (t < grid.planes * grid.plane_cells) {
        let i = t + grid.plane_cells;
        dst[i] = src[i];
    }
}
