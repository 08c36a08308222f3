// Parameters of the D3Q19 flow kernels (FlowParams in src/models/gde/flow.rs).
struct FlowParams {
    // Body-force density in lattice units (x, y, z, unused).
    force: vec4<f32>,
    // Kinds of the low and high face of each axis (FACE_* in gde/include/lattice.wgsl).
    kinds_lo: vec4<u32>,
    kinds_hi: vec4<u32>,
    // On the low and high face of each axis: rho - 1 where the face is open (a pressure
    // boundary), the lattice speed along the axis where it is a velocity inlet.
    open_lo: vec4<f32>,
    open_hi: vec4<f32>,
    // TRT rates: omega_plus sets the viscosity, omega_minus follows from Lambda = 3/16.
    omega_plus: f32,
    omega_minus: f32,
    single_chunk: u32,
    _pad: u32,
    // Output scales: x = m/s per lattice velocity, y = Pa per unit of (rho - 1).
    scale: vec4<f32>,
}

@group(0) @binding(1) var<storage, read> p: FlowParams;

fn neighbour_of(c: Cell, d: vec3<i32>) -> i32 {
    return lattice_neighbour(c, d, p.kinds_lo, p.kinds_hi, p.single_chunk != 0u);
}
