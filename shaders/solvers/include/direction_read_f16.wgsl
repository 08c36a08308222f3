// The half-precision search direction of direction_f16.wgsl (see there), read only, for
// cg_apply and cg_update. Needs the including stage's `scalars`.
enable f16;

@group(0) @binding(21) var<storage, read> p: array<f16>;

fn direction(i: u32) -> f32 {
    return f32(p[i]) / scalars.direction_scale;
}
