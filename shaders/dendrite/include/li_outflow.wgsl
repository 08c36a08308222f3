// ρ's fixed-point scale and the split of a face's Li outflow into exactly cancelling whole
// units and a carried fraction, shared by the explicit step (dendrite/step.wgsl) and the
// implicit Li update (dendrite/li_update.wgsl). Requires the step's parameters `p`
// (dendrite/include/dendrite_params.wgsl).

const RHO_SCALE: f32 = 16777216.0; // 2^24

// Adds a face's outflow over one step, in units of ρ's fixed-point copy, as whole units and
// a fraction. Both cells of a face compute the same |x| (the flux is exactly antisymmetric
// and rounding is symmetric), so whole units cancel exactly in the total.
fn add_outflow(flux: f32, units: ptr<function, i32>, fraction: ptr<function, f32>) {
    let x = flux * (p.dt / p.dx * RHO_SCALE);
    let whole = round(x);
    *units += i32(whole);
    *fraction += x - whole;
}
