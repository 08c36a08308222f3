// Shared by the potential-solver kernels: ∇·(σ∇φ) = f discretised on cells as the SPD system
//   L φ = Σ_faces g_f (φ_c - φ_nb) + Σ_electrode/far faces g_b φ_c = b,
// with face conductance g_f the harmonic mean of the cells' σ (exact for conductors in
// series) and g_b = 2σ_c for the Dirichlet faces half a cell away (φ = V at the electrode,
// x = 0; φ = 0 at the far side). Requires common/grid.wgsl and common/stencil.wgsl.

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

struct Face {
    g: f32,          // conductance (0: no flux)
    neighbour: u32,  // local index, valid when !dirichlet and g > 0
    dirichlet: bool,
    value: f32,      // boundary potential for Dirichlet faces
}

fn harmonic(a: f32, b: f32) -> f32 {
    return 2.0 * a * b / (a + b);
}

fn unit_axis(axis: u32) -> vec3<i32> {
    return vec3<i32>(i32(axis == 0u), i32(axis == 1u), i32(axis == 2u));
}

// The face of cell `c` (local index i, conductivity s) towards c + d.
fn potential_face(c: vec3<i32>, i: u32, d: vec3<i32>, s: f32, params: PotentialParams) -> Face {
    var f: Face;
    let q = c + d;
    f.dirichlet = false;
    f.value = 0.0;
    f.neighbour = i;
    f.g = 0.0;
    if (q.x < 0) {
        f.dirichlet = true;
        f.g = 2.0 * s;
        f.value = params.voltage;
        return f;
    }
    if (q.x >= i32(grid.nx)) {
        f.dirichlet = true;
        f.g = 2.0 * s;
        return f;
    }
    let j = side_index(q.x, q.y, q.z, (params.flags & 1u) != 0u);
    if (j == i) {
        return f;
    }
    f.neighbour = j;
    return f;
}

