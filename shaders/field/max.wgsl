// Per-workgroup largest finite value of one chunk's interior (src/gpu/stats.rs `field_max`):
// what a time-step plan reads every step. field/stats.wgsl gives the same maximum with seven
// other statistics, reduced over eight workgroup arrays in eight barriered halvings, which a
// CPU device (running a workgroup's invocations in turns, switching them at every barrier)
// pays for on every call. Here: one array, two barriers, more values per thread. A group
// with no finite value writes -inf, the maximum's identity.
#include "common/grid.wgsl"
#include "common/float.wgsl"

struct MaxParams {
    out_offset: u32,
    groups_x: u32,
}

@group(0) @binding(1) var<storage, read> params: MaxParams;
@group(0) @binding(2) var<storage, read> data: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

const THREADS: u32 = 256u;
// Values per thread (src/gpu/stats.rs: MAX_VALUES_PER_GROUP = THREADS * ITEMS).
const ITEMS: u32 = 16u;

var<workgroup> s_max: array<f32, THREADS>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let group = wid.x + wid.y * params.groups_x;
    let count = grid.planes * grid.plane_cells;
    let n_groups = (count + THREADS * ITEMS - 1u) / (THREADS * ITEMS);
    let first = grid.ghost * grid.plane_cells;
    var m = bitcast<f32>(0xff800000u);
    for (var k = 0u; k < ITEMS; k++) {
        let i = group * THREADS * ITEMS + k * THREADS + lid;
        if (group < n_groups && i < count) {
            let v = data[first + i];
            if (is_finite_f32(v)) {
                m = max(m, v);
            }
        }
    }
    s_max[lid] = m;
    workgroupBarrier();
    if (lid < 16u) {
        var t = s_max[16u * lid];
        for (var k = 1u; k < 16u; k++) {
            t = max(t, s_max[16u * lid + k]);
        }
        s_max[16u * lid] = t;
    }
    workgroupBarrier();
    if (lid == 0u && group < n_groups) {
        var t = s_max[0];
        for (var k = 1u; k < 16u; k++) {
            t = max(t, s_max[16u * k]);
        }
        partials[params.out_offset + group] = t;
    }
}
