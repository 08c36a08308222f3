// The dendrite potential's linear system for the shared elliptic solver (src/solvers/): the
// operator (solvers/include/operator.wgsl) and
// right-hand side from η. σ = σ_electrode h(η) + σ_electrolyte (1 - h(η)); a face's
// conductance is the harmonic mean of its two cells (exact for conductors in series), and a
// Dirichlet face half a cell away has 2σ of its cell. b holds the deposition source and the
// electrode's φ = V (its scale |D⁻¹b|² is summed by cg_start.wgsl). Reads the
// neighbours' η (ghost planes along the chunking axis).
#include "common/grid.wgsl"
#include "dendrite/include/phase_field.wgsl"
#include "dendrite/include/potential_params.wgsl"
#include "solvers/include/conductance.wgsl"

@group(0) @binding(1) var<storage, read> params: PotentialParams;
@group(0) @binding(2) var<storage, read> eta: array<f32>;
@group(0) @binding(3) var<storage, read> eta_ref: array<f32>;
@group(0) @binding(4) var<storage, read_write> gx: array<f32>;
@group(0) @binding(5) var<storage, read_write> gy: array<f32>;
@group(0) @binding(6) var<storage, read_write> gz: array<f32>;
@group(0) @binding(7) var<storage, read_write> diag: array<f32>;
@group(0) @binding(8) var<storage, read_write> b: array<f32>;

fn sigma(i: u32) -> f32 {
    let h = clamp(interp_h(eta[i]), 0.0, 1.0);
    return params.sigma_electrode * h + params.sigma_electrolyte * (1.0 - h);
}

// Conductance of the face towards the neighbour along `axis` (up or down); 0 at a closed or
// far face, and along an axis of one cell, whose periodic neighbour would be the cell itself.
// Both cells of a face compute harmonic(σ_lower, σ_upper), so the operator is symmetric.
fn face(c: Cell, s: f32, axis: u32, up: bool) -> f32 {
    let periodic = axis != 0u && (params.flags & 1u) != 0u && axis_len(axis) > 1u;
    let j = neighbour(c, axis, up, periodic);
    if (j < 0) {
        return 0.0;
    }
    let t = sigma(u32(j));
    return select(harmonic(t, s), harmonic(s, t), up);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        let i = cell.local;
        let s = sigma(i);
        let px = face(cell, s, 0u, true);
        let py = face(cell, s, 1u, true);
        var d = px + face(cell, s, 0u, false) + py + face(cell, s, 1u, false);
        var pz = 0.0;
        if (is_3d()) {
            pz = face(cell, s, 2u, true);
            d += pz + face(cell, s, 2u, false);
        }
        var rhs = params.source_scale * (eta[i] - eta_ref[i]);
        if (cell.x == 0u) {
            d += 2.0 * s;
            rhs += 2.0 * s * params.voltage;
        }
        if (cell.x + 1u == this_grid().nx) {
            d += 2.0 * s;
        }
        gx[i] = px;
        gy[i] = py;
        gz[i] = pz;
        diag[i] = d;
        b[i] = rhs;
    }
}
