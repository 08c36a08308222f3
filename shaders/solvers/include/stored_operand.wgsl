// `operand` for coupled_sum_on (solvers/include/operator.wgsl) in the kernels that apply A
// to a stored vector: the including shader's `x` (a storage binding or workgroup memory).
fn operand(j: u32, k: vec3<u32>) -> f32 {
    return x[j];
}
