// Weight ω of the multigrid smoother's damped-Jacobi sweeps, shared by every stage that
// sweeps (solvers/multigrid_smooth*.wgsl, solvers/multigrid_bottom.wgsl,
// solvers/cg_precondition.wgsl): they must agree for the V-cycle to be one fixed
// linear operator.
const OMEGA: f32 = 0.8;

// One damped-Jacobi sweep at a cell: y + ω (b - A y) / diag, with (A y) = diag y - coupled
// (coupled = Σ_faces g_f y_nb, solvers/include/operator.wgsl). One expression for every
// stage, so that a sweep fused into another kernel gives the same bits as the plain one.
fn jacobi_sweep(y: f32, b: f32, diag: f32, coupled: f32) -> f32 {
    return y + OMEGA * (b - (diag * y - coupled)) / diag;
}
