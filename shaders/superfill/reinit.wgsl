// The reinitialisation of φ to a signed distance,
//   ∂φ/∂τ + S(φ0) (|∇φ| − 1) = 0,
// with second-order ENO Godunov differences (include/stencil.wgsl) away from the interface
// and Russo & Smereka's sub-cell fix (J. Comput. Phys. 163, 51 (2000)) next to it: a cell
// with a neighbour across the zero level takes φ0/|∇φ0|, its distance to the interface as
// φ0 locates it, at once. Those cells never move the zero level, and the rest of the band
// relaxes to distances measured from them. φ0 is the level set before the reinitialisation.
//   start: from φ0 (in phi_in), what every sweep needs of it, in `fixed`: a cell next to
//          the interface gets its distance φ0/|∇φ0|, any other cell the infinity of φ0's
//          sign. The sweeps then read one value of φ0 instead of a cell and its
//          neighbours, and compute the fix once instead of at every sweep.
//   main:  one sweep, phi_in to phi_out.
#include "common/grid.wgsl"
#include "common/float.wgsl"
#include "superfill/include/params.wgsl"

@group(0) @binding(1) var<storage, read> p: StepParams;
@group(0) @binding(2) var<storage, read_write> fixed: array<f32>;
@group(0) @binding(3) var<storage, read> phi_in: array<f32>;
@group(0) @binding(4) var<storage, read_write> phi_out: array<f32>;

fn level(j: u32) -> f32 {
    return phi_in[j];
}

#include "superfill/include/stencil.wgsl"

// |∇φ0| at a cell next to the interface (φ0 in phi_in): per axis the central difference, or
// the larger one-sided difference where the central one is much smaller (a kink between two
// fronts).
fn initial_slope(c: Cell) -> f32 {
    var s = 0.0;
    for (var a = 0u; a < dims(); a++) {
        let o = phi_in[c.local];
        let fwd = phi_in[mirror_index(c, a, 1)] - o;
        let back = o - phi_in[mirror_index(c, a, -1)];
        var g = 0.5 * (fwd + back);
        let one_sided = max(abs(fwd), abs(back));
        if (abs(g) < 0.5 * one_sided) {
            g = one_sided;
        }
        s += g * g;
    }
    return sqrt(s) * p.inv_dx;
}

// Whether a face neighbour lies across φ0's zero level (φ0 in phi_in).
fn crosses(c: Cell) -> bool {
    let o = phi_in[c.local];
    for (var a = 0u; a < dims(); a++) {
        for (var s = 0u; s < 2u; s++) {
            let j = neighbour(c, a, s == 1u, false);
            if (j >= 0 && (phi_in[u32(j)] > 0.0) != (o > 0.0)) {
                return true;
            }
        }
    }
    return false;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn start(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let o = phi_in[c.local];
    let far = bitcast<f32>(select(0xff800000u, 0x7f800000u, o > 0.0));
    fixed[c.local] = select(far, o / max(initial_slope(c), 1e-6), crosses(c));
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let i = c.local;
    let f = fixed[i];
    var next: f32;
    if (is_finite_f32(f)) {
        next = f;
    } else {
        let outward = f > 0.0;
        let grad = godunov_gradient(c, outward);
        let sign = select(-1.0, 1.0, outward);
        next = phi_in[i] - p.dtau * p.dx * sign * (grad - 1.0);
    }
    phi_out[i] = clamp(next, -p.band, p.band);
}
