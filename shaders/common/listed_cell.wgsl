// The cell of a thread of a listed kernel (common/cell_list.wgsl), dispatched indirectly
// over a chunk's list: the including shader binds the list as `cells` (a CellList) and
// takes `workgroup_id`, `num_workgroups` and `local_invocation_index` as arguments.

// The listed cell of this thread, or one that is not valid past the list's end. The
// divisions are by constants in kernels built for their shape.
fn listed_cell(wid: vec3<u32>, groups: vec3<u32>, lid: u32) -> Cell {
    let place = (wid.y * groups.x + wid.x) * LIST_GROUP + lid;
    if (place >= cells.count) {
        var none: Cell;
        none.valid = false;
        return none;
    }
    // The cell's index among the chunk's interior cells, to the ids of its thread in a
    // dispatch over the whole chunk.
    let entry = cells.cells[place];
    let g = this_grid();
    let row = entry / g.nx;
    let x = entry - row * g.nx;
    if (is_3d()) {
        let plane = row / g.ny;
        return thread_cell(vec3<u32>(x, row - plane * g.ny, plane));
    }
    return thread_cell(vec3<u32>(x, row, 0u));
}
