//! The one place where the gde model converts between SI units and lattice units.
//!
//! Flow (D3Q19): the voxel size dx and the relaxation time τ fix the time step through the
//! viscosity, ν_lu = (τ − ½)/3 = ν·dt/dx². A pressure gradient G (Pa/m) becomes the lattice
//! force density G·dt²/(ρ·dx); velocities scale by dx/dt and pressure by ρ·(dx/dt)²; a lattice
//! permeability by dx².
//! Species (D3Q7): D_lu = (τ − ½)/4 = D·dt/dx² fixes the species time step; a first-order
//! surface rate constant k (m/s) becomes k·dt/dx; a lattice flux (per face and step, in
//! concentrations scaled by c_ref) becomes mol/(m²·s) times c_ref·dx/dt.

pub use crate::constants::{FARADAY, GAS_CONSTANT};

/// Largest lattice Mach number (u / c_s) a flow solve may reach.
pub const MACH_LIMIT: f64 = 0.3;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlowUnits {
    pub dx: f64,
    pub dt: f64,
    pub tau: f64,
    pub density: f64,
}

impl FlowUnits {
    pub fn new(dx: f64, kinematic_viscosity: f64, tau: f64, density: f64) -> FlowUnits {
        let nu_lu = (tau - 0.5) / 3.0;
        FlowUnits {
            dx,
            dt: nu_lu * dx * dx / kinematic_viscosity,
            tau,
            density,
        }
    }

    pub fn nu_lu(&self) -> f64 {
        (self.tau - 0.5) / 3.0
    }

    /// Lattice force density for a pressure gradient (Pa/m).
    pub fn force_lu(&self, gradient_pa_m: f64) -> f64 {
        gradient_pa_m * self.dt * self.dt / (self.density * self.dx)
    }

    /// m/s per lattice velocity.
    pub fn velocity_scale(&self) -> f64 {
        self.dx / self.dt
    }

    /// Largest speed (m/s) before the lattice Mach number u/c_s passes MACH_LIMIT (c_s² = 1/3).
    pub fn speed_limit(&self) -> f64 {
        MACH_LIMIT / 3f64.sqrt() * self.velocity_scale()
    }

    /// Pa per unit of lattice density deviation (p = c_s² ρ, c_s² = 1/3).
    pub fn pressure_scale(&self) -> f64 {
        self.density * self.velocity_scale().powi(2) / 3.0
    }

    pub fn permeability_m2(&self, k_lu: f64) -> f64 {
        k_lu * self.dx * self.dx
    }

    /// TRT antisymmetric rate for the magic parameter Λ = (1/ω⁺ − ½)(1/ω⁻ − ½).
    pub fn omega_minus(&self, lambda: f64) -> f64 {
        1.0 / (0.5 + lambda / (self.tau - 0.5))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpeciesUnits {
    pub dx: f64,
    pub dt: f64,
    pub tau: f64,
    pub diffusivity: f64,
}

impl SpeciesUnits {
    pub fn new(dx: f64, diffusivity: f64, tau: f64) -> SpeciesUnits {
        let d_lu = (tau - 0.5) / 4.0;
        SpeciesUnits {
            dx,
            dt: d_lu * dx * dx / diffusivity,
            tau,
            diffusivity,
        }
    }

    pub fn d_lu(&self) -> f64 {
        (self.tau - 0.5) / 4.0
    }

    /// Relaxation rate (TRT antisymmetric, 1/τ) for a local diffusivity (m²/s).
    pub fn omega_for(&self, diffusivity: f64) -> f64 {
        1.0 / (0.5 + 4.0 * diffusivity * self.dt / (self.dx * self.dx))
    }

    /// A surface rate constant (m/s) in lattice units.
    pub fn rate_lu(&self, k_m_s: f64) -> f64 {
        k_m_s * self.dt / self.dx
    }

    /// mol/(m² s) per lattice face flux of unit scaled concentration.
    pub fn flux_scale(&self, c_ref: f64) -> f64 {
        c_ref * self.dx / self.dt
    }

    /// m/s to lattice velocity.
    pub fn velocity_lu(&self, u_m_s: f64) -> f64 {
        u_m_s * self.dt / self.dx
    }
}

/// Return factor of the link-wise reactive wall for D3Q7 (lbm.md §4): a population w·… that
/// meets a first-order wall with lattice rate k comes back scaled by (2w − k)/(2w + k);
/// k = 0 is bounce-back, k → ∞ anti-bounce-back with zero wall concentration.
pub fn reactive_return(k_lu: f64) -> f64 {
    let w = 0.125;
    if k_lu.is_infinite() {
        -1.0
    } else {
        (2.0 * w - k_lu) / (2.0 * w + k_lu)
    }
}

/// Knudsen diffusivity (m²/s) in a pore of diameter d (m): D_K = (d/3)·sqrt(8RT/(πM)).
pub fn knudsen_diffusivity(d: f64, temperature_k: f64, molar_mass_kg_mol: f64) -> f64 {
    d / 3.0
        * (8.0 * GAS_CONSTANT * temperature_k / (std::f64::consts::PI * molar_mass_kg_mol)).sqrt()
}

/// Bosanquet combination of molecular and Knudsen diffusion: 1/D = 1/D_m + 1/D_K.
pub fn bosanquet(d_molecular: f64, d_knudsen: f64) -> f64 {
    1.0 / (1.0 / d_molecular + 1.0 / d_knudsen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_conversion_round_trips() {
        // Air, 2 µm voxels, tau = 1: dt = (0.5/3)·(2e-6)²/1.5e-5 = 4.444e-8 s.
        let u = FlowUnits::new(2e-6, 1.5e-5, 1.0, 1.2);
        assert!((u.dt - 4.4444e-8).abs() < 1e-11);
        // Poiseuille between plates: u_mean = G h²/(12 μ), in both unit systems.
        let (g, h) = (1e4, 16e-6);
        let mean_si = g * h * h / (12.0 * 1.2 * 1.5e-5);
        let h_lu = h / u.dx;
        let mean_lu = u.force_lu(g) * h_lu * h_lu / (12.0 * u.nu_lu());
        assert!((mean_lu * u.velocity_scale() / mean_si - 1.0).abs() < 1e-12);
        // The TRT rate pair satisfies Λ = 3/16.
        let lambda = (1.0 / 1.0 - 0.5) * (1.0 / u.omega_minus(3.0 / 16.0) - 0.5);
        assert!((lambda - 3.0 / 16.0).abs() < 1e-15);
    }

    #[test]
    fn species_conversion_round_trips() {
        let s = SpeciesUnits::new(1e-6, 2e-5, 1.0);
        assert!((s.d_lu() * s.dx * s.dx / s.dt - 2e-5).abs() < 1e-18);
        assert!((s.omega_for(2e-5) - 1.0).abs() < 1e-12);
        // A slab flux c0/(L/D + 1/k) is the same in SI and lattice units.
        let (c0, l, k) = (8.0, 20e-6, 0.5);
        let si = c0 / (l / 2e-5 + 1.0 / k);
        let lu = 1.0 / (l / s.dx / s.d_lu() + 1.0 / s.rate_lu(k));
        assert!((lu * s.flux_scale(c0) / si - 1.0).abs() < 1e-12);
        assert_eq!(reactive_return(0.0), 1.0);
        assert_eq!(reactive_return(f64::INFINITY), -1.0);
    }

    #[test]
    fn knudsen_numbers_match_lbm_md() {
        // O2 at 80 °C in a 50 nm pore: 8.1e-6 m²/s (lbm.md §5).
        let d = knudsen_diffusivity(50e-9, 353.15, 0.032);
        assert!((d / 8.1e-6 - 1.0).abs() < 0.01, "{d}");
        assert!((bosanquet(2e-5, 2e-5) - 1e-5).abs() < 1e-18);
    }
}
