//! Numerical solvers shared by the models: the elliptic solver (conjugate gradients with a
//! geometric-multigrid or Jacobi preconditioner, `elliptic.rs`, `multigrid.rs`) and the
//! generic set-up of its operator from a cell conductivity, excluded cells and boundary
//! conditions per domain face (`setup.rs`). Shaders: shaders/solvers/.

pub mod elliptic;
pub mod multigrid;
pub mod operator;
pub mod setup;

pub use elliptic::{
    CorrectionMemory, EllipticSolver, OperatorFields, Preconditioner, SolveControl, SolveReport,
};
pub use multigrid::Coarsening;
pub use operator::{FineOperator, HALF_SIGMA_RANGE};
pub use setup::{CellKind, FaceCondition, Faces, OperatorSetup};
