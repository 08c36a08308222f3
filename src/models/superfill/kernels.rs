//! The superfill model's GPU stages (shaders/superfill/, one file each) and their step
//! parameters: the only place where the parameters become the kernels' model units.

use anyhow::Result;
use bytemuck::{Pod, Zeroable};

use super::params::{robin_conductance, SuperfillParams};
use crate::constants::FARADAY;
use crate::gpu::{Domain, Gpu, Kernel};
use crate::grid::Grid;

/// Fixed-point scale of the surface accelerator amounts (`M_SCALE` of
/// shaders/superfill/include/params.wgsl): θ × interface area (cell faces) × 2^27.
pub const M_SCALE: f64 = 134_217_728.0;

/// Reinitialisation pseudo-time step in cells, by dimension (Godunov's scheme is stable to
/// 1/√d; these keep a margin).
pub fn reinit_dtau(three_d: bool) -> f64 {
    if three_d {
        0.3
    } else {
        0.45
    }
}

/// `StepParams` of shaders/superfill/include/params.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, Default)]
pub struct StepParams {
    dx: f32,
    inv_dx: f32,
    dt: f32,
    band: f32,
    vel_scale: f32,
    i_sup: f32,
    i_acc: f32,
    inv_cu_bulk: f32,
    k_ads: f32,
    dtau: f32,
    sink_cu: f32,
    sink_acc: f32,
    cap_cu: f32,
    cap_acc: f32,
    src_acc: f32,
    robin_top: f32,
    cu_bulk: f32,
    acc_bulk: f32,
    k_lev: f32,
    lev_burial: f32,
    consumption: f32,
    consumption_order: f32,
    sink_lev: f32,
    cap_lev: f32,
    lev_bulk: f32,
    solve_dt: f32,
}

impl StepParams {
    /// The parameters of a step of `dt` seconds, with `layer_left` metres of diffusion
    /// layer between the box top and the bulk. `solve_dt` is the time the species solves
    /// advance the solution over: the steps since the last solve (`species_every` of them),
    /// while `dt` moves the surface by one step.
    pub fn new(
        p: &SuperfillParams,
        grid: &Grid,
        dt: f64,
        solve_dt: f64,
        layer_left: f64,
    ) -> StepParams {
        let dx = grid.dx;
        let (i_sup, i_acc) = p.currents();
        let lev = &p.leveler;
        StepParams {
            dx: dx as f32,
            inv_dx: (1.0 / dx) as f32,
            dt: dt as f32,
            band: (p.band_cells * dx) as f32,
            vel_scale: p.velocity_per_current() as f32,
            i_sup: i_sup as f32,
            i_acc: i_acc as f32,
            inv_cu_bulk: (1.0 / p.cu_bulk) as f32,
            k_ads: p.adsorption_rate() as f32,
            dtau: reinit_dtau(grid.is_3d()) as f32,
            // i/(nF) per unit current and concentration, times Δx/D: species_setup.wgsl.
            sink_cu: (dx / (p.ion_charge * FARADAY * p.cu_bulk * p.cu_diffusivity)) as f32,
            sink_acc: (p.adsorption_rate() * p.site_density * dx / p.acc_diffusivity) as f32,
            cap_cu: (dx * dx / (p.cu_diffusivity * solve_dt)) as f32,
            cap_acc: (dx * dx / (p.acc_diffusivity * solve_dt)) as f32,
            src_acc: (p.site_density * dx / (p.acc_diffusivity * solve_dt)) as f32,
            robin_top: robin_conductance(dx, layer_left) as f32,
            cu_bulk: p.cu_bulk as f32,
            acc_bulk: p.acc_bulk as f32,
            k_lev: lev.rate as f32,
            lev_burial: lev.burial as f32,
            consumption: p.consumption as f32,
            consumption_order: p.consumption_order as f32,
            sink_lev: (lev.rate * p.site_density * dx / lev.diffusivity) as f32,
            cap_lev: (dx * dx / (lev.diffusivity * solve_dt)) as f32,
            lev_bulk: lev.bulk as f32,
            solve_dt: solve_dt as f32,
        }
    }
}

/// Every pipeline of the model.
pub struct Kernels {
    pub interface: Kernel,
    pub coverage: Kernel,
    /// extend.wgsl without and with the deposited-volume tally.
    pub extend: [Kernel; 2],
    /// advect.wgsl's two stages.
    pub advect: [Kernel; 2],
    /// transfer.wgsl's forward pass (`gather`, `forward`: shares between cells turning
    /// metal together), then its main pass.
    pub transfer: [Kernel; 3],
    /// species_setup.wgsl for Cu²⁺, the accelerator and the leveler.
    pub setup: [Kernel; 3],
    pub update: Kernel,
    /// adsorb.wgsl on a step without a species solve (uptake with the last solve's c,
    /// releases added to `excess`) and after one (the uptake of the steps since the last
    /// solve reckoned with this solve's change, `excess` started afresh).
    pub adsorb: [Kernel; 2],
    /// reinit.wgsl's `start` (φ0's fix and signs, once per reinitialisation), then its sweep.
    pub reinit: [Kernel; 2],
}

impl Kernels {
    /// The model's kernels, built for the shape of `domain` (`Kernel::shape_of`) but for
    /// the adsorption's.
    pub fn new(gpu: &Gpu, domain: &Domain) -> Result<Kernels> {
        let shape = Kernel::shape_of(domain);
        let e = |path: &'static str, entry: &str| Kernel::with_constants(gpu, path, entry, &shape);
        let k = |path: &'static str| e(path, "main");
        let c = |path: &'static str, name: &str, v: f64| {
            let mut constants = vec![(name, v)];
            constants.extend(shape);
            Kernel::with_constants(gpu, path, "main", &constants)
        };
        // adsorb.wgsl ran slower per pass on lavapipe when built for its dimension (10–20 %)
        // or its shape (907 and 2146 against 560 and 598 µs; profiled twice each,
        // 2026-12-07), so it reads the shape from the grid.
        let plain = |path: &'static str, name: &str, v: f64| {
            Kernel::with_constants(gpu, path, "main", &[(name, v)])
        };
        Ok(Kernels {
            interface: k("superfill/interface.wgsl")?,
            coverage: k("superfill/coverage.wgsl")?,
            extend: [
                c("superfill/extend.wgsl", "ACCUMULATE", Kernel::flag(false))?,
                c("superfill/extend.wgsl", "ACCUMULATE", Kernel::flag(true))?,
            ],
            advect: [
                c("superfill/advect.wgsl", "KEEP", 0.0)?,
                c("superfill/advect.wgsl", "KEEP", 0.5)?,
            ],
            transfer: [
                e("superfill/transfer.wgsl", "gather")?,
                e("superfill/transfer.wgsl", "forward")?,
                k("superfill/transfer.wgsl")?,
            ],
            setup: [
                c("superfill/species_setup.wgsl", "SPECIES", 0.0)?,
                c("superfill/species_setup.wgsl", "SPECIES", 1.0)?,
                c("superfill/species_setup.wgsl", "SPECIES", 2.0)?,
            ],
            update: k("superfill/species_update.wgsl")?,
            adsorb: [
                plain("superfill/adsorb.wgsl", "AFTER_SOLVE", Kernel::flag(false))?,
                plain("superfill/adsorb.wgsl", "AFTER_SOLVE", Kernel::flag(true))?,
            ],
            reinit: [
                e("superfill/reinit.wgsl", "start")?,
                k("superfill/reinit.wgsl")?,
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_params_match_wgsl() {
        crate::gpu::wgsl_layout::layout!(
            StepParams,
            "superfill/adsorb.wgsl",
            "StepParams",
            [
                dx,
                inv_dx,
                dt,
                band,
                vel_scale,
                i_sup,
                i_acc,
                inv_cu_bulk,
                k_ads,
                dtau,
                sink_cu,
                sink_acc,
                cap_cu,
                cap_acc,
                src_acc,
                robin_top,
                cu_bulk,
                acc_bulk,
                k_lev,
                lev_burial,
                consumption,
                consumption_order,
                sink_lev,
                cap_lev,
                lev_bulk,
                solve_dt
            ]
        );
    }
}
