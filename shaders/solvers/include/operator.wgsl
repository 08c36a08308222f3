// The charge equation ∇·(σ∇φ) = f as the SPD system every potential kernel shares, on the
// fine grid and on each multigrid level (src/models/dendrite/potential.rs, multigrid.rs):
//   (A x)_c = diag_c x_c - Σ_faces g_f x_nb,
// stored as the conductance of each cell's +x, +y, +z face (arrays gx, gy, gz declared by the
// including shader) and the full diagonal `diag`, which also holds the Dirichlet faces (φ = V
// at the electrode x = 0, φ = 0 at the far side, half a cell away). A wall face, the far x
// face, and a side face of a non-periodic axis have g = 0; the outer ghost planes of a
// non-periodic chunking axis are never written, so they read as g = 0 too.
// Requires common/grid.wgsl.

// Local index of the neighbour along side axis 1 or 2 of the cell at `k` (local index `i`)
// on the level `info`, wrapping around the grid. Where the axis is not periodic the wrapped
// neighbour is only ever multiplied by g = 0.
fn wrapped_neighbour_on(info: GridInfo, k: vec3<u32>, i: u32, axis: u32, up: bool) -> u32 {
    return u32(neighbour_on(info, k[axis], i, axis, up, true));
}

// Coordinates of that neighbour on the level `info`, wrapped around the grid the same way.
fn wrapped_coords_on(info: GridInfo, k: vec3<u32>, axis: u32, up: bool) -> vec3<u32> {
    let n = axis_len_on(info, axis);
    var m = k;
    m[axis] = select(select(k[axis] - 1u, n - 1u, k[axis] == 0u), select(k[axis] + 1u, 0u, k[axis] + 1u == n), up);
    return m;
}

// Σ_faces g_f x_nb for the cell at `k` (local index `i`) of the level `info`: the
// off-diagonal part of A applied to the vector x. The including shader says what x is with
// `fn operand(j: u32, k: vec3<u32>) -> f32`, its value at local index j (coordinates k):
// a stored vector (solvers/include/stored_operand.wgsl), or one plus a prolonged correction
// (multigrid_prolong_smooth.wgsl).
fn coupled_sum_on(info: GridInfo, k: vec3<u32>, i: u32) -> f32 {
    var s = 0.0;
    if (k.x > 0u) {
        s += gx[i - 1u] * operand(i - 1u, k - vec3<u32>(1u, 0u, 0u));
    }
    if (k.x + 1u < info.nx) {
        s += gx[i] * operand(i + 1u, k + vec3<u32>(1u, 0u, 0u));
    }
    let ym = wrapped_neighbour_on(info, k, i, 1u, false);
    let yp = wrapped_neighbour_on(info, k, i, 1u, true);
    s += gy[ym] * operand(ym, wrapped_coords_on(info, k, 1u, false))
        + gy[i] * operand(yp, wrapped_coords_on(info, k, 1u, true));
    if (info.nz > 1u) {
        let zm = wrapped_neighbour_on(info, k, i, 2u, false);
        let zp = wrapped_neighbour_on(info, k, i, 2u, true);
        s += gz[zm] * operand(zm, wrapped_coords_on(info, k, 2u, false))
            + gz[i] * operand(zp, wrapped_coords_on(info, k, 2u, true));
    }
    return s;
}

// coupled_sum_on for a cell of this kernel's grid.
fn coupled_sum(c: Cell) -> f32 {
    return coupled_sum_on(grid, vec3<u32>(c.x, c.y, c.z), c.local);
}
