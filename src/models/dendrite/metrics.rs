//! Morphology and Li bookkeeping from the per-column kernel (shaders/dendrite/columns.wgsl).
//!
//! One fused pass, not the engine's column reductions (`gpu::reduce`): the tip, the gradient
//! sum and the metal Li need stencils and values derived from three fields, which a reduction
//! of one stored field does not give; and its exact sums would change the f32 thickness and
//! Li sums written today (measured on lavapipe: thickness in 31 to 44 % of the columns by up
//! to 3e-7, Li sum by 3e-6), while two generic passes for those two alone took longer than
//! this whole pass (160x128x128: 159 ms vs 133 ms).

use anyhow::Result;
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;

use crate::gpu::{Domain, Field, Gpu, Kernel, Recorder};

const VALUES: usize = 5;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct ColumnParams {
    pub dx: f32,
    pub site_ratio: f32,
    pub flags: u32,
    pub _pad: u32,
}

/// Column sums over the whole electrode, in model units (µm, site fractions).
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Metal thickness ∫η dx of each column (µm).
    pub thickness: Vec<f64>,
    /// Furthest η = 0.5 crossing of each column (µm from the electrode face), 0 if none.
    pub tip: Vec<f64>,
    /// Σ|∇η|·dx over the whole grid (dimensionless sum of cell gradients).
    pub gradient_sum: f64,
    /// Σρ and Σ dv h c_s over all cells (site fractions × cells).
    pub li_sum: f64,
    pub metal_sum: f64,
}

pub struct ColumnKernel {
    kernel: Kernel,
    uniform: wgpu::Buffer,
    out: wgpu::Buffer,
    staging: wgpu::Buffer,
    domain: Arc<Domain>,
}

impl ColumnKernel {
    pub fn new(gpu: &Gpu, domain: &Arc<Domain>) -> Result<ColumnKernel> {
        let g = &domain.grid;
        let size = (g.ny as u64 * g.nz as u64) * VALUES as u64 * 4;
        let buf = |label, usage| {
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        use wgpu::BufferUsages as U;
        Ok(ColumnKernel {
            kernel: Kernel::new(gpu, "dendrite/columns.wgsl")?,
            uniform: gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("column params"),
                size: 16,
                usage: U::STORAGE | U::COPY_DST,
                mapped_at_creation: false,
            }),
            out: buf("columns", U::STORAGE | U::COPY_SRC),
            staging: buf("columns read-back", U::MAP_READ | U::COPY_DST),
            domain: domain.clone(),
        })
    }

    pub fn measure(
        &self,
        gpu: &Gpu,
        params: ColumnParams,
        eta: &Field,
        rho: &Field,
        w: &Field,
    ) -> Columns {
        gpu.queue
            .write_buffer(&self.uniform, 0, bytemuck::bytes_of(&params));
        let d = &self.domain;
        let g = d.grid;
        let bgs = self.kernel.bind_chunks(gpu, d, |c| {
            vec![
                &self.uniform,
                &eta.buffers[c],
                &rho.buffers[c],
                &w.buffers[c],
                &self.out,
            ]
        });
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        {
            let mut rec = Recorder::new(&mut enc);
            let pass = rec.pass();
            crate::gpu::set_pipeline(pass, self.kernel.pipeline());
            for (span, bg) in d.chunks.iter().zip(&bgs) {
                pass.set_bind_group(0, bg, &[]);
                if g.is_3d() {
                    pass.dispatch_workgroups(g.ny.div_ceil(64), span.planes, 1);
                } else {
                    pass.dispatch_workgroups(span.planes.div_ceil(64), 1, 1);
                }
            }
        }
        enc.copy_buffer_to_buffer(&self.out, 0, &self.staging, 0, self.out.size());
        gpu.submit(enc.finish());
        let raw = crate::gpu::field::read_mapped(gpu, &self.staging);
        let mut cols = Columns::default();
        for v in raw.chunks_exact(VALUES) {
            cols.thickness.push(v[0] as f64);
            cols.tip.push(v[1] as f64);
            cols.gradient_sum += v[2] as f64;
            cols.li_sum += v[3] as f64;
            cols.metal_sum += v[4] as f64;
        }
        cols
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_params_match_wgsl() {
        crate::gpu::wgsl_layout::layout!(
            ColumnParams,
            "dendrite/columns.wgsl",
            "ColumnParams",
            [dx, site_ratio, flags, _pad]
        );
    }
}
