// Test stage (tests/gpu_fields.rs): for every cell, a hash of the values 1..REACH cells away
// along each axis, both ways, read through neighbour_at (common/grid.wgsl); MISSING stands for
// a neighbour past a non-periodic boundary. The test computes the same hash on the CPU, so a
// neighbour read from the wrong cell or a stale ghost plane changes the result.
#include "common/grid.wgsl"

override REACH: u32 = 1u;
override PERIODIC_X: bool = false;
override PERIODIC_Y: bool = false;
override PERIODIC_Z: bool = false;
const MISSING: u32 = 0xdeadbeefu;

@group(0) @binding(1) var<storage, read> values: array<u32>;
@group(0) @binding(2) var<storage, read_write> hashes: array<u32>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = thread_cell(gid);
    if (!c.valid) {
        return;
    }
    var periodic = array<bool, 3>(PERIODIC_X, PERIODIC_Y, PERIODIC_Z);
    let axes = select(2u, 3u, is_3d());
    var acc = 0u;
    for (var a = 0u; a < axes; a++) {
        for (var k = 1u; k <= REACH; k++) {
            for (var d = 0u; d < 2u; d++) {
                let n = neighbour_at(c, a, k, d == 1u, periodic[a]);
                var v = MISSING;
                if (n >= 0) {
                    v = values[u32(n)];
                }
                acc = acc * 31u + v;
            }
        }
    }
    hashes[c.local] = acc;
}
