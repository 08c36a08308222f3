// Neighbours across the side axes of a level, wrapping around the grid: the stencils of the
// elliptic solver's operator (solvers/include/operator.wgsl and its matrix-free form,
// operator_conductivity.wgsl). Requires common/grid.wgsl.

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
