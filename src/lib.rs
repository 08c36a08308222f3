//! mesolyte: GPU mesoscale simulation of electrochemical interfaces (wgpu + WGSL).
//!
//! Data flows one way: scenario TOML -> validated parameters ([`scenario`]) -> a model's GPU
//! fields and kernels ([`models`], [`gpu`]) -> the shared loop ([`sim`]) -> files ([`io`]).
//! docs/architecture.md describes the layers.

// Physics code indexes several per-axis arrays with one axis number; that reads better than
// zipped iterators.
#![allow(clippy::needless_range_loop)]

pub mod cli;
pub mod constants;
pub mod faces;
pub mod geometry;
pub mod gpu;
pub mod grid;
pub mod input;
pub mod io;
pub mod models;
pub mod plot;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod solvers;

pub use grid::Grid;
pub use scenario::Scenario;
