//! Reductions of a field along one axis on the GPU (shaders/field/axis_reduce.wgsl): per
//! plane (for each index along the axis, over the other two axes: the flux through each plane)
//! or per column (for each position of the other two axes, along the axis: a deposit's
//! thickness per column). Each result carries the sum, max, min and count of its cells,
//! optionally of only the cells whose mask element equals a value. Only the results are read
//! back, never the field.
//!
//! Sums are exact until one final rounding: the kernel adds every f32 as an integer multiple
//! of 2^-149 into a 320-bit fixed-point accumulator, which is read back and rounded here to
//! the nearest f64 (ties to even). So a sum is the correctly rounded sum of its f32 values:
//! the same on every run, for any chunking, dispatch or thread order, and never less
//! accurate than a sequential f64 sum, which it equals bit for bit whenever that sum made no
//! rounding error. Max and min are exact (f32).

use anyhow::{bail, ensure, Result};
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;
use wgpu::util::DeviceExt;

use super::field::{read_mapped_as, Element, FieldValue};
use super::{Domain, Field, Gpu, Kernel};
use crate::grid::Grid;

const THREADS: u64 = 256;
/// Values per thread a plane's workgroups aim at, before more workgroups share a plane.
const VALUES_PER_THREAD: u64 = 8;
/// Cells of a column a thread adds at most: a longer column is cut into equal pieces of no
/// more than this (unless the chunks' contributions cap the number of pieces).
const COLUMN_PIECE: u64 = 32;
/// Planes of at most this many cells are cut into pieces of at most `VALUES_PER_THREAD`, a
/// thread each, that add into the plane's result directly, not through a workgroup: one
/// workgroup per plane left most of its threads idle and still ran them through the
/// workgroup's sum (a 60 × 170 grid's 170 planes: 7.9 ms a reduction on lavapipe, 0.66 ms
/// for its 60 columns).
const PIECEWISE_PLANE_CELLS: u64 = THREADS;
/// Accumulator words per result in the kernel (`WORDS`): `LIMBS` 16-bit digits, the max
/// key, the inverted min key, the flags and the count.
const ACC_WORDS: u64 = 24;
const LIMBS: usize = 20;
const MAX_KEY: usize = 20;
const MIN_KEY: usize = 21;
const FLAGS: usize = 22;
const COUNT: usize = 23;
const NAN: u32 = 1;
const POS_INF: u32 = 2;
const NEG_INF: u32 = 4;
/// Carried digits below 2^16 added into one result: at most this many keep an i32 digit
/// from overflowing (the kernel's `flush_global`).
const MAX_CONTRIBUTIONS: u64 = (1 << 15) - 1;

/// Which results a reduction along an axis gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Along {
    /// One result per index along the axis, over the plane of the other two axes.
    Planes,
    /// One result per position of the other two axes (b, d: the two in order x, y, z),
    /// numbered `b + n_b d`, over the column along the axis.
    Columns,
}

/// Results of one reduction, one entry per plane or column.
#[derive(Debug, Clone, PartialEq)]
pub struct Reduced {
    /// Correctly rounded sums; NaN if a NaN or both infinities occur, ±inf for one infinity.
    pub sum: Vec<f64>,
    /// Largest and smallest values (NaN if a NaN occurs; -inf and +inf for no cell).
    pub max: Vec<f32>,
    pub min: Vec<f32>,
    /// Cells reduced (those matching the mask, if any).
    pub count: Vec<u32>,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct AxisChunk {
    ext_a: u32,
    ext_b: u32,
    ext_d: u32,
    lines: u32,
    stride_a: u32,
    stride_b: u32,
    stride_d: u32,
    slices: u32,
    off_a: u32,
    off_b: u32,
    off_d: u32,
    n_b: u32,
    groups: u32,
    groups_x: u32,
    piece: u32,
    _pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct AxisQuery {
    masked: u32,
    mask_bits: u32,
}

/// A reduction along one axis of one domain, set up once (pipelines, per-chunk parameters)
/// and run on any f32 field of that domain.
pub struct AxisReduce {
    domain: Arc<Domain>,
    axis: usize,
    along: Along,
    accumulate: Kernel,
    chunk_params: Vec<wgpu::Buffer>,
    /// Workgroups (x, y) of each chunk's dispatch.
    chunk_groups: Vec<(u32, u32)>,
    results: u32,
    /// Each chunk adds into its own accumulator buffer (`AxisReduce::per_chunk`); otherwise
    /// all chunks add into one.
    per_chunk: bool,
    /// A mask fixed by `with_mask`: its chunks' buffers and the bits a cell's element must have.
    mask: Option<(Vec<wgpu::Buffer>, u32)>,
}

/// A dispatch of `groups` workgroups as (x, y), wrapping into y past the adapter's limit.
fn wrap_groups(gpu: &Gpu, groups: u64) -> (u32, u32) {
    let gx = groups.clamp(1, gpu.max_groups_per_dim() as u64);
    (gx as u32, groups.div_ceil(gx) as u32)
}

impl AxisReduce {
    /// Whether the accumulators of a reduction of `domain` along `axis` fit the adapter's
    /// storage bindings, the one limit of `new` that follows from the domain's shape rather
    /// than from a mistake (an axis the grid lacks, a chunk count beyond any real domain).
    pub fn fits(gpu: &Gpu, domain: &Domain, axis: usize, along: Along) -> bool {
        Self::largest_accumulator(domain, axis, along).1 <= gpu.max_binding_bytes
    }

    /// Whether each chunk adds into an accumulator buffer of its own, holding its own planes:
    /// for planes along the chunking axis, so that no buffer outgrows a binding however many
    /// planes the grid has.
    fn per_chunk(grid: &Grid, axis: usize, along: Along) -> bool {
        along == Along::Planes && axis == grid.chunk_axis()
    }

    /// Results in the largest accumulator buffer, and its bytes: one buffer for all results,
    /// or one per chunk (`per_chunk`), holding that chunk's planes.
    fn largest_accumulator(domain: &Domain, axis: usize, along: Along) -> (u64, u64) {
        let g = domain.grid;
        let most = match along {
            _ if Self::per_chunk(&g, axis, along) => domain
                .chunks
                .iter()
                .map(|c| c.planes as u64)
                .max()
                .unwrap_or(0),
            Along::Planes => g.counts()[axis] as u64,
            Along::Columns => g.cells() / g.counts()[axis] as u64,
        };
        (most, most * ACC_WORDS * 4)
    }

    /// A reduction of `domain`'s fields along `axis` (0 = x, 1 = y, 2 = z).
    pub fn new(gpu: &Gpu, domain: &Arc<Domain>, axis: usize, along: Along) -> Result<AxisReduce> {
        let g = domain.grid;
        ensure!(
            axis < g.dims() as usize,
            "a {}D grid has no axis {axis} to reduce along",
            g.dims()
        );
        let n = g.counts();
        let strides = [1, g.nx, g.nx * g.ny];
        let chunk_axis = g.chunk_axis();
        // The other two axes, the faster one first (neighbouring threads, nearby cells).
        let (b, d) = match axis {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        };
        let chunks = domain.chunks.len() as u64;
        // Workgroups (planes) or threads (columns) that add into one result, over all chunks.
        let slice_cap = (MAX_CONTRIBUTIONS / chunks).max(1);
        if chunks > MAX_CONTRIBUTIONS {
            bail!("{chunks} chunks are too many for an exact reduction along an axis");
        }
        let results = match along {
            Along::Planes => n[axis] as u64,
            Along::Columns => g.cells() / n[axis] as u64,
        };
        let piecewise_planes =
            along == Along::Planes && n[b] as u64 * n[d] as u64 <= PIECEWISE_PLANE_CELLS;
        let per_chunk = Self::per_chunk(&g, axis, along);
        let (most, acc_bytes) = Self::largest_accumulator(domain, axis, along);
        if acc_bytes > gpu.max_binding_bytes {
            bail!(
                "a reduction into {most} results needs {} of accumulators, more than one \
                 storage binding ({})",
                super::format_bytes(acc_bytes),
                super::format_bytes(gpu.max_binding_bytes)
            );
        }
        let mut chunk_params = Vec::new();
        let mut chunk_groups = Vec::new();
        for span in &domain.chunks {
            let mut ext = n;
            ext[chunk_axis] = span.planes;
            let mut off = [0u32; 3];
            // A chunk's own accumulators number its planes from 0.
            off[chunk_axis] = if per_chunk { 0 } else { span.first_plane };
            let lines = ext[b] as u64 * ext[d] as u64;
            let (slices, groups, piece) = match along {
                Along::Planes if piecewise_planes => {
                    let piece =
                        lines.div_ceil(lines.div_ceil(VALUES_PER_THREAD).clamp(1, slice_cap));
                    let pieces = lines.div_ceil(piece);
                    (pieces, (ext[axis] as u64 * pieces).div_ceil(THREADS), piece)
                }
                Along::Planes => {
                    let slices = lines
                        .div_ceil(THREADS * VALUES_PER_THREAD)
                        .clamp(1, slice_cap);
                    (slices, ext[axis] as u64 * slices, 0)
                }
                Along::Columns => {
                    let len = ext[axis] as u64;
                    let piece = len.div_ceil(len.div_ceil(COLUMN_PIECE).clamp(1, slice_cap));
                    let pieces = len.div_ceil(piece);
                    (pieces, (lines * pieces).div_ceil(THREADS), piece)
                }
            };
            let (gx, gy) = wrap_groups(gpu, groups);
            let p = AxisChunk {
                ext_a: ext[axis],
                ext_b: ext[b],
                ext_d: ext[d],
                lines: lines as u32,
                stride_a: strides[axis],
                stride_b: strides[b],
                stride_d: strides[d],
                slices: slices as u32,
                off_a: off[axis],
                off_b: off[b],
                off_d: off[d],
                n_b: n[b],
                groups: groups as u32,
                groups_x: gx,
                piece: piece as u32,
                _pad: 0,
            };
            chunk_params.push(
                gpu.device
                    .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("axis reduce chunk"),
                        contents: bytemuck::bytes_of(&p),
                        usage: wgpu::BufferUsages::STORAGE,
                    }),
            );
            chunk_groups.push((gx, gy));
        }
        let path = "field/axis_reduce.wgsl";
        let mode = [
            ("COLUMNS", Kernel::flag(along == Along::Columns)),
            ("PLANE_PIECES", Kernel::flag(piecewise_planes)),
        ];
        Ok(AxisReduce {
            domain: domain.clone(),
            axis,
            along,
            accumulate: Kernel::with_constants(gpu, path, "main", &mode)?,
            chunk_params,
            chunk_groups,
            results: results as u32,
            per_chunk,
            mask: None,
        })
    }

    /// This reduction limited for good to the cells whose element of `mask` (a field of this
    /// domain holding `T`, e.g. never-changing labels) has the bits of `equals`; it keeps
    /// the mask's buffers alive.
    pub fn with_mask<T: FieldValue>(mut self, mask: &Field, equals: T) -> AxisReduce {
        let bits = self.mask_bits(mask, equals);
        self.mask = Some((mask.buffers.clone(), bits));
        self
    }

    /// Number of results: planes along the axis, or columns.
    pub fn len(&self) -> usize {
        self.results as usize
    }

    pub fn is_empty(&self) -> bool {
        self.results == 0
    }

    pub fn axis(&self) -> usize {
        self.axis
    }

    pub fn along(&self) -> Along {
        self.along
    }

    /// Reduces every cell of `field` (an f32 field of this domain), or those of the mask
    /// given to `with_mask`.
    pub fn reduce(&self, gpu: &Gpu, field: &Field) -> Reduced {
        let mask = self.mask.as_ref().map(|(b, bits)| (b.as_slice(), *bits));
        self.run(gpu, field, mask)
    }

    /// Reduces the cells of `field` whose element of `mask` (a field of this domain holding
    /// `T`) has the bits of `equals`: e.g. the pore cells of a label field.
    pub fn reduce_where<T: FieldValue>(
        &self,
        gpu: &Gpu,
        field: &Field,
        mask: &Field,
        equals: T,
    ) -> Reduced {
        let bits = self.mask_bits(mask, equals);
        self.run(gpu, field, Some((&mask.buffers, bits)))
    }

    fn mask_bits<T: FieldValue>(&self, mask: &Field, equals: T) -> u32 {
        assert_eq!(
            mask.element(),
            T::ELEMENT,
            "mask {} holds {} values, compared with a {}",
            mask.name,
            mask.element().name(),
            T::ELEMENT.name()
        );
        self.check_domain(mask);
        bytemuck::cast(equals)
    }

    fn check_domain(&self, f: &Field) {
        let (a, b) = (&self.domain, &f.domain);
        assert!(
            Arc::ptr_eq(a, b) || (a.grid == b.grid && a.chunks == b.chunks && a.ghost == b.ghost),
            "field {} is not laid out like the reduction's domain",
            f.name
        );
    }

    fn run(&self, gpu: &Gpu, field: &Field, mask: Option<(&[wgpu::Buffer], u32)>) -> Reduced {
        assert_eq!(
            field.element(),
            Element::F32,
            "an axis reduction reads f32 values; field {} holds other values",
            field.name
        );
        self.check_domain(field);
        let storage = |label, size, usage| {
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        use wgpu::BufferUsages as U;
        // Fresh buffers per call: concurrent calls cannot share accumulators.
        let acc_results: Vec<u64> = if self.per_chunk {
            self.domain.chunks.iter().map(|c| c.planes as u64).collect()
        } else {
            vec![self.results as u64]
        };
        let accs: Vec<wgpu::Buffer> = acc_results
            .iter()
            .map(|&r| {
                let usage = U::STORAGE | U::COPY_DST | U::COPY_SRC;
                storage("axis reduce accumulators", r * ACC_WORDS * 4, usage)
            })
            .collect();
        let total_bytes = self.results as u64 * ACC_WORDS * 4;
        let staging = storage(
            "axis reduce read-back",
            total_bytes,
            U::MAP_READ | U::COPY_DST,
        );
        let q = AxisQuery {
            masked: mask.is_some() as u32,
            mask_bits: mask.map_or(0, |m| m.1),
        };
        let query = gpu
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("axis reduce query"),
                contents: bytemuck::bytes_of(&q),
                usage: U::STORAGE,
            });
        let d = &self.domain;
        let named = |c: usize| {
            // Without a mask the kernel reads none; the field stands in for it.
            let m = mask.map_or(&field.buffers[c], |(m, _)| &m[c]);
            [
                ("grid", &d.info_buffers[c]),
                ("chunk", &self.chunk_params[c]),
                ("query", &query),
                ("data", &field.buffers[c]),
                ("mask", m),
                ("acc", &accs[if self.per_chunk { c } else { 0 }]),
            ]
        };
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        for acc in &accs {
            enc.clear_buffer(acc, 0, None);
        }
        {
            let mut rec = super::Recorder::new(&mut enc);
            let pass = rec.pass();
            super::set_pipeline(pass, self.accumulate.pipeline());
            for (c, &(gx, gy)) in self.chunk_groups.iter().enumerate() {
                let bg = self.accumulate.bind_named(gpu, &named(c));
                pass.set_bind_group(0, &bg, &[]);
                pass.dispatch_workgroups(gx, gy, 1);
            }
        }
        // In order: the per-chunk buffers hold consecutive planes.
        let mut at = 0;
        for acc in &accs {
            enc.copy_buffer_to_buffer(acc, 0, &staging, at, acc.size());
            at += acc.size();
        }
        gpu.submit(enc.finish());
        let words: Vec<u32> = read_mapped_as(gpu, &staging);
        let n = self.results as usize;
        let mut r = Reduced {
            sum: Vec::with_capacity(n),
            max: Vec::with_capacity(n),
            min: Vec::with_capacity(n),
            count: Vec::with_capacity(n),
        };
        for w in words.chunks_exact(ACC_WORDS as usize) {
            let count = w[COUNT];
            let flags = w[FLAGS];
            let (mut max, mut min) = (unkey(w[MAX_KEY]), unkey(!w[MIN_KEY]));
            if count == 0 {
                (max, min) = (f32::NEG_INFINITY, f32::INFINITY);
            }
            let both = POS_INF | NEG_INF;
            let sum = if flags & NAN != 0 || flags & both == both {
                (max, min) = (f32::NAN, f32::NAN);
                f64::NAN
            } else if flags & POS_INF != 0 {
                f64::INFINITY
            } else if flags & NEG_INF != 0 {
                f64::NEG_INFINITY
            } else {
                rounded_sum(&w[..LIMBS])
            };
            r.sum.push(sum);
            r.max.push(max);
            r.min.push(min);
            r.count.push(count);
        }
        r
    }
}

/// The f32 whose order-preserving key (axis_reduce.wgsl's `key`) is `k`.
fn unkey(k: u32) -> f32 {
    f32::from_bits(if k >> 31 == 1 { k & 0x7fff_ffff } else { !k })
}

/// The f64 nearest (ties to even) to the accumulator's value: Σ digit_k 2^(16k), each digit
/// an i32, times 2^-149.
fn rounded_sum(digits: &[u32]) -> f64 {
    // Moves each digit's overflow into the next: digits in [0, 2^16), the top one keeping
    // the sign; the total is below 2^320.
    let carry = |d: &mut [i64]| {
        for k in 0..d.len() - 1 {
            let c = d[k] >> 16;
            d[k] -= c << 16;
            d[k + 1] += c;
        }
    };
    let mut d: Vec<i64> = digits.iter().map(|&w| w as i32 as i64).collect();
    carry(&mut d);
    let negative = d[d.len() - 1] < 0;
    if negative {
        // The magnitude's digits: negate, then carry again.
        d.iter_mut().for_each(|x| *x = -*x);
        carry(&mut d);
    }
    let Some(top) = d.iter().rposition(|&x| x != 0) else {
        return 0.0;
    };
    // The top eight digits (at least 113 significant bits) as one integer; any lower digit
    // that is not zero sets its last bit, far below the bit f64 rounds at, so the conversion
    // rounds as the whole value would.
    let low = top.saturating_sub(7);
    let mut m: u128 = 0;
    for k in (low..=top).rev() {
        m = (m << 16) | d[k] as u128;
    }
    if d[..low].iter().any(|&x| x != 0) {
        m |= 1;
    }
    // Times 2^(16 low - 149), a power of two f64 holds exactly (16 low ≤ 192).
    let scale = f64::from_bits(((16 * low as i64 - 149 + 1023) as u64) << 52);
    let v = m as f64 * scale;
    if negative {
        -v
    } else {
        v
    }
}

/// Per-plane results of `field` along `axis` (one-off: sets up the pipelines each call).
pub fn plane_reduce(gpu: &Gpu, field: &Field, axis: usize) -> Result<Reduced> {
    Ok(AxisReduce::new(gpu, &field.domain, axis, Along::Planes)?.reduce(gpu, field))
}

/// Per-column results of `field` along `axis` (one-off: sets up the pipelines each call).
pub fn column_reduce(gpu: &Gpu, field: &Field, axis: usize) -> Result<Reduced> {
    Ok(AxisReduce::new(gpu, &field.domain, axis, Along::Columns)?.reduce(gpu, field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::wgsl_layout::layout;

    #[test]
    fn params_match_wgsl() {
        layout!(
            AxisChunk,
            "field/axis_reduce.wgsl",
            "AxisChunk",
            [
                ext_a, ext_b, ext_d, lines, stride_a, stride_b, stride_d, slices, off_a, off_b,
                off_d, n_b, groups, groups_x, piece, _pad
            ]
        );
        layout!(
            AxisQuery,
            "field/axis_reduce.wgsl",
            "AxisQuery",
            [masked, mask_bits]
        );
    }
}
