// Weight ω of the multigrid smoother's damped-Jacobi sweeps, shared by every stage that
// sweeps (dendrite/multigrid_smooth*.wgsl, dendrite/multigrid_bottom.wgsl): they must agree
// for the V-cycle to be one fixed linear operator.
const OMEGA: f32 = 0.8;
