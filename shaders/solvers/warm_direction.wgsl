// Elliptic solve, before the warm start (src/solvers/elliptic.rs): the direction it moves
// along, d = x - x_prev, the change of x over the previous solve, into the CG direction p
// (free until the first iteration), and x_prev ← x. cg_start.wgsl then finds the step along d.
#include "common/grid.wgsl"

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> x_prev: array<f32>;
@group(0) @binding(3) var<storage, read_write> change: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        let i = cell.local;
        let now = x[i];
        change[i] = now - x_prev[i];
        x_prev[i] = now;
    }
}
