// Parameters of the potential solve (src/models/dendrite/potential.rs), shared by its
// set-up kernel. The operator itself is in solvers/include/operator.wgsl.

struct PotentialParams {
    voltage: f32,
    sigma_electrode: f32,
    sigma_electrolyte: f32,
    source_scale: f32,  // multiplies (η - η_ref): -dx² ft2 / Δt
    flags: u32,         // bit 0: periodic sides
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}
