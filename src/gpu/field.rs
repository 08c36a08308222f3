//! A scalar f32 field on the GPU, stored in chunks with ghost planes (see `domain`).

use anyhow::{ensure, Result};
use std::sync::Arc;

use super::domain::{Domain, WORKGROUP};
use super::Gpu;

pub struct Field {
    pub name: String,
    pub domain: Arc<Domain>,
    /// One buffer per chunk, ghost planes included.
    pub buffers: Vec<wgpu::Buffer>,
    /// For one chunk with a periodic chunking axis: the kernel that wraps the ghost planes
    /// (WebGPU forbids `copy_buffer_to_buffer` within one buffer), its bind group and size.
    wrap: Option<(wgpu::ComputePipeline, wgpu::BindGroup, u32)>,
}

/// Usage flags every field buffer gets: kernels read and write it, halos and read-back copy it.
const FIELD_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl Field {
    /// A zero-filled field.
    pub fn new(gpu: &Gpu, domain: &Arc<Domain>, name: &str) -> Field {
        Self::with_room(gpu, domain, name, 0)
    }

    /// A zero-filled field whose last chunk's buffer has room for `extra_cells` more cells
    /// behind the field's own, for kernels that keep related smaller data there (the
    /// multigrid's bottom levels, models/dendrite/multigrid.rs). Nothing here reads them.
    pub fn with_room(gpu: &Gpu, domain: &Arc<Domain>, name: &str, extra_cells: u64) -> Field {
        let chunks = domain.chunks.len();
        let buffers = (0..chunks)
            .map(|c| {
                let extra = if c + 1 == chunks { extra_cells } else { 0 };
                gpu.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(name),
                    size: (domain.buffer_cells(c) + extra) * 4,
                    usage: FIELD_USAGE,
                    mapped_at_creation: false,
                })
            })
            .collect::<Vec<_>>();
        let wrap = (domain.chunks.len() == 1 && domain.periodic_chunk_axis).then(|| {
            let k = &gpu.common().halo_wrap;
            let bg = k.bind(gpu, &[&domain.info_buffers[0], &buffers[0]]);
            let groups = (domain.grid.plane_cells().div_ceil(WORKGROUP as u64) as u32).min(4096);
            (k.pipeline.clone(), bg, groups)
        });
        Field {
            name: name.to_string(),
            domain: domain.clone(),
            buffers,
            wrap,
        }
    }

    fn plane_bytes(&self) -> u64 {
        self.domain.grid.plane_cells() * 4
    }

    /// Copies `data` (all cells, storage order) into the field and fills its ghost planes.
    pub fn upload(&self, gpu: &Gpu, data: &[f32]) -> Result<()> {
        ensure!(
            data.len() as u64 == self.domain.grid.cells(),
            "field {}: {} values given for {} cells",
            self.name,
            data.len(),
            self.domain.grid.cells()
        );
        let pc = self.domain.grid.plane_cells() as usize;
        for (c, span) in self.domain.chunks.iter().enumerate() {
            let start = span.first_plane as usize * pc;
            let end = start + span.planes as usize * pc;
            gpu.queue.write_buffer(
                &self.buffers[c],
                self.plane_bytes(),
                bytemuck::cast_slice(&data[start..end]),
            );
        }
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        self.exchange_halos(&mut super::Recorder::new(&mut enc));
        gpu.submit(enc.finish());
        Ok(())
    }

    /// Reads every cell back to the CPU, in storage order.
    pub fn download(&self, gpu: &Gpu) -> Vec<f32> {
        let pc = self.domain.grid.plane_cells() as usize;
        let mut out = Vec::with_capacity(self.domain.grid.cells() as usize);
        for (c, span) in self.domain.chunks.iter().enumerate() {
            let bytes = span.planes as u64 * self.plane_bytes();
            let staging = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("field read-back"),
                size: bytes,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            enc.copy_buffer_to_buffer(&self.buffers[c], self.plane_bytes(), &staging, 0, bytes);
            gpu.submit(enc.finish());
            out.extend_from_slice(&read_mapped(gpu, &staging));
            debug_assert_eq!(out.len(), (span.first_plane + span.planes) as usize * pc);
        }
        out
    }

    /// The halo exchange for fields read only through `neighbour_on` (common/grid.wgsl),
    /// whose periodic wrap stays inside a one-chunk buffer: exchanges between chunks, and
    /// skips the wrap pass of a one-chunk field (its ghost planes are left stale).
    /// Leaves `rec`'s compute pass open when there is nothing to exchange.
    pub fn exchange_chunk_halos(&self, rec: &mut super::Recorder) {
        if self.buffers.len() > 1 {
            self.exchange_halos(rec);
        }
    }

    /// Refreshes ghost planes from the neighbouring chunks' edge planes (wrapping around when
    /// the chunking axis is periodic). Call after every kernel that writes this field.
    pub fn exchange_halos(&self, rec: &mut super::Recorder) {
        let d = &self.domain;
        let n = d.chunks.len();
        let pb = self.plane_bytes();
        if let Some((pipeline, bg, groups)) = &self.wrap {
            let pass = rec.pass();
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, bg, &[]);
            pass.dispatch_workgroups(*groups, 1, 1);
            return;
        }
        let enc = rec.encoder();
        for c in 0..n {
            let below = if c > 0 {
                Some(c - 1)
            } else {
                d.periodic_chunk_axis.then_some(n - 1)
            };
            let above = if c + 1 < n {
                Some(c + 1)
            } else {
                d.periodic_chunk_axis.then_some(0)
            };
            if let Some(b) = below {
                // top interior plane of the chunk below -> our lower ghost plane
                let src = d.chunks[b].planes as u64 * pb;
                enc.copy_buffer_to_buffer(&self.buffers[b], src, &self.buffers[c], 0, pb);
            }
            if let Some(a) = above {
                // bottom interior plane of the chunk above -> our upper ghost plane
                let dst = (d.chunks[c].planes as u64 + 1) * pb;
                enc.copy_buffer_to_buffer(&self.buffers[a], pb, &self.buffers[c], dst, pb);
            }
        }
    }
}

/// Maps a MAP_READ buffer and returns its contents as f32s.
pub fn read_mapped(gpu: &Gpu, staging: &wgpu::Buffer) -> Vec<f32> {
    let (tx, rx) = std::sync::mpsc::channel();
    staging.map_async(wgpu::MapMode::Read, .., move |r| {
        let _ = tx.send(r);
    });
    // The copy into `staging` is this thread's latest submission (every read-back submits
    // its copy just before); should the mapping still be pending, wait for everything.
    gpu.wait_own();
    let mapped = rx.try_recv().unwrap_or_else(|_| {
        gpu.wait();
        rx.recv().expect("map callback dropped")
    });
    mapped.expect("could not map a read-back buffer");
    let data = {
        let view = staging.get_mapped_range(..).expect("mapped range");
        bytemuck::cast_slice::<u8, f32>(&view).to_vec()
    };
    staging.unmap();
    data
}
