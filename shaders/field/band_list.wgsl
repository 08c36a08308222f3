// Lists the chunk's cells where |f| < limit (common/cell_list.wgsl): for a level set, the
// cells within that distance of its zero level, which the interface kernels are then
// dispatched over. The list's count and workgroups must be zero before (CellList::encode_band,
// src/gpu/cell_list.rs, clears them first). A kernel over the whole chunk.
#include "common/grid.wgsl"
#include "common/cell_list.wgsl"

// Workgroups per row of the listed kernels' indirect dispatch (WebGPU allows 65535 per
// dimension; a list of more than ROW × 128 cells takes several rows). Tests set it small.
override ROW: u32 = 32768u;

struct BandLimit {
    limit: f32,
}

@group(0) @binding(1) var<storage, read> band: BandLimit;
@group(0) @binding(2) var<storage, read> f: array<f32>;
@group(0) @binding(3) var<storage, read_write> cells: CellListBuild;

// This workgroup's listed cells, then where its run of the list begins.
var<workgroup> group_count: atomic<u32>;
var<workgroup> group_base: u32;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let c = thread_cell(gid);
    let g = this_grid();
    var near = false;
    if (c.valid) {
        near = abs(f[c.local]) < band.limit;
    }
    // One atomic on the list per workgroup, not per cell.
    var slot = 0u;
    if (near) {
        slot = atomicAdd(&group_count, 1u);
    }
    workgroupBarrier();
    if (lid == 0u) {
        let n = atomicLoad(&group_count);
        var base = 0u;
        if (n > 0u) {
            base = atomicAdd(&cells.count, n);
            let groups = (base + n + LIST_GROUP - 1u) / LIST_GROUP;
            atomicMax(&cells.groups_x, min(groups, ROW));
            atomicMax(&cells.groups_y, (groups + ROW - 1u) / ROW);
        }
        group_base = base;
    }
    workgroupBarrier();
    if (near) {
        cells.cells[group_base + slot] = c.local - g.ghost * g.plane_cells;
    }
}
