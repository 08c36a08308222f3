// The conductivity per cell of operator_conductivity.wgsl in half precision: 2 bytes per cell
// instead of 4, the operator's arithmetic still f32. A correction solve whose residual the
// caller takes with the exact operator (gde's f64 refinement) converges to the same answer;
// rounding σ to 11 bits only perturbs the operator it preconditions with. The caller keeps
// every |σ| in f16's normal range (src/models/gde/steady.rs): a smaller one would round to a
// subnormal or to 0, which says "excluded".
enable f16;

@group(0) @binding(20) var<storage, read> sigma: array<f16>;

fn conductivity(i: u32) -> f32 {
    return f32(sigma[i]);
}
