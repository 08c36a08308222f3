// Multigrid for the potential: prolongation, run over the fine level. Each fine cell adds its
// coarse parent's correction (piecewise constant; restriction is its transpose).
#include "common/grid.wgsl"
#include "common/multigrid.wgsl"

@group(0) @binding(1) var<storage, read> other: GridInfo;
@group(0) @binding(2) var<storage, read> coarse_x: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        let f = factors(grid, other);
        x[cell.local] += coarse_x[level_index(other, cell.x / f.x, cell.y / f.y, cell.z / f.z)];
    }
}
