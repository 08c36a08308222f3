//! Exact Euclidean distance transforms: the separable squared-distance transform of
//! Felzenszwalb & Huttenlocher (Theory of Computing 8, 415, 2012), one pass of 1D lower
//! envelopes of parabolas per axis, O(cells) in all. Distances are between cell centres,
//! in the unit of `spacing`.

use super::CellBox;

/// Distance from every cell centre to the nearest centre of a cell where `feature` holds,
/// exact Euclidean with per-axis `spacing` (anisotropic cells), measured to the nearest
/// periodic image along the box's periodic axes; a face that does not wrap is open (nothing
/// beyond it). Feature cells get 0, every cell infinity if there is no feature.
pub fn distance(cells: &CellBox, spacing: [f64; 3], feature: impl Fn(usize) -> bool) -> Vec<f64> {
    let [nx, ny, _] = cells.n;
    let mut d2: Vec<f64> = (0..cells.cells())
        .map(|i| if feature(i) { 0.0 } else { f64::INFINITY })
        .collect();
    let mut line = Vec::new();
    let mut out = Vec::new();
    for a in 0..3 {
        let len = cells.n[a];
        let stride = [1, nx, nx * ny][a];
        for k in 0..cells.cells() / len {
            // The first cell of the k-th line along `a`, the other two axes in storage order.
            let start = match a {
                0 => k * nx,
                1 => k % nx + k / nx * nx * ny,
                _ => k,
            };
            line.clear();
            line.extend((0..len).map(|i| d2[start + i * stride]));
            if cells.periodic[a] {
                // Three copies end to end: the middle one's cells see every feature's nearest
                // image, which lies within half a period.
                let tiled: Vec<f64> = line.iter().cycle().take(3 * len).copied().collect();
                envelope(&tiled, spacing[a], &mut out);
                out.drain(..len);
            } else {
                envelope(&line, spacing[a], &mut out);
            }
            for i in 0..len {
                d2[start + i * stride] = out[i];
            }
        }
    }
    d2.into_iter().map(f64::sqrt).collect()
}

/// Signed distance to the boundary of the region where `inside` holds: negative inside,
/// positive outside, half-cell convention. A cell's value is ∓(d − h/2), with d the distance
/// (as [`distance`]) from its centre to the nearest centre of a cell on the other side and h
/// the smallest spacing: the interface lies halfway between unlike neighbours, so two face
/// neighbours along an axis of spacing h get ∓h/2 and a plane of cell faces normal to that
/// axis comes out exact; elsewhere (curved or oblique interfaces, coarser axes) the value is
/// within about h/2 of the distance to the voxelised surface. No cell is 0, so the sign is
/// the mask's. −∞ / +∞ everywhere if no cell is outside / inside.
pub fn signed_distance(
    cells: &CellBox,
    spacing: [f64; 3],
    inside: impl Fn(usize) -> bool,
) -> Vec<f64> {
    let half = 0.5 * spacing.iter().copied().fold(f64::INFINITY, f64::min);
    let to_outside = distance(cells, spacing, |i| !inside(i));
    let to_inside = distance(cells, spacing, &inside);
    (0..cells.cells())
        .map(|i| {
            if inside(i) {
                half - to_outside[i]
            } else {
                to_inside[i] - half
            }
        })
        .collect()
}

/// Lower envelope of parabolas along a line of cells `h` apart: out[q] = min over p of
/// f[p] + (h·(q − p))², over the finite f[p]; a line without one stays infinite.
fn envelope(f: &[f64], h: f64, out: &mut Vec<f64>) {
    let n = f.len();
    out.clear();
    out.resize(n, 0.0);
    let x = |i: usize| i as f64 * h;
    // v: the parabolas of the envelope so far; z[k]..z[k + 1]: where parabola v[k] is lowest.
    let mut v = vec![0usize; n];
    let mut z = vec![0.0f64; n + 1];
    let mut k = 0usize;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    let finite: Vec<usize> = (0..n).filter(|&q| f[q].is_finite()).collect();
    if finite.is_empty() {
        out.copy_from_slice(f);
        return;
    }
    v[0] = finite[0];
    for &q in &finite[1..] {
        loop {
            let p = v[k];
            // Where parabolas q and p cross.
            let s = ((f[q] + x(q) * x(q)) - (f[p] + x(p) * x(p))) / (2.0 * (x(q) - x(p)));
            if s <= z[k] {
                k -= 1;
                continue;
            }
            k += 1;
            v[k] = q;
            z[k] = s;
            z[k + 1] = f64::INFINITY;
            break;
        }
    }
    k = 0;
    for (q, o) in out.iter_mut().enumerate() {
        while z[k + 1] < x(q) {
            k += 1;
        }
        let p = v[k];
        *o = (x(q) - x(p)).powi(2) + f[p];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Distance to the nearest feature by trying every one (and every periodic image).
    fn brute_force(cells: &CellBox, h: [f64; 3], feature: &[bool]) -> Vec<f64> {
        (0..cells.cells())
            .map(|i| {
                let p = cells.coords(i);
                let mut best = f64::INFINITY;
                for j in (0..cells.cells()).filter(|&j| feature[j]) {
                    let q = cells.coords(j);
                    let mut d2 = 0.0;
                    for a in 0..3 {
                        let mut d = p[a].abs_diff(q[a]);
                        if cells.periodic[a] {
                            d = d.min(cells.n[a] - d);
                        }
                        d2 += (d as f64 * h[a]).powi(2);
                    }
                    best = best.min(d2);
                }
                best.sqrt()
            })
            .collect()
    }

    #[test]
    fn matches_brute_force_on_random_masks() {
        let mut rng = Rng::new(5);
        for (n, h) in [
            ([7, 5, 6], [1.0; 3]),
            ([9, 4, 5], [1.0, 0.7, 1.9]),
            ([1, 8, 5], [0.3, 1.0, 2.0]),
            ([6, 6, 1], [1.5, 1.0, 1.0]),
        ] {
            for periodic in [[false; 3], [true, false, true], [true; 3]] {
                for density in [0.03, 0.3] {
                    let cells = CellBox::new(n, periodic);
                    let feature: Vec<bool> = (0..cells.cells())
                        .map(|_| rng.uniform() < density)
                        .collect();
                    let got = distance(&cells, h, |i| feature[i]);
                    let want = brute_force(&cells, h, &feature);
                    for i in 0..cells.cells() {
                        let (g, w) = (got[i], want[i]);
                        // Integer squared distances are exact on unit cells.
                        let close = if h == [1.0; 3] {
                            g == w
                        } else {
                            g == w || (g - w).abs() <= 1e-12 * w
                        };
                        assert!(close, "{n:?} {h:?} {periodic:?} cell {i}: {g} vs {w}");
                    }
                }
            }
        }
    }

    #[test]
    fn no_feature_is_infinitely_far() {
        let cells = CellBox::new([3, 4, 2], [true, false, false]);
        let d = distance(&cells, [1.0; 3], |_| false);
        assert!(d.iter().all(|x| *x == f64::INFINITY));
    }

    #[test]
    fn distance_is_exact_on_a_slab() {
        // Solid plane z = 0, open face at the top: the distance grows by one per plane.
        let cells = CellBox::new([5, 4, 9], [false; 3]);
        let d = distance(&cells, [1.0; 3], |i| cells.coords(i)[2] == 0);
        for z in 0..9 {
            assert_eq!(d[cells.index([2, 1, z])], z as f64);
        }
        // Wrapping z, the top planes are nearer the plane's image above.
        let cells = CellBox::new([5, 4, 9], [false, false, true]);
        let d = distance(&cells, [1.0, 1.0, 0.5], |i| cells.coords(i)[2] == 0);
        assert_eq!(d[cells.index([0, 0, 8])], 0.5);
        assert_eq!(d[cells.index([0, 0, 4])], 2.0);
    }

    #[test]
    fn signed_distance_of_a_slab_is_exact_with_the_interface_halfway() {
        // Inside: z < 4, with cells 0.5 thick along z (the finest axis).
        let cells = CellBox::new([3, 3, 10], [true, true, false]);
        let h = [1.0, 2.0, 0.5];
        let phi = signed_distance(&cells, h, |i| cells.coords(i)[2] < 4);
        for z in 0..10 {
            let interface = 4.0 * 0.5;
            let centre = (z as f64 + 0.5) * 0.5;
            assert_eq!(phi[cells.index([1, 2, z])], centre - interface, "z {z}");
        }
        // All inside: no interface.
        let phi = signed_distance(&cells, h, |_| true);
        assert!(phi.iter().all(|x| *x == f64::NEG_INFINITY));
    }

    #[test]
    fn signed_distance_of_a_sphere_is_near_the_radial_distance() {
        let n = 32;
        let cells = CellBox::new([n; 3], [false; 3]);
        let centre = n as f64 / 2.0;
        let r = 9.3;
        let radius = |i: usize| {
            let p = cells.coords(i).map(|k| k as f64 + 0.5 - centre);
            (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt()
        };
        let phi = signed_distance(&cells, [1.0; 3], |i| radius(i) < r);
        for i in 0..cells.cells() {
            assert_eq!(phi[i] < 0.0, radius(i) < r, "sign at {i}");
            // Voxelising moves the surface by up to about half a cell diagonal.
            let err = phi[i] - (radius(i) - r);
            assert!(err.abs() < 0.9, "cell {i}: {} vs {}", phi[i], radius(i) - r);
        }
    }
}
