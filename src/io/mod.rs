//! Everything a run writes: snapshots (.vti + .pvd), metrics.csv, summary.json, scenario.toml
//! and checkpoints, all written atomically.

pub mod atomic;
pub mod checkpoint;
pub mod vti_read;
pub mod vtk;

use anyhow::Result;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use atomic::{write_atomic, write_bytes_atomic};

/// The run folder and what has been written to it so far.
pub struct RunDir {
    pub dir: PathBuf,
    pub name: String,
    /// (time s, file name) of every snapshot, in order.
    pub snapshots: Vec<(f64, String)>,
    pub metric_columns: Vec<String>,
    pub metric_rows: Vec<Vec<f64>>,
}

pub const METRICS_FILE: &str = "metrics.csv";
pub const SUMMARY_FILE: &str = "summary.json";
pub const SCENARIO_FILE: &str = "scenario.toml";
pub const CHECKPOINT_FILE: &str = "checkpoint.bin";

impl RunDir {
    pub fn create(dir: &Path, name: &str) -> Result<RunDir> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create output folder {}: {e}", dir.display()))?;
        Ok(RunDir {
            dir: dir.to_path_buf(),
            name: name.to_string(),
            snapshots: Vec::new(),
            metric_columns: Vec::new(),
            metric_rows: Vec::new(),
        })
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    pub fn snapshot_name(&self, step: u64) -> String {
        format!("{}_{step:08}.vti", self.name)
    }

    pub fn pvd_path(&self) -> PathBuf {
        self.path(&format!("{}.pvd", self.name))
    }

    /// Records a written snapshot and rewrites the .pvd collection.
    pub fn add_snapshot(&mut self, time: f64, file: String) -> Result<()> {
        self.snapshots.push((time, file));
        vtk::write_pvd(&self.pvd_path(), &self.snapshots)
    }

    /// Appends one metrics row (columns fixed by the first row) and rewrites metrics.csv.
    pub fn add_metrics(&mut self, row: &[(String, f64)]) -> Result<()> {
        if self.metric_columns.is_empty() {
            self.metric_columns = row.iter().map(|(n, _)| n.clone()).collect();
        }
        anyhow::ensure!(
            row.len() == self.metric_columns.len()
                && row
                    .iter()
                    .zip(&self.metric_columns)
                    .all(|((n, _), c)| n == c),
            "metrics columns changed during the run"
        );
        self.metric_rows.push(row.iter().map(|(_, v)| *v).collect());
        self.write_metrics()
    }

    pub fn write_metrics(&self) -> Result<()> {
        write_atomic(&self.path(METRICS_FILE), |w| {
            writeln!(w, "{}", self.metric_columns.join(","))?;
            for r in &self.metric_rows {
                let cells: Vec<String> = r.iter().map(|v| format_number(*v)).collect();
                writeln!(w, "{}", cells.join(","))?;
            }
            Ok(())
        })?;
        Ok(())
    }

    pub fn write_json(&self, file: &str, value: &serde_json::Value) -> Result<()> {
        let text = serde_json::to_string_pretty(value)? + "\n";
        write_bytes_atomic(&self.path(file), text.as_bytes())?;
        Ok(())
    }
}

/// Shortest text that reads back as the same f64, in exponent form for very large or small
/// magnitudes (Rust's plain `{}` would print 4e-13 as 0.0000000000004).
pub fn format_number(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 || (1e-4..1e7).contains(&a) || !v.is_finite() {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}
