//! What a level set says about the fill, on the CPU (metrics at each output): surface heights
//! on the centre line and over the field, the filled fraction of the feature, and voids,
//! the connected pockets of electrolyte that no longer reach the box top (the engine's
//! connected components, 6-connected: pockets touching only along an edge are apart).

use crate::geometry::{components, CellBox, Connectivity};
use crate::grid::Grid;

/// One look at the level set.
#[derive(Debug, Clone, Copy, Default)]
pub struct FillState {
    /// Surface height (the top zero crossing of φ) above the feature's dielectric bottom
    /// on the feature's axis and at the box's far edge (the field), m.
    pub centre_height: f64,
    pub field_height: f64,
    /// Metal fraction of the feature's cells.
    pub fill_fraction: f64,
    pub void_count: usize,
    /// Void cells over the feature's cells.
    pub void_fraction: f64,
    /// Cells of the largest void.
    pub largest_void_cells: usize,
}

/// The metal fraction of a cell with level-set value `phi` (m): exact for a surface parallel
/// to the cell's faces (the same rule as shaders/superfill/interface.wgsl).
pub fn metal_fraction(phi: f32, dx: f64) -> f64 {
    (0.5 - phi as f64 / dx).clamp(0.0, 1.0)
}

/// Top zero crossing of φ in the vertical column starting at cell index `start`, with
/// `stride` between vertical neighbours: the height of the highest metal surface above the
/// box bottom, m (linear between cell centres).
pub fn surface_height(phi: &[f32], start: usize, stride: usize, n: usize, dx: f64) -> f64 {
    for k in (0..n).rev() {
        let v = phi[start + k * stride];
        if v <= 0.0 {
            if k + 1 == n {
                return n as f64 * dx;
            }
            let above = phi[start + (k + 1) * stride];
            let frac = -v as f64 / (above as f64 - v as f64);
            return (k as f64 + 0.5 + frac) * dx;
        }
    }
    0.0
}

/// The vertical columns the heights are read on: cells per column, the index step between
/// vertical neighbours, and the first cell of the far column (the field); the feature's
/// axis column starts at cell 0.
pub fn height_columns(grid: &Grid) -> (usize, usize, usize) {
    let (nx, ny, nz) = (grid.nx as usize, grid.ny as usize, grid.nz as usize);
    if grid.is_3d() {
        (nz, nx * ny, (nx - 1) + nx * (ny - 1))
    } else {
        (ny, nx, nx - 1)
    }
}

/// Heights, fill and voids from φ, and each cell's void number (the electrolyte
/// component's, from 1; 0 outside voids). `feature` marks the feature's cells; `bottom` is
/// the dielectric bottom's height above the box bottom.
pub fn analyse(grid: &Grid, phi: &[f32], feature: &[bool], bottom: f64) -> (FillState, Vec<i32>) {
    let (nx, ny, nz) = (grid.nx as usize, grid.ny as usize, grid.nz as usize);
    let (n_vert, stride, far) = height_columns(grid);
    let centre_height = surface_height(phi, 0, stride, n_vert, grid.dx) - bottom;
    let field_height = surface_height(phi, far, stride, n_vert, grid.dx) - bottom;
    let cells = CellBox::new([nx, ny, nz], [false; 3]);
    let electrolyte = components::label(&cells, Connectivity::Faces, |i| phi[i] > 0.0);
    // Components reaching the top plane are open to the bath.
    let mut open = vec![false; electrolyte.count()];
    let top_start = (n_vert - 1) * stride;
    for i in top_start..top_start + stride {
        let l = electrolyte.labels[i];
        if l != 0 {
            open[l as usize - 1] = true;
        }
    }
    let mut void_id = vec![0i32; phi.len()];
    let (mut void_cells, mut void_count, mut largest) = (0usize, 0usize, 0usize);
    for (c, &is_open) in open.iter().enumerate() {
        if !is_open {
            void_count += 1;
            largest = largest.max(electrolyte.sizes[c]);
        }
    }
    for (i, &l) in electrolyte.labels.iter().enumerate() {
        if l != 0 && !open[l as usize - 1] {
            void_id[i] = l as i32;
            void_cells += 1;
        }
    }
    let feature_cells = feature.iter().filter(|&&f| f).count().max(1);
    let filled: f64 = phi
        .iter()
        .zip(feature)
        .filter(|(_, &f)| f)
        .map(|(&v, _)| metal_fraction(v, grid.dx))
        .sum();
    let state = FillState {
        centre_height,
        field_height,
        fill_fraction: filled / feature_cells as f64,
        void_count,
        void_fraction: void_cells as f64 / feature_cells as f64,
        largest_void_cells: largest,
    };
    (state, void_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_fill_and_a_void_from_a_drawn_level_set() {
        // 4 × 8 cells of 1 m: metal up to 3 m everywhere, with a closed pocket of
        // electrolyte at cells (1, 0) and (1, 1), drawn as φ values.
        let grid = Grid::new_2d(4, 8, 1.0);
        let mut phi = vec![0f32; 32];
        for y in 0..8 {
            for x in 0..4 {
                phi[x + 4 * y] = y as f32 + 0.5 - 3.0;
            }
        }
        phi[1] = 0.5;
        phi[1 + 4] = 0.5;
        let feature = vec![true; 32];
        let (s, void_id) = analyse(&grid, &phi, &feature, 0.0);
        assert!((s.centre_height - 3.0).abs() < 1e-12);
        assert!((s.field_height - 3.0).abs() < 1e-12);
        assert_eq!(s.void_count, 1);
        assert_eq!(s.largest_void_cells, 2);
        assert_eq!(void_id[1], void_id[1 + 4]);
        assert!(void_id[1] > 0 && void_id[0] == 0 && void_id[1 + 8] == 0);
    }
}
