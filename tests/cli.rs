//! The program as a user drives it: info, list, run outputs, atomic writes, resume after an
//! interruption, the divergence guard, and VTK's own reader on our .vti files.

mod common;

use common::{mesolyte, ok, scenario};

use mesolyte::sim::{self, Diverged, RunOptions};
use mesolyte::Scenario;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small, fast version of the shipped Gaussian scenario.
const SMALL: [&str; 8] = [
    "--set",
    "grid.nx=48",
    "--set",
    "grid.ny=40",
    "--set",
    "run.end_time=0.05",
    "--set",
    "run.output_every=0.005",
];

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn info_lists_an_adapter_with_its_limits() {
    let _lock = common::gpu().1;
    let text = ok(&mesolyte(&["info"]));
    assert!(text.contains("adapter 0:"), "{text}");
    assert!(text.contains("max storage binding"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&mesolyte(&["info", "--json"]))).unwrap();
    assert!(json[0]["max_storage_binding_size"].as_u64().unwrap() > 0);
}

#[test]
fn list_shows_shipped_scenarios() {
    let text = ok(&mesolyte(&["list", "--dir", &scenario("")]));
    assert!(
        text.contains("diffusion-gaussian-2d.toml") && text.contains("diffusion"),
        "{text}"
    );
    assert!(!text.contains("INVALID"), "{text}");
}

#[test]
fn run_writes_every_output_atomically() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut args = vec![
        "run",
        &*scenario("diffusion-gaussian-2d.toml").leak(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ];
    args.extend(SMALL);
    ok(&mesolyte(&args));
    let names = files(&out);
    for f in [
        "diffusion-gaussian-2d.pvd",
        "metrics.csv",
        "summary.json",
        "scenario.toml",
        "checkpoint.bin",
    ] {
        assert!(names.contains(&f.to_string()), "{f} missing from {names:?}");
    }
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "temporary files left: {names:?}"
    );
    let vtis: Vec<&String> = names.iter().filter(|n| n.ends_with(".vti")).collect();
    assert_eq!(vtis.len(), 11, "initial state + 10 outputs");
    // The collection lists every snapshot with its time.
    let pvd = std::fs::read_to_string(out.join("diffusion-gaussian-2d.pvd")).unwrap();
    for v in &vtis {
        assert!(pvd.contains(v.as_str()), "{v} not in pvd");
    }
    assert!(pvd.contains(r#"timestep="5e-3""#), "{pvd}");
    // metrics.csv: one row per output, columns with units.
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "time_s,step,total_mol,total_change_rel,c_min_mol_m3,c_max_mol_m3,c_mean_mol_m3"
    );
    assert_eq!(lines.count(), 11);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["status"], "completed");
    assert!(summary["adapter"].as_str().unwrap().len() > 2);
    assert!(summary["wall_time_s"].as_f64().unwrap() > 0.0);
    assert_eq!(summary["time_s"].as_f64().unwrap(), 0.05);
    // scenario.toml is the resolved scenario, overrides included, and runs as it is.
    let resolved = Scenario::load(&out.join("scenario.toml"), &[]).unwrap();
    assert_eq!(resolved.grid.nx, 48);
    assert_eq!(
        resolved.resolved["diffusion"]["bc_x"].as_str(),
        Some("periodic")
    );

    // Rerun with fewer outputs: the earlier run's snapshots go (ParaView would group them
    // with the new ones); a file of the user's stays.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    // SMALL's run.output_every replaced (a key given twice with --set is refused).
    let at = args
        .iter()
        .position(|a| *a == "run.output_every=0.005")
        .unwrap();
    args[at] = "run.output_every=0.025";
    ok(&mesolyte(&args));
    let names = files(&out);
    assert_eq!(names.iter().filter(|n| n.ends_with(".vti")).count(), 3);
    assert!(names.contains(&"notes.txt".to_string()));
    // Another scenario into the same folder is refused, and changes nothing there.
    let before: Vec<Vec<u8>> = names.iter().map(|f| read_file(out.join(f))).collect();
    let other = mesolyte(&[
        "run",
        &scenario("diffusion-depletion-2d.toml"),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(!other.status.success());
    let err = String::from_utf8_lossy(&other.stderr);
    assert!(
        err.contains("diffusion-gaussian-2d") && err.contains("--out"),
        "{err}"
    );
    assert_eq!(files(&out), names);
    let after: Vec<Vec<u8>> = names.iter().map(|f| read_file(out.join(f))).collect();
    assert!(before == after);
}

fn read_file(p: PathBuf) -> Vec<u8> {
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The grid of the gde resume tests (16 × 16 × 20), as `--set` arguments.
const GDE_RESUME_GRID: [&str; 6] = [
    "--set",
    "grid.nx=16",
    "--set",
    "grid.ny=16",
    "--set",
    "grid.nz=20",
];

/// The clock of the gde resume tests that iterate a lattice: outputs every 200 to 1400.
const LATTICE_RESUME_CLOCK: [&str; 4] = [
    "--set",
    "run.end_time=1400",
    "--set",
    "run.output_every=200",
];

/// Runs `file` with `args` once through and once halted after 5 outputs and resumed (a
/// checkpoint every other output, so the resume also redoes work after it), asserts that
/// every snapshot, the collection, metrics.csv and the checkpoint are identical, and returns
/// the resumed run's folder. Batches of 7 steps, so that outputs fall inside batches.
fn assert_resume_matches(dir: &Path, file: &str, args: &[&str]) -> PathBuf {
    assert_resume_matches_batched(dir, file, args, "run.check_every=7")
}

/// `assert_resume_matches` with the batch length `check_every` (a `--set` value).
fn assert_resume_matches_batched(
    dir: &Path,
    file: &str,
    args: &[&str],
    check_every: &str,
) -> PathBuf {
    let full = dir.join("full");
    let cut = dir.join("cut");
    let mut common_args: Vec<&str> = args.to_vec();
    common_args.extend([
        "--set",
        "run.checkpoint_every=2",
        "--set",
        check_every,
        "-q",
    ]);
    let mut a = vec!["run", file, "--out", full.to_str().unwrap()];
    a.extend(&common_args);
    ok(&mesolyte(&a));
    // Interrupted after 4 outputs (the 5th would come next); checkpoint at output 4.
    let mut b = vec![
        "run",
        file,
        "--out",
        cut.to_str().unwrap(),
        "--halt-after-outputs",
        "5",
    ];
    b.extend(&common_args);
    let halted = mesolyte(&b);
    assert_eq!(
        halted.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&halted.stderr)
    );
    assert!(!cut.join("summary.json").exists());
    let mut c = vec!["run", file, "--out", cut.to_str().unwrap(), "--resume"];
    c.extend(&common_args);
    ok(&mesolyte(&c));
    assert_eq!(files(&full), files(&cut));
    for f in files(&full).iter().filter(|f| {
        f.ends_with(".vti") || *f == "metrics.csv" || f.ends_with(".pvd") || *f == "checkpoint.bin"
    }) {
        assert!(
            read_file(full.join(f)) == read_file(cut.join(f)),
            "{f} differs after resume"
        );
    }
    cut
}

/// `common::SUPERFILL_SMALL_GRID` to 6 s, outputs every 0.5 s, solves every 2 steps.
fn superfill_small_trench() -> Vec<&'static str> {
    let mut a = common::SUPERFILL_SMALL_GRID.to_vec();
    a.extend([
        "--set",
        "superfill.species_every=2",
        "--set",
        "run.end_time=6.0",
        "--set",
        "run.output_every=0.5",
    ]);
    a
}

/// The superfill model's state (level set, surface amounts, concentrations, the Faraday
/// tally, seam marks, and the event history; the concentration solves start from zero and
/// keep nothing between steps) survives a resume bit for bit, summary included, through
/// reinitialisations and concentration solves (every 5 and 2 steps here) that fall on both
/// sides of the checkpoint, and guards every 7 steps.
#[test]
fn resumed_superfill_run_matches_uninterrupted_run_bit_for_bit() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("superfill-trench-2d.toml");
    let cut = assert_resume_matches(dir.path(), &file, &superfill_small_trench());
    let full = dir.path().join("full");
    assert_eq!(summary_but_wall_time(&full), summary_but_wall_time(&cut));
}

/// superfill plans its step before every step whatever `run.check_every` says (its
/// registry entry's `plan_every`, src/sim/run.rs): the key sets only how often the
/// divergence guard runs, which changes nothing. Guarded every step or every 1000 steps,
/// the run gives the same bits; had the plan followed `check_every` again, the second run
/// would keep its first step through the fill, whose speed grows tenfold.
#[test]
fn superfill_results_do_not_depend_on_the_guard_cadence() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("superfill-trench-2d.toml");
    let run = |check_every: &str| {
        let out = dir.path().join(check_every);
        let mut a = vec!["run", file.as_str(), "--out", out.to_str().unwrap(), "-q"];
        a.extend(superfill_small_trench());
        a.extend(["--set", check_every, "--no-pictures"]);
        ok(&mesolyte(&a));
        out
    };
    let every_step = run("run.check_every=1");
    let rarely = run("run.check_every=1000");
    let metrics = |d: &Path| std::fs::read_to_string(d.join("metrics.csv")).unwrap();
    assert_eq!(metrics(&every_step), metrics(&rarely));
    assert_eq!(
        summary_but_wall_time(&every_step),
        summary_but_wall_time(&rarely)
    );
}

/// `MESOLYTE_PROFILE=1` (src/gpu/profile.rs) prints GPU time per kernel at exit and changes
/// no result: the profiled run's metrics equal the plain run's, each step's two advection
/// stages appear as two dispatches of superfill/advect.wgsl, and the plain run prints no
/// table. (The times themselves are not checked: tests do not time things.)
#[test]
fn the_profile_counts_each_kernels_dispatches_and_changes_no_result() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("superfill-trench-2d.toml");
    let run = |name: &str, profile: &str| {
        let out = dir.path().join(name);
        let mut a = vec!["run", file.as_str(), "--out", out.to_str().unwrap(), "-q"];
        a.extend(common::SUPERFILL_SMALL_GRID);
        a.extend(["--set", "run.end_time=2.0", "--no-pictures"]);
        let env = [("MESOLYTE_PROFILE", std::ffi::OsStr::new(profile))];
        let o = common::mesolyte_with_env(&a, &env);
        ok(&o);
        (out, String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (plain, quiet) = run("plain", "");
    let (profiled, table) = run("profiled", "1");
    assert!(!quiet.contains("GPU time per kernel"), "{quiet}");
    let metrics = |d: &Path| std::fs::read_to_string(d.join("metrics.csv")).unwrap();
    assert_eq!(metrics(&plain), metrics(&profiled));
    if table.contains("no timestamp queries") {
        return; // an adapter without them: nothing to count
    }
    assert!(table.contains("GPU time per kernel"), "{table}");
    let steps: u64 = metrics(&profiled)
        .lines()
        .last()
        .and_then(|row| row.split(',').nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .expect("the last row's step") as u64;
    let advect: u64 = table
        .lines()
        .filter(|l| l.contains("superfill/advect.wgsl main"))
        .map(|l| l.split_whitespace().nth(2).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(advect, 2 * steps, "{table}");
    assert!(table.contains("solvers/cg_apply.wgsl main"), "{table}");
}

/// A run's summary.json without its wall time (the one key a resume may change).
fn summary_but_wall_time(d: &Path) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("wall_time_s");
    v
}

/// The dendrite model's state beyond its fields (the potential's last solution for the warm
/// start, the solver's totals, the time since the last solve) survives a resume: the
/// resumed run equals the uninterrupted one bit for bit, summary totals included.
#[test]
fn resumed_dendrite_run_matches_uninterrupted_run_bit_for_bit() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("dendrite-nucleation-2d.toml");
    let cut = assert_resume_matches(
        dir.path(),
        &file,
        &[
            "--set",
            "grid.nx=32",
            "--set",
            "run.end_time=0.03",
            "--set",
            "run.output_every=0.003",
            // Solves every few steps, so that several fall between outputs and checkpoints.
            "--set",
            "dendrite.potential_every_steps=5",
            // The explicit step here (the scenario's own is implicit, tested below).
            "--set",
            "dendrite.li_step=explicit",
            "--set",
            "grid.dx=1e-6",
            "--set",
            "dendrite.applied_voltage_V=-0.45",
        ],
    );
    let full = dir.path().join("full");
    let summary = |d: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap()).unwrap()
    };
    let (a, b) = (summary(&full), summary(&cut));
    assert!(a["potential_solves"].as_f64().unwrap() > 10.0, "{a}");
    for key in [
        "potential_solves",
        "potential_iterations_per_solve",
        "tip_height_m",
        "li_deposited_mol",
        "deposit_li_density_mol_m3",
        "current_density_A_m2",
    ] {
        assert_eq!(a[key], b[key], "{key} differs after resume");
    }
}

/// The implicit Li step resumes bit for bit too: its solve starts from w*, which the
/// checkpoint carries.
#[test]
fn resumed_implicit_li_run_matches_uninterrupted_run_bit_for_bit() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("dendrite-nucleation-2d.toml");
    assert_resume_matches(
        dir.path(),
        &file,
        &[
            "--set",
            "grid.nx=32",
            "--set",
            "run.end_time=0.03",
            "--set",
            "run.output_every=0.003",
            "--set",
            "dendrite.li_step=implicit",
        ],
    );
}

/// A gde run resumes inside a reactive stage bit for bit. Its metric rows hold NaN for the
/// results no stage has produced yet (permeability, D_eff), which a checkpoint must carry:
/// JSON has no NaN, and such checkpoints once failed to read back. On the lattice: the
/// steady solve takes each stage in one step.
#[test]
fn resumed_gde_run_matches_uninterrupted_run_bit_for_bit() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("gde-cl-oxygen.toml");
    let lattice = ["--set", "gde.species.solver=\"lattice\""];
    let args = [&lattice[..], &GDE_RESUME_GRID, &LATTICE_RESUME_CLOCK].concat();
    assert_resume_matches(dir.path(), &file, &args);
}

/// A flow run with its populations in f16 (`gde.flow.storage`) resumes bit for bit: the
/// checkpoint carries each half-precision population's 16 bits.
#[test]
fn resumed_f16_flow_run_matches_uninterrupted_run_bit_for_bit() {
    let (gpu, _lock) = common::gpu();
    if !gpu.summary.shader_f16 {
        println!("skipped: {} has no f16 shaders", gpu.summary.name);
        return;
    }
    drop(gpu);
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("gde-gdl-permeability.toml");
    let flow = [
        "--set",
        "gde.flow.storage=\"f16\"",
        "--set",
        "gde.flow.axes=[\"z\"]",
        "--set",
        "gde.flow.tolerance=1e-12",
    ];
    let args = [&flow[..], &GDE_RESUME_GRID, &LATTICE_RESUME_CLOCK].concat();
    assert_resume_matches(dir.path(), &file, &args);
}

/// The same on the default steady path, where each stage is one step of the clock and the
/// state between stages is the labels, the last stage's concentration and the results:
/// three diffusivity axes, the reaction and the limiting current (6 outputs, cut after 5),
/// summary included (its `steady_f16_fields` is the fewest over all stages, so it is state
/// too), with the operator stored (`auto` here) and matrix-free in f16.
#[test]
fn resumed_steady_gde_run_matches_uninterrupted_run_bit_for_bit() {
    let _lock = common::gpu().1;
    let file = scenario("gde-cl-oxygen.toml");
    for operator in [
        "gde.species.operator=\"auto\"",
        "gde.species.operator=\"matrix_free_f16\"",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let steady = [
            "--set",
            "gde.species.axes=[\"x\", \"y\", \"z\"]",
            "--set",
            "run.output_every=1",
            "--set",
            operator,
        ];
        let args = [&GDE_RESUME_GRID[..], &steady].concat();
        let cut = assert_resume_matches(dir.path(), &file, &args);
        let full = dir.path().join("full");
        assert_eq!(
            summary_but_wall_time(&full),
            summary_but_wall_time(&cut),
            "{operator}"
        );
    }
}

#[test]
fn resumed_run_matches_uninterrupted_run_bit_for_bit() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("diffusion-gaussian-2d.toml");
    let cut = assert_resume_matches(dir.path(), &file, &SMALL);
    // Resuming with a different physical setup is refused.
    let mut d = vec![
        "run",
        file.as_str(),
        "--out",
        cut.to_str().unwrap(),
        "--resume",
        "--set",
        "diffusion.diffusivity_m2_s=2e-9",
    ];
    d.extend(SMALL);
    d.extend(["--set", "run.checkpoint_every=2", "-q"]);
    let before: Vec<Vec<u8>> = files(&cut).iter().map(|f| read_file(cut.join(f))).collect();
    let refused = mesolyte(&d);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("differs") && said.contains("diffusion.diffusivity_m2_s"),
        "{said}"
    );
    // A refused resume changes nothing in the folder: the finished run's summary and
    // scenario.toml are still its own.
    let after: Vec<Vec<u8>> = files(&cut).iter().map(|f| read_file(cut.join(f))).collect();
    assert!(before == after, "a refused resume changed the run folder");
    // Resuming into a folder that does not exist says so, and creates nothing.
    let missing = dir.path().join("never-ran");
    let mut m = vec![
        "run",
        file.as_str(),
        "--out",
        missing.to_str().unwrap(),
        "--resume",
    ];
    m.extend(SMALL);
    let refused = mesolyte(&m);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not exist"));
    assert!(!missing.exists());
}

#[test]
fn a_killed_run_leaves_only_whole_files_and_resumes() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("killed");
    let file = scenario("diffusion-gaussian-2d.toml");
    let mut child = Command::new(common::mesolyte_bin())
        .args([
            "run",
            &file,
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--set",
            "run.end_time=0.3",
            "--set",
            "run.output_every=0.01",
        ])
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .spawn()
        .unwrap();
    let ckpt = out.join("checkpoint.bin");
    let start = std::time::Instant::now();
    while !ckpt.exists() && start.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(150));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Every visible .vti is complete: VTK XML ends with its closing tag.
    for f in files(&out).iter().filter(|f| f.ends_with(".vti")) {
        let bytes = read_file(out.join(f));
        assert!(
            bytes.ends_with(b"</VTKFile>\n") || bytes.ends_with(b"</VTKFile>"),
            "{f} is incomplete"
        );
    }
    ok(&mesolyte(&[
        "run",
        &file,
        "--out",
        out.to_str().unwrap(),
        "-q",
        "--resume",
        "--set",
        "run.end_time=0.3",
        "--set",
        "run.output_every=0.01",
    ]));
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"completed\""), "{summary}");
}

#[test]
fn divergence_stops_the_run_and_keeps_the_last_good_output() {
    let (gpu, _lock) = common::gpu();
    let s = Scenario::load(
        Path::new(&scenario("diffusion-gaussian-2d.toml")),
        &[
            "grid.nx=32".into(),
            "grid.ny=32".into(),
            "run.end_time=0.05".into(),
            "run.check_every=5".into(),
        ],
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Three times the stable step: the checkerboard mode grows by |1 - 8 r| > 1 per step.
    let opts = RunOptions {
        out_dir: dir.path().to_path_buf(),
        quiet: true,
        unchecked_dt: Some(3.0 * s.time_step()),
        ..Default::default()
    };
    let e = sim::run(&s, &gpu, &opts).unwrap_err();
    assert!(e.is::<Diverged>(), "{e}");
    let msg = e.to_string();
    for part in ["c_mol_m3", "step", "t = ", "cell (", "last good output"] {
        assert!(msg.contains(part), "{msg:?} lacks {part:?}");
    }
    let summary = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    assert!(summary.contains("diverged"), "{summary}");
    // Only the good initial snapshot was written, and the collection agrees with the files.
    let vtis: Vec<String> = files(dir.path())
        .into_iter()
        .filter(|f| f.ends_with(".vti"))
        .collect();
    assert_eq!(vtis, vec!["diffusion-gaussian-2d_00000000.vti".to_string()]);
    let pvd = std::fs::read_to_string(dir.path().join("diffusion-gaussian-2d.pvd")).unwrap();
    assert_eq!(pvd.matches("<DataSet").count(), 1);
    // The same scenario at the stable step runs through.
    let opts = RunOptions {
        unchecked_dt: None,
        out_dir: dir.path().join("ok"),
        ..opts
    };
    assert_eq!(sim::run(&s, &gpu, &opts).unwrap().status, "completed");
}

/// A flow driven far beyond the lattice's Mach limit stops at the stage's first check with
/// a message naming the velocity component, the iteration and the key to change, and keeps
/// the initial snapshot.
#[test]
fn an_overdriven_flow_stops_with_the_key_to_change() {
    let (gpu, _lock) = common::gpu();
    let load = |gradient: &str| {
        Scenario::load(
            Path::new(&scenario("gde-sphere-array.toml")),
            &[
                "grid.nx=16".into(),
                "grid.ny=16".into(),
                "grid.nz=16".into(),
                "run.end_time=400".into(),
                "run.output_every=400".into(),
                format!("gde.flow.pressure_gradient_Pa_m={gradient}"),
            ],
        )
        .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let opts = RunOptions {
        out_dir: dir.path().to_path_buf(),
        quiet: true,
        ..Default::default()
    };
    // 3e7 Pa/m: finite velocities above the limit; 1e9 Pa/m: NaN.
    for (gradient, part) in [("3e7", "Mach 0.3"), ("1e9", "non-finite")] {
        let e = sim::run(&load(gradient), &gpu, &opts).unwrap_err();
        assert!(e.is::<Diverged>(), "{e}");
        let msg = e.to_string();
        for part in [
            part,
            "velocity_x",
            "at iteration 200",
            "pressure_gradient_Pa_m",
            "last good output",
        ] {
            assert!(msg.contains(part), "{msg:?} lacks {part:?}");
        }
        let summary = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
        assert!(summary.contains("diverged"), "{summary}");
        let vtis = files(dir.path())
            .into_iter()
            .filter(|f| f.ends_with(".vti"));
        assert_eq!(vtis.count(), 1);
    }
    // The shipped gradient runs through.
    let s = load("1000");
    assert_eq!(sim::run(&s, &gpu, &opts).unwrap().status, "completed");
}

/// Runs scenarios/dendrite-2d.toml with `overrides` in this process, quietly, into a fresh
/// folder, which comes back with the result.
fn run_dendrite_2d(
    gpu: &mesolyte::gpu::Gpu,
    overrides: &[&str],
) -> (anyhow::Result<sim::RunReport>, tempfile::TempDir) {
    let overrides: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
    let s = Scenario::load(Path::new(&scenario("dendrite-2d.toml")), &overrides).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = RunOptions {
        out_dir: dir.path().to_path_buf(),
        quiet: true,
        ..Default::default()
    };
    (sim::run(&s, gpu, &opts), dir)
}

/// A potential solve that cannot reach its tolerance within `potential_max_iterations`
/// stops the run, saying which solve and which key to raise.
#[test]
fn a_potential_solve_out_of_iterations_names_the_key() {
    let (gpu, _lock) = common::gpu();
    let run = |iterations: &str| {
        run_dendrite_2d(
            &gpu,
            &[
                "grid.nx=24",
                "grid.ny=8",
                "dendrite.potential_preconditioner=\"jacobi\"",
                "dendrite.potential_tolerance=1e-7",
                &format!("dendrite.potential_max_iterations={iterations}"),
                "run.end_time=0.01",
                "run.output_every=0.01",
            ],
        )
        .0
    };
    let msg = format!("{:#}", run("10").unwrap_err());
    for part in [
        "initial potential solve",
        "relative residual 1e-7 in 10 iterations",
        "dendrite.potential_max_iterations",
    ] {
        assert!(msg.contains(part), "{msg:?} lacks {part:?}");
    }
    assert_eq!(run("20000").unwrap().status, "completed");
}

/// The dendrite model's saturation guard says what usually trips it: ions driven onto the
/// metal by the field pile up ahead of a deposit close to the far (bulk) face
/// (docs/models/dendrite.md, Boundaries). A 7.4 M bath with the front 4 µm from that face at
/// -0.45 V fills the electrolyte's sites within 500 steps; the same front in a 1 M bath runs
/// through. (With Hong's mobility a 1 M bath saturated there too; the thin-interface
/// mobility lets the deposit take the ions up, issue 21.)
#[test]
fn saturated_ions_stop_a_dendrite_run_with_the_likely_cause() {
    let (gpu, _lock) = common::gpu();
    let run = |bulk: &str| {
        run_dendrite_2d(
            &gpu,
            &[
                "grid.nx=16",
                "grid.ny=4",
                "dendrite.interface_position_m=12e-6",
                &format!("dendrite.bulk_concentration_mol_m3={bulk}"),
                "dendrite.noise_strength_1_sqrt_s=0",
                "run.end_time=0.3",
                "run.output_every=0.1",
            ],
        )
        .0
    };
    let e = run("7400").unwrap_err();
    assert!(e.is::<Diverged>(), "{e}");
    let msg = e.to_string();
    for part in [
        "c_li_mol_m3",
        "filled the electrolyte's sites",
        "far (bulk) boundary",
    ] {
        assert!(msg.contains(part), "{msg:?} lacks {part:?}");
    }
    assert_eq!(run("1000").unwrap().status, "completed");
}

/// `dendrite.stop_tip_height_m` ends a run cleanly ("model finished") at the first output
/// where the tip has grown that far, before run.end_time: the way to compare morphologies
/// at equal tip height across a sweep, and to stop before a deposit nears the far face.
#[test]
fn a_dendrite_run_stops_at_the_requested_tip_height() {
    let (gpu, _lock) = common::gpu();
    let (result, dir) = run_dendrite_2d(
        &gpu,
        &[
            "grid.nx=24",
            "grid.ny=4",
            "dendrite.interface_position_m=4e-6",
            "dendrite.noise_strength_1_sqrt_s=0",
            "dendrite.stop_tip_height_m=0.3e-6",
            "run.end_time=5",
            "run.output_every=0.05",
        ],
    );
    let report = result.unwrap();
    assert_eq!(report.status, "model finished");
    assert!(report.time < 5.0, "stopped at {} s", report.time);
    let csv = std::fs::read_to_string(dir.path().join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let tip_col = header.iter().position(|h| *h == "tip_height_m").unwrap();
    let tips: Vec<f64> = lines
        .map(|l| l.split(',').nth(tip_col).unwrap().parse().unwrap())
        .collect();
    eprintln!("tip heights at the outputs: {tips:?}");
    let (last, before) = (tips[tips.len() - 1], tips[tips.len() - 2]);
    assert!(last >= 0.3e-6, "stopped with the tip at {last} m");
    assert!(
        before < 0.3e-6,
        "should have stopped an output earlier ({before} m)"
    );
}

/// A Python with VTK, or None. CI installs python3-vtk9 (see .ci/run), so there it must exist.
fn python_with_vtk() -> Option<String> {
    let candidates = [
        std::env::var("MESOLYTE_PYTHON").ok(),
        Some("python3".into()),
        Some("/usr/bin/python3".into()),
    ];
    let found = candidates.into_iter().flatten().find(|py| {
        Command::new(py)
            .args(["-c", "import vtk, numpy"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Python with VTK (python3-vtk9)"
        );
        eprintln!("SKIPPED: no Python with the vtk module; install python3-vtk9 to run this check");
    }
    found
}

/// What VTK's own reader finds in a .vti (tests/vtk_check.py), as JSON.
fn read_with_vtk(py: &str, vti: &Path) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vtk_check.py");
    let out = Command::new(py).arg(script).arg(vti).output().unwrap();
    serde_json::from_str(&ok(&out)).unwrap()
}

#[test]
fn vtk_reads_our_snapshots_with_the_right_geometry_and_values() {
    let Some(py) = python_with_vtk() else { return };
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    for (file, dims, extra) in [
        (
            "diffusion-gaussian-2d.toml",
            [48u32, 40, 1],
            vec!["--set", "grid.nx=48", "--set", "grid.ny=40"],
        ),
        (
            "diffusion-mode-3d.toml",
            [20, 16, 12],
            vec![
                "--set",
                "grid.nx=20",
                "--set",
                "grid.ny=16",
                "--set",
                "grid.nz=12",
                "--set",
                "grid.dz=2e-6",
            ],
        ),
    ] {
        let out = dir.path().join(file);
        let f = scenario(file);
        let mut args = vec![
            "run",
            f.as_str(),
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--set",
            "run.end_time=0.02",
            "--set",
            "run.output_every=0.02",
        ];
        args.extend(extra);
        ok(&mesolyte(&args));
        let name = file.trim_end_matches(".toml");
        let s = Scenario::load(&out.join("scenario.toml"), &[]).unwrap();
        let last = files(&out)
            .into_iter()
            .rfind(|f| f.ends_with(".vti"))
            .unwrap();
        let v = read_with_vtk(&py, &out.join(&last));
        let got_dims: Vec<u64> = v["dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        assert_eq!(
            got_dims,
            dims.iter().map(|&d| d as u64).collect::<Vec<_>>(),
            "{name}"
        );
        let sp: Vec<f64> = v["spacing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let org: Vec<f64> = v["origin"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let g = s.grid;
        let want_sp = [g.dx, g.dy, if g.is_3d() { g.dz } else { g.dx }];
        for a in 0..3 {
            assert!(
                (sp[a] - want_sp[a]).abs() < 1e-6 * want_sp[a],
                "{name}: spacing {sp:?}"
            );
            let want_o = if a < g.dims() as usize {
                want_sp[a] / 2.0
            } else {
                0.0
            };
            assert!(
                (org[a] - want_o).abs() < 1e-6 * want_sp[a],
                "{name}: origin {org:?}"
            );
        }
        let c = &v["arrays"]["c_mol_m3"];
        assert_eq!(c["count"].as_u64().unwrap(), g.cells());
        // Values agree with the run's own metrics (mean over cells) at the same time.
        let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
        let row: Vec<f64> = csv
            .lines()
            .last()
            .unwrap()
            .split(',')
            .map(|x| x.parse().unwrap())
            .collect();
        let mean = c["sum"].as_f64().unwrap() / g.cells() as f64;
        assert!(
            (mean - row[6]).abs() <= 1e-5 * row[6].abs().max(1e-3),
            "{name}: VTK mean {mean} vs metrics {}",
            row[6]
        );
        assert!((c["max"].as_f64().unwrap() - row[5]).abs() <= 1e-6 * row[5].abs().max(1.0));
    }
}

/// Voxel images as VTK's own writer stores them (tests/vtk_write_images.py): ascii, inline
/// binary, appended base64 and appended raw (ParaView's "Save Data" default), each
/// uncompressed and zlib/LZ4/LZMA-compressed, with 32- and 64-bit headers, as point and as
/// cell arrays, import as a gde geometry with the labels in the right voxels.
#[test]
fn vtk_written_images_import_as_gde_geometries() {
    let Some(py) = python_with_vtk() else { return };
    use mesolyte::models::gde::geometry::{build, GeometrySpec};
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vtk_write_images.py");
    let out = Command::new(&py)
        .arg(script)
        .arg(dir.path())
        .output()
        .unwrap();
    let names = ok(&out);
    let names: Vec<&str> = names.lines().collect();
    assert_eq!(names.len(), 52, "{names:?}");
    let grid = mesolyte::Grid::new_3d(6, 5, 4, 2e-6);
    let expected: Vec<u8> = (0..120)
        .map(|i| ((7 * (i % 6) + 3 * (i / 6 % 5) + 11 * (i / 30)) % 4) as u8)
        .collect();
    for name in names {
        let spec = GeometrySpec::Vti {
            file: name.into(),
            array: "label".into(),
            pore_value: 0,
        };
        let v = build(&spec, &grid, dir.path()).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(v.labels, expected, "{name}");
    }
}

#[test]
fn vector_arrays_reach_vtk_with_three_components() {
    let Some(py) = python_with_vtk() else { return };
    use mesolyte::io::vtk::{write_vti, NamedArray};
    let g = mesolyte::Grid::new_3d(4, 3, 2, 2e-6);
    let n = g.cells() as usize;
    let vel: Vec<f32> = (0..3 * n).map(|i| i as f32 * 0.5).collect();
    let p: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("v.vti");
    write_vti(
        &f,
        &g,
        &[
            NamedArray {
                name: "velocity_m_s",
                components: 3,
                values: &vel,
            },
            NamedArray {
                name: "pressure_Pa",
                components: 1,
                values: &p,
            },
        ],
    )
    .unwrap();
    let v = read_with_vtk(&py, &f);
    let a = &v["arrays"]["velocity_m_s"];
    assert_eq!(
        (a["components"].as_u64(), a["tuples"].as_u64()),
        (Some(3), Some(n as u64))
    );
    assert_eq!(
        a["first"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect::<Vec<_>>(),
        vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    );
    assert_eq!(v["arrays"]["pressure_Pa"]["components"].as_u64(), Some(1));
}

#[test]
fn without_any_adapter_the_message_says_how_to_get_one() {
    let out = Command::new(common::mesolyte_bin())
        .arg("info")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("WGPU_BACKEND", "vulkan")
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains("no GPU adapter") && msg.contains("mesa-vulkan-drivers"),
        "{msg}"
    );
}

#[test]
fn a_run_too_large_for_the_adapter_is_refused_before_allocating() {
    let _lock = common::gpu().1;
    let gpu = mesolyte::gpu::Gpu::open(None).unwrap();
    let Some(mem) = gpu.summary.memory_bytes else {
        eprintln!("SKIPPED: adapter does not report its memory");
        return;
    };
    // The dendrite model keeps 26 f32 fields: n² cells need 104 n² bytes. Ask for twice
    // the adapter's memory (lavapipe's is the host's: tens of GB).
    let n = ((mem as f64 * 2.0 / 104.0).sqrt() as u64).min(46000);
    if 104 * n * n <= mem {
        eprintln!("SKIPPED: adapter memory too large to exceed with a valid grid");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = scenario("dendrite-2d.toml");
    let (nx, ny) = (format!("grid.nx={n}"), format!("grid.ny={n}"));
    let out = mesolyte(&[
        "run",
        &f,
        "--out",
        dir.path().to_str().unwrap(),
        "--set",
        &nx,
        "--set",
        &ny,
    ]);
    assert!(!out.status.success());
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains("GPU memory") && msg.contains("smaller grid"),
        "{msg}"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing may be written"
    );
}

#[test]
fn dendrite_run_writes_its_fields_and_metrics() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let f = scenario("dendrite-nucleation-2d.toml");
    ok(&mesolyte(&[
        "run",
        &f,
        "--out",
        dir.path().to_str().unwrap(),
        "-q",
        "--set",
        "run.end_time=0.05",
        "--set",
        "run.output_every=0.025",
    ]));
    let csv = std::fs::read_to_string(dir.path().join("metrics.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    for col in [
        "time_s",
        "tip_height_m",
        "mean_height_m",
        "roughness_m",
        "interface_area_m2",
        "li_deposited_mol",
        "deposit_li_density_mol_m3",
        "current_density_A_m2",
        "potential_iterations",
        "potential_residual",
        "time_step_s",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "metrics.csv lacks {col}: {header}"
        );
    }
    assert_eq!(csv.lines().count(), 4);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["status"], "completed");
    assert!(
        summary["dendrite_index"].as_f64().unwrap() > 1.0,
        "{summary}"
    );
    // The summary's current density is the whole run's average: n F (deposited Li) / (t A),
    // with A = L_y dz = 48 µm x 0.5 µm for this 2D scenario.
    let deposited = summary["li_deposited_mol"].as_f64().unwrap();
    let current = summary["current_density_A_m2"].as_f64().unwrap();
    let expected = 96485.33212 * deposited / (0.05 * 48e-6 * 0.5e-6);
    assert!(
        deposited > 0.0 && (current - expected).abs() <= 1e-9 * expected,
        "current {current} vs {expected}"
    );
    let vti =
        std::fs::read_to_string(dir.path().join("dendrite-nucleation-2d_00000000.vti")).unwrap();
    for name in ["\"xi\"", "\"c_li_mol_m3\"", "\"phi_V\""] {
        assert!(vti.contains(name), "snapshot lacks {name}");
    }
}

#[test]
fn dendrite_3d_split_into_chunks_matches_one_chunk() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let f = scenario("dendrite-3d.toml");
    let args = |out: &Path| -> Vec<String> {
        [
            "run",
            &f,
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--set",
            "grid.nx=24",
            "--set",
            "grid.ny=16",
            "--set",
            "grid.nz=16",
            "--set",
            "dendrite.interface_position_m=5e-6",
            "--set",
            "dendrite.nucleation_density_m2=8e9",
            "--set",
            "run.end_time=0.02",
            "--set",
            "run.output_every=0.02",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let (one, split) = (dir.path().join("one"), dir.path().join("split"));
    ok(&mesolyte(
        &args(&one).iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    // 24 x 16 cells per plane x 4 B = 1.5 KiB: a 6 KiB binding holds 4 planes with ghosts.
    let out = Command::new(common::mesolyte_bin())
        .args(args(&split))
        .env("MESOLYTE_MAX_BINDING_BYTES", "6144")
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .unwrap();
    ok(&out);
    let last = |d: &Path| files(d).into_iter().rfind(|f| f.ends_with(".vti")).unwrap();
    assert_eq!(last(&one), last(&split));
    assert!(
        read_file(one.join(last(&one))) == read_file(split.join(last(&split))),
        "chunked 3D dendrite run differs"
    );
}

#[test]
fn gde_run_reports_permeability_diffusivity_and_fields() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let f = scenario("gde-sphere-array.toml");
    let out = mesolyte(&[
        "run",
        &f,
        "--out",
        dir.path().to_str().unwrap(),
        "--set",
        "grid.nx=16",
        "--set",
        "grid.ny=16",
        "--set",
        "grid.nz=16",
        "--set",
        "gde.geometry.solid_fraction=0.343",
        "--set",
        "gde.species.axes=[\"x\"]",
        "--set",
        "run.output_every=500",
    ]);
    ok(&out);
    // Each stage announces its result as it converges.
    let log = String::from_utf8_lossy(&out.stderr);
    for line in [
        "stage 1/2 (flow along x) converged after",
        "permeability_x_m2 = ",
        "stage 2/2 (diffusion along x) converged after",
        "deff_ratio_x = ",
    ] {
        assert!(log.contains(line), "{log}");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["status"], "model finished", "{summary}");
    let porosity = summary["porosity"].as_f64().unwrap();
    assert!((porosity - 0.657).abs() < 0.02, "{summary}");
    assert!(summary["specific_surface_m_inv"].as_f64().unwrap() > 0.0);
    let k = summary["permeability_x_m2"].as_f64().unwrap();
    // Zick & Homsy at c = 0.343, L = 16 µm: k = 7.93e-3 L² = 2.03e-12 m² (coarse grid: 15 %).
    assert!((k / 2.03e-12 - 1.0).abs() < 0.15, "{summary}");
    let r = summary["deff_ratio_x"].as_f64().unwrap();
    assert!(
        r > 0.2 && r < 2.0 * porosity / (3.0 - porosity),
        "{summary}"
    );
    let tau = summary["tortuosity_x"].as_f64().unwrap();
    assert!((tau - porosity / r).abs() < 1e-9 * tau);
    let csv = std::fs::read_to_string(dir.path().join("metrics.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    for col in [
        "iteration",
        "stage",
        "residual",
        "permeability_m2",
        "deff_ratio",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "metrics.csv lacks {col}: {header}"
        );
    }
    // The clock counts iterations, in summary.json too; the row written at the end shows
    // the last stage (diffusivity) with its final estimate.
    // It stops where the last stage converged, not at the next output time: its count is
    // the flow stage's lattice iterations plus one for the diffusivity stage, a steady
    // multigrid solve by default (whose own count is its CG iterations).
    let flow = summary["stage_1_iterations"].as_f64().unwrap();
    let solve = summary["stage_2_iterations"].as_f64().unwrap();
    assert!(flow > 0.0 && solve > 0.0, "{summary}");
    assert_eq!(
        summary["iteration"].as_f64().unwrap(),
        flow + 1.0,
        "{summary}"
    );
    assert!(summary.get("time_s").is_none(), "{summary}");
    let column = |name: &str| header.split(',').position(|c| c == name).unwrap();
    let last: Vec<f64> = csv
        .lines()
        .last()
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(last[column("stage")], 2.0, "{csv}");
    assert!((last[column("deff_ratio")] / r - 1.0).abs() < 1e-9, "{csv}");
    let vti = std::fs::read_to_string(dir.path().join("gde-sphere-array_00000000.vti")).unwrap();
    for name in [
        "\"label\"",
        "\"velocity_m_s\"",
        "\"pressure_Pa\"",
        "\"c_mol_m3\"",
    ] {
        assert!(vti.contains(name), "snapshot lacks {name}");
    }
}

/// A gde geometry no stage can use (no pore voxel; no solid between periodic sides under a
/// flow) is refused by `validate`, and by `run` before an adapter opens or the folder is
/// made, naming the file and the key (both used to pass validate, and the second ran to
/// "completed" with a permeability growing with the iterations).
#[test]
fn unusable_gde_geometries_are_refused_before_any_gpu_work() {
    let file = common::scenario("gde-gdl-permeability.toml");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let small = [
        "--set",
        "grid.nx=24",
        "--set",
        "grid.ny=24",
        "--set",
        "grid.nz=16",
    ];
    for (porosity, says) in [("0", "no pore voxels"), ("1", "no solid voxels")] {
        let set = format!("gde.geometry.porosity={porosity}");
        let mut validate = vec!["validate", file.as_str(), "--set", &set];
        validate.extend(small);
        let v = common::mesolyte(&validate);
        let mut run = vec![
            "run",
            file.as_str(),
            "-q",
            "--out",
            out.to_str().unwrap(),
            "--set",
            &set,
        ];
        run.extend(small);
        let r = common::mesolyte(&run);
        for o in [&v, &r] {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(!o.status.success());
            assert!(
                err.contains(says)
                    && err.contains("gde.geometry")
                    && err.contains("gde-gdl-permeability.toml"),
                "{err}"
            );
        }
        assert!(!out.exists(), "run made its folder before refusing");
    }
}

/// An `--out` that is a file is refused before any GPU work, for a run and for a sweep.
#[test]
fn an_out_folder_that_is_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("taken");
    std::fs::write(&file, "x").unwrap();
    let scenario = common::scenario("diffusion-gaussian-2d.toml");
    let out = file.to_str().unwrap();
    for args in [
        vec!["run", scenario.as_str(), "-q", "--out", out],
        vec![
            "sweep",
            scenario.as_str(),
            "--vary",
            "diffusion.diffusivity_m2_s=1e-9,2e-9",
            "-q",
            "--out",
            out,
        ],
    ] {
        let o = common::mesolyte(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains("is a file, not a folder"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

/// A run stopped before its first checkpoint says so on --resume (it used to suggest that
/// run.checkpoint_every was 0).
#[test]
fn a_resume_without_a_checkpoint_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("diffusion-gaussian-2d.toml");
    let out = dir.path().join("r");
    let run = |extra: &[&str]| {
        let mut a = vec!["run", file.as_str(), "--out", out.to_str().unwrap(), "-q"];
        a.extend(SMALL);
        a.extend(["--set", "run.checkpoint_every=5"]);
        a.extend(extra);
        mesolyte(&a)
    };
    let halted = run(&["--halt-after-outputs", "2"]);
    assert_eq!(halted.status.code(), Some(3));
    let refused = run(&["--resume"]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && said.contains("stopped sooner"),
        "{said}"
    );
}

/// A run whose planned step, as the run goes, would take it past run.max_steps stops at once
/// with the step, the budget and the model's likely cause, keeping its outputs so far (the
/// budget here is validation's estimate at the nominal step, which the dendrite model's
/// first planned step is already below).
#[test]
fn a_run_whose_step_outgrows_its_budget_stops_with_the_cause() {
    let (gpu, _lock) = common::gpu();
    let base = [
        "grid.nx=24",
        "grid.ny=8",
        "run.end_time=0.02",
        "run.output_every=0.01",
    ];
    let nominal = {
        let set: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        let s = Scenario::load(Path::new(&scenario("dendrite-2d.toml")), &set).unwrap();
        (s.run.end_time / s.time_step()).ceil() as u64
    };
    let budget = format!("run.max_steps={nominal}");
    let mut set = base.to_vec();
    set.push(&budget);
    let (result, dir) = run_dendrite_2d(&gpu, &set);
    let msg = format!("{:#}", result.unwrap_err());
    for part in [
        "stable time step fell",
        "run.max_steps",
        "D/(1 - c)",
        "last good output",
    ] {
        assert!(msg.contains(part), "{msg:?} lacks {part:?}");
    }
    let summary = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    assert!(summary.contains("\"failed\""), "{summary}");
    assert!(dir.path().join("dendrite-2d_00000000.vti").exists());
}

/// A raw voxel image of the wrong size, or a path that is a folder, is reported by `run`
/// before an adapter opens or the run folder is made, naming gde.geometry.file.
#[test]
fn a_bad_raw_image_is_refused_before_any_gpu_work() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.raw"), [0u8; 100]).unwrap();
    std::fs::create_dir(dir.path().join("folder.raw")).unwrap();
    for (file, says) in [("small.raw", "holds 100 bytes"), ("folder.raw", "reading")] {
        let scenario = dir.path().join("r.toml");
        std::fs::write(
            &scenario,
            format!(
                "name = \"r\"\nmodel = \"gde\"\n[grid]\nnx = 8\nny = 8\nnz = 8\ndx = 1e-6\n\
                 [run]\nend_time = 100\n[gde.geometry]\nkind = \"raw\"\nfile = \"{file}\"\n\
                 [gde.species]\naxes = [\"x\"]\n"
            ),
        )
        .unwrap();
        let out = dir.path().join("run");
        let o = mesolyte(&[
            "run",
            scenario.to_str().unwrap(),
            "-q",
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains(says) && err.contains("gde.geometry.file"),
            "{err}"
        );
        assert!(!out.exists());
    }
}

/// Validation estimates the wall time on the adapter a run would use (issue 24): unknown
/// before anything ran there, then the planned cell updates at the speed a finished run
/// recorded.
#[test]
fn validate_estimates_the_wall_time_from_a_recorded_speed() {
    let _lock = common::gpu().1;
    let dir = tempfile::tempdir().unwrap();
    let rates = dir.path().join("rates.json");
    let with_rates = |args: &[&str]| {
        common::mesolyte_with_env(args, &[(sim::rates::RATES_ENV, rates.as_os_str())])
    };
    let file = scenario("dendrite-2d.toml");
    let small = [
        "--set",
        "grid.nx=64",
        "--set",
        "grid.ny=32",
        "--set",
        "run.end_time=0.5",
        "--set",
        "run.output_every=0.25",
    ];
    let validate = |extra: &[&str]| {
        let mut args = vec!["validate", file.as_str()];
        args.extend_from_slice(&small);
        args.extend_from_slice(extra);
        ok(&with_rates(&args))
    };
    let text = validate(&[]);
    assert!(
        text.contains("estimated wall time on") && text.contains("not known yet"),
        "{text}"
    );

    // A known speed gives the planned cell updates over it: 1e5 updates/s.
    let adapters: serde_json::Value =
        serde_json::from_str(&ok(&mesolyte(&["info", "--json"]))).unwrap();
    let set: Vec<String> = small.chunks(2).map(|p| p[1].to_string()).collect();
    let s = Scenario::load(Path::new(&file), &set).unwrap();
    let adapter = mesolyte::gpu::chosen_adapter_name(None).unwrap();
    assert!(adapters.to_string().contains(&adapter));
    let key = sim::rates::key(&s, &adapter);
    let book = serde_json::json!({ key.text(): 1e5 });
    std::fs::write(&rates, book.to_string()).unwrap();
    let updates = (s.run.end_time / s.time_step()).ceil() * 64.0 * 32.0;
    let expected = sim::rates::format_duration(updates / 1e5);
    let text = validate(&[]);
    assert!(
        text.contains(&format!("about {expected} (from an earlier 2D run")),
        "{text}"
    );

    // A finished run replaces the speed with its own, measured one (if it ran long enough
    // to measure).
    let out = dir.path().join("run");
    let mut args = vec![
        "run",
        file.as_str(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(&small);
    ok(&with_rates(&args));
    let book: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rates).unwrap()).unwrap();
    let recorded = book[key.text()].as_f64().unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    if summary["wall_time_s"].as_f64().unwrap() >= sim::rates::SHORTEST_RECORDED_S {
        assert!(recorded > 0.0 && recorded != 1e5, "{book}");
    }
}
