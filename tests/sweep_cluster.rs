//! Sweeps as a cluster runs them, and the pictures of runs and sweeps: a sweep file gives
//! the same plan as `--vary`; `--case N` runs exactly case N; cases run as concurrent
//! processes into one folder and then collected give the same sweep.csv as the one-command
//! sweep; `--collect` after a partial sweep lists what is missing; the emitted Slurm and
//! HyperQueue scripts run each case with the exact command; every PNG decodes with the size
//! its drawing code promises; index.html renders in a headless browser where one exists.

mod common;

use common::{mesolyte, ok, scenario};
use mesolyte::plot::{lines, map};
use std::path::{Path, PathBuf};

/// Four cases of a small diffusion run, two axes.
fn write_sweep_file(dir: &Path) -> PathBuf {
    let path = dir.join("plan.toml");
    let text = format!(
        r#"[sweep]
scenario = "{}"
[sweep.set]
"grid.ny" = 40
"run.end_time" = 0.05
"run.output_every" = 0.01
[[sweep.axis]]
key = "diffusion.diffusivity_m2_s"
values = [1e-9, 2e-9]
[[sweep.axis]]
key = "grid.nx"
lin = [40, 48, 2]
"#,
        scenario("diffusion-gaussian-2d.toml")
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn folders(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn pngs(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            pngs(&p, out);
        } else if p.extension().is_some_and(|x| x == "png") {
            out.push(p);
        }
    }
}

#[test]
fn cases_run_apart_and_collected_equal_the_one_command_sweep() {
    let _lock = common::gpu().1;
    let tmp = tempfile::tempdir().unwrap();
    let plan = write_sweep_file(tmp.path());
    let whole = tmp.path().join("whole");
    ok(&mesolyte(&["sweep", s(&plan), "--out", s(&whole), "-q"]));

    // One case alone: exactly its folder, the plan record, no table.
    let one = tmp.path().join("one");
    ok(&mesolyte(&[
        "sweep",
        s(&plan),
        "--case",
        "1",
        "--out",
        s(&one),
        "-q",
    ]));
    assert_eq!(folders(&one), ["run-001"]);
    assert!(one.join("sweep-plan.json").exists());
    assert!(!one.join("sweep.csv").exists());
    assert!(one.join("run-001/summary.json").exists());
    // Collecting the partial sweep writes the table and lists what is missing.
    let partial = mesolyte(&["sweep", "--collect", s(&one)]);
    assert!(!partial.status.success());
    let err = String::from_utf8_lossy(&partial.stderr);
    assert!(
        err.contains("3 of 4 cases did not finish") && err.contains("run-000, run-002, run-003"),
        "{err}"
    );
    let table = std::fs::read_to_string(one.join("sweep.csv")).unwrap();
    let status: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    assert_eq!(status, ["pending", "completed", "pending", "pending"]);
    // A case number past the plan is refused, naming the range.
    let past = mesolyte(&["sweep", s(&plan), "--case", "4", "--out", s(&one), "-q"]);
    assert!(String::from_utf8_lossy(&past.stderr).contains("cases 0 to 3"));
    // A case whose folder holds another case's run is refused, naming --case (not --resume).
    let misplaced = one.join("run-000");
    std::fs::create_dir(&misplaced).unwrap();
    std::fs::copy(
        one.join("run-001/scenario.toml"),
        misplaced.join("scenario.toml"),
    )
    .unwrap();
    let refused = mesolyte(&["sweep", s(&plan), "--case", "0", "--out", s(&one), "-q"]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && err.contains("--case 0: ") && err.contains("another scenario"),
        "{err}"
    );
    std::fs::remove_dir_all(&misplaced).unwrap();

    // All four cases as concurrent processes into one folder, then collected.
    let apart = tmp.path().join("apart");
    let children: Vec<_> = (0..4)
        .map(|k| {
            std::process::Command::new(common::mesolyte_bin())
                .args([
                    "sweep",
                    s(&plan),
                    "--case",
                    &k.to_string(),
                    "--out",
                    s(&apart),
                    "-q",
                ])
                .env("XDG_RUNTIME_DIR", std::env::temp_dir())
                .output_async()
        })
        .collect();
    for c in children {
        ok(&c.wait_with_output().unwrap());
    }
    ok(&mesolyte(&["sweep", "--collect", s(&apart)]));
    for f in ["sweep.csv", "sweep-plan.json"] {
        assert_eq!(
            std::fs::read_to_string(apart.join(f)).unwrap(),
            std::fs::read_to_string(whole.join(f)).unwrap(),
            "{f}: cases collected differ from the one-command sweep"
        );
    }

    // The same plan given with --vary on the command line records the same plan.
    let vary = tmp.path().join("vary");
    ok(&mesolyte(&[
        "sweep",
        &scenario("diffusion-gaussian-2d.toml"),
        "--vary",
        "diffusion.diffusivity_m2_s=1e-9,2e-9",
        "--vary",
        "grid.nx=lin:40:48:2",
        "--set",
        "grid.ny=40",
        "--set",
        "run.end_time=0.05",
        "--set",
        "run.output_every=0.01",
        "--case",
        "0",
        "--out",
        s(&vary),
        "-q",
    ]));
    assert_eq!(
        std::fs::read_to_string(vary.join("sweep-plan.json")).unwrap(),
        std::fs::read_to_string(whole.join("sweep-plan.json")).unwrap()
    );
    // A case of another plan may not run into that folder.
    let other = mesolyte(&[
        "sweep",
        &scenario("diffusion-gaussian-2d.toml"),
        "--vary",
        "grid.nx=40,44",
        "--case",
        "0",
        "--out",
        s(&vary),
        "-q",
    ]);
    assert!(String::from_utf8_lossy(&other.stderr).contains("another sweep's plan"));

    // Every picture decodes, at the size its drawing code gives.
    let mut files = Vec::new();
    pngs(&whole, &mut files);
    let mut kinds = [0usize; 4];
    for f in &files {
        let img = image::open(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let in_thumbnails = f.parent().unwrap().ends_with("thumbnails");
        if in_thumbnails {
            assert!(img.width() <= 360 && img.height() <= 240, "{name}");
            kinds[0] += 1;
        } else if name.starts_with("diffusion-gaussian-2d_") {
            assert_eq!(img.height(), map::PICTURE_HEIGHT, "{name}");
            kinds[1] += 1;
        } else if name == "metrics.png" {
            let columns = std::fs::read_to_string(f.with_file_name("metrics.csv")).unwrap();
            let panels = columns.lines().next().unwrap().split(',').count() - 2;
            let (w, h, _, _) = lines::picture_size(panels, 3);
            assert_eq!((img.width(), img.height()), (w, h), "{name}");
            kinds[2] += 1;
        } else if name.starts_with("sweep_") {
            kinds[3] += 1;
        }
    }
    // 4 thumbnails; 6 outputs x 4 runs; 4 metrics; 2 axis plots and a heat map.
    assert_eq!(kinds, [4, 24, 4, 3], "{files:?}");
    let index = std::fs::read_to_string(whole.join("index.html")).unwrap();
    for k in 0..4 {
        assert!(index.contains(&format!("href=\"run-00{k}/\"")));
        assert!(index.contains(&format!("src=\"thumbnails/run-00{k}.png\"")));
    }
    assert!(index.contains("sweep_heatmap.png"));
    render_in_a_browser(&whole.join("index.html"), tmp.path());
}

/// Screenshots `page` in headless Chromium and checks that it drew the page (not a blank
/// or an error page): skipped, saying so, where no Chromium is installed
/// (apt-get install chromium).
fn render_in_a_browser(page: &Path, tmp: &Path) {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    let Some(browser) = browser else {
        eprintln!("no Chromium found: index.html not rendered (apt-get install chromium)");
        return;
    };
    let shot = tmp.join("index-shot.png");
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            &format!("--user-data-dir={}", tmp.join("chromium-profile").display()),
            "--window-size=1200,1600",
            &format!("--screenshot={}", shot.display()),
            &format!("file://{}", page.display()),
        ])
        .output()
        .unwrap();
    // A browser that cannot start here (no shared memory, a sandbox it cannot leave) writes
    // no file whatever the page; any page it can load, broken or not, gives a screenshot.
    if !shot.exists() {
        eprintln!(
            "{browser} wrote no screenshot, index.html not rendered: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let img = image::open(&shot).unwrap().to_rgb8();
    assert_eq!((img.width(), img.height()), (1200, 1600));
    // The plots' and thumbnails' viridis colours show: a page whose images failed to load
    // is black text on white.
    let coloured = img
        .pixels()
        .filter(|p| {
            let [r, g, b] = p.0;
            r.max(g).max(b) - r.min(g).min(b) > 60
        })
        .count();
    assert!(
        coloured > 5000,
        "only {coloured} coloured pixels: the page's images did not render"
    );
}

#[test]
fn emitted_slurm_and_hyperqueue_scripts_run_the_exact_case_command() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = write_sweep_file(tmp.path());
    let out = tmp.path().join("out");
    let scripts = tmp.path().join("scripts");
    ok(&mesolyte(&[
        "sweep",
        s(&plan),
        "--out",
        s(&out),
        "--emit-slurm",
        s(&scripts),
        "--emit-hq",
        s(&scripts),
        "--throttle",
        "2",
        "--gpus-per-case",
        "0.5",
    ]));
    assert!(!out.exists(), "emitting scripts must not run anything");
    let read = |f: &str| std::fs::read_to_string(scripts.join(f)).unwrap();
    let bin = common::mesolyte_bin().display().to_string();
    let command = |case: &str| {
        format!(
            "{bin} sweep {} --case {case} --out {} --quiet",
            plan.display(),
            out.display()
        )
    };
    let cases = read("cases.sbatch");
    assert!(cases.contains("#SBATCH --array=0-3%2\n"), "{cases}");
    assert!(cases.contains("#SBATCH --gres=gpu:1\n"), "{cases}");
    assert!(
        cases.contains(&command("\"$SLURM_ARRAY_TASK_ID\"")),
        "{cases}"
    );
    let collect = read("collect.sbatch");
    assert!(collect.contains(&format!("{bin} sweep --collect {}", out.display())));
    let submit = read("submit.sh");
    assert!(submit.contains("sbatch --parsable cases.sbatch"));
    assert!(submit.contains("--dependency=afterany:\"$array\" collect.sbatch"));
    let hq = read("submit-hq.sh");
    assert!(hq.contains("--array 0-3"), "{hq}");
    assert!(hq.contains("--resource gpus/nvidia=0.5"), "{hq}");
    assert!(
        hq.contains(&format!("-- bash -c '{}'", command("\"$HQ_TASK_ID\""))),
        "{hq}"
    );

    // The array task's line, run as Slurm would with task id 2, runs case 2 and only it.
    let line = cases.lines().last().unwrap();
    let status = std::process::Command::new("bash")
        .args(["-c", line])
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(folders(&out), ["run-002"]);
}

#[test]
fn interface_pictures_follow_a_resumed_run_and_can_be_turned_off() {
    let _lock = common::gpu().1;
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario("superfill-sweep-2d.toml");
    let run = |dir: &Path, extra: &[&str]| {
        let mut a = vec![
            "run",
            file.as_str(),
            "--out",
            s(dir),
            "-q",
            "--set",
            "run.end_time=1.0",
            "--set",
            "run.output_every=0.25",
            "--set",
            "run.picture_every=2",
        ];
        a.extend(extra);
        mesolyte(&a)
    };
    let whole = tmp.path().join("whole");
    ok(&run(&whole, &[]));
    let names = |dir: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".png"))
            .collect();
        v.sort();
        v
    };
    // Outputs 0, 2 and 4 (every second, and the last) get field pictures.
    let pictures = names(&whole);
    assert_eq!(pictures.len(), 3 + 2, "{pictures:?}");
    assert!(pictures.contains(&"interface.png".to_string()));
    assert!(pictures.contains(&"metrics.png".to_string()));

    // Killed after two outputs and resumed: the same pictures, byte for byte (the
    // interface picture redraws the outputs written before the kill from their snapshots).
    let resumed = tmp.path().join("resumed");
    let halted = run(&resumed, &["--halt-after-outputs", "2"]);
    assert_eq!(halted.status.code(), Some(3));
    ok(&run(&resumed, &["--resume"]));
    assert_eq!(names(&resumed), pictures);
    for p in &pictures {
        assert_eq!(
            std::fs::read(resumed.join(p)).unwrap(),
            std::fs::read(whole.join(p)).unwrap(),
            "{p} differs after the resume"
        );
    }

    // --no-pictures and run.pictures = false draw none.
    let none = tmp.path().join("none");
    ok(&run(&none, &["--no-pictures"]));
    assert!(names(&none).is_empty());
    ok(&run(&none, &["--set", "run.pictures=false"]));
    assert!(names(&none).is_empty());
}

/// `Command::output` after `spawn`, so that several run at once.
trait SpawnOutput {
    fn output_async(&mut self) -> std::process::Child;
}

impl SpawnOutput for std::process::Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }
}
