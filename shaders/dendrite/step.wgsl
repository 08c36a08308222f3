// One explicit step of the grand-potential Li electrodeposition model (Hong & Viswanathan,
// ACS Energy Lett. 3, 1737 (2018), as their MOOSE kernels implement it, except for the Li
// mobility: dendrite/include/phase_field.wgsl), in model units
// (µm, s, V, energy density e0 = R T C_l):
//   ∂η/∂t = L [∇·G(∇η) - W g'(η)] - L_η h'(η) [e^{(1-α) F φ} - (c_l (1-h)/c_ref) e^{-α F φ}] + noise
//   ∂ρ/∂t = -∇·J,   J = -D (1-h) c_l (∇w + F ∇φ),   ρ = (1-h) c_l(w) + dv h c_s(w)
// G is the gradient-energy flux κ(n)∇η plus its anisotropy terms. ρ is updated in flux form
// (antisymmetric face fluxes), so total Li changes only through the far boundary.
// The step ends at each cell with w recovered from the new η and ρ there
// (dendrite/include/chemical_potential.wgsl): w is read at the neighbours, so the new w goes to the
// other buffer of the pair, as η and ρ do. The step counter of the noise is a pair too: read
// from one, its successor written to the other. (A separate pass for w read η, ρ and w
// again: 12 B/cell and a dispatch more.) The ion concentration c_l (1-h) in mol/m³, which
// only the host reads (outputs, guards, the time-step plan), is written by the last step of
// each batch the host queues (WRITE_CONCENTRATION), not by every step: 4 B/cell less.
#include "common/grid.wgsl"
#include "dendrite/include/stencil.wgsl"
#include "dendrite/include/phase_field.wgsl"
#include "dendrite/include/random.wgsl"
#include "dendrite/include/dendrite_params.wgsl"
#include "dendrite/include/chemical_potential.wgsl"
#include "dendrite/include/li_outflow.wgsl"

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> eta_in: array<f32>;
@group(0) @binding(3) var<storage, read> w_in: array<f32>;
@group(0) @binding(4) var<storage, read> phi_in: array<f32>;
@group(0) @binding(5) var<storage, read> rho_in: array<f32>;
@group(0) @binding(6) var<storage, read_write> eta_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> rho_out: array<f32>;
@group(0) @binding(8) var<storage, read> step_counter: array<u32>;
// η's master copy is fixed point (η · 2^30 in an i32), with the rounding remainder of each
// increment carried to the next step (error feedback); eta_out is its f32 copy for the other
// kernels. On fine grids the explicit step is short (Li diffusion) while η moves slowly, and
// an f32 η drops any increment below half an ulp (3e-8 at η = ½): a front at -0.05 V and
// Δx = 0.125 µm (increments ~1.4e-8 per step) froze completely. Float compensated sums
// (TwoSum) do not survive the shader compilers' reassociation (measured on lavapipe); an
// integer accumulator does. Both fields are read and written at the thread's own cell only.
@group(0) @binding(9) var<storage, read_write> eta_fixed: array<i32>;
@group(0) @binding(10) var<storage, read_write> eta_remainder: array<f32>;
// ρ's master copy, likewise (ρ · 2^24 in an i32: ρ stays below the site-density ratio, at
// most 100). A slow front on a fine grid changes ρ by less than half an f32 ulp per step in
// the metal-side cells while the electrolyte-side cells (smaller ρ, finer ulp) keep their
// changes: an f32 ρ lost 3e-5 of the total Li in 28k steps at -0.05 V and Δx = 0.125 µm.
// Each face's outflow is split into whole units, which cancel exactly between the two cells
// (add_outflow), and a fraction carried in the remainder: the integer total changes only by
// the f32 rounding of the fractions' sums (below 1e-7 units per cell and step).
@group(0) @binding(11) var<storage, read_write> rho_fixed: array<i32>;
@group(0) @binding(12) var<storage, read_write> rho_remainder: array<f32>;
@group(0) @binding(13) var<storage, read_write> w_out: array<f32>;
@group(0) @binding(14) var<storage, read_write> c_out: array<f32>;
@group(0) @binding(15) var<storage, read_write> step_counter_out: array<u32>;

const ETA_SCALE: f32 = 1073741824.0; // 2^30

fn periodic() -> bool {
    return (p.flags & PERIODIC_SIDES) != 0u;
}

// η at any cell, with the electrode (η = 1) and the far side (η = 0) as Dirichlet faces.
fn eta_at(x: i32, y: i32, z: i32) -> f32 {
    return across_x_faces(eta_in[side_index(x, y, z, periodic())], x, 1.0, 0.0);
}

fn unit(axis: u32) -> vec3<i32> {
    return vec3<i32>(i32(axis == 0u), i32(axis == 1u), i32(axis == 2u));
}

// One transverse component of a face-centred gradient: the mean of the central differences
// along that axis in the face's two cells (η one step either way from the cell behind the
// face, then from the cell ahead).
fn transverse(plus: f32, minus: f32, plus_ahead: f32, minus_ahead: f32) -> f32 {
    return (plus - minus + plus_ahead - minus_ahead) / (4.0 * p.dx);
}

// Gradient-energy flux through a face normal to `axis`, from η in the cells behind (`here`)
// and ahead of it (`there`) and the gradient's transverse components along the other axes
// in order (the second is 0 in 2D).
fn face_flux(here: f32, there: f32, axis: u32, across: vec2<f32>) -> f32 {
    let normal = (there - here) / p.dx;
    if (p.aniso_strength == 0.0) {
        return p.kappa * normal;
    }
    let g = select(
        select(vec3<f32>(across, normal), vec3<f32>(across.x, normal, across.y), axis == 1u),
        vec3<f32>(normal, across),
        axis == 0u,
    );
    let g2 = dot(g, g);
    if (g2 < 1e-12) {
        return p.kappa * normal;
    }
    let d = p.aniso_strength;
    if (!is_3d()) {
        // κ(θ) = κ0 [1 + δ cos(ωθ)], θ = atan2(η_y, η_x); G = κ∇η + ½ κ'(θ) (-η_y, η_x).
        let theta = atan2(g.y, g.x);
        let k = p.kappa * (1.0 + d * cos(p.aniso_mode * theta));
        let dk = -p.kappa * d * p.aniso_mode * sin(p.aniso_mode * theta);
        let rot = select(0.5 * dk * g.x, -0.5 * dk * g.y, axis == 0u);
        return k * g[axis] + rot;
    }
    // Cubic: κ(n) = κ0 [1 - 3δ + 4δ Σ n_i⁴]; G_i = κ g_i + 8 δ κ0 |g| (n_i³ - n_i Σ n⁴).
    let mag = sqrt(g2);
    let n = g / mag;
    let s4 = dot(n * n, n * n);
    let k = p.kappa * (1.0 - 3.0 * d + 4.0 * d * s4);
    let ni = n[axis];
    return k * g[axis] + 8.0 * d * p.kappa * mag * (ni * ni * ni - ni * s4);
}

// Li mobility and capacity dρ/dw of the cell at local index i.
fn li_cell(i: u32) -> vec2<f32> {
    let h = clamp(interp_h(eta_in[i]), 0.0, 1.0);
    let w = w_in[i];
    let cl = site_fraction(w, p.eps_liquid);
    let cs = site_fraction(w, EPSILON_SOLID);
    return vec2<f32>(li_cell_mobility(h, cl, p.diffusivity), li_capacity(h, cl, cs, p.site_ratio));
}

// Li flux out of cell `i` through a face shared with cell `j` (antisymmetric in i, j).
// The face mobility is the arithmetic mean of the two cells', capped at
// min(χ_i, χ_j) Δx² / (7 Δt), χ = dρ/dw. A cell has at most six faces between cells, so
// together the capped faces move its w by less than the differences that drive them
// (linearised: χ at the step's start) and its explicit update cannot overshoot; 7 leaves
// room for the reservoir face of a far-face cell, which counts twice and is not capped.
// 7 in 2D as well, so that an extruded 3D run is its 2D run. The cap binds where a cell of
// small capacity meets a mobile one: the metal side of the interface, where χ is tiny. In
// the electrolyte the planned step leaves it at least 1.8× the mobility
// (docs/models/dendrite.md, Face values). A capped face closes at least 1/7 of the gap in w
// per step, faster than the interface moves. The harmonic mean used before starved such
// cells instead, and the deposit held half its Li at Δx = 1 µm (issue 21). `mi` is
// li_cell(i), found once per cell.
fn li_flux_out(i: u32, mi: vec2<f32>, j: u32, cap_scale: f32) -> f32 {
    let mj = li_cell(j);
    let m = min(0.5 * (mi.x + mj.x), min(mi.y, mj.y) * cap_scale);
    return -m * ((w_in[j] - w_in[i]) + p.f_over_rt * (phi_in[j] - phi_in[i])) / p.dx;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (!cell.valid) {
        return;
    }
    if (cell.global == 0u) {
        step_counter_out[0] = step_counter[0] + 1u;
    }
    let c = vec3<i32>(i32(cell.x), i32(cell.y), i32(cell.z));
    let i = cell.local;
    let eta = eta_in[i];
    let dims = select(2u, 3u, is_3d());

    // Allen-Cahn part. η on the cells one face or one edge away from c (9 in 2D, 19 in 3D),
    // each looked up once: the 2·dims face fluxes need up to ten each. eXYZ is η at
    // c + (X, Y, Z), m = -1, p = +1.
    let emm0 = eta_at(c.x - 1, c.y - 1, c.z);
    let em00 = eta_at(c.x - 1, c.y, c.z);
    let emp0 = eta_at(c.x - 1, c.y + 1, c.z);
    let e0m0 = eta_at(c.x, c.y - 1, c.z);
    let e000 = eta_at(c.x, c.y, c.z);
    let e0p0 = eta_at(c.x, c.y + 1, c.z);
    let epm0 = eta_at(c.x + 1, c.y - 1, c.z);
    let ep00 = eta_at(c.x + 1, c.y, c.z);
    let epp0 = eta_at(c.x + 1, c.y + 1, c.z);
    var div = 0.0;
    if (is_3d()) {
        let em0m = eta_at(c.x - 1, c.y, c.z - 1);
        let em0p = eta_at(c.x - 1, c.y, c.z + 1);
        let e0mm = eta_at(c.x, c.y - 1, c.z - 1);
        let e0mp = eta_at(c.x, c.y - 1, c.z + 1);
        let e00m = eta_at(c.x, c.y, c.z - 1);
        let e00p = eta_at(c.x, c.y, c.z + 1);
        let e0pm = eta_at(c.x, c.y + 1, c.z - 1);
        let e0pp = eta_at(c.x, c.y + 1, c.z + 1);
        let ep0m = eta_at(c.x + 1, c.y, c.z - 1);
        let ep0p = eta_at(c.x + 1, c.y, c.z + 1);
        div += face_flux(e000, ep00, 0u, vec2<f32>(transverse(e0p0, e0m0, epp0, epm0), transverse(e00p, e00m, ep0p, ep0m)))
            - face_flux(em00, e000, 0u, vec2<f32>(transverse(emp0, emm0, e0p0, e0m0), transverse(em0p, em0m, e00p, e00m)));
        div += face_flux(e000, e0p0, 1u, vec2<f32>(transverse(ep00, em00, epp0, emp0), transverse(e00p, e00m, e0pp, e0pm)))
            - face_flux(e0m0, e000, 1u, vec2<f32>(transverse(epm0, emm0, ep00, em00), transverse(e0mp, e0mm, e00p, e00m)));
        div += face_flux(e000, e00p, 2u, vec2<f32>(transverse(ep00, em00, ep0p, em0p), transverse(e0p0, e0m0, e0pp, e0mp)))
            - face_flux(e00m, e000, 2u, vec2<f32>(transverse(ep0m, em0m, ep00, em00), transverse(e0pm, e0mm, e0p0, e0m0)));
    } else {
        div += face_flux(e000, ep00, 0u, vec2<f32>(transverse(e0p0, e0m0, epp0, epm0), 0.0))
            - face_flux(em00, e000, 0u, vec2<f32>(transverse(emp0, emm0, e0p0, e0m0), 0.0));
        div += face_flux(e000, e0p0, 1u, vec2<f32>(transverse(ep00, em00, epp0, emp0), 0.0))
            - face_flux(e0m0, e000, 1u, vec2<f32>(transverse(epm0, emm0, ep00, em00), 0.0));
    }
    div = div / p.dx;
    let h = interp_h(eta);
    let phi = phi_in[i];
    let cl = site_fraction(w_in[i], p.eps_liquid);
    let anodic = exp((1.0 - p.alpha) * p.f_over_rt * phi);
    let cathodic = cl * (1.0 - h) * p.inv_ref_fraction * exp(-p.alpha * p.f_over_rt * phi);
    let reaction = p.kinetic * interp_dh(eta) * (anodic - cathodic);
    var increment = p.dt * (p.mobility * (div - double_well_slope(eta, p.barrier)) - reaction);
    if (p.noise_step > 0.0) {
        let a = eta * (1.0 - eta);
        let weight = 16.0 * a * a; // 1 at the interface centre, 0 in the bulk phases
        increment += p.noise_step * weight * unit_noise(p.seed, step_counter[0], cell.global);
    }
    let scaled = increment * ETA_SCALE + eta_remainder[i];
    let units = round(scaled);
    eta_remainder[i] = scaled - units;
    let fixed = eta_fixed[i] + i32(units);
    eta_fixed[i] = fixed;
    let eta_new = f32(fixed) / ETA_SCALE;
    eta_out[i] = eta_new;
    let h_new = clamp(interp_h(eta_new), 0.0, 1.0);
    if ((p.flags & ETA_ONLY) != 0u) {
        return; // Li moves in the implicit step (li_setup.wgsl, li_update.wgsl)
    }

    // Li transport in flux form.
    if ((p.flags & PINNED) != 0u) {
        rho_out[i] = rho_in[i];
        w_out[i] = w_in[i];
        if ((p.flags & WRITE_CONCENTRATION) != 0u) {
            c_out[i] = p.bulk_fraction * (1.0 - h_new) * p.sites_mol_m3;
        }
        return;
    }
    // Outflow in fixed-point units of ρ: whole units per face (exactly antisymmetric, so they
    // cancel between neighbours in integers) and the faces' fractions, carried with ρ's
    // remainder.
    var out_units = 0;
    var out_fraction = 0.0;
    let cell_li = li_cell(i);
    let mobility = cell_li.x;
    let cap_scale = p.dx * p.dx / (7.0 * p.dt);
    for (var a = 0u; a < dims; a++) {
        let e = unit(a);
        for (var s = -1; s <= 1; s += 2) {
            let q = c + s * e;
            if (a == 0u && q.x < 0) {
                continue; // the electrode face carries no Li-ion flux
            }
            if (a == 0u && q.x >= i32(this_grid().nx)) {
                if ((p.flags & CLOSED_FAR) == 0u) {
                    // Reservoir at w = 0, φ = 0, half a cell away (its weight doubled). Not
                    // capped: the cell next to it is electrolyte, which the time step covers
                    // (its 2d + 1), and a cap there held back ions piling up ahead of a deposit
                    // near the far face until they filled the sites (tests/cli.rs).
                    let reservoir = -mobility * ((0.0 - w_in[i]) + p.f_over_rt * (0.0 - phi)) / (0.5 * p.dx);
                    add_outflow(reservoir, &out_units, &out_fraction);
                }
                continue;
            }
            let j = side_index(q.x, q.y, q.z, periodic());
            if (j != i) {
                add_outflow(li_flux_out(i, cell_li, j, cap_scale), &out_units, &out_fraction);
            }
        }
    }
    let rho_value = apply_outflow(i, out_units, out_fraction);
    rho_out[i] = rho_value;

    let w_new = chemical_potential(rho_value, h_new, w_in[i]);
    w_out[i] = w_new;
    if ((p.flags & WRITE_CONCENTRATION) != 0u) {
        c_out[i] = site_fraction(w_new, p.eps_liquid) * (1.0 - h_new) * p.sites_mol_m3;
    }
}
