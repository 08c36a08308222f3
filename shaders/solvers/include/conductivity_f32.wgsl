// The conductivity per cell that operator_conductivity.wgsl computes its operator from, in
// f32. Swapped for conductivity_f16.wgsl where the solver keeps it in half precision
// (`FineOperator::Conductivity`'s `half`, src/solvers/operator.rs).
@group(0) @binding(20) var<storage, read> sigma: array<f32>;

fn conductivity(i: u32) -> f32 {
    return sigma[i];
}
