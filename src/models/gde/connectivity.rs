//! Whether the pore space connects what a solve needs connected, decided on the CPU before
//! any lattice step. Where no pore path crosses the domain along a solve's axis, the answer is
//! known (zero permeability, zero effective diffusivity, no reactive current): the lattice
//! would only approach it, while its convergence test, a relative change of a quantity that
//! tends to zero, never passes. Near the percolation threshold, where sweeps over porosity
//! or fibre diameter go, that would burn a stage's whole iteration budget on a dead end.
//!
//! Links are the lattice's own: a D3Q19 flow population crosses between two pore voxels that
//! share a face or an edge (a diagonal link is not blocked by the two voxels beside it,
//! shaders/gde/flow_step.wgsl), a D3Q7 species population only between face neighbours.

use super::geometry::{Voxels, CATALYST, PORE};
use crate::geometry::{label, reach, CellBox};

/// Which neighbours a lattice links: `Faces` for D3Q7, `FacesAndEdges` for D3Q19.
pub use crate::geometry::Connectivity as Links;

fn is_pore(v: &Voxels) -> impl Fn(usize) -> bool + '_ {
    |i| v.labels[i] == PORE
}

/// Whether pore voxels connect the low face of `axis` to its high face, both faces being
/// the domain's boundary (an open or a Dirichlet face). `periodic` says which side axes
/// wrap; `periodic[axis]` is ignored.
pub fn crosses(v: &Voxels, axis: usize, links: Links, periodic: [bool; 3]) -> bool {
    let cells = unwrapped(v, axis, periodic);
    let last = v.n[axis] - 1;
    let reached = flood_from_low_face(&cells, v, axis, links);
    (0..v.cells()).any(|i| reached[i] && cells.coords(i)[axis] == last)
}

/// Wrap counts beyond this are taken as winding. Kept from the voxel flood this replaced,
/// whose one-byte count per voxel needed a bound, so that answers stay the same: a cluster
/// that does not wind but spirals this far, a pathological case, merely runs its solve.
const MAX_WRAPS: i64 = 120;

/// Whether some pore cluster winds around `axis`, which wraps (a body-force-driven,
/// periodic solve): then a path leaves through the high face and comes back through the low
/// one with no end. Pieces connected without crossing the wrap of `axis` are labelled; each
/// link across the wrap raises the wrap count by one from a high-face piece to a low-face
/// one. Counting outward from each cluster's first piece, a piece reached again with
/// another count means the cluster winds.
pub fn winds(v: &Voxels, axis: usize, links: Links, periodic: [bool; 3]) -> bool {
    let cells = unwrapped(v, axis, periodic);
    let pieces = label(&cells, links, is_pore(v));
    let mut wrapped = cells;
    wrapped.periodic[axis] = true;
    // (from, to, wraps) both ways, sorted by piece.
    let mut across: Vec<(u32, u32, i64)> = Vec::new();
    let forward: Vec<[i64; 3]> = links
        .offsets()
        .into_iter()
        .filter(|d| d[axis] == 1)
        .collect();
    for i in 0..v.cells() {
        let p = cells.coords(i);
        if pieces.labels[i] == 0 || p[axis] != v.n[axis] - 1 {
            continue;
        }
        for &d in &forward {
            if let Some(q) = wrapped.neighbour(p, d) {
                let j = wrapped.index(q);
                if pieces.labels[j] != 0 {
                    across.push((pieces.labels[i], pieces.labels[j], 1));
                    across.push((pieces.labels[j], pieces.labels[i], -1));
                }
            }
        }
    }
    across.sort_unstable();
    across.dedup();
    // Wraps of each piece relative to its cluster's first (lowest-numbered) piece, which
    // holds the cluster's lowest voxel, where the voxel flood started: MAX_WRAPS bounds the
    // same counts it did.
    let mut wraps: Vec<Option<i64>> = vec![None; pieces.count() + 1];
    let links_of = |k: u32| {
        let start = across.partition_point(|e| e.0 < k);
        across[start..].iter().take_while(move |e| e.0 == k)
    };
    let mut stack = Vec::new();
    for &(first, _, _) in &across {
        if wraps[first as usize].is_some() {
            continue;
        }
        wraps[first as usize] = Some(0);
        stack.push(first);
        while let Some(k) = stack.pop() {
            let w = wraps[k as usize].unwrap();
            for &(_, to, step) in links_of(k) {
                let wt = w + step;
                match wraps[to as usize] {
                    None if wt.abs() > MAX_WRAPS => return true,
                    None => {
                        wraps[to as usize] = Some(wt);
                        stack.push(to);
                    }
                    Some(seen) if seen != wt => return true,
                    Some(_) => {}
                }
            }
        }
    }
    false
}

/// Whether a pore voxel reachable from the low face of `axis` (face links, as the species
/// lattice moves) touches a catalyst voxel: else a reactive solve fed through that face has
/// no current.
pub fn feeds_catalyst(v: &Voxels, axis: usize, periodic: [bool; 3]) -> bool {
    let cells = unwrapped(v, axis, periodic);
    let reached = flood_from_low_face(&cells, v, axis, Links::Faces);
    let offsets = Links::Faces.offsets();
    (0..v.cells()).filter(|&i| reached[i]).any(|i| {
        let p = cells.coords(i);
        offsets.iter().any(|&d| {
            cells
                .neighbour(p, d)
                .is_some_and(|q| v.labels[cells.index(q)] == CATALYST)
        })
    })
}

/// Pore–catalyst voxel faces, the faces on which the species lattice reacts (a population
/// leaving a pore voxel toward a catalyst voxel), counted across the faces that wrap.
pub fn reactive_faces(v: &Voxels, periodic: [bool; 3]) -> usize {
    let cells = CellBox::new(v.n, periodic);
    let offsets = Links::Faces.offsets();
    (0..v.cells())
        .filter(|&i| v.labels[i] == PORE)
        .map(|i| {
            let p = cells.coords(i);
            offsets
                .iter()
                .filter(|&&d| {
                    cells
                        .neighbour(p, d)
                        .is_some_and(|q| v.labels[cells.index(q)] == CATALYST)
                })
                .count()
        })
        .sum()
}

/// The image's box with the side axes wrapping as `periodic` says and `axis` not.
fn unwrapped(v: &Voxels, axis: usize, periodic: [bool; 3]) -> CellBox {
    let mut periodic = periodic;
    periodic[axis] = false;
    CellBox::new(v.n, periodic)
}

/// The pore voxels connected to a pore voxel of the low face of `axis`.
fn flood_from_low_face(cells: &CellBox, v: &Voxels, axis: usize, links: Links) -> Vec<bool> {
    let low = (0..v.cells()).filter(|&i| cells.coords(i)[axis] == 0);
    reach(cells, links, is_pore(v), low)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::gde::geometry::SOLID;

    fn solid_box(n: [usize; 3]) -> Voxels {
        Voxels {
            n,
            labels: vec![SOLID; n[0] * n[1] * n[2]],
            notes: Vec::new(),
        }
    }

    fn open(v: &mut Voxels, p: [usize; 3]) {
        let i = v.index(p[0], p[1], p[2]);
        v.labels[i] = PORE;
    }

    const SIDES_PERIODIC: [bool; 3] = [true; 3];
    const SIDES_WALLED: [bool; 3] = [false; 3];

    #[test]
    fn a_straight_pore_crosses_and_a_plugged_one_does_not() {
        let mut v = solid_box([8, 5, 5]);
        for x in 0..8 {
            open(&mut v, [x, 2, 2]);
        }
        for links in [Links::Faces, Links::FacesAndEdges] {
            assert!(crosses(&v, 0, links, SIDES_WALLED));
            assert!(winds(&v, 0, links, SIDES_WALLED));
            assert!(!crosses(&v, 1, links, SIDES_PERIODIC));
            assert!(!winds(&v, 1, links, SIDES_PERIODIC));
        }
        let i = v.index(4, 2, 2);
        v.labels[i] = SOLID;
        for links in [Links::Faces, Links::FacesAndEdges] {
            assert!(!crosses(&v, 0, links, SIDES_PERIODIC));
            assert!(!winds(&v, 0, links, SIDES_PERIODIC));
        }
    }

    #[test]
    fn an_edge_step_links_d3q19_but_not_d3q7() {
        // Two straight half-pores, the second one voxel over in y: the ends of the two
        // halves share only an edge.
        let mut v = solid_box([8, 5, 5]);
        for x in 0..4 {
            open(&mut v, [x, 1, 1]);
        }
        for x in 4..8 {
            open(&mut v, [x, 2, 1]);
        }
        assert!(!crosses(&v, 0, Links::Faces, SIDES_WALLED));
        assert!(crosses(&v, 0, Links::FacesAndEdges, SIDES_WALLED));
    }

    #[test]
    fn a_path_through_a_periodic_side_counts_only_where_the_side_wraps() {
        // From x = 0 at y = 0, across the y wrap to y = 5, on to x = 7.
        let mut v = solid_box([8, 6, 3]);
        for x in 0..4 {
            open(&mut v, [x, 0, 1]);
        }
        for x in 3..8 {
            open(&mut v, [x, 5, 1]);
        }
        assert!(crosses(&v, 0, Links::Faces, SIDES_PERIODIC));
        assert!(!crosses(&v, 0, Links::Faces, SIDES_WALLED));
    }

    #[test]
    fn a_cluster_touching_both_faces_winds_only_if_its_ends_line_up() {
        // A U-shaped pore: in at x = 0 (y = 0), out at x = 7 (y = 4), the two ends at
        // different y, so leaving through x = 7 does not come back in at x = 0. It crosses
        // (open faces) but does not wind (periodic axis).
        let mut v = solid_box([8, 5, 3]);
        for x in 0..8 {
            open(&mut v, [x, 2, 1]);
        }
        let (a, b) = (v.index(0, 2, 1), v.index(7, 2, 1));
        v.labels[a] = SOLID;
        v.labels[b] = SOLID;
        open(&mut v, [1, 1, 1]);
        open(&mut v, [1, 0, 1]);
        open(&mut v, [0, 0, 1]);
        open(&mut v, [6, 3, 1]);
        open(&mut v, [6, 4, 1]);
        open(&mut v, [7, 4, 1]);
        assert!(crosses(&v, 0, Links::Faces, SIDES_WALLED));
        assert!(!winds(&v, 0, Links::Faces, SIDES_WALLED));
        // Bring the exit down to y = 0, in line with the entry, and it winds.
        for y in 0..4 {
            open(&mut v, [7, y, 1]);
        }
        assert!(winds(&v, 0, Links::Faces, SIDES_WALLED));
    }

    #[test]
    fn catalyst_counts_only_if_the_fed_pore_reaches_it() {
        let mut v = solid_box([8, 5, 5]);
        for x in 0..4 {
            open(&mut v, [x, 2, 2]);
        }
        // A catalyst voxel in a pocket the feed does not reach...
        open(&mut v, [6, 2, 2]);
        let c = v.index(7, 2, 2);
        v.labels[c] = CATALYST;
        assert!(!feeds_catalyst(&v, 0, SIDES_WALLED));
        // ...until the pore reaches it.
        open(&mut v, [4, 2, 2]);
        open(&mut v, [5, 2, 2]);
        assert!(feeds_catalyst(&v, 0, SIDES_WALLED));
        // One face, between the pore's end (6, 2, 2) and the catalyst (7, 2, 2).
        assert_eq!(reactive_faces(&v, SIDES_WALLED), 1);
        // Wrapping x: the catalyst at x = 7 also faces the pore at x = 0.
        assert_eq!(reactive_faces(&v, [true, false, false]), 2);
    }
}
