// Multigrid for the potential: the coarse operator, run over the coarse level, as half the
// Galerkin product ½ PᵀAP of the fine operator (galerkin_entry in solvers/include/galerkin.wgsl says
// why). The bottom levels of a V-cycle build theirs by the same function in
// multigrid_bottom.wgsl.
#include "common/grid.wgsl"
#include "solvers/include/multigrid.wgsl"
#include "solvers/include/galerkin.wgsl"

@group(0) @binding(1) var<storage, read> other: GridInfo;
@group(0) @binding(2) var<storage, read> fine_gx: array<f32>;
@group(0) @binding(3) var<storage, read> fine_gy: array<f32>;
@group(0) @binding(4) var<storage, read> fine_gz: array<f32>;
@group(0) @binding(5) var<storage, read> fine_diag: array<f32>;
@group(0) @binding(6) var<storage, read_write> gx: array<f32>;
@group(0) @binding(7) var<storage, read_write> gy: array<f32>;
@group(0) @binding(8) var<storage, read_write> gz: array<f32>;
@group(0) @binding(9) var<storage, read_write> diag: array<f32>;

fn fine_operator(j: u32) -> vec4<f32> {
    return vec4<f32>(fine_gx[j], fine_gy[j], fine_gz[j], fine_diag[j]);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (!cell.valid) {
        return;
    }
    let a = galerkin_entry(other, children_between(other, grid, vec3<u32>(cell.x, cell.y, cell.z)));
    gx[cell.local] = a.x;
    gy[cell.local] = a.y;
    gz[cell.local] = a.z;
    diag[cell.local] = a.w;
}
