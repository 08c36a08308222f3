// The superfill model's step parameters (src/models/superfill/kernels.rs, StepParams),
// in SI units unless noted; written once per batch of steps.
struct StepParams {
    dx: f32,
    inv_dx: f32,
    dt: f32,
    // Half-width of the band where φ is kept a signed distance (m); φ is clamped to it.
    band: f32,
    // Ω/(nF): velocity per current density (m/s per A/m²).
    vel_scale: f32,
    // Current density at bulk Cu²⁺ without accelerator and fully accelerated (A/m²): the
    // current is i_sup + (i_acc − i_sup) θ times c_Cu/c_Cu,bulk.
    i_sup: f32,
    i_acc: f32,
    inv_cu_bulk: f32,
    // Accelerator adsorption rate k c is k_ads c (k_ads = k0 + k3 η³).
    k_ads: f32,
    // Reinitialisation pseudo-time step, in cells.
    dtau: f32,
    // Interface sinks of the concentration solves per unit interface area (cells):
    // Cu: i(θ) sink_cu A; accelerator: (1 − θ − θ_L) sink_acc A; leveler: (1 − θ_L)
    // sink_lev A (see species_setup.wgsl).
    sink_cu: f32,
    sink_acc: f32,
    // Capacity Δx²/(D Δt_s) of each species, Δt_s the time since the last solve (the
    // steps between solves), not the step dt: a solve advances the solution over all of it.
    cap_cu: f32,
    cap_acc: f32,
    // Accelerator released by saturated cells since the last solve, per unit of `excess`:
    // Γ Δx/(D_acc Δt_s).
    src_acc: f32,
    // Conductance of the top face to the bulk across the rest of the diffusion layer,
    // Δx/(Δx/2 + L), in units of a cell face's.
    robin_top: f32,
    cu_bulk: f32,
    acc_bulk: f32,
    // Leveler: its rate constant k_L (adsorption, and displacement of accelerator), its
    // burial per metal thickness k_L⁻ (1/m), solve coefficients and bulk value.
    k_lev: f32,
    lev_burial: f32,
    // Accelerator consumption −k⁻ θ^q (1/s, q).
    consumption: f32,
    consumption_order: f32,
    sink_lev: f32,
    cap_lev: f32,
    lev_bulk: f32,
    // The time the species solves advance over: the steps since the last solve. After a
    // solve the surface's uptake over it is reckoned with the solve's sink (adsorb.wgsl).
    solve_dt: f32,
}

// Surface accelerator amounts are i32 fixed point: θ × interface area (in cell faces) ×
// M_SCALE, so moving them between cells conserves the total exactly.
const M_SCALE: f32 = 134217728.0; // 2^27
