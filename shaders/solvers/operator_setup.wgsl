// The elliptic solver's generic set-up (src/solvers/setup.rs): the operator and right-hand
// side of ∇·(σ∇x) + s = 0 from a cell conductivity σ, a kind per cell and boundary
// conditions per domain face, in the stored form of solvers/include/operator.wgsl.
//   kind 0: solved; the cell's `value` is a volumetric source s.
//   kind 1: excluded (a solid voxel): no face to any cell, x = 0 there (diag 1, b 0).
//   kind 2: held at its `value` (diag 1, b = value); a solved neighbour sees it as a
//           Dirichlet value at the cell centre, through the harmonic mean of both σ.
// A face between two solved cells conducts harmonic(σ_a, σ_b) / h² (exact for conductors in
// series); faces that touch an excluded or held cell are not stored (the operator stays
// symmetric: a held value moves into b). Domain faces: closed (no flux), Dirichlet (value
// half a cell away: 2σ/h²), an inward flux q (b += q/h), or periodic (y and z, by the domain's
// flag). A solved cell left with no conducting face (walled in by excluded cells) gets
// diag 1 and b 0, like an excluded one, so that Jacobi scaling stays finite.
#include "common/grid.wgsl"
#include "solvers/include/conductance.wgsl"
#include "common/faces.wgsl"

struct SetupParams {
    // Per domain face, [x-, y-, z-, unused] and [x+, y+, z+, unused]: its kind
    // (common/faces.wgsl) and value (Dirichlet value, or inward flux per area).
    kind_low: vec4<u32>,
    kind_high: vec4<u32>,
    value_low: vec4<f32>,
    value_high: vec4<f32>,
    // 1/h² and 1/h per axis [x, y, z, unused].
    inv_h2: vec4<f32>,
    inv_h: vec4<f32>,
}

@group(0) @binding(1) var<storage, read> params: SetupParams;
@group(0) @binding(2) var<storage, read> sigma: array<f32>;
@group(0) @binding(3) var<storage, read> kind: array<f32>;
@group(0) @binding(4) var<storage, read> value: array<f32>;
@group(0) @binding(5) var<storage, read_write> gx: array<f32>;
@group(0) @binding(6) var<storage, read_write> gy: array<f32>;
@group(0) @binding(7) var<storage, read_write> gz: array<f32>;
@group(0) @binding(8) var<storage, read_write> diag: array<f32>;
@group(0) @binding(9) var<storage, read_write> b: array<f32>;

const SOLVED: u32 = 0u;
const HELD: u32 = 2u;

fn kind_of(i: u32) -> u32 {
    return u32(kind[i]);
}

// The cell's own row: diag, b, and the stored conductance of its +face along each axis.
struct Row {
    diag: f32,
    b: f32,
    up: vec3<f32>,
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (!cell.valid) {
        return;
    }
    let i = cell.local;
    var row = Row(0.0, value[i], vec3<f32>(0.0));
    let own = kind_of(i);
    if (own == SOLVED) {
        let s = sigma[i];
        let axes = select(2u, 3u, is_3d());
        for (var axis = 0u; axis < axes; axis++) {
            for (var side = 0u; side < 2u; side++) {
                let up = side == 1u;
                let face_kind = select(params.kind_low[axis], params.kind_high[axis], up);
                let periodic = face_kind == FACE_PERIODIC && axis_len(axis) > 1u;
                let j = neighbour(cell, axis, up, periodic);
                if (j < 0) {
                    // A domain face.
                    let v = select(params.value_low[axis], params.value_high[axis], up);
                    if (face_kind == FACE_DIRICHLET) {
                        let g = 2.0 * s * params.inv_h2[axis];
                        row.diag += g;
                        row.b += g * v;
                    } else if (face_kind == FACE_FLUX) {
                        row.b += v * params.inv_h[axis];
                    }
                    continue;
                }
                let other = kind_of(u32(j));
                if (other == SOLVED && !(periodic && u32(j) == i)) {
                    let g = select(harmonic(sigma[u32(j)], s), harmonic(s, sigma[u32(j)]), up) * params.inv_h2[axis];
                    row.diag += g;
                    if (up) {
                        row.up[axis] = g;
                    }
                } else if (other == HELD) {
                    let g = select(harmonic(sigma[u32(j)], s), harmonic(s, sigma[u32(j)]), up) * params.inv_h2[axis];
                    row.diag += g;
                    row.b += g * value[u32(j)];
                }
            }
        }
        if (row.diag == 0.0) {
            row = Row(1.0, 0.0, vec3<f32>(0.0));
        }
    } else {
        row = Row(1.0, select(0.0, value[i], own == HELD), vec3<f32>(0.0));
    }
    gx[i] = row.up.x;
    gy[i] = row.up.y;
    gz[i] = row.up.z;
    diag[i] = row.diag;
    b[i] = row.b;
}
