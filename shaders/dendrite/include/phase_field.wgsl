// Interpolation and double-well functions of the phase-field models, and the electrolyte /
// metal site fractions of the grand-potential Li model (Hong & Viswanathan 2018).

// h(η) = η³(6η² - 15η + 10): 0 in the electrolyte, 1 in the metal.
fn interp_h(eta: f32) -> f32 {
    return eta * eta * eta * (6.0 * eta * eta - 15.0 * eta + 10.0);
}

// h'(η) = 30 η² (1 - η)².
fn interp_dh(eta: f32) -> f32 {
    let a = eta * (1.0 - eta);
    return 30.0 * a * a;
}

// d/dη of W η²(1 - η)².
fn double_well_slope(eta: f32, w: f32) -> f32 {
    return 2.0 * w * eta * (1.0 - eta) * (1.0 - 2.0 * eta);
}

// Site fraction c = 1 / (1 + exp(ε - w)).
fn site_fraction(w: f32, eps: f32) -> f32 {
    return 1.0 / (1.0 + exp(eps - w));
}

const EPSILON_SOLID: f32 = -13.8;

// A cell's Li mobility D (1-h) c_l: the electrolyte's diffusivity times the liquid's share of
// the sites. Hong's kernels interpolate the diffusivity too, D (1-h)² c_l. With that extra
// factor, Li cannot reach the metal side of a moving interface fast enough: the new metal
// keeps a Li deficit (10 % at -0.45 V, converged), and resolving it takes cells of 0.03 µm
// (docs/models/dendrite.md, "Thin-interface mobility").
fn li_cell_mobility(h: f32, cl: f32, diffusivity: f32) -> f32 {
    return diffusivity * (1.0 - h) * cl;
}

// A cell's Li content ρ = (1-h) c_l + dv h c_s, in electrolyte site fractions.
fn li_content(h: f32, cl: f32, cs: f32, site_ratio: f32) -> f32 {
    return (1.0 - h) * cl + site_ratio * h * cs;
}

// A cell's Li capacity χ = dρ/dw (ρ as li_content).
fn li_capacity(h: f32, cl: f32, cs: f32, site_ratio: f32) -> f32 {
    return (1.0 - h) * cl * (1.0 - cl) + site_ratio * h * cs * (1.0 - cs);
}
