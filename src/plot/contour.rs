//! Contour lines of a 2D array by marching squares, in µm: the interface of a phase field
//! (ξ = 0.5) or a level set (φ = 0) as line segments between cell centres.

use super::map::Plane;

/// Segments of the `level` line of `plane`. Values sit at cell centres; each square of four
/// neighbouring centres contributes up to two segments, with crossing points interpolated
/// linearly along its edges. A square whose corners alternate (a saddle) is split by its
/// mean value, so the lines join the same way wherever they are drawn.
pub fn contour(plane: &Plane, level: f32) -> Vec<[(f64, f64); 2]> {
    let (nx, ny) = (plane.nx, plane.ny);
    if nx < 2 || ny < 2 {
        return Vec::new();
    }
    let dx = plane.width_um / nx as f64;
    let dy = plane.height_um / ny as f64;
    let centre = |i: usize, j: usize| ((i as f64 + 0.5) * dx, (j as f64 + 0.5) * dy);
    let value = |i: usize, j: usize| plane.values[i + nx * j] - level;
    let mut out = Vec::new();
    for j in 0..ny - 1 {
        for i in 0..nx - 1 {
            // Corners counter-clockwise from the bottom left.
            let c = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            let v = c.map(|(a, b)| value(a, b));
            if v.iter().any(|x| !x.is_finite()) {
                continue;
            }
            let above = v.map(|x| x > 0.0);
            // The crossing on edge e (corner e to corner e+1), where the sign changes.
            let crossing = |e: usize| -> Option<(f64, f64)> {
                let (a, b) = (e, (e + 1) % 4);
                if above[a] == above[b] {
                    return None;
                }
                // From the edge's lower corner (y, then x), so that the two squares sharing
                // an edge compute the same point to the bit and the line joins up.
                let (a, b) = if (c[a].1, c[a].0) < (c[b].1, c[b].0) {
                    (a, b)
                } else {
                    (b, a)
                };
                let t = (v[a] / (v[a] - v[b])) as f64;
                let (pa, pb) = (centre(c[a].0, c[a].1), centre(c[b].0, c[b].1));
                Some((pa.0 + t * (pb.0 - pa.0), pa.1 + t * (pb.1 - pa.1)))
            };
            let edges: Vec<(usize, (f64, f64))> =
                (0..4).filter_map(|e| crossing(e).map(|p| (e, p))).collect();
            match edges.len() {
                2 => out.push([edges[0].1, edges[1].1]),
                4 => {
                    // Saddle: corners 0 and 2 on one side. If the centre is on their side,
                    // they connect through it and the lines cut off corners 1 and 3.
                    let mean = v.iter().sum::<f32>() / 4.0;
                    let centre_with_0 = (mean > 0.0) == above[0];
                    let p: Vec<(f64, f64)> = edges.iter().map(|e| e.1).collect();
                    if centre_with_0 {
                        out.push([p[0], p[1]]);
                        out.push([p[2], p[3]]);
                    } else {
                        out.push([p[3], p[0]]);
                        out.push([p[1], p[2]]);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A circle's contour lies on the circle within a small fraction of a cell.
    #[test]
    fn circle_contour_lies_on_the_circle() {
        let n = 40;
        let mut values = Vec::new();
        for j in 0..n {
            for i in 0..n {
                let (x, y) = (i as f64 + 0.5 - 20.0, j as f64 + 0.5 - 20.0);
                values.push(((x * x + y * y).sqrt() - 12.0) as f32);
            }
        }
        let plane = Plane {
            values,
            nx: n,
            ny: n,
            width_um: n as f64,
            height_um: n as f64,
            axes: ["x", "y"],
        };
        let segments = contour(&plane, 0.0);
        assert!(segments.len() > 60, "{} segments", segments.len());
        for s in &segments {
            for p in s {
                let r = ((p.0 - 20.0).powi(2) + (p.1 - 20.0).powi(2)).sqrt();
                assert!((r - 12.0).abs() < 0.05, "point at radius {r}");
            }
        }
        // Closed: every end point is shared by exactly two segments.
        let key = |p: &(f64, f64)| ((p.0 * 1e6).round() as i64, (p.1 * 1e6).round() as i64);
        let mut ends = std::collections::HashMap::new();
        for s in &segments {
            for p in s {
                *ends.entry(key(p)).or_insert(0) += 1;
            }
        }
        assert!(ends.values().all(|&c| c == 2));
    }
}
