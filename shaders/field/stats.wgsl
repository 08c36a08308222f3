// Per-workgroup statistics of one chunk's interior: sum, sum of squares, min, max, count above
// a threshold, count outside [lo, hi], count of non-finite values and the first bad cell.
// Each workgroup reduces 2048 values; the host combines the partials in f64.
#include "common/grid.wgsl"
#include "common/float.wgsl"

struct StatsParams {
    threshold: f32,
    lo: f32,
    hi: f32,
    out_offset: u32,
    groups_x: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

struct Partial {
    sum: f32,
    sumsq: f32,
    minv: f32,
    maxv: f32,
    above: u32,
    outside: u32,
    nonfinite: u32,
    first_bad: u32,
}

@group(0) @binding(1) var<storage, read> params: StatsParams;
@group(0) @binding(2) var<storage, read> data: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<Partial>;

const THREADS: u32 = 256u;
const ITEMS: u32 = 8u;
const NONE: u32 = 0xffffffffu;

var<workgroup> s_sum: array<f32, THREADS>;
var<workgroup> s_sumsq: array<f32, THREADS>;
var<workgroup> s_min: array<f32, THREADS>;
var<workgroup> s_max: array<f32, THREADS>;
var<workgroup> s_above: array<u32, THREADS>;
var<workgroup> s_outside: array<u32, THREADS>;
var<workgroup> s_nonfinite: array<u32, THREADS>;
var<workgroup> s_first: array<u32, THREADS>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let group = wid.x + wid.y * params.groups_x;
    let count = grid.planes * grid.plane_cells;
    let n_groups = (count + THREADS * ITEMS - 1u) / (THREADS * ITEMS);
    var sum = 0.0;
    var sumsq = 0.0;
    var mn = F32_MAX;
    var mx = -F32_MAX;
    var above = 0u;
    var outside = 0u;
    var nonfinite = 0u;
    var first = NONE;
    for (var k = 0u; k < ITEMS; k++) {
        let i = group * THREADS * ITEMS + k * THREADS + lid;
        if (group < n_groups && i < count) {
            let v = data[grid.ghost * grid.plane_cells + i];
            let g = grid.first_plane * grid.plane_cells + i;
            if (!is_finite_f32(v)) {
                nonfinite += 1u;
                outside += 1u;
                first = min(first, g);
            } else {
                sum += v;
                sumsq += v * v;
                mn = min(mn, v);
                mx = max(mx, v);
                if (v > params.threshold) {
                    above += 1u;
                }
                if (v < params.lo || v > params.hi) {
                    outside += 1u;
                    first = min(first, g);
                }
            }
        }
    }
    s_sum[lid] = sum;
    s_sumsq[lid] = sumsq;
    s_min[lid] = mn;
    s_max[lid] = mx;
    s_above[lid] = above;
    s_outside[lid] = outside;
    s_nonfinite[lid] = nonfinite;
    s_first[lid] = first;
    workgroupBarrier();
    for (var stride = THREADS / 2u; stride > 0u; stride = stride / 2u) {
        if (lid < stride) {
            let o = lid + stride;
            s_sum[lid] += s_sum[o];
            s_sumsq[lid] += s_sumsq[o];
            s_min[lid] = min(s_min[lid], s_min[o]);
            s_max[lid] = max(s_max[lid], s_max[o]);
            s_above[lid] += s_above[o];
            s_outside[lid] += s_outside[o];
            s_nonfinite[lid] += s_nonfinite[o];
            s_first[lid] = min(s_first[lid], s_first[o]);
        }
        workgroupBarrier();
    }
    if (lid == 0u && group < n_groups) {
        partials[params.out_offset + group] = Partial(
            s_sum[0], s_sumsq[0], s_min[0], s_max[0],
            s_above[0], s_outside[0], s_nonfinite[0], s_first[0]);
    }
}
