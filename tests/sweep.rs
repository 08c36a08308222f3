//! `mesolyte sweep` as a user drives it: every combination runs into its own folder with the
//! same results as a single run, sweep.csv tabulates them, bad values stop the sweep before
//! any run, and `--resume` keeps finished runs and finishes the others.

mod common;

use common::{mesolyte, ok, scenario};

use std::path::Path;
use std::process::Output;

fn mesolyte_owned(args: &[String]) -> Output {
    mesolyte(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// sweep.csv as rows of cells (no quoted cells are expected in these tests).
fn table(dir: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join("sweep.csv"))
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0].iter().position(|c| c == name).unwrap_or_else(|| {
        panic!("sweep.csv has no column {name}: {:?}", rows[0]);
    });
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

fn numbers(rows: &[Vec<String>], name: &str) -> Vec<f64> {
    column(rows, name)
        .iter()
        .map(|s| s.parse().unwrap())
        .collect()
}

/// Runs `file` once with `args` (its --set overrides) into `dir` and asserts that each of
/// `files` is byte for byte the same as in the sweep's `run_dir`.
fn assert_same_as_single_run(
    file: &str,
    args: &[&str],
    dir: &Path,
    run_dir: &Path,
    files: &[&str],
) {
    let mut a = vec!["run", file, "--out", dir.to_str().unwrap(), "-q"];
    a.extend(args);
    ok(&mesolyte(&a));
    for f in files {
        assert_eq!(
            std::fs::read(dir.join(f)).unwrap(),
            std::fs::read(run_dir.join(f)).unwrap(),
            "{f} of {} differs from the single run",
            run_dir.display()
        );
    }
}

/// The Gaussian diffusion scenario, small and short.
const SMALL: [&str; 6] = [
    "--set",
    "grid.ny=40",
    "--set",
    "run.end_time=0.05",
    "--set",
    "run.output_every=0.01",
];

#[test]
fn a_sweep_runs_every_combination_like_single_runs_and_resumes() {
    let _lock = common::gpu().1;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let file = scenario("diffusion-gaussian-2d.toml");
    let sweep_args = |extra: &[&str]| {
        let mut a = vec![
            "sweep",
            file.as_str(),
            "--out",
            out.to_str().unwrap(),
            "--vary",
            "diffusion.diffusivity_m2_s=1e-9,2e-9",
            "--vary",
            "grid.nx=lin:40:48:2",
        ];
        a.extend(SMALL);
        a.extend(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    // Two runs at a time: each waits for its own work only, and results must not notice.
    ok(&mesolyte_owned(&sweep_args(&["-q", "--parallel", "2"])));

    // Four runs, the last key varying fastest, all finished, with the loop's and the model's
    // figures as columns.
    let rows = table(&out);
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(
        column(&rows, "run"),
        ["run-000", "run-001", "run-002", "run-003"]
    );
    assert_eq!(
        column(&rows, "diffusion.diffusivity_m2_s"),
        ["1e-9", "1e-9", "2e-9", "2e-9"]
    );
    assert_eq!(column(&rows, "grid.nx"), ["40", "48", "40", "48"]);
    assert!(column(&rows, "status").iter().all(|s| s == "completed"));
    assert!(column(&rows, "total_mol").iter().all(|v| !v.is_empty()));
    // Twice the diffusivity halves the stable step: about twice the steps to the same end time
    // (each output time shortens one step).
    let steps = numbers(&rows, "steps");
    assert!((steps[2] / steps[0] - 2.0).abs() < 0.05, "{steps:?}");

    // Each run is the single run with the same overrides, bit for bit, though two ran at once.
    let single = tmp.path().join("single");
    let mut a = vec![
        "--set",
        "diffusion.diffusivity_m2_s=2e-9",
        "--set",
        "grid.nx=48",
    ];
    a.extend(SMALL);
    assert_same_as_single_run(
        &file,
        &a,
        &single,
        &out.join("run-003"),
        &["metrics.csv", "diffusion-gaussian-2d_00000000.vti"],
    );
    let last = |dir: &Path| {
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap())
                .unwrap();
        format!(
            "diffusion-gaussian-2d_{:08}.vti",
            summary["steps"].as_u64().unwrap()
        )
    };
    assert_eq!(
        std::fs::read(single.join(last(&single))).unwrap(),
        std::fs::read(out.join("run-003").join(last(&single))).unwrap()
    );
    assert_ne!(
        std::fs::read(out.join("run-001").join(last(&out.join("run-001")))).unwrap(),
        std::fs::read(out.join("run-003").join(last(&single))).unwrap(),
        "another diffusivity gave the same final field"
    );

    // A run killed before its summary was written is finished from its checkpoint; the
    // others are kept as they are.
    let killed = out.join("run-002");
    let before = std::fs::read(killed.join(last(&killed))).unwrap();
    let kept_file = out.join("run-000").join("metrics.csv");
    let kept_time = std::fs::metadata(&kept_file).unwrap().modified().unwrap();
    std::fs::remove_file(killed.join("summary.json")).unwrap();
    let log = ok(&mesolyte_owned(&sweep_args(&["--resume"])));
    assert!(
        log.contains("run-000: completed by an earlier sweep, kept"),
        "{log}"
    );
    assert!(log.contains("run-002: resuming"), "{log}");
    assert_eq!(std::fs::read(killed.join(last(&killed))).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&kept_file).unwrap().modified().unwrap(),
        kept_time
    );
    assert!(column(&table(&out), "status")
        .iter()
        .all(|s| s == "completed"));

    // Resuming into folders that hold other runs is refused before anything runs.
    let mut other = sweep_args(&["--resume", "-q"]);
    other[5] = "diffusion.diffusivity_m2_s=3e-9,2e-9".into();
    let refused = mesolyte_owned(&other);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("run-000") && err.contains("another scenario"),
        "{err}"
    );
    // So is a new sweep without --resume: it would replace some of the run folders and
    // leave the others, which sweep.csv would no longer list.
    let table_before = std::fs::read(out.join("sweep.csv")).unwrap();
    let mut fresh = sweep_args(&["-q"]);
    fresh[5] = "diffusion.diffusivity_m2_s=3e-9".into();
    let refused = mesolyte_owned(&fresh);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("already holds a sweep") && err.contains("--resume"),
        "{err}"
    );
    assert_eq!(std::fs::read(out.join("sweep.csv")).unwrap(), table_before);
}

#[test]
fn a_bad_value_stops_the_sweep_before_any_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let file = scenario("diffusion-gaussian-2d.toml");
    let refused = mesolyte(&[
        "sweep",
        &file,
        "--out",
        out.to_str().unwrap(),
        "--vary",
        "diffusion.diffusivity_m2_s=1e-9,-2e-9",
    ]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    for part in [
        "run-001",
        "diffusion.diffusivity_m2_s",
        "-2e-9",
        "allowed: (0, 1]",
    ] {
        assert!(err.contains(part), "message lacks {part}: {err}");
    }
    assert!(!out.exists(), "a refused sweep created its folder");
    // A key given both ways, and a malformed range, are refused too.
    for args in [
        ["--vary", "grid.nx=40,48", "--set", "grid.nx=32"].as_slice(),
        ["--vary", "grid.nx=lin:40:48"].as_slice(),
    ] {
        let mut a = vec!["sweep", file.as_str(), "--out", out.to_str().unwrap()];
        a.extend(args);
        let refused = mesolyte(&a);
        assert!(!refused.status.success(), "{args:?} was accepted");
        assert!(String::from_utf8_lossy(&refused.stderr).contains("grid.nx"));
    }
    assert!(!out.exists());
}

#[test]
fn a_voltage_sweep_reaches_the_dendrite_model() {
    let _lock = common::gpu().1;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let file = scenario("dendrite-2d.toml");
    let small = [
        "--set",
        "grid.nx=32",
        "--set",
        "grid.ny=8",
        "--set",
        "run.end_time=0.2",
        "--set",
        "run.output_every=0.1",
    ];
    let mut a = vec![
        "sweep",
        file.as_str(),
        "--out",
        out.to_str().unwrap(),
        "-q",
        "--parallel",
        "2",
        "--vary",
        "dendrite.applied_voltage_V=-0.25,-0.45",
    ];
    a.extend(small);
    ok(&mesolyte(&a));
    // The two ran at once, each with potential solves that read back every batch; the second
    // is still the single run, bit for bit.
    let mut a = vec!["--set", "dendrite.applied_voltage_V=-0.45"];
    a.extend(small);
    assert_same_as_single_run(
        &file,
        &a,
        &tmp.path().join("single"),
        &out.join("run-001"),
        &["metrics.csv", "checkpoint.bin"],
    );
    let rows = table(&out);
    assert!(column(&rows, "status").iter().all(|s| s == "completed"));
    let current = numbers(&rows, "current_density_A_m2");
    // Deposition (a cathodic current) at both voltages, and faster at the larger overpotential.
    assert!(
        current.iter().all(|c| c.abs() > 0.0) && current[1].abs() > 1.5 * current[0].abs(),
        "{current:?}"
    );
    assert!(!column(&rows, "dendrite_index")[0].is_empty());
}

/// The superfill sweep example (scenarios/superfill-sweep-2d.toml's comment) on a coarse
/// grid: sweep.csv says per run whether it filled without a void. Without accelerator the
/// trench closes with a void; with the shipped bath it fills bottom-up.
#[test]
fn a_superfill_additive_sweep_says_which_runs_are_void_free() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let file = scenario("superfill-sweep-2d.toml");
    let mut args = vec![
        "sweep",
        file.as_str(),
        "--out",
        out.to_str().unwrap(),
        "--vary",
        "superfill.accelerator_bulk_mol_m3=0.0,5e-3",
    ];
    args.extend(common::SUPERFILL_SMALL_GRID);
    args.push("-q");
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    ok(&mesolyte_owned(&args));
    let rows = table(&out);
    assert_eq!(numbers(&rows, "void_free"), vec![0.0, 1.0]);
    let fill = numbers(&rows, "fill_time_s");
    assert!(fill[1] < 8.0, "{fill:?}");
}
