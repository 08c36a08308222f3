//! GPU reductions for diagnostics: sum, sum of squares, min, max, count above a threshold,
//! count outside bounds and non-finite values, in one pass over a field. Workgroups reduce
//! 2048 values each in f32; the host adds the partials in f64 in a fixed order, so results
//! are deterministic and accurate to a few f32 ulps of each partial.

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use super::field::Field;
use super::Gpu;

const VALUES_PER_GROUP: u64 = 2048;
/// Values a workgroup of field/max.wgsl reduces (THREADS * ITEMS there).
const MAX_VALUES_PER_GROUP: u64 = 4096;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct MaxParams {
    out_offset: u32,
    groups_x: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct StatsParams {
    threshold: f32,
    lo: f32,
    hi: f32,
    out_offset: u32,
    groups_x: u32,
    _pad: [u32; 3],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug)]
struct Partial {
    sum: f32,
    sumsq: f32,
    minv: f32,
    maxv: f32,
    above: u32,
    outside: u32,
    nonfinite: u32,
    first_bad: u32,
}

/// What to count besides the plain statistics.
#[derive(Debug, Clone, Copy)]
pub struct StatsQuery {
    /// Values strictly above this are counted in `above`.
    pub threshold: f32,
    /// Finite values outside `[lo, hi]` are counted in `outside` (with non-finite ones).
    pub lo: f32,
    pub hi: f32,
}

impl Default for StatsQuery {
    fn default() -> Self {
        StatsQuery {
            threshold: f32::MAX,
            lo: f32::MIN,
            hi: f32::MAX,
        }
    }
}

/// Statistics of one field; `min`/`max`/`sum` cover finite values only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub count: u64,
    pub sum: f64,
    pub sum_sq: f64,
    pub min: f64,
    pub max: f64,
    pub above: u64,
    pub outside: u64,
    pub nonfinite: u64,
    /// Lowest global cell index that is non-finite or outside the bounds.
    pub first_bad: Option<u64>,
}

impl Stats {
    pub fn mean(&self) -> f64 {
        self.sum / (self.count - self.nonfinite).max(1) as f64
    }

    /// The same statistics computed on the CPU (reference for tests).
    pub fn of_slice(data: &[f32], q: StatsQuery) -> Stats {
        let mut s = Stats {
            count: data.len() as u64,
            sum: 0.0,
            sum_sq: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            above: 0,
            outside: 0,
            nonfinite: 0,
            first_bad: None,
        };
        for (i, &v) in data.iter().enumerate() {
            let bad = if !v.is_finite() {
                s.nonfinite += 1;
                true
            } else {
                let x = v as f64;
                s.sum += x;
                s.sum_sq += x * x;
                s.min = s.min.min(x);
                s.max = s.max.max(x);
                s.above += u64::from(v > q.threshold);
                v < q.lo || v > q.hi
            };
            if bad {
                s.outside += 1;
                s.first_bad.get_or_insert(i as u64);
            }
        }
        s
    }
}

/// Reduces `field` (an f32 field: the kernel reads floats) on the GPU.
pub fn field_stats(gpu: &Gpu, field: &Field, q: StatsQuery) -> Stats {
    let raw = per_group(
        gpu,
        field,
        &gpu.common().stats,
        VALUES_PER_GROUP,
        std::mem::size_of::<Partial>() as u64,
        |offset, groups_x| {
            bytemuck::bytes_of(&StatsParams {
                threshold: q.threshold,
                lo: q.lo,
                hi: q.hi,
                out_offset: offset,
                groups_x,
                _pad: [0; 3],
            })
            .to_vec()
        },
    );
    let parts: &[Partial] = bytemuck::cast_slice(&raw);
    let mut s = Stats {
        count: field.domain.grid.cells(),
        sum: 0.0,
        sum_sq: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        above: 0,
        outside: 0,
        nonfinite: 0,
        first_bad: None,
    };
    for p in parts {
        s.sum += p.sum as f64;
        s.sum_sq += p.sumsq as f64;
        s.above += p.above as u64;
        s.outside += p.outside as u64;
        s.nonfinite += p.nonfinite as u64;
        if p.first_bad != u32::MAX {
            let fb = p.first_bad as u64;
            s.first_bad = Some(s.first_bad.map_or(fb, |f| f.min(fb)));
        }
        // Partials of groups with only non-finite values carry the sentinel extremes.
        if p.minv <= p.maxv {
            s.min = s.min.min(p.minv as f64);
            s.max = s.max.max(p.maxv as f64);
        }
    }
    s
}

/// The largest finite value of `field` (an f32 field), `-inf` if it holds none: the same
/// number as `field_stats(..).max`, for a fraction of its cost (field/max.wgsl).
pub fn field_max(gpu: &Gpu, field: &Field) -> f64 {
    let raw = per_group(
        gpu,
        field,
        &gpu.common().max,
        MAX_VALUES_PER_GROUP,
        4,
        |offset, groups_x| {
            bytemuck::bytes_of(&MaxParams {
                out_offset: offset,
                groups_x,
            })
            .to_vec()
        },
    );
    let parts: &[f32] = bytemuck::cast_slice(&raw);
    parts
        .iter()
        .fold(f64::NEG_INFINITY, |m, &p| m.max(p as f64))
}

/// Runs `kernel` (field/stats.wgsl or field/max.wgsl) over every chunk of `field`, one
/// workgroup per `values` cells, and reads back its per-workgroup partials of `bytes`
/// each, as words. `params(offset, groups_x)` gives a chunk's parameters: the index of its first
/// partial and its dispatch's x size (the dispatch wraps into y past the adapter's limit).
fn per_group(
    gpu: &Gpu,
    field: &Field,
    kernel: &super::Kernel,
    values: u64,
    bytes: u64,
    params: impl Fn(u32, u32) -> Vec<u8>,
) -> Vec<u32> {
    assert_eq!(
        field.element(),
        super::field::Element::F32,
        "the reductions read f32 values; field {} holds other values",
        field.name
    );
    let d = &field.domain;
    let plane = d.grid.plane_cells();
    let groups: Vec<u64> = d
        .chunks
        .iter()
        .map(|c| (c.planes as u64 * plane).div_ceil(values))
        .collect();
    let size = groups.iter().sum::<u64>() * bytes;
    let buffer = |label, usage| {
        gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        })
    };
    use wgpu::BufferUsages as U;
    let partials = buffer("reduction partials", U::STORAGE | U::COPY_SRC);
    let staging = buffer("reduction read-back", U::MAP_READ | U::COPY_DST);
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    {
        let mut rec = super::Recorder::new(&mut enc);
        let pass = rec.pass();
        super::set_pipeline(pass, kernel.pipeline());
        let mut offset = 0u64;
        for (c, &g) in groups.iter().enumerate() {
            let gx = g.min(gpu.max_groups_per_dim() as u64) as u32;
            let pbuf = gpu
                .device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("reduction params"),
                    contents: &params(offset as u32, gx),
                    usage: U::STORAGE,
                });
            let bg = kernel.bind(
                gpu,
                &[&d.info_buffers[c], &pbuf, &field.buffers[c], &partials],
            );
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(gx, g.div_ceil(gx as u64) as u32, 1);
            offset += g;
        }
    }
    enc.copy_buffer_to_buffer(&partials, 0, &staging, 0, size);
    gpu.submit(enc.finish());
    super::field::read_mapped_as(gpu, &staging)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::wgsl_layout::layout;

    #[test]
    fn params_and_partials_match_wgsl() {
        layout!(
            MaxParams,
            "field/max.wgsl",
            "MaxParams",
            [out_offset, groups_x]
        );
        layout!(
            StatsParams,
            "field/stats.wgsl",
            "StatsParams",
            [threshold, lo, hi, out_offset, groups_x, _pad]
        );
        layout!(
            Partial,
            "field/stats.wgsl",
            "Partial",
            [sum, sumsq, minv, maxv, above, outside, nonfinite, first_bad]
        );
    }
}
