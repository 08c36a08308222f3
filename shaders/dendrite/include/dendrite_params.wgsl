// Parameters of one dendrite step (mirrors StepParams in src/models/dendrite/mod.rs), shared
// by dendrite/step.wgsl and dendrite/include/chemical_potential.wgsl.

struct StepParams {
    dx: f32,
    dt: f32,
    kappa: f32,
    barrier: f32,
    mobility: f32,
    kinetic: f32,
    alpha: f32,
    f_over_rt: f32,
    diffusivity: f32,
    site_ratio: f32,
    eps_liquid: f32,
    inv_ref_fraction: f32,
    aniso_strength: f32,
    aniso_mode: f32,
    noise_step: f32,   // noise strength × sqrt(dt)
    bulk_fraction: f32,
    sites_mol_m3: f32,
    seed: u32,
    flags: u32,        // bit 0: periodic sides, bit 1: closed far boundary, bit 2: pinned Li,
                       // bit 3: write the concentration c (the last step before it is read),
                       // bit 4: η only (the implicit Li step follows, li_update.wgsl)
    _pad: u32,
}

const PERIODIC_SIDES: u32 = 1u;
const CLOSED_FAR: u32 = 2u;
const PINNED: u32 = 4u;
const WRITE_CONCENTRATION: u32 = 8u;
const ETA_ONLY: u32 = 16u;
