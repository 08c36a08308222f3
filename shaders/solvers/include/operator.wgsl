// The charge equation ∇·(σ∇φ) = f as the SPD system every potential kernel shares, on the
// fine grid and on each multigrid level (src/models/dendrite/potential.rs, multigrid.rs):
//   (A x)_c = diag_c x_c - Σ_faces g_f x_nb.
// Where the operator lives is the including shader's choice of one more include, which
// defines `face_up(info, k, i, axis)`, the conductance of the +axis face of the cell at `k`
// (local index `i`) on the level `info`, and `diagonal_on(info, k, i)`:
// - solvers/include/operator_stored.wgsl: stored as the conductance of each cell's +x, +y,
//   +z face (arrays gx, gy, gz declared by the including shader) and the full diagonal
//   `diag`, which also holds the Dirichlet faces (φ = V at the electrode x = 0, φ = 0 at the
//   far side, half a cell away). A wall face, the far x face, and a side face of a
//   non-periodic axis have g = 0; the outer ghost planes of a non-periodic chunking axis are
//   never written, so they read as g = 0 too. Every level but a matrix-free fine one.
// - solvers/include/operator_conductivity.wgsl: computed on the fly from one conductivity
//   per cell (the fine level of a solver built with `FineOperator::Conductivity`).
// Requires common/grid.wgsl.

#include "solvers/include/neighbours.wgsl"

// Σ_faces g_f (x_nb − x0) for the cell at `k` (local index `i`) of the level `info`. With
// x0 = 0 (coupled_sum_on) the off-diagonal part of A applied to the vector x; with x0 the
// cell's own value, the faces' part of A x in difference form (solvers/include/apply_split.wgsl).
// The including shader says what x is with `fn operand(j: u32, k: vec3<u32>) -> f32`, its
// value at local index j (coordinates k): a stored vector (solvers/include/stored_operand.wgsl),
// or one plus a prolonged correction (multigrid_prolong_smooth.wgsl).
fn coupled_sum_about_on(info: GridInfo, k: vec3<u32>, i: u32, x0: f32) -> f32 {
    var s = 0.0;
    if (k.x > 0u) {
        let km = k - vec3<u32>(1u, 0u, 0u);
        s += face_up(info, km, i - 1u, 0u) * (operand(i - 1u, km) - x0);
    }
    if (k.x + 1u < info.nx) {
        s += face_up(info, k, i, 0u) * (operand(i + 1u, k + vec3<u32>(1u, 0u, 0u)) - x0);
    }
    let ym = wrapped_neighbour_on(info, k, i, 1u, false);
    let yp = wrapped_neighbour_on(info, k, i, 1u, true);
    let kym = wrapped_coords_on(info, k, 1u, false);
    s += face_up(info, kym, ym, 1u) * (operand(ym, kym) - x0)
        + face_up(info, k, i, 1u) * (operand(yp, wrapped_coords_on(info, k, 1u, true)) - x0);
    if (info.nz > 1u) {
        let zm = wrapped_neighbour_on(info, k, i, 2u, false);
        let zp = wrapped_neighbour_on(info, k, i, 2u, true);
        let kzm = wrapped_coords_on(info, k, 2u, false);
        s += face_up(info, kzm, zm, 2u) * (operand(zm, kzm) - x0)
            + face_up(info, k, i, 2u) * (operand(zp, wrapped_coords_on(info, k, 2u, true)) - x0);
    }
    return s;
}

// Σ_faces g_f x_nb (x0 = 0 subtracts exactly nothing: the bits of the plain sum).
fn coupled_sum_on(info: GridInfo, k: vec3<u32>, i: u32) -> f32 {
    return coupled_sum_about_on(info, k, i, 0.0);
}

// coupled_sum_on for a cell of this kernel's grid.
fn coupled_sum(c: Cell) -> f32 {
    return coupled_sum_on(this_grid(), vec3<u32>(c.x, c.y, c.z), c.local);
}

// coupled_sum_about_on for a cell of this kernel's grid.
fn coupled_sum_about(c: Cell, x0: f32) -> f32 {
    return coupled_sum_about_on(this_grid(), vec3<u32>(c.x, c.y, c.z), c.local, x0);
}

// The diagonal of A at a cell of this kernel's grid.
fn diagonal(c: Cell) -> f32 {
    return diagonal_on(this_grid(), vec3<u32>(c.x, c.y, c.z), c.local);
}
