// (A x) at a cell in difference form, rest x + Σ g (x − x_nb), where `rest` is the part of
// the diagonal that is not its faces' sum (a time term, a sink, a boundary's conductance),
// written by the user's set-up beside the stored operator (src/solvers/operator.rs,
// `FineOperator::Split`). Swapped in for apply_full.wgsl. In f32 the whole diagonal rounds
// away a rest far below its face count (a time term Δx²/(DΔt) of 1e-6 beside 4 faces keeps
// a few per cent of it), the same in every cell, and diag x − Σ g x_nb cancels down to that
// rounding: the solution's mean, which only the rest holds in a nearly closed box, then
// comes out per cent off. Here the rest keeps its own bits, and the differences of a smooth
// x are small. The CG's products alone take this form; the multigrid that preconditions
// them reads the whole diagonal, which only costs iterations.
@group(0) @binding(22) var<storage, read> rest: array<f32>;

fn applied(c: Cell, xi: f32) -> f32 {
    return rest[c.local] * xi - coupled_sum_about(c, xi);
}

// (r, rest) at a coupled cell (a row with faces, diag ≠ rest), else 0: cg_update.wgsl sums
// them with the residual's norm, and a solve's last correction moves x by Σ r / Σ rest over
// those cells (solvers/cg_deflate.wgsl).
fn split_sums(c: Cell, ri: f32) -> vec2<f32> {
    let own = rest[c.local];
    return select(vec2<f32>(0.0), vec2<f32>(ri, own), diagonal(c) != own);
}
