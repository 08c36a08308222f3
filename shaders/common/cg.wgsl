// Conjugate-gradient scalars kept on the GPU, and the workgroup sum used by CG kernels to
// write one partial (x, y) pair per workgroup.

// `converged` (rr ≤ tol2·bb, judged here in f32 so that host and GPU agree) stops the
// iterations on the GPU: an iteration that starts converged steps by α = 0, leaving φ and r
// as they were, and is not counted in `iterations`. The host can therefore queue iterations
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
    // potential_start.wgsl).
    theta_max: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// Partial sums are vec4: the warm start sums three quantities at once (potential_start.wgsl);
// the other kernels leave components unused at 0.
var<workgroup> partial_sums: array<vec4<f32>, 128>;

// Sum of `v` over the 128 threads of a cell workgroup; every thread must call it.
fn workgroup_sum(lid: u32, v: vec4<f32>) -> vec4<f32> {
    partial_sums[lid] = v;
    workgroupBarrier();
    for (var stride = 64u; stride > 0u; stride = stride / 2u) {
        if (lid < stride) {
            partial_sums[lid] += partial_sums[lid + stride];
        }
        workgroupBarrier();
    }
    return partial_sums[0];
}
