//! Scenario validation: every problem is reported before any GPU work, naming the file, the
//! key and what is allowed; shipped scenarios are valid; --set overrides any key.

mod common;

use mesolyte::Scenario;
use std::path::Path;
use std::process::Command;

const BASE: &str = r#"
name = "t"
model = "diffusion"
[grid]
nx = 16
ny = 8
dx = 1e-6
[run]
end_time = 0.01
[diffusion]
diffusivity_m2_s = 1e-9
"#;

fn err(text: &str, overrides: &[&str]) -> String {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    match Scenario::parse("case.toml", text, &o) {
        Ok(_) => panic!("expected an error for {overrides:?}"),
        Err(e) => e.to_string(),
    }
}

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} lacks {p:?}");
    }
}

#[test]
fn base_scenario_is_valid_and_fills_defaults() {
    let s = Scenario::parse("case.toml", BASE, &[]).unwrap();
    assert_eq!((s.grid.nx, s.grid.ny, s.grid.nz), (16, 8, 1));
    assert_eq!(s.resolved["grid"]["dy"].as_float(), Some(1e-6));
    assert_eq!(s.resolved["run"]["output_every"].as_float(), Some(0.001));
    assert_eq!(s.resolved["diffusion"]["bc_x"].as_str(), Some("neumann"));
    // The resolved scenario is itself a valid scenario describing the same run.
    let again = Scenario::parse("resolved.toml", &s.resolved_toml(), &[]).unwrap();
    assert_eq!(again.resolved, s.resolved);
}

#[test]
fn unknown_keys_and_sections_are_errors() {
    let m = err(BASE, &["grid.nxx=3"]);
    assert_mentions(&m, &["case.toml", "grid.nxx", "unknown key", "nx"]);
    let m = err(&format!("{BASE}\n[gridd]\nnx = 1\n"), &[]);
    assert_mentions(&m, &["gridd", "unknown section"]);
    let m = err(BASE, &["diffusion.bogus=1"]);
    assert_mentions(&m, &["diffusion.bogus", "unknown key", "diffusivity_m2_s"]);
}

#[test]
fn wrong_types_are_errors() {
    assert_mentions(
        &err(BASE, &["grid.nx=\"big\""]),
        &["grid.nx", "expected an integer", "a string"],
    );
    assert_mentions(
        &err(BASE, &["grid.nx=1.5"]),
        &["grid.nx", "expected an integer", "a float"],
    );
    assert_mentions(
        &err(BASE, &["grid.dx=fine"]),
        &["grid.dx", "expected a number"],
    );
    assert_mentions(
        &err(BASE, &["diffusion.bc_x=7"]),
        &["diffusion.bc_x", "periodic, dirichlet, neumann"],
    );
}

#[test]
fn out_of_range_values_name_the_allowed_range() {
    assert_mentions(
        &err(BASE, &["grid.nx=-4"]),
        &["grid.nx", "-4", "[1, 65536]"],
    );
    assert_mentions(&err(BASE, &["grid.dx=-1e-6"]), &["grid.dx", "(0, 1]", " m"]);
    assert_mentions(&err(BASE, &["grid.nz=0"]), &["grid.nz", "[1, 65536]"]);
    assert_mentions(
        &err(BASE, &["run.end_time=0"]),
        &["run.end_time", "(0, inf)"],
    );
    assert_mentions(
        &err(BASE, &["diffusion.diffusivity_m2_s=-1"]),
        &["diffusion.diffusivity_m2_s", "out of range"],
    );
    assert_mentions(
        &err(BASE, &["diffusion.bc_x=sideways"]),
        &["diffusion.bc_x", "not allowed"],
    );
    let dendrite = "name = \"t\"\nmodel = \"dendrite\"\n[grid]\nnx = 16\nny = 8\ndx = 1e-6\n[run]\nend_time = 1\n[dendrite]\n";
    assert_mentions(
        &err(dendrite, &["dendrite.potential_preconditioner=ilu"]),
        &["dendrite.potential_preconditioner", "multigrid", "jacobi"],
    );
    // A tip cannot grow past the far face: 16 µm of grid less the interface at 1.6 µm.
    assert_mentions(
        &err(dendrite, &["dendrite.stop_tip_height_m=20e-6"]),
        &["dendrite.stop_tip_height_m", "(0, 1.44e-5]", " m"],
    );
}

#[test]
fn missing_keys_and_syntax_errors_are_reported() {
    assert_mentions(
        &err(&BASE.replace("dx = 1e-6", ""), &[]),
        &["grid.dx", "missing"],
    );
    assert_mentions(
        &err(&BASE.replace("model = \"diffusion\"", ""), &[]),
        &["model", "missing", "diffusion"],
    );
    assert_mentions(
        &err("name = \"x\"\n[grid\n", &[]),
        &["case.toml", "(syntax)"],
    );
}

#[test]
fn an_unstable_fixed_time_step_is_refused() {
    // Stable limit: 1 / (D (2/dx² + 2/dy²)) = 2.5e-4 s here.
    let m = err(BASE, &["run.dt=1e-3"]);
    assert_mentions(&m, &["run.dt", "stable limit", "2.5e-4"]);
    let ok = Scenario::parse("case.toml", BASE, &["run.dt=2e-4".into()]).unwrap();
    assert_eq!(ok.time_step(), 2e-4);
}

#[test]
fn set_overrides_any_key() {
    let o = [
        "grid.nx=40",
        "diffusion.initial=\"mode\"",
        "run.seed=9",
        "diffusion.bc_y=periodic",
    ];
    let o: Vec<String> = o.iter().map(|s| s.to_string()).collect();
    let s = Scenario::parse("case.toml", BASE, &o).unwrap();
    assert_eq!(s.grid.nx, 40);
    assert_eq!(s.run.seed, 9);
    assert_eq!(s.resolved["diffusion"]["initial"].as_str(), Some("mode"));
    assert_eq!(s.resolved["diffusion"]["bc_y"].as_str(), Some("periodic"));
    assert!(err(BASE, &["grid"]).contains("section.key=value"));
}

/// Every sweep file under scenarios/sweeps/ plans valid cases (each case's scenario
/// validated), so the README's sweep commands start.
#[test]
fn shipped_sweep_files_plan_valid_cases() {
    use mesolyte::sim::sweep::{file::SweepFile, SweepPlan};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let f = SweepFile::load(&p).unwrap_or_else(|e| panic!("{e}"));
        let plan = SweepPlan::new(&f.scenario, &f.sets, f.axes.clone(), f.combine)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(plan.runs.len() >= 2, "{}", p.display());
        n += 1;
    }
    assert!(n >= 3, "a sweep file per model that the README names");
}

#[test]
fn shipped_scenarios_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let s = Scenario::load(&p, &[]).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                format!("{}.toml", s.name),
                p.file_name().unwrap().to_string_lossy(),
                "file name = scenario name"
            );
            n += 1;
        }
    }
    assert!(n >= 3);
}

#[test]
fn cli_reports_scenario_errors_before_touching_the_gpu() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    std::fs::write(&f, BASE.replace("nx = 16", "nx = -16")).unwrap();
    // An adapter that does not exist: if the scenario were checked after opening the GPU,
    // the adapter error would come first.
    let out = Command::new(common::mesolyte_bin())
        .args(["run", f.to_str().unwrap(), "--adapter", "no-such-adapter"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let msg = String::from_utf8_lossy(&out.stderr);
    assert_mentions(&msg, &["bad.toml", "grid.nx", "[1, 65536]"]);
    assert!(!msg.contains("adapter"), "{msg}");
    let out = Command::new(common::mesolyte_bin())
        .args(["validate", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_mentions(
        &String::from_utf8_lossy(&out.stderr),
        &["bad.toml", "grid.nx"],
    );
}

const GDE: &str = r#"
name = "g"
model = "gde"
[grid]
nx = 16
ny = 16
nz = 16
dx = 1e-6
[run]
end_time = 1000
[gde.geometry]
kind = "spheres"
radius_m = 3e-6
porosity = 0.6
[gde.flow]
axes = ["x"]
"#;

/// `mesolyte validate` builds a gde geometry on the CPU as a run would: it prints the
/// porosity, notes an axis that no pore path crosses, and rejects a raw image of the wrong
/// size, all without an adapter.
#[test]
fn validate_describes_a_gde_geometry_without_the_gpu() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("slit.toml");
    let slit = GDE.replace(
        "kind = \"spheres\"\nradius_m = 3e-6\nporosity = 0.6",
        "kind = \"slit\"\nnormal_axis = \"x\"\nwidth_m = 8e-6",
    );
    std::fs::write(&f, &slit).unwrap();
    let validate = |extra: &[&str]| {
        let mut args = vec!["validate", f.to_str().unwrap()];
        args.extend(extra);
        Command::new(common::mesolyte_bin())
            .args(&args)
            .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
            .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
            .output()
            .unwrap()
    };
    let out = validate(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_mentions(
        &text,
        &["porosity 0.5000", "no pore path crosses the domain along x"],
    );
    // Along y the slit is open: no note.
    let text =
        String::from_utf8_lossy(&validate(&["--set", "gde.flow.axes=[\"y\"]"]).stdout).into_owned();
    assert!(!text.contains("no pore path"), "{text}");
    // The geometry exported without a run reads back as a vti geometry, the same slit.
    let exported = dir.path().join("slit.vti");
    let out = validate(&["--geometry-out", exported.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let reread = slit.replace(
        "kind = \"slit\"\nnormal_axis = \"x\"\nwidth_m = 8e-6",
        "kind = \"vti\"\nfile = \"slit.vti\"",
    );
    std::fs::write(dir.path().join("reread.toml"), reread).unwrap();
    let mut args = vec!["validate", "reread.toml"];
    args.push("--set");
    args.push("gde.flow.axes=[\"x\"]");
    let out = Command::new(common::mesolyte_bin())
        .args(&args)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_mentions(
        &String::from_utf8_lossy(&out.stdout),
        &["porosity 0.5000", "no pore path crosses the domain along x"],
    );
    // An array the file does not hold: the key that names it, and the arrays there are.
    let out = Command::new(common::mesolyte_bin())
        .args([
            "validate",
            "reread.toml",
            "--set",
            "gde.geometry.array=\"labels\"",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_mentions(
        &String::from_utf8_lossy(&out.stderr),
        &["gde.geometry.array", "\"labels\"", "found: "],
    );
    std::fs::write(dir.path().join("img.raw"), vec![0u8; 100]).unwrap();
    let raw = GDE.replace(
        "kind = \"spheres\"\nradius_m = 3e-6\nporosity = 0.6",
        "kind = \"raw\"\nfile = \"img.raw\"",
    );
    std::fs::write(&f, raw).unwrap();
    let out = validate(&[]);
    assert!(!out.status.success());
    assert_mentions(
        &String::from_utf8_lossy(&out.stderr),
        &["img.raw", "100 bytes", "4096"],
    );
}

#[test]
fn gde_keys_are_checked_before_any_gpu_work() {
    assert!(Scenario::parse("case.toml", GDE, &[]).is_ok());
    assert_mentions(
        &err(GDE, &["gde.flow.speed=1"]),
        &["gde.flow.speed", "unknown key"],
    );
    assert_mentions(
        &err(GDE, &["gde.flow.axes=[\"w\"]"]),
        &["gde.flow.axes", "\"w\"", "x, y, z"],
    );
    assert_mentions(
        &err(GDE, &["gde.flow.relaxation_time=0.5"]),
        &["gde.flow.relaxation_time", "(0.5, 3]"],
    );
    assert_mentions(
        &err(GDE, &["gde.geometry.porosity=1.5"]),
        &["gde.geometry.porosity", "[0, 1]"],
    );
    assert_mentions(
        &err(GDE, &["gde.geometry.kind=\"foam\""]),
        &["gde.geometry.kind", "fibres"],
    );
    assert_mentions(&err(GDE, &["grid.nz=1"]), &["3D grid", "grid.nz"]);
    // The gde clock counts iterations: the run section says so, and a time step is refused.
    assert_mentions(&err(GDE, &["run.dt=0.5"]), &["run.dt", "iterations"]);
    // Object sizes from one voxel to the domain: a unit slip (µm given as m) once hung the
    // generator, and sub-voxel objects make a dust of single voxels.
    assert_mentions(
        &err(GDE, &["gde.geometry.radius_m=3"]),
        &["gde.geometry.radius_m", "[5e-7, 1.6e-5] m"],
    );
    assert_mentions(
        &err(GDE, &["gde.geometry.radius_min_m=1e-8"]),
        &["gde.geometry.radius_min_m", "under half a voxel"],
    );
    assert_mentions(
        &err(GDE, &["run.output_every=-1"]),
        &["run.output_every", "iterations"],
    );
    assert_mentions(
        &err(
            GDE,
            &[
                "gde.geometry.kind=\"raw\"",
                "gde.geometry.file=\"missing.raw\"",
            ],
        ),
        &["gde.geometry.file", "does not exist"],
    );
    assert_mentions(
        &err(
            GDE,
            &["gde.species.advection=true", "gde.species.axes=[\"z\"]"],
        ),
        &["gde.species.advection", "last of gde.flow.axes"],
    );
    assert_mentions(&err(GDE, &["gde.flow.axes=[]"]), &["nothing to compute"]);
    assert_mentions(
        &err(GDE, &["gde.flow.inlet_velocity_m_s=0.1"]),
        &[
            "gde.flow.inlet_velocity_m_s",
            "only used with drive = \"velocity\"",
        ],
    );
    assert_mentions(
        &err(
            GDE,
            &[
                "gde.flow.drive=\"velocity\"",
                "gde.flow.inlet_velocity_m_s=0",
            ],
        ),
        &["gde.flow.inlet_velocity_m_s", "(0, 100]"],
    );
    assert_mentions(
        &err(
            GDE,
            &[
                "gde.flow.drive=\"velocity\"",
                "gde.flow.inlet_velocity_m_s=90",
            ],
        ),
        &[
            "gde.flow.inlet_velocity_m_s",
            "lattice limit",
            "allowed: (0, ",
        ],
    );
    // f16 populations: one of two storages, and an even number of cells per plane.
    assert_mentions(
        &err(GDE, &["gde.flow.storage=\"f8\""]),
        &["gde.flow.storage", "f32", "f16"],
    );
    assert_mentions(
        &err(
            GDE,
            &[
                "gde.flow.storage=\"f16\"",
                "gde.flow.axes=[\"x\"]",
                "grid.nx=15",
                "grid.ny=9",
            ],
        ),
        &[
            "gde.flow.storage",
            "even number of cells per z plane",
            "15·9",
        ],
    );
    // Half precision settles through its own noise: a looser default tolerance.
    let tolerance = |set: &[String]| {
        let s = Scenario::parse("case.toml", GDE, set).unwrap();
        let p = s
            .params
            .downcast_ref::<mesolyte::models::gde::GdeParams>()
            .unwrap();
        p.flow.tolerance
    };
    assert_eq!(tolerance(&[]), 1e-6);
    assert_eq!(tolerance(&["gde.flow.storage=\"f16\"".into()]), 1e-5);
}

/// `run.seed` reaches every model that draws random numbers; set for one that draws none it
/// is a warning naming what sets its randomness instead, and no warning when left out.
#[test]
fn run_seed_for_a_model_without_random_numbers_is_warned_about() {
    let load = |file: &str, set: &[&str]| {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        Scenario::load(Path::new(&common::scenario(file)), &set).unwrap()
    };
    let seed_warning = |s: &Scenario| s.warnings().iter().any(|w| w.contains("run.seed"));
    let gde = load("gde-sphere-array.toml", &["run.seed=3"]);
    assert!(seed_warning(&gde), "{:?}", gde.warnings());
    assert!(gde
        .warnings()
        .iter()
        .any(|w| w.contains("gde.geometry.seed")));
    assert!(!seed_warning(&load("gde-sphere-array.toml", &[])));
    assert!(!seed_warning(&load("dendrite-2d.toml", &["run.seed=3"])));
    assert!(mesolyte::models::entry("dendrite").unwrap().uses_seed);
    // Every registered model has a shipped scenario that validates, and names are unique.
    let names = mesolyte::models::names();
    for (i, name) in names.iter().enumerate() {
        assert!(!names[..i].contains(name), "{name} registered twice");
        let shipped = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{name}-"))
            });
        assert!(shipped, "model {name} ships no scenarios/{name}-*.toml");
    }
}

/// A run that cannot reach its end time within run.max_steps at its planned step, or whose
/// step is zero, is refused at validation with the key and what would work (issue: a
/// dendrite run at 1 K planned dt = 0 and looped at t = 0 until 1e9 steps; at -2 V it
/// planned 2e-17 s).
#[test]
fn runs_beyond_their_step_budget_are_refused_before_any_gpu_work() {
    let file = common::scenario("dendrite-2d.toml");
    let load = |set: &[&str]| {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        Scenario::load(Path::new(&file), &set)
    };
    let e = load(&["dendrite.temperature_K=1"]).unwrap_err().to_string();
    assert!(
        e.contains("dendrite") && e.contains("stable time step"),
        "{e}"
    );
    let e = load(&["dendrite.applied_voltage_V=-2"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("run.end_time") && e.contains("run.max_steps"),
        "{e}"
    );
    let e = load(&["run.max_steps=10"]).unwrap_err().to_string();
    assert!(e.contains("run.end_time <="), "{e}");
    assert!(load(&[]).is_ok());
    let gde = common::scenario("gde-sphere-array.toml");
    let set = vec!["run.max_steps=1000".to_string()];
    let e = Scenario::load(Path::new(&gde), &set)
        .unwrap_err()
        .to_string();
    assert!(e.contains("iterations, more than run.max_steps"), "{e}");
}

/// More random nuclei than electrode cells is refused (1e14 per m², the range's top, on a
/// large electrode once aborted allocating 12 GB for the list).
#[test]
fn more_nuclei_than_electrode_cells_is_refused() {
    let file = common::scenario("dendrite-3d.toml");
    let set = vec!["dendrite.nucleation_density_m2=1e14".to_string()];
    let e = Scenario::load(Path::new(&file), &set)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("dendrite.nucleation_density_m2") && e.contains("one per electrode cell"),
        "{e}"
    );
    let set = vec!["dendrite.nucleation_density_m2=1e12".to_string()];
    assert!(Scenario::load(Path::new(&file), &set).is_ok());
}

/// An integer too large for TOML is a number out of range, not "a string"; a key given twice
/// with --set is refused instead of silently keeping the last value.
#[test]
fn oversized_integers_and_repeated_overrides_are_named() {
    let e = err(BASE, &["run.max_steps=99999999999999999999999"]);
    assert!(
        e.contains("run.max_steps") && e.contains("not a number TOML can hold"),
        "{e}"
    );
    let e = err(BASE, &["run.seed=2", "run.seed=3"]);
    assert!(e.contains("run.seed") && e.contains("given twice"), "{e}");
    let o: Vec<String> = vec!["name=\"1.2.3\"".into()];
    assert!(Scenario::parse("case.toml", BASE, &o).is_ok());
}

/// The wall-time estimate counts one clock step per steady gde solve, not the iteration
/// budget (a 256³ GDL was estimated at 416 days before, and took 3 minutes).
#[test]
fn steady_gde_runs_bound_their_steps() {
    let load = |file: &str, set: &[&str]| {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        Scenario::load(Path::new(&common::scenario(file)), &set).unwrap()
    };
    let steady = load("gde-gdl-diffusivity.toml", &[]);
    assert_eq!(steady.params.step_bound(), Some(2));
    let lattice = load(
        "gde-gdl-diffusivity.toml",
        &["gde.species.solver=\"lattice\""],
    );
    assert_eq!(lattice.params.step_bound(), None);
    assert_eq!(load("gde-sphere-array.toml", &[]).params.step_bound(), None);
    assert_eq!(load("dendrite-2d.toml", &[]).params.step_bound(), None);
}
