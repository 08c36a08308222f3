// The end of a solve with the split operator (src/solvers/operator.rs, `FineOperator::Split`):
// x moves by the constant s on the coupled cells (rows with faces; a decoupled row,
// diag = rest, is solved on its own) that zeroes the residual's sum over them,
//   s = Σ r / Σ rest   (the Galerkin correction along w = 1 there: wᵀA w = Σ rest).
// Where the rest (a time term, a sink, a boundary's conductance) is far below the face
// count, the solution's mean over the box is held by the rest alone, and the residual of an
// error in that mean is rest times it: so small beside the rest of r that a relative
// residual of 1e-4 let a solve stop with its mean per cent off, the same way every step
// (superfill's species under a 50 µm layer filled the 10 nm trench 41 % early; its
// docs/models/superfill.md, Numerics). A cheap last step removes that error where the
// stopping test cannot see it. The sums ride on the CG update's partials
// (solvers/include/apply_split.wgsl's `split_sums`), and cg_scalars.wgsl's `residual` sets s
// after every update, so this one dispatch is all a solve adds.
#include "common/grid.wgsl"
#include "solvers/include/cg.wgsl"

@group(0) @binding(1) var<storage, read> diag: array<f32>;
@group(0) @binding(2) var<storage, read> rest: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
@group(0) @binding(4) var<storage, read> scalars: Scalars;

// x += s on the coupled cells.
@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cell = thread_cell(gid);
    if (cell.valid && diag[cell.local] != rest[cell.local]) {
        x[cell.local] += scalars.shift;
    }
}
