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

use std::collections::VecDeque;

use super::geometry::{Voxels, CATALYST, PORE};

/// Which neighbours a lattice links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// The 6 face neighbours (D3Q7).
    Faces,
    /// The 6 face and 12 edge neighbours (D3Q19).
    FacesAndEdges,
}

impl Links {
    fn offsets(self) -> Vec<[i64; 3]> {
        let mut v = Vec::new();
        for dz in -1i64..=1 {
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let nonzero = [dx, dy, dz].iter().filter(|&&d| d != 0).count();
                    let wanted = match self {
                        Links::Faces => nonzero == 1,
                        Links::FacesAndEdges => nonzero == 1 || nonzero == 2,
                    };
                    if wanted {
                        v.push([dx, dy, dz]);
                    }
                }
            }
        }
        v
    }
}

/// The neighbour of voxel `p` at offset `d`, with the number of times the step wrapped
/// around `axis` (−1, 0, 1), or None where it leaves the domain through a face that is not
/// periodic.
fn step(
    v: &Voxels,
    p: [usize; 3],
    d: [i64; 3],
    periodic: [bool; 3],
    axis: usize,
) -> Option<([usize; 3], i64)> {
    let mut q = [0usize; 3];
    let mut wraps = 0;
    for a in 0..3 {
        let n = v.n[a] as i64;
        let mut c = p[a] as i64 + d[a];
        if c < 0 || c >= n {
            if !periodic[a] {
                return None;
            }
            let w = if c < 0 { -1 } else { 1 };
            c -= w * n;
            if a == axis {
                wraps = w;
            }
        }
        q[a] = c as usize;
    }
    Some((q, wraps))
}

fn coords(v: &Voxels, i: usize) -> [usize; 3] {
    [i % v.n[0], i / v.n[0] % v.n[1], i / (v.n[0] * v.n[1])]
}

fn index(v: &Voxels, p: [usize; 3]) -> usize {
    v.index(p[0], p[1], p[2])
}

/// Whether pore voxels connect the low face of `axis` to its high face, both faces being
/// the domain's boundary (an open or a Dirichlet face). `periodic` says which side axes
/// wrap; `periodic[axis]` is ignored.
pub fn crosses(v: &Voxels, axis: usize, links: Links, periodic: [bool; 3]) -> bool {
    let mut periodic = periodic;
    periodic[axis] = false;
    let last = v.n[axis] - 1;
    let reached = flood_from_low_face(v, axis, links, periodic);
    (0..v.cells()).any(|i| reached[i] && coords(v, i)[axis] == last)
}

/// Wrap counts beyond this are taken as winding (a one-byte count per voxel keeps large
/// images cheap; a cluster that does not wind but spirals this far, a pathological case,
/// then merely runs its solve).
const MAX_WRAPS: i64 = 120;
const UNSEEN: i8 = i8::MIN;

/// Whether some pore cluster winds around `axis`, which wraps (a body-force-driven,
/// periodic solve): then a path leaves through the high face and comes back through the low
/// one with no end. Found by flooding each cluster with the count of wraps along the way:
/// reaching a voxel a second time with another count means the cluster winds.
pub fn winds(v: &Voxels, axis: usize, links: Links, periodic: [bool; 3]) -> bool {
    let mut periodic = periodic;
    periodic[axis] = true;
    let offsets = links.offsets();
    // Wraps at the first visit, or UNSEEN.
    let mut seen = vec![UNSEEN; v.cells()];
    let mut queue: VecDeque<u32> = VecDeque::new();
    for seed in 0..v.cells() {
        if v.labels[seed] != PORE || seen[seed] != UNSEEN {
            continue;
        }
        seen[seed] = 0;
        queue.push_back(seed as u32);
        while let Some(i) = queue.pop_front() {
            let i = i as usize;
            let w = seen[i] as i64;
            let p = coords(v, i);
            for &d in &offsets {
                let Some((q, wraps)) = step(v, p, d, periodic, axis) else {
                    continue;
                };
                let j = index(v, q);
                if v.labels[j] != PORE {
                    continue;
                }
                let wj = w + wraps;
                if seen[j] == UNSEEN {
                    if wj.abs() > MAX_WRAPS {
                        return true;
                    }
                    seen[j] = wj as i8;
                    queue.push_back(j as u32);
                } else if seen[j] as i64 != wj {
                    return true;
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
    let mut periodic = periodic;
    periodic[axis] = false;
    let reached = flood_from_low_face(v, axis, Links::Faces, periodic);
    let offsets = Links::Faces.offsets();
    (0..v.cells()).filter(|&i| reached[i]).any(|i| {
        let p = coords(v, i);
        offsets.iter().any(|&d| {
            step(v, p, d, periodic, axis).is_some_and(|(q, _)| v.labels[index(v, q)] == CATALYST)
        })
    })
}

/// Pore–catalyst voxel faces, the faces on which the species lattice reacts (a population
/// leaving a pore voxel toward a catalyst voxel), counted across the faces that wrap.
pub fn reactive_faces(v: &Voxels, periodic: [bool; 3]) -> usize {
    let offsets = Links::Faces.offsets();
    (0..v.cells())
        .filter(|&i| v.labels[i] == PORE)
        .map(|i| {
            let p = coords(v, i);
            offsets
                .iter()
                .filter(|&&d| {
                    step(v, p, d, periodic, 0)
                        .is_some_and(|(q, _)| v.labels[index(v, q)] == CATALYST)
                })
                .count()
        })
        .sum()
}

/// The pore voxels connected to a pore voxel of the low face of `axis`.
fn flood_from_low_face(v: &Voxels, axis: usize, links: Links, periodic: [bool; 3]) -> Vec<bool> {
    let offsets = links.offsets();
    let mut reached = vec![false; v.cells()];
    let mut queue: VecDeque<u32> = (0..v.cells())
        .filter(|&i| v.labels[i] == PORE && coords(v, i)[axis] == 0)
        .map(|i| i as u32)
        .collect();
    for &i in &queue {
        reached[i as usize] = true;
    }
    while let Some(i) = queue.pop_front() {
        let p = coords(v, i as usize);
        for &d in &offsets {
            if let Some((q, _)) = step(v, p, d, periodic, axis) {
                let j = index(v, q);
                if v.labels[j] == PORE && !reached[j] {
                    reached[j] = true;
                    queue.push_back(j as u32);
                }
            }
        }
    }
    reached
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
