// Plain copy of a chunk's interior in 16-byte elements, one per thread: the widest loads a
// shader can issue, so the copy baseline is not limited by how many bytes each thread keeps
// in flight (on a GPU a 4-byte-per-thread copy reaches well under the memory's bandwidth).
#include "common/grid.wgsl"

@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    // The interior starts one plane in; plane_cells is a multiple of 4 for every grid the
    // benchmark uses, so whole vec4s cover it.
    let t = gid.x + gid.y * groups.x * 256u;
    if (t < grid.planes * grid.plane_cells / 4u) {
        let i = t + grid.plane_cells / 4u;
        dst[i] = src[i];
    }
}
