// A listed kernel (common/cell_list.wgsl) that sets `marks` to 1 in every cell of the list:
// tests/gpu_fields.rs checks a list and its indirect dispatch with it (src/gpu/cell_list.rs).
#include "common/grid.wgsl"
#include "common/cell_list.wgsl"
#include "common/listed_cell.wgsl"

@group(0) @binding(1) var<storage, read> cells: CellList;
@group(0) @binding(2) var<storage, read_write> marks: array<u32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let c = listed_cell(wid, groups, lid);
    if (c.valid) {
        marks[c.local] = 1u;
    }
}
