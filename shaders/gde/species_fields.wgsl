// Concentration (mol/m³) of every cell, and the flux through its low face along
// `p.flux_axis` (scaled lattice units per step, positive towards +axis), from the D3Q7
// populations in the normal state (after an odd step). In that state slot i of a cell holds
// the population that has just crossed its face against direction i, so a face flux is the
// difference of two stored numbers. An open face returned g_in = -g_out + 2 w c_face, so
// there the flux is 2 g_in - 2 w c_face.
#include "gde/include/lattice.wgsl"
#include "gde/include/d3q7.wgsl"
#include "gde/include/species_params.wgsl"

@group(0) @binding(10) var<storage, read_write> conc_out: array<f32>;
@group(0) @binding(11) var<storage, read_write> flux_out: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    var total = 0;
    var flux = 0;
    if (label[c.local] == LABEL_PORE) {
        for (var i = 0u; i < Q; i++) {
            total += load(i, c.local);
        }
        let up = 2u * p.flux_axis + 1u;
        let d = direction(up);
        let behind = neighbour_of(c, -d);
        let arrived = load(up, c.local);
        if (is_pore(behind)) {
            flux = arrived - load(up + 1u, u32(behind));
        } else if (behind < NB_WALL) {
            let axis = open_axis(behind);
            let cw = select(p.open_lo[axis], p.open_hi[axis], open_is_high(behind));
            flux = 2 * arrived - to_fixed(2.0 * W[up] * cw);
        }
    }
    // Integer differences up to 2^24 are exact in f32, so plane sums of fluxes are exact.
    conc_out[c.local] = f32(total) * FIXED_STEP * p.scale.y;
    flux_out[c.local] = f32(flux) * FIXED_STEP;
}
