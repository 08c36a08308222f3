// Adds the concentration solves' changes to Cu²⁺, the accelerator and the leveler (the
// solves are for
// the step's change δ, species_setup.wgsl). Metal holds none: its cells are set to 0, where
// a loosely converged solve would leave what the cell held before it turned metal. In a
// closing void the species runs out within a step or two, and conjugate gradients may
// overshoot there to a slightly negative value (−1.2 mol/m³ of Cu²⁺ seen at the default
// tolerance); concentrations are kept at or above 0.
#include "common/grid.wgsl"

@group(0) @binding(1) var<storage, read> phi: array<f32>;
@group(0) @binding(2) var<storage, read> delta_cu: array<f32>;
@group(0) @binding(3) var<storage, read> delta_acc: array<f32>;
@group(0) @binding(4) var<storage, read_write> c_cu: array<f32>;
@group(0) @binding(5) var<storage, read_write> c_acc: array<f32>;
@group(0) @binding(6) var<storage, read> delta_lev: array<f32>;
@group(0) @binding(7) var<storage, read_write> c_lev: array<f32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    let i = c.local;
    let electrolyte = phi[i] > 0.0;
    c_cu[i] = select(0.0, max(c_cu[i] + delta_cu[i], 0.0), electrolyte);
    c_acc[i] = select(0.0, max(c_acc[i] + delta_acc[i], 0.0), electrolyte);
    c_lev[i] = select(0.0, max(c_lev[i] + delta_lev[i], 0.0), electrolyte);
}
