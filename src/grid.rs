//! The structured grid: cell counts, spacing in metres, and the chunking axis.
//!
//! Cells are stored x-fastest: `index = x + nx * (y + ny * z)`. A 2D grid has `nz = 1`.
//! Fields are split into chunks of whole *planes* of the outermost axis that has more than
//! one cell (z in 3D, y in 2D), so that every chunk fits in one storage binding; see
//! `gpu::field` and docs/architecture.md.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Grid {
    pub nx: u32,
    pub ny: u32,
    pub nz: u32,
    /// Cell sizes in metres.
    pub dx: f64,
    pub dy: f64,
    pub dz: f64,
}

impl Grid {
    pub fn new_2d(nx: u32, ny: u32, dx: f64) -> Grid {
        Grid {
            nx,
            ny,
            nz: 1,
            dx,
            dy: dx,
            dz: dx,
        }
    }

    pub fn new_3d(nx: u32, ny: u32, nz: u32, dx: f64) -> Grid {
        Grid {
            nx,
            ny,
            nz,
            dx,
            dy: dx,
            dz: dx,
        }
    }

    pub fn cells(&self) -> u64 {
        self.nx as u64 * self.ny as u64 * self.nz as u64
    }

    pub fn is_3d(&self) -> bool {
        self.nz > 1
    }

    pub fn dims(&self) -> u32 {
        if self.is_3d() {
            3
        } else {
            2
        }
    }

    /// The chunking axis: 2 (z) in 3D, 1 (y) in 2D.
    pub fn chunk_axis(&self) -> usize {
        if self.is_3d() {
            2
        } else {
            1
        }
    }

    /// Number of planes along the chunking axis (z in 3D, y in 2D).
    pub fn planes(&self) -> u32 {
        if self.is_3d() {
            self.nz
        } else {
            self.ny
        }
    }

    /// Cells in one plane of the chunking axis (= the index stride of that axis).
    pub fn plane_cells(&self) -> u64 {
        if self.is_3d() {
            self.nx as u64 * self.ny as u64
        } else {
            self.nx as u64
        }
    }

    pub fn spacing(&self) -> [f64; 3] {
        [self.dx, self.dy, self.dz]
    }

    pub fn counts(&self) -> [u32; 3] {
        [self.nx, self.ny, self.nz]
    }

    /// Domain lengths in metres.
    pub fn lengths(&self) -> [f64; 3] {
        [
            self.nx as f64 * self.dx,
            self.ny as f64 * self.dy,
            self.nz as f64 * self.dz,
        ]
    }

    /// Volume of one cell in m³ (a 2D cell counts as depth `dz`).
    pub fn cell_volume(&self) -> f64 {
        self.dx * self.dy * self.dz
    }

    /// Centre of cell `(x, y, z)` in metres, with the domain's lower corner at the origin.
    pub fn cell_centre(&self, x: u32, y: u32, z: u32) -> [f64; 3] {
        [
            (x as f64 + 0.5) * self.dx,
            (y as f64 + 0.5) * self.dy,
            if self.is_3d() {
                (z as f64 + 0.5) * self.dz
            } else {
                0.0
            },
        ]
    }

    /// Linear (storage-order) index of cell `(x, y, z)`: x fastest, then y, then z.
    pub fn index(&self, x: u32, y: u32, z: u32) -> u64 {
        x as u64 + self.nx as u64 * (y as u64 + self.ny as u64 * z as u64)
    }

    /// Inverse of [`Grid::index`].
    pub fn coords(&self, index: u64) -> [u32; 3] {
        let nx = self.nx as u64;
        let ny = self.ny as u64;
        [
            (index % nx) as u32,
            ((index / nx) % ny) as u32,
            (index / (nx * ny)) as u32,
        ]
    }

    /// Evaluates `f(centre)` at every cell, in storage order.
    pub fn sample(&self, f: impl Fn([f64; 3]) -> f64) -> Vec<f32> {
        let mut v = Vec::with_capacity(self.cells() as usize);
        for z in 0..self.nz {
            for y in 0..self.ny {
                for x in 0..self.nx {
                    v.push(f(self.cell_centre(x, y, z)) as f32);
                }
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_axis_is_outermost_nontrivial() {
        let g2 = Grid::new_2d(10, 7, 1e-6);
        assert_eq!((g2.planes(), g2.plane_cells()), (7, 10));
        let g3 = Grid::new_3d(10, 7, 5, 1e-6);
        assert_eq!((g3.planes(), g3.plane_cells()), (5, 70));
        assert_eq!(g3.coords(10 + 10 * 7 * 3 + 10 * 2 + 1), [1, 3, 3]);
    }
}
