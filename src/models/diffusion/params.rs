//! Parameters of the diffusion model in SI units, their scenario keys, the stable time step,
//! initial conditions and the analytic solutions used by the verification tests.

use crate::faces::FaceKind;
use crate::grid::Grid;
use crate::input::{Range, ScenarioError, Section};

/// Boundary kind of one axis (both faces share the kind; values may differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    Periodic,
    /// Fixed concentration on the face (mol/m³).
    Dirichlet,
    /// Fixed inward flux through the face (mol/(m² s)); 0 = no flux.
    Neumann,
}

impl Boundary {
    fn parse(s: &str) -> Boundary {
        match s {
            "periodic" => Boundary::Periodic,
            "dirichlet" => Boundary::Dirichlet,
            _ => Boundary::Neumann,
        }
    }

    /// The face's code in the engine's vocabulary (src/faces.rs): a Neumann face gives
    /// its flux (0: closed, but coded as a flux face with value 0).
    pub fn gpu_code(self) -> u32 {
        let kind = match self {
            Boundary::Periodic => FaceKind::Periodic,
            Boundary::Dirichlet => FaceKind::Dirichlet,
            Boundary::Neumann => FaceKind::Flux,
        };
        kind as u32
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Initial {
    Uniform,
    /// exp(-|r - centre|² / (2 width²))
    Gaussian {
        width: f64,
    },
    /// Product over axes of the boundary's lowest-order eigenfunction with `modes[a]` nodes.
    Mode {
        modes: [u32; 3],
    },
    /// amplitude inside a cube of half-width `width` around the centre.
    Box {
        width: f64,
    },
}

#[derive(Debug, Clone)]
pub struct DiffusionParams {
    /// m²/s
    pub diffusivity: f64,
    pub initial: Initial,
    /// mol/m³
    pub background: f64,
    /// mol/m³
    pub amplitude: f64,
    /// m
    pub centre: [f64; 3],
    pub boundary: [Boundary; 3],
    /// Face values [axis][low, high]: mol/m³ (Dirichlet) or inward mol/(m² s) (Neumann).
    pub face_values: [[f64; 2]; 3],
    /// Fraction of the largest monotone time step used by default.
    pub safety: f64,
}

const BOUNDARIES: &[&str] = &["periodic", "dirichlet", "neumann"];
const INITIALS: &[&str] = &["uniform", "gaussian", "mode", "box"];
const AXES: [&str; 3] = ["x", "y", "z"];

impl DiffusionParams {
    pub fn read(s: &mut Section, grid: &Grid) -> Result<DiffusionParams, ScenarioError> {
        let diffusivity = s.f64("diffusivity_m2_s", Range::open_closed(0.0, 1.0), " m2/s")?;
        let background = s.f64_or("background_mol_m3", 0.0, Range::any(), " mol/m3")?;
        let amplitude = s.f64_or("amplitude_mol_m3", 1.0, Range::any(), " mol/m3")?;
        let lengths = grid.lengths();
        let mut centre = [0.0; 3];
        for a in 0..grid.dims() as usize {
            let key = format!("centre_{}_m", AXES[a]);
            let range = Range::closed(0.0, lengths[a]);
            centre[a] = s.f64_or(&key, lengths[a] / 2.0, range, " m")?;
        }
        let initial = match s.choice("initial", INITIALS, Some("gaussian"))?.as_str() {
            "uniform" => Initial::Uniform,
            "gaussian" => Initial::Gaussian {
                width: s.f64_or("width_m", lengths[0] / 16.0, Range::positive(), " m")?,
            },
            "box" => Initial::Box {
                width: s.f64_or("width_m", lengths[0] / 8.0, Range::positive(), " m")?,
            },
            _ => {
                let mut modes = [1, 1, u32::from(grid.is_3d())];
                for a in 0..grid.dims() as usize {
                    modes[a] =
                        s.u64_or(&format!("mode_{}", AXES[a]), modes[a] as u64, 0, 1024)? as u32;
                }
                Initial::Mode { modes }
            }
        };
        let mut boundary = [Boundary::Neumann; 3];
        let mut face_values = [[0.0; 2]; 3];
        for a in 0..grid.dims() as usize {
            let ax = AXES[a];
            boundary[a] =
                Boundary::parse(&s.choice(&format!("bc_{ax}"), BOUNDARIES, Some("neumann"))?);
            if boundary[a] != Boundary::Periodic {
                let unit = if boundary[a] == Boundary::Dirichlet {
                    " mol/m3"
                } else {
                    " mol/(m2 s)"
                };
                for (side, name) in ["low", "high"].iter().enumerate() {
                    let key = format!("bc_{ax}_{name}_value");
                    face_values[a][side] = s.f64_or(&key, 0.0, Range::any(), unit)?;
                }
            }
        }
        let safety = s.f64_or("stability_safety", 0.9, Range::open_closed(0.0, 1.0), "")?;
        Ok(DiffusionParams {
            diffusivity,
            initial,
            background,
            amplitude,
            centre,
            boundary,
            face_values,
            safety,
        })
    }

    /// Largest time step (s) for which the explicit update keeps every new value a convex
    /// combination of old ones (no new extrema): dt <= 1 / (D * sum_a k_a / dx_a²), with
    /// k_a = 2, or 3 on an axis with a Dirichlet face (its mirrored ghost doubles that face's
    /// weight). This is also below the von Neumann limit 1 / (2 D sum_a 1/dx_a²).
    pub fn max_stable_dt(&self, grid: &Grid) -> f64 {
        let spacing = grid.spacing();
        let mut rate = 0.0;
        for a in 0..grid.dims() as usize {
            let k = if self.boundary[a] == Boundary::Dirichlet {
                3.0
            } else {
                2.0
            };
            rate += k / (spacing[a] * spacing[a]);
        }
        1.0 / (self.diffusivity * rate)
    }

    pub fn stable_dt(&self, grid: &Grid) -> f64 {
        self.safety * self.max_stable_dt(grid)
    }

    /// Whether the maximum principle holds (no flux is injected through any face).
    pub fn conserves_bounds(&self, dims: u32) -> bool {
        (0..dims as usize)
            .all(|a| self.boundary[a] != Boundary::Neumann || self.face_values[a] == [0.0, 0.0])
    }

    /// Wave number (1/m) of the eigenfunction with `m` nodes on an axis of length `l`.
    fn wave_number(b: Boundary, m: u32, l: f64) -> f64 {
        let pi = std::f64::consts::PI;
        match b {
            Boundary::Periodic => 2.0 * pi * m as f64 / l,
            _ => pi * m as f64 / l,
        }
    }

    /// The initial concentration at a point (mol/m³).
    pub fn initial_value(&self, grid: &Grid, p: [f64; 3]) -> f64 {
        let dims = grid.dims() as usize;
        let lengths = grid.lengths();
        let shape = match &self.initial {
            Initial::Uniform => 0.0,
            Initial::Gaussian { width } => {
                let r2: f64 = (0..dims).map(|a| (p[a] - self.centre[a]).powi(2)).sum();
                (-r2 / (2.0 * width * width)).exp()
            }
            Initial::Box { width } => {
                let inside = (0..dims).all(|a| (p[a] - self.centre[a]).abs() < *width);
                if inside {
                    1.0
                } else {
                    0.0
                }
            }
            Initial::Mode { modes } => (0..dims)
                .map(|a| {
                    let k = Self::wave_number(self.boundary[a], modes[a], lengths[a]);
                    match self.boundary[a] {
                        Boundary::Dirichlet => (k * p[a]).sin(),
                        _ => (k * p[a]).cos(),
                    }
                })
                .product(),
        };
        self.background + self.amplitude * shape
    }

    /// Exact solution at time `t` where one is known: an eigenmode with homogeneous boundary
    /// values decays as exp(-D |k|² t); a Gaussian in free space spreads with
    /// width² = width0² + 2 D t and keeps its mass (Crank, *The Mathematics of Diffusion*,
    /// eq. 2.6 generalised to d dimensions).
    pub fn analytic(&self, grid: &Grid, p: [f64; 3], t: f64) -> Option<f64> {
        let dims = grid.dims() as usize;
        let lengths = grid.lengths();
        match &self.initial {
            Initial::Mode { modes } => {
                let k2: f64 = (0..dims)
                    .map(|a| Self::wave_number(self.boundary[a], modes[a], lengths[a]).powi(2))
                    .sum();
                let shape = self.initial_value(grid, p) - self.background;
                Some(self.background + shape * (-self.diffusivity * k2 * t).exp())
            }
            Initial::Gaussian { width } => {
                let w2 = width * width + 2.0 * self.diffusivity * t;
                let r2: f64 = (0..dims).map(|a| (p[a] - self.centre[a]).powi(2)).sum();
                let scale = (width * width / w2).powf(dims as f64 / 2.0);
                Some(self.background + self.amplitude * scale * (-r2 / (2.0 * w2)).exp())
            }
            _ => None,
        }
    }
}
