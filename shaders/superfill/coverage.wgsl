// Accelerator coverage and metal velocity on the interface cells. The coverage θ is the
// surface amount over the interface area of the cell and its neighbours (3×3, or 3×3×3,
// mirrored at the faces): one cell's share of the area is noisy where the surface crosses
// the grid, the neighbourhood's is not. θ is stored unclamped (a value above 1 tells
// adsorb.wgsl to release the excess); the velocity uses min(θ, 1):
//   v = Ω/(nF) [i_sup + (i_acc − i_sup) θ] c_Cu / c_Cu,bulk
// (include/params.wgsl). The leveler's coverage θ_L is found the same way.
#include "common/grid.wgsl"
#include "superfill/include/params.wgsl"

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> amount: array<i32>;
@group(0) @binding(3) var<storage, read> area: array<f32>;
@group(0) @binding(4) var<storage, read> c_cu: array<f32>;
@group(0) @binding(5) var<storage, read_write> theta_cell: array<f32>;
@group(0) @binding(6) var<storage, read_write> vel_cell: array<f32>;
@group(0) @binding(7) var<storage, read> amount_lev: array<i32>;
@group(0) @binding(8) var<storage, read_write> theta_lev_cell: array<f32>;

fn level(j: u32) -> f32 {
    return area[j];
}

#include "superfill/include/stencil.wgsl"

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let i = c.local;
    if (area[i] <= 0.0) {
        theta_cell[i] = 0.0;
        theta_lev_cell[i] = 0.0;
        vel_cell[i] = 0.0;
        return;
    }
    let kz = select(0, 1, is_3d());
    var m = 0.0;
    var m_lev = 0.0;
    var a = 0.0;
    for (var dz = -kz; dz <= kz; dz++) {
        for (var dy = -1; dy <= 1; dy++) {
            for (var dx = -1; dx <= 1; dx++) {
                let j = offset_cell(c, vec3<i32>(dx, dy, dz));
                m += f32(amount[j]);
                m_lev += f32(amount_lev[j]);
                a += area[j];
            }
        }
    }
    let theta = m / (M_SCALE * a);
    theta_cell[i] = theta;
    theta_lev_cell[i] = m_lev / (M_SCALE * a);
    let t = min(theta, 1.0);
    let current = p.i_sup + (p.i_acc - p.i_sup) * t;
    vel_cell[i] = p.vel_scale * current * max(c_cu[i], 0.0) * p.inv_cu_bulk;
}
