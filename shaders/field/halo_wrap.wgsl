// Periodic ghost planes of a field held in one chunk: the `ghost` lower ghost planes get the
// top interior planes and the upper ghosts the bottom ones. (Between chunks the host copies
// buffers instead.) Lower ghost j stands for plane j - ghost, upper ghost j for plane
// planes + j, each wrapped into 0..planes; a chunk may hold fewer planes than its ghosts.
#include "common/grid.wgsl"

// u32 whatever the field's element type: a copy of bits, never a float load that a driver
// might change (a NaN pattern, an integer that reads as a denormal).
@group(0) @binding(1) var<storage, read_write> field: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let pc = grid.plane_cells;
    let g = grid.ghost;
    let n = grid.planes;
    for (var j = 0u; j < g; j++) {
        // Buffer planes: ghosts 0..g, interior g..g+n, upper ghosts g+n..2g+n. Sources are
        // interior planes only, so the order of the writes does not matter.
        let lower_src = (g + (n * g + j - g) % n) * pc;
        let upper_src = (g + j % n) * pc;
        let lower = j * pc;
        let upper = (g + n + j) * pc;
        for (var i = gid.x; i < pc; i += groups.x * 256u) {
            field[lower + i] = field[lower_src + i];
            field[upper + i] = field[upper_src + i];
        }
    }
}
