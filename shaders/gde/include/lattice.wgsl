// Addressing for the in-place lattice Boltzmann kernels of the gde model (AA pattern).
//
// Each direction's populations are one field (structure of arrays), split into chunks of
// z planes with a ghost plane below and above like every field (src/gpu/domain.rs). Faces of
// the domain are periodic, walls, open (pressure / Dirichlet) or, for flow only, a velocity
// inlet (a face moving along its normal), per axis. Along z a
// periodic wrap stays inside the buffer when the grid is one chunk, and goes through the
// ghost planes (refreshed and merged back by the host) when it is several.
#include "common/grid.wgsl"
// Face kinds: FACE_CLOSED is a wall, FACE_DIRICHLET an open (pressure or concentration)
// face, FACE_FLUX a velocity inlet.
#include "common/faces.wgsl"

// Neighbour codes below zero: -1 = a wall face of the domain; -2 - (2 axis + up) = the open
// (or velocity) face of that axis on the low (up = 0) or high (up = 1) side.
const NB_WALL: i32 = -1;

fn open_code(axis: u32, up: bool) -> i32 {
    return -2 - i32(2u * axis + select(0u, 1u, up));
}

fn open_axis(code: i32) -> u32 {
    return u32(-2 - code) / 2u;
}

fn open_is_high(code: i32) -> bool {
    return (u32(-2 - code) & 1u) == 1u;
}

// Local index of the cell one lattice link `d` away from `c`, or a negative code for a
// domain face. `lo` and `hi` hold the kinds of the low and high face of each axis (periodic
// on both or neither); `single_chunk` says whether a periodic z wraps inside this buffer.
fn lattice_neighbour(c: Cell, d: vec3<i32>, lo: vec4<u32>, hi: vec4<u32>, single_chunk: bool) -> i32 {
    let g = this_grid();
    var code = 0;
    var x = i32(c.x) + d.x;
    let nx = i32(g.nx);
    if (x < 0 || x >= nx) {
        let kind = select(lo.x, hi.x, x >= nx);
        if (kind == FACE_CLOSED) {
            return NB_WALL;
        } else if (kind >= FACE_DIRICHLET) {
            code = open_code(0u, x >= nx);
        }
        x = select(x - nx, x + nx, x < 0);
    }
    var y = i32(c.y) + d.y;
    let ny = i32(g.ny);
    if (y < 0 || y >= ny) {
        let kind = select(lo.y, hi.y, y >= ny);
        if (kind == FACE_CLOSED) {
            return NB_WALL;
        } else if (kind >= FACE_DIRICHLET) {
            code = open_code(1u, y >= ny);
        }
        y = select(y - ny, y + ny, y < 0);
    }
    // Local plane: 1 .. planes inside the chunk, 0 and planes + 1 are the ghosts.
    var plane = i32(c.z - g.first_plane) + 1 + d.z;
    let z = i32(c.z) + d.z;
    if (z < 0 || z >= i32(g.nz)) {
        let kind = select(lo.z, hi.z, z >= 0);
        if (kind == FACE_CLOSED) {
            return NB_WALL;
        } else if (kind >= FACE_DIRICHLET) {
            code = open_code(2u, z >= i32(g.nz));
        } else if (single_chunk) {
            plane = select(plane - i32(g.planes), plane + i32(g.planes), z < 0);
        }
    }
    if (code != 0) {
        return code;
    }
    return x + nx * (y + ny * plane);
}

// Labels of the voxel image (src/models/gde/geometry.rs), binding 2 of every lattice kernel.
// Only pore cells are updated.
const LABEL_PORE: f32 = 0.0;
const LABEL_CATALYST: f32 = 3.0;

@group(0) @binding(2) var<storage, read> label: array<f32>;

// Whether a neighbour code from `lattice_neighbour` is a pore cell.
fn is_pore(n: i32) -> bool {
    return n >= 0 && label[u32(n)] == LABEL_PORE;
}
