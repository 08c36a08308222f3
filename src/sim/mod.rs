//! The one simulation loop all models share: clock, stop criteria, output cadence, metrics,
//! checkpoints, the divergence guard and progress; and sweeps of many runs over it.

pub mod pictures;
mod progress;
pub mod rates;
mod run;
pub mod sweep;

pub use crate::models::contract::{ClockKind, Guard, Metric, Model, Moment, OutputField};
pub use progress::{clock_reading, Progress};
pub use run::{fingerprint, run, Diverged, RunOptions, RunReport, RunStatus};
