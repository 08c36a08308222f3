// The superfill model's step parameters (src/models/superfill/kernels.rs, StepParams),
// in SI units unless noted; written once per batch of steps.
struct StepParams {
    dx: f32,
    inv_dx: f32,
    dt: f32,
    // Half-width of the band where φ is kept a signed distance (m); φ is clamped to it.
    band: f32,
    // Ω/(nF) exp(−αFη/RT): velocity per unit of i0 (m/s per A/m²).
    vel_scale: f32,
    b0: f32,
    b1: f32,
    inv_cu_bulk: f32,
    // Accelerator adsorption rate k c is k_ads c (k_ads = k0 + k3 η³).
    k_ads: f32,
    // Reinitialisation pseudo-time step, in cells.
    dtau: f32,
    // Interface sinks of the concentration solves per unit interface area (cells):
    // Cu: (b0 + b1 θ) sink_cu A; accelerator: (1 − θ) sink_acc A (see species_setup.wgsl).
    sink_cu: f32,
    sink_acc: f32,
    // Capacity Δx²/(D Δt) of each species.
    cap_cu: f32,
    cap_acc: f32,
    // Accelerator released by saturated cells, per unit of `excess`: Γ Δx/(D_acc Δt).
    src_acc: f32,
    // Conductance of the top face to the bulk across the rest of the diffusion layer,
    // Δx/(Δx/2 + L), in units of a cell face's.
    robin_top: f32,
    cu_bulk: f32,
    acc_bulk: f32,
    _pad0: f32,
    _pad1: f32,
}

// Surface accelerator amounts are i32 fixed point: θ × interface area (in cell faces) ×
// M_SCALE, so moving them between cells conserves the total exactly.
const M_SCALE: f32 = 134217728.0; // 2^27
