// The CG search direction p in half precision (`CorrectionMemory::Half`), for the stages
// that write it; direction_read_f16.wgsl is the readers' form. 2 bytes per cell instead of 4,
// the arithmetic f32. p is stored times the power of two `scalars.direction_scale`, which
// cg_scalars.wgsl sets from ‖z‖ at each direction update, so that its values sit in f16's
// range whatever the solve's units and however far its residual has fallen. Rounding p
// costs iterations, not accuracy: x and r both move along the stored p (cg_update.wgsl), so
// r stays the residual of x. Out-of-range values are clamped for the same reason (a worse
// direction, still a consistent step). Needs the including stage's `scalars`.
enable f16;

const HALF_MAX: f32 = 65504.0;

@group(0) @binding(21) var<storage, read_write> p: array<f16>;

fn direction(i: u32) -> f32 {
    return f32(p[i]) / scalars.direction_scale;
}

// p as the last direction update left it, stored under the scale of that update.
fn previous_direction(i: u32) -> f32 {
    return f32(p[i]) / scalars.previous_direction_scale;
}

fn set_direction(i: u32, v: f32) {
    p[i] = f16(clamp(v * scalars.direction_scale, -HALF_MAX, HALF_MAX));
}
