// The operator of solvers/include/operator.wgsl computed on the fly (matrix-free) from one
// value per cell, `sigma` (solvers/include/conductivity_f32.wgsl, or _f16): 4 or 2 bytes per
// cell where the stored form takes 16 (gde's steady solves, src/solvers/elliptic.rs
// `FineOperator::Conductivity`). Swapped in for
// solvers/include/operator_stored.wgsl on the fine level only; the multigrid's coarse levels
// keep their Galerkin operators stored.
//
// sigma's sign says what a cell is: σ > 0 a solved cell of conductivity σ; σ < 0 a cell held
// at a fixed value (its row is the identity, x = 0 in a correction), which conducts |σ| to
// its solved neighbours; 0 a cell outside the problem (identity row, no faces). Faces take
// the harmonic mean of the two conductivities over h², as solvers/operator_setup.wgsl does:
// between two solved cells that is the coupling g; a face to a held cell, and a Dirichlet x
// face of the domain (2σ/h² half a cell away, pipeline constants HELD_LOW_X and
// HELD_HIGH_X), only adds to the diagonal. Side axes wrap when PERIODIC_SIDES is set and are
// closed otherwise; x is never periodic. A solved cell with no conducting face gets a
// diagonal of 1, as the stored set-ups give it. Every value is computed by the expressions,
// in the order, of operator_setup.wgsl, so a solve gives the bits of that stored form
// (tests/solvers.rs).

#include "solvers/include/neighbours.wgsl"
#include "solvers/include/conductance.wgsl"
#include "solvers/include/conductivity_f32.wgsl"

override INV_H2_X: f32 = 1.0;
override INV_H2_Y: f32 = 1.0;
override INV_H2_Z: f32 = 1.0;
override HELD_LOW_X: bool = false;
override HELD_HIGH_X: bool = false;
override PERIODIC_SIDES: bool = false;

fn inv_h2(axis: u32) -> f32 {
    return select(select(INV_H2_Z, INV_H2_Y, axis == 1u), INV_H2_X, axis == 0u);
}

// Whether the cell at `k` has a neighbour across its face on `axis` (`up`: the +axis one),
// and its local index: across x only inside the grid, across a side axis also around it
// where the sides are periodic (an axis of one cell has none).
fn across(info: GridInfo, k: vec3<u32>, i: u32, axis: u32, up: bool) -> vec2<u32> {
    let n = axis_len_on(info, axis);
    let edge = select(k[axis] == 0u, k[axis] + 1u == n, up);
    let wraps = axis > 0u && PERIODIC_SIDES && n > 1u;
    if (n == 1u || (edge && !wraps)) {
        return vec2<u32>(0u, 0u);
    }
    if (axis == 0u) {
        return vec2<u32>(1u, select(i - 1u, i + 1u, up));
    }
    return vec2<u32>(1u, wrapped_neighbour_on(info, k, i, axis, up));
}

fn face_up(info: GridInfo, k: vec3<u32>, i: u32, axis: u32) -> f32 {
    let nb = across(info, k, i, axis, true);
    if (nb.x == 0u) {
        return 0.0;
    }
    let a = conductivity(i);
    let b = conductivity(nb.y);
    if (a > 0.0 && b > 0.0) {
        return harmonic(a, b) * inv_h2(axis);
    }
    return 0.0;
}

fn diagonal_on(info: GridInfo, k: vec3<u32>, i: u32) -> f32 {
    let a = conductivity(i);
    if (a <= 0.0) {
        return 1.0;
    }
    var d = 0.0;
    for (var axis = 0u; axis < 3u; axis++) {
        if (axis == 2u && info.nz == 1u) {
            break;
        }
        for (var side = 0u; side < 2u; side++) {
            let up = side == 1u;
            let nb = across(info, k, i, axis, up);
            if (nb.x == 1u) {
                let b = abs(conductivity(nb.y));
                if (b > 0.0) {
                    // The lower cell's σ first, as face_up and operator_setup.wgsl order it:
                    // the same bits as the stored form.
                    d += select(harmonic(b, a), harmonic(a, b), up) * inv_h2(axis);
                }
            } else if (axis == 0u && select(HELD_LOW_X, HELD_HIGH_X, up)) {
                d += 2.0 * a * inv_h2(0u);
            }
        }
    }
    return select(d, 1.0, d == 0.0);
}
