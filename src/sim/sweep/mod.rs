//! Parameter sweeps: one scenario run for every combination of a few keys' values, one run
//! after another on one device, each in a folder of its own, with `sweep.csv` tabulating every
//! run's final results. Every combination is validated before the first run starts, and a
//! sweep killed part-way continues with `--resume` without redoing finished runs.
//!
//! The plan comes from `--vary` options or a sweep file (`file.rs`); a cluster runs it one
//! case per scheduler task (`--case N`, scripts from `emit.rs`) and gathers the results
//! with `--collect` (`collect.rs`); `report.rs` draws the plots and `index.html`.

pub mod collect;
pub mod emit;
pub mod file;
pub mod report;

use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::{fingerprint, run, Diverged, RunOptions};
use crate::gpu::Gpu;
use crate::io::{self, write_atomic};
use crate::scenario::Scenario;
pub use collect::{AxisRecord, CaseRecord, PlanRecord};

/// Most runs one sweep may plan: a guard against a mistyped range, not a limit of the code.
pub const MAX_RUNS: usize = 10_000;
/// The sweep's table of runs and results, in the sweep's output folder.
pub const TABLE_FILE: &str = "sweep.csv";

/// Summary entries written by the simulation loop, which lead the table's result columns.
pub const LEADING_COLUMNS: [&str; 5] = ["steps", "time_s", "iteration", "step", "snapshots"];
/// Summary entries left out of sweep.csv: the wall time differs from one execution to the
/// next, and the table holds only what the scenario decides, so that a sweep run as one
/// command and the same sweep run case by case on a cluster give the same file.
const UNTABULATED: [&str; 1] = ["wall_time_s"];

/// Whether a summary's status says the run needs no more work (`RunStatus::is_finished`).
fn finished(status: &str) -> bool {
    super::RunStatus::parse(status).is_some_and(|s| s.is_finished())
}

/// One swept key and its values, each TOML text as `--set key=value` takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    pub key: String,
    pub values: Vec<String>,
}

impl SweepAxis {
    /// Reads `section.key=v1,v2,...` (TOML values; commas inside quotes or brackets do not
    /// split), `section.key=lin:a:b:n` (n evenly spaced numbers from a to b) or
    /// `section.key=log:a:b:n` (n numbers from a to b in a constant ratio).
    pub fn parse(spec: &str) -> Result<SweepAxis, String> {
        let (key, list) = spec
            .split_once('=')
            .ok_or_else(|| format!("--vary {spec:?}: expected section.key=values"))?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(|part| part.trim().is_empty()) {
            return Err(format!("--vary {spec:?}: empty name in key path {key:?}"));
        }
        let list = list.trim();
        let values = if let Some(range) = list.strip_prefix("lin:") {
            number_range(range, false).map_err(|e| format!("--vary {spec:?}: {e}"))?
        } else if let Some(range) = list.strip_prefix("log:") {
            number_range(range, true).map_err(|e| format!("--vary {spec:?}: {e}"))?
        } else {
            split_top_level(list)
        };
        if values.iter().any(String::is_empty) {
            return Err(format!("--vary {spec:?}: empty value in the list"));
        }
        for (i, v) in values.iter().enumerate() {
            if values[..i].contains(v) {
                return Err(format!("--vary {spec:?}: value {v} is listed twice"));
            }
        }
        Ok(SweepAxis {
            key: key.to_string(),
            values,
        })
    }
}

/// `a:b:n` as n numbers from a to b, evenly spaced or (`log`) in a constant ratio, each
/// printed with at most 12 significant digits so that 0.1 stays 0.1.
fn number_range(text: &str, log: bool) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let form = if log { "log:a:b:n" } else { "lin:a:b:n" };
    let [a, b, n] = parts[..] else {
        return Err(format!("expected {form}"));
    };
    let number = |s: &str| {
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{s:?} is not a number (expected {form})"))
    };
    let (a, b) = (number(a)?, number(b)?);
    let n: usize = n
        .parse()
        .ok()
        .filter(|n| (2..=MAX_RUNS).contains(n))
        .ok_or_else(|| format!("count {n:?} must be a whole number in [2, {MAX_RUNS}]"))?;
    if log && (a == 0.0 || b == 0.0 || (a < 0.0) != (b < 0.0)) {
        return Err(format!(
            "a log range needs two non-zero ends of the same sign, got {a} and {b}"
        ));
    }
    Ok((0..n)
        .map(|i| {
            let s = i as f64 / (n - 1) as f64;
            let v = match (i + 1 == n, log) {
                (true, _) => b,
                (false, false) => a + (b - a) * s,
                (false, true) => a * (b / a).powf(s),
            };
            let tidy: f64 = format!("{v:.11e}").parse().expect("formatted f64 parses");
            io::format_number(tidy)
        })
        .collect())
}

/// Splits at commas outside quotes and brackets, trimming each piece.
fn split_top_level(list: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut depth = 0i32;
    for ch in list.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if ch == '\\' && q == '"' {
                    escaped = true;
                } else if ch == q {
                    quote = None;
                }
            }
            None => match ch {
                '"' | '\'' => quote = Some(ch),
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    pieces.push(current.trim().to_string());
                    current.clear();
                    continue;
                }
                _ => {}
            },
        }
        current.push(ch);
    }
    pieces.push(current.trim().to_string());
    pieces
}

/// A value as a person reads it: a TOML string without its quotes, anything else as typed.
fn plain_value(value: &str) -> String {
    match toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
    {
        Some(toml::Value::String(s)) => s,
        _ => value.to_string(),
    }
}

/// One planned run of a sweep.
#[derive(Debug, Clone)]
pub struct SweepRun {
    /// Its folder inside the sweep's output folder: `run-000`, `run-001`, ...
    pub folder: String,
    /// (key, value) of every swept key, in the order the axes were given.
    pub assignments: Vec<(String, String)>,
    pub scenario: Scenario,
}

impl SweepRun {
    /// `key=value, key=value`, as shown to users.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .assignments
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        parts.join(", ")
    }
}

/// Every combination of the axes' values, validated. The last axis varies fastest.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    pub axes: Vec<SweepAxis>,
    pub combine: Combine,
    pub runs: Vec<SweepRun>,
}

/// How the axes' values combine into runs (named as in sweep files and the plan record).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Combine {
    /// Every combination (the last axis varies fastest).
    #[serde(rename = "grid")]
    Product,
    /// The i-th values of all axes together (all axes equally long): a refinement study
    /// varies `grid.nx` and `grid.dx` this way.
    #[serde(rename = "zip")]
    Zip,
}

impl SweepPlan {
    /// Reads `file`, applies `sets` and each run's values, and validates every run. An
    /// invalid run is an error naming its folder and values; nothing runs then.
    pub fn new(
        file: &Path,
        sets: &[String],
        axes: Vec<SweepAxis>,
        combine: Combine,
    ) -> Result<SweepPlan> {
        if axes.is_empty() {
            bail!("a sweep needs at least one --vary section.key=values");
        }
        for (i, axis) in axes.iter().enumerate() {
            if axes[..i].iter().any(|a| a.key == axis.key) {
                bail!("--vary {}: the key is varied twice", axis.key);
            }
            if sets
                .iter()
                .any(|s| s.split('=').next().map(str::trim) == Some(axis.key.as_str()))
            {
                bail!(
                    "{} is both varied (--vary) and set (--set); give it one way only",
                    axis.key
                );
            }
        }
        let count = match combine {
            Combine::Product => axes
                .iter()
                .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
                .filter(|&n| n <= MAX_RUNS)
                .ok_or_else(|| {
                    anyhow!("the sweep would make more than {MAX_RUNS} runs; vary fewer values")
                })?,
            Combine::Zip => {
                let n = axes[0].values.len();
                if let Some(a) = axes.iter().find(|a| a.values.len() != n) {
                    bail!(
                        "--zip pairs the values of every --vary, but {} has {} values and {} has {n}",
                        a.key,
                        a.values.len(),
                        axes[0].key
                    );
                }
                n
            }
        };
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("{name}: cannot read the scenario"))?;
        let width = (count - 1).to_string().len().max(3);
        let mut runs = Vec::with_capacity(count);
        for index in 0..count {
            // Zip: the index-th value of each axis. Product: the index's mixed-radix digits,
            // the last axis fastest.
            let mut rest = index;
            let mut assignments = vec![(String::new(), String::new()); axes.len()];
            for (slot, axis) in assignments.iter_mut().zip(&axes).rev() {
                let value = match combine {
                    Combine::Zip => &axis.values[index],
                    Combine::Product => &axis.values[rest % axis.values.len()],
                };
                rest /= axis.values.len();
                *slot = (axis.key.clone(), value.clone());
            }
            let mut overrides = sets.to_vec();
            overrides.extend(assignments.iter().map(|(k, v)| format!("{k}={v}")));
            let folder = format!("run-{index:0width$}");
            let scenario = Scenario::parse(&name, &text, &overrides).map_err(|e| {
                let values: Vec<String> = assignments
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                anyhow!("sweep {folder} ({}): {e}", values.join(", "))
            })?;
            let assignments = assignments
                .into_iter()
                .map(|(k, v)| (k, plain_value(&v)))
                .collect();
            runs.push(SweepRun {
                folder,
                assignments,
                scenario,
            });
        }
        Ok(SweepPlan {
            axes,
            combine,
            runs,
        })
    }

    /// Case `index` (`--case`), or an error naming the cases there are.
    pub fn run_at(&self, index: usize) -> Result<&SweepRun> {
        let total = self.runs.len();
        self.runs.get(index).ok_or_else(|| {
            anyhow!(
                "--case {index}: this sweep has cases 0 to {} ({total} runs)",
                total - 1
            )
        })
    }

    /// What `--collect` needs to know of the plan: axes and cases (collect.rs).
    pub fn record(&self) -> PlanRecord {
        PlanRecord {
            combine: self.combine,
            axes: self
                .axes
                .iter()
                .map(|a| AxisRecord {
                    key: a.key.clone(),
                    values: a.values.iter().map(|v| plain_value(v)).collect(),
                })
                .collect(),
            cases: self
                .runs
                .iter()
                .map(|r| CaseRecord {
                    folder: r.folder.clone(),
                    values: r.assignments.iter().map(|(_, v)| v.clone()).collect(),
                    fingerprint: io::checkpoint::hash_hex(fingerprint(&r.scenario).as_bytes()),
                })
                .collect(),
        }
    }
}

/// How one run of a sweep starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// From its initial state, writing over what an earlier run left in its folder.
    Fresh,
    /// From the checkpoint in its folder.
    Resume,
    /// Not at all: an earlier sweep finished it with this scenario (its summary.json).
    Finished(serde_json::Map<String, serde_json::Value>),
}

/// Decides how each run starts. Without `resume` every run starts fresh. With it, a run whose
/// folder holds a finished (or diverged) summary of exactly this scenario is kept, one with a
/// checkpoint of this scenario continues from it (so a raised `run.end_time` extends finished
/// runs), and the rest start fresh. A folder holding another scenario is an error.
/// Without `resume`, an output folder that already holds a sweep is an error: the new runs
/// would replace some of its run folders and leave the others (and its sweep.csv would no
/// longer list them).
pub fn plan_starts(plan: &SweepPlan, out_dir: &Path, resume: bool) -> Result<Vec<Start>> {
    if !resume {
        let earlier = earlier_sweep(out_dir);
        if !earlier.is_empty() {
            bail!(
                "{} already holds a sweep ({}); add --resume to keep its finished runs and \
                 run the rest, or sweep into another --out folder",
                out_dir.display(),
                earlier.join(", ")
            );
        }
    }
    plan.runs
        .iter()
        .map(|r| match resume {
            true => start_of(r, out_dir, "--resume"),
            false => Ok(Start::Fresh),
        })
        .collect()
}

/// How run `r` continues from what its folder in `out_dir` holds: kept when finished with
/// exactly this scenario, resumed from a checkpoint of it, or started afresh; a folder
/// holding another scenario is an error, named after the option (`asked`) that looked.
fn start_of(r: &SweepRun, out_dir: &Path, asked: &str) -> Result<Start> {
    let dir = out_dir.join(&r.folder);
    let Some((old_text, old)) = scenario_in(&dir) else {
        return Ok(Start::Fresh);
    };
    let old = old.map_err(|e| anyhow!("{asked}: {e}"))?;
    if fingerprint(&old) != fingerprint(&r.scenario) {
        bail!(
            "{asked}: {} holds a run of another scenario than this sweep's {} ({}); \
             sweep into another --out folder",
            dir.display(),
            r.folder,
            r.describe()
        );
    }
    let finished = read_summary(&dir).filter(|s| {
        let status = s.get("status").and_then(|v| v.as_str()).unwrap_or("");
        finished(status) || status == "diverged"
    });
    match finished {
        Some(summary) if old_text == r.scenario.resolved_toml() => Ok(Start::Finished(summary)),
        _ if dir.join(io::CHECKPOINT_FILE).exists() => Ok(Start::Resume),
        _ => Ok(Start::Fresh),
    }
}

/// The scenario a run folder holds: its scenario.toml's text and the scenario read from
/// it; None when the folder has none.
fn scenario_in(dir: &Path) -> Option<(String, Result<Scenario, crate::input::ScenarioError>)> {
    let path = dir.join(io::SCENARIO_FILE);
    let text = std::fs::read_to_string(&path).ok()?;
    let scenario = Scenario::parse(&path.display().to_string(), &text, &[]);
    Some((text, scenario))
}

/// What of a sweep an output folder holds: its sweep.csv and run folders (`run-<digits>`).
fn earlier_sweep(out_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(out_dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut runs = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_run = name.strip_prefix("run-").is_some_and(io::is_number);
        if name == TABLE_FILE {
            found.push(TABLE_FILE.to_string());
        } else if is_run && e.path().is_dir() {
            runs += 1;
        }
    }
    if runs > 0 {
        found.push(format!(
            "{runs} run folder{}",
            if runs == 1 { "" } else { "s" }
        ));
    }
    found
}

fn read_summary(dir: &Path) -> Option<serde_json::Map<String, serde_json::Value>> {
    let text = std::fs::read_to_string(dir.join(io::SUMMARY_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// What became of one run.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// "pending", a run status ("completed", "model finished", "step limit"), "diverged" or
    /// "failed".
    pub status: String,
    /// Finished by an earlier sweep and kept (`--resume`).
    pub earlier: bool,
    /// The numbers and flags of its summary.json, in its order.
    pub results: Vec<(String, serde_json::Value)>,
    /// Why it stopped, for runs that diverged or failed.
    pub message: String,
}

impl RunOutcome {
    fn pending() -> RunOutcome {
        RunOutcome {
            status: "pending".into(),
            earlier: false,
            results: Vec::new(),
            message: String::new(),
        }
    }

    fn from_summary(summary: &serde_json::Map<String, serde_json::Value>) -> RunOutcome {
        let text = |k: &str| summary.get(k).and_then(|v| v.as_str()).unwrap_or("");
        RunOutcome {
            status: text("status").to_string(),
            earlier: false,
            results: summary
                .iter()
                .filter(|(k, v)| {
                    (v.is_number() || v.is_boolean()) && !UNTABULATED.contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            message: text("error").to_string(),
        }
    }

    /// True for runs that reached their end (not pending, diverged or failed).
    pub fn finished(&self) -> bool {
        finished(&self.status)
    }
}

/// Where a sweep writes, how loudly, and how many runs share the device at a time.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub out_dir: PathBuf,
    pub quiet: bool,
    /// Runs at once, each on a thread of its own (1 = one after another, with progress).
    pub parallel: usize,
    /// Draw no pictures in the runs (`--no-pictures`); the sweep's own plots are drawn.
    pub no_pictures: bool,
}

/// Runs every planned run that `starts` does not mark finished, on `gpu`: one after another,
/// or `opts.parallel` at a time. A run that diverges or fails is recorded and the sweep goes
/// on; `sweep.csv` is rewritten after every run, so a killed sweep leaves a table of the runs
/// it finished. Concurrent runs share nothing but the device (each submits and waits on its
/// own, `Gpu::submit`), so their results are bitwise those of runs made one at a time.
pub fn run_sweep(
    plan: &SweepPlan,
    starts: &[Start],
    gpu: &Gpu,
    opts: &SweepOptions,
) -> Result<Vec<RunOutcome>> {
    std::fs::create_dir_all(&opts.out_dir)
        .with_context(|| format!("cannot create output folder {}", opts.out_dir.display()))?;
    let total = plan.runs.len();
    let record = plan.record();
    record.save(&opts.out_dir)?;
    let outcomes = Mutex::new(vec![RunOutcome::pending(); total]);
    write_table(&record, &outcomes.lock().unwrap(), &opts.out_dir)?;
    let next = AtomicUsize::new(0);
    let table_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let workers = opts.parallel.clamp(1, total);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                // Progress bars of concurrent runs would overwrite each other.
                let quiet_run = opts.quiet || workers > 1;
                let outcome = run_one(plan, i, &starts[i], gpu, opts, quiet_run);
                let mut all = outcomes.lock().unwrap_or_else(|e| e.into_inner());
                all[i] = outcome;
                if let Err(e) = write_table(&record, &all, &opts.out_dir) {
                    table_error
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_or_insert(e);
                }
            });
        }
    });
    if let Some(e) = table_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let outcomes = outcomes.into_inner().unwrap_or_else(|e| e.into_inner());
    report::write_report(&record, &outcomes, &opts.out_dir)?;
    Ok(outcomes)
}

/// Runs case `index` of the plan alone, as one task of a scheduler's job array: into its own
/// folder, after checking that the sweep folder holds this plan or none. It keeps the
/// case if an earlier task finished it and continues it from its checkpoint if one was cut
/// short (a requeued task), and writes nothing shared but the plan record, whose content
/// every case writes the same; `--collect` makes sweep.csv, so concurrent cases never
/// write one file differently.
pub fn run_case(
    plan: &SweepPlan,
    index: usize,
    gpu: &Gpu,
    opts: &SweepOptions,
) -> Result<RunOutcome> {
    let run = plan.run_at(index)?;
    std::fs::create_dir_all(&opts.out_dir)
        .with_context(|| format!("cannot create output folder {}", opts.out_dir.display()))?;
    let record = plan.record();
    record.check_or_save(&opts.out_dir)?;
    let start = start_of(run, &opts.out_dir, &format!("--case {index}"))?;
    Ok(run_one(plan, index, &start, gpu, opts, opts.quiet))
}

/// Makes (or keeps) run `i` of the plan and says what became of it.
fn run_one(
    plan: &SweepPlan,
    i: usize,
    start: &Start,
    gpu: &Gpu,
    opts: &SweepOptions,
    quiet_run: bool,
) -> RunOutcome {
    let r = &plan.runs[i];
    let total = plan.runs.len();
    let dir = opts.out_dir.join(&r.folder);
    if let Start::Finished(summary) = start {
        let mut o = RunOutcome::from_summary(summary);
        o.earlier = true;
        if !opts.quiet {
            println!(
                "[{}/{total}] {}: {} by an earlier sweep, kept ({})",
                i + 1,
                r.folder,
                o.status,
                r.describe()
            );
        }
        return o;
    }
    if !opts.quiet {
        let how = if *start == Start::Resume {
            "resuming"
        } else {
            "running"
        };
        println!("[{}/{total}] {}: {how} {}", i + 1, r.folder, r.describe());
    }
    let run_opts = RunOptions {
        out_dir: dir.clone(),
        resume: *start == Start::Resume,
        quiet: quiet_run,
        no_pictures: opts.no_pictures,
        ..RunOptions::default()
    };
    let result = run(&r.scenario, gpu, &run_opts);
    let mut o = read_summary(&dir)
        .map(|s| RunOutcome::from_summary(&s))
        .unwrap_or_else(RunOutcome::pending);
    match result {
        Ok(report) => o.status = report.status.to_string(),
        Err(e) => {
            o.status = if e.is::<Diverged>() {
                "diverged"
            } else {
                "failed"
            }
            .into();
            o.message = format!("{e:#}");
        }
    }
    if !opts.quiet {
        match o.message.is_empty() {
            true => println!("{}: {}", r.folder, o.status),
            false => println!("{}: {}: {}", r.folder, o.status, o.message),
        }
    }
    o
}

/// Writes `sweep.csv`: one row per run (folder, swept values, status, every number of its
/// summary.json, and the message of a run that stopped early), atomically.
pub fn write_table(plan: &PlanRecord, outcomes: &[RunOutcome], out_dir: &Path) -> Result<()> {
    // The loop's own figures first, then the model's results as they first appear.
    let mut result_columns: Vec<&str> = Vec::new();
    for o in outcomes {
        for (k, _) in &o.results {
            if !result_columns.contains(&k.as_str()) {
                result_columns.push(k);
            }
        }
    }
    let rank = |c: &&str| {
        LEADING_COLUMNS
            .iter()
            .position(|l| l == c)
            .unwrap_or(usize::MAX)
    };
    result_columns.sort_by_key(rank);
    let mut header: Vec<String> = vec!["run".into()];
    header.extend(plan.axes.iter().map(|a| a.key.clone()));
    header.push("status".into());
    header.extend(result_columns.iter().map(|c| c.to_string()));
    header.push("message".into());
    let path = out_dir.join(TABLE_FILE);
    write_atomic(&path, |w| {
        use std::io::Write;
        writeln!(w, "{}", csv_row(&header))?;
        for (r, o) in plan.cases.iter().zip(outcomes) {
            let mut cells: Vec<String> = vec![r.folder.clone()];
            cells.extend(r.values.iter().cloned());
            cells.push(o.status.clone());
            for c in &result_columns {
                let value = o.results.iter().find(|(k, _)| k == c).map(|(_, v)| v);
                cells.push(value.map_or(String::new(), |v| v.to_string()));
            }
            cells.push(o.message.clone());
            writeln!(w, "{}", csv_row(&cells))?;
        }
        Ok(())
    })?;
    Ok(())
}

/// One CSV line; fields with commas, quotes or line breaks are quoted (RFC 4180).
fn csv_row(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect();
    quoted.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(spec: &str) -> Vec<String> {
        SweepAxis::parse(spec).unwrap().values
    }

    #[test]
    fn lists_split_at_top_level_commas_only() {
        assert_eq!(values("a.b=1, 2e-6 ,3"), ["1", "2e-6", "3"]);
        assert_eq!(values(r#"a.b="x,y",z"#), [r#""x,y""#, "z"]);
        assert_eq!(values("a.b=[1, 2],[3, 4]"), ["[1, 2]", "[3, 4]"]);
        assert_eq!(values("a.b=-0.3"), ["-0.3"]);
        assert!(SweepAxis::parse("a.b=1,,2").is_err());
        assert!(SweepAxis::parse("a.b=1,2,1").is_err());
        assert!(SweepAxis::parse("a.b").is_err());
        assert!(SweepAxis::parse("a..b=1").is_err());
    }

    #[test]
    fn ranges_end_exactly_at_both_ends() {
        assert_eq!(values("a.b=lin:0:1:5"), ["0", "0.25", "0.5", "0.75", "1"]);
        assert_eq!(
            values("a.b=lin:-0.2:-0.5:4"),
            ["-0.2", "-0.3", "-0.4", "-0.5"]
        );
        assert_eq!(values("a.b=log:1e-3:1e-1:3"), ["0.001", "0.01", "0.1"]);
        assert_eq!(
            values("a.b=log:1e-9:1e-6:4"),
            ["1e-9", "1e-8", "1e-7", "1e-6"]
        );
        assert!(SweepAxis::parse("a.b=log:-1:1:3").is_err());
        assert!(SweepAxis::parse("a.b=lin:0:1:1").is_err());
        assert!(SweepAxis::parse("a.b=lin:0:1").is_err());
        assert!(SweepAxis::parse("a.b=lin:0:x:3").is_err());
    }

    #[test]
    fn product_takes_every_combination_and_zip_pairs_values() {
        let file =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/diffusion-gaussian-2d.toml");
        let axes = || {
            vec![
                SweepAxis::parse("grid.nx=32,64").unwrap(),
                SweepAxis::parse("grid.dx=2e-6,1e-6").unwrap(),
            ]
        };
        let runs = |combine| {
            SweepPlan::new(&file, &[], axes(), combine)
                .unwrap()
                .runs
                .iter()
                .map(|r| (r.folder.clone(), r.scenario.grid.nx, r.scenario.grid.dx))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            runs(Combine::Product),
            [
                ("run-000".to_string(), 32, 2e-6),
                ("run-001".to_string(), 32, 1e-6),
                ("run-002".to_string(), 64, 2e-6),
                ("run-003".to_string(), 64, 1e-6),
            ]
        );
        assert_eq!(
            runs(Combine::Zip),
            [
                ("run-000".to_string(), 32, 2e-6),
                ("run-001".to_string(), 64, 1e-6)
            ]
        );
        let uneven = vec![
            SweepAxis::parse("grid.nx=32,64,128").unwrap(),
            SweepAxis::parse("grid.dx=2e-6,1e-6").unwrap(),
        ];
        let err = SweepPlan::new(&file, &[], uneven, Combine::Zip).unwrap_err();
        assert!(
            err.to_string()
                .contains("grid.dx has 2 values and grid.nx has 3"),
            "{err}"
        );
    }

    #[test]
    fn strings_lose_their_quotes_in_the_table_and_csv_quotes_what_it_must() {
        assert_eq!(plain_value(r#""periodic""#), "periodic");
        assert_eq!(plain_value("1e-6"), "1e-6");
        assert_eq!(
            csv_row(&["a".into(), "b,c".into(), "say \"x\"".into()]),
            r#"a,"b,c","say ""x""""#
        );
    }
}
