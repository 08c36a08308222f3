// Potential solve, CG step: p = z + β p.
#include "common/grid.wgsl"
#include "solvers/include/cg.wgsl"

@group(0) @binding(1) var<storage, read> scalars: Scalars;
@group(0) @binding(2) var<storage, read> z: array<f32>;
@group(0) @binding(3) var<storage, read_write> p: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        p[cell.local] = z[cell.local] + scalars.beta * p[cell.local];
    }
}
