// Potential solve, step 1: cell conductivity σ = σ_electrode h(η) + σ_electrolyte (1 - h(η)).
#include "common/grid.wgsl"
#include "common/stencil.wgsl"
#include "common/phase_field.wgsl"
#include "common/potential.wgsl"

@group(0) @binding(1) var<storage, read> params: PotentialParams;
@group(0) @binding(2) var<storage, read> eta: array<f32>;
@group(0) @binding(3) var<storage, read_write> sigma: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (!cell.valid) {
        return;
    }
    let h = clamp(interp_h(eta[cell.local]), 0.0, 1.0);
    sigma[cell.local] = params.sigma_electrode * h + params.sigma_electrolyte * (1.0 - h);
}
