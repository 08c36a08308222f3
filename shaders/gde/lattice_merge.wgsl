// Hands populations written into a ghost plane back to the chunk that owns the plane
// (grids split into several chunks, src/models/gde/lattice.rs). In the AA odd step a cell
// next to a chunk boundary scatters along direction `d` into the ghost plane; the real cell
// is in the neighbouring chunk. The copy is made only where the cell behind the target
// (target - d, in the receiving chunk's own ghost plane of labels) is pore: where it is solid
// the receiving chunk wrote that slot itself by bounce-back.
#include "common/grid.wgsl"
#include "gde/include/population_bits.wgsl"

struct MergeParams {
    // Lattice direction of the slot (x, y, z, unused).
    d: vec4<i32>,
    // Local plane of the target in the receiving chunk, and of the source ghost plane in the
    // sending chunk.
    target_plane: u32,
    source_plane: u32,
    periodic_x: u32,
    periodic_y: u32,
}

@group(0) @binding(1) var<storage, read> m: MergeParams;
@group(0) @binding(2) var<storage, read> label: array<f32>;
// Populations are moved as bits: the flow's f32 (or f16), the species' i32 fixed point.
@group(0) @binding(3) var<storage, read> src_pops: array<PopulationBits>;
@group(0) @binding(4) var<storage, read_write> dst_pops: array<PopulationBits>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let pc = grid.plane_cells;
    for (var i = gid.x; i < pc; i += groups.x * 256u) {
        let x = i32(i % grid.nx);
        let y = i32(i / grid.nx);
        var bx = x - m.d.x;
        var by = y - m.d.y;
        let nx = i32(grid.nx);
        let ny = i32(grid.ny);
        if (bx < 0 || bx >= nx) {
            if (m.periodic_x == 0u) {
                continue;
            }
            bx = select(bx - nx, bx + nx, bx < 0);
        }
        if (by < 0 || by >= ny) {
            if (m.periodic_y == 0u) {
                continue;
            }
            by = select(by - ny, by + ny, by < 0);
        }
        let behind_plane = u32(i32(m.target_plane) - m.d.z);
        let behind = u32(bx + nx * by) + behind_plane * pc;
        if (label[behind] == 0.0) {
            dst_pops[m.target_plane * pc + i] = src_pops[m.source_plane * pc + i];
        }
    }
}
