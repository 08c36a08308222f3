//! Scripts that run a sweep on a cluster, one scheduler task per case: a Slurm job array
//! (`--emit-slurm`) and a HyperQueue task array (`--emit-hq`). Each task runs
//! `mesolyte sweep … --case K`; a last step runs `mesolyte sweep --collect` on the folder.
//! Paths are made absolute, so the scripts work from any folder on the cluster.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

use crate::io::write_bytes_atomic;

/// What the scripts run: the program, the plan's arguments (a sweep file, or a scenario with
/// its `--vary`/`--zip`/`--set`), where the sweep goes, and how it is scheduled.
#[derive(Debug, Clone)]
pub struct Launch {
    pub program: PathBuf,
    pub plan_args: Vec<String>,
    pub out_dir: PathBuf,
    pub cases: usize,
    pub name: String,
    /// Slurm: most cases running at once (the array's `%` throttle).
    pub throttle: usize,
    /// GPUs per case: whole GPUs on Slurm; HyperQueue also takes a fraction (cases share).
    pub gpus_per_case: f64,
}

/// A word for a POSIX shell: unchanged when plain, otherwise in single quotes.
pub fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

impl Launch {
    /// The command of one case, with `case` as the shell text of its index (a variable).
    pub fn case_command(&self, case: &str) -> String {
        let mut words = vec![
            shell_word(&self.program.display().to_string()),
            "sweep".into(),
        ];
        words.extend(self.plan_args.iter().map(|a| shell_word(a)));
        words.extend([
            "--case".to_string(),
            case.to_string(),
            "--out".into(),
            shell_word(&self.out_dir.display().to_string()),
            "--quiet".into(),
        ]);
        words.join(" ")
    }

    /// The command that gathers the results.
    pub fn collect_command(&self) -> String {
        format!(
            "{} sweep --collect {}",
            shell_word(&self.program.display().to_string()),
            shell_word(&self.out_dir.display().to_string())
        )
    }

    fn logs(&self) -> PathBuf {
        self.out_dir.join("logs")
    }

    /// Slurm: `cases.sbatch` (the job array), `collect.sbatch` and `submit.sh`, which submits
    /// the array and the collect job to start when every case has ended (`afterany`, so
    /// that failed cases are reported rather than blocking the table). Returns the files.
    pub fn write_slurm(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let logs = shell_word(&self.logs().display().to_string());
        let gpus = self.gpus_per_case.ceil().max(0.0) as u64;
        let gpu_line = match gpus {
            0 => "# (no GPU requested: --gpus-per-case 0)".to_string(),
            n => format!("#SBATCH --gres=gpu:{n}"),
        };
        let cases = format!(
            "#!/bin/bash
# {name}: one array task per case of the sweep ({count} cases), at most {throttle} at once.
# Submit with submit.sh (it also queues the collect step). Add your site's partition and
# account lines here.
#SBATCH --job-name={name}
#SBATCH --array=0-{last}%{throttle}
{gpu_line}
#SBATCH --cpus-per-task=2
#SBATCH --time=01:00:00
#SBATCH --output={logs_raw}/case-%a.out
set -euo pipefail
{command}
",
            name = self.name,
            count = self.cases,
            throttle = self.throttle,
            last = self.cases - 1,
            logs_raw = self.logs().display(),
            command = self.case_command("\"$SLURM_ARRAY_TASK_ID\""),
        );
        let collect = format!(
            "#!/bin/bash
# {name}: gathers sweep.csv, the plots and index.html once every case has ended.
#SBATCH --job-name={name}-collect
#SBATCH --cpus-per-task=1
#SBATCH --time=00:15:00
#SBATCH --output={logs_raw}/collect.out
set -euo pipefail
{command}
",
            name = self.name,
            logs_raw = self.logs().display(),
            command = self.collect_command(),
        );
        let submit = format!(
            "#!/bin/bash
# Submits the {count} cases of {name} as a Slurm job array, then the collect job, which
# starts when every case has ended (afterany: failed cases are listed in sweep.csv).
set -euo pipefail
cd \"$(dirname \"$0\")\"
mkdir -p {logs}
array=$(sbatch --parsable cases.sbatch)
array=${{array%%;*}}
collect=$(sbatch --parsable --dependency=afterany:\"$array\" collect.sbatch)
echo \"submitted job array $array ({count} cases) and collect job ${{collect%%;*}}\"
",
            name = self.name,
            count = self.cases,
        );
        self.write_files(
            dir,
            &[
                ("cases.sbatch", cases),
                ("collect.sbatch", collect),
                ("submit.sh", submit),
            ],
        )
    }

    /// HyperQueue: `submit-hq.sh` submits one task array (each task one case, with its
    /// GPU share as a `gpus/nvidia` resource request), waits for it and collects. HyperQueue
    /// runs a task's command without a shell, so the case index comes in through
    /// `bash -c` and `$HQ_TASK_ID`. How many run at once follows from the workers'
    /// resources (a GPU fraction packs several cases per GPU).
    pub fn write_hq(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let logs = self.logs().display().to_string();
        let resource = match self.gpus_per_case {
            g if g <= 0.0 => String::new(),
            g => format!(
                " \\\n    --resource gpus/nvidia={}",
                crate::io::format_number(g)
            ),
        };
        let inner = self.case_command("\"$HQ_TASK_ID\"");
        let submit = format!(
            "#!/bin/bash
# Runs the {count} cases of {name} as a HyperQueue task array, then collects the results.
# Start a server first (hq server start &) and workers, by hand inside an allocation
# (hq worker start) or automatically (hq alloc add slurm --time-limit 1h -- <sbatch options>).
set -euo pipefail
mkdir -p {logs_word}
job=$(hq --output-mode=quiet submit --name {name} --array 0-{last}{resource} \\
    --stdout {stdout} --stderr {stderr} \\
    -- bash -c {inner})
echo \"submitted HyperQueue job $job ({count} cases); waiting for it\"
hq job wait \"$job\" || true
{collect}
",
            name = self.name,
            count = self.cases,
            last = self.cases - 1,
            logs_word = shell_word(&logs),
            stdout = shell_word(&format!("{logs}/case-%{{TASK_ID}}.out")),
            stderr = shell_word(&format!("{logs}/case-%{{TASK_ID}}.err")),
            inner = shell_word(&inner),
            collect = self.collect_command(),
        );
        self.write_files(dir, &[("submit-hq.sh", submit)])
    }

    fn write_files(&self, dir: &Path, files: &[(&str, String)]) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
        let mut written = Vec::new();
        for (name, text) in files {
            let path = dir.join(name);
            write_bytes_atomic(&path, text.as_bytes())?;
            make_executable(&path)?;
            written.push(path);
        }
        Ok(written)
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut p = std::fs::metadata(path)?.permissions();
    p.set_mode(p.mode() | 0o755);
    std::fs::set_permissions(path, p)?;
    Ok(())
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_quote_what_a_shell_would_split() {
        assert_eq!(shell_word("grid.nx=32,64"), "grid.nx=32,64");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
        assert_eq!(shell_word(""), "''");
    }
}
