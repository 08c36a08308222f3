// A chunk's list of cells, for kernels that work near an interface only: a kernel over the
// whole chunk lists the cells it selects (field/band_list.wgsl), and the interface kernels
// are then dispatched indirectly over the list (common/listed_cell.wgsl;
// src/gpu/cell_list.rs). A CPU device pays for a kernel's every branch in every cell it is
// dispatched over, taken or not (docs/performance.md), so a kernel that leaves most of the
// box as it is should not be dispatched over it.
//
// Layout (one buffer per chunk): the count, then dispatch_workgroups_indirect's arguments
// (x, y, z), then each listed cell as its index among the chunk's interior cells (ghost
// planes left out), in no particular order: listed kernels must not depend on it.
// The builder keeps x × y workgroups enough for the count, with x at most its ROW.

// Threads of a listed kernel's workgroup (WG_X × WG_Y of common/grid.wgsl).
const LIST_GROUP: u32 = 128u;

// As the builder writes it.
struct CellListBuild {
    count: atomic<u32>,
    groups_x: atomic<u32>,
    groups_y: atomic<u32>,
    groups_z: u32,
    cells: array<u32>,
}

// As listed kernels read it.
struct CellList {
    count: u32,
    groups_x: u32,
    groups_y: u32,
    groups_z: u32,
    cells: array<u32>,
}
