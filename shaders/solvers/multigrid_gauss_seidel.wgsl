// Multigrid, the fine level smoothed in place (src/solvers/multigrid.rs, a fine level
// without scratch): multi-colour Gauss-Seidel, x = (b + Σ_faces g x_nb) / diag at the cells
// of one colour, which couple only to cells of other colours. Each sweep therefore updates x
// in its own buffer, where damped Jacobi needs a second vector to sweep into: one fine
// vector (4 B per cell) fewer. The V-cycle sweeps the colours forward before the coarse
// correction and backward after it, so that it stays a symmetric operator, as CG requires.
//   from_zero: the first colour's sweep from x = 0: b / diag on colour 0 and 0 elsewhere (it
//              writes every cell, so x need not be cleared first);
//   main:      the sweep of colour COLOUR.
// Colours: solvers/include/colours.wgsl. The fine level's first colour after a CG update is
// written by that update (cg_update.wgsl, FIRST_COLOUR) and its last colour of the cycle by
// cg_precondition.wgsl's `last_colour`, which also sums z for CG: the same expressions.
#include "common/grid.wgsl"
#include "solvers/include/operator.wgsl"
#include "solvers/include/operator_stored.wgsl"
#include "solvers/include/stored_operand.wgsl"
#include "solvers/include/colours.wgsl"

@group(0) @binding(1) var<storage, read> gx: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read> gz: array<f32>;
@group(0) @binding(4) var<storage, read> diag: array<f32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read_write> x: array<f32>;

override COLOUR: u32 = 0u;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn from_zero(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid) {
        let i = cell.local;
        x[i] = gauss_seidel_from_zero(cell, b[i], diagonal(cell));
    }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid && colour_of(cell) == COLOUR) {
        let i = cell.local;
        x[i] = gauss_seidel_sweep(b[i], diagonal(cell), coupled_sum(cell));
    }
}
