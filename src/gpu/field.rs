//! A scalar field on the GPU, stored in chunks with ghost planes (see `domain`), of f32, of
//! 32-bit integers, or of f16 for storage only (the D3Q19 populations' half-precision
//! option).

use anyhow::{bail, ensure, Result};
use std::sync::Arc;

use super::domain::{Domain, WORKGROUP};
use super::Gpu;

/// What a field's elements hold. The 4-byte types share buffers, halo copies and kernels; the
/// type says how the host uploads, downloads and writes them (a `.vti` array of Float32,
/// UInt32 or Int32), so integers no longer travel as f32 bit patterns. F16 halves the bytes
/// of a field that is only state (never an output): its kernels need the adapter's f16
/// shaders, and its halo copies need an even number of cells per plane (copies move whole
/// 4-byte words), which `Field::typed` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    F32,
    U32,
    I32,
    F16,
}

impl Element {
    pub fn name(self) -> &'static str {
        match self {
            Element::F32 => "f32",
            Element::U32 => "u32",
            Element::I32 => "i32",
            Element::F16 => "f16",
        }
    }

    /// Bytes per element.
    pub fn bytes(self) -> u64 {
        match self {
            Element::F16 => 2,
            _ => 4,
        }
    }
}

/// Host types a field's elements are uploaded from and downloaded to.
pub trait FieldValue: bytemuck::Pod {
    const ELEMENT: Element;
}

impl FieldValue for f32 {
    const ELEMENT: Element = Element::F32;
}

impl FieldValue for u32 {
    const ELEMENT: Element = Element::U32;
}

impl FieldValue for i32 {
    const ELEMENT: Element = Element::I32;
}

impl FieldValue for half::f16 {
    const ELEMENT: Element = Element::F16;
}

pub struct Field {
    pub name: String,
    pub domain: Arc<Domain>,
    /// One buffer per chunk, ghost planes included.
    pub buffers: Vec<wgpu::Buffer>,
    /// What the elements hold, fixed at creation.
    element: Element,
    /// For one chunk with a periodic chunking axis: the kernel that wraps the ghost planes
    /// (WebGPU forbids `copy_buffer_to_buffer` within one buffer), its bind group and size.
    wrap: Option<(super::Kernel, wgpu::BindGroup, u32)>,
}

/// Usage flags every field buffer gets: kernels read and write it, halos and read-back copy it.
const FIELD_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl Field {
    /// A zero-filled f32 field.
    pub fn new(gpu: &Gpu, domain: &Arc<Domain>, name: &str) -> Field {
        Self::with_room(gpu, domain, name, 0)
    }

    /// A zero-filled field of `element`s (zero bits: 0 for every type). Panics for f16 on a
    /// grid with an odd number of cells per plane (callers validate that first).
    pub fn typed(gpu: &Gpu, domain: &Arc<Domain>, name: &str, element: Element) -> Field {
        assert!(
            element != Element::F16 || domain.grid.plane_cells().is_multiple_of(2),
            "f16 field {name}: an odd number of cells per plane cannot be copied in 4-byte words"
        );
        Self::build(gpu, domain, name, 0, element)
    }

    /// A zero-filled f32 field whose last chunk's buffer has room for `extra_cells` more cells
    /// behind the field's own, for kernels that keep related smaller data there (the
    /// multigrid's bottom levels, models/dendrite/multigrid.rs). Nothing here reads them.
    pub fn with_room(gpu: &Gpu, domain: &Arc<Domain>, name: &str, extra_cells: u64) -> Field {
        Self::build(gpu, domain, name, extra_cells, Element::F32)
    }

    fn build(
        gpu: &Gpu,
        domain: &Arc<Domain>,
        name: &str,
        extra_cells: u64,
        element: Element,
    ) -> Field {
        let chunks = domain.chunks.len();
        let buffers = (0..chunks)
            .map(|c| {
                let extra = if c + 1 == chunks { extra_cells } else { 0 };
                gpu.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(name),
                    size: (domain.buffer_cells(c) + extra) * element.bytes(),
                    usage: FIELD_USAGE,
                    mapped_at_creation: false,
                })
            })
            .collect::<Vec<_>>();
        // The wrap kernel moves 4-byte elements. An f16 field (the lattice's populations)
        // wraps inside its one-chunk buffer and keeps no ghost planes there.
        let wraps = element.bytes() == 4 && domain.periodic_chunk_axis;
        let wrap = (domain.chunks.len() == 1 && wraps).then(|| {
            let k = &gpu.common().halo_wrap;
            let bg = k.bind(gpu, &[&domain.info_buffers[0], &buffers[0]]);
            let groups = (domain.grid.plane_cells().div_ceil(WORKGROUP as u64) as u32).min(4096);
            (k.clone(), bg, groups)
        });
        Field {
            name: name.to_string(),
            domain: domain.clone(),
            buffers,
            element,
            wrap,
        }
    }

    pub fn element(&self) -> Element {
        self.element
    }

    /// Frees the field's device memory and forgets its values, keeping its name, domain and
    /// type, until [`Field::reallocate`]; nothing may use it in between (a kernel bound to
    /// it keeps the old buffers alive, so only a field no bind group holds frees anything).
    /// For fields that are only outputs while a larger temporary computation needs the
    /// room: gde's label and concentration during a steady solve.
    pub fn release(&mut self) {
        self.buffers.clear();
        self.wrap = None;
    }

    /// Whether [`Field::release`] left the field without memory.
    pub fn is_released(&self) -> bool {
        self.buffers.is_empty()
    }

    /// Gives a released field zero-filled memory again (a plain field's: no extra room).
    pub fn reallocate(&mut self, gpu: &Gpu) {
        let domain = self.domain.clone();
        *self = Self::build(gpu, &domain, &self.name, 0, self.element);
    }

    fn plane_bytes(&self) -> u64 {
        self.domain.grid.plane_cells() * self.element.bytes()
    }

    /// Bytes before a chunk's first interior plane: its lower ghost planes.
    fn interior_offset(&self) -> u64 {
        self.domain.ghost as u64 * self.plane_bytes()
    }

    /// Refuses `T` unless it is this field's element type.
    fn check_type<T: FieldValue>(&self, what: &str) -> Result<()> {
        if T::ELEMENT != self.element {
            bail!(
                "field {} holds {} values; {what} {} values refused",
                self.name,
                self.element.name(),
                T::ELEMENT.name()
            );
        }
        Ok(())
    }

    /// Copies `data` (all cells, storage order) into this f32 field and fills its ghost
    /// planes. An integer field refuses it (use [`Field::upload_as`]).
    pub fn upload(&self, gpu: &Gpu, data: &[f32]) -> Result<()> {
        self.upload_as(gpu, data)
    }

    /// Copies `data` (all cells, storage order) into the field and fills its ghost planes;
    /// refused unless `T` is the field's element type.
    pub fn upload_as<T: FieldValue>(&self, gpu: &Gpu, data: &[T]) -> Result<()> {
        self.check_type::<T>("upload of")?;
        self.write_cells(gpu, data)
    }

    /// Copies elements bit for bit into a field of any element type (checkpoints), one u32
    /// per cell: an f16 field takes the low 16 bits.
    pub fn upload_raw(&self, gpu: &Gpu, data: &[u32]) -> Result<()> {
        if self.element == Element::F16 {
            let bits: Vec<u16> = data.iter().map(|&w| w as u16).collect();
            return self.write_cells(gpu, &bits);
        }
        self.write_cells(gpu, data)
    }

    fn write_cells<T: bytemuck::Pod>(&self, gpu: &Gpu, data: &[T]) -> Result<()> {
        assert_eq!(
            std::mem::size_of::<T>() as u64,
            self.element.bytes(),
            "field {}: host elements of the wrong size",
            self.name
        );
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
                self.interior_offset(),
                bytemuck::cast_slice(&data[start..end]),
            );
        }
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        self.exchange_halos(&mut super::Recorder::new(&mut enc));
        gpu.submit(enc.finish());
        Ok(())
    }

    /// Reads every cell of this f32 field back to the CPU, in storage order. Panics on an
    /// integer field (a programming error; use [`Field::download_as`] or `download_raw`).
    pub fn download(&self, gpu: &Gpu) -> Vec<f32> {
        self.download_as(gpu).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Reads every cell back to the CPU, in storage order; refused unless `T` is the field's
    /// element type.
    pub fn download_as<T: FieldValue>(&self, gpu: &Gpu) -> Result<Vec<T>> {
        self.check_type::<T>("download as")?;
        Ok(self.read_cells(gpu))
    }

    /// Reads the f32 values of a few cells (storage order indices, any chunk) in one
    /// read-back: a probe of a profile or a column, without downloading the field.
    pub fn read_cells_at(&self, gpu: &Gpu, cells: &[u64]) -> Result<Vec<f32>> {
        self.check_type::<f32>("read cells as")?;
        if cells.is_empty() {
            return Ok(Vec::new());
        }
        let pc = self.domain.grid.plane_cells();
        let staging = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("cell probe read-back"),
            size: cells.len() as u64 * 4,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        for (k, &i) in cells.iter().enumerate() {
            let plane = (i / pc) as u32;
            let Some(c) = self
                .domain
                .chunks
                .iter()
                .position(|s| plane >= s.first_plane && plane < s.first_plane + s.planes)
            else {
                bail!("cell {i} is outside field {}", self.name);
            };
            let within = i - self.domain.chunks[c].first_plane as u64 * pc;
            let offset = self.interior_offset() + within * 4;
            enc.copy_buffer_to_buffer(&self.buffers[c], offset, &staging, k as u64 * 4, 4);
        }
        gpu.submit(enc.finish());
        Ok(read_mapped(gpu, &staging))
    }

    /// Reads every cell's bits back, whatever the element type (checkpoints), one u32 per
    /// cell (an f16 cell's 16 bits widened).
    pub fn download_raw(&self, gpu: &Gpu) -> Vec<u32> {
        if self.element == Element::F16 {
            let bits: Vec<u16> = self.read_cells(gpu);
            return bits.into_iter().map(u32::from).collect();
        }
        self.read_cells(gpu)
    }

    /// Reads chunk `c`'s whole buffer (ghost planes included, no room behind): for tests of
    /// the halo exchange.
    pub fn download_chunk_raw(&self, gpu: &Gpu, c: usize) -> Vec<u32> {
        let bytes = self.domain.buffer_cells(c) * self.element.bytes();
        self.read_range(gpu, c, 0, bytes)
    }

    fn read_cells<T: bytemuck::Pod>(&self, gpu: &Gpu) -> Vec<T> {
        let pc = self.domain.grid.plane_cells() as usize;
        let mut out = Vec::with_capacity(self.domain.grid.cells() as usize);
        for (c, span) in self.domain.chunks.iter().enumerate() {
            let bytes = span.planes as u64 * self.plane_bytes();
            out.extend_from_slice(&self.read_range::<T>(gpu, c, self.interior_offset(), bytes));
            debug_assert_eq!(out.len(), (span.first_plane + span.planes) as usize * pc);
        }
        out
    }

    /// `bytes` bytes of chunk `c`'s buffer from `offset`, read back.
    fn read_range<T: bytemuck::Pod>(&self, gpu: &Gpu, c: usize, offset: u64, bytes: u64) -> Vec<T> {
        let staging = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("field read-back"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(&self.buffers[c], offset, &staging, 0, bytes);
        gpu.submit(enc.finish());
        read_mapped_as(gpu, &staging)
    }

    /// Zeroes the field, ghost planes included, in `rec`'s order (ends its compute pass).
    pub fn encode_clear(&self, rec: &mut super::Recorder) {
        for b in &self.buffers {
            rec.encoder().clear_buffer(b, 0, None);
        }
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

    /// Refreshes the `ghost` planes on each side of every chunk from the neighbouring chunks'
    /// edge planes (wrapping around when the chunking axis is periodic). Call after every
    /// kernel that writes this field. Several chunks each hold at least `ghost` planes
    /// (`Domain::with_chunks_ghosts`), so every ghost plane comes from the adjacent chunk.
    pub fn exchange_halos(&self, rec: &mut super::Recorder) {
        let d = &self.domain;
        let n = d.chunks.len();
        let pb = self.plane_bytes();
        let g = d.ghost as u64;
        if let Some((kernel, bg, groups)) = &self.wrap {
            let pass = rec.pass();
            super::set_pipeline(pass, kernel.pipeline());
            pass.set_bind_group(0, bg, &[]);
            pass.dispatch_workgroups(*groups, 1, 1);
            return;
        }
        if n == 1 {
            // No neighbour chunk; a periodic one-chunk f16 field has no wrap (`build`).
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
                // top g interior planes of the chunk below -> our lower ghost planes
                let src = d.chunks[b].planes as u64 * pb;
                enc.copy_buffer_to_buffer(&self.buffers[b], src, &self.buffers[c], 0, g * pb);
            }
            if let Some(a) = above {
                // bottom g interior planes of the chunk above -> our upper ghost planes
                let dst = (d.chunks[c].planes as u64 + g) * pb;
                enc.copy_buffer_to_buffer(&self.buffers[a], g * pb, &self.buffers[c], dst, g * pb);
            }
        }
    }
}

/// Maps a MAP_READ buffer and returns its contents as f32s.
pub fn read_mapped(gpu: &Gpu, staging: &wgpu::Buffer) -> Vec<f32> {
    read_mapped_as(gpu, staging)
}

/// Maps a MAP_READ buffer and returns its contents as `T`s, bit for bit.
pub fn read_mapped_as<T: bytemuck::Pod>(gpu: &Gpu, staging: &wgpu::Buffer) -> Vec<T> {
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
        bytemuck::cast_slice::<u8, T>(&view).to_vec()
    };
    staging.unmap();
    data
}
