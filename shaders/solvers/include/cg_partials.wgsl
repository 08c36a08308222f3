// Per-workgroup partial sums of the CG kernels over the fine grid, which the single-workgroup
// stages of solvers/cg_scalars.wgsl total in a fixed order. The including kernel
// declares `partials: array<vec4<f32>>` read_write.
// Partial sums are vec4: the warm start sums three quantities at once (cg_start.wgsl);
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

// Sums `v` over the cell workgroup and stores the total as the workgroup's partial; every
// thread must call it.
fn write_partial(lid: u32, wid: vec3<u32>, groups: vec3<u32>, v: vec4<f32>) {
    let total = workgroup_sum(lid, v);
    if (lid == 0u) {
        partials[workgroup_index(wid, groups)] = total;
    }
}
