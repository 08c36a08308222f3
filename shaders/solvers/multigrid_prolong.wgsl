// Multigrid for the potential: prolongation, run over the fine level. Each fine cell adds its
// coarse parent's correction (piecewise constant; restriction is its transpose).
#include "common/grid.wgsl"
#include "solvers/include/multigrid.wgsl"

@group(0) @binding(1) var<storage, read> other: GridInfo;
@group(0) @binding(2) var<storage, read> coarse_x: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        x[cell.local] += coarse_x[parent_index(grid, other, vec3<u32>(cell.x, cell.y, cell.z))];
    }
}
