//! The one place where the dendrite model's SI parameters become model numbers.
//!
//! Model units follow Hong & Viswanathan (ACS Energy Lett. 3, 1737, 2018, SI input file):
//! length in µm, time in s, potential in V, Li content as a site fraction of the electrolyte's
//! Li sites, and energy density in units of e0 = R T C_l, where C_l is the electrolyte's
//! Li-site density (mol/m³). With the default SI parameters these numbers reproduce Hong's
//! input (κ 0.3, L 6.25, L_η 0.001, W 2.4, M0 317.9, S1 1e6, S2 1.19, AA 38.69, dv 5.5,
//! ft2 0.0074, c_l(w = 0) = 1/14.89); tests/dendrite_verification.rs checks that.

use super::params::DendriteParams;
pub use crate::constants::{FARADAY, GAS_CONSTANT};

/// Model length unit in metres.
pub const LENGTH_M: f64 = 1e-6;
/// Chemical-potential offset of the metal (Hong's es): c_s(w = 0) = 1 - 1e-6.
pub const EPSILON_SOLID: f64 = -13.8;

/// Model numbers of one scenario (f64 here; the shader gets f32 copies).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelNumbers {
    /// Cell size, µm.
    pub dx: f64,
    /// Gradient coefficient κ (e0 µm²).
    pub kappa: f64,
    /// Double-well height W (Hong's B), e0.
    pub barrier: f64,
    /// Allen-Cahn mobility L, 1/(e0 s).
    pub mobility: f64,
    /// Butler-Volmer kinetic coefficient L_η, 1/s.
    pub kinetic: f64,
    pub alpha: f64,
    /// nF/RT, 1/V.
    pub f_over_rt: f64,
    /// Li-ion diffusivity M0, µm²/s.
    pub diffusivity: f64,
    /// Electrode and electrolyte conductivities, S/m.
    pub sigma_electrode: f64,
    pub sigma_electrolyte: f64,
    /// Metal/electrolyte site-density ratio dv.
    pub site_ratio: f64,
    /// Charge-equation source factor ft2 = n F C_metal × 1e-12 (S/m · V/µm² per 1/s).
    pub charge_source: f64,
    /// Electrolyte chemical-potential offset ε_l: c_l(w = 0) is the bulk site fraction.
    pub epsilon_liquid: f64,
    /// Bulk and reference (BV) concentrations as electrolyte site fractions.
    pub bulk_fraction: f64,
    pub reference_fraction: f64,
    /// Interface half-width parameter ℓ = sqrt(κ / 2W), µm: η = ½[1 - tanh((x - x_f)/(2ℓ))].
    pub interface_length: f64,
    /// Noise: standard deviation of η increments per sqrt(s).
    pub noise: f64,
    pub voltage: f64,
}

impl ModelNumbers {
    pub fn from_params(p: &DendriteParams, dx_m: f64) -> ModelNumbers {
        let e0 = GAS_CONSTANT * p.temperature_k * p.electrolyte_site_density_mol_m3;
        let l2 = LENGTH_M * LENGTH_M;
        let kappa = p.gradient_coefficient_j_m / (e0 * l2);
        let barrier = p.barrier_height_j_m3 / e0;
        let bulk = p.bulk_concentration_mol_m3 / p.electrolyte_site_density_mol_m3;
        ModelNumbers {
            dx: dx_m / LENGTH_M,
            kappa,
            barrier,
            mobility: p.interface_mobility_m3_j_s * e0,
            kinetic: p.exchange_current_coefficient_1_s,
            alpha: p.transfer_coefficient,
            f_over_rt: p.charge_number * FARADAY / (GAS_CONSTANT * p.temperature_k),
            diffusivity: p.li_diffusivity_m2_s / l2,
            sigma_electrode: p.electrode_conductivity_s_m,
            sigma_electrolyte: p.electrolyte_conductivity_s_m,
            site_ratio: p.site_density_ratio,
            charge_source: p.charge_number * FARADAY * p.metal_site_density_mol_m3 * l2,
            epsilon_liquid: ((1.0 - bulk) / bulk).ln(),
            bulk_fraction: bulk,
            reference_fraction: p.reference_concentration_mol_m3
                / p.electrolyte_site_density_mol_m3,
            interface_length: (kappa / (2.0 * barrier)).sqrt(),
            noise: p.noise_strength_1_sqrt_s,
            voltage: p.applied_voltage_v,
        }
    }

    /// Electrolyte site fraction at chemical potential w.
    pub fn c_liquid(&self, w: f64) -> f64 {
        1.0 / (1.0 + (self.epsilon_liquid - w).exp())
    }

    /// Metal site fraction at chemical potential w.
    pub fn c_solid(&self, w: f64) -> f64 {
        1.0 / (1.0 + (EPSILON_SOLID - w).exp())
    }

    /// Interpolation h(η) = η³(6η² - 15η + 10).
    pub fn h(eta: f64) -> f64 {
        eta * eta * eta * (6.0 * eta * eta - 15.0 * eta + 10.0)
    }

    /// Li content (site fraction of electrolyte sites) of a cell: (1-h) c_l + dv h c_s.
    pub fn li_density(&self, eta: f64, w: f64) -> f64 {
        let h = Self::h(eta);
        (1.0 - h) * self.c_liquid(w) + self.site_ratio * h * self.c_solid(w)
    }

    /// Equilibrium planar profile with the front at `front` (µm).
    pub fn planar_eta(&self, x: f64, front: f64) -> f64 {
        0.5 * (1.0 - ((x - front) / (2.0 * self.interface_length)).tanh())
    }
}
