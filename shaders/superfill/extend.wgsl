// Extends the interface cells' velocity and coverages off the interface (∇φ·∇v_ext = 0) by
// the closest-point rule: a cell takes the values at x − φ∇φ/|∇φ|, the nearest point of the
// zero level for a signed distance φ, averaged over the interface cells around that point
// weighted by their area and closeness. The reach is 3 cells (the ghost width), enough for
// the cells whose φ the advection's stencil moves; farther cells take the values near the
// point 2 cells along the way, and reinitialisation repairs their φ every few steps.
// With ACCUMULATE the kernel also adds the step's deposited volume per interface cell
// (v Δt × area, in cell volumes) for the Faraday check.
// The search reaches 3 cells along each axis, 3√d cells at most, and interface cells lie
// within a cell of the zero level, so a cell farther than 3√d + 1 cells from it (|φ| a
// distance, with half a cell to spare for the steps since the last reinitialisation) finds
// none and takes zeros at once. In 2D (threshold 5.74 cells) that is most of the grid, whose
// φ sits at the band's clamp (6 cells by default): the search there cost 0.34 ms of the
// 2.96 ms a step of FiPy's trench spent moving the surface. In 3D the threshold (6.7 cells)
// lies beyond the default band, so nothing exits there unless band_cells is raised.
#include "common/grid.wgsl"
#include "superfill/include/params.wgsl"

override ACCUMULATE: bool = false;

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> phi: array<f32>;
@group(0) @binding(3) var<storage, read> area: array<f32>;
@group(0) @binding(4) var<storage, read> vel_cell: array<f32>;
@group(0) @binding(5) var<storage, read> theta_cell: array<f32>;
@group(0) @binding(6) var<storage, read_write> vel_ext: array<f32>;
@group(0) @binding(7) var<storage, read_write> theta_ext: array<f32>;
@group(0) @binding(8) var<storage, read_write> deposited: array<f32>;
@group(0) @binding(9) var<storage, read> theta_lev_cell: array<f32>;
@group(0) @binding(10) var<storage, read_write> theta_lev_ext: array<f32>;

fn level(j: u32) -> f32 {
    return phi[j];
}

#include "superfill/include/stencil.wgsl"

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let i = c.local;
    if (abs(phi[i]) * p.inv_dx > 3.0 * sqrt(f32(dims())) + 1.5) {
        vel_ext[i] = 0.0;
        theta_ext[i] = 0.0;
        theta_lev_ext[i] = 0.0;
        return;
    }
    if (ACCUMULATE) {
        deposited[i] += p.dt * vel_cell[i] * p.inv_dx * area[i];
    }
    let n = unit_normal(c);
    let to_surface = clamp(-phi[i] * p.inv_dx * n, vec3<f32>(-2.0), vec3<f32>(2.0));
    let base = vec3<i32>(round(to_surface));
    let kz = select(0, 1, is_3d());
    let moves = box_moves(c, base, 1);
    var wsum = 0.0;
    var v = 0.0;
    var t = 0.0;
    var tl = 0.0;
    for (var dz = -kz; dz <= kz; dz++) {
        for (var dy = -1; dy <= 1; dy++) {
            for (var dx = -1; dx <= 1; dx++) {
                let off = base + vec3<i32>(dx, dy, dz);
                let j = box_cell(c, moves, 1, vec3<i32>(dx, dy, dz));
                let a = area[j];
                if (a > 0.0) {
                    let d = vec3<f32>(off) - to_surface;
                    let w = a / (0.25 + dot(d, d));
                    wsum += w;
                    v += w * vel_cell[j];
                    t += w * theta_cell[j];
                    tl += w * theta_lev_cell[j];
                }
            }
        }
    }
    if (wsum > 0.0) {
        vel_ext[i] = v / wsum;
        theta_ext[i] = min(t / wsum, 1.0);
        theta_lev_ext[i] = min(tl / wsum, 1.0);
    } else {
        vel_ext[i] = 0.0;
        theta_ext[i] = 0.0;
        theta_lev_ext[i] = 0.0;
    }
}
