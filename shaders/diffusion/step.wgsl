// One explicit finite-volume step of dc/dt = D lap(c) on a uniform grid:
//   c' = c + sum over axes of r_a * (face differences), r_a = D dt / dx_a^2.
// Faces on the domain boundary use the axis's boundary kind:
//   periodic  - the neighbour across the domain;
//   dirichlet - a ghost value mirrored about the face, difference 2 (c_b - c);
//   neumann   - a fixed difference q dx / D for an inward flux q (0 = no flux).
// Interior face differences are antisymmetric, so with no-flux walls the total is conserved
// up to round-off.
#include "common/grid.wgsl"
#include "common/faces.wgsl"

struct DiffusionParams {
    r: vec4<f32>,
    kind_lo: vec4<u32>,
    kind_hi: vec4<u32>,
    value_lo: vec4<f32>,
    value_hi: vec4<f32>,
}


@group(0) @binding(1) var<storage, read> p: DiffusionParams;
@group(0) @binding(2) var<storage, read> c_in: array<f32>;
@group(0) @binding(3) var<storage, read_write> c_out: array<f32>;

fn face_difference(c: Cell, cv: f32, axis: u32, up: bool) -> f32 {
    let kind = select(p.kind_lo[axis], p.kind_hi[axis], up);
    let nb = neighbour(c, axis, up, kind == FACE_PERIODIC);
    if (nb >= 0) {
        return c_in[u32(nb)] - cv;
    }
    let value = select(p.value_lo[axis], p.value_hi[axis], up);
    if (kind == FACE_DIRICHLET) {
        return 2.0 * (value - cv);
    }
    return value;
}

fn axis_term(c: Cell, cv: f32, axis: u32) -> f32 {
    return p.r[axis] * (face_difference(c, cv, axis, false) + face_difference(c, cv, axis, true));
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let cv = c_in[c.local];
    let l = c.local;
    let nx = grid.nx;
    var change: f32;
    if (is_interior(c)) {
        // Fast path away from the walls: plain neighbours, same face differences.
        change = p.r.x * ((c_in[l - 1u] - cv) + (c_in[l + 1u] - cv))
               + p.r.y * ((c_in[l - nx] - cv) + (c_in[l + nx] - cv));
        if (is_3d()) {
            let pc = nx * grid.ny;
            change += p.r.z * ((c_in[l - pc] - cv) + (c_in[l + pc] - cv));
        }
    } else {
        change = axis_term(c, cv, 0u) + axis_term(c, cv, 1u);
        if (is_3d()) {
            change += axis_term(c, cv, 2u);
        }
    }
    c_out[c.local] = cv + change;
}
