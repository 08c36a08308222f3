//! How a grid's fields are laid out in GPU memory.
//!
//! A field is split into *chunks* of whole planes along the chunking axis (z in 3D, y in 2D;
//! see `Grid::planes`). Each chunk is one buffer, small enough to bind as one storage buffer,
//! holding its planes plus `ghost` *ghost* planes below and above (one unless the domain
//! was built wider with [`Domain::with_ghosts`], for stencils reaching 2–3 cells). Stencil
//! kernels run chunk by chunk and read neighbours in the chunking axis from the ghost planes,
//! which [`Field::exchange_halos`](super::Field::exchange_halos) refreshes after every
//! update. With one chunk (the usual case on a real GPU) the ghosts only matter for a
//! periodic chunking axis. This keeps every kernel oblivious to the split and lets a field grow
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
/// Widest ghost layer a domain may have (planes on each side of a chunk): enough for the
/// 2–3 cell stencils of second-order ENO/WENO schemes.
pub const MAX_GHOST: u32 = 3;

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
    /// Ghost planes below and above this chunk's planes in its buffer (`Domain::ghost`).
    pub ghost: u32,
}

/// Splits `planes` planes of `plane_bytes` each into chunks whose buffers (with one ghost
/// plane on each side) fit in `max_binding_bytes`. Chunks differ in size by at most one plane.
pub fn split_planes(
    planes: u32,
    plane_bytes: u64,
    max_binding_bytes: u64,
) -> Result<Vec<ChunkSpan>> {
    split_planes_ghosts(planes, plane_bytes, max_binding_bytes, 1)
}

/// [`split_planes`] for buffers with `ghost` planes on each side. With more than one chunk,
/// each holds at least `ghost` planes, so that its neighbours' ghost planes all come from it.
pub fn split_planes_ghosts(
    planes: u32,
    plane_bytes: u64,
    max_binding_bytes: u64,
    ghost: u32,
) -> Result<Vec<ChunkSpan>> {
    let fit = planes_per_binding(plane_bytes, max_binding_bytes, ghost, 1)?;
    let per_chunk = (fit - 2 * ghost as u64).min(planes as u64) as u32;
    let n = planes.div_ceil(per_chunk);
    if n > 1 && planes / n < ghost {
        bail!(
            "the grid's {planes} planes must be split into chunks of at most {per_chunk} planes to \
             fit the adapter's storage binding of {}, but with {ghost} ghost planes a chunk needs \
             at least {ghost}; use fewer cells per plane",
            super::format_bytes(max_binding_bytes)
        );
    }
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

/// The chunks of `Domain::with_even_chunks_ghosts`: as `split_planes_ghosts`, but every
/// chunk starts at an even plane (each but the last holds an even number of planes).
pub fn split_even_planes_ghosts(
    planes: u32,
    plane_bytes: u64,
    max_binding_bytes: u64,
    ghost: u32,
) -> Result<Vec<ChunkSpan>> {
    check_ghost(ghost)?;
    let ghosts = 2 * ghost as u64;
    if planes as u64 + ghosts <= max_binding_bytes / plane_bytes.max(1) {
        return Ok(vec![ChunkSpan {
            first_plane: 0,
            planes,
        }]);
    }
    // A chunk holds an even number of planes, at least as many as it has ghost planes on a
    // side, and the binding room for the odd plane the last chunk may add.
    let least = (ghost as u64).max(2).next_multiple_of(2);
    let fit = planes_per_binding(plane_bytes, max_binding_bytes, ghost, least + 1)?;
    let most = (fit - ghosts - 1) / 2 * 2;
    Ok(even_spans(planes, most as u32))
}

/// Planes one storage binding holds, ghost planes included, once checked that it holds a
/// chunk of `least` planes with `ghost` ghost planes on each side.
fn planes_per_binding(
    plane_bytes: u64,
    max_binding_bytes: u64,
    ghost: u32,
    least: u64,
) -> Result<u64> {
    check_ghost(ghost)?;
    let fit = max_binding_bytes / plane_bytes.max(1);
    let ghosts = 2 * ghost as u64;
    if fit < ghosts + least {
        bail!(
            "one plane of the grid takes {} and a chunk needs {} planes ({ghosts} of them ghost \
             planes), but the adapter's storage binding holds only {}; use fewer cells per plane",
            super::format_bytes(plane_bytes),
            ghosts + least,
            super::format_bytes(max_binding_bytes)
        );
    }
    Ok(fit)
}

/// `planes` split into as few chunks as hold at most `most` (even, at least 2) planes each
/// (the last one more where `planes` is odd), each but the last of an even count, as equal
/// as that allows.
fn even_spans(planes: u32, most: u32) -> Vec<ChunkSpan> {
    let pairs = planes / 2;
    let n = pairs.div_ceil(most / 2).max(1);
    let (base, extra) = (pairs / n, pairs % n);
    let mut spans = Vec::with_capacity(n as usize);
    let mut first = 0;
    for i in 0..n {
        let mut p = 2 * (base + u32::from(i < extra));
        if i + 1 == n {
            p += planes % 2;
        }
        spans.push(ChunkSpan {
            first_plane: first,
            planes: p,
        });
        first += p;
    }
    spans
}

/// Refuses a grid whose cell indices would not fit the kernels' 32-bit arithmetic.
fn check_cells(grid: &Grid) -> Result<()> {
    if grid.cells() > u32::MAX as u64 / 2 {
        bail!(
            "grid has {} cells; at most {} are supported (32-bit indices)",
            grid.cells(),
            u32::MAX / 2
        );
    }
    Ok(())
}

fn check_ghost(ghost: u32) -> Result<()> {
    if !(1..=MAX_GHOST).contains(&ghost) {
        bail!("a domain has 1 to {MAX_GHOST} ghost planes on each side, not {ghost}");
    }
    Ok(())
}

/// The grid, its chunking, and per-chunk uniforms; shared by all fields of one model.
pub struct Domain {
    pub grid: Grid,
    pub chunks: Vec<ChunkSpan>,
    /// Whether ghost planes wrap around the chunking axis (periodic boundary along it).
    pub periodic_chunk_axis: bool,
    /// Ghost planes on each side of every chunk (1 to `MAX_GHOST`).
    pub ghost: u32,
    pub infos: Vec<GridInfo>,
    pub info_buffers: Vec<wgpu::Buffer>,
    /// Workgroups (x, y, z) covering each chunk's interior with cell kernels.
    pub groups: Vec<(u32, u32, u32)>,
}

impl Domain {
    /// A domain with one ghost plane on each side of every chunk.
    pub fn new(gpu: &Gpu, grid: Grid, periodic_chunk_axis: bool) -> Result<Arc<Domain>> {
        Self::with_ghosts(gpu, grid, periodic_chunk_axis, 1)
    }

    /// A domain with `ghost` (1 to `MAX_GHOST`) ghost planes on each side of every chunk, for
    /// kernels whose stencils reach `ghost` cells along the chunking axis.
    pub fn with_ghosts(
        gpu: &Gpu,
        grid: Grid,
        periodic_chunk_axis: bool,
        ghost: u32,
    ) -> Result<Arc<Domain>> {
        Self::split_by(gpu, grid, periodic_chunk_axis, ghost, split_planes_ghosts)
    }

    /// A domain with one ghost plane, split like `new` but with every chunk starting at an
    /// even plane (each but the last holds an even number): a multigrid fine level smoothed
    /// in place needs each coarse cell's children in one chunk (solvers/multigrid.rs).
    pub fn with_even_chunks(
        gpu: &Gpu,
        grid: Grid,
        periodic_chunk_axis: bool,
    ) -> Result<Arc<Domain>> {
        Self::with_even_chunks_ghosts(gpu, grid, periodic_chunk_axis, 1)
    }

    /// [`Domain::with_even_chunks`] with `ghost` (1 to `MAX_GHOST`) ghost planes on each side
    /// of every chunk.
    pub fn with_even_chunks_ghosts(
        gpu: &Gpu,
        grid: Grid,
        periodic_chunk_axis: bool,
        ghost: u32,
    ) -> Result<Arc<Domain>> {
        Self::split_by(
            gpu,
            grid,
            periodic_chunk_axis,
            ghost,
            split_even_planes_ghosts,
        )
    }

    /// A domain split by `split` (`split_planes_ghosts` or `split_even_planes_ghosts`) for
    /// the adapter's storage binding.
    fn split_by(
        gpu: &Gpu,
        grid: Grid,
        periodic_chunk_axis: bool,
        ghost: u32,
        split: fn(u32, u64, u64, u32) -> Result<Vec<ChunkSpan>>,
    ) -> Result<Arc<Domain>> {
        check_cells(&grid)?;
        let plane_bytes = grid.plane_cells() * 4;
        let chunks = split(grid.planes(), plane_bytes, gpu.max_binding_bytes, ghost)?;
        Self::with_chunks_ghosts(gpu, grid, periodic_chunk_axis, chunks, ghost)
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
        Self::with_chunks_ghosts(gpu, grid, periodic_chunk_axis, chunks, 1)
    }

    /// [`Domain::with_chunks`] with `ghost` ghost planes on each side of every chunk. Refuses
    /// several chunks of which one holds fewer than `ghost` planes: its neighbours' ghost
    /// planes would then need planes of chunks further away.
    pub fn with_chunks_ghosts(
        gpu: &Gpu,
        grid: Grid,
        periodic_chunk_axis: bool,
        chunks: Vec<ChunkSpan>,
        ghost: u32,
    ) -> Result<Arc<Domain>> {
        debug_assert_eq!(
            chunks.iter().map(|c| c.planes).sum::<u32>(),
            grid.planes(),
            "chunks must cover the grid"
        );
        check_ghost(ghost)?;
        if chunks.len() > 1 {
            if let Some(c) = chunks.iter().find(|c| c.planes < ghost) {
                bail!(
                    "a chunk of {} plane(s) (from plane {}) is thinner than the domain's {ghost} \
                     ghost planes; with several chunks each must hold at least {ghost}",
                    c.planes,
                    c.first_plane
                );
            }
        }
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
                ghost,
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
            ghost,
            infos,
            info_buffers,
            groups,
        }))
    }

    /// Cells stored in chunk `c`'s buffer, ghost planes included.
    pub fn buffer_cells(&self, c: usize) -> u64 {
        (self.chunks[c].planes as u64 + 2 * self.ghost as u64) * self.grid.plane_cells()
    }

    /// Bytes one field (4-byte elements) takes on the GPU, ghost planes included.
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
        super::set_pipeline(pass, pipeline);
        for (c, bg) in bind_groups.iter().enumerate() {
            pass.set_bind_group(0, bg, &[]);
            let (gx, gy, gz) = self.groups[c];
            pass.dispatch_workgroups(gx, gy, gz);
        }
    }
}

/// Bytes a run needs on the GPU for `fields` scalar fields of `grid` on a domain with `ghost`
/// ghost planes per side, ghosts included, computed without a device (for the estimate
/// printed before a run).
pub fn estimate_field_bytes(
    grid: &Grid,
    max_binding_bytes: u64,
    fields: u32,
    ghost: u32,
) -> Result<u64> {
    let plane_bytes = grid.plane_cells() * 4;
    let chunks = split_planes_ghosts(grid.planes(), plane_bytes, max_binding_bytes, ghost)?;
    let per_field: u64 = chunks
        .iter()
        .map(|c| (c.planes as u64 + 2 * ghost as u64) * plane_bytes)
        .sum();
    Ok(per_field * fields as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_spans_start_at_even_planes_and_respect_the_limit() {
        for planes in [3u32, 8, 9, 100, 1001] {
            for most in [2u32, 4, 10] {
                let spans = even_spans(planes, most);
                assert_eq!(spans.iter().map(|c| c.planes).sum::<u32>(), planes);
                let mut first = 0;
                for (i, c) in spans.iter().enumerate() {
                    assert_eq!(c.first_plane, first);
                    assert_eq!(c.first_plane % 2, 0, "{planes} planes, {most} at most");
                    let odd = u32::from(i + 1 == spans.len() && planes % 2 == 1);
                    assert!(c.planes >= 2 && c.planes <= most + odd);
                    first += c.planes;
                }
            }
        }
    }

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
    fn split_with_wider_ghosts_keeps_every_chunk_as_thick_as_its_ghosts() {
        for ghost in 1..=MAX_GHOST {
            for planes in [1u32, 2, 3, 5, 7, 100] {
                for fit in 0u64..40 {
                    let got = split_planes_ghosts(planes, 10, fit * 10, ghost);
                    let one_chunk = fit >= planes as u64 + 2 * ghost as u64;
                    let Ok(spans) = got else {
                        assert!(!one_chunk, "{planes} planes fit one chunk of {fit}");
                        continue;
                    };
                    assert_eq!(spans.iter().map(|s| s.planes).sum::<u32>(), planes);
                    assert_eq!(spans.len() == 1, one_chunk);
                    for s in &spans {
                        assert!(s.planes as u64 + 2 * ghost as u64 <= fit);
                        assert!(
                            spans.len() == 1 || s.planes >= ghost,
                            "{spans:?} ghost {ghost}"
                        );
                    }
                }
            }
            // Room for 2g planes of chunk (more than 2g - 1) always splits a long axis.
            assert!(split_planes_ghosts(1000, 10, (4 * ghost as u64) * 10, ghost).is_ok());
        }
        // Four planes in chunks of at most three, each at least three thick: impossible.
        let e = split_planes_ghosts(4, 10, 90, 3).unwrap_err().to_string();
        assert!(e.contains("at least 3"), "{e}");
        assert!(split_planes_ghosts(4, 10, 1000, 0).is_err());
        assert!(split_planes_ghosts(4, 10, 1000, MAX_GHOST + 1).is_err());
        // Ghost 1 is the old split.
        assert_eq!(
            split_planes_ghosts(37, 10, 70, 1).unwrap(),
            split_planes(37, 10, 70).unwrap()
        );
    }

    #[test]
    fn the_estimate_counts_the_ghost_planes() {
        let g = Grid::new_3d(10, 10, 20, 1.0);
        let one = estimate_field_bytes(&g, 1 << 30, 2, 1).unwrap();
        let three = estimate_field_bytes(&g, 1 << 30, 2, 3).unwrap();
        assert_eq!(one, 2 * 22 * 100 * 4);
        assert_eq!(three, 2 * 26 * 100 * 4);
        // Forced into chunks of at most 4 planes (plus 6 ghost planes): 5 chunks.
        let chunked = estimate_field_bytes(&g, 10 * 400, 1, 3).unwrap();
        assert_eq!(chunked, (20 + 5 * 6) * 400);
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
                group_offset,
                ghost
            ]
        );
    }
}
