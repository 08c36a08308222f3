// The implicit Li step's face rule, shared by its operator set-up (dendrite/li_setup.wgsl)
// and its flux update (dendrite/li_update.wgsl), which must agree face by face for the
// update to be the solved system. Face mobility: the arithmetic mean of the two cells'
// Li mobilities, with h from the new η and c_l from the step's starting w (the explicit
// step caps it by the cells' capacities: dendrite/step.wgsl). Requires common/grid.wgsl,
// dendrite/include/phase_field.wgsl, the step's parameters `p` and the bindings `eta_new`
// and `w_old`.

fn implicit_mobility(i: u32) -> f32 {
    let h = clamp(interp_h(eta_new[i]), 0.0, 1.0);
    return li_cell_mobility(h, site_fraction(w_old[i], p.eps_liquid), p.diffusivity);
}

// The neighbour of `c` across its face along `axis` (local index), or -1: none through the
// electrode or far face (x), nor through a closed side, nor along a side of one cell.
fn implicit_neighbour(c: Cell, axis: u32, up: bool) -> i32 {
    let periodic = axis != 0u && (p.flags & PERIODIC_SIDES) != 0u && axis_len(axis) > 1u;
    return neighbour(c, axis, up, periodic);
}

fn face_mobility(mi: f32, j: i32) -> f32 {
    return 0.5 * (mi + implicit_mobility(u32(j)));
}

// Whether the far face (x = nx) exchanges Li with the reservoir half a cell away.
fn reservoir_face(c: Cell) -> bool {
    return c.x + 1u == this_grid().nx && (p.flags & CLOSED_FAR) == 0u;
}
