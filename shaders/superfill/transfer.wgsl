// Moves the surface accelerator with the interface, conserving it exactly. A cell holding
// an amount that is no longer an interface cell (it turned metal) hands it to its face
// neighbours that are interface cells now, in proportion to max(n·e, 0) + 0.05 (n the unit
// normal at the giver, pointing into the electrolyte: the way the surface went), in i32
// fixed point with the last receiver taking the remainder, so the shares add up to the
// amount exactly. Every receiver recomputes the giver's shares from the same inputs, so
// giver and receivers agree bit for bit. A giver with no receiver keeps its amount. The
// area and φ are the moved interface's (interface.wgsl ran on them). Shrinking or growing
// surfaces change θ through the area under a fixed amount: the κvθ term of the coverage
// equation, exactly.
#include "common/grid.wgsl"
#include "superfill/include/params.wgsl"

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read> phi: array<f32>;
@group(0) @binding(3) var<storage, read> area: array<f32>;
@group(0) @binding(4) var<storage, read> amount_in: array<i32>;
@group(0) @binding(5) var<storage, read_write> amount_out: array<i32>;

fn level(j: u32) -> f32 {
    return phi[j];
}

#include "superfill/include/stencil.wgsl"

// Weight of the receiver along `axis` (towards + if `up`) for a giver with normal n.
fn weight(n: vec3<f32>, axis: u32, up: bool) -> f32 {
    return max(select(-n[axis], n[axis], up), 0.0) + 0.05;
}

// How many interface cells neighbour g, and their total weight.
fn receivers(g: Cell, n: vec3<f32>) -> vec2<f32> {
    var count = 0.0;
    var total = 0.0;
    for (var a = 0u; a < dims(); a++) {
        for (var s = 0u; s < 2u; s++) {
            let k = neighbour(g, a, s == 1u, false);
            if (k >= 0 && area[u32(k)] > 0.0) {
                count += 1.0;
                total += weight(n, a, s == 1u);
            }
        }
    }
    return vec2<f32>(count, total);
}

// The share of giver g's amount that goes to the receiver at local index `to`.
fn share(g: Cell, to: u32) -> i32 {
    let m = amount_in[g.local];
    let n = unit_normal(g);
    let r = receivers(g, n);
    var given = 0;
    var seen = 0.0;
    for (var a = 0u; a < dims(); a++) {
        for (var s = 0u; s < 2u; s++) {
            let k = neighbour(g, a, s == 1u, false);
            if (k < 0 || area[u32(k)] <= 0.0) {
                continue;
            }
            seen += 1.0;
            var part = m - given;
            if (seen < r.x) {
                part = i32(floor(f32(m) * weight(n, a, s == 1u) / r.y));
            }
            given += part;
            if (u32(k) == to) {
                return part;
            }
        }
    }
    return 0;
}

fn gives(g: Cell) -> bool {
    return amount_in[g.local] != 0 && area[g.local] <= 0.0 && receivers(g, unit_normal(g)).x > 0.0;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let i = c.local;
    var m = select(amount_in[i], 0, gives(c));
    if (area[i] > 0.0) {
        for (var a = 0u; a < dims(); a++) {
            for (var s = 0u; s < 2u; s++) {
                if (neighbour(c, a, s == 1u, false) < 0) {
                    continue;
                }
                let g = shifted(c, a, s == 1u);
                if (gives(g)) {
                    m += share(g, i);
                }
            }
        }
    }
    amount_out[i] = m;
}
