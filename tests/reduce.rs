//! Reductions along an axis (src/gpu/reduce.rs): per-plane and per-column sums, max, min and
//! counts along every axis of 2D and 3D grids, on one chunk and on several forced chunks,
//! against the CPU; sums are the correctly rounded f64 of the f32 values, so they are compared
//! bit for bit with an exact CPU sum, and chunked runs bit for bit with one-chunk runs.

mod common;

use mesolyte::gpu::domain::split_planes;
use mesolyte::gpu::{Along, AxisReduce, Domain, Element, Field, Gpu, Reduced};
use mesolyte::grid::Grid;
use std::sync::Arc;

/// Correctly rounded sum (Shewchuk's exact partials, rounded as Python's math.fsum does):
/// an independent reference for the GPU's exact sums.
fn fsum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut partials: Vec<f64> = Vec::new();
    for mut x in values {
        let mut i = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        partials.truncate(i);
        partials.push(x);
    }
    let Some(mut n) = partials.len().checked_sub(1) else {
        return 0.0;
    };
    let mut hi = partials[n];
    let mut lo = 0.0;
    while n > 0 {
        let x = hi;
        n -= 1;
        let y = partials[n];
        hi = x + y;
        lo = y - (hi - x);
        if lo != 0.0 {
            break;
        }
    }
    // Half-way cases: the next partial decides which way the remainder rounds.
    if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
        let y = lo * 2.0;
        let x = hi + y;
        if y == x - hi {
            hi = x;
        }
    }
    hi
}

/// Which result a cell belongs to, on the CPU.
fn result_index(g: &Grid, axis: usize, along: Along, p: [u32; 3]) -> usize {
    let n = g.counts();
    let (b, d) = match axis {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    };
    match along {
        Along::Planes => p[axis] as usize,
        Along::Columns => (p[b] + n[b] * p[d]) as usize,
    }
}

/// The CPU's results: exact sums, max, min, counts (cells where `keep`).
fn cpu_reduce(
    g: &Grid,
    axis: usize,
    along: Along,
    v: &[f32],
    keep: &dyn Fn(usize) -> bool,
) -> Reduced {
    let n = g.counts();
    let results = match along {
        Along::Planes => n[axis] as usize,
        Along::Columns => (g.cells() / n[axis] as u64) as usize,
    };
    let mut members: Vec<Vec<f64>> = vec![Vec::new(); results];
    let mut r = Reduced {
        sum: vec![0.0; results],
        max: vec![f32::NEG_INFINITY; results],
        min: vec![f32::INFINITY; results],
        count: vec![0; results],
    };
    for (i, &x) in v.iter().enumerate() {
        if !keep(i) {
            continue;
        }
        let k = result_index(g, axis, along, g.coords(i as u64));
        members[k].push(x as f64);
        // Total order, as the GPU's keys: -0 below +0.
        if x.total_cmp(&r.max[k]).is_gt() {
            r.max[k] = x;
        }
        if x.total_cmp(&r.min[k]).is_lt() {
            r.min[k] = x;
        }
        r.count[k] += 1;
    }
    for (k, m) in members.into_iter().enumerate() {
        r.sum[k] = fsum(m);
    }
    r
}

fn domain(gpu: &Gpu, g: Grid, chunked: bool) -> Arc<Domain> {
    if chunked {
        // Chunks of at most two planes (plus ghosts): several on every test grid.
        let spans = split_planes(g.planes(), g.plane_cells() * 4, g.plane_cells() * 4 * 4).unwrap();
        assert!(spans.len() > 1);
        Domain::with_chunks(gpu, g, false, spans).unwrap()
    } else {
        Domain::new(gpu, g, false).unwrap()
    }
}

fn field(gpu: &Gpu, d: &Arc<Domain>, values: &[f32]) -> Field {
    let f = Field::new(gpu, d, "values");
    f.upload(gpu, values).unwrap();
    f
}

fn bits(r: &Reduced) -> (Vec<u64>, Vec<u32>, Vec<u32>, Vec<u32>) {
    (
        r.sum.iter().map(|s| s.to_bits()).collect(),
        r.max.iter().map(|s| s.to_bits()).collect(),
        r.min.iter().map(|s| s.to_bits()).collect(),
        r.count.clone(),
    )
}

fn assert_same(gpu: &Reduced, cpu: &Reduced, what: &str) {
    assert_eq!(gpu.sum.len(), cpu.sum.len(), "{what}: result count");
    for k in 0..cpu.sum.len() {
        // Exact sums imply the brief's relative 1e-6; bits say more.
        assert_eq!(
            gpu.sum[k].to_bits(),
            cpu.sum[k].to_bits(),
            "{what}: sum {k}: GPU {:e}, CPU {:e}",
            gpu.sum[k],
            cpu.sum[k]
        );
        assert_eq!(
            gpu.max[k].to_bits(),
            cpu.max[k].to_bits(),
            "{what}: max {k}"
        );
        assert_eq!(
            gpu.min[k].to_bits(),
            cpu.min[k].to_bits(),
            "{what}: min {k}"
        );
        assert_eq!(gpu.count[k], cpu.count[k], "{what}: count {k}");
    }
}

/// Every axis and both kinds on `g`, one chunk and several, against the CPU and each other.
fn check_grid(gpu: &Gpu, g: Grid, values: &[f32]) {
    let one = domain(gpu, g, false);
    let many = domain(gpu, g, true);
    let (f1, fm) = (field(gpu, &one, values), field(gpu, &many, values));
    for axis in 0..g.dims() as usize {
        for along in [Along::Planes, Along::Columns] {
            let what = format!("{}x{}x{} axis {axis} {along:?}", g.nx, g.ny, g.nz);
            let cpu = cpu_reduce(&g, axis, along, values, &|_| true);
            let r1 = AxisReduce::new(gpu, &one, axis, along)
                .unwrap()
                .reduce(gpu, &f1);
            let rm = AxisReduce::new(gpu, &many, axis, along)
                .unwrap()
                .reduce(gpu, &fm);
            assert_same(&r1, &cpu, &format!("{what}, one chunk"));
            assert_eq!(
                bits(&rm),
                bits(&r1),
                "{what}: chunked differs from one chunk"
            );
            // The plain f64 sum in storage order is within its round-off (relative to the sum
            // of magnitudes, as cancellation allows) of it.
            let mut naive = vec![(0.0f64, 0.0f64); r1.sum.len()];
            for (i, v) in values.iter().enumerate() {
                let k = result_index(&g, axis, along, g.coords(i as u64));
                naive[k].0 += *v as f64;
                naive[k].1 += v.abs() as f64;
            }
            for (s, (n, abs)) in r1.sum.iter().zip(&naive) {
                assert!((s - n).abs() <= 1e-6 * abs, "{what}: {s} vs {n}");
            }
        }
    }
}

#[test]
fn sums_max_and_min_along_every_axis_of_a_2d_grid() {
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_2d(37, 23, 1e-6);
    check_grid(&gpu, g, &common::noise(g.cells() as usize, 1));
}

#[test]
fn sums_max_and_min_along_every_axis_of_a_3d_grid() {
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_3d(13, 11, 9, 1e-6);
    let v: Vec<f32> = common::noise(g.cells() as usize, 2)
        .iter()
        .map(|x| x + 0.25)
        .collect();
    check_grid(&gpu, g, &v);
}

#[test]
fn planes_wider_than_one_workgroup_and_long_columns() {
    // 64 x 80 = 5120 cells per z plane: three workgroups share each plane. Columns along x of
    // 20000 cells: 625 threads add into each column's accumulator.
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_3d(64, 80, 5, 1e-6);
    check_grid(&gpu, g, &common::noise(g.cells() as usize, 3));
    let g = Grid::new_2d(20000, 3, 1e-6);
    let v: Vec<f32> = common::noise(g.cells() as usize, 4)
        .iter()
        .map(|x| 1e6 * (x + 1.0))
        .collect();
    check_grid(&gpu, g, &v);
}

/// Planes along the chunking axis of a grid whose planes' accumulators (96 B each) would
/// not fit one binding together: each chunk keeps its own planes' accumulators. 32 × 200
/// cells under bindings of 1280 B (10 planes of the field): 200 planes need 19 200 B of
/// accumulators in all, at most 960 B a chunk.
#[test]
fn planes_along_the_chunking_axis_outgrow_one_binding() {
    let (_gpu, _lock) = common::gpu();
    let mut gpu = Gpu::open(None).unwrap();
    gpu.max_binding_bytes = 1280;
    let g = Grid::new_2d(32, 200, 1e-6);
    let d = Domain::new(&gpu, g, false).unwrap();
    assert!(d.chunks.len() > 10, "{} chunks", d.chunks.len());
    let values = common::noise(g.cells() as usize, 7);
    let r = AxisReduce::new(&gpu, &d, 1, Along::Planes)
        .unwrap()
        .reduce(&gpu, &field(&gpu, &d, &values));
    assert_same(
        &r,
        &cpu_reduce(&g, 1, Along::Planes, &values, &|_| true),
        "32x200 planes",
    );
}

/// `AxisReduce::fits` says beforehand which reductions `new` refuses for their accumulators'
/// size (superfill builds its plane reduction only where it fits, and stops on any other
/// error): under bindings of 1280 B a chunk of a 32-cell-wide grid holds at most 10 planes
/// (960 B of accumulators), one of an 8-cell-wide grid 40 (3840 B); its columns need 3072
/// and 768 B.
#[test]
fn fits_says_which_accumulators_outgrow_a_binding() {
    let (_gpu, _lock) = common::gpu();
    let mut gpu = Gpu::open(None).unwrap();
    gpu.max_binding_bytes = 1280;
    for (nx, fits) in [(32, true), (8, false)] {
        let d = Domain::new(&gpu, Grid::new_2d(nx, 200, 1e-6), false).unwrap();
        assert!(d.chunks.len() > 1, "{nx} wide: {} chunks", d.chunks.len());
        assert_eq!(
            AxisReduce::fits(&gpu, &d, 1, Along::Planes),
            fits,
            "{nx} wide"
        );
        let built = AxisReduce::new(&gpu, &d, 1, Along::Planes);
        assert_eq!(built.is_ok(), fits, "{nx} wide");
        if let Err(e) = built {
            assert!(
                e.to_string().contains("more than one storage binding"),
                "{e}"
            );
        }
        // The columns share one buffer whatever the chunks: 8 fit (768 B), 32 do not.
        let columns_fit = nx * 96 <= 1280;
        assert_eq!(AxisReduce::fits(&gpu, &d, 1, Along::Columns), columns_fit);
        let built = AxisReduce::new(&gpu, &d, 1, Along::Columns);
        assert_eq!(built.is_ok(), columns_fit, "{nx} columns");
    }
}

/// Values a sequential f32 or f64 sum gets wrong, and the edges of the f32 range.
fn hard_values(n: usize) -> Vec<f32> {
    let specials = [
        1e30,
        1.0,
        -1e30, // cancels to exactly 1
        f32::MAX,
        f32::MAX,
        -f32::MAX, // past f32's range and back
        f32::MIN_POSITIVE,
        1e-45,
        -1e-45,
        1.5e-44, // smallest normal, denormals
        0.0,
        -0.0,
        -0.0, // signed zeros
        16777216.0,
        1.0, // 2^24 + 1: inexact in f32
        3.0e-39,
        -2.9e-39,
        7.0e-38,
        -1.0e-20,
        1.0e20,
        -1.0e20,
        1.0e-20, // cancel to 0
    ];
    let noise = common::noise(n, 5);
    (0..n)
        .map(|i| {
            if i % 3 == 0 {
                specials[(i / 3) % specials.len()]
            } else {
                // Magnitudes over 60 decades.
                noise[i] * 10f32.powi((i % 61) as i32 - 30)
            }
        })
        .collect()
}

#[test]
fn sums_are_correctly_rounded_over_the_whole_f32_range() {
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_3d(11, 7, 6, 1e-6);
    check_grid(&gpu, g, &hard_values(g.cells() as usize));
    let g = Grid::new_2d(9, 29, 1e-6);
    check_grid(&gpu, g, &hard_values(g.cells() as usize));
}

#[test]
fn ties_round_to_even_and_cancellation_is_exact() {
    let (gpu, _lock) = common::gpu();
    // Each row (a plane along y) holds a case; the rest of the row is zero.
    let t = 2f32.powi(53);
    let rows: [&[f32]; 6] = [
        &[t, 1.0],                 // 2^53 + 1: a tie, to even 2^53
        &[t, 1.0, 2.0],            // 2^53 + 3: a tie, to even 2^53 + 4
        &[t, 1.0, 2f32.powi(-60)], // just above the tie: up
        &[-t, -1.0],               // negative tie
        &[1e38, 1.0, -1e38],       // 1 exactly, where a sequential f64 sum gives 0
        &[-0.0, -0.0],             // -0 + -0: +0 (the sum starts at +0, as on the host)
    ];
    let g = Grid::new_2d(4, rows.len() as u32, 1e-6);
    let mut v = vec![0.0f32; g.cells() as usize];
    for (y, row) in rows.iter().enumerate() {
        for (x, &val) in row.iter().enumerate() {
            v[x + 4 * y] = val;
        }
    }
    let d = domain(&gpu, g, false);
    let r = AxisReduce::new(&gpu, &d, 1, Along::Planes)
        .unwrap()
        .reduce(&gpu, &field(&gpu, &d, &v));
    let t = 2f64.powi(53);
    assert_eq!(r.sum, [t, t + 4.0, t + 2.0, -t, 1.0, 0.0]);
    assert_eq!(r.sum[5].to_bits(), 0, "+0");
    assert_eq!(r.min[5].to_bits(), (-0.0f32).to_bits(), "min keeps -0");
    assert_eq!(r.max[0], 2f32.powi(53));
}

#[test]
fn infinities_and_nan_propagate() {
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_2d(3, 4, 1e-6);
    #[rustfmt::skip]
    let v = [
        1.0, f32::INFINITY, 2.0,
        1.0, f32::NEG_INFINITY, f32::INFINITY,
        f32::NAN, 1.0, 2.0,
        f32::NEG_INFINITY, -3.0, 5.0,
    ];
    let d = domain(&gpu, g, false);
    let r = AxisReduce::new(&gpu, &d, 0, Along::Columns)
        .unwrap()
        .reduce(&gpu, &field(&gpu, &d, &v));
    assert_eq!(r.sum[0], f64::INFINITY);
    assert!(r.sum[1].is_nan() && r.sum[2].is_nan());
    assert_eq!(r.sum[3], f64::NEG_INFINITY);
    assert_eq!((r.max[0], r.min[0]), (f32::INFINITY, 1.0));
    assert!(r.max[2].is_nan() && r.min[2].is_nan());
    assert_eq!((r.max[3], r.min[3]), (5.0, f32::NEG_INFINITY));
    assert_eq!(r.count, [3, 3, 3, 3]);
}

#[test]
fn a_mask_selects_the_cells() {
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_3d(10, 9, 8, 1e-6);
    let v = common::noise(g.cells() as usize, 6);
    let labels: Vec<u32> = (0..g.cells() as u32).map(|i| (i * 7919) % 3).collect();
    for chunked in [false, true] {
        let d = domain(&gpu, g, chunked);
        let f = field(&gpu, &d, &v);
        let mask = Field::typed(&gpu, &d, "labels", Element::U32);
        mask.upload_as(&gpu, &labels).unwrap();
        for axis in 0..3 {
            for along in [Along::Planes, Along::Columns] {
                let r = AxisReduce::new(&gpu, &d, axis, along)
                    .unwrap()
                    .reduce_where(&gpu, &f, &mask, 2u32);
                let cpu = cpu_reduce(&g, axis, along, &v, &|i| labels[i] == 2);
                assert_same(
                    &r,
                    &cpu,
                    &format!("mask, axis {axis} {along:?} chunked {chunked}"),
                );
            }
        }
    }
    // Nothing selected: sum 0, count 0, max -inf, min +inf.
    let d = domain(&gpu, g, false);
    let f = field(&gpu, &d, &v);
    let r = AxisReduce::new(&gpu, &d, 2, Along::Planes)
        .unwrap()
        .reduce_where(&gpu, &f, &f, 5.0f32);
    assert!(r.sum.iter().all(|s| s.to_bits() == 0) && r.count.iter().all(|&c| c == 0));
    assert!(
        r.max.iter().all(|&m| m == f32::NEG_INFINITY) && r.min.iter().all(|&m| m == f32::INFINITY)
    );
}

#[test]
fn the_same_result_on_every_run() {
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_3d(32, 24, 6, 1e-6);
    let v = hard_values(g.cells() as usize);
    let d = domain(&gpu, g, true);
    let f = field(&gpu, &d, &v);
    let red = AxisReduce::new(&gpu, &d, 0, Along::Planes).unwrap();
    let first = bits(&red.reduce(&gpu, &f));
    for _ in 0..3 {
        assert_eq!(bits(&red.reduce(&gpu, &f)), first);
    }
}

#[test]
fn an_axis_the_grid_lacks_is_refused() {
    let (gpu, _lock) = common::gpu();
    let d = Domain::new(&gpu, Grid::new_2d(4, 4, 1e-6), false).unwrap();
    let e = AxisReduce::new(&gpu, &d, 2, Along::Planes)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("no axis 2"), "{e}");
}
