// The implicit Li step's update: ρ moves by the face fluxes of the solved w*
// (li_setup.wgsl), -M_f [(w*_j - w*_i) + f (φ_j - φ_i)] / Δx with the set-up's face rule,
// split into exactly cancelling fixed-point units (li_outflow.wgsl) as in the explicit
// step; then w is recovered from the new ρ and η (chemical_potential.wgsl), and c written
// when the flag asks. ρ's master copy is read and written at the thread's own cell only.
#include "common/grid.wgsl"
#include "dendrite/include/phase_field.wgsl"
#include "dendrite/include/dendrite_params.wgsl"
#include "dendrite/include/chemical_potential.wgsl"
#include "dendrite/include/li_outflow.wgsl"
#include "dendrite/include/li_implicit.wgsl"

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> eta_new: array<f32>;
@group(0) @binding(3) var<storage, read> w_old: array<f32>;
@group(0) @binding(4) var<storage, read> w_star: array<f32>;
@group(0) @binding(5) var<storage, read> phi: array<f32>;
@group(0) @binding(6) var<storage, read_write> rho_fixed: array<i32>;
@group(0) @binding(7) var<storage, read_write> rho_remainder: array<f32>;
@group(0) @binding(8) var<storage, read_write> rho_out: array<f32>;
@group(0) @binding(9) var<storage, read_write> w_out: array<f32>;
@group(0) @binding(10) var<storage, read_write> c_out: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (!cell.valid) {
        return;
    }
    let i = cell.local;
    let mi = implicit_mobility(i);
    var out_units = 0;
    var out_fraction = 0.0;
    let dims = select(2u, 3u, is_3d());
    for (var a = 0u; a < dims; a++) {
        for (var s = 0u; s < 2u; s++) {
            let j = implicit_neighbour(cell, a, s == 1u);
            if (j < 0) {
                continue;
            }
            let k = u32(j);
            let flux = -face_mobility(mi, j)
                * ((w_star[k] - w_star[i]) + p.f_over_rt * (phi[k] - phi[i])) / p.dx;
            add_outflow(flux, &out_units, &out_fraction);
        }
    }
    if (reservoir_face(cell)) {
        let flux = -mi * ((0.0 - w_star[i]) + p.f_over_rt * (0.0 - phi[i])) / (0.5 * p.dx);
        add_outflow(flux, &out_units, &out_fraction);
    }
    let rho_value = apply_outflow(i, out_units, out_fraction);
    rho_out[i] = rho_value;
    let h_new = clamp(interp_h(eta_new[i]), 0.0, 1.0);
    let w_new = chemical_potential(rho_value, h_new, w_old[i]);
    w_out[i] = w_new;
    if ((p.flags & WRITE_CONCENTRATION) != 0u) {
        c_out[i] = site_fraction(w_new, p.eps_liquid) * (1.0 - h_new) * p.sites_mol_m3;
    }
}
