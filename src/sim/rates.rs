//! The wall-time estimate at validation: each finished run records its speed (cell updates
//! per second of wall time, set-up and outputs included) per adapter, model and variant in a
//! small JSON file, and `validate` and `run` divide a new scenario's planned cell updates by
//! the recorded speed of the adapter that would run it. A speed cannot be known before
//! something has run on that adapter, so the first run of a model on an adapter says so
//! instead of guessing from another machine.
//!
//! The file is `$MESOLYTE_RATES` if set, else `$XDG_CACHE_HOME/mesolyte/rates.json`, else
//! `~/.cache/mesolyte/rates.json`. It only ever feeds printed estimates, never a result; a
//! file that is missing, unreadable or written by two runs at once costs an estimate, not a
//! run.

use super::ClockKind;
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

/// Environment variable naming the rate file (tests point it at a temporary folder).
pub const RATES_ENV: &str = "MESOLYTE_RATES";

/// Runs shorter than this (wall seconds) are not recorded: their set-up dominates.
pub const SHORTEST_RECORDED_S: f64 = 1.0;

/// Serialises this process's read-modify-write of the file (a parallel sweep ends runs on
/// several threads, which share one temporary file name).
static FILE_LOCK: Mutex<()> = Mutex::new(());

/// What a recorded speed applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateKey {
    pub adapter: String,
    pub model: String,
    /// The model's cost class (`ModelSpec::rate_variant`): 2D or 3D, and which stages run.
    pub variant: String,
}

impl RateKey {
    /// The key as the rate file spells it.
    pub fn text(&self) -> String {
        format!("{} | {} | {}", self.adapter, self.model, self.variant)
    }
}

/// The rate file's path, or `None` where no home or cache folder is known.
pub fn rates_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(RATES_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(cache.join("mesolyte").join("rates.json"))
}

fn read_book() -> BTreeMap<String, f64> {
    rates_path()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// The recorded speed for `key` (cell updates per wall second), if any.
pub fn lookup(key: &RateKey) -> Option<f64> {
    let _guard = FILE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    read_book()
        .get(&key.text())
        .copied()
        .filter(|r| r.is_finite() && *r > 0.0)
}

/// Records the speed of a finished run: `cell_updates` (cells × steps or iterations) in
/// `wall_s` seconds. Runs too short to measure are skipped; failures to write are ignored
/// (the estimate is a convenience).
pub fn record(key: &RateKey, cell_updates: f64, wall_s: f64) {
    if wall_s < SHORTEST_RECORDED_S || cell_updates.is_nan() || cell_updates <= 0.0 {
        return;
    }
    let Some(path) = rates_path() else { return };
    let _guard = FILE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut book = read_book();
    book.insert(key.text(), cell_updates / wall_s);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(text) = serde_json::to_string_pretty(&book) {
        let _ = crate::io::write_bytes_atomic(&path, text.as_bytes());
    }
}

/// The key of `scenario`'s runs on the adapter named `adapter`.
pub fn key(scenario: &Scenario, adapter: &str) -> RateKey {
    RateKey {
        adapter: adapter.to_string(),
        model: scenario.model_name().to_string(),
        variant: scenario.params.rate_variant(&scenario.grid),
    }
}

/// The estimate line for `scenario` on the adapter named `adapter`: its planned steps (or
/// iteration budget) times its cells, at the recorded speed.
pub fn scenario_estimate(scenario: &Scenario, adapter: &str) -> String {
    let iterations = scenario.model.clock == ClockKind::Iterations;
    let bound = scenario.params.step_bound();
    let steps = (scenario.run.end_time / scenario.time_step())
        .ceil()
        .min(scenario.run.max_steps as f64)
        .min(bound.map_or(f64::INFINITY, |b| b as f64));
    let updates = steps * scenario.grid.cells() as f64;
    // An iteration budget is an upper bound, unless the model fixes the count.
    estimate_line(
        &key(scenario, adapter),
        updates,
        iterations && bound.is_none(),
    )
}

/// A wall time for people: seconds, minutes, hours or days, two significant figures.
pub fn format_duration(seconds: f64) -> String {
    let (value, unit) = if seconds < 120.0 {
        (seconds, "s")
    } else if seconds < 7200.0 {
        (seconds / 60.0, "min")
    } else if seconds < 172_800.0 {
        (seconds / 3600.0, "h")
    } else {
        (seconds / 86_400.0, "days")
    };
    if value < 10.0 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.0} {unit}")
    }
}

/// The estimate line for a run of `cell_updates` on `key.adapter`: from the recorded speed,
/// or a note that this adapter has not run this model yet. `at_most`: the step count is an
/// upper bound (an iteration budget that convergence usually ends early).
pub fn estimate_line(key: &RateKey, cell_updates: f64, at_most: bool) -> String {
    let bound = if at_most { "at most " } else { "" };
    match lookup(key) {
        Some(rate) => format!(
            "estimated wall time on {}: {bound}about {} (from an earlier {} run there at {:.3e} cell updates/s)",
            key.adapter,
            format_duration(cell_updates / rate),
            key.variant,
            rate
        ),
        None => format!(
            "estimated wall time on {}: not known yet (no earlier {} {} run on this adapter; \
             each finished run records its speed in {})",
            key.adapter,
            key.model,
            key.variant,
            rates_path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| format!("${RATES_ENV}"))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(3.21), "3.2 s");
        assert_eq!(format_duration(95.0), "95 s");
        assert_eq!(format_duration(600.0), "10 min");
        assert_eq!(format_duration(5.0 * 3600.0), "5.0 h");
        assert_eq!(format_duration(14.0 * 86_400.0), "14 days");
    }
}
