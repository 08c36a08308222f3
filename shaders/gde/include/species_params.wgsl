// Parameters of the D3Q7 species kernels (SpeciesParams in src/models/gde/species.rs).
struct SpeciesParams {
    // Kinds of the low and high face of each axis (FACE_* in gde/include/lattice.wgsl).
    kinds_lo: vec4<u32>,
    kinds_hi: vec4<u32>,
    // Scaled concentration on the low and high open face of each axis (Dirichlet).
    open_lo: vec4<f32>,
    open_hi: vec4<f32>,
    // TRT antisymmetric rate 1/tau, which sets D (used where `local_omega` is 0).
    omega_minus: f32,
    // Link-wise return factor of a reactive wall, (2w - k) / (2w + k) (lbm.md section 4).
    reactive_return: f32,
    advect: u32,
    local_omega: u32,
    single_chunk: u32,
    // Axis whose face fluxes `species_fields` reports.
    flux_axis: u32,
    // TRT magic parameter: the symmetric rate follows from it and the antisymmetric one.
    magic: f32,
    _pad1: u32,
    // x: lattice velocity per m/s of the flow field, y: mol/m³ per unit of scaled c.
    scale: vec4<f32>,
}

@group(0) @binding(1) var<storage, read> p: SpeciesParams;

fn neighbour_of(c: Cell, d: vec3<i32>) -> i32 {
    return lattice_neighbour(c, d, p.kinds_lo, p.kinds_hi, p.single_chunk != 0u);
}

// The value that comes back into the own cell when population `v` moving along i meets the
// boundary coded by `nb`: bounce-back (no flux) at walls and inert solid, the link-wise
// reactive rule at catalyst cells, anti-bounce-back (Dirichlet) at open faces.
// Fixed-point values in and out (gde/include/d3q7.wgsl); what a reactive wall keeps is exactly
// the difference, so reacted amounts add up.
fn reflected(i: u32, v: i32, nb: i32) -> i32 {
    if (nb >= 0) {
        if (label[u32(nb)] == LABEL_CATALYST) {
            return i32(round(f32(v) * p.reactive_return));
        }
        return v;
    }
    if (nb == NB_WALL) {
        return v;
    }
    let axis = open_axis(nb);
    let cw = select(p.open_lo[axis], p.open_hi[axis], open_is_high(nb));
    return -v + to_fixed(2.0 * W[i] * cw);
}
