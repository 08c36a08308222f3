// (A x) at a cell, for the CG's products (cg_apply, cg_update, cg_start): diag x − Σ g x_nb,
// from the level's whole diagonal (solvers/include/operator.wgsl, either form). Swapped for
// apply_split.wgsl where the solver keeps the diagonal's rest apart (`FineOperator::Split`).
// `xi` is x at the cell itself (operand's value there).
fn applied(c: Cell, xi: f32) -> f32 {
    return diagonal(c) * xi - coupled_sum(c);
}

// The split form's sums for its last correction (apply_split.wgsl); none here.
fn split_sums(c: Cell, ri: f32) -> vec2<f32> {
    return vec2<f32>(0.0);
}
