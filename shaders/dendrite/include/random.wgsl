// Counter-based random numbers: a value is a pure function of (seed, step, cell), so results
// do not depend on dispatch order, chunking or how steps are batched.

fn pcg_hash(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// Uniform in [0, 1) from 24 random bits.
fn uniform01(seed: u32, step: u32, cell: u32) -> f32 {
    let h = pcg_hash(cell ^ pcg_hash(step ^ pcg_hash(seed)));
    return f32(h >> 8u) * (1.0 / 16777216.0);
}

// Zero mean, unit variance: uniform on [-sqrt(3), sqrt(3)).
fn unit_noise(seed: u32, step: u32, cell: u32) -> f32 {
    return (2.0 * uniform01(seed, step, cell) - 1.0) * 1.7320508;
}
