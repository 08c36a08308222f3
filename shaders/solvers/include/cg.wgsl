// Conjugate-gradient scalars kept on the GPU (the per-workgroup partial sums the CG
// kernels reduce into them are solvers/include/cg_partials.wgsl).

// `converged` (rr ≤ tol2·bb, judged here in f32 so that host and GPU agree; 2 after a
// breakdown, cg_scalars.wgsl) stops the iterations on the GPU: an iteration that starts
// converged steps by α = 0, leaving φ and r as they were, and is not counted in
// `iterations`. The host can therefore queue iterations
// ahead of its check without changing the result (src/models/dendrite/potential.rs).
struct Scalars {
    rz: f32,
    alpha: f32,
    beta: f32,
    rr: f32,
    bb: f32,
    tol2: f32,
    iterations: u32,
    converged: u32,
    // The largest step of the warm start along the last change of φ (written by the host;
    // cg_start.wgsl).
    theta_max: f32,
    // The power of two a half-precision p is stored times, now and at the last direction
    // update (solvers/include/direction_f16.wgsl; set by cg_scalars.wgsl, 1 at a solve's
    // start, unused by an f32 p).
    direction_scale: f32,
    previous_direction_scale: f32,
    // The split operator's last correction of x on its coupled cells (cg_deflate.wgsl, set
    // by cg_scalars.wgsl's `residual` after every update).
    shift: f32,
}
