// Recovers the Li chemical potential w from the conserved Li content ρ and the phase field,
// ρ = (1-h) c_l(w) + dv h c_s(w). Also writes the ion concentration c_l (1-h) in mol/m³ for
// output, and advances the step counter used by the noise (one thread per step).
#include "common/grid.wgsl"
#include "common/phase_field.wgsl"
#include "common/dendrite_params.wgsl"

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> eta: array<f32>;
@group(0) @binding(3) var<storage, read> rho: array<f32>;
@group(0) @binding(4) var<storage, read_write> w: array<f32>;
@group(0) @binding(5) var<storage, read_write> c_out: array<f32>;
@group(0) @binding(6) var<storage, read_write> step_counter: array<u32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (!cell.valid) {
        return;
    }
    if (cell.global == 0u) {
        step_counter[0] = step_counter[0] + 1u;
    }
    let i = cell.local;
    let h = clamp(interp_h(eta[i]), 0.0, 1.0);
    var cl: f32;
    if ((p.flags & PINNED) != 0u) {
        cl = p.bulk_fraction;
    } else {
        let rho_cell = rho[i];
        var w_new: f32;
        if (1.0 - h > 0.5) {
            // Mostly electrolyte: c_s(w) = 1 - O(1e-6), so c_l follows in closed form.
            let cs = site_fraction(w[i], EPSILON_SOLID);
            let c = clamp((rho_cell - p.site_ratio * h * cs) / (1.0 - h), 1e-12, 1.0 - 1e-7);
            w_new = p.eps_liquid + log(c / (1.0 - c));
        } else {
            // Interface and metal: solve ρ(w) = ρ_cell by Newton's method safeguarded with
            // bisection (ρ increases with w). A Li deficit in the metal shows as w << 0, where
            // c_s(w) < 1, instead of a clamped, non-conserving c_l.
            var lo = -40.0;
            var hi = 30.0;
            w_new = clamp(w[i], lo, hi);
            for (var k = 0; k < 40; k++) {
                let c_l = site_fraction(w_new, p.eps_liquid);
                let c_s = site_fraction(w_new, EPSILON_SOLID);
                let f = (1.0 - h) * c_l + p.site_ratio * h * c_s - rho_cell;
                if (f > 0.0) { hi = w_new; } else { lo = w_new; }
                let df = (1.0 - h) * c_l * (1.0 - c_l) + p.site_ratio * h * c_s * (1.0 - c_s);
                var next = w_new - f / max(df, 1e-30);
                if (!(next > lo && next < hi)) {
                    next = 0.5 * (lo + hi);
                }
                if (abs(next - w_new) < 1e-5) {
                    w_new = next;
                    break;
                }
                w_new = next;
            }
        }
        w[i] = w_new;
        cl = site_fraction(w_new, p.eps_liquid);
    }
    c_out[i] = cl * (1.0 - h) * p.sites_mol_m3;
}
