// Level-set stencils of the superfill model. The lateral faces are symmetry planes and the
// bottom and top faces mirror too: a cell beyond a face reads its mirror image. The
// including shader says which field the stencils read: `fn level(j: u32) -> f32`, φ at
// local index j (metres). Requires common/grid.wgsl.

// Cells the coverage neighbourhood reaches along each axis (coverage.wgsl averages θ over it;
// adsorb.wgsl's cap must look over the same one).
const COVERAGE_REACH: i32 = 2;

// Local index of the cell `k` cells (|k| <= grid.ghost) along `axis` from c, reflected at
// the domain's faces.
fn mirror_index(c: Cell, axis: u32, k: i32) -> u32 {
    let n = i32(axis_len(axis));
    let x = i32(axis_coord(c, axis));
    var t = x + k;
    if (t < 0) {
        t = -t - 1;
    }
    if (t >= n) {
        t = 2 * n - t - 1;
    }
    return u32(i32(c.local) + (t - x) * i32(axis_stride(axis)));
}

fn dims() -> u32 {
    return select(2u, 3u, is_3d());
}

// Local index of the cell `off` cells away, mirrored at the faces axis by axis (a mirror
// moves the index along its axis only, so the axes' moves add up).
fn offset_cell(c: Cell, off: vec3<i32>) -> u32 {
    var j = i32(c.local);
    for (var a = 0u; a < dims(); a++) {
        j += i32(mirror_index(c, a, off[a])) - i32(c.local);
    }
    return u32(j);
}

// Index moves from c to the rows `centre[a] + k − reach` along each axis a (k = 0 ..= 2 reach,
// reach <= 2, |centre[a]| + reach <= grid.ghost), mirrored at the faces. A mirror moves an
// index along its own axis only, so the moves of the three axes add up (box_cell): a loop over
// a box of cells makes (2 reach + 1) mirror tests per axis in all, not one per axis and cell.
// extend.wgsl's 3 × 3 × 3 search gains (twice as fast in 3D); the coverage's 5 × 5 sums on
// interface cells keep offset_cell, which in 2D ran 15–25 % faster than this (the step
// without solves, `cargo bench --bench bandwidth -- superfill`, 2026-12-07).
fn box_moves(c: Cell, centre: vec3<i32>, reach: i32) -> array<vec3<i32>, 5> {
    var moves: array<vec3<i32>, 5>;
    for (var k = 0; k <= 2 * reach; k++) {
        for (var a = 0u; a < dims(); a++) {
            moves[k][a] = i32(mirror_index(c, a, centre[a] + k - reach)) - i32(c.local);
        }
    }
    return moves;
}

// Local index of the cell `d` cells from the centre of box_moves (|d[a]| <= reach).
fn box_cell(c: Cell, moves: array<vec3<i32>, 5>, reach: i32, d: vec3<i32>) -> u32 {
    let m = vec3<i32>(moves[d.x + reach].x, moves[d.y + reach].y, moves[d.z + reach].z);
    return u32(i32(c.local) + m.x + m.y + m.z);
}

fn minmod(a: f32, b: f32) -> f32 {
    if (a * b <= 0.0) {
        return 0.0;
    }
    return select(b, a, abs(a) < abs(b));
}

// Second-order ENO one-sided differences of φ along `axis` (backward, forward), in metres
// per cell: the first difference corrected by the smaller second difference.
fn eno_differences(c: Cell, axis: u32) -> vec2<f32> {
    let a = level(mirror_index(c, axis, -2));
    let b = level(mirror_index(c, axis, -1));
    let o = level(c.local);
    let d = level(mirror_index(c, axis, 1));
    let e = level(mirror_index(c, axis, 2));
    let dd_m = a - 2.0 * b + o;
    let dd_0 = b - 2.0 * o + d;
    let dd_p = o - 2.0 * d + e;
    return vec2<f32>((o - b) + 0.5 * minmod(dd_m, dd_0), (d - o) - 0.5 * minmod(dd_0, dd_p));
}

// Godunov's upwind |∇φ| (dimensionless) for a front moving towards +φ (`outward`, the
// deposit growing into the electrolyte) or towards −φ.
fn godunov_gradient(c: Cell, outward: bool) -> f32 {
    var s = 0.0;
    for (var a = 0u; a < dims(); a++) {
        let d = eno_differences(c, a);
        if (outward) {
            s += max(max(d.x, 0.0) * max(d.x, 0.0), min(d.y, 0.0) * min(d.y, 0.0));
        } else {
            s += max(min(d.x, 0.0) * min(d.x, 0.0), max(d.y, 0.0) * max(d.y, 0.0));
        }
    }
    return sqrt(s) * p.inv_dx;
}

// Central differences of φ (metres per cell) with mirror images at the faces.
fn central_gradient(c: Cell) -> vec3<f32> {
    var g = vec3<f32>(0.0);
    for (var a = 0u; a < dims(); a++) {
        g[a] = 0.5 * (level(mirror_index(c, a, 1)) - level(mirror_index(c, a, -1)));
    }
    return g;
}

// The unit normal pointing into the electrolyte (+φ); (0, 1, 0) or (0, 0, 1) where φ is
// flat.
fn unit_normal(c: Cell) -> vec3<f32> {
    let g = central_gradient(c);
    let n = length(g);
    if (n > 0.0) {
        return g / n;
    }
    return select(vec3<f32>(0.0, 1.0, 0.0), vec3<f32>(0.0, 0.0, 1.0), is_3d());
}

// Interface area of an electrolyte cell (φ > 0): the sum over its faces towards metal
// (φ ≤ 0) of |n·e_face|, in units of a cell face; 0 for metal cells and cells not touching
// metal. Domain faces are symmetry planes and carry no interface.
fn interface_area(c: Cell) -> f32 {
    if (level(c.local) <= 0.0) {
        return 0.0;
    }
    let n = unit_normal(c);
    var area = 0.0;
    for (var a = 0u; a < dims(); a++) {
        for (var s = 0u; s < 2u; s++) {
            let j = neighbour(c, a, s == 1u, false);
            if (j >= 0 && level(u32(j)) <= 0.0) {
                // Floored, so that every electrolyte cell touching metal counts as interface.
                area += max(abs(n[a]), 0.05);
            }
        }
    }
    return area;
}
