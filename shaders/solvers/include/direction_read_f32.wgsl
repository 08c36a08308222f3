// The CG search direction p, in f32, read only (cg_apply, cg_update), so that a driver may
// take its read-only load path. Swapped for direction_read_f16.wgsl where the solver keeps
// p in half precision (direction_f32.wgsl is the writers' form).
@group(0) @binding(21) var<storage, read> p: array<f32>;

fn direction(i: u32) -> f32 {
    return p[i];
}
