// Accelerator coverage and metal velocity on the interface cells. The coverage θ is the
// surface amount over the interface area of a neighbourhood of the cell (5×5, or 5×5×5,
// mirrored at the faces), weighed (1, 12, 22, 12, 1) along each axis: one cell's share of
// the area is noisy where the surface crosses the grid, the neighbourhood's is not. Why
// these weights: a ripple of wave number q on a moving surface changes θ by its stretching
// and moves with the velocity of the averaged θ, so its growth follows the neighbourhood's
// response H(q) (tests/superfill_verification.rs,
// `short_ripples_on_a_moving_flat_surface_do_not_grow`): where H < 0 the surface's speed
// answers its stretching with the wrong sign and the ripple grows instead of oscillating.
// The plain 3×3 mean of earlier versions has H = (1 + 2 cos q)/3, negative for wavelengths
// of 2 to 3 cells: such ripples grew by e every 7 cells of travel, and the trench's
// sidewalls at 1.25 nm, which travel 70–100 cells, grew ripples of 0.07 cells. These
// weights are (1, 2, 1) convolved with (1, 10, 1): H = (1 + cos q)/2 · (5 + cos q)/6, never
// negative, and the same width (variance 2/3 cell²) as the 3×3 mean, so the closing
// trench bottom is resolved as before. (1, 2, 1) alone is narrower (variance 1/2): the
// cap on θ then bit harder where the bottom closes and the 5 nm trench's bump came 4 % late.
// θ is stored unclamped (a value above 1 tells adsorb.wgsl to release the excess); the
// velocity uses min(θ, 1):
//   v = Ω/(nF) [i_sup + (i_acc − i_sup) θ] c_Cu / c_Cu,bulk
// (include/params.wgsl). The leveler's coverage θ_L is found the same way.
#include "common/grid.wgsl"
#include "superfill/include/params.wgsl"
#include "common/cell_list.wgsl"
#include "common/listed_cell.wgsl"

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> amount: array<i32>;
@group(0) @binding(3) var<storage, read> area: array<f32>;
@group(0) @binding(4) var<storage, read> c_cu: array<f32>;
@group(0) @binding(5) var<storage, read_write> theta_cell: array<f32>;
@group(0) @binding(6) var<storage, read_write> vel_cell: array<f32>;
@group(0) @binding(7) var<storage, read> amount_lev: array<i32>;
@group(0) @binding(8) var<storage, read_write> theta_lev_cell: array<f32>;
// The cells this step can change (src/gpu/cell_list.rs): those within the list's limit of
// the zero level; a dispatch over the box would write the same values everywhere else.
@group(0) @binding(9) var<storage, read> cells: CellList;

fn level(j: u32) -> f32 {
    return area[j];
}

#include "superfill/include/stencil.wgsl"

// The neighbourhood's weight along one axis at offset d (−2 to 2); reach 2, within the
// domain's ghost planes.
fn axis_weight(d: i32) -> f32 {
    let a = abs(d);
    return select(select(1.0, 12.0, a == 1), 22.0, a == 0);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let c = listed_cell(wid, groups, lid);
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
    for (var dz = -COVERAGE_REACH * kz; dz <= COVERAGE_REACH * kz; dz++) {
        for (var dy = -COVERAGE_REACH; dy <= COVERAGE_REACH; dy++) {
            for (var dx = -COVERAGE_REACH; dx <= COVERAGE_REACH; dx++) {
                let j = offset_cell(c, vec3<i32>(dx, dy, dz));
                let w = axis_weight(dx) * axis_weight(dy) * axis_weight(dz);
                m += w * f32(amount[j]);
                m_lev += w * f32(amount_lev[j]);
                a += w * area[j];
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
