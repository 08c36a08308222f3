//! The feature's initial metal surface as a level set (CPU, glam): the dielectric with its
//! trench or via, built from signed distances to planes and a cylinder combined by max/min,
//! offset by the seed layer. Combining distances so keeps the zero level exact but is only a
//! bound on the distance away from it (near the rim); the GPU reinitialisation turns it into
//! a signed distance before the first step. φ > 0 is electrolyte, φ < 0 metal, in metres.

use glam::{DVec2, DVec3};

use super::params::{Feature, Shape, SuperfillParams};
use crate::grid::Grid;

/// Signed distance to the region where two (or three) half-spaces with distances `d` (positive
/// outside) overlap: exact for perpendicular planes, a close bound for tapered walls.
fn intersection_distance(d: &[f64]) -> f64 {
    let outside: f64 = d.iter().map(|v| v.max(0.0).powi(2)).sum::<f64>().sqrt();
    let inside = d.iter().cloned().fold(f64::NEG_INFINITY, f64::max).min(0.0);
    outside + inside
}

/// Signed distance to the feature's opening in the dielectric (negative inside it): its
/// walls, bottom and rounded bottom corners, open upwards. `lateral` is the distance from
/// the feature's axis along each lateral direction (one for a trench or a round via, two
/// for a square via), `h` the height above the box bottom.
fn opening_distance(shape: &Shape, lateral: &[f64], h: f64) -> f64 {
    let taper = shape.taper_deg.to_radians();
    let half_bottom = shape.width / 2.0 - shape.depth * taper.tan();
    let r = shape.corner_radius;
    // Walls (lines through the bottom corners, leaning out by the taper) and the bottom,
    // moved in by r, so that dilating the intersection by r rounds its corners.
    let wall = |l: f64| {
        let n = DVec2::new(taper.cos(), -taper.sin());
        n.dot(DVec2::new(l - half_bottom, h - shape.bottom)) + r
    };
    let mut d: Vec<f64> = lateral.iter().map(|&l| wall(l)).collect();
    d.push(shape.bottom - h + r);
    intersection_distance(&d) - r
}

/// φ at a point: lateral coordinates from the feature's axis (x, and y in 3D) and height.
pub fn phi_at(p: &SuperfillParams, q: DVec3, three_d: bool) -> f64 {
    let s = &p.shape;
    let h = if three_d { q.z } else { q.y };
    let lateral: Vec<f64> = match (s.feature, three_d) {
        (Feature::Trench, _) => vec![q.x.abs()],
        (Feature::Via, _) => vec![DVec2::new(q.x, q.y).length()],
        (Feature::SquareVia, _) => vec![q.x.abs(), q.y.abs()],
    };
    let top = s.bottom + s.depth;
    // The dielectric is below its top surface and outside the opening.
    let dielectric = (h - top).max(-opening_distance(s, &lateral, h));
    dielectric - s.seed
}

/// The initial level set at every cell centre (x fastest), metres, f32.
pub fn initial_phi(p: &SuperfillParams, grid: &Grid) -> Vec<f32> {
    let three_d = grid.is_3d();
    grid.sample(|c| phi_at(p, DVec3::from_array(c), three_d))
}

/// Cells of the feature to be filled: inside the opening (with its seed layer) and below
/// the initial field surface. The fill fraction and void volume are fractions of these.
pub fn feature_cells(p: &SuperfillParams, grid: &Grid, phi0: &[f32]) -> Vec<bool> {
    let v = SuperfillParams::vertical(grid);
    let level = p.field_level();
    (0..grid.cells())
        .map(|i| {
            let c = grid.coords(i);
            let h = (c[v] as f64 + 0.5) * grid.dx;
            phi0[i as usize] > 0.0 && h < level
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Section;

    fn params(extra: &str, grid: &Grid) -> SuperfillParams {
        let keys = format!("boundary_layer_m = 1e-6\n{extra}");
        let table: toml::Table = toml::from_str(&keys).unwrap();
        SuperfillParams::read(&mut Section::new("t.toml", "superfill", table), grid).unwrap()
    }

    #[test]
    fn trench_surface_sits_where_the_shape_says() {
        let grid = Grid::new_2d(60, 170, 5e-9);
        let p = params("", &grid);
        // Trench half-width 125 nm, bottom at 8 cells = 40 nm, field at 540 nm.
        let at = |x: f64, y: f64| phi_at(&p, DVec3::new(x, y, 0.0), false);
        assert!((at(0.0, 100e-9) - 60e-9).abs() < 1e-12); // above the bottom
        assert!((at(200e-9, 600e-9) - 60e-9).abs() < 1e-12); // above the field
        assert!((at(100e-9, 300e-9) - 25e-9).abs() < 1e-12); // from the wall
        assert!(at(200e-9, 300e-9) < 0.0);
        assert!((at(0.0, 20e-9) + 20e-9).abs() < 1e-12);
    }

    #[test]
    fn seed_layer_and_rounded_corner_move_the_surface() {
        let grid = Grid::new_2d(60, 170, 5e-9);
        let p = params("seed_m = 10e-9\ncorner_radius_m = 50e-9", &grid);
        let at = |x: f64, y: f64| phi_at(&p, DVec3::new(x, y, 0.0), false);
        // Wall at 125 - 10 nm; bottom at 40 + 10 nm; field at 550 nm.
        assert!((at(0.0, 300e-9) - 115e-9).abs() < 1e-12);
        assert!((at(0.0, 60e-9) - 10e-9).abs() < 1e-12);
        assert!((at(200e-9, 560e-9) - 10e-9).abs() < 1e-12);
        // The dielectric corner's centre is 50 nm in from wall and bottom; the seed layer
        // puts the metal surface 40 nm from it.
        let c = DVec2::new(75e-9, 90e-9);
        let corner = at(c.x + 40e-9 * 0.6, c.y - 40e-9 * 0.8);
        assert!(corner.abs() < 1e-12, "{corner}");
    }

    #[test]
    fn via_is_round_and_square_via_square() {
        let grid = Grid::new_3d(30, 30, 90, 10e-9);
        let via = params(
            "feature = \"via\"\nwidth_m = 0.2e-6\ndepth_m = 0.4e-6",
            &grid,
        );
        let sq = params(
            "feature = \"square-via\"\nwidth_m = 0.2e-6\ndepth_m = 0.4e-6",
            &grid,
        );
        let d = 0.07e-6 / 2f64.sqrt();
        let q = DVec3::new(d, d, 0.3e-6);
        assert!((phi_at(&via, q, true) - 0.03e-6).abs() < 1e-12);
        assert!((phi_at(&sq, q, true) - (0.1e-6 - d)).abs() < 1e-12);
        let q = DVec3::new(0.09e-6, 0.09e-6, 0.3e-6);
        assert!(phi_at(&via, q, true) < 0.0 && phi_at(&sq, q, true) > 0.0);
    }
}
