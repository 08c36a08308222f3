// Multigrid for the potential: residual and restriction in one pass, run over the coarse
// level. Each coarse cell sums b - A x over its children (as multigrid_restrict.wgsl sums the
// residual kernel's output), so the fine residual is never stored: one pass and one fine
// field's write and read fewer per level. A child's residual reads its neighbours, so this
// pass needs every child of a coarse cell in the fine chunk it reads (a child in the upper
// ghost plane of a fine chunk would need the plane beyond it): it runs over a fine level in
// one buffer, or chunk by chunk over a fine level smoothed in place whose chunks start at
// even planes (src/solvers/multigrid.rs); other chunked levels use the two-pass form.
// It writes the coarse right-hand side, and with the pipeline constant WITH_FIRST_SWEEP also
// the coarse level's first sweep from x = 0, t = ω b / diag, which reads b only at the cell
// (multigrid_smooth_from_zero.wgsl): one dispatch fewer per level.
#include "common/grid.wgsl"
#include "solvers/include/multigrid.wgsl"
#include "solvers/include/operator.wgsl"
#include "solvers/include/operator_stored.wgsl"
#include "solvers/include/stored_operand.wgsl"
#include "solvers/include/jacobi.wgsl"

@group(0) @binding(1) var<storage, read> other: GridInfo;
@group(0) @binding(2) var<storage, read> gx: array<f32>;
@group(0) @binding(3) var<storage, read> gy: array<f32>;
@group(0) @binding(4) var<storage, read> gz: array<f32>;
@group(0) @binding(5) var<storage, read> diag: array<f32>;
@group(0) @binding(6) var<storage, read> b: array<f32>;
@group(0) @binding(7) var<storage, read> x: array<f32>;
@group(0) @binding(8) var<storage, read_write> coarse_b: array<f32>;
@group(0) @binding(9) var<storage, read> coarse_diag: array<f32>;
@group(0) @binding(10) var<storage, read_write> coarse_t: array<f32>;

override WITH_FIRST_SWEEP: bool = false;

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
        let j = level_index(other, k.x, k.y, k.z);
        sum += b[j] - (diagonal_on(other, k, j) * x[j] - coupled_sum_on(other, k, j));
    }
    coarse_b[cell.local] = sum;
    if (WITH_FIRST_SWEEP) {
        coarse_t[cell.local] = OMEGA * sum / coarse_diag[cell.local];
    }
}
