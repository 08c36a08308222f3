// Conjugate-gradient scalars kept on the GPU, and the workgroup sum used by CG kernels to
// write one partial (x, y) pair per workgroup.

struct Scalars {
    rz: f32,
    alpha: f32,
    beta: f32,
    rr: f32,
    bb: f32,
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
}

var<workgroup> partial_sums: array<vec2<f32>, 128>;

// Sum of `v` over the 128 threads of a cell workgroup; every thread must call it.
fn workgroup_sum(lid: u32, v: vec2<f32>) -> vec2<f32> {
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
