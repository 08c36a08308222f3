//! Physical constants shared by the models (SI, CODATA 2018 exact values).

/// Faraday constant, C/mol.
pub const FARADAY: f64 = 96485.33212;
/// Molar gas constant, J/(mol K).
pub const GAS_CONSTANT: f64 = 8.314462618;
