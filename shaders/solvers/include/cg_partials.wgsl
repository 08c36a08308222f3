// Per-workgroup partial sums of the CG kernels over the fine grid, which the single-workgroup
// stages of solvers/cg_scalars.wgsl total in a fixed order. The including kernel
// declares `partials: array<vec4<f32>>` read_write.
// Partial sums are vec4: the warm start sums three quantities at once (cg_start.wgsl);
// the other kernels leave components unused at 0.
var<workgroup> partial_sums: array<vec4<f32>, 128>;

// Sum of `v` over the 128 threads of a cell workgroup; every thread must call it. Two
// barriers, not the seven of a halving tree: 16 threads each total 8 neighbouring entries,
// then every thread totals those 16. A barrier is what costs on a CPU driver (lavapipe runs a
// workgroup's invocations in turns and switches at each barrier): with the tree, the CG's
// apply and update kernels took 8× as long as one without a sum on a 720k-cell grid. The
// order is fixed, so the sum is deterministic.
fn workgroup_sum(lid: u32, v: vec4<f32>) -> vec4<f32> {
    partial_sums[lid] = v;
    workgroupBarrier();
    if (lid < 16u) {
        var s = partial_sums[8u * lid];
        for (var k = 1u; k < 8u; k++) {
            s += partial_sums[8u * lid + k];
        }
        partial_sums[8u * lid] = s;
    }
    workgroupBarrier();
    var total = partial_sums[0];
    for (var k = 1u; k < 16u; k++) {
        total += partial_sums[8u * k];
    }
    return total;
}

// Sums `v` over the cell workgroup and stores the total as the workgroup's partial; every
// thread must call it.
fn write_partial(lid: u32, wid: vec3<u32>, groups: vec3<u32>, v: vec4<f32>) {
    let total = workgroup_sum(lid, v);
    if (lid == 0u) {
        partials[workgroup_index(wid, groups)] = total;
    }
}
