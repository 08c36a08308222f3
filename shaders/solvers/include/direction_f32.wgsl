// The CG search direction p, in f32, for the stages that write it (cg_direction,
// cg_precondition's first direction); direction_read_f32.wgsl is the same for the stages
// that only read it. Swapped for direction_f16.wgsl where the solver keeps p in half
// precision (`CorrectionMemory::Half`, src/solvers/elliptic.rs).
@group(0) @binding(21) var<storage, read_write> p: array<f32>;

fn direction(i: u32) -> f32 {
    return p[i];
}

// p as the last direction update left it (cg_direction.wgsl reads it before writing).
fn previous_direction(i: u32) -> f32 {
    return p[i];
}

fn set_direction(i: u32, v: f32) {
    p[i] = v;
}
