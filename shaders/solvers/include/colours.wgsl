// The colours of the fine level's Gauss-Seidel sweeps (solvers/multigrid_gauss_seidel.wgsl),
// and the sweep's expressions at a cell, for every stage that sweeps a colour or writes one
// (cg_update.wgsl, cg_precondition.wgsl): one expression each, so that a sweep fused into
// another kernel gives the same bits as the plain one.
// COLOURS is chosen by the host from the grid (src/solvers/multigrid.rs,
// `gauss_seidel_colours`): 2, (x + y + z) mod 2, where every side axis has even length or one
// cell. An odd side axis wraps two cells of one parity onto each other (periodic sides;
// closed ones wrap too, with g = 0, but a cell must not read a value its neighbour writes in
// the same sweep), so there it is 3, (x mod 2 + c(y) + c(z)) mod 3, with c(a) = a mod 2
// except 2 on the last cell of an odd axis: along every axis consecutive cells then differ
// by 1 or 2 in c, so face neighbours always differ in colour. Requires common/grid.wgsl.

override COLOURS: u32 = 2u;

fn side_colour(a: u32, n: u32) -> u32 {
    return select(a & 1u, 2u, n % 2u == 1u && a + 1u == n && n > 1u);
}

fn colour_of(c: Cell) -> u32 {
    if (COLOURS == 2u) {
        return (c.x + c.y + c.z) & 1u;
    }
    return ((c.x & 1u) + side_colour(c.y, this_grid().ny) + side_colour(c.z, this_grid().nz)) % 3u;
}

// The first colour's sweep from x = 0 at a cell: b / diag on colour 0, 0 elsewhere.
fn gauss_seidel_from_zero(c: Cell, b: f32, diag: f32) -> f32 {
    return select(0.0, b / diag, colour_of(c) == 0u);
}

// One Gauss-Seidel update at a cell: (b + Σ_faces g x_nb) / diag, with coupled = Σ_faces g x_nb
// (solvers/include/operator.wgsl).
fn gauss_seidel_sweep(b: f32, diag: f32, coupled: f32) -> f32 {
    return (b + coupled) / diag;
}
