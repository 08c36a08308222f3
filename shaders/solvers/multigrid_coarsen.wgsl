// Multigrid for the potential: the coarse operator, run over the coarse level, as half the
// Galerkin product ½ PᵀAP of the fine operator (galerkin_entry in solvers/include/galerkin.wgsl says
// why). The bottom levels of a V-cycle build theirs by the same function in
// multigrid_bottom.wgsl.
#include "common/grid.wgsl"
#include "solvers/include/multigrid.wgsl"
#include "solvers/include/galerkin.wgsl"
#include "solvers/include/operator_stored.wgsl"

@group(0) @binding(1) var<storage, read> other: GridInfo;
// The finer level's operator, read through operator_stored.wgsl (or its matrix-free swap).
@group(0) @binding(2) var<storage, read> gx: array<f32>;
@group(0) @binding(3) var<storage, read> gy: array<f32>;
@group(0) @binding(4) var<storage, read> gz: array<f32>;
@group(0) @binding(5) var<storage, read> diag: array<f32>;
@group(0) @binding(6) var<storage, read_write> coarse_gx: array<f32>;
@group(0) @binding(7) var<storage, read_write> coarse_gy: array<f32>;
@group(0) @binding(8) var<storage, read_write> coarse_gz: array<f32>;
@group(0) @binding(9) var<storage, read_write> coarse_diag: array<f32>;

fn fine_operator(fine: GridInfo, k: vec3<u32>, j: u32) -> vec4<f32> {
    return vec4<f32>(face_up(fine, k, j, 0u), face_up(fine, k, j, 1u), face_up(fine, k, j, 2u), diagonal_on(fine, k, j));
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (!cell.valid) {
        return;
    }
    let a = galerkin_entry(other, children_between(other, grid, vec3<u32>(cell.x, cell.y, cell.z)));
    coarse_gx[cell.local] = a.x;
    coarse_gy[cell.local] = a.y;
    coarse_gz[cell.local] = a.z;
    coarse_diag[cell.local] = a.w;
}
