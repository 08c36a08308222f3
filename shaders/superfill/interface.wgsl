// After the level set moved: each cell's interface area (electrolyte cells touching metal;
// include/stencil.wgsl), its metal fraction (for the deposited volume and the columns'
// heights), and the seam mark: a cell that turned metal this step where fronts from opposite
// sides met, seen as a small |∇φ| (the gradients of the two fronts cancel in the central
// difference), which a front advancing alone never gives.
#include "common/grid.wgsl"
#include "superfill/include/params.wgsl"

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> phi: array<f32>;
@group(0) @binding(3) var<storage, read> phi_old: array<f32>;
@group(0) @binding(4) var<storage, read_write> area: array<f32>;
@group(0) @binding(5) var<storage, read_write> metal_frac: array<f32>;
@group(0) @binding(6) var<storage, read_write> seam: array<u32>;

fn level(j: u32) -> f32 {
    return phi[j];
}

#include "superfill/include/stencil.wgsl"

// Gradient magnitude below which a newly solid cell is a seam (fronts met).
const SEAM_GRADIENT: f32 = 0.7;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let i = c.local;
    area[i] = interface_area(c);
    metal_frac[i] = clamp(0.5 - phi[i] * p.inv_dx, 0.0, 1.0);
    if (phi_old[i] > 0.0 && phi[i] <= 0.0) {
        if (length(central_gradient(c)) * p.inv_dx < SEAM_GRADIENT) {
            seam[i] = 1u;
        }
    }
}
