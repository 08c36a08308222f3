// Conductance of two cells in series (exact for a jump between them), the face rule of the
// elliptic solver's operators (src/solvers/).
fn harmonic(a: f32, b: f32) -> f32 {
    return 2.0 * a * b / (a + b);
}
