//! Everything a run writes: snapshots (.vti + .pvd), metrics.csv, summary.json, scenario.toml
//! and checkpoints, all written atomically.

pub mod atomic;
pub mod checkpoint;
pub mod image_read;
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
/// The run's metrics against time (drawn by sim/pictures.rs).
pub const METRICS_PICTURE: &str = "metrics.png";
/// The interface of every output, coloured by time (drawn by sim/pictures.rs).
pub const INTERFACE_PICTURE: &str = "interface.png";

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

    /// Removes what an earlier run of the same name left in the folder. `outputs`: its
    /// snapshots (`<name>_<step>.vti`), collection, metrics, summary and checkpoint, which a
    /// new run would overwrite in part and leave in part (ParaView groups every
    /// `<name>_*.vti` in a folder into one series, so an earlier run's snapshots would show
    /// up between the new ones). Always: the hidden temporary files of those, and of
    /// scenario.toml, that a killed run left (atomic.rs). Other files are left alone. Returns how many were removed.
    pub fn clear_earlier_run(&self, outputs: bool) -> Result<usize> {
        let prefix = format!("{}_", self.name);
        let own = |f: &str| {
            let numbered = |ext: &str| {
                f.strip_prefix(&prefix)
                    .and_then(|rest| rest.strip_suffix(ext))
                    .is_some_and(is_number)
            };
            numbered(".vti")
                || numbered(".png")
                || f == METRICS_PICTURE
                || f == INTERFACE_PICTURE
                || f == format!("{}.pvd", self.name)
                || f == METRICS_FILE
                || f == CHECKPOINT_FILE
                || f == SUMMARY_FILE
        };
        let temporary = |f: &str| {
            f.strip_prefix('.')
                .and_then(|rest| rest.rsplit_once(".tmp-"))
                .is_some_and(|(target, pid)| {
                    (own(target) || target == SCENARIO_FILE) && is_number(pid)
                })
        };
        let mut removed = 0;
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if ((outputs && own(name)) || temporary(name)) && entry.file_type()?.is_file() {
                std::fs::remove_file(entry.path()).map_err(|e| {
                    anyhow::anyhow!("cannot remove the earlier {}: {e}", entry.path().display())
                })?;
                removed += 1;
            }
        }
        Ok(removed)
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
    format_plain_within(v, 1e-4..1e7)
}

/// Whether `s` is a non-empty run of decimal digits: the step in a snapshot's name, the
/// index of a sweep's run folder, the process id of a temporary file.
pub fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `v` in exponent form with at most 4 significant digits and no trailing zeros (2.5e-4),
/// for figures that need not read back exactly (a stable step limit, an f32 file value).
pub fn short_exp(v: f64) -> String {
    let s = format!("{v:.3e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    format!("{mantissa}e{exp}")
}

/// Shortest text that reads back as `v`: plain for magnitudes in `plain` (and 0, NaN,
/// infinities), exponent form otherwise.
pub fn format_plain_within(v: f64, plain: std::ops::Range<f64>) -> String {
    if v == 0.0 || plain.contains(&v.abs()) || !v.is_finite() {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh run removes its own name's outputs of an earlier run, which would otherwise
    /// mix into ParaView's series, and killed runs' temporaries; nothing else. A resumed
    /// run removes only the temporaries.
    #[test]
    fn an_earlier_runs_outputs_are_cleared_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = RunDir::create(tmp.path(), "case").unwrap();
        let earlier = [
            "case_00000000.vti",
            "case_123456789.vti",
            "case.pvd",
            "metrics.csv",
            "summary.json",
            "checkpoint.bin",
        ];
        let temporaries = [
            ".case.pvd.tmp-42",
            ".checkpoint.bin.tmp-7",
            ".scenario.toml.tmp-9",
        ];
        let others = [
            "case_final.vti",
            "other_00000000.vti",
            "notes.txt",
            ".other.tmp-5",
            ".case.pvd.tmp-x",
            "scenario.toml",
        ];
        let make = || {
            for f in earlier.iter().chain(&temporaries).chain(&others) {
                std::fs::write(dir.path(f), b"x").unwrap();
            }
        };
        let left = || {
            let mut v: Vec<String> = std::fs::read_dir(tmp.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            v.sort();
            v
        };
        let sorted = |files: &[&str]| {
            let mut v: Vec<String> = files.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        };
        make();
        assert_eq!(dir.clear_earlier_run(true).unwrap(), 9);
        assert_eq!(left(), sorted(&others));
        make();
        assert_eq!(dir.clear_earlier_run(false).unwrap(), 3);
        let kept: Vec<&str> = earlier.iter().chain(&others).copied().collect();
        assert_eq!(left(), sorted(&kept));
    }
}
