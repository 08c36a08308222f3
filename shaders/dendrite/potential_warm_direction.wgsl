// Potential solve, warm start 1/2: d = φ - φ_prev, the change of φ over the last solve, into
// the CG direction p (free until the first iteration), and φ_prev ← φ. The start then moves
// along d (potential_warm_project.wgsl). Own cell only.
#include "common/grid.wgsl"

@group(0) @binding(1) var<storage, read> phi: array<f32>;
@group(0) @binding(2) var<storage, read_write> phi_prev: array<f32>;
@group(0) @binding(3) var<storage, read_write> d: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (!cell.valid) {
        return;
    }
    let i = cell.local;
    let now = phi[i];
    d[i] = now - phi_prev[i];
    phi_prev[i] = now;
}
