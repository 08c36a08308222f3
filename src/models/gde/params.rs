//! Scenario keys of the gde model (SI units), read from `[gde.geometry]`, `[gde.flow]`,
//! `[gde.species]` and `[gde.reaction]`; see docs/models/gde.md for each key and its range.

use std::path::PathBuf;

use super::geometry::{Classify, GeometrySpec, ImageFormat, Packing};
use super::units::{FlowUnits, MACH_LIMIT};
use crate::grid::Grid;
use crate::input::{Range, ScenarioError, Section};

pub const AXES: [&str; 3] = ["x", "y", "z"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drive {
    /// Periodic along the flow axis, driven by a body force equal to the pressure gradient.
    BodyForce,
    /// Fixed pressures on the two faces normal to the flow axis (anti-bounce-back).
    Pressure,
    /// A fixed inflow speed on the low face of the flow axis (moving-wall bounce-back) and
    /// a fixed pressure on the high face; the pressure gradient is measured.
    Velocity,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlowParams {
    pub axes: Vec<usize>,
    pub drive: Drive,
    /// Faces normal to the other axes are walls (else periodic).
    pub side_walls: bool,
    pub relaxation_time: f64,
    pub kinematic_viscosity_m2_s: f64,
    pub density_kg_m3: f64,
    pub pressure_gradient_pa_m: f64,
    /// Inflow speed of the velocity drive (m/s); 0 with the other drives.
    pub inlet_velocity_m_s: f64,
    /// Steady when the mean velocity changes by less than this (relative) between checks.
    pub tolerance: f64,
    pub check_every: u64,
    pub max_iterations: u64,
    /// How the 19 populations are stored (arithmetic is f32 either way).
    pub storage: PopulationStorage,
}

/// The D3Q19 populations' storage (`gde.flow.storage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopulationStorage {
    /// 76 bytes per cell.
    F32,
    /// 38 bytes per cell, range-shifted half precision (FluidX3D's FP16S); needs the
    /// adapter's f16 shaders and an even number of cells per z plane.
    F16,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpeciesParams {
    pub axes: Vec<usize>,
    pub side_walls: bool,
    pub diffusivity_m2_s: f64,
    pub relaxation_time: f64,
    pub concentration_in_mol_m3: f64,
    pub concentration_out_mol_m3: f64,
    /// Converged when the plane fluxes differ by less than this, (max − min)/mean.
    pub tolerance: f64,
    pub check_every: u64,
    pub max_iterations: u64,
    /// Advect by the flow field computed along the same axis.
    pub advection: bool,
    /// How the effective-diffusivity and reaction stages are solved: time-stepping the D3Q7
    /// lattice, or the steady problem by the engine's multigrid solver (steady.rs).
    /// Advection uses the lattice.
    pub solver: SpeciesSolverKind,
    /// How the steady solves keep their fine operator (`gde.species.operator`).
    pub operator: SteadyOperator,
    pub knudsen: bool,
    pub temperature_k: f64,
    pub molar_mass_kg_mol: f64,
}

/// Where the steady solves' fine operator lives (`gde.species.operator`): stored (four
/// fields per voxel, the faster on lavapipe: 3.2 s against 4.6 s on the shipped GDL), or
/// computed from one conductivity per voxel (`FineOperator::Conductivity`: 17 B per voxel
/// fewer), the same with the search direction and the conductivity in f16 (4 B fewer
/// again, slower on lavapipe), or `Auto`: the first of the three whose estimate takes at
/// most `STORED_SHARE_MAX` of the device's memory (the f16 form only where the adapter has
/// f16 shaders and the planes fit, else the matrix-free one). All give the same answer to
/// the solve's tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SteadyOperator {
    Auto,
    Stored,
    MatrixFree,
    MatrixFreeF16,
}

/// How the steady solves run, `SteadyOperator` resolved for a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SteadyForm {
    Stored,
    MatrixFree,
    MatrixFreeF16,
}

impl SteadyForm {
    /// Whether the fine operator is computed from a conductivity per voxel.
    pub fn matrix_free(self) -> bool {
        self != SteadyForm::Stored
    }
}

/// The share of the device's memory up to which `SteadyOperator::Auto` takes a form: below
/// the 90 % at which a run is refused, so that a faster form never pushes a run that a
/// leaner one would fit over that line.
pub const STORED_SHARE_MAX: f64 = 0.7;

/// The method of the effective-diffusivity and reaction stages (`gde.species.solver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeciesSolverKind {
    Lattice,
    Multigrid,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReactionParams {
    pub enabled: bool,
    /// Through-plane axis: species enter at its low face; its high face is closed.
    pub axis: usize,
    pub rate_constant_m_s: f64,
    pub transfer_coefficient: f64,
    pub overpotential_v: f64,
    pub electrons: f64,
    pub ionomer_film_thickness_m: f64,
    pub ionomer_diffusivity_m2_s: f64,
    pub henry_ratio: f64,
    /// Also solve with infinitely fast kinetics (limiting current, transport resistance).
    pub limiting: bool,
    /// Steady when the inlet flux changes by less than this (relative) between checks.
    pub tolerance: f64,
}

impl ReactionParams {
    /// The surface rate constant (m/s) at the overpotential: cathodic Butler-Volmer branch,
    /// k = k0 exp(α_c F η / RT), in series with the ionomer film, 1/k_eff = 1/k + δ/(H D_i).
    pub fn effective_rate_m_s(&self, temperature_k: f64, limiting: bool) -> f64 {
        use super::units::{FARADAY, GAS_CONSTANT};
        let kinetic = if limiting {
            f64::INFINITY
        } else {
            self.rate_constant_m_s
                * (self.transfer_coefficient * FARADAY * self.overpotential_v
                    / (GAS_CONSTANT * temperature_k))
                    .exp()
        };
        1.0 / (1.0 / kinetic + self.film_resistance_s_m())
    }

    /// The sub-voxel ionomer film's resistance per catalyst area, δ / (H D_i) (s/m).
    pub fn film_resistance_s_m(&self) -> f64 {
        if self.ionomer_film_thickness_m > 0.0 {
            self.ionomer_film_thickness_m / (self.henry_ratio * self.ionomer_diffusivity_m2_s)
        } else {
            0.0
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GdeParams {
    pub geometry: GeometrySpec,
    /// Folder of the scenario file (relative geometry files are found from it).
    pub base_dir: PathBuf,
    pub flow: FlowParams,
    pub species: SpeciesParams,
    pub reaction: ReactionParams,
}

fn axis_list(s: &mut Section, key: &str, default: &[&str]) -> Result<Vec<usize>, ScenarioError> {
    let v = s.raw(key);
    let items: Vec<String> = match v {
        None => default.iter().map(|a| a.to_string()).collect(),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| s.error(key, "expected a list of axis names, e.g. [\"x\", \"z\"]"))?,
        Some(_) => return Err(s.error(key, "expected a list of axis names, e.g. [\"x\", \"z\"]")),
    };
    let mut axes = Vec::new();
    for it in items {
        let a = AXES
            .iter()
            .position(|n| *n == it)
            .ok_or_else(|| s.error(key, format!("{it:?} is not an axis; allowed: x, y, z")))?;
        if axes.contains(&a) {
            return Err(s.error(key, format!("axis {it} is listed twice")));
        }
        axes.push(a);
    }
    Ok(axes)
}

fn axis(s: &mut Section, key: &str, default: &str) -> Result<usize, ScenarioError> {
    let a = s.choice(key, &AXES, Some(default))?;
    Ok(AXES.iter().position(|n| *n == a).unwrap())
}

fn seed(s: &mut Section) -> Result<u64, ScenarioError> {
    s.u64_or("seed", 1, 0, u32::MAX as u64)
}

const FRACTION: Range = Range::open_closed(0.0, 1.0);
const TAU: Range = Range::open_closed(0.5, 3.0);
/// The species collision is TRT with a fixed magic parameter, so steady states do not depend
/// on τ and a large τ (fast diffusion per step) is safe; up to τ = 20 the symmetric rate
/// stays below 1.95, so every mode is still damped.
/// f32 fields of one steady solve (steady.rs) with a matrix-free operator, allocated while it
/// runs: the correction x, the solver's conductivity σ (its fine operator is computed from
/// σ, not stored), r, p and z (a solver `for_corrections` with `CorrectionMemory::Least`: no
/// x_prev, no b, which it takes in r, no q), and the multigrid levels (7 fields on 1/8 +
/// 1/64 + … of the cells: one field's worth, the first coarse level kept once even where
/// the image is split into chunks).
pub const STEADY_SOLVE_FIELDS: u32 = 6;
/// The same with p and σ in f16 (`CorrectionMemory::Half`, a half-precision conductivity):
/// the two together take one field's 4 B. Counted for diffusivity solves only: a reaction's
/// catalyst σ may fall outside f16's range (steady.rs then keeps σ in f32).
pub const STEADY_SOLVE_FIELDS_HALF: u32 = STEADY_SOLVE_FIELDS - 1;
/// The same with the operator stored (`CorrectionMemory::Standard`): gx, gy, gz and diag
/// instead of σ, and q.
pub const STEADY_SOLVE_FIELDS_STORED: u32 = STEADY_SOLVE_FIELDS + 4;

const SPECIES_TAU: Range = Range::open_closed(0.5, 20.0);

fn read_geometry(s: &mut Section, grid: &Grid) -> Result<GeometrySpec, ScenarioError> {
    let kinds = [
        "empty",
        "slit",
        "duct",
        "pores",
        "sphere_array",
        "spheres",
        "fibres",
        "catalyst_layer",
        "raw",
        "vti",
        "npy",
        "tiff",
    ];
    let kind = s.choice("kind", &kinds, None)?;
    // Feature sizes (widths, radii, diameters, periods) up to the domain's longest side: a
    // larger one is a unit slip (µm given as m), not a microstructure.
    // Rounded to 12 digits, so that the bound an error prints (2.4e-4, not
    // 2.3999999999999998e-4 from 120 × 2e-6) is the value a user types.
    let longest: f64 = format!("{:.12e}", grid.lengths().into_iter().fold(0.0, f64::max))
        .parse()
        .expect("a formatted f64 parses");
    let len = Range::open_closed(0.0, longest);
    // Generated objects at least one voxel across: smaller ones paint a voxel now and then
    // (a dust of single voxels, slowly), not the shape asked for.
    let radius = Range::closed(0.5 * grid.dx, longest);
    let diameter = Range::closed(grid.dx, longest);
    Ok(match kind.as_str() {
        "empty" => GeometrySpec::Empty,
        "slit" => GeometrySpec::Slit {
            normal_axis: axis(s, "normal_axis", "y")?,
            width: s.f64("width_m", len, " m")?,
        },
        "duct" => GeometrySpec::Duct {
            axis: axis(s, "axis", "x")?,
            width: s.f64("width_m", len, " m")?,
        },
        "pores" => GeometrySpec::Pores {
            axis: axis(s, "axis", "x")?,
            width: s.f64("width_m", len, " m")?,
            spacing: s.f64("spacing_m", len, " m")?,
        },
        "sphere_array" => {
            let packing = match s
                .choice(
                    "packing",
                    &["simple_cubic", "bcc", "fcc"],
                    Some("simple_cubic"),
                )?
                .as_str()
            {
                "simple_cubic" => Packing::SimpleCubic,
                "bcc" => Packing::BodyCentred,
                _ => Packing::FaceCentred,
            };
            // Non-overlapping spheres: c up to the touching value of each packing
            // (π/6, π√3/8, π√2/6).
            let pi = std::f64::consts::PI;
            let touching = match packing {
                Packing::SimpleCubic => pi / 6.0,
                Packing::BodyCentred => pi * 3f64.sqrt() / 8.0,
                Packing::FaceCentred => pi * 2f64.sqrt() / 6.0,
            };
            let c = s.f64("solid_fraction", Range::open_closed(0.0, touching), "")?;
            let period = s.f64_or("period_m", grid.lengths()[0], len, " m")?;
            GeometrySpec::SphereArray {
                packing,
                solid_fraction: c,
                period,
            }
        }
        "spheres" => {
            let r = s.opt_f64("radius_m", radius, " m")?;
            let r_min = s.f64_or(
                "radius_min_m",
                r.unwrap_or(0.0),
                Range::non_negative(),
                " m",
            )?;
            let r_max = s.f64_or("radius_max_m", r.unwrap_or(r_min), len, " m")?;
            if r_min <= 0.0 || r_min > r_max {
                return Err(s.error(
                    "radius_min_m",
                    "give radius_m, or radius_min_m and radius_max_m with 0 < min <= max",
                ));
            }
            if r_min < radius.lo {
                return Err(s.error(
                    if s.has("radius_min_m") {
                        "radius_min_m"
                    } else {
                        "radius_m"
                    },
                    format!(
                        "{} m is under half a voxel; allowed: {radius} m",
                        crate::input::format_value(r_min)
                    ),
                ));
            }
            GeometrySpec::Spheres {
                r_min,
                r_max,
                porosity: s.f64("porosity", Range::closed(0.0, 1.0), "")?,
                seed: seed(s)?,
            }
        }
        "fibres" => GeometrySpec::Fibres {
            diameter: s.f64("fibre_diameter_m", diameter, " m")?,
            porosity: s.f64("porosity", Range::closed(0.0, 1.0), "")?,
            max_pitch_deg: s.f64_or("max_pitch_deg", 10.0, Range::closed(0.0, 90.0), " degrees")?,
            through_axis: axis(s, "through_plane_axis", "z")?,
            seed: seed(s)?,
        },
        "catalyst_layer" => GeometrySpec::CatalystLayer {
            carbon_radius: s.f64("carbon_radius_m", radius, " m")?,
            carbon_fraction: s.f64("carbon_fraction", Range::open_closed(0.0, 0.9), "")?,
            ionomer_thickness: s.f64("ionomer_thickness_m", Range::closed(0.0, longest), " m")?,
            reactive_fraction: s.f64_or("reactive_fraction", 1.0, Range::closed(0.0, 1.0), "")?,
            seed: seed(s)?,
        },
        "raw" => GeometrySpec::Raw {
            file: s.string_or("file", "")?,
            pore_value: s.u64_or("pore_value", 0, 0, 255)? as u8,
        },
        "vti" => GeometrySpec::Vti {
            file: s.string_or("file", "")?,
            array: s.string_or("array", "label")?,
            pore_value: s.u64_or("pore_value", 0, 0, 255)? as u8,
        },
        other => {
            let file = s.string_or("file", "")?;
            let threshold = s.opt_f64("pore_below", Range::any(), "")?;
            let classify = match threshold {
                Some(threshold) => {
                    if s.raw("pore_value").is_some() {
                        return Err(s.error(
                            "pore_value",
                            "give pore_value (a label map) or pore_below (a grey-value \
                             threshold), not both",
                        ));
                    }
                    Classify::PoreBelow { threshold }
                }
                None => Classify::Labels {
                    pore_value: s.u64_or("pore_value", 0, 0, 255)? as u8,
                },
            };
            GeometrySpec::Image {
                file,
                format: if other == "npy" {
                    ImageFormat::Npy
                } else {
                    ImageFormat::Tiff
                },
                classify,
            }
        }
    })
}

impl GdeParams {
    pub fn read(s: &mut Section, grid: &Grid) -> Result<GdeParams, ScenarioError> {
        if grid.nz < 2 {
            return Err(s.error("(grid)", "the gde model needs a 3D grid: set grid.nz >= 2"));
        }
        if grid.dy != grid.dx || grid.dz != grid.dx {
            return Err(s.error(
                "(grid)",
                "the gde model needs cubic voxels: grid.dy and grid.dz equal to grid.dx",
            ));
        }
        let base_dir = std::path::Path::new(s.file())
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default();

        let mut g = s.table("geometry")?;
        let geometry = read_geometry(&mut g, grid)?;
        if let GeometrySpec::Raw { file, .. }
        | GeometrySpec::Vti { file, .. }
        | GeometrySpec::Image { file, .. } = &geometry
        {
            if file.is_empty() {
                return Err(g.error(
                    "file",
                    "missing; the voxel image to read (relative to the scenario)",
                ));
            }
            if !base_dir.join(file).exists() {
                return Err(g.error(
                    "file",
                    format!("{} does not exist", base_dir.join(file).display()),
                ));
            }
        }
        s.put_table("geometry", g.finish()?);

        let mut f = s.table("flow")?;
        let drive = match f
            .choice(
                "drive",
                &["body_force", "pressure", "velocity"],
                Some("body_force"),
            )?
            .as_str()
        {
            "body_force" => Drive::BodyForce,
            "pressure" => Drive::Pressure,
            _ => Drive::Velocity,
        };
        let inlet_velocity_m_s = if drive == Drive::Velocity {
            f.f64_or(
                "inlet_velocity_m_s",
                0.01,
                Range::open_closed(0.0, 100.0),
                " m/s",
            )?
        } else {
            if f.has("inlet_velocity_m_s") {
                return Err(f.error(
                    "inlet_velocity_m_s",
                    "is only used with drive = \"velocity\"",
                ));
            }
            0.0
        };
        let storage = match f.choice("storage", &["f32", "f16"], Some("f32"))?.as_str() {
            "f16" => PopulationStorage::F16,
            _ => PopulationStorage::F32,
        };
        let flow = FlowParams {
            axes: axis_list(&mut f, "axes", &[])?,
            drive,
            inlet_velocity_m_s,
            side_walls: f.bool_or("side_walls", false)?,
            relaxation_time: f.f64_or("relaxation_time", 1.0, TAU, "")?,
            kinematic_viscosity_m2_s: f.f64_or(
                "kinematic_viscosity_m2_s",
                1.5e-5,
                Range::positive(),
                " m²/s",
            )?,
            density_kg_m3: f.f64_or("density_kg_m3", 1.2, Range::positive(), " kg/m³")?,
            pressure_gradient_pa_m: f.f64_or(
                "pressure_gradient_Pa_m",
                1e3,
                Range::positive(),
                " Pa/m",
            )?,
            // Half-precision populations settle through their own round-off: a tighter
            // default only adds checks (sphere array at 32³: 2800 iterations at 1e-5, 4800 at
            // 1e-6, 8.5e-4 and 4.2e-4 from the f32 permeability; docs/models/gde.md).
            tolerance: f.f64_or(
                "tolerance",
                match storage {
                    PopulationStorage::F32 => 1e-6,
                    PopulationStorage::F16 => 1e-5,
                },
                FRACTION,
                "",
            )?,
            check_every: f.u64_or("check_every", 100, 1, 1_000_000)?,
            max_iterations: f.u64_or("max_iterations", 1_000_000, 1, u64::MAX >> 2)?,
            storage,
        };
        let f16_flow = flow.storage == PopulationStorage::F16 && !flow.axes.is_empty();
        if f16_flow && !(grid.nx * grid.ny).is_multiple_of(2) {
            return Err(f.error(
                "storage",
                format!(
                    "\"f16\" needs an even number of cells per z plane (nx·ny = {}·{}): its \
                     chunk copies move 4-byte words; crop or pad the grid by one cell, or use \
                     \"f32\"",
                    grid.nx, grid.ny
                ),
            ));
        }
        if flow.drive == Drive::Velocity {
            // The inflow must stay well below the lattice's speed of sound, like every
            // velocity of a solve (FlowUnits::speed_limit).
            let limit = FlowUnits::new(
                grid.dx,
                flow.kinematic_viscosity_m2_s,
                flow.relaxation_time,
                flow.density_kg_m3,
            )
            .speed_limit();
            if flow.inlet_velocity_m_s > limit {
                return Err(f.error(
                    "inlet_velocity_m_s",
                    format!(
                        "{} m/s is above the lattice limit (Mach {MACH_LIMIT}) for this voxel \
                         size, viscosity and relaxation time; allowed: (0, {limit:.3e}] m/s",
                        flow.inlet_velocity_m_s
                    ),
                ));
            }
        }
        s.put_table("flow", f.finish()?);

        let mut sp = s.table("species")?;
        let advection = sp.bool_or("advection", false)?;
        let species = SpeciesParams {
            axes: axis_list(&mut sp, "axes", &[])?,
            side_walls: sp.bool_or("side_walls", false)?,
            diffusivity_m2_s: sp.f64_or("diffusivity_m2_s", 2e-5, Range::positive(), " m²/s")?,
            relaxation_time: sp.f64_or("relaxation_time", 10.0, SPECIES_TAU, "")?,
            concentration_in_mol_m3: sp.f64_or(
                "concentration_in_mol_m3",
                1.0,
                Range::positive(),
                " mol/m³",
            )?,
            concentration_out_mol_m3: sp.f64_or(
                "concentration_out_mol_m3",
                0.0,
                Range::non_negative(),
                " mol/m³",
            )?,
            tolerance: sp.f64_or("tolerance", 1e-3, FRACTION, "")?,
            check_every: sp.u64_or("check_every", 100, 1, 1_000_000)?,
            max_iterations: sp.u64_or("max_iterations", 1_000_000, 1, u64::MAX >> 2)?,
            advection,
            // The steady solve by default, unless species ride a computed flow (issue 20):
            // the lattice is then the only path.
            solver: match sp
                .choice(
                    "solver",
                    &["lattice", "multigrid"],
                    Some(if advection { "lattice" } else { "multigrid" }),
                )?
                .as_str()
            {
                "multigrid" => SpeciesSolverKind::Multigrid,
                _ => SpeciesSolverKind::Lattice,
            },
            operator: match sp
                .choice(
                    "operator",
                    &["auto", "stored", "matrix_free", "matrix_free_f16"],
                    Some("auto"),
                )?
                .as_str()
            {
                "stored" => SteadyOperator::Stored,
                "matrix_free" => SteadyOperator::MatrixFree,
                "matrix_free_f16" => SteadyOperator::MatrixFreeF16,
                _ => SteadyOperator::Auto,
            },
            knudsen: sp.bool_or("knudsen", false)?,
            temperature_k: sp.f64_or("temperature_K", 353.15, Range::positive(), " K")?,
            molar_mass_kg_mol: sp.f64_or(
                "molar_mass_kg_mol",
                0.032,
                Range::positive(),
                " kg/mol",
            )?,
        };
        if species.concentration_out_mol_m3 >= species.concentration_in_mol_m3 {
            return Err(sp.error(
                "concentration_out_mol_m3",
                format!(
                    "must be below concentration_in_mol_m3 ({}); allowed: [0, {})",
                    species.concentration_in_mol_m3, species.concentration_in_mol_m3
                ),
            ));
        }
        if species.advection && species.solver == SpeciesSolverKind::Multigrid {
            return Err(sp.error(
                "solver",
                "\"multigrid\" solves pure diffusion; advection needs \"lattice\"",
            ));
        }
        // Advection uses the velocity field of the last flow solution.
        if species.advection
            && (species.axes.len() != 1 || flow.axes.last() != species.axes.first())
        {
            return Err(sp.error(
                "advection",
                "needs one species axis that is also the last of gde.flow.axes (the flow \
                 field it is advected by)",
            ));
        }
        s.put_table("species", sp.finish()?);

        let mut r = s.table("reaction")?;
        let reaction = ReactionParams {
            enabled: r.bool_or("enabled", false)?,
            axis: axis(&mut r, "axis", "z")?,
            rate_constant_m_s: r.f64_or("rate_constant_m_s", 1e-3, Range::positive(), " m/s")?,
            transfer_coefficient: r.f64_or(
                "transfer_coefficient",
                0.5,
                Range::open_closed(0.0, 1.0),
                "",
            )?,
            overpotential_v: r.f64_or("overpotential_V", 0.3, Range::closed(0.0, 2.0), " V")?,
            electrons: r.f64_or("electrons", 4.0, Range::closed(1.0, 8.0), "")?,
            ionomer_film_thickness_m: r.f64_or(
                "ionomer_film_thickness_m",
                0.0,
                Range::non_negative(),
                " m",
            )?,
            ionomer_diffusivity_m2_s: r.f64_or(
                "ionomer_diffusivity_m2_s",
                1e-9,
                Range::positive(),
                " m²/s",
            )?,
            henry_ratio: r.f64_or("henry_ratio", 0.3, Range::positive(), "")?,
            limiting: r.bool_or("limiting", true)?,
            tolerance: r.f64_or("tolerance", 1e-5, FRACTION, "")?,
        };
        s.put_table("reaction", r.finish()?);

        if flow.axes.is_empty() && species.axes.is_empty() && !reaction.enabled {
            return Err(s.error(
                "flow.axes",
                "nothing to compute: give gde.flow.axes, gde.species.axes or gde.reaction.enabled = true",
            ));
        }
        let params = GdeParams {
            geometry,
            base_dir,
            flow,
            species,
            reaction,
        };
        let f16 = params.species.operator == SteadyOperator::MatrixFreeF16
            && params.species.solver == SpeciesSolverKind::Multigrid;
        if let (true, Some((axis, cells))) = (f16, params.steady_odd_plane(grid)) {
            return Err(s.error(
                "species.operator",
                format!(
                    "\"matrix_free_f16\" needs an even number of cells per plane of each steady \
                     solve's grid, whose planes span its axis and the first other one (x: x·y, \
                     y: y·x, z: z·x; a 2D image: the axis alone); the solve along {} has {cells} \
                     (f16 chunk copies move 4-byte words): crop or pad the image by one voxel, \
                     or use \"matrix_free\"",
                    AXES[axis]
                ),
            ));
        }
        Ok(params)
    }

    /// Scalar f32 fields on the GPU (for the memory estimate): label, 19 flow populations and
    /// 4 flow outputs when flow runs; when species run on the lattice its 7 populations,
    /// concentration, face flux and (Knudsen) a per-cell rate, or with the steady solve the
    /// concentration and the solve's fields while it runs.
    pub fn gpu_fields(&self) -> u32 {
        self.fields_with(match self.species.operator {
            SteadyOperator::Auto | SteadyOperator::Stored => SteadyForm::Stored,
            SteadyOperator::MatrixFree => SteadyForm::MatrixFree,
            SteadyOperator::MatrixFreeF16 => SteadyForm::MatrixFreeF16,
        })
    }

    /// `gpu_fields` on a device with `memory` bytes (None: not reported) and, if
    /// `shader_f16`, f16 shaders, for `grid`, with `Auto` resolved as `steady_form` resolves
    /// it.
    pub fn gpu_fields_on(&self, grid: &Grid, memory: Option<u64>, shader_f16: bool) -> u32 {
        self.fields_with(self.steady_form(grid, memory, shader_f16))
    }

    /// The first steady solve whose grid (permuted to run along its axis,
    /// `steady::permuted_grid`) has an odd number of cells per plane, with that number: f16
    /// fields need an even one (their halo copies move 4-byte words).
    fn steady_odd_plane(&self, grid: &Grid) -> Option<(usize, u64)> {
        let reaction = self.reaction.enabled.then_some(self.reaction.axis);
        self.species
            .axes
            .iter()
            .copied()
            .chain(reaction)
            .find_map(|axis| {
                let cells = super::steady::permuted_grid(grid, axis).plane_cells();
                (!cells.is_multiple_of(2)).then_some((axis, cells))
            })
    }

    /// How the steady solves run on `grid` and a device with `memory` bytes (None: not
    /// reported) and, if `shader_f16`, f16 shaders (`SteadyOperator`). `Auto` takes the
    /// first form whose estimate is at most `STORED_SHARE_MAX` of the memory (stored where
    /// the memory is not reported), or the leanest it may use.
    pub fn steady_form(&self, grid: &Grid, memory: Option<u64>, shader_f16: bool) -> SteadyForm {
        match self.species.operator {
            SteadyOperator::Stored => SteadyForm::Stored,
            SteadyOperator::MatrixFree => SteadyForm::MatrixFree,
            SteadyOperator::MatrixFreeF16 => SteadyForm::MatrixFreeF16,
            SteadyOperator::Auto => {
                let Some(have) = memory else {
                    return SteadyForm::Stored;
                };
                let mut forms = vec![SteadyForm::Stored, SteadyForm::MatrixFree];
                if shader_f16 && self.steady_odd_plane(grid).is_none() {
                    forms.push(SteadyForm::MatrixFreeF16);
                }
                let fits = |form: &&SteadyForm| {
                    let need = 4.0 * grid.cells() as f64 * self.fields_with(**form) as f64;
                    need <= STORED_SHARE_MAX * have as f64
                };
                *forms.iter().find(fits).unwrap_or(&forms[forms.len() - 1])
            }
        }
    }

    fn fields_with(&self, form: SteadyForm) -> u32 {
        let steady = match form {
            SteadyForm::Stored => STEADY_SOLVE_FIELDS_STORED,
            SteadyForm::MatrixFree => STEADY_SOLVE_FIELDS,
            // A reaction's σ may stay f32 (steady.rs), so it is counted so.
            SteadyForm::MatrixFreeF16 if self.reaction.enabled => STEADY_SOLVE_FIELDS,
            SteadyForm::MatrixFreeF16 => STEADY_SOLVE_FIELDS_HALF,
        };
        let mut n = 1;
        if !self.flow.axes.is_empty() {
            // f16 populations: 19 half fields, counted as 10 of 4 bytes.
            n += 4 + match self.flow.storage {
                PopulationStorage::F32 => 19,
                PopulationStorage::F16 => 10,
            };
        }
        if !self.species.axes.is_empty() || self.reaction.enabled {
            match self.species.solver {
                SpeciesSolverKind::Lattice => n += 7 + 2 + u32::from(self.species.knudsen),
                // Without flow the label and the concentration are freed while a solve
                // runs (Gde::solve_steady): the peak is the larger of the two.
                SpeciesSolverKind::Multigrid if self.flow.axes.is_empty() => {
                    n = (n + 1).max(steady)
                }
                SpeciesSolverKind::Multigrid => n += 1 + steady,
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reaction(film_m: f64) -> ReactionParams {
        ReactionParams {
            enabled: true,
            axis: 2,
            rate_constant_m_s: 1e-3,
            transfer_coefficient: 0.5,
            overpotential_v: 0.3,
            electrons: 4.0,
            ionomer_film_thickness_m: film_m,
            ionomer_diffusivity_m2_s: 1e-9,
            henry_ratio: 0.03,
            limiting: true,
            tolerance: 1e-6,
        }
    }

    /// `auto` stores the steady operator unless the stored path would take more than
    /// STORED_SHARE_MAX of the device's memory, then computes it, in f32 unless that too
    /// would (and f16 fields fit); the explicit choices hold whatever the memory; the
    /// memory estimate follows the choice (16 B per voxel between the first two, 4 between
    /// the last two).
    #[test]
    fn auto_computes_the_steady_operator_only_where_memory_is_short() {
        let text = "name = \"t\"\nmodel = \"gde\"\n[grid]\nnx = 8\nny = 8\nnz = 8\ndx = 1e-6\n\
                    [run]\nend_time = 1e6\n[gde.geometry]\nkind = \"empty\"\n[gde.species]\naxes = [\"x\"]\n";
        let s = crate::Scenario::parse("t.toml", text, &[]).unwrap_or_else(|e| panic!("{e}"));
        let mut p = s.params.downcast_ref::<GdeParams>().unwrap().clone();
        let grid = Grid::new_3d(100, 100, 100, 1e-6);
        let cells = grid.cells();
        let bytes = |fields: u32| Some(4 * cells * fields as u64);
        let stored = bytes(p.gpu_fields_on(&grid, None, true)).unwrap();
        let roomy = Some(10 * stored);
        // The matrix-free f32 form fits in 70 % of `short`, and the f16 one in 70 % of
        // `shorter`, which the f32 one does not.
        let short = bytes(STEADY_SOLVE_FIELDS * 10 / 7 + 1);
        let shorter = bytes(STEADY_SOLVE_FIELDS_HALF * 10 / 7 + 1);
        assert_eq!(p.steady_form(&grid, roomy, true), SteadyForm::Stored);
        assert_eq!(p.steady_form(&grid, None, true), SteadyForm::Stored);
        assert_eq!(p.steady_form(&grid, short, true), SteadyForm::MatrixFree);
        assert_eq!(
            p.steady_form(&grid, shorter, true),
            SteadyForm::MatrixFreeF16
        );
        // Without f16 shaders, or with odd planes in a solve's permuted grid (x here: its
        // planes are nx·ny), the f16 form is not taken.
        assert_eq!(p.steady_form(&grid, shorter, false), SteadyForm::MatrixFree);
        let odd = Grid::new_3d(99, 99, 100, 1e-6);
        assert_eq!(p.steady_form(&odd, shorter, true), SteadyForm::MatrixFree);
        assert_eq!(
            p.gpu_fields_on(&grid, roomy, true) - p.gpu_fields_on(&grid, short, true),
            4
        );
        assert_eq!(
            p.gpu_fields_on(&grid, short, true) - p.gpu_fields_on(&grid, shorter, true),
            1
        );
        p.species.operator = SteadyOperator::Stored;
        assert_eq!(p.steady_form(&grid, shorter, true), SteadyForm::Stored);
        p.species.operator = SteadyOperator::MatrixFree;
        assert_eq!(p.steady_form(&grid, roomy, true), SteadyForm::MatrixFree);
        assert_eq!(p.gpu_fields(), STEADY_SOLVE_FIELDS);
        p.species.operator = SteadyOperator::MatrixFreeF16;
        assert_eq!(p.steady_form(&grid, roomy, true), SteadyForm::MatrixFreeF16);
        assert_eq!(p.gpu_fields(), STEADY_SOLVE_FIELDS_HALF);
    }

    /// The surface rate: cathodic Butler-Volmer (Tafel) branch k0 exp(α_c F η / RT), in
    /// series with the ionomer film's permeance H D_i / δ (lbm.md §4; docs/models/gde.md).
    #[test]
    fn rate_constant_follows_tafel_in_series_with_the_film() {
        let t = 353.15;
        let f_rt = super::super::units::FARADAY / (super::super::units::GAS_CONSTANT * t);
        let mut r = reaction(0.0);
        let k1 = r.effective_rate_m_s(t, false);
        assert!((k1 / (1e-3 * (0.5 * f_rt * 0.3).exp()) - 1.0).abs() < 1e-12);
        // 0.1 V more: exp(α F 0.1 / RT) = 5.18 at 80 °C.
        r.overpotential_v = 0.4;
        let ratio = r.effective_rate_m_s(t, false) / k1;
        assert!((ratio - (0.05 * f_rt).exp()).abs() < 1e-9 && (ratio - 5.18).abs() < 0.01);
        assert_eq!(r.effective_rate_m_s(t, true), f64::INFINITY);
        // A 10 nm film: the limiting rate is its permeance, 0.03 × 1e-9 / 1e-8 = 3e-3 m/s,
        // and a finite rate adds its resistance in series.
        let r = reaction(1e-8);
        assert!((r.effective_rate_m_s(t, true) - 3e-3).abs() < 1e-15);
        let kinetic = 1e-3 * (0.5 * f_rt * 0.3).exp();
        let series = 1.0 / (1.0 / kinetic + 1.0 / 3e-3);
        assert!((r.effective_rate_m_s(t, false) / series - 1.0).abs() < 1e-12);
    }
}
