//! How a grid's fields are laid out in GPU memory.
//!
//! A field is split into *chunks* of whole planes along the chunking axis (z in 3D, y in 2D;
//! see `Grid::planes`). Each chunk is one buffer, small enough to bind as one storage buffer,
//! holding its planes plus one *ghost* plane below and above. Stencil kernels run chunk by
//! chunk and read neighbours in the chunking axis from the ghost planes, which
//! [`Field::exchange_halos`](super::Field::exchange_halos) refreshes after every update.
//! With one chunk (the usual case on a real GPU) the ghosts only matter for a periodic
//! chunking axis. This keeps every kernel oblivious to the split and lets a field grow
//! beyond both the binding limit (128 MiB on lavapipe) and the maximum buffer size.

use anyhow::{bail, Result};
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;
use wgpu::util::DeviceExt;

use super::Gpu;
use crate::grid::Grid;

/// Threads per workgroup of linear kernels (reductions, halo wrap).
pub const WORKGROUP: u32 = 256;
/// Workgroup shape of cell kernels (`WG_X`, `WG_Y` in common/grid.wgsl).
pub const CELL_WORKGROUP: (u32, u32) = (32, 4);

/// One chunk: planes `first_plane .. first_plane + planes` of the chunking axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChunkSpan {
    pub first_plane: u32,
    pub planes: u32,
}

/// Per-chunk facts every kernel needs, bound as a uniform (`GridInfo` in common/grid.wgsl).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct GridInfo {
    pub nx: u32,
    pub ny: u32,
    pub nz: u32,
    pub plane_cells: u32,
    pub first_plane: u32,
    pub planes: u32,
    pub total_planes: u32,
    /// First workgroup of this chunk when all chunks' cell dispatches are numbered in order.
    pub group_offset: u32,
}

/// Splits `planes` planes of `plane_bytes` each into chunks whose buffers (with two ghost
/// planes) fit in `max_binding_bytes`. Chunks differ in size by at most one plane.
pub fn split_planes(
    planes: u32,
    plane_bytes: u64,
    max_binding_bytes: u64,
) -> Result<Vec<ChunkSpan>> {
    let fit = max_binding_bytes / plane_bytes.max(1);
    if fit < 3 {
        bail!(
            "one plane of the grid takes {} and a chunk needs three planes, but the adapter's \
             storage binding holds only {}; use fewer cells per plane",
            super::format_bytes(plane_bytes),
            super::format_bytes(max_binding_bytes)
        );
    }
    let per_chunk = (fit - 2).min(planes as u64) as u32;
    let n = planes.div_ceil(per_chunk);
    let (base, extra) = (planes / n, planes % n);
    let mut spans = Vec::with_capacity(n as usize);
    let mut first = 0;
    for i in 0..n {
        let p = base + u32::from(i < extra);
        spans.push(ChunkSpan {
            first_plane: first,
            planes: p,
        });
        first += p;
    }
    Ok(spans)
}

/// The grid, its chunking, and per-chunk uniforms; shared by all fields of one model.
pub struct Domain {
    pub grid: Grid,
    pub chunks: Vec<ChunkSpan>,
    /// Whether ghost planes wrap around the chunking axis (periodic boundary along it).
    pub periodic_chunk_axis: bool,
    pub infos: Vec<GridInfo>,
    pub info_buffers: Vec<wgpu::Buffer>,
    /// Workgroups (x, y, z) covering each chunk's interior with cell kernels.
    pub groups: Vec<(u32, u32, u32)>,
}

impl Domain {
    pub fn new(gpu: &Gpu, grid: Grid, periodic_chunk_axis: bool) -> Result<Arc<Domain>> {
        if grid.cells() > u32::MAX as u64 / 2 {
            bail!(
                "grid has {} cells; at most {} are supported (32-bit indices)",
                grid.cells(),
                u32::MAX / 2
            );
        }
        let chunks = split_planes(grid.planes(), grid.plane_cells() * 4, gpu.max_binding_bytes)?;
        Self::with_chunks(gpu, grid, periodic_chunk_axis, chunks)
    }

    /// A domain split into the given chunks (consecutive, covering all planes; the caller
    /// keeps each within the binding limit). Multigrid levels use it to align a coarse
    /// level's chunks with the fine level's.
    pub fn with_chunks(
        gpu: &Gpu,
        grid: Grid,
        periodic_chunk_axis: bool,
        chunks: Vec<ChunkSpan>,
    ) -> Result<Arc<Domain>> {
        debug_assert_eq!(
            chunks.iter().map(|c| c.planes).sum::<u32>(),
            grid.planes(),
            "chunks must cover the grid"
        );
        let mut infos = Vec::new();
        let mut groups = Vec::new();
        let (wx, wy) = CELL_WORKGROUP;
        let mut group_offset = 0u32;
        for c in &chunks {
            // 3D: threads over (x, y, chunk plane); 2D: over (x, chunk plane).
            let (span_y, span_z) = if grid.is_3d() {
                (grid.ny, c.planes)
            } else {
                (c.planes, 1)
            };
            let g = (grid.nx.div_ceil(wx), span_y.div_ceil(wy), span_z);
            let max = gpu.max_groups_per_dim();
            if g.0 > max || g.1 > max || g.2 > max {
                bail!(
                    "grid {}x{}x{} needs more workgroups per dimension than the adapter's {max}",
                    grid.nx,
                    grid.ny,
                    grid.nz
                );
            }
            groups.push(g);
            infos.push(GridInfo {
                nx: grid.nx,
                ny: grid.ny,
                nz: grid.nz,
                plane_cells: grid.plane_cells() as u32,
                first_plane: c.first_plane,
                planes: c.planes,
                total_planes: grid.planes(),
                group_offset,
            });
            group_offset += g.0 * g.1 * g.2;
        }
        let info_buffers = infos
            .iter()
            .map(|info| {
                gpu.device
                    .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("grid info"),
                        contents: bytemuck::bytes_of(info),
                        usage: wgpu::BufferUsages::STORAGE,
                    })
            })
            .collect();
        Ok(Arc::new(Domain {
            grid,
            chunks,
            periodic_chunk_axis,
            infos,
            info_buffers,
            groups,
        }))
    }

    /// Cells stored in chunk `c`'s buffer, ghost planes included.
    pub fn buffer_cells(&self, c: usize) -> u64 {
        (self.chunks[c].planes as u64 + 2) * self.grid.plane_cells()
    }

    /// Bytes one scalar f32 field takes on the GPU, ghost planes included.
    pub fn field_bytes(&self) -> u64 {
        (0..self.chunks.len())
            .map(|c| self.buffer_cells(c) * 4)
            .sum()
    }

    /// Workgroups of one cell-kernel dispatch over the whole domain (all chunks).
    pub fn total_groups(&self) -> u32 {
        self.groups.iter().map(|g| g.0 * g.1 * g.2).sum()
    }

    /// Dispatches `bind_groups[c]` (group 0) over every chunk's interior cells.
    pub fn dispatch(
        &self,
        pass: &mut wgpu::ComputePass,
        pipeline: &wgpu::ComputePipeline,
        bind_groups: &[wgpu::BindGroup],
    ) {
        pass.set_pipeline(pipeline);
        for (c, bg) in bind_groups.iter().enumerate() {
            pass.set_bind_group(0, bg, &[]);
            let (gx, gy, gz) = self.groups[c];
            pass.dispatch_workgroups(gx, gy, gz);
        }
    }
}

/// Bytes a run needs on the GPU for `fields` scalar fields of `grid`, ghosts included,
/// computed without a device (for the estimate printed before a run).
pub fn estimate_field_bytes(grid: &Grid, max_binding_bytes: u64, fields: u32) -> Result<u64> {
    let chunks = split_planes(grid.planes(), grid.plane_cells() * 4, max_binding_bytes)?;
    let per_field: u64 = chunks
        .iter()
        .map(|c| (c.planes as u64 + 2) * grid.plane_cells() * 4)
        .sum();
    Ok(per_field * fields as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_all_planes_and_respects_the_limit() {
        for planes in [1u32, 2, 7, 100, 1001] {
            for fit in [3u64, 4, 5, 17, 2000] {
                let spans = split_planes(planes, 100, fit * 100).unwrap();
                let total: u32 = spans.iter().map(|s| s.planes).sum();
                assert_eq!(total, planes);
                let mut next = 0;
                for s in &spans {
                    assert_eq!(s.first_plane, next);
                    assert!(s.planes >= 1 && (s.planes as u64 + 2) <= fit);
                    next += s.planes;
                }
            }
        }
        assert!(split_planes(10, 100, 250).is_err());
    }

    #[test]
    fn grid_info_matches_wgsl() {
        crate::gpu::wgsl_layout::layout!(
            GridInfo,
            "field/halo_wrap.wgsl",
            "GridInfo",
            [
                nx,
                ny,
                nz,
                plane_cells,
                first_plane,
                planes,
                total_planes,
                group_offset
            ]
        );
    }
}
