// Neighbour access by global coordinates for stencils wider than the 6 face neighbours.
// Requires common/grid.wgsl. Side axes (y, and z in 3D) are either periodic or no-flux
// (mirror); x is left to the caller (electrode and far-field boundaries differ per field).
// The chunking axis reaches one plane beyond the chunk through the ghost planes when the grid
// is split into chunks; a one-chunk grid wraps inside its buffer, so its fields read through
// here need no halo exchange (Field::exchange_chunk_halos).

// Coordinate k (at most one cell outside 0..n) wrapped into 0..n, without an integer
// division (slow on CPU devices).
fn wrap_coord(k: i32, n: i32) -> i32 {
    return select(select(k, k - n, k >= n), k + n, k < 0);
}

// Local buffer index of global cell (x, y, z) with x clamped and side axes wrapped
// (`periodic_sides`) or mirrored onto the edge cell (no flux).
fn side_index(x: i32, y: i32, z: i32, periodic_sides: bool) -> u32 {
    let g = this_grid();
    let nx = i32(g.nx);
    let ny = i32(g.ny);
    let nz = i32(g.nz);
    let xx = clamp(x, 0, nx - 1);
    var yy = y;
    var zz = z;
    if (is_3d()) {
        if (periodic_sides) {
            yy = wrap_coord(y, ny);
            // z is the chunking axis: a periodic neighbour sits in the ghost plane, or, when
            // this chunk holds every plane, in the buffer itself (no halo pass needed).
            if (g.planes == g.total_planes) {
                zz = wrap_coord(z, nz);
            }
        } else {
            yy = clamp(y, 0, ny - 1);
            zz = clamp(z, 0, nz - 1);
        }
        let plane = zz - i32(g.first_plane) + 1;
        return u32(xx + nx * (yy + ny * plane));
    }
    if (!periodic_sides) {
        yy = clamp(y, 0, ny - 1);
    } else if (g.planes == g.total_planes) {
        yy = wrap_coord(y, ny);
    }
    let row = yy - i32(g.first_plane) + 1;
    return u32(xx + nx * row);
}

// A value across the x faces of a field with Dirichlet values there (`low` on the electrode
// face x = 0, `high` on the far face): mirrored about the face, so the face value is exact.
// `v` is the edge cell's value when x is outside the grid.
fn across_x_faces(v: f32, x: i32, low: f32, high: f32) -> f32 {
    if (x < 0) {
        return 2.0 * low - v;
    }
    if (x >= i32(this_grid().nx)) {
        return 2.0 * high - v;
    }
    return v;
}
