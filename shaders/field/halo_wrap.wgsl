// Periodic ghost planes of a field held in one chunk: the lower ghost gets the top interior
// plane and the upper ghost the bottom one. (Between chunks the host copies buffers instead.)
#include "common/grid.wgsl"

@group(0) @binding(1) var<storage, read_write> field: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let pc = grid.plane_cells;
    let top = grid.planes * pc;
    let upper_ghost = (grid.planes + 1u) * pc;
    for (var i = gid.x; i < pc; i += groups.x * 256u) {
        field[i] = field[top + i];
        field[upper_ghost + i] = field[pc + i];
    }
}
