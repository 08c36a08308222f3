// The Li chemical potential w recovered from the conserved Li content ρ and the phase field,
// ρ = (1-h) c_l(w) + dv h c_s(w) (Hong & Viswanathan 2018), for the explicit step
// (dendrite/step.wgsl), which calls it once per cell on the η and ρ it has just computed.
// Requires dendrite/include/phase_field.wgsl and the step's parameters `p`
// (dendrite/include/dendrite_params.wgsl).

// w for Li content `rho` at h = h(η) (clamped to [0, 1]), starting from the cell's previous w.
fn chemical_potential(rho: f32, h: f32, w_old: f32) -> f32 {
    if (1.0 - h > 0.5) {
        // Mostly electrolyte: c_s(w) = 1 - O(1e-6), so c_l follows in closed form.
        let cs = site_fraction(w_old, EPSILON_SOLID);
        let c = clamp((rho - p.site_ratio * h * cs) / (1.0 - h), 1e-12, 1.0 - 1e-7);
        return p.eps_liquid + log(c / (1.0 - c));
    }
    // Interface and metal: solve ρ(w) = ρ_cell by Newton's method safeguarded with bisection
    // (ρ increases with w). A Li deficit in the metal shows as w << 0, where c_s(w) < 1,
    // instead of a clamped, non-conserving c_l.
    var lo = -40.0;
    var hi = 30.0;
    var w = clamp(w_old, lo, hi);
    for (var k = 0; k < 40; k++) {
        let c_l = site_fraction(w, p.eps_liquid);
        let c_s = site_fraction(w, EPSILON_SOLID);
        let f = li_content(h, c_l, c_s, p.site_ratio) - rho;
        if (f > 0.0) { hi = w; } else { lo = w; }
        let df = li_capacity(h, c_l, c_s, p.site_ratio);
        var next = w - f / max(df, 1e-30);
        if (!(next > lo && next < hi)) {
            next = 0.5 * (lo + hi);
        }
        if (abs(next - w) < 1e-5) {
            return next;
        }
        w = next;
    }
    return w;
}
