// Accelerator adsorption on the interface cells after the accelerator solve, with the
// solve's sink (species_setup.wgsl) so that what leaves the solution arrives on the
// surface: Δθ = Δt k c (1 − θ), the amount growing by Δθ × area. Where the neighbourhood's
// coverage θ (coverage.wgsl) exceeds 1 (a shrinking surface packs more accelerator than it
// has sites for) the cell keeps the fraction 1/θ of its amount and releases the rest to the
// solution (`excess`, returned by the next accelerator solve), so θ stays in [0, 1] and the
// total accelerator, surface plus solution, is kept.
#include "common/grid.wgsl"
#include "superfill/include/params.wgsl"

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> area: array<f32>;
@group(0) @binding(3) var<storage, read> theta_cell: array<f32>;
@group(0) @binding(4) var<storage, read> c_acc: array<f32>;
@group(0) @binding(5) var<storage, read_write> amount: array<i32>;
@group(0) @binding(6) var<storage, read_write> excess: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let i = c.local;
    let a = area[i];
    if (a <= 0.0) {
        excess[i] = 0.0;
        return;
    }
    let theta = theta_cell[i];
    let m = amount[i];
    var kept = m;
    if (theta > 1.0) {
        kept = i32(floor(f32(m) / theta));
    }
    excess[i] = f32(m - kept) / M_SCALE;
    let gain = p.dt * p.k_ads * max(c_acc[i], 0.0) * (1.0 - min(theta, 1.0));
    amount[i] = kept + i32(round(gain * a * M_SCALE));
}
