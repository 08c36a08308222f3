//! Voxel microstructures for the gde model: labelled images built by seeded generators or
//! read from files, with their porosity and specific surface area. Everything here runs on
//! the CPU before any GPU work, so a bad geometry is reported early.

use anyhow::{bail, Context, Result};
use std::path::Path;

use crate::geometry::{distance, CellBox};
use crate::grid::Grid;
use crate::rng::Rng;

/// Voxel labels (stored as f32 on the GPU; see shaders/gde/include/lattice.wgsl).
pub const PORE: u8 = 0;
pub const SOLID: u8 = 1;
pub const IONOMER: u8 = 2;
/// Solid whose faces to the pore react (catalyst under the ionomer film).
pub const CATALYST: u8 = 3;

/// A labelled voxel image on the scenario's grid, storage order x fastest.
#[derive(Debug, Clone, PartialEq)]
pub struct Voxels {
    pub n: [usize; 3],
    pub labels: Vec<u8>,
    /// What building it found that the user should know (an imported image whose spacing
    /// disagrees with the grid's), printed by `validate` and at the start of a run.
    pub notes: Vec<String>,
}

/// Cubic lattices of sphere arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    SimpleCubic,
    BodyCentred,
    FaceCentred,
}

impl Packing {
    /// Sphere centres in one unit cell, in units of the period.
    fn centres(self) -> &'static [[f64; 3]] {
        match self {
            Packing::SimpleCubic => &[[0.0, 0.0, 0.0]],
            Packing::BodyCentred => &[[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]],
            Packing::FaceCentred => &[
                [0.0, 0.0, 0.0],
                [0.5, 0.5, 0.0],
                [0.5, 0.0, 0.5],
                [0.0, 0.5, 0.5],
            ],
        }
    }

    /// Sphere radius / period for a solid volume fraction `c` (spheres not overlapping).
    pub fn radius_for(self, c: f64) -> f64 {
        let n = self.centres().len() as f64;
        (3.0 * c / (4.0 * std::f64::consts::PI * n)).cbrt()
    }
}

/// How to build the geometry (lengths in metres), see docs/models/gde.md.
#[derive(Debug, Clone, PartialEq)]
pub enum GeometrySpec {
    /// All pore: channels and ducts come from wall faces of the domain.
    Empty,
    /// A slit of `width` between two solid slabs normal to `normal_axis`, centred.
    Slit { normal_axis: usize, width: f64 },
    /// A square duct of side `width` along `axis`, centred, solid around it.
    Duct { axis: usize, width: f64 },
    /// Parallel straight square pores of side `width` along `axis`, one per `spacing`.
    Pores {
        axis: usize,
        width: f64,
        spacing: f64,
    },
    /// Spheres on a simple-cubic, body-centred or face-centred cubic lattice.
    SphereArray {
        packing: Packing,
        /// Solid volume fraction of the ideal (unvoxelised) spheres.
        solid_fraction: f64,
        /// Lattice period; the domain holds whole unit cells.
        period: f64,
    },
    /// Overlapping spheres with radii uniform in [r_min, r_max], added until the porosity is
    /// at or below `porosity`.
    Spheres {
        r_min: f64,
        r_max: f64,
        porosity: f64,
        seed: u64,
    },
    /// Straight carbon fibres lying within `max_pitch_deg` of the plane normal to
    /// `through_axis`, random in-plane orientation, until the porosity reaches `porosity`.
    Fibres {
        diameter: f64,
        porosity: f64,
        max_pitch_deg: f64,
        through_axis: usize,
        seed: u64,
    },
    /// Carbon agglomerates (overlapping spheres of `carbon_radius` to `carbon_fraction`)
    /// coated by an ionomer film of `ionomer_thickness`; a fraction `reactive_fraction` of the
    /// film voxels facing the pore carry catalyst.
    CatalystLayer {
        carbon_radius: f64,
        carbon_fraction: f64,
        ionomer_thickness: f64,
        reactive_fraction: f64,
        seed: u64,
    },
    /// An 8-bit raw file of the grid's shape (x fastest); `pore_value` marks pore, values
    /// 1..3 other than it keep their label meaning, anything else is solid.
    Raw { file: String, pore_value: u8 },
    /// A `.vti` image data file with a point or cell array `array` of the grid's shape.
    Vti {
        file: String,
        array: String,
        pore_value: u8,
    },
    /// A NumPy `.npy` array (`im[x, y, z]`, as PoreSpy writes it) or a TIFF stack (pages
    /// are z slices; a multi-page file or a folder of single-page files), of the grid's shape.
    Image {
        file: String,
        format: ImageFormat,
        classify: Classify,
    },
}

/// The voxel-image formats read by `io::image_read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Npy,
    Tiff,
}

/// How an imported image's values become labels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Classify {
    /// A label map: `pore_value` marks pore, 1..3 keep their label meaning, anything else is
    /// solid (as for raw and .vti files).
    Labels { pore_value: u8 },
    /// Grey values: below `threshold` is pore, the rest solid (dark pore space, as in most
    /// micro-CT reconstructions).
    PoreBelow { threshold: f64 },
}

impl Classify {
    pub fn label(self, value: f64) -> u8 {
        match self {
            // A value that is no byte (negative, fractional, above 255) is neither the pore
            // value nor a label: solid.
            Classify::Labels { pore_value } => {
                if value.fract() == 0.0 && (0.0..=255.0).contains(&value) {
                    map_label(value as u8, pore_value)
                } else {
                    SOLID
                }
            }
            Classify::PoreBelow { threshold } => {
                if value < threshold {
                    PORE
                } else {
                    SOLID
                }
            }
        }
    }
}

/// Mixed into the scenario's seed so that the geometry's stream differs from other draws on
/// the same seed. Any constant would do; this one keeps every seed's geometry as it was.
const GEOMETRY_STREAM: u64 = 0x6a09e667f3bcc909;

fn seeded_rng(seed: u64) -> Rng {
    Rng::new(seed ^ GEOMETRY_STREAM)
}

impl Voxels {
    pub fn filled(n: [usize; 3], label: u8) -> Voxels {
        Voxels {
            n,
            labels: vec![label; n[0] * n[1] * n[2]],
            notes: Vec::new(),
        }
    }

    pub fn index(&self, x: usize, y: usize, z: usize) -> usize {
        x + self.n[0] * (y + self.n[1] * z)
    }

    pub fn cells(&self) -> usize {
        self.labels.len()
    }

    /// Pore volume fraction.
    pub fn porosity(&self) -> f64 {
        self.labels.iter().filter(|&&l| l == PORE).count() as f64 / self.cells() as f64
    }

    /// Pore-solid interface area per total volume (1/m), counting voxel faces (including
    /// faces across periodic domain edges). Voxel faces overestimate a smooth surface (by
    /// 3/2 on average for random orientations); the number is the one the solvers see.
    pub fn specific_surface(&self, dx: f64) -> f64 {
        let [nx, ny, nz] = self.n;
        let mut faces = 0u64;
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    let a = self.labels[self.index(x, y, z)] == PORE;
                    for (xx, yy, zz) in [
                        ((x + 1) % nx, y, z),
                        (x, (y + 1) % ny, z),
                        (x, y, (z + 1) % nz),
                    ] {
                        if a != (self.labels[self.index(xx, yy, zz)] == PORE) {
                            faces += 1;
                        }
                    }
                }
            }
        }
        faces as f64 / (self.cells() as f64 * dx)
    }

    /// Fraction of voxels with each label 0..=3.
    pub fn label_fractions(&self) -> [f64; 4] {
        let mut counts = [0usize; 4];
        for &l in &self.labels {
            counts[(l as usize).min(3)] += 1;
        }
        counts.map(|c| c as f64 / self.cells() as f64)
    }

    pub fn as_f32(&self) -> Vec<f32> {
        self.labels.iter().map(|&l| l as f32).collect()
    }
}

/// Builds the geometry on `grid`; `base` resolves relative file names (the scenario's folder).
pub fn build(spec: &GeometrySpec, grid: &Grid, base: &Path) -> Result<Voxels> {
    let n = [grid.nx as usize, grid.ny as usize, grid.nz as usize];
    let dx = grid.dx;
    let mut v = Voxels::filled(n, PORE);
    match spec {
        GeometrySpec::Empty => {}
        GeometrySpec::Slit { normal_axis, width } => {
            let w = width / dx;
            fill(&mut v, |p| {
                let len = n[*normal_axis] as f64;
                (p[*normal_axis] - len / 2.0).abs() > w / 2.0
            });
        }
        GeometrySpec::Duct { axis, width } => {
            let w = width / dx;
            let (a, b) = others(*axis);
            fill(&mut v, |p| {
                (p[a] - n[a] as f64 / 2.0).abs() > w / 2.0
                    || (p[b] - n[b] as f64 / 2.0).abs() > w / 2.0
            });
        }
        GeometrySpec::Pores {
            axis,
            width,
            spacing,
        } => {
            let (w, s) = (width / dx, spacing / dx);
            let (a, b) = others(*axis);
            fill(&mut v, |p| {
                let da = (p[a] % s) - s / 2.0;
                let db = (p[b] % s) - s / 2.0;
                da.abs() > w / 2.0 || db.abs() > w / 2.0
            });
        }
        GeometrySpec::SphereArray {
            packing,
            solid_fraction,
            period,
        } => {
            let l = period / dx;
            let r = packing.radius_for(*solid_fraction) * l;
            fill(&mut v, |p| {
                packing.centres().iter().any(|c| {
                    let mut d2 = 0.0;
                    for k in 0..3 {
                        // Distance to the nearest periodic image of the centre.
                        let mut d = (p[k] / l - c[k]).rem_euclid(1.0);
                        if d > 0.5 {
                            d -= 1.0;
                        }
                        d2 += (d * l) * (d * l);
                    }
                    d2 < r * r
                })
            });
        }
        GeometrySpec::Spheres {
            r_min,
            r_max,
            porosity,
            seed,
        } => {
            let mut rng = seeded_rng(*seed);
            add_until(&mut v, *porosity, ("radius_max_m", r_max / dx), |v| {
                let c = [0, 1, 2].map(|k| rng.uniform() * n[k] as f64);
                let r = (r_min + (r_max - r_min) * rng.uniform()) / dx;
                paint_sphere(v, c, r, SOLID)
            })?;
        }
        GeometrySpec::Fibres {
            diameter,
            porosity,
            max_pitch_deg,
            through_axis,
            seed,
        } => {
            let mut rng = seeded_rng(*seed);
            let r = diameter / dx / 2.0;
            let (a, b) = others(*through_axis);
            let t = *through_axis;
            let pitch = max_pitch_deg.to_radians();
            add_until(&mut v, *porosity, ("fibre_diameter_m", 2.0 * r), |v| {
                let c = [0, 1, 2].map(|k| rng.uniform() * n[k] as f64);
                let theta = rng.uniform() * std::f64::consts::PI;
                let phi = (2.0 * rng.uniform() - 1.0) * pitch;
                let mut dir = [0.0; 3];
                dir[a] = theta.cos() * phi.cos();
                dir[b] = theta.sin() * phi.cos();
                dir[t] = phi.sin();
                paint_fibre(v, c, dir, r, t)
            })?;
        }
        GeometrySpec::CatalystLayer {
            carbon_radius,
            carbon_fraction,
            ionomer_thickness,
            reactive_fraction,
            seed,
        } => {
            let mut rng = seeded_rng(*seed);
            let r = carbon_radius / dx;
            let mut centres = Vec::new();
            add_until(&mut v, 1.0 - carbon_fraction, ("carbon_radius_m", r), |v| {
                let c = [0, 1, 2].map(|k| rng.uniform() * n[k] as f64);
                centres.push(c);
                paint_sphere(v, c, r, SOLID)
            })?;
            // The film: pore voxels within the film thickness of a carbon surface.
            let t = ionomer_thickness / dx;
            let mut coated = v.clone();
            for c in &centres {
                paint_sphere(&mut coated, *c, r + t, IONOMER);
            }
            v = coated;
            // Catalyst: a seeded fraction of the film voxels that face the pore.
            let facing: Vec<usize> = (0..v.cells())
                .filter(|&i| v.labels[i] == IONOMER && touches_pore(&v, i))
                .collect();
            for i in facing {
                if rng.uniform() < *reactive_fraction {
                    v.labels[i] = CATALYST;
                }
            }
        }
        GeometrySpec::Raw { file, pore_value } => {
            let path = base.join(file);
            let bytes = std::fs::read(&path)
                .with_context(|| format!("gde.geometry.file: reading {}", path.display()))?;
            if bytes.len() != v.cells() {
                bail!(
                    "gde.geometry.file: {} holds {} bytes but the grid {}x{}x{} needs {} (one byte \
                     per voxel, x fastest); set grid.nx, ny, nz to the image's shape",
                    path.display(),
                    bytes.len(),
                    n[0],
                    n[1],
                    n[2],
                    v.cells()
                );
            }
            v.labels = bytes.iter().map(|&b| map_label(b, *pore_value)).collect();
        }
        GeometrySpec::Vti {
            file,
            array,
            pore_value,
        } => {
            let path = base.join(file);
            let image = crate::io::vti_read::read_image_array(&path, array).map_err(|e| {
                if e.downcast_ref::<crate::io::vti_read::MissingArray>()
                    .is_some()
                {
                    e.context("gde.geometry.array names no array of the file")
                } else {
                    e.context("gde.geometry.file")
                }
            })?;
            if image.dims != n {
                bail!(
                    "{}: array {array:?} is {}x{}x{} but the grid is {}x{}x{}; set grid.nx, ny, nz \
                     to the image's shape (the voxel size is grid.dx; the file's spacing is not used)",
                    path.display(),
                    image.dims[0],
                    image.dims[1],
                    image.dims[2],
                    n[0],
                    n[1],
                    n[2]
                );
            }
            v.labels = image
                .values
                .iter()
                .map(|&x| map_label(x, *pore_value))
                .collect();
            v.notes.extend(spacing_note(&path, image.spacing, grid));
        }
        GeometrySpec::Image {
            file,
            format,
            classify,
        } => {
            let path = base.join(file);
            let label = |x: f64| classify.label(x);
            let image = match format {
                ImageFormat::Npy => crate::io::image_read::read_npy(&path, &label),
                ImageFormat::Tiff => crate::io::image_read::read_tiff_stack(&path, &label),
            }
            .context("gde.geometry.file")?;
            if image.dims != n {
                bail!(
                    "gde.geometry.file: {} is {}x{}x{} (x, y, z{}) but the grid is {}x{}x{}; \
                     set grid.nx, ny, nz to the image's shape",
                    path.display(),
                    image.dims[0],
                    image.dims[1],
                    image.dims[2],
                    match format {
                        ImageFormat::Npy => ": the array's axes in order",
                        ImageFormat::Tiff => ": columns, rows, pages",
                    },
                    n[0],
                    n[1],
                    n[2]
                );
            }
            v.labels = image.labels;
        }
    }
    Ok(v)
}

/// A note when an imported image states a voxel size other than the grid's (the grid's is
/// used). Spacing 1 along every axis is taken as "no unit" and passes silently; so does a
/// spacing equal to the grid's in metres, or in mm or µm (a factor 1e3 or 1e6), which
/// writers often use.
fn spacing_note(path: &Path, spacing: [f64; 3], grid: &Grid) -> Option<String> {
    let cell = [grid.dx, grid.dy, grid.dz];
    if spacing == [1.0; 3] {
        return None;
    }
    let agrees = |scale: f64| {
        spacing
            .iter()
            .zip(cell)
            .all(|(s, d)| (s / (d * scale) - 1.0).abs() < 1e-3)
    };
    if [1.0, 1e3, 1e6].into_iter().any(agrees) {
        return None;
    }
    // The file stores f32: four digits say what it meant.
    let show = |v: [f64; 3]| v.map(crate::io::short_exp).join(" x ");
    Some(format!(
        "{}: the image's spacing is {} (in the file's unit) but the grid's cells are {} m; \
         the grid's are used, so results are for that voxel size. Set grid.dx (dy, dz) to \
         the image's voxel size in metres if it is another.",
        path.display(),
        show(spacing),
        show(cell)
    ))
}

fn map_label(value: u8, pore_value: u8) -> u8 {
    if value == pore_value {
        PORE
    } else if (1..=3).contains(&value) {
        value
    } else {
        SOLID
    }
}

fn others(axis: usize) -> (usize, usize) {
    match axis {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    }
}

/// Marks solid every voxel whose centre (in voxel units) satisfies `solid`.
fn fill(v: &mut Voxels, solid: impl Fn([f64; 3]) -> bool) {
    for z in 0..v.n[2] {
        for y in 0..v.n[1] {
            for x in 0..v.n[0] {
                if solid([x as f64 + 0.5, y as f64 + 0.5, z as f64 + 0.5]) {
                    let i = v.index(x, y, z);
                    v.labels[i] = SOLID;
                }
            }
        }
    }
}

/// Calls `add` (which returns how many pore voxels it filled) until the porosity is at or
/// below `target`. `size` names the key and value (in voxels) that sets the objects'
/// size, for the error when they are too small to fill any voxel.
fn add_until(
    v: &mut Voxels,
    target: f64,
    size: (&str, f64),
    mut add: impl FnMut(&mut Voxels) -> usize,
) -> Result<()> {
    let mut pore = v.labels.iter().filter(|&&l| l == PORE).count();
    let goal = (target * v.cells() as f64).round() as usize;
    let mut misses = 0;
    while pore > goal {
        let filled = add(v);
        pore -= filled;
        misses = if filled == 0 { misses + 1 } else { 0 };
        if misses > 100_000 {
            bail!(
                "gde.geometry.{}: the generator cannot reach porosity {target} on this grid: \
                 its objects ({:.3} voxels) are too small to fill voxels; make them at least \
                 about one voxel, or the voxels smaller",
                size.0,
                size.1
            );
        }
    }
    Ok(())
}

/// Paints a sphere (centre and radius in voxel units, periodic in every axis) with `label`
/// over pore voxels; returns how many pore voxels changed.
fn paint_sphere(v: &mut Voxels, c: [f64; 3], r: f64, label: u8) -> usize {
    let mut changed = 0;
    // Every voxel has a periodic image within n/2 of the centre along each axis, so a box
    // reaching n past it covers a sphere larger than the domain too.
    let reach = [0, 1, 2].map(|k| (r + 0.5).min(v.n[k] as f64));
    let lo = [0, 1, 2].map(|k| (c[k] - reach[k]).floor() as i64);
    let hi = [0, 1, 2].map(|k| (c[k] + reach[k]).ceil() as i64);
    for z in lo[2]..=hi[2] {
        for y in lo[1]..=hi[1] {
            for x in lo[0]..=hi[0] {
                let d = [
                    x as f64 + 0.5 - c[0],
                    y as f64 + 0.5 - c[1],
                    z as f64 + 0.5 - c[2],
                ];
                if d[0] * d[0] + d[1] * d[1] + d[2] * d[2] >= r * r {
                    continue;
                }
                let i = v.index(
                    x.rem_euclid(v.n[0] as i64) as usize,
                    y.rem_euclid(v.n[1] as i64) as usize,
                    z.rem_euclid(v.n[2] as i64) as usize,
                );
                if v.labels[i] == PORE {
                    v.labels[i] = label;
                    changed += 1;
                }
            }
        }
    }
    changed
}

/// Paints a straight fibre through `c` along unit vector `dir`, radius `r` (voxel units),
/// periodic in-plane and clipped along `through`; returns how many pore voxels it filled.
fn paint_fibre(v: &mut Voxels, c: [f64; 3], dir: [f64; 3], r: f64, through: usize) -> usize {
    let n = v.n.map(|k| k as f64);
    // Long enough to cross the domain once in-plane.
    let half = 0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    let mut changed = 0;
    let reach = r.ceil() as i64 + 1;
    let mut s = -half;
    while s <= half {
        let p = [0, 1, 2].map(|k| c[k] + s * dir[k]);
        s += 0.5;
        if p[through] < -r || p[through] > n[through] + r {
            continue;
        }
        let base = p.map(|x| x.floor() as i64);
        for dz in -reach..=reach {
            for dy in -reach..=reach {
                for dx in -reach..=reach {
                    let q = [base[0] + dx, base[1] + dy, base[2] + dz];
                    if q[through] < 0 || q[through] >= n[through] as i64 {
                        continue;
                    }
                    // Distance from the voxel centre to the fibre axis.
                    let w = [0, 1, 2].map(|k| q[k] as f64 + 0.5 - c[k]);
                    let along = w[0] * dir[0] + w[1] * dir[1] + w[2] * dir[2];
                    let d2 = w.iter().map(|x| x * x).sum::<f64>() - along * along;
                    if d2 >= r * r {
                        continue;
                    }
                    let i = v.index(
                        q[0].rem_euclid(v.n[0] as i64) as usize,
                        q[1].rem_euclid(v.n[1] as i64) as usize,
                        q[2].rem_euclid(v.n[2] as i64) as usize,
                    );
                    if v.labels[i] == PORE {
                        v.labels[i] = SOLID;
                        changed += 1;
                    }
                }
            }
        }
    }
    changed
}

fn touches_pore(v: &Voxels, i: usize) -> bool {
    let [nx, ny, nz] = v.n;
    let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
    [
        ((x + 1) % nx, y, z),
        ((x + nx - 1) % nx, y, z),
        (x, (y + 1) % ny, z),
        (x, (y + ny - 1) % ny, z),
        (x, y, (z + 1) % nz),
        (x, y, (z + nz - 1) % nz),
    ]
    .iter()
    .any(|&(a, b, c)| v.labels[v.index(a, b, c)] == PORE)
}

/// Distance (voxel units) from every pore voxel to the nearest non-pore voxel centre, exact
/// Euclidean, periodic in no axis: the domain faces count as open. Non-pore voxels get 0,
/// every voxel infinity in an image without a non-pore voxel.
pub fn pore_distance(v: &Voxels) -> Vec<f64> {
    let cells = CellBox::new(v.n, [false; 3]);
    distance(&cells, [1.0; 3], |i| v.labels[i] != PORE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sphere larger than the domain fills it (every voxel has an image inside it) after
    /// visiting a bounded box, not one as wide as the radius.
    #[test]
    fn a_sphere_larger_than_the_domain_fills_it() {
        let mut v = Voxels::filled([4, 3, 5], PORE);
        assert_eq!(paint_sphere(&mut v, [1.0, 1.0, 1.0], 1e9, SOLID), 60);
        assert!(v.labels.iter().all(|&l| l == SOLID));
        // Periodic images: radius 1.2 around a corner voxel's centre reaches across the faces.
        let mut v = Voxels::filled([6, 6, 6], PORE);
        assert_eq!(paint_sphere(&mut v, [0.5, 0.5, 0.5], 1.2, SOLID), 7);
        assert_eq!(v.labels[v.index(5, 0, 0)], SOLID);
    }

    fn grid(n: u32) -> Grid {
        Grid::new_3d(n, n, n, 1e-6)
    }

    #[test]
    fn sphere_array_porosity_matches_the_solid_fraction() {
        for (packing, c) in [
            (Packing::SimpleCubic, 0.125),
            (Packing::BodyCentred, 0.2),
            (Packing::FaceCentred, 0.3),
        ] {
            let g = grid(48);
            let spec = GeometrySpec::SphereArray {
                packing,
                solid_fraction: c,
                period: 48e-6,
            };
            let v = build(&spec, &g, Path::new(".")).unwrap();
            assert!(
                (1.0 - v.porosity() - c).abs() < 0.01,
                "{packing:?}: {}",
                v.porosity()
            );
        }
    }

    #[test]
    fn generators_reach_their_porosity_and_are_seeded() {
        let g = grid(40);
        let fib = |seed| GeometrySpec::Fibres {
            diameter: 5e-6,
            porosity: 0.78,
            max_pitch_deg: 10.0,
            through_axis: 2,
            seed,
        };
        let a = build(&fib(1), &g, Path::new(".")).unwrap();
        assert!((a.porosity() - 0.78).abs() < 0.02, "{}", a.porosity());
        assert_eq!(a, build(&fib(1), &g, Path::new(".")).unwrap());
        assert_ne!(a, build(&fib(2), &g, Path::new(".")).unwrap());
        let s = GeometrySpec::Spheres {
            r_min: 2e-6,
            r_max: 4e-6,
            porosity: 0.5,
            seed: 3,
        };
        let b = build(&s, &g, Path::new(".")).unwrap();
        assert!((b.porosity() - 0.5).abs() < 0.02, "{}", b.porosity());
    }

    /// One straight fibre lying in-plane (pitch 0): it spans its diameter through-plane, and
    /// its voxels per unit length are its cross-section π d²/4.
    #[test]
    fn a_fibre_is_as_thick_as_its_diameter() {
        let g = Grid::new_3d(48, 48, 48, 0.5e-6);
        let spec = GeometrySpec::Fibres {
            diameter: 6e-6,
            porosity: 0.99,
            max_pitch_deg: 0.0,
            through_axis: 2,
            seed: 3,
        };
        let v = build(&spec, &g, Path::new(".")).unwrap();
        let planes = (0..48)
            .filter(|&z| (0..48 * 48).any(|k| v.labels[v.index(k % 48, k / 48, z)] == SOLID))
            .count();
        assert!(
            (planes as f64 - 12.0).abs() <= 1.0,
            "{planes} planes for 12 voxels"
        );
        // The widest plane holds the fibre's full width: at the centre plane a band d wide
        // across the periodic box, i.e. area d·L/|sin| of the band in voxels ≥ d·L.
        let solid = v.labels.iter().filter(|&&l| l == SOLID).count() as f64;
        let widest = (0..48)
            .map(|z| {
                (0..48 * 48)
                    .filter(|&k| v.labels[v.index(k % 48, k / 48, z)] == SOLID)
                    .count()
            })
            .max()
            .unwrap() as f64;
        // Cross-section π d²/4 over the band's width d: the mean plane holds π/4 of the widest.
        let mean_over_planes = solid / 12.0;
        let ratio = mean_over_planes / widest;
        assert!(
            (ratio - std::f64::consts::FRAC_PI_4).abs() < 0.05,
            "{ratio}"
        );
    }

    /// A carbon sphere's ionomer shell: the film voxels (ionomer and catalyst) fill the shell
    /// between r and r + t, (4/3)π((r + t)³ − r³).
    #[test]
    fn the_ionomer_film_has_the_given_thickness() {
        let g = Grid::new_3d(48, 48, 48, 0.25e-6);
        let spec = GeometrySpec::CatalystLayer {
            carbon_radius: 3e-6,
            carbon_fraction: 0.05,
            ionomer_thickness: 1e-6,
            reactive_fraction: 0.5,
            seed: 2,
        };
        let v = build(&spec, &g, Path::new(".")).unwrap();
        let count = |l: u8| v.labels.iter().filter(|&&x| x == l).count() as f64;
        let sphere = |r: f64| 4.0 / 3.0 * std::f64::consts::PI * r.powi(3);
        // One sphere: r = 12 voxels, film 4 voxels.
        assert!(
            (count(SOLID) / sphere(12.0) - 1.0).abs() < 0.03,
            "{}",
            count(SOLID)
        );
        let film = count(IONOMER) + count(CATALYST);
        let shell = sphere(16.0) - sphere(12.0);
        assert!(
            (film / shell - 1.0).abs() < 0.05,
            "film {film} vs shell {shell}"
        );
        // Catalyst: about half of the film's outer surface voxels.
        assert!(count(CATALYST) > 0.0 && count(CATALYST) < 0.5 * film);
    }

    #[test]
    fn catalyst_layer_has_film_and_catalyst() {
        let spec = GeometrySpec::CatalystLayer {
            carbon_radius: 3e-6,
            carbon_fraction: 0.3,
            ionomer_thickness: 1e-6,
            reactive_fraction: 0.5,
            seed: 7,
        };
        let v = build(&spec, &grid(32), Path::new(".")).unwrap();
        let f = v.label_fractions();
        assert!((f[SOLID as usize] - 0.3).abs() < 0.02, "{f:?}");
        assert!(
            f[IONOMER as usize] > 0.05 && f[CATALYST as usize] > 0.02,
            "{f:?}"
        );
    }

    #[test]
    fn specific_surface_of_a_slit_counts_two_faces() {
        // A slit 8 voxels wide in a 16-voxel periodic box: two pore-solid planes.
        let g = grid(16);
        let spec = GeometrySpec::Slit {
            normal_axis: 1,
            width: 8e-6,
        };
        let v = build(&spec, &g, Path::new(".")).unwrap();
        assert_eq!(v.porosity(), 0.5);
        let expect = 2.0 * 16.0 * 16.0 / (16.0f64.powi(3) * 1e-6);
        assert!((v.specific_surface(1e-6) - expect).abs() < 1e-6 * expect);
    }
}
