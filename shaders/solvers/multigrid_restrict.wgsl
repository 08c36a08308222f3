// Multigrid for the potential: restriction, run over the coarse level. The coarse right-hand
// side is the sum of the children's residuals (Pᵀ of the piecewise-constant prolongation:
// both are in conductance form, so a coarse cell's source is the total of its children's).
#include "common/grid.wgsl"
#include "solvers/include/multigrid.wgsl"

@group(0) @binding(1) var<storage, read> other: GridInfo;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read_write> b: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (!cell.valid) {
        return;
    }
    let kids = children_between(other, grid, vec3<u32>(cell.x, cell.y, cell.z));
    var sum = 0.0;
    for (var m = 0u; m < child_count(kids); m++) {
        let k = child(kids, m);
        sum += t[level_index(other, k.x, k.y, k.z)];
    }
    b[cell.local] = sum;
}
