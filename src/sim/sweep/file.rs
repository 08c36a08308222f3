//! Sweep files: a sweep's plan in TOML, the same plan `--vary`, `--zip` and `--set` give on
//! the command line, kept with a project and submitted to a cluster as it is.
//!
//! ```toml
//! [sweep]
//! scenario = "../superfill-trench-2d.toml"   # relative to this file
//! combine = "grid"                           # every combination (default), or "zip"
//! out = "runs/superfill-bath-sweep"          # optional default output folder
//!
//! [sweep.set]                                # fixed overrides for every case
//! "run.end_time" = 12.0
//!
//! [[sweep.axis]]
//! key = "superfill.accelerator_bulk_mol_m3"
//! values = [0.5e-3, 5e-3]                    # or lin = [from, to, count], log = [...]
//! ```

use anyhow::{anyhow, bail, Result};
use std::path::{Path, PathBuf};

use super::{number_range, Combine, SweepAxis};

/// A sweep file's plan.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepFile {
    /// The base scenario (resolved against the sweep file's folder).
    pub scenario: PathBuf,
    pub combine: Combine,
    /// Fixed overrides, as `--set key=value`.
    pub sets: Vec<String>,
    pub axes: Vec<SweepAxis>,
    /// The output folder the file names (resolved against the working folder, as `--out`).
    pub out: Option<PathBuf>,
}

/// Whether `text` is a sweep file (a `[sweep]` table and no `model` key) rather than a
/// scenario.
pub fn is_sweep_file(text: &str) -> bool {
    toml::from_str::<toml::Table>(text)
        .is_ok_and(|t| t.contains_key("sweep") && !t.contains_key("model"))
}

impl SweepFile {
    /// Reads and checks the sweep file at `path`; errors name the file and the key.
    pub fn load(path: &Path) -> Result<SweepFile> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow!("{name}: cannot read the sweep file: {e}"))?;
        let err = |key: &str, msg: String| anyhow!("{name}: {key}: {msg}");
        let mut top: toml::Table =
            toml::from_str(&text).map_err(|e| anyhow!("{name}: not valid TOML: {e}"))?;
        let Some(toml::Value::Table(mut sweep)) = top.remove("sweep") else {
            bail!("{name}: a sweep file needs a [sweep] table");
        };
        if let Some(k) = top.keys().next() {
            bail!("{name}: unknown key {k:?} (a sweep file has only the [sweep] table)");
        }
        let scenario = match sweep.remove("scenario") {
            Some(toml::Value::String(s)) => path.parent().unwrap_or(Path::new(".")).join(s),
            _ => bail!(err(
                "sweep.scenario",
                "required: the base scenario's path, relative to this file".into()
            )),
        };
        let combine = match sweep.remove("combine") {
            None => Combine::Product,
            Some(toml::Value::String(s)) if s == "grid" => Combine::Product,
            Some(toml::Value::String(s)) if s == "zip" => Combine::Zip,
            Some(v) => bail!(err(
                "sweep.combine",
                format!("{v} is not allowed; allowed: \"grid\" or \"zip\"")
            )),
        };
        let out = match sweep.remove("out") {
            None => None,
            Some(toml::Value::String(s)) => Some(PathBuf::from(s)),
            Some(v) => bail!(err("sweep.out", format!("{v}: expected a folder path"))),
        };
        let mut sets = Vec::new();
        match sweep.remove("set") {
            None => {}
            Some(toml::Value::Table(t)) => flatten("", &t, &mut sets),
            Some(_) => bail!(err(
                "sweep.set",
                "expected a table of key = value overrides".into()
            )),
        }
        let axes = match sweep.remove("axis") {
            Some(toml::Value::Array(list)) if !list.is_empty() => list
                .into_iter()
                .enumerate()
                .map(|(i, a)| read_axis(a).map_err(|e| err(&format!("sweep.axis[{i}]"), e)))
                .collect::<Result<Vec<_>>>()?,
            _ => bail!(err(
                "sweep.axis",
                "required: one or more [[sweep.axis]] tables with key and values (or lin, log)"
                    .into()
            )),
        };
        if let Some(k) = sweep.keys().next() {
            bail!(err(
                &format!("sweep.{k}"),
                "unknown key; allowed: scenario, combine, out, set, axis".into()
            ));
        }
        Ok(SweepFile {
            scenario,
            combine,
            sets,
            axes,
            out,
        })
    }
}

/// `[sweep.set]` entries as `key=value` texts; nested tables give dotted keys, so both
/// `"run.end_time" = 2.0` and `[sweep.set.run] end_time = 2.0` work.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            _ => out.push(format!("{key}={}", value_text(v))),
        }
    }
}

/// A value as TOML text; floats as people write them (1e-8, not 0.00000001), and still
/// floats (2.0, not 2).
fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::Float(f) => {
            let text = crate::io::format_number(*f);
            match text.parse::<i64>() {
                Ok(_) => format!("{text}.0"),
                Err(_) => text,
            }
        }
        _ => v.to_string(),
    }
}

/// One `[[sweep.axis]]`: `key` and exactly one of `values`, `lin`, `log`.
fn read_axis(value: toml::Value) -> Result<SweepAxis, String> {
    let toml::Value::Table(mut t) = value else {
        return Err("expected a table with key and values".into());
    };
    let key = match t.remove("key") {
        Some(toml::Value::String(k)) => k,
        _ => return Err("key: required, the swept section.key".into()),
    };
    let given: Vec<&str> = ["values", "lin", "log"]
        .into_iter()
        .filter(|k| t.contains_key(*k))
        .collect();
    if given.len() != 1 {
        return Err(format!(
            "{key}: give exactly one of values, lin = [from, to, count] or log = [from, to, count]"
        ));
    }
    let spec = match (given[0], t.remove(given[0])) {
        ("values", Some(toml::Value::Array(v))) => {
            let texts: Vec<String> = v.iter().map(value_text).collect();
            texts.join(",")
        }
        (kind, Some(toml::Value::Array(v))) if v.len() == 3 => {
            let n = |x: &toml::Value| match x {
                toml::Value::Integer(i) => Ok(*i as f64),
                toml::Value::Float(f) => Ok(*f),
                _ => Err(format!(
                    "{key}: {kind} takes three numbers [from, to, count]"
                )),
            };
            let (a, b, c) = (n(&v[0])?, n(&v[1])?, n(&v[2])?);
            // Checked here, formatted by the same code as --vary's ranges.
            number_range(&format!("{a}:{b}:{c}"), kind == "log")
                .map_err(|e| format!("{key}: {kind}: {e}"))?;
            format!("{kind}:{a}:{b}:{c}")
        }
        (kind, _) => return Err(format!("{key}: {kind} takes [from, to, count]")),
    };
    if let Some(k) = t.keys().next() {
        return Err(format!(
            "{key}: unknown key {k:?}; allowed: key, values, lin, log"
        ));
    }
    SweepAxis::parse(&format!("{key}={spec}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<SweepFile> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.toml");
        std::fs::write(&path, text).unwrap();
        SweepFile::load(&path)
    }

    #[test]
    fn reads_axes_sets_and_ranges_like_the_command_line() {
        let f = load(
            r#"
[sweep]
scenario = "base.toml"
combine = "zip"
[sweep.set]
"run.end_time" = 2.0
[sweep.set.grid]
nx = 32
[[sweep.axis]]
key = "a.b"
values = [1e-3, 0.5, "x"]
[[sweep.axis]]
key = "c.d"
log = [1e-3, 1e-1, 3]
"#,
        )
        .unwrap();
        assert_eq!(f.combine, Combine::Zip);
        assert!(f.scenario.ends_with("base.toml"));
        assert_eq!(f.sets, ["grid.nx=32", "run.end_time=2.0"]);
        assert_eq!(f.axes[0].values, ["0.001", "0.5", "\"x\""]);
        assert_eq!(f.axes[1], SweepAxis::parse("c.d=log:1e-3:1e-1:3").unwrap());
    }

    #[test]
    fn refuses_unknown_keys_and_unclear_axes() {
        let base = "[sweep]\nscenario = \"b.toml\"\n";
        let axis = "[[sweep.axis]]\nkey = \"a.b\"\nvalues = [1, 2]\n";
        let e = load(&format!("{base}colour = 1\n{axis}")).unwrap_err();
        assert!(e.to_string().contains("sweep.colour"), "{e}");
        let e = load(&format!(
            "{base}[[sweep.axis]]\nkey = \"a.b\"\nvalues = [1]\nlin = [0, 1, 3]\n"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("exactly one of"), "{e}");
        let e = load(&format!(
            "{base}[[sweep.axis]]\nkey = \"a.b\"\nlog = [0, 1, 3]\n"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("sweep.axis[0]"), "{e}");
        let e = load(base).unwrap_err();
        assert!(e.to_string().contains("sweep.axis"), "{e}");
        let e = load(&format!("{base}combine = \"all\"\n{axis}")).unwrap_err();
        assert!(e.to_string().contains("\"grid\" or \"zip\""), "{e}");
        assert!(is_sweep_file(&format!("{base}{axis}")));
        assert!(!is_sweep_file("model = \"diffusion\"\n"));
    }
}
