// ρ's fixed-point scale, the split of a face's Li outflow into exactly cancelling whole
// units and a carried fraction, and its application to ρ's master copy, shared by the
// explicit step (dendrite/step.wgsl) and the implicit Li update (dendrite/li_update.wgsl).
// Requires the step's parameters `p` (dendrite/include/dendrite_params.wgsl) and the
// bindings `rho_fixed` and `rho_remainder`.

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

// Takes a cell's summed outflow (whole units and fraction) from ρ's fixed-point master copy,
// carrying the new rounding remainder, and returns the new ρ.
fn apply_outflow(i: u32, units: i32, fraction: f32) -> f32 {
    let scaled = rho_remainder[i] - fraction;
    let whole = round(scaled);
    rho_remainder[i] = scaled - whole;
    let rho_new = rho_fixed[i] - units + i32(whole);
    rho_fixed[i] = rho_new;
    return f32(rho_new) / RHO_SCALE;
}
