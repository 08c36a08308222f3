// Shared grid indexing for cell-parallel kernels (see src/gpu/domain.rs).
//
// Convention: binding 0 of group 0 is always this chunk's GridInfo.
// Parameters are bound as read-only storage, never as uniforms: lavapipe (Mesa 22) inlines
// uniform values into compute shaders and leaked host memory on every dispatch (measured:
// ~200 KB per diffusion step on a 32² grid, 24 GB after 13k dendrite steps); read-only
// storage removes the leak, ran 1.5x faster there, and costs the same on GPUs. A field's chunk buffer
// holds `planes` planes of the chunking axis (z in 3D, y in 2D) plus `ghost` ghost planes
// below and above (one unless the domain was built wider), so a cell's local index is its
// global index minus (first_plane - ghost) planes.

struct GridInfo {
    nx: u32,
    ny: u32,
    nz: u32,
    plane_cells: u32,
    first_plane: u32,
    planes: u32,
    total_planes: u32,
    // Index of this chunk's first workgroup when all chunks' cell dispatches are numbered in
    // order (for per-workgroup partial results of reductions fused into cell kernels).
    group_offset: u32,
    // Ghost planes below and above the chunk's planes in its buffer (1 to 3).
    ghost: u32,
}

@group(0) @binding(0) var<storage, read> grid: GridInfo;

struct Cell {
    x: u32,
    y: u32,
    z: u32,
    local: u32,   // index into the chunk buffer (ghost planes included)
    global: u32,  // index into the whole grid
    valid: bool,  // false for threads past the chunk's last cell
}

// Cell kernels use workgroups of WG_X x WG_Y threads over (x, y, chunk plane) in 3D and
// (x, chunk plane) in 2D, so coordinates need no integer division (slow on CPU devices).
const WG_X: u32 = 32u;
const WG_Y: u32 = 4u;

// The interior cell handled by this thread.
fn thread_cell(gid: vec3<u32>) -> Cell {
    let g = this_grid();
    var c: Cell;
    c.x = gid.x;
    if (is_3d()) {
        c.y = gid.y;
        c.z = g.first_plane + gid.z;
        c.valid = gid.x < g.nx && gid.y < g.ny && gid.z < g.planes;
        c.local = gid.x + g.nx * (gid.y + g.ny * (gid.z + g.ghost));
    } else {
        c.y = g.first_plane + gid.y;
        c.z = 0u;
        c.valid = gid.x < g.nx && gid.y < g.planes;
        c.local = gid.x + g.nx * (gid.y + g.ghost);
    }
    c.global = c.local + g.first_plane * g.plane_cells - g.ghost * g.plane_cells;
    return c;
}

// The grid's shape where the pipeline was built for it (`Kernel::shape_of`), else 0: read
// from `grid`. Every chunk of a domain has the same shape, so one pipeline serves them all.
// A CPU device cannot fold a test on a buffer's value: with the constants it folds the
// index arithmetic, the edge tests and `is_3d()`, and its loops over the axes
// (`for a < dims()`) unroll instead of staying loops of select chains.
override GRID_NX: u32 = 0u;
override GRID_NY: u32 = 0u;
override GRID_NZ: u32 = 0u;
override GRID_GHOST: u32 = 0u;

// This chunk's GridInfo, its shape from the constants where they are set.
fn this_grid() -> GridInfo {
    var g = grid;
    if (GRID_NX != 0u) {
        g.nx = GRID_NX;
        g.ny = GRID_NY;
        g.nz = GRID_NZ;
        g.ghost = GRID_GHOST;
        g.plane_cells = select(GRID_NX, GRID_NX * GRID_NY, GRID_NZ > 1u);
        g.total_planes = select(GRID_NY, GRID_NZ, GRID_NZ > 1u);
    }
    return g;
}

fn is_3d() -> bool {
    if (GRID_NX != 0u) {
        return GRID_NZ > 1u;
    }
    return grid.nz > 1u;
}

fn axis_coord(c: Cell, axis: u32) -> u32 {
    return select(select(c.z, c.y, axis == 1u), c.x, axis == 0u);
}

fn axis_len_on(info: GridInfo, axis: u32) -> u32 {
    return select(select(info.nz, info.ny, axis == 1u), info.nx, axis == 0u);
}

fn axis_stride_on(info: GridInfo, axis: u32) -> u32 {
    return select(select(info.nx * info.ny, info.nx, axis == 1u), 1u, axis == 0u);
}

fn axis_len(axis: u32) -> u32 {
    return axis_len_on(this_grid(), axis);
}

fn axis_stride(axis: u32) -> u32 {
    return axis_stride_on(this_grid(), axis);
}

// Local index of the neighbour one cell along `axis` (towards +axis if `up`) of the cell at
// `coord` (its coordinate along that axis) and local index `local` on the level described
// by `info`, or -1 where that crosses a non-periodic domain boundary. Along the chunking axis
// a periodic wrap stays inside the buffer when the chunk holds the whole axis, so such
// grids need no halo exchange for this function's readers; with several chunks it reads the
// ghost plane, which the halo exchange filled with the far side's plane.
fn neighbour_on(info: GridInfo, coord: u32, local: u32, axis: u32, up: bool, periodic: bool) -> i32 {
    let n = axis_len_on(info, axis);
    let stride = axis_stride_on(info, axis);
    let at_edge = select(coord == 0u, coord == n - 1u, up);
    let chunked = axis == select(1u, 2u, info.nz > 1u) && info.planes < info.total_planes;
    if (!at_edge || (periodic && chunked)) {
        return select(i32(local - stride), i32(local + stride), up);
    }
    if (!periodic) {
        return -1;
    }
    let wrap = (n - 1u) * stride;
    return select(i32(local + wrap), i32(local - wrap), up);
}

// neighbour_on for a cell of this kernel's grid.
fn neighbour(c: Cell, axis: u32, up: bool, periodic: bool) -> i32 {
    return neighbour_on(this_grid(), axis_coord(c, axis), c.local, axis, up, periodic);
}

// Like neighbour_on, `k` cells away (1 <= k <= info.ghost, for stencils wider than one cell):
// the local index, or -1 past a non-periodic domain boundary. Inside the domain the target is
// `k` strides away, in the chunk or, along the chunking axis, in its ghost planes (the halo
// exchange filled `ghost` of them). Past a periodic boundary it reads the ghost planes too when
// the grid is chunked along the axis, else the wrapped cell by index (in-plane axes, and the
// chunking axis when one chunk holds it all; `%` only there, as it is slow on CPU devices).
fn neighbour_at_on(info: GridInfo, coord: u32, local: u32, axis: u32, k: u32, up: bool, periodic: bool) -> i32 {
    let n = axis_len_on(info, axis);
    let step = i32(k * axis_stride_on(info, axis));
    let inside = select(coord >= k, coord + k < n, up);
    let chunked = axis == select(1u, 2u, info.nz > 1u) && info.planes < info.total_planes;
    if (inside || (periodic && chunked)) {
        return i32(local) + select(-step, step, up);
    }
    if (!periodic) {
        return -1;
    }
    // The wrapped coordinate, k <= 3 cells past an edge of an axis that may be shorter than k.
    let wrapped = select(coord + n * 3u - k, coord + k, up) % n;
    return i32(local) + (i32(wrapped) - i32(coord)) * i32(axis_stride_on(info, axis));
}

// neighbour_at_on for a cell of this kernel's grid.
fn neighbour_at(c: Cell, axis: u32, k: u32, up: bool, periodic: bool) -> i32 {
    return neighbour_at_on(this_grid(), axis_coord(c, axis), c.local, axis, k, up, periodic);
}

// True for cells with a neighbour on both sides along every axis of the grid.
fn is_interior(c: Cell) -> bool {
    let g = this_grid();
    let in_xy = c.x > 0u && c.x + 1u < g.nx && c.y > 0u && c.y + 1u < g.ny;
    return in_xy && (!is_3d() || (c.z > 0u && c.z + 1u < g.nz));
}

// Linear index of a workgroup of a cell kernel over the whole domain (see group_offset).
fn workgroup_index(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return grid.group_offset + wid.x + groups.x * (wid.y + groups.y * wid.z);
}
