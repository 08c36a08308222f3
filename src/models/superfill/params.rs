//! Parameters of the superfill model in SI units and their scenario keys: the bath and its
//! kinetics (FiPy's simpleTrenchSystem by default, ../shared/research/superfill.md §1.3),
//! the feature's shape and the numerics. The unit
//! conversions the kernels use (velocity per current, sink coefficients) are made here, in
//! one tested place.

use crate::constants::{FARADAY, GAS_CONSTANT};
use crate::grid::Grid;
use crate::input::{Range, ScenarioError, Section};

/// The feature etched into the dielectric and lined with the seed layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// 2D: a trench across x (centre on x = 0); 3D: the same profile extruded along y.
    Trench,
    /// 3D: a cylindrical via centred on the x = y = 0 corner.
    Via,
    /// 3D: a square via centred on the x = y = 0 corner.
    SquareVia,
}

const FEATURES: &[&str] = &["trench", "via", "square-via"];

/// The feature's shape (lengths in m, angle in degrees).
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub feature: Feature,
    /// Opening at the field surface (diameter for a via, full width for a trench), m.
    pub width: f64,
    pub depth: f64,
    /// Feature-to-feature distance; the box holds half of it (a quarter cell of the via
    /// array in 3D), its lateral faces being symmetry planes.
    pub pitch: f64,
    /// Sidewall angle from the vertical, degrees (the bottom is narrower for > 0).
    pub taper_deg: f64,
    /// Conformal seed layer on the dielectric, m (narrows and raises every surface).
    pub seed: f64,
    pub corner_radius: f64,
    /// Metal below the feature's bottom (dielectric bottom), m.
    pub bottom: f64,
}

impl Shape {
    /// Height of the initial field surface above the box bottom, m.
    pub fn field_level(&self) -> f64 {
        self.bottom + self.depth + self.seed
    }
}

/// The metal deposition current's law. Both give the current at bulk Cu²⁺ of a surface
/// without accelerator (i_sup) and of a fully accelerated one (i_acc), linear in θ between.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kinetics {
    /// Cathodic Tafel (FiPy simpleTrenchSystem): i = (b0 + b1 θ) exp(−αFη/RT).
    Tafel { b0: f64, b1: f64, alpha: f64 },
    /// Butler-Volmer per adsorbate (Moffat, Wheeler, Kim & Josell, J. Electrochem. Soc. 153,
    /// C127 (2006)): i0_j [exp(−α_j Fη/RT) − exp((1 − α_j) Fη/RT)] for the suppressed (j = S)
    /// and the accelerated (j = A) surface; leveler sites count as suppressed.
    ButlerVolmer {
        i0_sup: f64,
        alpha_sup: f64,
        i0_acc: f64,
        alpha_acc: f64,
    },
}

/// The leveler: it adsorbs from solution, displaces accelerator and is buried by the
/// growing metal (FiPy leveler.py's equations, superfill.md §1.6).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leveler {
    /// mol/m³ (0: no leveler)
    pub bulk: f64,
    /// m²/s
    pub diffusivity: f64,
    /// k_L, m³/(mol s): adsorption k_L c_L (1 − θ_L) and displacement of accelerator
    /// k_L c_L θ_A (one constant, as in leveler.py).
    pub rate: f64,
    /// k_L⁻, 1/m: burial −k_L⁻ v θ_L.
    pub burial: f64,
}

#[derive(Debug, Clone)]
pub struct SuperfillParams {
    /// V (cathodic: negative)
    pub overpotential: f64,
    /// K
    pub temperature: f64,
    pub kinetics: Kinetics,
    pub ion_charge: f64,
    /// m³/mol
    pub molar_volume: f64,
    /// mol/m³ and m²/s
    pub cu_bulk: f64,
    pub cu_diffusivity: f64,
    pub acc_bulk: f64,
    pub acc_diffusivity: f64,
    /// mol/m²
    pub site_density: f64,
    /// k = (k0 + k3 η³) exp(−α_k Fη/RT): m³/(mol s), m³/(mol s V³) and 1.
    pub k0: f64,
    pub k3: f64,
    pub k_alpha: f64,
    /// Accelerator consumption −k⁻ θ^q: 1/s and the order q.
    pub consumption: f64,
    pub consumption_order: f64,
    pub leveler: Leveler,
    pub initial_coverage: f64,
    /// Diffusion layer above the field surface, m: the bulk values hold at its top.
    pub boundary_layer: f64,
    pub shape: Shape,
    /// Courant number of the level-set step (front travel per step in cells).
    pub cfl: f64,
    /// Steps between reinitialisations of the level set to a signed distance (by default
    /// those of [`REINIT_TRAVEL_CELLS`] of front travel).
    pub reinit_every: u64,
    /// Half-width of the band in which φ is kept a signed distance, cells.
    pub band_cells: f64,
    /// Steps between two solves of the concentrations (quasi-steady: they follow the
    /// interface within a solve or two); by default those of [`SPECIES_TRAVEL_CELLS`].
    pub species_every: u64,
    /// Relative residual of the concentration solves.
    pub solver_tolerance: f64,
    pub solver_max_iterations: u32,
    /// The box's height and cell size, m (for the step estimate).
    pub box_height: f64,
    pub dx: f64,
}

/// Cells the deposit may come to below the box top before the run stops (the narrow band
/// and the Robin closure need electrolyte cells above the surface).
pub const TOP_MARGIN_CELLS: f64 = 8.0;

/// Front travel, in cells, between two reinitialisations by default. Measured on FiPy's
/// trench (docs/models/superfill.md, Refinement): reinitialised every cell of travel, the
/// fine grids trapped one-cell pockets in the closing bottom and filled 6 % late at 2.5 nm;
/// every 2 cells, 5 and 2.5 nm fill within 0.4 % of each other (0.18 % since 2026-12-06).
pub const REINIT_TRAVEL_CELLS: f64 = 2.0;

/// Front travel, in cells, between two concentration solves by default. The fields lag the
/// surface in between: where depletion matters (FiPy leveler.py's 99 µm layer) the bump
/// came 2 % early solving every cell of travel against every step, 8 % every 2 cells.
pub const SPECIES_TRAVEL_CELLS: f64 = 1.0;

/// The concentration solves' relative tolerance by default. It holds under a thick layer
/// too, because each solve ends by correcting its mean (the shared solver's split form,
/// shaders/solvers/cg_deflate.wgsl), which the relative residual hardly sees there: the
/// 10 nm trench under 50 µm fills at 2.1068 s at 1e-4 as at 1e-8, and filled at 1.233 s at
/// 1e-4 without that correction (2026-12-07). FiPy's trench: 1e-4 agrees with 1e-6 to
/// 0.03 % in the centre height.
pub const SOLVER_TOLERANCE: f64 = 1e-4;

/// The box top's Robin conductance to the bulk, in faces: Δx/(Δx/2 + L) for cells of `dx`
/// under `layer_above_box` = L m of diffusion layer (species_setup.wgsl's `robin_top`).
pub fn robin_conductance(dx: f64, layer_above_box: f64) -> f64 {
    dx / (0.5 * dx + layer_above_box.max(0.0))
}

/// Steps in which the front travels at most `cells` at Courant number `cfl` (at least 1).
pub fn travel_steps(cells: f64, cfl: f64) -> u64 {
    ((cells / cfl + 1e-9).floor() as u64).max(1)
}

impl SuperfillParams {
    pub fn read(s: &mut Section, grid: &Grid) -> Result<SuperfillParams, ScenarioError> {
        if grid.dy != grid.dx || (grid.is_3d() && grid.dz != grid.dx) {
            return Err(s.error(
                "",
                "the superfill level set needs cubic cells: give [grid] dx only",
            ));
        }
        let pos = Range::positive();
        let overpotential = s.f64_or("overpotential_V", -0.3, Range::closed(-1.0, 0.0), " V")?;
        let temperature = s.f64_or("temperature_K", 298.0, Range::closed(250.0, 400.0), " K")?;
        let kinetics = match s
            .choice("kinetics", &["tafel", "butler-volmer"], Some("tafel"))?
            .as_str()
        {
            "tafel" => {
                let a = Range::open_closed(0.0, 1.0);
                let alpha = s.f64_or("transfer_coefficient", 0.5, a, "")?;
                let i = Range::closed(0.0, 1e6);
                let b0 = s.f64_or("exchange_current_A_m2", 0.26, i, " A/m2")?;
                let b1 = s.f64_or("accelerated_current_A_m2", 45.0, i, " A/m2")?;
                if b0 + b1 <= 0.0 {
                    return Err(s.error(
                        "exchange_current_A_m2",
                        "with accelerated_current_A_m2 also 0 nothing deposits; give a positive current",
                    ));
                }
                Kinetics::Tafel { b0, b1, alpha }
            }
            _ => {
                let i0 = Range::open_closed(0.0, 1e6);
                let a = Range::open_closed(0.0, 1.0);
                Kinetics::ButlerVolmer {
                    i0_sup: s.f64_or("suppressed_exchange_current_A_m2", 0.3, i0, " A/m2")?,
                    alpha_sup: s.f64_or("suppressed_transfer_coefficient", 0.5, a, "")?,
                    i0_acc: s.f64_or("accelerated_exchange_current_A_m2", 22.5, i0, " A/m2")?,
                    alpha_acc: s.f64_or("accelerated_transfer_coefficient", 0.4, a, "")?,
                }
            }
        };
        let ion_charge = s.f64_or("ion_charge", 2.0, Range::closed(1.0, 4.0), "")?;
        let molar_volume = s.f64_or("molar_volume_m3_mol", 7.1e-6, pos, " m3/mol")?;
        let cu_bulk = s.f64_or(
            "cu_bulk_mol_m3",
            250.0,
            Range::open_closed(0.0, 5000.0),
            " mol/m3",
        )?;
        let cu_diffusivity = s.f64_or(
            "cu_diffusivity_m2_s",
            5.6e-10,
            Range::open_closed(0.0, 1e-6),
            " m2/s",
        )?;
        let acc_bulk = s.f64_or(
            "accelerator_bulk_mol_m3",
            5e-3,
            Range::closed(0.0, 100.0),
            " mol/m3",
        )?;
        let acc_diffusivity = s.f64_or(
            "accelerator_diffusivity_m2_s",
            1e-9,
            Range::open_closed(0.0, 1e-6),
            " m2/s",
        )?;
        let site_density = s.f64_or("site_density_mol_m2", 9.8e-6, pos, " mol/m2")?;
        let k0 = s.f64_or(
            "adsorption_rate_m3_mol_s",
            1.76,
            Range::closed(0.0, 1e6),
            " m3/(mol s)",
        )?;
        let k3 = s.f64_or(
            "adsorption_rate_eta3_m3_mol_s_V3",
            -245e-6,
            Range::any(),
            " m3/(mol s V3)",
        )?;
        if k0 + k3 * overpotential.powi(3) < 0.0 {
            return Err(s.error(
                "adsorption_rate_eta3_m3_mol_s_V3",
                format!(
                    "gives a negative adsorption rate k0 + k3 η³ = {:.3e} m3/(mol s) at η = {overpotential} V",
                    k0 + k3 * overpotential.powi(3)
                ),
            ));
        }
        let k_alpha = s.f64_or("adsorption_rate_alpha", 0.0, Range::closed(0.0, 1.0), "")?;
        let consumption = s.f64_or(
            "accelerator_consumption_1_s",
            0.0,
            Range::closed(0.0, 1e6),
            " 1/s",
        )?;
        let consumption_order = s.f64_or(
            "accelerator_consumption_order",
            1.0,
            Range::closed(1.0, 4.0),
            "",
        )?;
        let leveler = Leveler {
            bulk: s.f64_or(
                "leveler_bulk_mol_m3",
                0.0,
                Range::closed(0.0, 100.0),
                " mol/m3",
            )?,
            diffusivity: s.f64_or(
                "leveler_diffusivity_m2_s",
                5e-10,
                Range::open_closed(0.0, 1e-6),
                " m2/s",
            )?,
            rate: s.f64_or(
                "leveler_rate_m3_mol_s",
                0.018,
                Range::closed(0.0, 1e6),
                " m3/(mol s)",
            )?,
            burial: s.f64_or(
                "leveler_burial_per_m",
                5e-4,
                Range::closed(0.0, 1e9),
                " 1/m",
            )?,
        };
        let initial_coverage = s.f64_or("initial_coverage", 0.0, Range::closed(0.0, 1.0), "")?;
        let boundary_layer = s.f64_or(
            "boundary_layer_m",
            0.3e-6,
            Range::open_closed(0.0, 1e-2),
            " m",
        )?;
        let shape = read_shape(s, grid)?;
        let cfl = s.f64_or("cfl", 0.4, Range::open_closed(0.0, 0.5), "")?;
        let band_cells = s.u64_or("band_cells", 6, 4, 20)? as f64;
        // A band narrower than 6 cells allows less travel between reinitialisations (the
        // check below).
        let reinit_travel = REINIT_TRAVEL_CELLS.min(band_cells / 3.0);
        let reinit_steps = travel_steps(reinit_travel, cfl).min(1000);
        let reinit_every = s.u64_or("reinit_every", reinit_steps, 1, 1000)?;
        if reinit_every as f64 * cfl > band_cells / 3.0 {
            return Err(s.error(
                "reinit_every",
                format!(
                    "lets the front travel {:.1} cells between reinitialisations, more than a third of the band ({band_cells} cells); lower it or superfill.cfl",
                    reinit_every as f64 * cfl
                ),
            ));
        }
        let species_every = s.u64_or(
            "species_every",
            travel_steps(SPECIES_TRAVEL_CELLS, cfl).min(100),
            1,
            100,
        )?;
        let solver_tolerance = s.f64_or(
            "solver_tolerance",
            SOLVER_TOLERANCE,
            Range::closed(1e-12, 1e-2),
            "",
        )?;
        let solver_max_iterations = s.u64_or("solver_max_iterations", 200, 1, 100_000)? as u32;
        let p = SuperfillParams {
            overpotential,
            temperature,
            kinetics,
            ion_charge,
            molar_volume,
            cu_bulk,
            cu_diffusivity,
            acc_bulk,
            acc_diffusivity,
            site_density,
            k0,
            k3,
            k_alpha,
            consumption,
            consumption_order,
            leveler,
            initial_coverage,
            boundary_layer,
            shape,
            cfl,
            reinit_every,
            band_cells,
            species_every,
            solver_tolerance,
            solver_max_iterations,
            box_height: Self::box_height(grid),
            dx: grid.dx,
        };
        if let Kinetics::Tafel { b0, .. } = p.kinetics {
            if b0 == 0.0 && acc_bulk == 0.0 && initial_coverage == 0.0 {
                return Err(s.error(
                    "exchange_current_A_m2",
                    "is 0, and no accelerator reaches the surface (accelerator_bulk_mol_m3 and initial_coverage are 0): nothing deposits",
                ));
            }
        }
        let above = p.box_above_field(grid);
        if above > boundary_layer * (1.0 + 1e-9) {
            return Err(s.error(
                "boundary_layer_m",
                format!(
                    "is {boundary_layer:e} m, but the box reaches {above:e} m above the field surface; the bulk holds at the layer's top, so the box must end inside it (lower [grid] ny or raise the layer)"
                ),
            ));
        }
        Ok(p)
    }

    /// Fη/RT.
    fn eta_prime(&self) -> f64 {
        FARADAY * self.overpotential / (GAS_CONSTANT * self.temperature)
    }

    /// Current densities at bulk Cu²⁺ of a surface without accelerator and of a fully
    /// accelerated one, A/m² (positive for deposition).
    pub fn currents(&self) -> (f64, f64) {
        let e = self.eta_prime();
        match self.kinetics {
            Kinetics::Tafel { b0, b1, alpha } => {
                let tafel = (-alpha * e).exp();
                (b0 * tafel, (b0 + b1) * tafel)
            }
            Kinetics::ButlerVolmer {
                i0_sup,
                alpha_sup,
                i0_acc,
                alpha_acc,
            } => {
                let bv = |i0: f64, a: f64| i0 * ((-a * e).exp() - ((1.0 - a) * e).exp());
                (bv(i0_sup, alpha_sup), bv(i0_acc, alpha_acc))
            }
        }
    }

    /// Metal velocity per current density, Ω/(nF), m/s per A/m².
    pub fn velocity_per_current(&self) -> f64 {
        self.molar_volume / (self.ion_charge * FARADAY)
    }

    /// Normal velocity of a surface at coverage θ and the bulk Cu²⁺ concentration, m/s.
    pub fn flat_velocity(&self, theta: f64) -> f64 {
        let (sup, acc) = self.currents();
        (sup + (acc - sup) * theta) * self.velocity_per_current()
    }

    /// The accelerator's adsorption rate constant k = (k0 + k3 η³) exp(−α_k Fη/RT),
    /// m³/(mol s).
    pub fn adsorption_rate(&self) -> f64 {
        (self.k0 + self.k3 * self.overpotential.powi(3)) * (-self.k_alpha * self.eta_prime()).exp()
    }

    /// Whether the bath holds leveler.
    pub fn has_leveler(&self) -> bool {
        self.leveler.bulk > 0.0
    }

    /// The largest velocity the kinetics allow (no or full coverage, bulk Cu²⁺), m/s.
    pub fn max_velocity(&self) -> f64 {
        self.flat_velocity(1.0).max(self.flat_velocity(0.0))
    }

    /// The time step that keeps the fastest possible front within the Courant number (an
    /// upper bound on the steps a run takes; runs plan from the actual speed).
    pub fn bound_dt(&self, grid: &Grid) -> f64 {
        self.cfl * grid.dx / self.max_velocity()
    }

    /// About the most steps a run takes: each step moves the fastest point of the surface
    /// by `cfl` cells, the deposit stops a run before it reaches the box top, and a quarter
    /// more covers the steps shortened to land on outputs. (The time step is planned from
    /// the surface's actual speed, so end time over the bound step overestimates a run
    /// many times over: 26 000 steps for the seam scenario, which takes 160.)
    pub fn step_estimate(&self) -> u64 {
        (1.25 * self.box_height / (self.cfl * self.dx)).ceil() as u64
    }

    /// The vertical axis: y in 2D, z in 3D.
    pub fn vertical(grid: &Grid) -> usize {
        if grid.is_3d() {
            2
        } else {
            1
        }
    }

    /// Height of the box, m.
    pub fn box_height(grid: &Grid) -> f64 {
        grid.lengths()[Self::vertical(grid)]
    }

    /// Height of the initial field (metal) surface above the box bottom, m.
    pub fn field_level(&self) -> f64 {
        self.shape.field_level()
    }

    /// Height of the dielectric bottom of the feature above the box bottom, m (heights in
    /// the metrics are measured from here).
    pub fn feature_bottom(&self) -> f64 {
        self.shape.bottom
    }

    /// Electrolyte between the initial field surface and the box top, m.
    pub fn box_above_field(&self, grid: &Grid) -> f64 {
        Self::box_height(grid) - self.field_level()
    }
}

fn read_shape(s: &mut Section, grid: &Grid) -> Result<Shape, ScenarioError> {
    let feature = match s.choice("feature", FEATURES, Some("trench"))?.as_str() {
        "trench" => Feature::Trench,
        "via" => Feature::Via,
        _ => Feature::SquareVia,
    };
    if feature != Feature::Trench && !grid.is_3d() {
        return Err(s.error("feature", "a via needs a 3D grid (give [grid] nz)"));
    }
    let pos = Range::positive();
    let width = s.f64_or("width_m", 0.25e-6, pos, " m")?;
    let depth = s.f64_or("depth_m", 0.5e-6, pos, " m")?;
    let half_box = grid.lengths()[0];
    let pitch = s.f64_or("pitch_m", 2.0 * half_box, pos, " m")?;
    if (pitch - 2.0 * half_box).abs() > 1.01 * grid.dx {
        return Err(s.error(
            "pitch_m",
            format!(
                "is {pitch:e} m, but the box holds half a pitch between symmetry planes: [grid] nx dx = {half_box:e} m; set nx = {}",
                (pitch / 2.0 / grid.dx).round()
            ),
        ));
    }
    if grid.is_3d() && feature != Feature::Trench && (grid.ny != grid.nx) {
        return Err(s.error(
            "feature",
            "a via's quarter cell needs a square box: [grid] ny = nx",
        ));
    }
    // The field's height (and the diffusion layer's closure, which follows it) is read on
    // the box's far column, which must lie on the field beside the feature.
    if width > pitch - 2.0 * grid.dx {
        return Err(s.error(
            "width_m",
            format!(
                "is {width:e} m: with pitch_m = {pitch:e} m it leaves less than one cell ({:e} m) of field beside the feature, where the field's height is read; narrow the feature or refine the grid",
                grid.dx
            ),
        ));
    }
    let taper_deg = s.f64_or("taper_deg", 0.0, Range::closed(0.0, 30.0), " degrees")?;
    let bottom_width = width - 2.0 * depth * taper_deg.to_radians().tan();
    if bottom_width <= 0.0 {
        return Err(s.error(
            "taper_deg",
            format!("closes the feature before its bottom (bottom width {bottom_width:e} m)"),
        ));
    }
    let seed = s.f64_or("seed_m", 0.0, Range::closed(0.0, 1.0), " m")?;
    if 2.0 * seed >= bottom_width {
        return Err(s.error(
            "seed_m",
            format!("is {seed:e} m: the seed layer fills the feature's bottom (width {bottom_width:e} m)"),
        ));
    }
    let corner_radius = s.f64_or("corner_radius_m", 0.0, Range::closed(0.0, 1.0), " m")?;
    if corner_radius > bottom_width / 2.0 || corner_radius > depth {
        return Err(s.error(
            "corner_radius_m",
            "is larger than half the feature's bottom width or its depth",
        ));
    }
    let bottom = s.f64_or("bottom_m", 8.0 * grid.dx, pos, " m")?;
    let shape = Shape {
        feature,
        width,
        depth,
        pitch,
        taper_deg,
        seed,
        corner_radius,
        bottom,
    };
    let height = SuperfillParams::box_height(grid);
    let above = height - (bottom + depth + seed);
    if above < 2.0 * TOP_MARGIN_CELLS * grid.dx {
        let v = ["ny", "ny", "nz"][SuperfillParams::vertical(grid)];
        return Err(s.error(
            "depth_m",
            format!(
                "with bottom_m and seed_m leaves {above:e} m of electrolyte above the field in a box {height:e} m tall; at least {} cells are needed: raise [grid] {v}",
                2.0 * TOP_MARGIN_CELLS
            ),
        ));
    }
    Ok(shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_params() -> SuperfillParams {
        let grid = Grid::new_2d(60, 170, 5e-9);
        let table: toml::Table = toml::from_str("bottom_m = 50e-9").unwrap();
        let mut s = Section::new("t.toml", "superfill", table);
        SuperfillParams::read(&mut s, &grid).unwrap()
    }

    /// The unit conversions against the numbers FiPy's simpleTrenchSystem gives with its
    /// F = 9.6e4 C/mol (superfill.md §1.3): v(θ = 0) = 3.21 nm/s, v(θ = 1) = 560 nm/s,
    /// exp(−αFη/RT) = 334.3. We use CODATA's F, which raises the Tafel factor by 3.1 %.
    #[test]
    fn flat_velocities_match_fipy_up_to_its_faraday_constant() {
        let p = default_params();
        let fipy_f = 9.6e4;
        let ours_to_fipy = |v: f64| {
            v * (FARADAY / fipy_f) / ((FARADAY - fipy_f) * 0.5 * 0.3 / (GAS_CONSTANT * 298.0)).exp()
        };
        assert!((ours_to_fipy(p.flat_velocity(0.0)) - 3.21e-9).abs() < 0.01e-9);
        assert!((ours_to_fipy(p.flat_velocity(1.0)) - 560e-9).abs() < 2e-9);
        assert!((p.adsorption_rate() - 1.7600066).abs() < 1e-6);
    }

    /// By default the level set is reinitialised every 2 cells of front travel (a third of
    /// the band where that is less) and the concentrations solved every cell, whatever the
    /// Courant number, within the keys' ranges and never past the band check.
    #[test]
    fn reinitialisation_and_solves_follow_the_front_travel() {
        let p = default_params();
        assert_eq!((p.cfl, p.reinit_every, p.species_every), (0.4, 5, 2));
        for (cfl, reinit, species) in [
            (0.5, 4, 2),
            (0.45, 4, 2),
            (0.4, 5, 2),
            (0.35, 5, 2),
            (0.1, 20, 10),
            (0.001, 2000, 1000),
        ] {
            let steps = |cells| travel_steps(cells, cfl);
            assert_eq!(steps(REINIT_TRAVEL_CELLS), reinit, "cfl {cfl}");
            assert_eq!(steps(SPECIES_TRAVEL_CELLS), species, "cfl {cfl}");
            assert!(reinit as f64 * cfl <= REINIT_TRAVEL_CELLS + 1e-12);
        }
        let grid = Grid::new_2d(60, 170, 5e-9);
        for (band, cfl, reinit, species) in [
            (6, 0.4, 5, 2),
            (6, 0.001, 1000, 100),
            (4, 0.4, 3, 2),
            (5, 0.4, 4, 2),
            (4, 0.5, 2, 2),
        ] {
            let keys = format!("bottom_m = 50e-9\ncfl = {cfl}\nband_cells = {band}");
            let table: toml::Table = toml::from_str(&keys).unwrap();
            let p = SuperfillParams::read(&mut Section::new("t.toml", "superfill", table), &grid);
            let p = p.unwrap();
            assert_eq!((p.reinit_every, p.species_every), (reinit, species));
        }
    }

    /// Inputs that would leave the field's column inside the feature, or a surface that
    /// cannot deposit, are refused with the key.
    #[test]
    fn a_feature_as_wide_as_the_pitch_or_a_surface_that_cannot_deposit_is_refused() {
        let grid = Grid::new_2d(30, 85, 1e-8);
        let read = |keys: &str| {
            let table: toml::Table = toml::from_str(keys).unwrap();
            SuperfillParams::read(&mut Section::new("t.toml", "superfill", table), &grid)
        };
        let base = "bottom_m = 50e-9\npitch_m = 0.6e-6\n";
        assert!(read(&format!("{base}width_m = 0.58e-6")).is_ok());
        let e = read(&format!("{base}width_m = 0.59e-6"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("width_m") && e.contains("one cell"), "{e}");
        let none = "exchange_current_A_m2 = 0.0\naccelerator_bulk_mol_m3 = 0.0";
        let e = read(&format!("{base}{none}")).unwrap_err().to_string();
        assert!(
            e.contains("exchange_current_A_m2") && e.contains("nothing deposits"),
            "{e}"
        );
        assert!(read(&format!("{base}{none}\ninitial_coverage = 0.1")).is_ok());
    }
}
