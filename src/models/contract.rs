//! The contract between a physics model and the shared simulation loop (sim/run.rs): the
//! `Model` trait, what a model's clock counts, guards, output fields and metrics. It lives
//! with the models so that models depend on nothing above them; `sim` re-exports it.
//!
//! A model owns its GPU fields and kernels and answers a few questions; the loop owns the
//! clock, outputs, checkpoints, divergence checks and progress (see docs/architecture.md).

use anyhow::Result;

use crate::gpu::{Field, Gpu};

/// A run stopped by the divergence guard (or a model that found its state broken); the
/// message says which field, where and when.
#[derive(Debug, thiserror::Error)]
#[error("run diverged: {0}")]
pub struct Diverged(pub String);

/// Physical bounds a field must respect; the loop stops the run when they are broken.
#[derive(Debug, Clone)]
pub struct Guard {
    /// Name of an output field (see [`Model::output_fields`]); bounds apply to each component.
    pub field: String,
    pub lo: f32,
    pub hi: f32,
    /// What usually breaks this bound, added to the divergence message (empty: nothing).
    pub hint: &'static str,
}

/// A field written to snapshots: one component (scalar) or three (a vector, stored on the GPU
/// as one scalar field per component and interleaved on output).
pub struct OutputField<'a> {
    /// Name with units, e.g. `c_mol_m3` or `velocity_m_s`.
    pub name: String,
    pub components: Vec<&'a Field>,
}

impl<'a> OutputField<'a> {
    pub fn scalar(name: &str, field: &'a Field) -> Self {
        OutputField {
            name: name.to_string(),
            components: vec![field],
        }
    }

    pub fn vector(name: &str, x: &'a Field, y: &'a Field, z: &'a Field) -> Self {
        OutputField {
            name: name.to_string(),
            components: vec![x, y, z],
        }
    }
}

/// What a run's pictures show (`sim/pictures.rs`): the model's main fields at each output,
/// its interface and, in 3D, which section through the domain.
#[derive(Debug, Clone, PartialEq)]
pub struct PictureSpec {
    /// Output fields drawn as maps at each output (a vector as its magnitude); empty: the
    /// first output field.
    pub fields: Vec<&'static str>,
    /// An output field and the level that is the interface (ξ = 0.5, φ = 0): drawn on every
    /// map, and for all outputs so far, coloured by time, on one picture.
    pub interface: Option<(&'static str, f32)>,
    /// An output field and the value of its open cells: cells with another value are drawn
    /// grey (gde's solid voxels) and left out of the colour ranges.
    pub open_cells: Option<(&'static str, f32)>,
    /// 3D runs: the axis normal to the section drawn (0 x, 1 y, 2 z) and its cell index
    /// (None: the middle plane).
    pub section: (usize, Option<usize>),
}

impl Default for PictureSpec {
    fn default() -> Self {
        PictureSpec {
            fields: Vec::new(),
            interface: None,
            open_cells: None,
            section: (2, None),
        }
    }
}

/// What a model's clock counts (its registry entry says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockKind {
    /// Simulated seconds.
    Seconds,
    /// Solver iterations (steady-state solves): end and output times are iterations.
    Iterations,
}

impl ClockKind {
    /// The clock's column in metrics.csv and its key in summary.json.
    pub fn column(self) -> &'static str {
        match self {
            ClockKind::Seconds => "time_s",
            ClockKind::Iterations => "iteration",
        }
    }
}

/// Where the loop's clock stands: the step count and the time (seconds, or iterations for
/// an iteration clock). The loop keeps the clock and tells the model.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moment {
    pub step: u64,
    pub time: f64,
}

impl Moment {
    pub fn new(step: u64, time: f64) -> Moment {
        Moment { step, time }
    }
}

/// One named scalar result (metrics.csv column or summary.json entry), name with units.
pub type Metric = (String, f64);

pub trait Model {
    /// The stable time step (s) at the current state; called before each batch of steps
    /// (at most `run.check_every` steps and the registry entry's `plan_every`), so it may
    /// reduce fields on the GPU.
    fn stable_dt(&mut self, gpu: &Gpu) -> Result<f64>;

    /// Advances `steps` steps of `dt` seconds from the loop's clock `from` (its step keys
    /// counter-based random numbers; its time is the model's time, which the model does
    /// not keep itself). Submits its own GPU work. Returns the steps taken: all of them, or
    /// fewer when the model reached its own end on the way (a steady-state solve that
    /// converged, see `finished`), so that the clock stops where the work did.
    fn advance(&mut self, gpu: &Gpu, from: Moment, steps: u64, dt: f64) -> Result<u64>;

    /// Fields that make up the state, in a fixed order (checkpointed and restored).
    fn state_fields(&self) -> Vec<&Field>;

    /// Fields written to each snapshot, with their output names (with units, e.g. `c_mol_m3`).
    fn output_fields(&self) -> Vec<OutputField<'_>>;

    /// What the run's pictures show (the first output field by default).
    fn pictures(&self) -> PictureSpec {
        PictureSpec::default()
    }

    /// Bounds checked by the divergence guard, besides NaN/Inf in every output field.
    fn guards(&self) -> Vec<Guard> {
        Vec::new()
    }

    /// Scalar diagnostics at the output time `now` (metrics.csv columns after time and step).
    fn metrics(&mut self, gpu: &Gpu, now: Moment) -> Result<Vec<Metric>>;

    /// What a user should know about this run that the scenario alone did not show (e.g. a
    /// result known to be zero from the geometry), printed once at the start.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// Events since the last call worth a line of their own during the run (a steady-state
    /// stage that converged, with its result); printed above the progress display.
    fn take_messages(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// A short description of where the model is (e.g. the stage being solved and its
    /// residual), shown in the progress display next to the clock.
    fn status(&self) -> Option<String> {
        None
    }

    /// What usually makes this model's stable step shrink, added to the message of a run
    /// stopped because its step collapsed (empty: nothing).
    fn step_hint(&self) -> &'static str {
        ""
    }

    /// Brings the output fields up to date with the state, where the model derives them
    /// only now and then (gde: from the populations at each convergence check); called
    /// after each advance to an output time, before the guard and the snapshot.
    fn prepare_outputs(&mut self, _gpu: &Gpu) -> Result<()> {
        Ok(())
    }

    /// Whether the model has reached its own end (steady state, filled feature...).
    fn finished(&mut self, _gpu: &Gpu) -> Result<bool> {
        Ok(false)
    }

    /// Final scalar results for summary.json at the run's end `now` (the last metrics by
    /// default).
    fn summary(&mut self, gpu: &Gpu, now: Moment) -> Result<Vec<Metric>> {
        self.metrics(gpu, now)
    }

    /// Scalar state beyond the fields, for checkpoints (e.g. an adaptive controller).
    fn save_scalars(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    fn restore_scalars(&mut self, _v: &serde_json::Value) -> Result<()> {
        Ok(())
    }

    /// Called after `state_fields` were overwritten from a checkpoint.
    fn after_restore(&mut self, _gpu: &Gpu) -> Result<()> {
        Ok(())
    }
}
