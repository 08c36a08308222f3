//! The one simulation loop all models share: clock, stop criteria, output cadence, metrics,
//! checkpoints, the divergence guard and progress.

mod model;
mod progress;
mod run;

pub use model::{Guard, Metric, Model, OutputField};
pub use progress::{clock_reading, Progress};
pub use run::{fingerprint, run, Diverged, RunOptions, RunReport};
