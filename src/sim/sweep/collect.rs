//! The sweep folder's record of its plan (`sweep-plan.json`) and `--collect`, which rebuilds
//! sweep.csv, the plots and index.html from whatever cases have finished, the way a
//! scheduler's last job does after the cases ran as separate tasks.

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

use super::{read_summary, report, scenario_in, write_table, Combine, RunOutcome, TABLE_FILE};
use crate::io::{self, write_bytes_atomic};

/// The plan record's file in the sweep folder.
pub const PLAN_FILE: &str = "sweep-plan.json";

/// A swept key and its values as people read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisRecord {
    pub key: String,
    pub values: Vec<String>,
}

/// One case: its folder, its value of each axis, and a hash of its resolved scenario's
/// fingerprint (so that a folder is matched with the case it ran).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    pub folder: String,
    pub values: Vec<String>,
    pub fingerprint: String,
}

/// What a sweep folder's results are tabulated and plotted by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub combine: Combine,
    pub axes: Vec<AxisRecord>,
    pub cases: Vec<CaseRecord>,
}

impl PlanRecord {
    fn text(&self) -> String {
        serde_json::to_string_pretty(self).expect("a plan record serializes") + "\n"
    }

    /// Writes the record into `dir` (atomically).
    pub fn save(&self, dir: &Path) -> Result<()> {
        Ok(write_bytes_atomic(
            &dir.join(PLAN_FILE),
            self.text().as_bytes(),
        )?)
    }

    /// Writes the record, or checks that the folder's is this one: a case of another sweep
    /// must not run into it. Every case writes the same bytes, so concurrent cases may race
    /// here harmlessly (each write is an atomic rename).
    pub fn check_or_save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(PLAN_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) if text == self.text() => Ok(()),
            Ok(_) => bail!(
                "{} holds another sweep's plan ({}): its axes, values or scenario differ from \
                 this sweep's; sweep into another --out folder",
                dir.display(),
                PLAN_FILE
            ),
            Err(_) => self.save(dir),
        }
    }

    /// Reads the record of the sweep in `dir`.
    pub fn load(dir: &Path) -> Result<PlanRecord> {
        let path = dir.join(PLAN_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{}: no sweep plan here ({PLAN_FILE} is written by `mesolyte sweep`, also \
                 with --case); is this a sweep folder?",
                dir.display()
            )
        })?;
        serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
    }
}

/// What `--collect` found.
pub struct Collected {
    pub outcomes: Vec<RunOutcome>,
    /// Folders of the cases with no result yet (not run, or still running).
    pub missing: Vec<String>,
    /// Folders and messages of the cases that diverged or failed.
    pub failed: Vec<(String, String)>,
}

/// Rebuilds sweep.csv, the plots and index.html of the sweep in `dir` from the summaries
/// its cases wrote so far.
pub fn collect(dir: &Path) -> Result<Collected> {
    let record = PlanRecord::load(dir)?;
    let mut outcomes = Vec::with_capacity(record.cases.len());
    let (mut missing, mut failed) = (Vec::new(), Vec::new());
    for case in &record.cases {
        let folder = dir.join(&case.folder);
        let outcome = match read_summary(&folder) {
            Some(summary) if same_case(&folder, case) => RunOutcome::from_summary(&summary),
            Some(_) => bail!(
                "{} holds a run of another scenario than case {} of this sweep",
                folder.display(),
                case.folder
            ),
            None => RunOutcome::pending(),
        };
        match outcome.status.as_str() {
            "pending" => missing.push(case.folder.clone()),
            "diverged" | "failed" => failed.push((case.folder.clone(), outcome.message.clone())),
            _ => {}
        }
        outcomes.push(outcome);
    }
    write_table(&record, &outcomes, dir)?;
    report::write_report(&record, &outcomes, dir)?;
    Ok(Collected {
        outcomes,
        missing,
        failed,
    })
}

/// Whether `folder`'s scenario.toml is the case's scenario.
fn same_case(folder: &Path, case: &CaseRecord) -> bool {
    scenario_in(folder).is_some_and(|(_, s)| {
        s.is_ok_and(|s| {
            io::checkpoint::hash_hex(super::fingerprint(&s).as_bytes()) == case.fingerprint
        })
    })
}

/// The table's path in `dir`, for messages.
pub fn table_path(dir: &Path) -> std::path::PathBuf {
    dir.join(TABLE_FILE)
}
