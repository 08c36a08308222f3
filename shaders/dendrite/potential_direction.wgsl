// Potential solve, CG step: p = z + β p with z = r / diag.
#include "common/grid.wgsl"
#include "common/stencil.wgsl"
#include "common/potential.wgsl"
#include "common/cg.wgsl"

@group(0) @binding(1) var<storage, read> scalars: Scalars;
@group(0) @binding(2) var<storage, read> r: array<f32>;
@group(0) @binding(3) var<storage, read> diag: array<f32>;
@group(0) @binding(4) var<storage, read_write> p: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        let i = cell.local;
        p[i] = r[i] / diag[i] + scalars.beta * p[i];
    }
}
