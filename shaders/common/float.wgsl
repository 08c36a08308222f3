// Floating-point helpers that do not rely on NaN comparisons (which compilers may fold away).

fn is_finite_f32(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

const F32_MAX: f32 = 3.40282347e38;
