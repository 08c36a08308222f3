// Potential solve, CG step: p = z + β p (β = 0 sets a half-precision p's first direction,
// cg_scalars.wgsl's `main`).
#include "common/grid.wgsl"
#include "solvers/include/cg.wgsl"
#include "solvers/include/direction_f32.wgsl"

@group(0) @binding(1) var<storage, read> scalars: Scalars;
@group(0) @binding(2) var<storage, read> z: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        let i = cell.local;
        set_direction(i, z[i] + scalars.beta * previous_direction(i));
    }
}
