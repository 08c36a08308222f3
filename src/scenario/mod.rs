//! Scenario files: the common `[grid]` and `[run]` sections, the model's own section, `--set`
//! overrides, and the fully resolved scenario written next to every run.

use std::path::Path;

pub use crate::input::{apply_override, format_value, Range, ScenarioError, Section};

use crate::grid::Grid;
use std::sync::Arc;

use crate::models::{self, ModelEntry, ModelSpec};

/// Largest cell count per axis we accept (keeps indices well inside u32).
pub const MAX_CELLS_PER_AXIS: u64 = 1 << 16;

/// The `[run]` section: clock, outputs and safety checks. Times are in seconds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunSettings {
    pub end_time: f64,
    pub max_steps: u64,
    pub output_every: f64,
    pub seed: u64,
    /// A fixed time step chosen by the user (must not exceed the model's stable limit).
    pub dt: Option<f64>,
    /// Write a checkpoint every this many outputs (0 = never).
    pub checkpoint_every: u64,
    /// Check for divergence every this many steps (and at every output).
    pub check_every: u64,
    /// Draw PNG pictures beside the snapshots (sim/pictures.rs).
    pub pictures: bool,
    /// Draw the fields' picture at every this many outputs (and the last).
    pub picture_every: u64,
}

/// A validated scenario: everything a run needs, checked before any GPU work.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub file: String,
    pub name: String,
    pub description: String,
    pub grid: Grid,
    pub run: RunSettings,
    /// The model's registry entry (name, clock, use of run.seed).
    pub model: &'static ModelEntry,
    /// The model's validated section.
    pub params: Arc<dyn ModelSpec>,
    /// Keys the scenario sets that have no effect (run.seed for a model without random
    /// numbers), found while reading; shown with the model's warnings.
    pub ignored: Vec<String>,
    /// The scenario with overrides applied and defaults filled in (written as scenario.toml).
    pub resolved: toml::Table,
}

impl Scenario {
    pub fn model_name(&self) -> &'static str {
        self.model.name
    }

    /// Warnings about a scenario that is valid but may not mean what the user expects.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = self.ignored.clone();
        w.extend(self.params.warnings(&self.grid));
        w
    }

    /// Reads, overrides and validates a scenario file.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            key: "(file)".into(),
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(&file, &text, overrides)
    }

    /// Validates scenario text; `file` names it in messages.
    pub fn parse(file: &str, text: &str, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| ScenarioError {
            file: file.to_string(),
            key: "(syntax)".into(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        // A key given twice with --set would silently keep the last value.
        for (i, spec) in overrides.iter().enumerate() {
            let key = spec.split('=').next().unwrap_or("").trim();
            if overrides[..i]
                .iter()
                .any(|o| o.split('=').next().unwrap_or("").trim() == key)
            {
                return Err(ScenarioError {
                    file: file.to_string(),
                    key: key.to_string(),
                    message: "given twice with --set; give each key once".into(),
                });
            }
        }
        for spec in overrides {
            apply_override(&mut table, spec).map_err(|message| ScenarioError {
                file: file.to_string(),
                key: spec.split('=').next().unwrap_or("").trim().to_string(),
                message,
            })?;
        }
        let seed_given = table
            .get("run")
            .and_then(|r| r.as_table())
            .is_some_and(|t| t.contains_key("seed"));
        let mut top = Section::new(file, "", table);
        let name = top.string_or("name", "")?;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(top.error(
                "name",
                "missing or invalid; allowed: letters, digits, '-', '_', '.'",
            ));
        }
        let description = top.string_or("description", "")?;
        let model = top.choice("model", &models::names(), None)?;
        let entry = models::entry(&model).expect("choice() accepts registered names only");
        let mut ignored = Vec::new();
        if seed_given && !entry.uses_seed {
            let instead = match entry.seed_instead {
                "" => String::new(),
                other => format!(" ({other})"),
            };
            ignored.push(format!(
                "run.seed has no effect: model {model} draws no random numbers{instead}"
            ));
        }

        let mut grid_sec = top.table("grid")?;
        let grid = read_grid(&mut grid_sec)?;
        top.put_table("grid", grid_sec.finish()?);

        let mut run_sec = top.table("run")?;
        let iterations = entry.clock == crate::models::contract::ClockKind::Iterations;
        let run = read_run(&mut run_sec, iterations)?;
        top.put_table("run", run_sec.finish()?);

        let mut model_sec = top.table(&model)?;
        let params = (entry.parse)(&mut model_sec, &grid)?;
        top.put_table(&model, model_sec.finish()?);

        if let Some(dt) = run.dt {
            let limit = params.max_stable_dt(&grid);
            // Tolerance: the limit is printed to 4 digits, and that printed value is accepted.
            if dt > limit * (1.0 + 1e-4) {
                return Err(ScenarioError {
                    file: file.to_string(),
                    key: "run.dt".into(),
                    message: format!(
                        "{dt:e} s exceeds the stable limit of this model and grid; allowed: (0, {}] s \
                         (leave run.dt out to use the stable step automatically)",
                        crate::io::short_exp(limit)
                    ),
                });
            }
        }
        check_step_budget(file, &model, &grid, &run, params.as_ref(), iterations)?;
        let resolved = top.finish()?;
        Ok(Scenario {
            file: file.to_string(),
            name,
            description,
            grid,
            run,
            model: entry,
            params,
            ignored,
            resolved,
        })
    }

    /// The time step the run will use: the user's, or the model's stable one.
    pub fn time_step(&self) -> f64 {
        self.run
            .dt
            .unwrap_or_else(|| self.params.stable_dt(&self.grid))
    }

    /// The resolved scenario as TOML text.
    pub fn resolved_toml(&self) -> String {
        toml::to_string_pretty(&self.resolved).expect("TOML tables always serialize")
    }
}

/// A run that cannot reach `run.end_time` within `run.max_steps` at its planned step, or
/// whose step is zero or not a number, is refused here rather than left to loop (a dendrite
/// run at 1 K plans a step of 0 s; one at -2 V, 2e-17 s: 4e18 steps).
fn check_step_budget(
    file: &str,
    model: &str,
    grid: &Grid,
    run: &RunSettings,
    params: &dyn ModelSpec,
    iterations: bool,
) -> Result<(), ScenarioError> {
    let dt = run.dt.unwrap_or_else(|| params.stable_dt(grid));
    let error = |key: &str, message: String| ScenarioError {
        file: file.to_string(),
        key: key.to_string(),
        message,
    };
    if !(dt.is_finite() && dt > 0.0) {
        return Err(error(
            model,
            format!(
                "the model's stable time step on this grid is {dt:e} s, so the run could not \
                 advance; check the physical parameters of [{model}] (validate prints the step)"
            ),
        ));
    }
    let steps = (run.end_time / dt).ceil();
    if steps > run.max_steps as f64 && iterations {
        return Err(error(
            "run.end_time",
            format!(
                "{} iterations, more than run.max_steps = {}; allowed: run.end_time <= {} \
                 iterations, or raise run.max_steps",
                run.end_time, run.max_steps, run.max_steps
            ),
        ));
    }
    if steps > run.max_steps as f64 {
        let short = crate::io::short_exp;
        return Err(error(
            "run.end_time",
            format!(
                "needs about {} steps of {} s, more than run.max_steps = {}; allowed: \
                 run.end_time <= {} s, or raise run.max_steps, or change what limits the step \
                 (grid spacing, [{model}] parameters)",
                short(steps),
                short(dt),
                run.max_steps,
                short(run.max_steps as f64 * dt)
            ),
        ));
    }
    Ok(())
}

fn read_grid(s: &mut Section) -> Result<Grid, ScenarioError> {
    let axis = MAX_CELLS_PER_AXIS;
    let nx = s.u64("nx", 1, axis)? as u32;
    let ny = s.u64("ny", 1, axis)? as u32;
    let nz = s.u64_or("nz", 1, 1, axis)? as u32;
    let spacing = Range::open_closed(0.0, 1.0);
    let dx = s.f64("dx", spacing, " m")?;
    let dy = s.f64_or("dy", dx, spacing, " m")?;
    let dz = s.f64_or("dz", dx, spacing, " m")?;
    let grid = Grid {
        nx,
        ny,
        nz,
        dx,
        dy,
        dz,
    };
    let max_cells = (u32::MAX / 2) as u64;
    if grid.cells() > max_cells {
        return Err(s.error(
            "nx",
            format!(
                "nx*ny*nz = {} cells; allowed: at most {max_cells}",
                grid.cells()
            ),
        ));
    }
    if nx < 2 || ny < 2 {
        return Err(s.error(
            if nx < 2 { "nx" } else { "ny" },
            "a grid needs at least 2 cells in x and y",
        ));
    }
    Ok(grid)
}

/// `iterations`: the model's clock counts iterations (its registry entry says so), so
/// times are given in iterations and a time step is meaningless.
fn read_run(s: &mut Section, iterations: bool) -> Result<RunSettings, ScenarioError> {
    let unit = if iterations { " iterations" } else { " s" };
    let end_time = s.f64("end_time", Range::positive(), unit)?;
    let max_steps = s.u64_or("max_steps", 1_000_000_000, 1, u64::MAX >> 1)?;
    let output_every = s.f64_or(
        "output_every",
        end_time / 10.0,
        Range::open_closed(0.0, end_time),
        unit,
    )?;
    if end_time / output_every > 1e6 {
        return Err(s.error(
            "output_every",
            format!(
                "would write {:.0} snapshots; allowed: at most 1e6",
                end_time / output_every
            ),
        ));
    }
    let seed = s.u64_or("seed", 1, 0, u32::MAX as u64)?;
    let dt = s.opt_f64("dt", Range::positive(), " s")?;
    if iterations && dt.is_some() {
        return Err(s.error(
            "dt",
            "this model's clock counts solver iterations, so a time step does not apply; \
             remove the key (run.end_time and run.output_every are iterations)",
        ));
    }
    let checkpoint_every = s.u64_or("checkpoint_every", 1, 0, 1_000_000)?;
    let check_every = s.u64_or("check_every", 500, 1, 1_000_000_000)?;
    let pictures = s.bool_or("pictures", true)?;
    let picture_every = s.u64_or("picture_every", 1, 1, 1_000_000)?;
    Ok(RunSettings {
        pictures,
        picture_every,
        end_time,
        max_steps,
        output_every,
        seed,
        dt,
        checkpoint_every,
        check_every,
    })
}
