// The implicit Li step's linear system for the engine's elliptic solver (src/solvers/), in
// w* (the chemical potential the step's fluxes use), from Newton's first iteration on
//   ρ(η_new, w*) - ρ_old + Δt/Δx² Σ_faces M_f [(w*_i - w*_j) + f (φ_i - φ_j)] = 0
// about the step's starting w, times Δx²/Δt:
//   (χ Δx²/Δt) w*_i + Σ M_f (w*_i - w*_j) = (χ Δx²/Δt) w_i - (ρ(η_new, w) - ρ_old) Δx²/Δt
//                                          - Σ M_f f (φ_i - φ_j),
// χ = dρ/dw at (η_new, w). The reservoir face (w = 0, φ = 0 half a cell away) adds 2M to the
// diagonal; the electrode face carries no Li. The update (li_update.wgsl) then moves ρ by the
// face fluxes of the solution, so Li is conserved whatever the solve's tolerance.
#include "common/grid.wgsl"
#include "dendrite/include/phase_field.wgsl"
#include "dendrite/include/dendrite_params.wgsl"
#include "dendrite/include/li_implicit.wgsl"

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> eta_new: array<f32>;
@group(0) @binding(3) var<storage, read> w_old: array<f32>;
@group(0) @binding(4) var<storage, read> rho_old: array<f32>;
@group(0) @binding(5) var<storage, read> phi: array<f32>;
@group(0) @binding(6) var<storage, read_write> gx: array<f32>;
@group(0) @binding(7) var<storage, read_write> gy: array<f32>;
@group(0) @binding(8) var<storage, read_write> gz: array<f32>;
@group(0) @binding(9) var<storage, read_write> diag: array<f32>;
@group(0) @binding(10) var<storage, read_write> b: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (!cell.valid) {
        return;
    }
    let i = cell.local;
    let h = clamp(interp_h(eta_new[i]), 0.0, 1.0);
    let w = w_old[i];
    let cl = site_fraction(w, p.eps_liquid);
    let cs = site_fraction(w, EPSILON_SOLID);
    // Floored: in dense metal (w - ε_s > 17) c_s(1 - c_s) is 0 in f32, and a cell without
    // mobile Li on any face would have a zero row. Only the fluxes' w* depends on it, and a
    // cell with no mobility moves no Li whatever its w*.
    let chi = max(li_capacity(h, cl, cs, p.site_ratio), 1e-7);
    let rho_lin = li_content(h, cl, cs, p.site_ratio);
    let scale = p.dx * p.dx / p.dt;
    let mi = implicit_mobility(i);
    var d = chi * scale;
    var rhs = chi * scale * w - (rho_lin - rho_old[i]) * scale;
    var up = vec3<f32>(0.0);
    let dims = select(2u, 3u, is_3d());
    for (var a = 0u; a < dims; a++) {
        for (var s = 0u; s < 2u; s++) {
            let j = implicit_neighbour(cell, a, s == 1u);
            if (j < 0) {
                continue;
            }
            let g = face_mobility(mi, j);
            d += g;
            rhs -= g * p.f_over_rt * (phi[i] - phi[u32(j)]);
            if (s == 1u) {
                up[a] = g;
            }
        }
    }
    if (reservoir_face(cell)) {
        d += 2.0 * mi;
        rhs -= 2.0 * mi * p.f_over_rt * phi[i];
    }
    gx[i] = up.x;
    gy[i] = up.y;
    gz[i] = up.z;
    diag[i] = d;
    b[i] = rhs;
}
