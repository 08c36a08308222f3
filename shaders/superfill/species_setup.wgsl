// The linear system of one backward-Euler step of a dissolved species for the engine's
// elliptic solver (src/solvers/): Cu²⁺ (SPECIES = 0), the accelerator (1) or the leveler
// (2), over the time Δt_s since the last solve (`species_every` steps; params.wgsl),
//   (Δx²/(DΔt_s)) (c − c_old) = Σ_faces g (c_nb − c) − s A c + source,
// in units of D Δx^(d−2) per cell. Faces between two electrolyte cells have g = 1, faces
// touching metal 0 (no flux into the deposit but through the interface sink); metal cells
// are decoupled rows c = 0 with a small diagonal: multigrid's Galerkin coarse operators sum
// their children's rows, and a diagonal of 1 (a face's worth) made every coarse cell at the
// surface a strong sink, which took the solves from about 6 to 25 iterations. The interface sink is the consumption per unit area:
//   Cu²⁺: i/(nF) = [i_sup + (i_acc − i_sup) θ] c/(nF c_bulk) → s = sink_cu i(θ),
//   accelerator: Γ k c (1 − θ − θ_L)                        → s = sink_acc (1 − θ − θ_L),
//   leveler: Γ k_L c (1 − θ_L)                              → s = sink_lev (1 − θ_L),
// with A the cell's interface area in faces. Accelerator that saturated cells released
// (adsorb.wgsl's `excess`) returns to the cell as a source; where such a cell has turned
// metal since (the front passes an interface cell within a step or two, before the next
// solve), its release is shared equally among its electrolyte face neighbours (until
// 2026-12-07 it was dropped; it still is where no face neighbour is left electrolyte, in a
// pocket that closed within the interval). The top face closes the box with the exact
// steady solution of the diffusion layer above it: flux D (c_bulk − c)/L across the
// layer's remaining thickness L, a conductance Δx/(Δx/2 + L) to the bulk.
//
// The solver's unknown is the step's change δ = c − c_old, so b is the residual of c_old,
// b − A c_old: its relative tolerance then applies to this step's change, not to c, and
// what a loose tolerance leaves is in the next step's residual instead of lost (solved for
// c itself, changes below the tolerance were never made, and c drifted). Each solve starts
// from δ = 0 (a solver for corrections). species_update.wgsl adds δ to c.
//
// The residual is summed from differences, Σ g (c_nb − c_old) − s A c_old + source +
// robin (c_bulk − c_old), the time term's (c_old − c_old) left out: formed as
// rhs − d c_old + Σ c_nb in f32, the time term (Δx²/(DΔt), 3e-8 at 1.25 nm and 0.1 s) fell
// below the rounding of d ≈ 4, so every cell kept a source of that size times c_old, and
// the Cu²⁺ rose 0.8 % above its bulk value over the 680 rows of FiPy's trench at 1.25 nm.
#include "common/grid.wgsl"
#include "superfill/include/params.wgsl"

override SPECIES: u32 = 0u;

// Diagonal of a metal cell's decoupled row (c = 0 there).
const METAL_DIAGONAL: f32 = 1e-3;

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> phi: array<f32>;
@group(0) @binding(3) var<storage, read> area: array<f32>;
@group(0) @binding(4) var<storage, read> theta_cell: array<f32>;
@group(0) @binding(5) var<storage, read> c_old: array<f32>;
@group(0) @binding(6) var<storage, read> excess: array<f32>;
@group(0) @binding(7) var<storage, read_write> gx: array<f32>;
@group(0) @binding(8) var<storage, read_write> gy: array<f32>;
@group(0) @binding(9) var<storage, read_write> gz: array<f32>;
@group(0) @binding(10) var<storage, read_write> diag: array<f32>;
@group(0) @binding(11) var<storage, read_write> b: array<f32>;
@group(0) @binding(12) var<storage, read> theta_lev_cell: array<f32>;
// What diag holds beyond the face count: the CG applies the operator from it in difference
// form (solvers/include/apply_split.wgsl), since in f32 diag rounds a time term far below
// the face count away (a few per cent of 6e-6 beside 4 faces), the same in every cell.
@group(0) @binding(13) var<storage, read_write> rest: array<f32>;

// `c` moved one cell along `axis` (towards +axis if `up`), to local index `j`.
fn moved(c: Cell, axis: u32, up: bool, j: u32) -> Cell {
    var m = c;
    let delta = select(0xffffffffu, 1u, up);
    if (axis == 0u) {
        m.x += delta;
    } else if (axis == 1u) {
        m.y += delta;
    } else {
        m.z += delta;
    }
    m.local = j;
    return m;
}

// The electrolyte cells among the face neighbours of cell `c`: those that share a metal
// cell's pending release (the relation is symmetric, so the shares add up to the release).
fn electrolyte_neighbours(c: Cell, dims: u32) -> f32 {
    var n = 0.0;
    for (var a = 0u; a < dims; a++) {
        for (var s = 0u; s < 2u; s++) {
            let k = neighbour(c, a, s == 1u, false);
            if (k >= 0 && phi[u32(k)] > 0.0) {
                n += 1.0;
            }
        }
    }
    return n;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let i = c.local;
    var up = vec3<f32>(0.0);
    if (phi[i] <= 0.0) {
        gx[i] = 0.0;
        gy[i] = 0.0;
        gz[i] = 0.0;
        diag[i] = METAL_DIAGONAL;
        rest[i] = METAL_DIAGONAL;
        b[i] = -METAL_DIAGONAL * c_old[i];
        return;
    }
    let dims = select(2u, 3u, is_3d());
    let here = c_old[i];
    var d = 0.0;
    var inflow = 0.0;
    // Releases pending in metal neighbours, this cell's share (accelerator only).
    var released = 0.0;
    for (var a = 0u; a < dims; a++) {
        for (var s = 0u; s < 2u; s++) {
            let j = neighbour(c, a, s == 1u, false);
            if (j < 0) {
                continue;
            }
            let k = u32(j);
            if (phi[k] > 0.0) {
                d += 1.0;
                inflow += c_old[k] - here;
                if (s == 1u) {
                    up[a] = 1.0;
                }
            } else if (SPECIES == 1u && excess[k] != 0.0) {
                released += excess[k] / electrolyte_neighbours(moved(c, a, s == 1u, k), dims);
            }
        }
    }
    let theta = min(theta_cell[i], 1.0);
    let theta_lev = min(theta_lev_cell[i], 1.0);
    var cap: f32;
    var bulk: f32;
    var sink: f32;
    var source = 0.0;
    if (SPECIES == 0u) {
        cap = p.cap_cu;
        bulk = p.cu_bulk;
        sink = p.sink_cu * (p.i_sup + (p.i_acc - p.i_sup) * theta) * area[i];
    } else if (SPECIES == 1u) {
        cap = p.cap_acc;
        bulk = p.acc_bulk;
        sink = p.sink_acc * max(1.0 - theta - theta_lev, 0.0) * area[i];
        source = p.src_acc * (excess[i] + released);
    } else {
        cap = p.cap_lev;
        bulk = p.lev_bulk;
        sink = p.sink_lev * (1.0 - theta_lev) * area[i];
    }
    var own = sink + cap;
    var residual = inflow - sink * here + source;
    let vertical = dims - 1u;
    if (axis_coord(c, vertical) + 1u == axis_len(vertical)) {
        own += p.robin_top;
        residual += p.robin_top * (bulk - here);
    }
    gx[i] = up.x;
    gy[i] = up.y;
    gz[i] = up.z;
    diag[i] = d + own;
    rest[i] = own;
    b[i] = residual;
}
