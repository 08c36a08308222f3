// One stage of the level-set step ∂φ/∂t + v_ext |∇φ| = 0 (v_ext ≥ 0: the metal grows into
// the electrolyte), second-order ENO differences with Godunov's upwinding
// (include/stencil.wgsl) and Heun's two-stage Runge-Kutta (TVD RK2):
//   stage 1 (KEEP = 0):   φ1 = φ − Δt v |∇φ|(φ)            (phi_d = φ, out = φ1)
//   stage 2 (KEEP = 0.5): φ' = ½ φ + ½ (φ1 − Δt v |∇φ|(φ1)) (phi_d = φ1, out = φ')
// φ is clamped to the band (±band): far values only need their sign.
#include "common/grid.wgsl"
#include "superfill/include/params.wgsl"

override KEEP: f32 = 0.0;

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> phi_in: array<f32>;
@group(0) @binding(3) var<storage, read> phi_d: array<f32>;
@group(0) @binding(4) var<storage, read> vel_ext: array<f32>;
@group(0) @binding(5) var<storage, read_write> phi_out: array<f32>;

fn level(j: u32) -> f32 {
    return phi_d[j];
}

#include "superfill/include/stencil.wgsl"

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let i = c.local;
    // Where the extended velocity is zero (beyond the extension's reach: most of the clamped
    // plateau) the stage leaves φ as it is; skipping the stencil there gives the same bits.
    let v = vel_ext[i];
    var moved = phi_d[i];
    if (v != 0.0) {
        moved = phi_d[i] - p.dt * v * godunov_gradient(c, true);
    }
    let next = KEEP * phi_in[i] + (1.0 - KEEP) * moved;
    phi_out[i] = clamp(next, -p.band, p.band);
}
