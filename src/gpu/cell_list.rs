//! Lists of the cells near an interface, one per chunk, and kernels dispatched over them
//! (shaders/common/cell_list.wgsl).
//!
//! A level-set model's surface kernels change only the cells within a few cells of the zero
//! level; everywhere else they write what is already there. Dispatched over the whole box
//! they pay for every cell anyway, and on a CPU device a cell costs a kernel's every branch,
//! taken or not (docs/performance.md, "On lavapipe a kernel pays for every branch it
//! holds"). A [`CellList`] holds,
//! per chunk, the cells where a field's magnitude is below a limit (a narrow band of a
//! signed distance), rebuilt on the GPU by [`CellList::encode_band`] whenever the field
//! moves, and [`CellList::dispatch`] runs a *listed* kernel indirectly over exactly those
//! cells. A listed kernel must leave the box as a dispatch over all of it would: the caller
//! chooses a limit beyond every cell the kernel changes.

use anyhow::{bail, Result};
use wgpu::util::DeviceExt;

use super::{Domain, Field, Gpu, Kernel, Recorder};

/// Bytes before the list's entries: its count and the indirect dispatch's three arguments.
const HEADER_BYTES: u64 = 16;
/// Where the indirect dispatch's arguments begin.
const ARGUMENTS_OFFSET: u64 = 4;
/// The count and the first two arguments, which each build starts from zero (the third
/// stays 1).
const CLEARED_BYTES: u64 = 12;
/// Workgroups in a row of a listed dispatch (WebGPU allows 65535 along each dimension):
/// lists of more than this × 128 cells take several rows.
const ROW_WORKGROUPS: u32 = 32768;

/// One list per chunk of a domain, and the kernel that builds them.
pub struct CellList {
    /// Per chunk: the header, then room for every interior cell (4 bytes each).
    buffers: Vec<wgpu::Buffer>,
    /// The band's limit (`BandLimit` of shaders/field/band_list.wgsl).
    limit: wgpu::Buffer,
    build: Kernel,
}

impl CellList {
    /// Empty lists for `domain`'s chunks, listing cells where |f| < `limit` when built.
    pub fn new(gpu: &Gpu, domain: &Domain, limit: f32) -> Result<CellList> {
        Self::with_row(gpu, domain, limit, ROW_WORKGROUPS)
    }

    /// [`CellList::new`] whose listed dispatches take rows of at most `row` workgroups
    /// (`ROW` of shaders/field/band_list.wgsl; `new` takes `ROW_WORKGROUPS`). Tests set a
    /// short row to reach several rows on small grids.
    pub fn with_row(gpu: &Gpu, domain: &Domain, limit: f32, row: u32) -> Result<CellList> {
        let g = &domain.grid;
        if g.cells() > u32::MAX as u64 {
            bail!("a cell list indexes a chunk's cells in 32 bits; the grid has more cells");
        }
        let header: [u32; 4] = [0, 0, 0, 1];
        let buffers = (0..domain.chunks.len())
            .map(|c| {
                let interior = domain.chunks[c].planes as u64 * g.plane_cells();
                let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("cell list"),
                    size: HEADER_BYTES + 4 * interior,
                    usage: wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::INDIRECT
                        | wgpu::BufferUsages::COPY_DST
                        | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                });
                gpu.queue
                    .write_buffer(&buffer, 0, bytemuck::cast_slice(&header));
                buffer
            })
            .collect();
        let limit = gpu
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("cell list limit"),
                contents: bytemuck::bytes_of(&limit),
                usage: wgpu::BufferUsages::STORAGE,
            });
        Ok(CellList {
            buffers,
            limit,
            build: Kernel::with_constants(
                gpu,
                "field/band_list.wgsl",
                "main",
                &[&Kernel::shape_of(domain)[..], &[("ROW", f64::from(row))]].concat(),
            )?,
        })
    }

    /// Chunk `c`'s list, to bind as a listed kernel's `cells`.
    pub fn buffer(&self, c: usize) -> &wgpu::Buffer {
        &self.buffers[c]
    }

    /// Lists, chunk by chunk, the cells where |`field`| is below the limit.
    #[track_caller]
    pub fn encode_band(&self, gpu: &Gpu, rec: &mut Recorder, field: &Field) {
        for b in &self.buffers {
            rec.encoder().clear_buffer(b, 0, Some(CLEARED_BYTES));
        }
        let domain = &field.domain;
        let bind = self.build.bind_chunks_named(gpu, domain, |c| {
            vec![
                ("band", &self.limit),
                ("f", &field.buffers[c]),
                ("cells", &self.buffers[c]),
            ]
        });
        domain.dispatch(rec.pass(), self.build.pipeline(), &bind);
    }

    /// Dispatches `pipeline`, a listed kernel, with `bind_groups[c]` (group 0) over chunk
    /// `c`'s list, for every chunk.
    pub fn dispatch(
        &self,
        pass: &mut wgpu::ComputePass,
        pipeline: &wgpu::ComputePipeline,
        bind_groups: &[wgpu::BindGroup],
    ) {
        super::set_pipeline(pass, pipeline);
        for (bg, list) in bind_groups.iter().zip(&self.buffers) {
            pass.set_bind_group(0, bg, &[]);
            pass.dispatch_workgroups_indirect(list, ARGUMENTS_OFFSET);
        }
    }
}
