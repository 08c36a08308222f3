// Moves the surface accelerator with the interface, conserving it exactly, in two passes:
// the forward pass (`gather`, then `forward`, below) settles what cells turning metal in
// the same step owe each other, then `main` empties them. In `main` a cell holding
// an amount that is no longer an interface cell (it turned metal) hands it to its face
// neighbours that are interface cells now or, when none is (where two fronts meet), to
// those among all its neighbours (8 in 2D, 26 in 3D: with faces only, accelerator was left
// behind in the metal there and the fill slowed on fine grids), in proportion to
// max(n̄·ê, 0) + SIDE_SHARE (n̄ the normalised mean of the giver's and the receiver's unit
// normals, which point into the electrolyte: the way the surface went; the giver's alone
// where the two cancel), in i32
// fixed point with the last receiver taking the remainder, so the shares add up to the
// amount exactly. Every receiver recomputes the giver's shares from the same inputs, so
// giver and receivers agree bit for bit. A giver with no receiver keeps its amount. The
// area and φ are the moved interface's (interface.wgsl ran on them). Shrinking or growing
// surfaces change θ through the area under a fixed amount: the κvθ term of the coverage
// equation, exactly.
#include "common/grid.wgsl"
#include "superfill/include/params.wgsl"
#include "common/cell_list.wgsl"
#include "common/listed_cell.wgsl"

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> phi: array<f32>;
@group(0) @binding(3) var<storage, read> area: array<f32>;
@group(0) @binding(4) var<storage, read> amount_in: array<i32>;
@group(0) @binding(5) var<storage, read_write> amount_out: array<i32>;
// What each cell turning metal passes on in the forward pass (`gather` writes it, `forward`
// reads it): computed once per cell, so that `forward` reaches no farther than its
// neighbours' neighbours' neighbours, the ghost planes' width.
@group(0) @binding(6) var<storage, read_write> passed: array<i32>;
// The cells this step can change (src/gpu/cell_list.rs): those within the list's limit of
// the zero level; a dispatch over the box would write the same values everywhere else.
@group(0) @binding(7) var<storage, read> cells: CellList;

fn level(j: u32) -> f32 {
    return phi[j];
}

#include "superfill/include/stencil.wgsl"

// The cell at offset `o` (each component −1, 0 or 1) from c, if inside the domain (the
// domain's faces are symmetry planes; a share across one would leave the box).
struct Near {
    cell: Cell,
    inside: bool,
}

fn near(c: Cell, o: vec3<i32>) -> Near {
    var r: Near;
    r.cell = c;
    let x = i32(c.x) + o.x;
    let y = i32(c.y) + o.y;
    let z = i32(c.z) + o.z;
    let g = this_grid();
    r.inside = x >= 0 && x < i32(g.nx) && y >= 0 && y < i32(g.ny) && z >= 0 && z < i32(g.nz);
    let shift = o.x + i32(g.nx) * (o.y + i32(g.ny) * o.z);
    r.cell.x = u32(x);
    r.cell.y = u32(y);
    r.cell.z = u32(z);
    r.cell.local = u32(i32(c.local) + shift);
    r.cell.global = u32(i32(c.global) + shift);
    return r;
}

// The offsets to a cell's neighbours (8 in 2D, 26 in 3D), in a fixed order.
fn offset(k: u32) -> vec3<i32> {
    var j = k;
    if (j >= 13u && is_3d()) {
        j += 1u; // skip the centre (13 of 27)
    }
    if (!is_3d()) {
        j = j + 9u + select(0u, 1u, j >= 4u); // the middle plane of 27, less its centre
    }
    return vec3<i32>(i32(j % 3u) - 1, i32((j / 3u) % 3u) - 1, i32(j / 9u) - 1);
}

fn neighbours() -> u32 {
    return select(8u, 26u, is_3d());
}

// Whether offset o is a face neighbour's.
fn is_face(o: vec3<i32>) -> bool {
    return abs(o.x) + abs(o.y) + abs(o.z) == 1;
}

// What a receiver across the normal gets: only enough that the weights cannot all be zero
// (where two fronts meet, n may point away from every receiver). The accelerator goes the
// way the surface went; with 0.05 (until 2026-12-06) a sidewall cell turning metal passed
// 4 % of its amount to each row beside it, and ripples of about 4 cells grew on the
// sidewalls, faster on finer grids (docs/models/superfill.md, Refinement).
const SIDE_SHARE: f32 = 0.001;

// Weight of the receiver r at offset o for a giver with normal n: the normal between them
// (the mean of the two cells' normals) along the offset.
fn weight(n: vec3<f32>, r: Cell, o: vec3<i32>) -> f32 {
    var between = n + unit_normal(r);
    if (length(between) > 1e-3) {
        between = normalize(between);
    } else {
        between = n;
    }
    return max(dot(between, normalize(vec3<f32>(o))), 0.0) + SIDE_SHARE;
}

// Whether the neighbour q at offset o takes a share of a giver: an interface cell, or with
// `co` (the forward pass) a cell that gives in the same step; with `faces`, face neighbours
// only.
fn takes(q: Near, o: vec3<i32>, faces: bool, co: bool) -> bool {
    return q.inside && (is_face(o) || !faces) && (area[q.cell.local] > 0.0 || (co && gives(q.cell)));
}

// How many takers among g's face neighbours (faces) or, if none, among all its neighbours
// (edges and corners too), and their total weight.
fn receivers(g: Cell, n: vec3<f32>, faces: bool, co: bool) -> vec2<f32> {
    var count = 0.0;
    var total = 0.0;
    for (var k = 0u; k < neighbours(); k++) {
        let o = offset(k);
        let r = near(g, o);
        if (takes(r, o, faces, co)) {
            count += 1.0;
            total += weight(n, r.cell, o);
        }
    }
    return vec2<f32>(count, total);
}

// Whether g hands its amount to face neighbours (else to any neighbours).
fn to_faces(g: Cell, n: vec3<f32>) -> bool {
    return receivers(g, n, true, false).x > 0.0;
}

// The part of amount m for the `seen`-th of r.x takers (r.y their total weight), whose
// weight is w, when `given` has gone to those before it: its fixed-point share, or for the
// last taker the remainder, so that the parts add up to m exactly.
fn portion(m: i32, given: i32, seen: f32, r: vec2<f32>, w: f32) -> i32 {
    if (seen < r.x) {
        return i32(floor(f32(m) * w / r.y));
    }
    return m - given;
}

// The share of giver g's amount that goes to the receiver at local index `to`.
fn share(g: Cell, to: u32) -> i32 {
    let m = amount_in[g.local];
    let n = unit_normal(g);
    let faces = to_faces(g, n);
    let r = receivers(g, n, faces, false);
    var given = 0;
    var seen = 0.0;
    for (var k = 0u; k < neighbours(); k++) {
        let o = offset(k);
        let q = near(g, o);
        if (!takes(q, o, faces, false)) {
            continue;
        }
        seen += 1.0;
        let part = portion(m, given, seen, r, weight(n, q.cell, o));
        given += part;
        if (q.cell.local == to) {
            return part;
        }
    }
    return 0;
}

// Whether g gives this step: it holds an amount, turned metal, and has an interface cell
// among its neighbours to hand it to (a giver without one keeps its amount).
fn gives(g: Cell) -> bool {
    if (amount_in[g.local] == 0 || area[g.local] > 0.0) {
        return false;
    }
    for (var k = 0u; k < neighbours(); k++) {
        let r = near(g, offset(k));
        if (r.inside && area[r.cell.local] > 0.0) {
            return true;
        }
    }
    return false;
}

// --- The forward pass (entries `gather` and `forward`), run before `main` on the same step. ---
// Neighbours that turn metal in the same step cannot receive from each other in `main`, so
// without this pass the share a giver owes a neighbour crossing with it went up its own
// column instead. With the Courant number at 0.4, a surface tilted by less than about 20°
// has runs of neighbours crossing together, and the shares then moved sideways only at the
// ends of each run: on a plane tilted by 3° the coverage grew a checkerboard of ±20 % in
// 100 steps at a Courant number of 0.2 (a plane must keep its coverage uniform; at 0.02,
// when neighbours cross one at a time, it stays within 0.01 %). Here each giver hands the shares
// it owes its giving face neighbours to them, and `main` then passes each giver's total on
// to the interface cells, so a run carries its sideways flux at every cell.

// Giver g's amount m split among its forward takers in the same fixed-point shares as
// `share` (the last taker the remainder): the part to the cell at local index `to` if that
// is a co-giver among g's face neighbours (x), and all it hands to co-givers (y).
fn split(g: Cell, m: i32, to: u32) -> vec2<i32> {
    let n = unit_normal(g);
    let r = receivers(g, n, true, true);
    var given = 0;
    var moved = vec2<i32>(0);
    var seen = 0.0;
    for (var k = 0u; k < neighbours(); k++) {
        let o = offset(k);
        let q = near(g, o);
        if (!takes(q, o, true, true)) {
            continue;
        }
        seen += 1.0;
        let part = portion(m, given, seen, r, weight(n, q.cell, o));
        given += part;
        if (area[q.cell.local] <= 0.0) {
            moved.y += part;
            if (q.cell.local == to) {
                moved.x = part;
            }
        }
    }
    return moved;
}

// What giver g passes on: its own amount and what its giving face neighbours hand it from
// theirs. Splitting this sum rather than its own amount alone carries a run's sideways flux
// two cells deep (a plane tilted by 10°, where two or three neighbours cross together,
// kept its coverage within 2 % with one level).
fn passing(g: Cell) -> i32 {
    var m = amount_in[g.local];
    for (var k = 0u; k < neighbours(); k++) {
        let o = offset(k);
        let q = near(g, o);
        if (is_face(o) && q.inside && gives(q.cell)) {
            m += split(q.cell, amount_in[q.cell.local], g.local).x;
        }
    }
    return m;
}

// The forward pass's first half: what each cell turning metal passes on (3 cells' reach).
@compute @workgroup_size(WG_X, WG_Y, 1)
fn gather(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let c = listed_cell(wid, groups, lid);
    if (!c.valid) {
        return;
    }
    var m = 0;
    if (gives(c)) {
        m = passing(c);
    }
    passed[c.local] = m;
}

// Its second half: the exchange between cells turning metal together (3 cells' reach).
@compute @workgroup_size(WG_X, WG_Y, 1)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let c = listed_cell(wid, groups, lid);
    if (!c.valid) {
        return;
    }
    let i = c.local;
    var m = amount_in[i];
    if (gives(c)) {
        // Both sides compute each share from the same inputs, so the exchange is exact.
        m -= split(c, passed[i], i).y;
        for (var k = 0u; k < neighbours(); k++) {
            let o = offset(k);
            let g = near(c, o);
            if (is_face(o) && g.inside && gives(g.cell)) {
                m += split(g.cell, passed[g.cell.local], i).x;
            }
        }
    }
    amount_out[i] = m;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let c = listed_cell(wid, groups, lid);
    if (!c.valid) {
        return;
    }
    let i = c.local;
    var m = select(amount_in[i], 0, gives(c));
    if (area[i] > 0.0) {
        for (var k = 0u; k < neighbours(); k++) {
            let g = near(c, offset(k));
            if (g.inside && gives(g.cell)) {
                m += share(g.cell, i);
            }
        }
    }
    amount_out[i] = m;
}
