// Velocity (m/s) and pressure (Pa, relative to the reference density) of every cell from the
// D3Q19 populations in the normal state (after an odd step): u = (sum c f + F/2) / rho.
// Solid cells get zero.
#include "gde/include/lattice.wgsl"
#include "gde/include/d3q19.wgsl"
#include "gde/include/flow_params.wgsl"

@group(0) @binding(22) var<storage, read_write> ux: array<f32>;
@group(0) @binding(23) var<storage, read_write> uy: array<f32>;
@group(0) @binding(24) var<storage, read_write> uz: array<f32>;
@group(0) @binding(25) var<storage, read_write> pressure: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    var u = vec3<f32>(0.0);
    var rho1 = 0.0;
    if (label[c.local] == LABEL_PORE) {
        var j = vec3<f32>(0.0);
        for (var i = 0u; i < Q; i++) {
            let v = load(i, c.local);
            rho1 += v;
            j += v * vec3<f32>(direction(i));
        }
        u = (j + 0.5 * p.force.xyz) / (1.0 + rho1);
    }
    ux[c.local] = u.x * p.scale.x;
    uy[c.local] = u.y * p.scale.x;
    uz[c.local] = u.z * p.scale.x;
    pressure[c.local] = rho1 * p.scale.y;
}
