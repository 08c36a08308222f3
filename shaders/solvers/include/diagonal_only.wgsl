// `operand` for a stage that reads only the operator's diagonal (solvers/include/operator.wgsl
// defines the coupled sums too, and they need an operand all the same; nothing calls them).
fn operand(j: u32, k: vec3<u32>) -> f32 {
    return 0.0;
}
