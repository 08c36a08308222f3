//! The simulation loop: advance a model to each output time, check it, write outputs and
//! checkpoints, and stop at the end time, the step limit, the model's own end, or divergence.

use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

use super::pictures::{FieldValues, Pictures};
use super::{rates, ClockKind, Model, Moment, Progress};
use crate::gpu::{field_stats, Element, Field, FieldValue, Gpu, StatsQuery};
use crate::io::{self, checkpoint, vtk, RunDir};
use crate::scenario::Scenario;

/// How to run a scenario (beyond the scenario itself).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub out_dir: PathBuf,
    /// Continue from the checkpoint in `out_dir`.
    pub resume: bool,
    /// No progress display or notes.
    pub quiet: bool,
    /// Stop (as if killed) right after this many outputs have been written in this process.
    /// For testing resume; the run folder is left as a killed run would leave it.
    pub halt_after_outputs: Option<u64>,
    /// Use this time step without the stability check. For testing the divergence guard.
    pub unchecked_dt: Option<f64>,
    /// Draw no pictures, whatever `run.pictures` says (`--no-pictures`).
    pub no_pictures: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub steps: u64,
    pub time: f64,
    pub snapshots: usize,
    pub status: RunStatus,
}

/// How a run ended (summary.json's `status`; a failed or diverged run has no report, its
/// summary says "failed" or "diverged").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Reached run.end_time.
    Completed,
    /// The model reached its own end (`Model::finished`).
    ModelFinished,
    /// Reached run.max_steps.
    StepLimit,
    /// Stopped by `RunOptions::halt_after_outputs` (tests of resume).
    Halted,
}

impl RunStatus {
    pub const ALL: [RunStatus; 4] = [
        RunStatus::Completed,
        RunStatus::ModelFinished,
        RunStatus::StepLimit,
        RunStatus::Halted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::ModelFinished => "model finished",
            RunStatus::StepLimit => "step limit",
            RunStatus::Halted => "halted",
        }
    }

    /// The status a summary.json string names.
    pub fn parse(s: &str) -> Option<RunStatus> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the run needs no more work (a halted run does).
    pub fn is_finished(self) -> bool {
        self != RunStatus::Halted
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for RunStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

pub use crate::models::contract::Diverged;

/// The resolved scenario without the keys a resumed run may change (end time, step limit,
/// and the pictures, which do not touch the state).
pub fn fingerprint(s: &Scenario) -> String {
    let mut t = s.resolved.clone();
    if let Some(run) = t.get_mut("run").and_then(|v| v.as_table_mut()) {
        run.remove("end_time");
        run.remove("max_steps");
        run.remove("pictures");
        run.remove("picture_every");
    }
    toml::to_string(&t).expect("TOML tables always serialize")
}

struct Clock {
    kind: ClockKind,
    /// The model's first planned step in this process (`check_planned_step`).
    first_dt: Option<f64>,
    step: u64,
    time: f64,
    /// Index of the next output time (output k is at k * output_every, 0 = initial state).
    next_output: u64,
}

/// Runs `scenario` on `gpu`, writing into `opts.out_dir`.
pub fn run(scenario: &Scenario, gpu: &Gpu, opts: &RunOptions) -> Result<RunReport> {
    let wall = Instant::now();
    let settings = &scenario.run;
    // A resume is checked before anything in the folder changes: a refused one leaves the
    // earlier run's files (its summary, its scenario.toml) as they were.
    let saved = if opts.resume {
        Some(read_checkpoint(scenario, &opts.out_dir)?)
    } else {
        refuse_other_scenarios_folder(scenario, &opts.out_dir)?;
        None
    };
    let mut dir = RunDir::create(&opts.out_dir, &scenario.name)?;
    dir.clear_earlier_run(!opts.resume)?;
    // A summary left in this folder by an earlier run would describe that run until this one
    // ends (a sweep resumed after a kill would take it for this run's result).
    match std::fs::remove_file(dir.path(io::SUMMARY_FILE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            bail!(
                "cannot remove the old {}: {e}",
                dir.path(io::SUMMARY_FILE).display()
            )
        }
        _ => {}
    }
    io::write_bytes_atomic(
        &dir.path(io::SCENARIO_FILE),
        scenario.resolved_toml().as_bytes(),
    )?;
    let mut model = scenario.params.build(gpu, &scenario.grid, settings.seed)?;

    let mut clock = Clock {
        kind: scenario.model.clock,
        first_dt: None,
        step: 0,
        time: 0.0,
        next_output: 0,
    };
    if let Some((header, data)) = saved {
        restore(gpu, model.as_mut(), &mut dir, &mut clock, header, data)?;
    }
    let pictures = (settings.pictures && !opts.no_pictures).then(|| {
        Pictures::start(
            model.pictures(),
            &scenario.grid,
            &dir,
            scenario.model.clock,
            settings.end_time,
            settings.picture_every,
        )
    });
    let mut outputs = Outputs {
        gpu,
        scenario,
        pictures,
    };
    // A model whose parameters fix its step count on an iteration clock (gde's steady
    // stages, one step each) ends there, not at run.end_time: the bar and its ETA say so.
    let progress_end = match (scenario.model.clock, scenario.params.step_bound()) {
        (ClockKind::Iterations, Some(steps)) => settings.end_time.min(steps as f64),
        _ => settings.end_time,
    };
    let mut progress = Progress::new(
        &scenario.name,
        progress_end,
        clock.time,
        clock.step,
        opts.quiet,
        scenario.model.clock,
    );
    for note in model.notes() {
        progress.note(&format!("note: {note}"));
    }
    if opts.resume {
        progress.note(&format!(
            "resuming at step {} ({})",
            clock.step,
            progress.clock(clock.time)
        ));
    }
    let mut written_here = 0u64;
    let first_step_here = clock.step;
    let time_name = scenario.model.clock.column();
    let fail = |dir: &RunDir, clock: &Clock, e: anyhow::Error| -> anyhow::Error {
        let status = if e.is::<Diverged>() {
            "diverged"
        } else {
            "failed"
        };
        let mut summary = json!({ "status": status, "error": e.to_string(), "step": clock.step });
        summary[time_name] = json!(clock.time);
        let _ = dir.write_json(io::SUMMARY_FILE, &summary);
        e
    };

    let status = loop {
        let end_reached = clock.time >= settings.end_time;
        if clock.next_output == 0 || (end_reached && last_snapshot_time(&dir) != Some(clock.time)) {
            // Initial state, or a final state that is not yet on disk.
            guard(gpu, model.as_ref(), &clock).map_err(|e| fail(&dir, &clock, e))?;
            outputs.record(model.as_mut(), &mut dir, &mut clock)?;
            written_here += 1;
        }
        if end_reached {
            break RunStatus::Completed;
        }
        if clock.step >= settings.max_steps {
            break RunStatus::StepLimit;
        }
        if model.finished(gpu)? {
            break RunStatus::ModelFinished;
        }
        if opts.halt_after_outputs.is_some_and(|n| written_here >= n) {
            progress.finish();
            return Ok(RunReport {
                steps: clock.step,
                time: clock.time,
                snapshots: dir.snapshots.len(),
                status: RunStatus::Halted,
            });
        }
        let target = (clock.next_output as f64 * settings.output_every).min(settings.end_time);
        advance_to(
            target,
            gpu,
            model.as_mut(),
            scenario,
            opts,
            &mut clock,
            &mut progress,
        )
        .map_err(|e| fail(&dir, &clock, e))?;
        // Fields a model derives only at its own checks are brought up to the clock before
        // they are checked and written (gde: velocity, pressure, concentration).
        model
            .prepare_outputs(gpu)
            .map_err(|e| fail(&dir, &clock, e))?;
        guard(gpu, model.as_ref(), &clock).map_err(|e| fail(&dir, &clock, e))?;
        // A model that reached its own end stopped the clock short of the output time; its
        // final state is written where it stopped.
        if clock.time >= target || clock.step >= settings.max_steps || model.finished(gpu)? {
            outputs.record(model.as_mut(), &mut dir, &mut clock)?;
            written_here += 1;
        }
    };
    progress.finish();
    if let Some(p) = outputs.pictures.take() {
        p.finish()?;
    }

    let mut summary = serde_json::Map::new();
    summary.insert("status".into(), json!(status.as_str()));
    summary.insert("scenario".into(), json!(scenario.name));
    summary.insert("model".into(), json!(scenario.model_name()));
    summary.insert("adapter".into(), json!(gpu.summary.name));
    summary.insert("backend".into(), json!(gpu.summary.backend));
    summary.insert("steps".into(), json!(clock.step));
    summary.insert(time_name.into(), json!(clock.time));
    summary.insert("wall_time_s".into(), json!(wall.elapsed().as_secs_f64()));
    summary.insert("snapshots".into(), json!(dir.snapshots.len()));
    for (k, v) in model.summary(gpu, clock.moment())? {
        summary.insert(k, json!(v));
    }
    dir.write_json(io::SUMMARY_FILE, &serde_json::Value::Object(summary))?;
    // This run's speed, for the next estimate on this adapter (rates.rs).
    rates::record(
        &rates::key(scenario, &gpu.summary.name),
        scenario.grid.cells() as f64 * (clock.step - first_step_here) as f64,
        wall.elapsed().as_secs_f64(),
    );
    Ok(RunReport {
        steps: clock.step,
        time: clock.time,
        snapshots: dir.snapshots.len(),
        status,
    })
}

impl Clock {
    fn moment(&self) -> Moment {
        Moment::new(self.step, self.time)
    }
}

fn last_snapshot_time(dir: &RunDir) -> Option<f64> {
    dir.snapshots.last().map(|s| s.0)
}

/// A planned step this many times below the run's first stops the run (the dendrite step
/// shrinks up to about 100-fold as ions pile up in front of the deposit; by 10⁴ it has
/// collapsed, and the run would crawl).
const STEP_COLLAPSE: f64 = 1e-4;

/// The model's planned step may shrink as a run goes, but one that collapsed by orders of
/// magnitude, or at which the rest of the run would need more than `run.max_steps`, stops
/// the run now with the likely cause (keeping the last good output), not after days.
fn check_planned_step(
    dt: f64,
    clock: &mut Clock,
    settings: &crate::scenario::RunSettings,
    model: &dyn Model,
) -> Result<()> {
    let first = *clock.first_dt.get_or_insert(dt);
    let left = settings.end_time - clock.time;
    let steps = (left / dt).ceil();
    let within = dt.is_finite() && dt > 0.0 && dt >= first * STEP_COLLAPSE;
    if within && clock.step as f64 + steps <= settings.max_steps as f64 {
        return Ok(());
    }
    let short = crate::io::short_exp;
    let hint = match model.step_hint() {
        "" => String::new(),
        h => format!(" {h}"),
    };
    bail!(
        "the stable time step fell to {} s at step {} (t = {} s; it was {} s at the start): \
         the remaining {} s would take {} steps (run.max_steps = {}).{hint} The last good \
         output is kept.",
        short(dt),
        clock.step,
        short(clock.time),
        short(first),
        short(left),
        short(steps),
        settings.max_steps
    )
}

/// Advances the model until `target` (exactly: the last step is shortened to land on it),
/// in submissions of at most `check_every` steps and of at most the model's `plan_every`
/// (the time step is planned before each), with a divergence check every `check_every`
/// steps: superfill plans every step, and a guard after each (six reductions, each read
/// back) took 0.8 s of the 11 s FiPy's trench ran.
fn advance_to(
    target: f64,
    gpu: &Gpu,
    model: &mut dyn Model,
    scenario: &Scenario,
    opts: &RunOptions,
    clock: &mut Clock,
    progress: &mut Progress,
) -> Result<()> {
    let settings = &scenario.run;
    let mut unguarded = 0u64;
    while clock.time < target && clock.step < settings.max_steps {
        let dt = match opts.unchecked_dt.or(settings.dt) {
            Some(dt) => dt,
            None => {
                let dt = model.stable_dt(gpu)?;
                check_planned_step(dt, clock, settings, model)?;
                dt
            }
        };
        let limit = (settings.check_every - unguarded)
            .min(scenario.model.plan_every)
            .min(settings.max_steps - clock.step);
        // Count whole steps that stay short of the target; the tolerance keeps round-off from
        // leaving a sliver of a step before the target.
        let (mut n, mut t) = (0u64, clock.time);
        while n < limit && target - t > dt * (1.0 + 1e-9) {
            t += dt;
            n += 1;
        }
        if n > 0 {
            let taken = model.advance(gpu, clock.moment(), n, dt)?;
            clock.step += taken;
            if taken < n {
                // The model reached its own end: the clock stops where its work did.
                for _ in 0..taken {
                    clock.time += dt;
                }
                report(model, progress, clock, dt);
                return Ok(());
            }
            clock.time = t;
        }
        if n < limit && target > clock.time {
            let taken = model.advance(gpu, clock.moment(), 1, target - clock.time)?;
            clock.step += taken;
            if taken == 0 {
                report(model, progress, clock, dt);
                return Ok(());
            }
            clock.time = target;
        }
        unguarded += n;
        if clock.time < target && unguarded >= settings.check_every {
            guard(gpu, model, clock)?;
            unguarded = 0;
        }
        report(model, progress, clock, dt);
    }
    Ok(())
}

/// The model's messages since the last batch, then the progress display.
fn report(model: &mut dyn Model, progress: &mut Progress, clock: &Clock, dt: f64) {
    for m in model.take_messages() {
        progress.note(&m);
    }
    progress.update(clock.time, clock.step, dt, model.status());
}

/// Stops the run if any f32 output field holds NaN/Inf or leaves the model's bounds
/// (integer fields have no NaN, and the reduction reads floats).
fn guard(gpu: &Gpu, model: &dyn Model, clock: &Clock) -> Result<()> {
    let guards = model.guards();
    for (name, field) in model.output_fields().into_iter().flat_map(|o| {
        let name = o.name;
        o.components.into_iter().map(move |f| (name.clone(), f))
    }) {
        if field.element() != Element::F32 {
            continue;
        }
        let bound = guards.iter().find(|g| g.field == name);
        let q = StatsQuery {
            lo: bound.map_or(f32::MIN, |g| g.lo),
            hi: bound.map_or(f32::MAX, |g| g.hi),
            ..Default::default()
        };
        let s = field_stats(gpu, field, q);
        if s.outside == 0 {
            continue;
        }
        let grid = &field.domain.grid;
        let place = s.first_bad.map_or(String::new(), |i| {
            let [x, y, z] = grid.coords(i);
            let p = grid.cell_centre(x, y, z);
            format!(
                " first at cell ({x}, {y}, {z}), position ({:.3e}, {:.3e}, {:.3e}) m,",
                p[0], p[1], p[2]
            )
        });
        let what = if s.nonfinite > 0 {
            format!("{} non-finite values (NaN/Inf)", s.nonfinite)
        } else {
            let b = bound.unwrap();
            format!(
                "{} values outside the allowed range [{:e}, {:e}] (min {:e}, max {:e})",
                s.outside, b.lo, b.hi, s.min, s.max
            )
        };
        let when = super::progress::clock_reading(clock.kind, clock.time, None);
        let hint = match bound {
            Some(b) if s.nonfinite == 0 && !b.hint.is_empty() => format!(" {}", b.hint),
            _ => String::new(),
        };
        bail!(Diverged(format!(
            "field {name} has {what};{place} at step {} ({when}).{hint} The last good output is kept.",
            clock.step
        )));
    }
    Ok(())
}

/// What writing an output needs besides the model, folder and clock.
struct Outputs<'a> {
    gpu: &'a Gpu,
    scenario: &'a Scenario,
    pictures: Option<Pictures>,
}

impl Outputs<'_> {
    /// Writes the output the clock stands at (snapshot, metrics, pictures), moves to the
    /// next, and checkpoints when one is due.
    fn record(&mut self, model: &mut dyn Model, dir: &mut RunDir, clock: &mut Clock) -> Result<()> {
        let (gpu, scenario) = (self.gpu, self.scenario);
        write_output(gpu, model, scenario, dir, clock, self.pictures.as_mut())?;
        clock.next_output += 1;
        maybe_checkpoint(scenario, gpu, model, dir, clock)
    }
}

fn write_output(
    gpu: &Gpu,
    model: &mut dyn Model,
    scenario: &Scenario,
    dir: &mut RunDir,
    clock: &Clock,
    pictures: Option<&mut Pictures>,
) -> Result<()> {
    // Each output is downloaded as its fields' element type and written as such.
    let data: Vec<(String, u32, Values)> = model
        .output_fields()
        .into_iter()
        .map(|o| {
            let element = o.components[0].element();
            if let Some(f) = o.components.iter().find(|f| f.element() != element) {
                bail!(
                    "output {}: component {} holds {} values, the first {}",
                    o.name,
                    f.name,
                    f.element().name(),
                    element.name()
                );
            }
            let values = match element {
                Element::F32 => Values::F32(download_interleaved(gpu, &o.components)?),
                Element::U32 => Values::U32(download_interleaved(gpu, &o.components)?),
                Element::I32 => Values::I32(download_interleaved(gpu, &o.components)?),
                Element::F16 => bail!("output {}: f16 fields are state only, not outputs", o.name),
            };
            Ok((o.name, o.components.len() as u32, values))
        })
        .collect::<Result<_>>()?;
    let arrays: Vec<vtk::TypedArray> = data
        .iter()
        .map(|(n, k, v)| vtk::TypedArray {
            name: n,
            components: *k,
            values: match v {
                Values::F32(v) => vtk::ArrayValues::F32(v),
                Values::U32(v) => vtk::ArrayValues::U32(v),
                Values::I32(v) => vtk::ArrayValues::I32(v),
            },
        })
        .collect();
    let file = dir.snapshot_name(clock.step);
    vtk::write_vti_typed(&dir.path(&file), &scenario.grid, &arrays)?;
    dir.add_snapshot(clock.time, file)?;
    let mut row = vec![
        (scenario.model.clock.column().to_string(), clock.time),
        ("step".to_string(), clock.step as f64),
    ];
    row.extend(model.metrics(gpu, clock.moment())?);
    dir.add_metrics(&row)?;
    if let Some(p) = pictures {
        let fields: Vec<FieldValues> = data
            .iter()
            .map(|(name, k, v)| FieldValues {
                name,
                components: *k as usize,
                value: match v {
                    Values::F32(v) => Box::new(|i| v[i]),
                    Values::U32(v) => Box::new(|i| v[i] as f32),
                    Values::I32(v) => Box::new(|i| v[i] as f32),
                },
            })
            .collect();
        p.add(
            clock.next_output,
            clock.step,
            clock.time,
            &fields,
            &dir.metric_columns,
            dir.metric_rows
                .last()
                .expect("this output's row was just added"),
        )?;
    }
    Ok(())
}

/// One output's downloaded values, of its fields' element type.
enum Values {
    F32(Vec<f32>),
    U32(Vec<u32>),
    I32(Vec<i32>),
}

/// The components' values as `T`, interleaved.
fn download_interleaved<T: FieldValue>(gpu: &Gpu, components: &[&Field]) -> Result<Vec<T>> {
    let parts = components
        .iter()
        .map(|f| f.download_as::<T>(gpu))
        .collect::<Result<Vec<_>>>()?;
    Ok(interleave(&parts))
}

/// Component arrays [x..], [y..], [z..] -> [x0, y0, z0, x1, ...] as VTK expects.
fn interleave<T: Copy>(parts: &[Vec<T>]) -> Vec<T> {
    if parts.len() == 1 {
        return parts[0].clone();
    }
    let n = parts[0].len();
    let mut out = Vec::with_capacity(n * parts.len());
    for i in 0..n {
        out.extend(parts.iter().map(|p| p[i]));
    }
    out
}

fn maybe_checkpoint(
    scenario: &Scenario,
    gpu: &Gpu,
    model: &dyn Model,
    dir: &RunDir,
    clock: &Clock,
) -> Result<()> {
    let every = scenario.run.checkpoint_every;
    if every == 0 || !clock.next_output.is_multiple_of(every) {
        return Ok(());
    }
    let fields = model.state_fields();
    let header = checkpoint::CheckpointHeader {
        model: scenario.model_name().into(),
        fingerprint: fingerprint(scenario),
        step: clock.step,
        time_bits: clock.time.to_bits(),
        next_output: clock.next_output,
        snapshots: dir.snapshots.clone(),
        metric_columns: dir.metric_columns.clone(),
        metric_rows: dir.metric_rows.clone(),
        scalars: model.save_scalars(),
        fields: fields.iter().map(|f| f.name.clone()).collect(),
        cells: scenario.grid.cells(),
    };
    // Raw bits: any element type, restored exactly.
    let data: Vec<Vec<u32>> = fields.iter().map(|f| f.download_raw(gpu)).collect();
    checkpoint::write(&dir.path(io::CHECKPOINT_FILE), &header, &data)
}

/// A fresh run replaces an earlier run of its own scenario name in `out_dir`, but not one of
/// another scenario: their metrics, summary and checkpoint have the same file names, so the
/// folder would end up half one run and half the other.
fn refuse_other_scenarios_folder(scenario: &Scenario, out_dir: &std::path::Path) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(out_dir.join(io::SCENARIO_FILE)) else {
        return Ok(());
    };
    let earlier = text
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("name").and_then(|v| v.as_str()).map(String::from));
    match earlier {
        Some(name) if name != scenario.name => bail!(
            "{} holds a run of scenario {name:?}, not {:?}; choose another --out folder",
            out_dir.display(),
            scenario.name
        ),
        _ => Ok(()),
    }
}

/// The checkpoint in `out_dir`, if it exists and was written by this scenario (less the keys
/// a resume may change).
fn read_checkpoint(
    scenario: &Scenario,
    out_dir: &std::path::Path,
) -> Result<(checkpoint::CheckpointHeader, Vec<Vec<u32>>)> {
    if !out_dir.is_dir() {
        bail!(
            "--resume: {} does not exist, so there is no run to continue (leave out --resume to start one)",
            out_dir.display()
        );
    }
    let path = out_dir.join(io::CHECKPOINT_FILE);
    if !path.exists() {
        let every = scenario.run.checkpoint_every;
        let why = if every == 0 {
            "run.checkpoint_every = 0 writes none".to_string()
        } else {
            format!(
                "a run writes its first after {every} output(s) (run.checkpoint_every), so one \
                 stopped sooner left none; start it again without --resume"
            )
        };
        bail!("--resume: no checkpoint in {}: {why}", out_dir.display());
    }
    let (h, data) = checkpoint::read(&path)?;
    if h.fingerprint != fingerprint(scenario) || h.model != scenario.model_name() {
        let keys = differing_keys(&h.fingerprint, &fingerprint(scenario));
        bail!(
            "--resume: the scenario differs from the one that wrote {} in {} (only \
             run.end_time and run.max_steps may change)",
            path.display(),
            if keys.is_empty() {
                "the model".to_string()
            } else {
                keys.join(", ")
            }
        );
    }
    Ok((h, data))
}

/// The keys (`section.key`) whose values differ between two fingerprints (resolved
/// scenarios as TOML text), for a refused resume to name.
fn differing_keys(a: &str, b: &str) -> Vec<String> {
    fn walk(a: &toml::Table, b: &toml::Table, prefix: &str, out: &mut Vec<String>) {
        let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for k in keys {
            let name = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match (a.get(k), b.get(k)) {
                (Some(toml::Value::Table(x)), Some(toml::Value::Table(y))) => {
                    walk(x, y, &name, out)
                }
                (x, y) if x != y => out.push(name),
                _ => {}
            }
        }
    }
    let (Ok(a), Ok(b)) = (a.parse::<toml::Table>(), b.parse::<toml::Table>()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(&a, &b, "", &mut out);
    out
}

fn restore(
    gpu: &Gpu,
    model: &mut dyn Model,
    dir: &mut RunDir,
    clock: &mut Clock,
    h: checkpoint::CheckpointHeader,
    data: Vec<Vec<u32>>,
) -> Result<()> {
    let fields = model.state_fields();
    anyhow::ensure!(
        fields.len() == data.len(),
        "checkpoint holds {} fields, the model has {}",
        data.len(),
        fields.len()
    );
    for (f, d) in fields.iter().zip(&data) {
        f.upload_raw(gpu, d)
            .with_context(|| format!("restoring field {}", f.name))?;
    }
    model.restore_scalars(&h.scalars)?;
    model.after_restore(gpu)?;
    clock.step = h.step;
    clock.time = f64::from_bits(h.time_bits);
    clock.next_output = h.next_output;
    dir.snapshots = h.snapshots;
    dir.metric_columns = h.metric_columns;
    dir.metric_rows = h.metric_rows;
    // Forget outputs written after the checkpoint, so files and collection agree again.
    vtk::write_pvd(&dir.pvd_path(), &dir.snapshots)?;
    dir.write_metrics()?;
    Ok(())
}
