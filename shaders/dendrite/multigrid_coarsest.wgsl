// Multigrid for the potential: the coarsest level's damped-Jacobi sweeps (the same sweeps as
// multigrid_smooth.wgsl, from x = 0) in one dispatch of one workgroup, the iterate kept in
// workgroup memory between sweeps. On a GPU each dependent pass costs microseconds whatever
// its size, and the coarsest level (a few dozen cells) needs 8+ sweeps: one pass instead of
// one per sweep. Used when the level is one chunk of at most MAX_CELLS cells including its
// lower ghost plane (src/models/dendrite/multigrid.rs); indices are the level's local ones,
// and neighbours wrap inside the level (common/grid.wgsl), so ghost planes are never read.
#include "common/grid.wgsl"
#include "common/potential_operator.wgsl"
#include "common/stored_operand.wgsl"
#include "common/jacobi.wgsl"

const MAX_CELLS: u32 = 1024u;
const THREADS: u32 = 256u;

struct CoarsestParams {
    sweeps: u32,
}

@group(0) @binding(1) var<storage, read> gx: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read> gz: array<f32>;
@group(0) @binding(4) var<storage, read> diag: array<f32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read> params: CoarsestParams;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

// The iterate (read by coupled_sum_on) and the next sweep's values.
var<workgroup> x: array<f32, MAX_CELLS>;
var<workgroup> next: array<f32, MAX_CELLS>;

fn coords(g: u32) -> vec3<u32> {
    let row = g / grid.nx;
    return vec3<u32>(g % grid.nx, row % grid.ny, row / grid.ny);
}

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(local_invocation_index) lid: u32) {
    let cells = grid.nx * grid.ny * grid.nz;
    let offset = grid.plane_cells;
    for (var g = lid; g < cells; g += THREADS) {
        x[g + offset] = 0.0;
    }
    workgroupBarrier();
    let sweeps = params.sweeps;
    for (var s = 0u; s < sweeps; s++) {
        for (var g = lid; g < cells; g += THREADS) {
            let i = g + offset;
            let r = b[i] - (diag[i] * x[i] - coupled_sum_on(grid, coords(g), i));
            next[i] = x[i] + OMEGA * r / diag[i];
        }
        workgroupBarrier();
        for (var g = lid; g < cells; g += THREADS) {
            x[g + offset] = next[g + offset];
        }
        workgroupBarrier();
    }
    for (var g = lid; g < cells; g += THREADS) {
        out[g + offset] = x[g + offset];
    }
}
