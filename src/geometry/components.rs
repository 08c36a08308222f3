//! Flood fills over a box of cells: which cells a set of seeds reaches ([`reach`]) and the
//! connected components of a set ([`label`]). Both share one breadth-first fill, O(cells).

use std::collections::VecDeque;

use super::{CellBox, Connectivity};

/// The connected components of a set of cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Components {
    /// Per cell: 0 if it is not in the set, else its component's number, 1 to `count()`,
    /// numbered in the order of each component's lowest cell index.
    pub labels: Vec<u32>,
    /// sizes[k − 1]: the cells of component k.
    pub sizes: Vec<usize>,
}

impl Components {
    pub fn count(&self) -> usize {
        self.sizes.len()
    }
}

/// Labels the connected components of the cells where `member` holds.
pub fn label(cells: &CellBox, links: Connectivity, member: impl Fn(usize) -> bool) -> Components {
    let fill = Fill::new(cells, links);
    let mut labels = vec![0u32; cells.cells()];
    let mut sizes = Vec::new();
    let mut queue = VecDeque::new();
    for seed in 0..cells.cells() {
        if labels[seed] != 0 || !member(seed) {
            continue;
        }
        let k = sizes.len() as u32 + 1;
        labels[seed] = k;
        let mut size = 1;
        queue.push_back(seed as u32);
        fill.run(&mut queue, &member, |j| {
            let new = labels[j] == 0;
            if new {
                labels[j] = k;
                size += 1;
            }
            new
        });
        sizes.push(size);
    }
    Components { labels, sizes }
}

/// The cells where `member` holds that connect to one of the member cells among `seeds`.
pub fn reach(
    cells: &CellBox,
    links: Connectivity,
    member: impl Fn(usize) -> bool,
    seeds: impl IntoIterator<Item = usize>,
) -> Vec<bool> {
    let mut reached = vec![false; cells.cells()];
    let mut queue = VecDeque::new();
    for i in seeds {
        if member(i) && !reached[i] {
            reached[i] = true;
            queue.push_back(i as u32);
        }
    }
    Fill::new(cells, links).run(&mut queue, &member, |j| {
        !std::mem::replace(&mut reached[j], true)
    });
    reached
}

/// The neighbour steps of a breadth-first fill.
struct Fill<'a> {
    cells: &'a CellBox,
    /// Each offset with its index step for cells away from the box's faces.
    steps: Vec<([i64; 3], isize)>,
    /// The axes some step moves along.
    moves: [bool; 3],
}

impl<'a> Fill<'a> {
    fn new(cells: &'a CellBox, links: Connectivity) -> Fill<'a> {
        let [nx, ny, _] = cells.n;
        let steps: Vec<([i64; 3], isize)> = links
            .offsets()
            .into_iter()
            // A step across a single-cell axis that does not wrap always leaves the box.
            .filter(|d| (0..3).all(|a| d[a] == 0 || cells.n[a] > 1 || cells.periodic[a]))
            .map(|d| (d, (d[0] + nx as i64 * (d[1] + ny as i64 * d[2])) as isize))
            .collect();
        let moves = [0, 1, 2].map(|a| steps.iter().any(|(d, _)| d[a] != 0));
        Fill {
            cells,
            steps,
            moves,
        }
    }

    /// Empties `queue`, offering each member neighbour of a dequeued cell to `claim`, which
    /// returns whether the cell is new (and then it is queued).
    fn run(
        &self,
        queue: &mut VecDeque<u32>,
        member: &impl Fn(usize) -> bool,
        mut claim: impl FnMut(usize) -> bool,
    ) {
        let n = self.cells.n;
        while let Some(i) = queue.pop_front() {
            let i = i as usize;
            let p = self.cells.coords(i);
            // Away from the faces, a neighbour is a fixed index step: no wrapping to check.
            let interior = (0..3).all(|a| !self.moves[a] || (p[a] >= 1 && p[a] + 1 < n[a]));
            for &(d, step) in &self.steps {
                let j = if interior {
                    i.wrapping_add_signed(step)
                } else {
                    match self.cells.neighbour(p, d) {
                        Some(q) => self.cells.index(q),
                        None => continue,
                    }
                };
                if member(j) && claim(j) {
                    queue.push_back(j as u32);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(cells: &CellBox, points: &[[usize; 3]]) -> Vec<bool> {
        let mut m = vec![false; cells.cells()];
        for &p in points {
            m[cells.index(p)] = true;
        }
        m
    }

    #[test]
    fn diagonal_neighbours_join_only_with_corner_links() {
        let cells = CellBox::new([4, 4, 4], [false; 3]);
        // Touching at a corner only.
        let corner = set(&cells, &[[1, 1, 1], [2, 2, 2]]);
        // Touching along an edge only.
        let edge = set(&cells, &[[1, 1, 1], [2, 2, 1]]);
        let count = |m: &[bool], links| label(&cells, links, |i| m[i]).count();
        assert_eq!(count(&corner, Connectivity::Faces), 2);
        assert_eq!(count(&corner, Connectivity::FacesAndEdges), 2);
        assert_eq!(count(&corner, Connectivity::All), 1);
        assert_eq!(count(&edge, Connectivity::Faces), 2);
        assert_eq!(count(&edge, Connectivity::FacesAndEdges), 1);
    }

    #[test]
    fn labels_are_numbered_by_lowest_cell_with_sizes() {
        let cells = CellBox::new([5, 3, 1], [false; 3]);
        // Row y = 0: x 0..2 and x 4; row y = 2: all of it.
        let mut points = vec![[0, 0, 0], [1, 0, 0], [4, 0, 0]];
        points.extend((0..5).map(|x| [x, 2, 0]));
        let m = set(&cells, &points);
        let c = label(&cells, Connectivity::Faces, |i| m[i]);
        assert_eq!(c.sizes, vec![2, 1, 5]);
        assert_eq!(&c.labels[0..5], &[1, 1, 0, 0, 2]);
        assert_eq!(&c.labels[5..10], &[0; 5]);
        assert_eq!(&c.labels[10..15], &[3; 5]);
    }

    #[test]
    fn a_periodic_axis_joins_across_its_faces() {
        let points = [[0, 1, 0], [1, 1, 0], [4, 1, 0], [5, 1, 0]];
        for (periodic, count) in [([false; 3], 2), ([true, false, false], 1)] {
            let cells = CellBox::new([6, 3, 2], periodic);
            let m = set(&cells, &points);
            for links in [Connectivity::Faces, Connectivity::All] {
                assert_eq!(
                    label(&cells, links, |i| m[i]).count(),
                    count,
                    "{periodic:?}"
                );
            }
        }
        // A diagonal step that wraps two axes at once.
        let cells = CellBox::new([4, 4, 3], [true, true, false]);
        let m = set(&cells, &[[0, 0, 1], [3, 3, 1]]);
        assert_eq!(
            label(&cells, Connectivity::FacesAndEdges, |i| m[i]).count(),
            1
        );
        assert_eq!(label(&cells, Connectivity::Faces, |i| m[i]).count(), 2);
    }

    #[test]
    fn reach_floods_from_member_seeds_only() {
        let cells = CellBox::new([6, 1, 1], [false; 3]);
        let m = [true, true, false, true, true, true];
        let r = reach(&cells, Connectivity::Faces, |i| m[i], [4, 2]);
        assert_eq!(r, vec![false, false, false, true, true, true]);
        let r = reach(&cells, Connectivity::Faces, |i| m[i], [2]);
        assert!(r.iter().all(|x| !x));
    }

    /// Each member's representative after merging every linked pair of members.
    fn union_find(cells: &CellBox, links: Connectivity, m: &[bool]) -> Vec<usize> {
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut parent: Vec<usize> = (0..cells.cells()).collect();
        for i in (0..cells.cells()).filter(|&i| m[i]) {
            for d in links.offsets() {
                if let Some(q) = cells.neighbour(cells.coords(i), d) {
                    let j = cells.index(q);
                    if m[j] {
                        let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                        parent[a.max(b)] = a.min(b);
                    }
                }
            }
        }
        (0..cells.cells()).map(|i| root(&mut parent, i)).collect()
    }

    /// Labelling agrees with union-find on random sets, with every kind of link and wrapping.
    #[test]
    fn labels_match_union_find_on_random_sets() {
        let mut rng = crate::rng::Rng::new(11);
        let all = [
            Connectivity::Faces,
            Connectivity::FacesAndEdges,
            Connectivity::All,
        ];
        for n in [[7, 6, 5], [1, 9, 8], [8, 1, 1], [5, 2, 6]] {
            for periodic in [[false; 3], [true, false, true], [true; 3]] {
                for links in all {
                    let cells = CellBox::new(n, periodic);
                    let m: Vec<bool> = (0..cells.cells()).map(|_| rng.uniform() < 0.35).collect();
                    let roots = union_find(&cells, links, &m);
                    let c = label(&cells, links, |i| m[i]);
                    let members: Vec<usize> = (0..cells.cells()).filter(|&i| m[i]).collect();
                    for &i in &members {
                        for &j in &members {
                            assert_eq!(c.labels[i] == c.labels[j], roots[i] == roots[j]);
                        }
                    }
                    assert!((0..cells.cells()).all(|i| (c.labels[i] != 0) == m[i]));
                    assert_eq!(c.sizes.iter().sum::<usize>(), members.len());
                }
            }
        }
    }
}
