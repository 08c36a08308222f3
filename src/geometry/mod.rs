//! CPU geometry on a box of cells, shared by the models: exact Euclidean and signed distance
//! transforms ([`distance`]) and connected components ([`components`]). These run before or
//! between GPU work (building and checking microstructures, initialising level sets), so they
//! favour exact answers and linear cost over speed tricks.

pub mod components;
pub mod distance;

pub use components::{label, reach, Components};
pub use distance::{distance, signed_distance};

/// A box of cells stored x fastest, index = x + nx·(y + ny·z), with the axes that wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellBox {
    pub n: [usize; 3],
    pub periodic: [bool; 3],
}

impl CellBox {
    /// Panics if an axis is empty or the box holds more cells than a u32 counts (labels and
    /// flood queues store u32 indices to keep large images cheap).
    pub fn new(n: [usize; 3], periodic: [bool; 3]) -> CellBox {
        assert!(n.iter().all(|&k| k > 0), "empty cell box {n:?}");
        let cells = n[0] as u64 * n[1] as u64 * n[2] as u64;
        assert!(
            cells <= u32::MAX as u64,
            "{cells} cells do not fit u32 indices"
        );
        CellBox { n, periodic }
    }

    pub fn cells(&self) -> usize {
        self.n[0] * self.n[1] * self.n[2]
    }

    pub fn index(&self, p: [usize; 3]) -> usize {
        p[0] + self.n[0] * (p[1] + self.n[1] * p[2])
    }

    pub fn coords(&self, i: usize) -> [usize; 3] {
        [
            i % self.n[0],
            i / self.n[0] % self.n[1],
            i / (self.n[0] * self.n[1]),
        ]
    }

    /// The cell at offset `d` (each component −1, 0 or 1) from `p`, wrapping on periodic
    /// axes, or None where the step leaves through a face that does not wrap.
    pub fn neighbour(&self, p: [usize; 3], d: [i64; 3]) -> Option<[usize; 3]> {
        let mut q = [0; 3];
        for a in 0..3 {
            let n = self.n[a] as i64;
            let mut c = p[a] as i64 + d[a];
            if c < 0 || c >= n {
                if !self.periodic[a] {
                    return None;
                }
                c = c.rem_euclid(n);
            }
            q[a] = c as usize;
        }
        Some(q)
    }
}

/// Which neighbours of a cell count as connected to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connectivity {
    /// The 6 face neighbours (a D3Q7 lattice's links).
    Faces,
    /// The 6 face and 12 edge neighbours (a D3Q19 lattice's links).
    FacesAndEdges,
    /// All 26 neighbours: faces, edges and corners.
    All,
}

impl Connectivity {
    /// The offsets to the connected neighbours, z slowest then y then x, each from −1 to 1.
    pub fn offsets(self) -> Vec<[i64; 3]> {
        let most = match self {
            Connectivity::Faces => 1,
            Connectivity::FacesAndEdges => 2,
            Connectivity::All => 3,
        };
        let mut v = Vec::new();
        for dz in -1i64..=1 {
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let moved = [dx, dy, dz].iter().filter(|&&d| d != 0).count();
                    if (1..=most).contains(&moved) {
                        v.push([dx, dy, dz]);
                    }
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
    fn neighbours_wrap_only_on_periodic_axes() {
        let b = CellBox::new([4, 3, 2], [true, false, true]);
        assert_eq!(b.coords(b.index([3, 2, 1])), [3, 2, 1]);
        assert_eq!(b.neighbour([3, 0, 1], [1, 0, 1]), Some([0, 0, 0]));
        assert_eq!(b.neighbour([0, 0, 0], [0, -1, 0]), None);
        assert_eq!(Connectivity::Faces.offsets().len(), 6);
        assert_eq!(Connectivity::FacesAndEdges.offsets().len(), 18);
        assert_eq!(Connectivity::All.offsets().len(), 26);
    }
}
