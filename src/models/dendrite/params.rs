//! Scenario keys of the dendrite model, in SI units, with Hong & Viswanathan's input as the
//! defaults (see units.rs for the model numbers they become and docs/models/dendrite.md).

use super::planar_reference;
use super::units::{GAS_CONSTANT, LENGTH_M};
use crate::grid::Grid;
use crate::input::{Range, ScenarioError, Section};

/// Hong & Viswanathan's normalized inputs, from which the SI defaults are derived.
pub mod hong {
    pub const KAPPA: f64 = 0.3;
    pub const MOBILITY: f64 = 6.25;
    pub const KINETIC: f64 = 0.001;
    pub const BARRIER: f64 = 2.4;
    pub const DIFFUSIVITY_UM2_S: f64 = 317.9;
    pub const SIGMA_ELECTRODE: f64 = 1e6;
    pub const SIGMA_ELECTROLYTE: f64 = 1.19;
    pub const SITE_RATIO: f64 = 5.5;
    pub const CHARGE_SOURCE: f64 = 0.0074;
    /// 1 / c_l(w = 0) in Hong's Butler-Volmer term.
    pub const INVERSE_BULK_FRACTION: f64 = 14.89;
    pub const TEMPERATURE_K: f64 = 300.0;
    /// Electrolyte Li-site density (mol/m³) that makes 1 M the site fraction 1/14.89.
    pub const ELECTROLYTE_SITES_MOL_M3: f64 = 1000.0 * INVERSE_BULK_FRACTION;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideBoundary {
    NoFlux,
    Periodic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FarBoundary {
    /// Bulk electrolyte: w = 0 (c = bulk) and φ = 0 on the face opposite the electrode.
    Reservoir,
    /// No Li flux through that face (φ = 0 still holds); for conservation checks.
    Closed,
}

/// How the Li balance is stepped (`li_step`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiStep {
    /// Explicit, in the same pass as η, with arithmetic face mobilities capped by the
    /// cells' capacities (docs/models/dendrite.md).
    Explicit,
    /// Linearly implicit in w on the engine's elliptic solver, with arithmetic face
    /// mobilities: no Li diffusion limit on the step.
    Implicit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Nernst-Planck transport of Li ions, coupled to deposition.
    Full,
    /// Li-ion concentration held at the bulk value everywhere (kinetics checks).
    Pinned,
}

use crate::solvers::Coarsening;
pub use crate::solvers::Preconditioner;

/// A seed nucleus on the substrate: position along the electrode (y, z in m) and radius (m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nucleus {
    pub y: f64,
    pub z: f64,
    pub radius: f64,
}

#[derive(Debug, Clone)]
pub struct DendriteParams {
    pub applied_voltage_v: f64,
    pub temperature_k: f64,
    pub charge_number: f64,
    pub transfer_coefficient: f64,
    pub exchange_current_coefficient_1_s: f64,
    pub interface_mobility_m3_j_s: f64,
    pub gradient_coefficient_j_m: f64,
    pub barrier_height_j_m3: f64,
    pub anisotropy_strength: f64,
    pub anisotropy_mode: u32,
    pub li_diffusivity_m2_s: f64,
    pub bulk_concentration_mol_m3: f64,
    pub reference_concentration_mol_m3: f64,
    pub electrolyte_site_density_mol_m3: f64,
    pub site_density_ratio: f64,
    pub metal_site_density_mol_m3: f64,
    pub electrolyte_conductivity_s_m: f64,
    pub electrode_conductivity_s_m: f64,
    pub noise_strength_1_sqrt_s: f64,
    pub interface_position_m: f64,
    pub roughness_height_m: f64,
    pub roughness_spacing_m: f64,
    pub nuclei: Vec<Nucleus>,
    pub nucleation_density_m2: f64,
    pub nucleus_radius_min_m: f64,
    pub nucleus_radius_max_m: f64,
    pub side_boundary: SideBoundary,
    pub far_boundary: FarBoundary,
    pub transport: Transport,
    pub li_step: LiStep,
    pub time_step_safety: f64,
    pub potential_tolerance: f64,
    pub potential_every_steps: u64,
    pub potential_max_iterations: u64,
    pub potential_preconditioner: Preconditioner,
    /// End the run at the first output where the tip is this far (m) above the initial
    /// interface (`stop_tip_height_m`; None: run to run.end_time).
    pub stop_tip_height_m: Option<f64>,
}

impl DendriteParams {
    /// Hong's parameters (every key at its default) at `volts`, without noise, with periodic
    /// sides and the front 20 µm from the electrode: the planar case of the refinement study
    /// (planar_reference.rs).
    pub fn hong_planar(volts: f64) -> DendriteParams {
        let text = format!(
            "applied_voltage_V = {volts}\ninterface_position_m = 20e-6\n\
             side_boundary = \"periodic\"\nnoise_strength_1_sqrt_s = 0.0\n"
        );
        let table: toml::Table = text.parse().expect("the planar section is TOML");
        let grid = Grid {
            nx: 100,
            ny: 4,
            nz: 1,
            dx: 1e-6,
            dy: 1e-6,
            dz: 1e-6,
        };
        DendriteParams::read(&mut Section::new("planar.toml", "dendrite", table), &grid)
            .unwrap_or_else(|e| panic!("the planar case is valid: {e}"))
    }
}

/// e0 = R T C_l at Hong's temperature and site density (J/m³).
fn hong_energy_density() -> f64 {
    GAS_CONSTANT * hong::TEMPERATURE_K * hong::ELECTROLYTE_SITES_MOL_M3
}

/// Numbers read from a `[[y, r]]` / `[[y, z, r]]` array of nuclei.
/// `[[y, r], ...]` (2D) or `[[y, z, r], ...]` (3D) in metres: positions on the electrode,
/// radii up to half the domain's length along x (as for roughness). Errors name the entry.
fn read_nuclei(s: &Section, grid: &Grid, v: &toml::Value) -> Result<Vec<Nucleus>, ScenarioError> {
    let want = if grid.is_3d() { 3 } else { 2 };
    let shape = if grid.is_3d() {
        "[y_m, z_m, radius_m]"
    } else {
        "[y_m, radius_m]"
    };
    let err = |msg: String| s.error("nuclei_m", msg);
    let list = v
        .as_array()
        .ok_or_else(|| err(format!("expected an array of nuclei [{shape}, ...]")))?;
    let lengths = grid.lengths();
    let r_max = 0.5 * lengths[0];
    let show = crate::input::format_value;
    let mut out = Vec::new();
    for (k, item) in list.iter().enumerate() {
        let entry = k + 1;
        let nums: Option<Vec<f64>> = item.as_array().and_then(|a| {
            a.iter()
                .map(|x| x.as_float().or_else(|| x.as_integer().map(|i| i as f64)))
                .collect()
        });
        let nums = match nums {
            Some(n) if n.len() == want => n,
            _ => {
                return Err(err(format!(
                    "entry {entry} ({item}): expected {want} numbers {shape}"
                )))
            }
        };
        let (y, z, r) = if grid.is_3d() {
            (nums[0], nums[1], nums[2])
        } else {
            (nums[0], 0.0, nums[1])
        };
        for (name, value, length) in [("y", y, lengths[1]), ("z", z, lengths[2])] {
            if !(0.0..=length).contains(&value) {
                return Err(err(format!(
                    "entry {entry}: {name} = {} m is outside the electrode; allowed: [0, {}] m",
                    show(value),
                    show(length)
                )));
            }
        }
        if !(r > 0.0 && r <= r_max) {
            return Err(err(format!(
                "entry {entry}: radius {} m; allowed: (0, {}] m (half the domain along x)",
                show(r),
                show(r_max)
            )));
        }
        out.push(Nucleus { y, z, radius: r });
    }
    Ok(out)
}

impl DendriteParams {
    pub fn read(s: &mut Section, grid: &Grid) -> Result<DendriteParams, ScenarioError> {
        if grid.dy != grid.dx || (grid.is_3d() && grid.dz != grid.dx) {
            return Err(ScenarioError {
                file: s.file().to_string(),
                key: "grid.dy".into(),
                message: "the dendrite model needs cubic cells: dy and dz must equal dx".into(),
            });
        }
        let e0 = hong_energy_density();
        let l2 = LENGTH_M * LENGTH_M;
        let pos = Range::positive();
        let lengths = grid.lengths();
        let applied_voltage_v =
            s.f64_or("applied_voltage_V", -0.45, Range::closed(-2.0, 2.0), " V")?;
        let temperature_k = s.f64_or(
            "temperature_K",
            hong::TEMPERATURE_K,
            Range::open_closed(0.0, 1000.0),
            " K",
        )?;
        let charge_number = s.f64_or("charge_number", 1.0, Range::closed(1.0, 4.0), "")?;
        let transfer_coefficient =
            s.f64_or("transfer_coefficient", 0.5, Range::closed(0.05, 0.95), "")?;
        let exchange_current_coefficient_1_s = s.f64_or(
            "exchange_current_coefficient_1_s",
            hong::KINETIC,
            Range::open_closed(0.0, 1e3),
            " 1/s",
        )?;
        let interface_mobility_m3_j_s = s.f64_or(
            "interface_mobility_m3_J_s",
            hong::MOBILITY / e0,
            pos,
            " m3/(J s)",
        )?;
        let gradient_coefficient_j_m = s.f64_or(
            "gradient_coefficient_J_m",
            hong::KAPPA * e0 * l2,
            pos,
            " J/m",
        )?;
        let barrier_height_j_m3 =
            s.f64_or("barrier_height_J_m3", hong::BARRIER * e0, pos, " J/m3")?;
        let anisotropy_strength =
            s.f64_or("anisotropy_strength", 0.0, Range::closed(0.0, 0.3), "")?;
        let anisotropy_mode = s.u64_or("anisotropy_mode", 4, 1, 12)? as u32;
        let li_diffusivity_m2_s = s.f64_or(
            "li_diffusivity_m2_s",
            hong::DIFFUSIVITY_UM2_S * l2,
            Range::open_closed(0.0, 1e-6),
            " m2/s",
        )?;
        let electrolyte_site_density_mol_m3 = s.f64_or(
            "electrolyte_site_density_mol_m3",
            hong::ELECTROLYTE_SITES_MOL_M3,
            pos,
            " mol/m3",
        )?;
        let bulk_concentration_mol_m3 = s.f64_or(
            "bulk_concentration_mol_m3",
            1000.0,
            Range {
                lo: 0.0,
                hi: 0.5 * electrolyte_site_density_mol_m3,
                lo_open: true,
                hi_open: false,
            },
            " mol/m3",
        )?;
        let reference_concentration_mol_m3 =
            s.f64_or("reference_concentration_mol_m3", 1000.0, pos, " mol/m3")?;
        let site_density_ratio = s.f64_or(
            "site_density_ratio",
            hong::SITE_RATIO,
            Range::closed(1.0, 100.0),
            "",
        )?;
        let metal_site_density_mol_m3 = s.f64_or(
            "metal_site_density_mol_m3",
            hong::CHARGE_SOURCE / (super::units::FARADAY * l2),
            pos,
            " mol/m3",
        )?;
        let electrolyte_conductivity_s_m = s.f64_or(
            "electrolyte_conductivity_S_m",
            hong::SIGMA_ELECTROLYTE,
            Range::closed(1e-4, 1e3),
            " S/m",
        )?;
        let electrode_conductivity_s_m = s.f64_or(
            "electrode_conductivity_S_m",
            hong::SIGMA_ELECTRODE,
            Range::closed(1.0, 1e8),
            " S/m",
        )?;
        let noise_strength_1_sqrt_s = s.f64_or(
            "noise_strength_1_sqrt_s",
            0.0033,
            Range::closed(0.0, 1.0),
            " 1/sqrt(s)",
        )?;
        let interface_position_m = s.f64_or(
            "interface_position_m",
            0.1 * lengths[0],
            Range::closed(0.0, 0.9 * lengths[0]),
            " m",
        )?;
        let roughness_height_m = s.f64_or(
            "roughness_height_m",
            0.0,
            Range::closed(0.0, 0.5 * lengths[0]),
            " m",
        )?;
        let roughness_spacing_m = s.f64_or("roughness_spacing_m", 20e-6, pos, " m")?;
        let nuclei = match s.has("nuclei_m") {
            true => {
                let v = s.raw("nuclei_m").expect("checked");
                read_nuclei(s, grid, &v)?
            }
            false => Vec::new(),
        };
        let nucleation_density_m2 = s.f64_or(
            "nucleation_density_m2",
            0.0,
            Range::closed(0.0, 1e14),
            " 1/m2",
        )?;
        // One nucleus per electrode cell at most: more is no finer a seeding on this grid, and
        // the drawn list must fit in memory (1e14 per m² on a large electrode asked for
        // 12 GB and aborted).
        let electrode_m2 = grid.lengths()[1]
            * if grid.is_3d() {
                grid.lengths()[2]
            } else {
                grid.dz
            };
        let electrode_cells = (grid.ny as f64) * (grid.nz as f64);
        if nucleation_density_m2 * electrode_m2 > electrode_cells {
            return Err(s.error(
                "nucleation_density_m2",
                format!(
                    "draws {} nuclei on this electrode of {} cells; allowed: at most {} per m2 \
                     (one per electrode cell)",
                    crate::input::format_value((nucleation_density_m2 * electrode_m2).round()),
                    electrode_cells,
                    crate::input::format_value(electrode_cells / electrode_m2)
                ),
            ));
        }
        let nucleus_radius_min_m = s.f64_or("nucleus_radius_min_m", 2e-6, pos, " m")?;
        let nucleus_radius_max_m = s.f64_or("nucleus_radius_max_m", 4e-6, pos, " m")?;
        if nucleus_radius_max_m < nucleus_radius_min_m {
            return Err(s.error(
                "nucleus_radius_max_m",
                format!(
                    "must be at least nucleus_radius_min_m = {} m",
                    crate::input::format_value(nucleus_radius_min_m)
                ),
            ));
        }
        let side_boundary = match s
            .choice("side_boundary", &["no_flux", "periodic"], Some("no_flux"))?
            .as_str()
        {
            "periodic" => SideBoundary::Periodic,
            _ => SideBoundary::NoFlux,
        };
        let far_boundary = match s
            .choice("far_boundary", &["reservoir", "closed"], Some("reservoir"))?
            .as_str()
        {
            "closed" => FarBoundary::Closed,
            _ => FarBoundary::Reservoir,
        };
        let transport = match s
            .choice("li_transport", &["full", "pinned"], Some("full"))?
            .as_str()
        {
            "pinned" => Transport::Pinned,
            _ => Transport::Full,
        };
        let li_step = match s
            .choice("li_step", &["explicit", "implicit"], Some("explicit"))?
            .as_str()
        {
            "implicit" => LiStep::Implicit,
            _ => LiStep::Explicit,
        };
        let time_step_safety =
            s.f64_or("time_step_safety", 0.8, Range::open_closed(0.0, 1.0), "")?;
        let potential_tolerance =
            s.f64_or("potential_tolerance", 1e-5, Range::closed(1e-7, 1e-2), "")?;
        // 20: against solves every 3 steps, tip and deposit moved by < 4e-4 relative in 2D and
        // 3D runs (docs/models/dendrite.md, Potential solver); 10 until 2026-11-29.
        let potential_every_steps = s.u64_or("potential_every_steps", 20, 1, 1_000_000)?;
        // The tip can grow at most to the far face.
        let stop_tip_height_m = s.opt_f64(
            "stop_tip_height_m",
            Range::open_closed(0.0, lengths[0] - interface_position_m),
            " m",
        )?;
        let potential_preconditioner = match s
            .choice(
                "potential_preconditioner",
                &["multigrid", "jacobi"],
                Some("multigrid"),
            )?
            .as_str()
        {
            "jacobi" => Preconditioner::Jacobi,
            // A planar front must see an exactly uniform potential along the periodic sides.
            _ => Preconditioner::Multigrid(Coarsening::KeepOddPeriodic),
        };
        let potential_max_iterations =
            s.u64_or("potential_max_iterations", 20_000, 10, 10_000_000)?;
        let p = DendriteParams {
            applied_voltage_v,
            temperature_k,
            charge_number,
            transfer_coefficient,
            exchange_current_coefficient_1_s,
            interface_mobility_m3_j_s,
            gradient_coefficient_j_m,
            barrier_height_j_m3,
            anisotropy_strength,
            anisotropy_mode,
            li_diffusivity_m2_s,
            bulk_concentration_mol_m3,
            reference_concentration_mol_m3,
            electrolyte_site_density_mol_m3,
            site_density_ratio,
            metal_site_density_mol_m3,
            electrolyte_conductivity_s_m,
            electrode_conductivity_s_m,
            noise_strength_1_sqrt_s,
            interface_position_m,
            roughness_height_m,
            roughness_spacing_m,
            nuclei,
            nucleation_density_m2,
            nucleus_radius_min_m,
            nucleus_radius_max_m,
            side_boundary,
            far_boundary,
            transport,
            li_step,
            time_step_safety,
            potential_tolerance,
            potential_every_steps,
            potential_max_iterations,
            potential_preconditioner,
            stop_tip_height_m,
        };
        Ok(p)
    }

    /// Cells across the diffuse interface (width sqrt(8 κ / W)): below 4 a weakly driven front
    /// is pinned by the grid (see docs/models/dendrite.md).
    pub fn cells_per_interface(&self, dx_m: f64) -> f64 {
        (8.0 * self.gradient_coefficient_j_m / self.barrier_height_j_m3).sqrt() / dx_m
    }

    pub fn warnings(&self, grid: &Grid) -> Vec<String> {
        let cells = self.cells_per_interface(grid.dx);
        let mut w = Vec::new();
        if cells < 4.0 {
            let fine =
                (8.0 * self.gradient_coefficient_j_m / self.barrier_height_j_m3).sqrt() / 8.0;
            w.push(format!(
                "the interface is {cells:.1} cells wide (< 4): the grid pins weakly driven fronts \
                 (|V| <= 0.1 V); use dx <= {fine:.3e} m for them to move at their converged speed"
            ));
        }
        // What the planar refinement study measured for this cell size (issue 21): with the
        // interface one cell wide the −0.30 V front is held back by the grid.
        let dx_um = grid.dx / LENGTH_M;
        let (v, front, density) = planar_reference::study_errors(self.applied_voltage_v, dx_um);
        if (front - 1.0).abs() > 0.02 || (density - 1.0).abs() > 0.02 {
            let fine = planar_reference::converged_dx_um(self.applied_voltage_v, 0.02);
            let nearest = if v == self.applied_voltage_v {
                String::new()
            } else {
                format!(", the studied voltage nearest {} V", self.applied_voltage_v)
            };
            w.push(format!(
                "at dx = {:.3e} m growth is not converged: in the planar study at {v} V \
                 (docs/verification.md{nearest}) this cell size grows metal holding {:.0} % of \
                 the converged Li density and a front {:.0} % {} after 10 s; within 2 % needs \
                 dx <= {:.3e} m there",
                grid.dx,
                100.0 * density,
                100.0 * (front - 1.0).abs(),
                if front >= 1.0 { "ahead" } else { "behind" },
                fine * LENGTH_M
            ));
        }
        let mode = if grid.is_3d() {
            4
        } else {
            self.anisotropy_mode
        };
        if self.anisotropy_strength > 0.0 && min_stiffness(self.anisotropy_strength, mode) < 0.0 {
            w.push(format!(
                "anisotropy_strength {} with {} makes the interface stiffness γ + γ'' negative \
                 for some orientations (γ ∝ √κ, from δ = {:.3} on): the sharp-interface problem \
                 is ill-posed there (missing orientations, corners), so shapes depend on the grid",
                self.anisotropy_strength,
                if grid.is_3d() {
                    "cubic anisotropy (its {100} cross-section, mode 4)".to_string()
                } else {
                    format!("mode {mode}")
                },
                stiffness_threshold(mode)
            ));
        }
        w
    }
}

/// Smallest interface stiffness γ + γ'' over orientations, relative to γ at δ = 0, for
/// κ(θ) = κ0 [1 + δ cos(ωθ)]: the interfacial energy of the gradient model scales as √κ
/// (γ = ∫ κ η_s² ds over the equilibrium profile, whose width is √(2κ/W)).
fn min_stiffness(delta: f64, mode: u32) -> f64 {
    let omega = mode as f64;
    (0..2000)
        .map(|k| {
            let theta = std::f64::consts::TAU * k as f64 / (2000.0 * omega);
            let (c, s) = ((omega * theta).cos(), (omega * theta).sin());
            let u = 1.0 + delta * c;
            let (u1, u2) = (-delta * omega * s, -delta * omega * omega * c);
            // γ = √u, γ'' = u''/(2√u) − u'²/(4 u^{3/2}).
            u.sqrt() + u2 / (2.0 * u.sqrt()) - u1 * u1 / (4.0 * u.powf(1.5))
        })
        .fold(f64::INFINITY, f64::min)
}

/// The δ above which `min_stiffness` turns negative (bisection).
fn stiffness_threshold(mode: u32) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if min_stiffness(mid, mode) < 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

#[cfg(test)]
mod stiffness_tests {
    use super::*;

    /// For small δ, γ ≈ γ0 [1 + (δ/2) cos ωθ] loses convexity at δ/2 = 1/(ω² − 1); the
    /// exact √κ form crosses at θ = 0, where γ + γ'' ∝ 1 + δ − δω²/2: δ = 1/(ω²/2 − 1),
    /// 1/7 for ω = 4 and 1/17 for ω = 6.
    #[test]
    fn stiffness_turns_negative_where_the_sqrt_kappa_energy_says() {
        assert!(
            (stiffness_threshold(4) - 1.0 / 7.0).abs() < 1e-6,
            "{}",
            stiffness_threshold(4)
        );
        assert!(
            (stiffness_threshold(6) - 1.0 / 17.0).abs() < 1e-6,
            "{}",
            stiffness_threshold(6)
        );
        assert!(min_stiffness(0.0, 4) == 1.0);
    }
}
