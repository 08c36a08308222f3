//! The GPU layer: chunked fields and their ghost planes (one, and the wider layers of
//! `Domain::with_ghosts` with the `neighbour_at` reach they serve), a field larger than one
//! storage binding, typed (integer) fields, and reductions against CPU results on odd sizes.

mod common;

use mesolyte::gpu::domain::split_planes_ghosts;
use mesolyte::gpu::{
    field_max, field_stats, CellList, ChunkSpan, Domain, Element, Field, Gpu, Kernel, Recorder,
    Stats, StatsQuery,
};
use mesolyte::grid::Grid;
use mesolyte::models::diffusion::{Boundary, Diffusion, DiffusionParams, Initial};
use mesolyte::sim::Model;
use mesolyte::sim::Moment;
use std::sync::Arc;

fn params(boundary: [Boundary; 3]) -> DiffusionParams {
    DiffusionParams {
        diffusivity: 1e-9,
        initial: Initial::Uniform,
        background: 0.0,
        amplitude: 1.0,
        centre: [0.0; 3],
        boundary,
        face_values: [[1.0, -0.5], [0.25, 0.0], [0.0, 0.75]],
        safety: 0.9,
    }
}

/// One explicit diffusion step on the CPU in f64: the reference for the GPU stencil.
fn cpu_step(g: &Grid, p: &DiffusionParams, c: &[f32], dt: f64) -> Vec<f64> {
    let n = [g.nx as i64, g.ny as i64, g.nz as i64];
    let h = g.spacing();
    let idx = |x: [i64; 3]| (x[0] + n[0] * (x[1] + n[1] * x[2])) as usize;
    let mut out = vec![0.0; c.len()];
    for z in 0..n[2] {
        for y in 0..n[1] {
            for x in 0..n[0] {
                let pos = [x, y, z];
                let cv = c[idx(pos)] as f64;
                let mut change = 0.0;
                for a in 0..g.dims() as usize {
                    let r = p.diffusivity * dt / (h[a] * h[a]);
                    for (side, d) in [(0usize, -1i64), (1, 1)] {
                        let mut q = pos;
                        q[a] += d;
                        let diff = if q[a] >= 0 && q[a] < n[a] {
                            c[idx(q)] as f64 - cv
                        } else {
                            match p.boundary[a] {
                                Boundary::Periodic => {
                                    q[a] = q[a].rem_euclid(n[a]);
                                    c[idx(q)] as f64 - cv
                                }
                                Boundary::Dirichlet => 2.0 * (p.face_values[a][side] - cv),
                                Boundary::Neumann => p.face_values[a][side] * h[a] / p.diffusivity,
                            }
                        };
                        change += r * diff;
                    }
                }
                out[idx(pos)] = cv + change;
            }
        }
    }
    out
}

/// Runs `steps` GPU steps from `data` with bindings capped at `cap` bytes (None = adapter's).
fn gpu_steps(
    gpu: &mut Gpu,
    g: Grid,
    p: &DiffusionParams,
    data: &[f32],
    steps: u64,
    cap: Option<u64>,
) -> (Vec<f32>, usize) {
    let saved = gpu.max_binding_bytes;
    if let Some(c) = cap {
        gpu.max_binding_bytes = c;
    }
    let mut m = Diffusion::new(gpu, g, p.clone()).unwrap();
    gpu.max_binding_bytes = saved;
    m.state_fields()[0].upload(gpu, data).unwrap();
    let dt = p.stable_dt(&g);
    m.advance(gpu, Moment::new(0, 0.0), steps, dt).unwrap();
    let chunks = m.state_fields()[0].domain.chunks.len();
    (m.state_fields()[0].download(gpu), chunks)
}

#[test]
fn chunked_stencil_matches_cpu_and_single_chunk_bitwise() {
    let (mut gpu, _lock) = common::gpu();
    use Boundary::*;
    let cases = [
        (Grid::new_2d(37, 29, 1e-6), [Periodic, Periodic, Neumann]),
        (Grid::new_2d(37, 29, 1e-6), [Dirichlet, Neumann, Neumann]),
        (
            Grid::new_3d(13, 11, 17, 2e-6),
            [Neumann, Dirichlet, Periodic],
        ),
        (
            Grid::new_3d(13, 11, 17, 2e-6),
            [Periodic, Periodic, Dirichlet],
        ),
    ];
    for (g, bc) in cases {
        let mut p = params(bc);
        p.face_values[0] = [0.0, 0.0]; // keep x Neumann faces flux-free when used
        let data = common::noise(g.cells() as usize, 7);
        // Force chunks of three or four planes so that every chunk has neighbours.
        let cap = 5 * g.plane_cells() * 4;
        let (single, n1) = gpu_steps(&mut gpu, g, &p, &data, 1, None);
        let (split, n2) = gpu_steps(&mut gpu, g, &p, &data, 1, Some(cap));
        assert_eq!(n1, 1);
        assert!(n2 >= 4, "expected several chunks, got {n2}");
        assert_eq!(
            single, split,
            "{bc:?}: chunked result differs from single chunk"
        );
        let reference = cpu_step(&g, &p, &data, p.stable_dt(&g));
        let worst = single
            .iter()
            .zip(&reference)
            .map(|(a, b)| (*a as f64 - b).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-5,
            "{bc:?}: GPU step differs from CPU reference by {worst}"
        );
        // Many steps: ghost planes must be refreshed after every step.
        let (a, _) = gpu_steps(&mut gpu, g, &p, &data, 25, None);
        let (b, _) = gpu_steps(&mut gpu, g, &p, &data, 25, Some(cap));
        assert_eq!(a, b, "{bc:?}: 25 chunked steps differ from single chunk");
    }
}

#[test]
fn field_larger_than_one_storage_binding() {
    let (mut gpu, _lock) = common::gpu();
    // 512 x 512 x 136 cells x 4 bytes = 136 MiB: more than lavapipe's 128 MiB binding.
    let g = Grid::new_3d(512, 512, 136, 1e-6);
    let bytes = g.cells() * 4;
    assert!(bytes > 128 << 20);
    // On a GPU with larger bindings, cap at lavapipe's limit so the test means the same.
    gpu.max_binding_bytes = gpu.max_binding_bytes.min(128 << 20);
    let p = params([Boundary::Neumann, Boundary::Periodic, Boundary::Periodic]);
    let mut p = p;
    p.face_values = [[0.0; 2]; 3];
    let data = common::noise(g.cells() as usize, 3);
    let mut m = Diffusion::new(&gpu, g, p.clone()).unwrap();
    let field = m.state_fields()[0];
    assert!(
        field.domain.chunks.len() >= 2,
        "a 136 MiB field must be split"
    );
    field.upload(&gpu, &data).unwrap();
    assert_eq!(
        field.download(&gpu),
        data,
        "round trip through chunks changed values"
    );
    let dt = p.stable_dt(&g);
    m.advance(&gpu, Moment::new(0, 0.0), 1, dt).unwrap();
    let out = m.state_fields()[0].download(&gpu);
    let reference = cpu_step(&g, &p, &data, dt);
    let worst = out
        .iter()
        .zip(&reference)
        .map(|(a, b)| (*a as f64 - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-5, "large-field step differs from CPU by {worst}");
    let s = field_stats(&gpu, m.state_fields()[0], StatsQuery::default());
    let cpu: f64 = reference.iter().sum();
    assert!(
        (s.sum - cpu).abs() < 1e-3 * (g.cells() as f64).sqrt(),
        "sum {} vs {}",
        s.sum,
        cpu
    );
}

fn check_stats(gpu: &Gpu, g: Grid, cap: Option<u64>, seed: u64) {
    let mut gpu_cap = Gpu::open(None).unwrap();
    if let Some(c) = cap {
        gpu_cap.max_binding_bytes = c;
    }
    let _ = gpu;
    let domain = Domain::new(&gpu_cap, g, false).unwrap();
    let f = Field::new(&gpu_cap, &domain, "x");
    let mut data = common::noise(g.cells() as usize, seed);
    let n = data.len();
    data[n / 3] = f32::NAN;
    data[n - 1] = f32::INFINITY;
    data[n / 2] = 5.0;
    f.upload(&gpu_cap, &data).unwrap();
    let q = StatsQuery {
        threshold: 0.5,
        lo: -0.9,
        hi: 2.0,
    };
    let got = field_stats(&gpu_cap, &f, q);
    let want = Stats::of_slice(&data, q);
    assert_eq!(
        (
            got.count,
            got.nonfinite,
            got.above,
            got.outside,
            got.first_bad
        ),
        (
            want.count,
            want.nonfinite,
            want.above,
            want.outside,
            want.first_bad
        ),
        "{g:?}"
    );
    assert_eq!((got.min, got.max), (want.min, want.max));
    assert_eq!(field_max(&gpu_cap, &f), want.max, "field_max, {g:?}");
    // The largest value anywhere (not the planted 5), past a NaN and a -inf; none at all.
    let mut other = common::noise(n, seed + 100);
    other[n / 4] = f32::NAN;
    other[n - 1] = f32::NEG_INFINITY;
    f.upload(&gpu_cap, &other).unwrap();
    let want_max = other
        .iter()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
    assert_eq!(field_max(&gpu_cap, &f), want_max, "field_max, {g:?}");
    f.upload(&gpu_cap, &vec![f32::NAN; n]).unwrap();
    assert_eq!(
        field_max(&gpu_cap, &f),
        f64::NEG_INFINITY,
        "field_max of NaNs, {g:?}"
    );
    let tol = 1e-6 * want.sum_sq.max(1.0);
    assert!(
        (got.sum - want.sum).abs() < tol,
        "sum {} vs {}",
        got.sum,
        want.sum
    );
    assert!(
        (got.sum_sq - want.sum_sq).abs() < tol,
        "sumsq {} vs {}",
        got.sum_sq,
        want.sum_sq
    );
}

#[test]
fn reductions_match_cpu_on_odd_sizes() {
    let (gpu, _lock) = common::gpu();
    check_stats(&gpu, Grid::new_2d(37, 23, 1.0), None, 1);
    check_stats(&gpu, Grid::new_2d(1001, 3, 1.0), None, 2);
    check_stats(&gpu, Grid::new_3d(19, 13, 7, 1.0), Some(19 * 13 * 4 * 3), 3);
    check_stats(&gpu, Grid::new_2d(2049, 5, 1.0), Some(2049 * 4 * 3), 4);
    check_stats(&gpu, Grid::new_3d(64, 33, 65, 1.0), None, 5);
}

/// Domains with `ghost` ghost planes of `g`: one chunk, and chunks of `ghost` to `ghost + 1`
/// planes where possible (forced by a small binding limit; else up to `2 ghost - 1`, which
/// always splits) when the grid has enough planes.
fn ghost_domains(gpu: &Gpu, g: Grid, periodic: bool, ghost: u32) -> Vec<Arc<Domain>> {
    let mut v = vec![Domain::with_ghosts(gpu, g, periodic, ghost).unwrap()];
    assert_eq!(v[0].chunks.len(), 1);
    assert_eq!(v[0].ghost, ghost);
    if g.planes() > ghost + 1 {
        let plane_bytes = g.plane_cells() * 4;
        let split = |most: u32| {
            let cap = (2 * ghost + most) as u64 * plane_bytes;
            split_planes_ghosts(g.planes(), plane_bytes, cap, ghost)
        };
        let spans = split(ghost + 1).or_else(|_| split(2 * ghost - 1)).unwrap();
        assert!(spans.len() >= 2, "{spans:?}");
        assert!(spans.iter().all(|s| s.planes >= ghost), "{spans:?}");
        v.push(Domain::with_chunks_ghosts(gpu, g, periodic, spans, ghost).unwrap());
    }
    v
}

/// Distinct values per cell (and per `salt`), so a ghost plane from the wrong plane shows.
fn cell_values(g: &Grid, salt: u32) -> Vec<u32> {
    (0..g.cells() as u32)
        .map(|i| i.wrapping_mul(2654435761).wrapping_add(salt) | 1)
        .collect()
}

/// What chunk `c`'s whole buffer must hold after a halo exchange: its planes, and in each
/// ghost plane the plane it stands for (wrapped on a periodic chunking axis; untouched zeros
/// past a non-periodic end).
fn expected_chunk(d: &Domain, c: usize, values: &[u32]) -> Vec<u32> {
    let pc = d.grid.plane_cells() as usize;
    let total = d.grid.planes() as i64;
    let span = d.chunks[c];
    let g = d.ghost as i64;
    let mut out = Vec::new();
    for j in 0..span.planes as i64 + 2 * g {
        let p = span.first_plane as i64 + j - g;
        if (0..total).contains(&p) || d.periodic_chunk_axis {
            let p = p.rem_euclid(total) as usize;
            out.extend_from_slice(&values[p * pc..(p + 1) * pc]);
        } else {
            out.extend(std::iter::repeat_n(0, pc));
        }
    }
    out
}

#[test]
fn wider_ghost_layers_hold_exactly_their_neighbour_planes() {
    let (gpu, _lock) = common::gpu();
    let grids = [
        Grid::new_2d(5, 23, 1.0),
        Grid::new_3d(4, 3, 17, 1.0),
        // Fewer planes than ghost planes: one chunk only, wrapped more than once.
        Grid::new_3d(4, 3, 2, 1.0),
    ];
    for ghost in [2u32, 3] {
        for g in grids {
            for periodic in [false, true] {
                for d in ghost_domains(&gpu, g, periodic, ghost) {
                    let what = format!(
                        "{g:?} ghost {ghost} periodic {periodic}, {} chunks",
                        d.chunks.len()
                    );
                    let f = Field::typed(&gpu, &d, "v", Element::U32);
                    // Two uploads: the second must replace every ghost plane the first filled.
                    f.upload_as(&gpu, &cell_values(&g, 7)).unwrap();
                    let values = cell_values(&g, 99);
                    f.upload_as(&gpu, &values).unwrap();
                    for c in 0..d.chunks.len() {
                        assert_eq!(
                            f.download_chunk_raw(&gpu, c),
                            expected_chunk(&d, c, &values),
                            "{what}: chunk {c}"
                        );
                    }
                    // An explicit exchange leaves them so; the chunk-only one does the same
                    // between chunks.
                    let mut enc = gpu.device.create_command_encoder(&Default::default());
                    let mut rec = Recorder::new(&mut enc);
                    f.exchange_halos(&mut rec);
                    f.exchange_chunk_halos(&mut rec);
                    drop(rec);
                    gpu.submit(enc.finish());
                    for c in 0..d.chunks.len() {
                        assert_eq!(
                            f.download_chunk_raw(&gpu, c),
                            expected_chunk(&d, c, &values),
                            "{what}: chunk {c} again"
                        );
                    }
                    assert_eq!(f.download_as::<u32>(&gpu).unwrap(), values, "{what}");
                }
            }
        }
    }
}

/// The same for f16 fields (the D3Q19 populations with `gde.flow.storage = "f16"`): their
/// ghost planes are copied as 4-byte words, two cells at a time, so each plane must start
/// on a word and every half-float must land in its own place, between chunks and around a
/// periodic chunking axis, for ghost widths 1 to 3. One chunk on a periodic axis is the
/// exception by design: the wrap kernel moves 4-byte elements, and an f16 field's kernels
/// wrap inside its buffer there (`neighbour_on`), so its ghost planes stay unwritten.
#[test]
fn f16_fields_hold_their_neighbour_planes_across_chunks() {
    let (gpu, _lock) = common::gpu();
    let grids = [
        Grid::new_2d(6, 23, 1.0),
        Grid::new_3d(4, 3, 17, 1.0),
        Grid::new_3d(2, 5, 9, 1.0),
    ];
    for ghost in [1u32, 2, 3] {
        for g in grids {
            for periodic in [false, true] {
                let domains = ghost_domains(&gpu, g, periodic, ghost);
                assert_eq!(
                    domains.len(),
                    2,
                    "{g:?}: the test wants a chunked domain too"
                );
                for d in domains {
                    let what = format!(
                        "f16 {g:?} ghost {ghost} periodic {periodic}, {} chunks",
                        d.chunks.len()
                    );
                    let f = Field::typed(&gpu, &d, "v", Element::F16);
                    // 16-bit patterns distinct between neighbouring planes.
                    let bits: Vec<u16> = cell_values(&g, 5).iter().map(|&v| v as u16).collect();
                    let values: Vec<half::f16> =
                        bits.iter().map(|&b| half::f16::from_bits(b)).collect();
                    f.upload_as(&gpu, &values).unwrap();
                    let mut enc = gpu.device.create_command_encoder(&Default::default());
                    let mut rec = Recorder::new(&mut enc);
                    f.exchange_halos(&mut rec);
                    drop(rec);
                    gpu.submit(enc.finish());
                    let as_u32: Vec<u32> = bits.iter().map(|&b| u32::from(b)).collect();
                    let unwrapped = periodic && d.chunks.len() == 1;
                    for c in 0..d.chunks.len() {
                        let mut expected: Vec<u16> = expected_chunk(&d, c, &as_u32)
                            .into_iter()
                            .map(|v| v as u16)
                            .collect();
                        if unwrapped {
                            let ghost_cells = (ghost as u64 * g.plane_cells()) as usize;
                            let n = expected.len();
                            expected[..ghost_cells].fill(0);
                            expected[n - ghost_cells..].fill(0);
                        }
                        // The chunk's buffer read back as words: two half-floats each,
                        // the first in the low bits.
                        let words: Vec<u32> = expected
                            .chunks(2)
                            .map(|p| u32::from(p[0]) | u32::from(p[1]) << 16)
                            .collect();
                        assert_eq!(f.download_chunk_raw(&gpu, c), words, "{what}: chunk {c}");
                    }
                    let back: Vec<u16> = f
                        .download_as::<half::f16>(&gpu)
                        .unwrap()
                        .iter()
                        .map(|v| v.to_bits())
                        .collect();
                    assert_eq!(back, bits, "{what}");
                }
            }
        }
    }
}

#[test]
fn a_thin_chunk_among_several_is_refused() {
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_3d(4, 3, 7, 1.0);
    let spans = vec![
        ChunkSpan {
            first_plane: 0,
            planes: 5,
        },
        ChunkSpan {
            first_plane: 5,
            planes: 2,
        },
    ];
    let e = Domain::with_chunks_ghosts(&gpu, g, true, spans.clone(), 3)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("thinner than the domain's 3 ghost planes"),
        "{e}"
    );
    assert!(Domain::with_chunks_ghosts(&gpu, g, true, spans, 2).is_ok());
    assert!(Domain::with_ghosts(&gpu, g, true, 4).is_err());
}

const MISSING: u32 = 0xdeadbeef;

/// The hash shaders/test/neighbour_reach.wgsl computes, on the CPU.
fn cpu_reach(g: &Grid, values: &[u32], reach: u32, periodic: [bool; 3]) -> Vec<u32> {
    let n = [g.nx as i64, g.ny as i64, g.nz as i64];
    let idx = |p: [i64; 3]| (p[0] + n[0] * (p[1] + n[1] * p[2])) as usize;
    let mut out = vec![0; values.len()];
    for z in 0..n[2] {
        for y in 0..n[1] {
            for x in 0..n[0] {
                let pos = [x, y, z];
                let mut acc = 0u32;
                for a in 0..g.dims() as usize {
                    for k in 1..=reach as i64 {
                        for d in [-k, k] {
                            let mut q = pos;
                            q[a] += d;
                            let v = if (0..n[a]).contains(&q[a]) || periodic[a] {
                                q[a] = q[a].rem_euclid(n[a]);
                                values[idx(q)]
                            } else {
                                MISSING
                            };
                            acc = acc.wrapping_mul(31).wrapping_add(v);
                        }
                    }
                }
                out[idx(pos)] = acc;
            }
        }
    }
    out
}

/// The hashes from the GPU; `shaped`: with the kernel built for `d`'s shape
/// (`Kernel::shape_of`), which must not change them.
fn gpu_reach(
    gpu: &Gpu,
    d: &Arc<Domain>,
    values: &[u32],
    periodic: [bool; 3],
    shaped: bool,
) -> Vec<u32> {
    let flag = |on: bool| Kernel::flag(on);
    let mut constants = vec![
        ("REACH", d.ghost as f64),
        ("PERIODIC_X", flag(periodic[0])),
        ("PERIODIC_Y", flag(periodic[1])),
        ("PERIODIC_Z", flag(periodic[2])),
    ];
    if shaped {
        constants.extend(Kernel::shape_of(d));
    }
    let k = Kernel::with_constants(gpu, "test/neighbour_reach.wgsl", "main", &constants).unwrap();
    let v = Field::typed(gpu, d, "values", Element::U32);
    let out = Field::typed(gpu, d, "hashes", Element::U32);
    v.upload_as(gpu, values).unwrap();
    let bgs = k.bind_chunks_named(gpu, d, |c| {
        vec![("values", &v.buffers[c]), ("hashes", &out.buffers[c])]
    });
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    let mut rec = Recorder::new(&mut enc);
    d.dispatch(rec.pass(), k.pipeline(), &bgs);
    drop(rec);
    gpu.submit(enc.finish());
    out.download_as(gpu).unwrap()
}

#[test]
fn neighbours_up_to_the_ghost_width_away_match_the_cpu_chunked_or_not() {
    let (gpu, _lock) = common::gpu();
    let grids = [
        Grid::new_2d(37, 13, 1.0),
        Grid::new_3d(13, 5, 17, 1.0),
        // Axes shorter than the reach wrap more than once when periodic.
        Grid::new_3d(2, 3, 2, 1.0),
        Grid::new_2d(3, 2, 1.0),
    ];
    let periodics = [
        [false; 3],
        [true; 3],
        [true, false, true],
        [false, true, false],
    ];
    for ghost in 1..=3u32 {
        for g in grids {
            for periodic in periodics {
                let chunk_axis = if g.is_3d() { 2 } else { 1 };
                let values = cell_values(&g, ghost);
                let want = cpu_reach(&g, &values, ghost, periodic);
                let mut results = Vec::new();
                for d in ghost_domains(&gpu, g, periodic[chunk_axis], ghost) {
                    for shaped in [false, true] {
                        let got = gpu_reach(&gpu, &d, &values, periodic, shaped);
                        assert_eq!(
                            got,
                            want,
                            "{g:?} ghost {ghost} periodic {periodic:?}, {} chunks, shaped {shaped}",
                            d.chunks.len()
                        );
                        results.push(got);
                    }
                }
                assert!(results.windows(2).all(|w| w[0] == w[1]));
            }
        }
    }
}

/// Bit patterns that are NaN, infinity or denormal as f32: an integer field must keep them.
fn awkward_bits(n: usize) -> Vec<u32> {
    let special = [
        0x7fc0_0001,
        0xffff_ffff,
        0x7f80_0001, // signalling NaN
        0x7f80_0000,
        0x0000_0001, // denormal
        0x8000_0000,
        0x0000_0000,
        0x8000_0001,
    ];
    (0..n as u32)
        .map(|i| {
            special
                .get(i as usize % 11)
                .copied()
                .unwrap_or(i.wrapping_mul(2654435761))
        })
        .collect()
}

#[test]
fn integer_fields_round_trip_exactly_and_refuse_other_types() {
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_3d(7, 5, 9, 1.0);
    for ghost in [1u32, 2] {
        for periodic in [false, true] {
            for d in ghost_domains(&gpu, g, periodic, ghost) {
                let bits = awkward_bits(g.cells() as usize);
                let u = Field::typed(&gpu, &d, "u", Element::U32);
                assert_eq!(u.element(), Element::U32);
                u.upload_as(&gpu, &bits).unwrap();
                assert_eq!(u.download_as::<u32>(&gpu).unwrap(), bits);
                assert_eq!(u.download_raw(&gpu), bits);
                // Ghost planes (the one-chunk periodic wrap kernel included) copy bits too.
                for c in 0..d.chunks.len() {
                    assert_eq!(u.download_chunk_raw(&gpu, c), expected_chunk(&d, c, &bits));
                }

                let ints: Vec<i32> = bits.iter().map(|&b| b as i32).collect();
                let i = Field::typed(&gpu, &d, "xi_fixed", Element::I32);
                i.upload_as(&gpu, &ints).unwrap();
                assert_eq!(i.download_as::<i32>(&gpu).unwrap(), ints);
                assert_eq!(i.download_raw(&gpu), bits);

                // Raw upload into an f32 field keeps NaN payloads (what checkpoints rely on).
                let f = Field::new(&gpu, &d, "x");
                assert_eq!(f.element(), Element::F32);
                f.upload_raw(&gpu, &bits).unwrap();
                assert_eq!(f.download_raw(&gpu), bits);

                let floats = vec![1.5f32; bits.len()];
                let e = i.upload(&gpu, &floats).unwrap_err().to_string();
                assert!(
                    e.contains("xi_fixed") && e.contains("i32") && e.contains("f32"),
                    "{e}"
                );
                assert!(i.upload_as(&gpu, &bits).is_err());
                assert!(u.upload_as(&gpu, &ints).is_err());
                assert!(f.upload_as(&gpu, &ints).is_err());
                let e = i.download_as::<f32>(&gpu).unwrap_err().to_string();
                assert!(e.contains("holds i32 values"), "{e}");
                assert!(i.download_as::<u32>(&gpu).is_err());
                assert!(u.download_as::<i32>(&gpu).is_err());
                assert!(f.download_as::<u32>(&gpu).is_err());
                // The refused uploads changed nothing.
                assert_eq!(i.download_as::<i32>(&gpu).unwrap(), ints);
            }
        }
    }
}

#[test]
fn integer_fields_reach_vti_files_as_integer_arrays() {
    use mesolyte::io::vtk::{write_vti, write_vti_typed, ArrayValues, NamedArray, TypedArray};
    use vtkio::model::{Attribute, DataSet, IOBuffer, Piece};
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_3d(4, 3, 2, 2e-6);
    let d = Domain::new(&gpu, g, false).unwrap();
    let bits = awkward_bits(g.cells() as usize);
    let ints: Vec<i32> = bits.iter().map(|&b| b as i32).collect();
    let fi = Field::typed(&gpu, &d, "labels", Element::I32);
    let fu = Field::typed(&gpu, &d, "ids", Element::U32);
    fi.upload_as(&gpu, &ints).unwrap();
    fu.upload_as(&gpu, &bits).unwrap();
    let floats: Vec<f32> = (0..g.cells()).map(|i| i as f32 * 0.25).collect();
    let (got_i, got_u) = (
        fi.download_as::<i32>(&gpu).unwrap(),
        fu.download_as::<u32>(&gpu).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typed.vti");
    write_vti_typed(
        &path,
        &g,
        &[
            TypedArray {
                name: "labels",
                components: 1,
                values: ArrayValues::I32(&got_i),
            },
            TypedArray {
                name: "ids",
                components: 1,
                values: ArrayValues::U32(&got_u),
            },
            TypedArray {
                name: "c",
                components: 1,
                values: ArrayValues::F32(&floats),
            },
        ],
    )
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(r#"type="Int32""#) && text.contains(r#"type="UInt32""#),
        "{text}"
    );
    let vtk = vtkio::Vtk::import(&path).unwrap();
    let DataSet::ImageData { pieces, .. } = vtk.data else {
        panic!("not image data")
    };
    let Some(Piece::Inline(piece)) = pieces.into_iter().next() else {
        panic!("no piece")
    };
    let mut found = 0;
    for a in piece.data.point {
        let Attribute::DataArray(a) = a else { continue };
        match (a.name.as_str(), a.data) {
            ("labels", IOBuffer::I32(v)) => assert_eq!(v, ints),
            ("ids", IOBuffer::U32(v)) => assert_eq!(v, bits),
            ("c", IOBuffer::F32(v)) => assert_eq!(v, floats),
            (name, data) => panic!("{name}: unexpected array type {:?}", data.scalar_type()),
        }
        found += 1;
    }
    assert_eq!(found, 3);
    // An all-f32 list writes the same bytes through either entry point.
    let (a, b) = (dir.path().join("a.vti"), dir.path().join("b.vti"));
    write_vti(
        &a,
        &g,
        &[NamedArray {
            name: "c",
            components: 1,
            values: &floats,
        }],
    )
    .unwrap();
    write_vti_typed(
        &b,
        &g,
        &[TypedArray {
            name: "c",
            components: 1,
            values: ArrayValues::F32(&floats),
        }],
    )
    .unwrap();
    assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
}

/// `Field::read_cells_at` reads the cells asked for, in the order asked, from one chunk or
/// several and past the ghost planes (a probe of a column, as superfill samples its heights).
#[test]
fn a_probe_reads_the_cells_asked_for_from_any_chunk() {
    let (gpu, _lock) = common::gpu();
    for g in [Grid::new_2d(5, 23, 1.0), Grid::new_3d(4, 3, 17, 1.0)] {
        for ghost in [1u32, 3] {
            for d in ghost_domains(&gpu, g, false, ghost) {
                let f = Field::new(&gpu, &d, "v");
                let values: Vec<f32> = (0..g.cells()).map(|i| i as f32 * 0.5 + 1.0).collect();
                f.upload(&gpu, &values).unwrap();
                // A column bottom to top, then some cells out of order.
                let pc = g.plane_cells();
                let mut cells: Vec<u64> = (0..g.planes() as u64).map(|k| 2 + k * pc).collect();
                cells.extend([g.cells() - 1, 0, pc + 1]);
                let got = f.read_cells_at(&gpu, &cells).unwrap();
                let want: Vec<f32> = cells.iter().map(|&i| values[i as usize]).collect();
                assert_eq!(got, want, "{g:?} ghost {ghost}, {} chunks", d.chunks.len());
            }
        }
    }
}

/// A device builds each kernel once (gpu/kernel.rs, `Kernel::build`): asking again for the
/// same stage, entry and constants returns the same pipeline, and any other constant value
/// another one, which computes with its own value (the kernel's output says which it ran).
#[test]
fn kernels_are_built_once_per_device_and_constants() {
    let (gpu, _lock) = common::gpu();
    let g = Grid::new_2d(7, 5, 1.0);
    let d = ghost_domains(&gpu, g, false, 1).remove(0);
    let values = cell_values(&g, 1);
    let build = |periodic_x: bool| {
        Kernel::with_constants(
            &gpu,
            "test/neighbour_reach.wgsl",
            "main",
            &[
                ("REACH", 1.0),
                ("PERIODIC_X", Kernel::flag(periodic_x)),
                ("PERIODIC_Y", 0.0),
                ("PERIODIC_Z", 0.0),
            ],
        )
        .unwrap()
    };
    let (a, again, other) = (build(false), build(false), build(true));
    assert!(a.pipeline() == again.pipeline() && a.layout() == again.layout());
    assert!(a.pipeline() != other.pipeline());
    // Each computes with its own constants, the same as on the CPU.
    for periodic in [[false; 3], [true, false, false]] {
        assert_eq!(
            gpu_reach(&gpu, &d, &values, periodic, false),
            cpu_reach(&g, &values, 1, periodic)
        );
    }
    assert_ne!(
        cpu_reach(&g, &values, 1, [false; 3]),
        cpu_reach(&g, &values, 1, [true, false, false])
    );
}

/// A cell list (gpu/cell_list.rs) holds exactly the cells of a circle's or sphere's band
/// (|φ| < 2.5 cells of a signed distance), chunked or not: a kernel dispatched indirectly over
/// it marks those cells and no others. Built again for a moved circle, it holds the new band
/// only (the build starts the list afresh). Also with rows of 1 workgroup, so that the
/// indirect dispatch takes several rows, as a list of more than 4 million cells does.
#[test]
fn a_band_list_dispatches_over_exactly_its_cells_chunked_or_not() {
    let (gpu, _lock) = common::gpu();
    let grids = [Grid::new_2d(23, 40, 1.0), Grid::new_3d(21, 19, 17, 1.0)];
    for (g, row) in grids.into_iter().flat_map(|g| [(g, 32768), (g, 1)]) {
        for d in ghost_domains(&gpu, g, false, 3) {
            let list = CellList::with_row(&gpu, &d, 2.5, row).unwrap();
            let phi = Field::new(&gpu, &d, "phi");
            let mark = Kernel::shaped(&gpu, "field/cell_list_mark.wgsl", &d).unwrap();
            for centre in [7.0_f64, 11.5] {
                let values = g.sample(|p| {
                    let z = if g.is_3d() { p[2] - 0.8 * centre } else { 0.0 };
                    ((p[0] - centre).powi(2) + (p[1] - 0.5 * g.ny as f64).powi(2) + z * z).sqrt()
                        - 6.0
                });
                let want: Vec<u32> = values.iter().map(|v| u32::from(v.abs() < 2.5)).collect();
                phi.upload(&gpu, &values).unwrap();
                let marks = Field::typed(&gpu, &d, "marks", Element::U32);
                let mut enc = gpu.device.create_command_encoder(&Default::default());
                {
                    let mut rec = Recorder::new(&mut enc);
                    list.encode_band(&gpu, &mut rec, &phi);
                    let bind = mark.bind_chunks_named(&gpu, &d, |c| {
                        vec![("cells", list.buffer(c)), ("marks", &marks.buffers[c])]
                    });
                    list.dispatch(rec.pass(), mark.pipeline(), &bind);
                }
                gpu.submit(enc.finish());
                let got: Vec<u32> = marks.download_as(&gpu).unwrap();
                let listed = want.iter().filter(|&&w| w == 1).count();
                assert!(
                    listed > 20 && listed < want.len() / 2,
                    "{listed} cells in the band"
                );
                let chunks = d.chunks.len();
                assert_eq!(
                    got, want,
                    "{g:?}, {chunks} chunks, rows of {row}, centre {centre}"
                );
            }
        }
    }
}
