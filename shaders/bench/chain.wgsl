// A dispatch with almost no work, for timing what a dependent pass costs by itself: each
// dispatch reads and writes the same 256 floats, so every one waits for the one before
// (the barrier wgpu inserts between them). The multigrid V-cycle and the CG scalar stages
// are chains of such small passes on their coarse levels.

@group(0) @binding(0) var<storage, read_write> data: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    data[gid.x] = 0.5 * data[gid.x] + 1.0;
}
