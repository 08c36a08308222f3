//! Command line: `info`, `list`, `validate`, `run`, `sweep`.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::gpu::{self, format_bytes, Gpu};
use crate::scenario::Scenario;
use crate::sim::sweep::{self, SweepAxis, SweepOptions, SweepPlan};
use crate::sim::{self, RunOptions};

#[derive(Parser)]
#[command(
    name = "mesolyte",
    version,
    about = "GPU mesoscale simulator for electrochemical interfaces"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every GPU adapter with its limits.
    Info {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the scenarios shipped in a folder.
    List {
        #[arg(long, default_value = "scenarios")]
        dir: PathBuf,
    },
    /// Check a scenario (and overrides) without running it.
    Validate {
        file: PathBuf,
        /// Override a key: --set section.key=value (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// gde scenarios: also write the voxel geometry (array `label`) to this .vti file,
        /// for ParaView, without running anything.
        #[arg(long, value_name = "FILE.vti")]
        geometry_out: Option<PathBuf>,
        /// The adapter the run would use, for the wall-time estimate (index or name
        /// substring, see `mesolyte info`; no device is opened).
        #[arg(long, env = gpu::ADAPTER_ENV)]
        adapter: Option<String>,
    },
    /// Run a scenario.
    Run {
        file: PathBuf,
        /// Output folder (default: runs/<name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override a key: --set section.key=value (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Adapter index or name substring (see `mesolyte info`).
        #[arg(long, env = gpu::ADAPTER_ENV)]
        adapter: Option<String>,
        /// Continue from the last checkpoint in the output folder.
        #[arg(long)]
        resume: bool,
        /// No progress display.
        #[arg(long, short)]
        quiet: bool,
        /// Draw no PNG pictures (as run.pictures = false).
        #[arg(long)]
        no_pictures: bool,
        /// Testing aid: stop as if killed after this many outputs.
        #[arg(long, hide = true)]
        halt_after_outputs: Option<u64>,
    },
    /// Run a scenario for every combination of several keys' values, each run in its own
    /// folder, with their final results tabulated in sweep.csv.
    Sweep(SweepArgs),
}

#[derive(clap::Args)]
struct SweepArgs {
    /// A sweep file ([sweep] table: base scenario, axes, fixed overrides), or a scenario
    /// with --vary options.
    #[arg(required_unless_present = "collect")]
    file: Option<PathBuf>,
    /// Values of one key (repeatable; every combination runs, the last key fastest):
    /// --vary section.key=v1,v2,...  or  =lin:a:b:n (n evenly spaced)  or  =log:a:b:n
    /// (n in a constant ratio).
    #[arg(long = "vary", value_name = "KEY=VALUES")]
    vary: Vec<String>,
    /// Pair the values instead: run i takes the i-th value of every --vary (all equally
    /// long), e.g. grid.nx=64,128 with grid.dx=2e-7,1e-7 for a refinement study.
    #[arg(long)]
    zip: bool,
    /// Override a key in every run: --set section.key=value (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Output folder (default: a sweep file's `out`, else runs/<file name>; for a scenario
    /// runs/<name>-sweep); runs go to run-000, run-001, ...
    #[arg(long)]
    out: Option<PathBuf>,
    /// Adapter index or name substring (see `mesolyte info`).
    #[arg(long, env = gpu::ADAPTER_ENV)]
    adapter: Option<String>,
    /// Keep the runs an earlier sweep into the same folder finished, continue the ones it
    /// checkpointed, and run the rest.
    #[arg(long)]
    resume: bool,
    /// Runs at once on the device (each needs its own memory). Small runs leave a large
    /// GPU idle while they wait for their read-backs; several at a time fill it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    parallel: u32,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
    /// Draw no PNG pictures in the runs (the sweep's plots and index.html are still made).
    #[arg(long)]
    no_pictures: bool,
    /// Run only case N (0 = run-000, ...) into its folder: the unit a scheduler's array task
    /// runs. Keeps the case if it finished, continues it from a checkpoint.
    #[arg(long, value_name = "N", conflicts_with_all = ["resume", "parallel", "emit_slurm", "emit_hq"])]
    case: Option<usize>,
    /// Rebuild sweep.csv, the plots and index.html of the sweep in DIR from the cases that
    /// have finished, listing missing and failed ones.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["file", "case", "vary", "emit_slurm", "emit_hq"])]
    collect: Option<PathBuf>,
    /// Write a Slurm job array (one task per case), a collect job and submit.sh into DIR.
    #[arg(long, value_name = "DIR")]
    emit_slurm: Option<PathBuf>,
    /// Write a HyperQueue submission (a task array, then collect) into DIR.
    #[arg(long, value_name = "DIR")]
    emit_hq: Option<PathBuf>,
    /// With --emit-slurm: most cases running at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100000))]
    throttle: u32,
    /// With --emit-slurm/--emit-hq: GPUs per case (a fraction shares a GPU on HyperQueue;
    /// Slurm rounds up; 0 requests none).
    #[arg(long, default_value_t = 1.0)]
    gpus_per_case: f64,
}

pub fn main() -> ExitCode {
    quiet_headless_probing();
    let cli = Cli::parse();
    let result = dispatch(cli.command);
    eprint!("{}", crate::gpu::profile::report());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Vulkan drivers probe for a Wayland display while enumerating adapters, and libwayland
/// prints an alarming "error: XDG_RUNTIME_DIR is invalid" on headless machines. We never
/// present to a window, so point it at the temp folder when it is unset. Runs first in main,
/// before any thread exists.
fn quiet_headless_probing() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
}

fn dispatch(cmd: Command) -> Result<()> {
    match cmd {
        Command::Info { json } => info(json),
        Command::List { dir } => list(&dir),
        Command::Validate {
            file,
            set,
            geometry_out,
            adapter,
        } => {
            let s = Scenario::load(&file, &set)?;
            describe(&s);
            match gpu::chosen_adapter_name(adapter.as_deref()) {
                Ok(name) => println!("{}", sim::rates::scenario_estimate(&s, &name)),
                Err(e) => println!("estimated wall time: no adapter to estimate for ({e:#})"),
            }
            // A gde geometry is built here too (CPU only), so that an image that does not
            // fit the grid, or an axis without a pore path, shows before any run.
            if s.params.has_geometry() || geometry_out.is_none() {
                let export = geometry_out.as_deref();
                let lines = s
                    .params
                    .describe(&s.grid, export)
                    .with_context(|| s.file.clone())?;
                for line in lines {
                    println!("{line}");
                }
                if let Some(path) = export {
                    println!("geometry written to {}", path.display());
                }
            } else {
                bail!(
                    "--geometry-out: model {} has no voxel geometry (only gde scenarios do)",
                    s.model_name()
                );
            }
            println!("{}: valid", file.display());
            Ok(())
        }
        Command::Run {
            file,
            out,
            set,
            adapter,
            resume,
            quiet,
            no_pictures,
            halt_after_outputs,
        } => {
            let s = Scenario::load(&file, &set)?;
            let out_dir = out.unwrap_or_else(|| Path::new("runs").join(&s.name));
            refuse_file_as_folder(&out_dir)?;
            if !quiet {
                describe(&s);
            }
            // What can be found without a GPU is found before the adapter opens.
            s.params.check(&s.grid).with_context(|| s.file.clone())?;
            let gpu = Gpu::open(adapter.as_deref())?;
            check_memory(&s, &gpu, quiet)?;
            if !quiet {
                println!("{}", sim::rates::scenario_estimate(&s, &gpu.summary.name));
            }
            let opts = RunOptions {
                out_dir: out_dir.clone(),
                resume,
                quiet,
                halt_after_outputs,
                unchecked_dt: None,
                no_pictures,
            };
            let report = sim::run(&s, &gpu, &opts)?;
            if !quiet {
                println!(
                    "{}: {} after {} steps, {}; {} snapshots in {}",
                    s.name,
                    report.status,
                    report.steps,
                    sim::clock_reading(s.model.clock, report.time, None),
                    report.snapshots,
                    out_dir.display()
                );
            }
            if report.status == "halted" {
                std::process::exit(3);
            }
            Ok(())
        }
        Command::Sweep(args) => sweep(args),
    }
}

/// The sweep's plan from a sweep file or from a scenario and `--vary`s, its default output
/// folder, and the arguments that give the same plan again (for cluster scripts).
fn sweep_plan(args: &SweepArgs, file: &Path) -> Result<(SweepPlan, PathBuf, Vec<String>)> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("{}: cannot read the file", file.display()))?;
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut again = vec![absolute(file).display().to_string()];
    let (plan, default_out) = if sweep::file::is_sweep_file(&text) {
        if !args.vary.is_empty() || args.zip {
            bail!(
                "{}: a sweep file gives its axes itself; --vary and --zip apply only to a \
                 scenario",
                file.display()
            );
        }
        let f = sweep::file::SweepFile::load(file)?;
        // --set on the command line overrides the file's [sweep.set] for the same key.
        let key = |s: &str| s.split('=').next().unwrap_or("").trim().to_string();
        let given: Vec<String> = args.set.iter().map(|s| key(s)).collect();
        let mut sets: Vec<String> = f
            .sets
            .iter()
            .filter(|s| !given.contains(&key(s)))
            .cloned()
            .collect();
        sets.extend(args.set.iter().cloned());
        let plan = SweepPlan::new(&f.scenario, &sets, f.axes.clone(), f.combine)?;
        let stem = file.file_stem().unwrap_or_default().to_string_lossy();
        let out = f
            .out
            .clone()
            .unwrap_or_else(|| Path::new("runs").join(stem.as_ref()));
        (plan, out)
    } else {
        if args.vary.is_empty() {
            bail!(
                "{}: a sweep of a scenario needs at least one --vary section.key=values (or \
                 give a sweep file)",
                file.display()
            );
        }
        let axes = args
            .vary
            .iter()
            .map(|v| SweepAxis::parse(v).map_err(anyhow::Error::msg))
            .collect::<Result<Vec<_>>>()?;
        let combine = if args.zip {
            sweep::Combine::Zip
        } else {
            sweep::Combine::Product
        };
        let plan = SweepPlan::new(file, &args.set, axes, combine)?;
        let out = Path::new("runs").join(format!("{}-sweep", plan.runs[0].scenario.name));
        for v in &args.vary {
            again.extend(["--vary".to_string(), v.clone()]);
        }
        if args.zip {
            again.push("--zip".into());
        }
        (plan, out)
    };
    for s in &args.set {
        again.extend(["--set".to_string(), s.clone()]);
    }
    if args.no_pictures {
        again.push("--no-pictures".into());
    }
    Ok((plan, default_out, again))
}

fn sweep(args: SweepArgs) -> Result<()> {
    if let Some(dir) = &args.collect {
        return collect(dir, args.quiet);
    }
    let file = args
        .file
        .clone()
        .expect("clap requires FILE without --collect");
    let (plan, default_out, again) = sweep_plan(&args, &file)?;
    let SweepArgs {
        out,
        adapter,
        resume,
        parallel,
        quiet,
        no_pictures,
        case,
        emit_slurm,
        emit_hq,
        throttle,
        gpus_per_case,
        ..
    } = args;
    let zip = plan.combine == sweep::Combine::Zip;
    let first = &plan.runs[0].scenario;
    let out_dir = out.unwrap_or(default_out);
    refuse_file_as_folder(&out_dir)?;
    if emit_slurm.is_some() || emit_hq.is_some() {
        if !(0.0..=64.0).contains(&gpus_per_case) {
            bail!("--gpus-per-case {gpus_per_case}: allowed range [0, 64]");
        }
        let launch = sweep::emit::Launch {
            program: std::env::current_exe().context("cannot find this program's path")?,
            plan_args: again,
            out_dir: std::path::absolute(&out_dir)?,
            cases: plan.runs.len(),
            name: first.name.clone() + "-sweep",
            throttle: throttle as usize,
            gpus_per_case,
        };
        let mut written = Vec::new();
        if let Some(dir) = &emit_slurm {
            written.extend(launch.write_slurm(dir)?);
        }
        if let Some(dir) = &emit_hq {
            written.extend(launch.write_hq(dir)?);
        }
        for w in written {
            println!("wrote {}", w.display());
        }
        println!(
            "{} cases into {}; each task runs: {}",
            plan.runs.len(),
            launch.out_dir.display(),
            launch.case_command("K")
        );
        return Ok(());
    }
    if let Some(index) = case {
        // A case past the plan is refused before the adapter opens.
        let run = plan.run_at(index)?;
        let gpu = Gpu::open(adapter.as_deref())?;
        check_memory(&run.scenario, &gpu, true)?;
        let opts = SweepOptions {
            out_dir: out_dir.clone(),
            quiet,
            parallel: 1,
            no_pictures,
        };
        let outcome = sweep::run_case(&plan, index, &gpu, &opts)?;
        if !outcome.finished() {
            bail!(
                "case {index} ({}): {} {}",
                plan.runs[index].folder,
                outcome.status,
                outcome.message
            );
        }
        return Ok(());
    }
    let starts = sweep::plan_starts(&plan, &out_dir, resume)?;
    if !quiet {
        describe_base(first);
        let keys: Vec<&str> = plan.axes.iter().map(|a| a.key.as_str()).collect();
        println!(
            "sweep: {} runs over {} into {}",
            plan.runs.len(),
            keys.join(if zip { " with " } else { " x " }),
            out_dir.display()
        );
        // Each warning once, with the runs it concerns when not all of them.
        let mut warnings: Vec<(String, Vec<&str>)> = Vec::new();
        for r in &plan.runs {
            for w in r.scenario.warnings() {
                match warnings.iter_mut().find(|(text, _)| *text == w) {
                    Some((_, runs)) => runs.push(&r.folder),
                    None => warnings.push((w, vec![&r.folder])),
                }
            }
        }
        for (w, runs) in warnings {
            if runs.len() == plan.runs.len() {
                println!("warning: {w}");
            } else {
                println!("warning ({}): {w}", runs.join(", "));
            }
        }
    }
    let mut gpu = Gpu::open(adapter.as_deref())?;
    // The largest runs that may run at once must fit together; each run that chooses by
    // memory (gde's steady operator, `auto`) chooses by its share of the device.
    let parallel = (parallel as usize).min(plan.runs.len());
    let share = gpu.summary.memory_bytes.map(|m| m / parallel as u64);
    let mut needs = plan
        .runs
        .iter()
        .map(|r| memory_estimate_on(&r.scenario, &gpu, share))
        .collect::<Result<Vec<u64>>>()?;
    needs.sort_unstable_by(|a, b| b.cmp(a));
    let what = match parallel {
        1 => "the largest run of this sweep".to_string(),
        n => format!("the {n} largest runs of this sweep at once (--parallel {n})"),
    };
    check_memory_need(
        &first.file,
        &what,
        needs[..parallel].iter().sum(),
        &gpu,
        quiet,
    )?;
    gpu.summary.memory_bytes = share;
    let opts = SweepOptions {
        out_dir: out_dir.clone(),
        quiet,
        parallel,
        no_pictures,
    };
    let outcomes = sweep::run_sweep(&plan, &starts, &gpu, &opts)?;
    let unfinished = outcomes.iter().filter(|o| !o.finished()).count();
    let earlier = outcomes.iter().filter(|o| o.earlier).count();
    let table = out_dir.join(sweep::TABLE_FILE);
    if unfinished > 0 {
        bail!(
            "{unfinished} of {} runs did not finish (their status and message are in {})",
            outcomes.len(),
            table.display()
        );
    }
    if !quiet {
        println!(
            "sweep: {} runs finished ({earlier} of them earlier); results in {}",
            outcomes.len(),
            table.display()
        );
    }
    Ok(())
}

/// `--collect DIR`: the table, plots and page from the finished cases; an error listing the
/// cases that are missing or failed, after writing what there is.
fn collect(dir: &Path, quiet: bool) -> Result<()> {
    let c = sweep::collect::collect(dir)?;
    let total = c.outcomes.len();
    let done = c.outcomes.iter().filter(|o| o.finished()).count();
    if !quiet {
        println!(
            "collected {done} of {total} cases into {}",
            sweep::collect::table_path(dir).display()
        );
    }
    if c.missing.is_empty() && c.failed.is_empty() {
        return Ok(());
    }
    let mut lines = Vec::new();
    if !c.missing.is_empty() {
        lines.push(format!(
            "{} with no result yet: {}",
            c.missing.len(),
            c.missing.join(", ")
        ));
    }
    for (folder, message) in &c.failed {
        lines.push(format!("{folder} failed: {message}"));
    }
    bail!(
        "{} of {total} cases did not finish\n  {}",
        total - done,
        lines.join("\n  ")
    )
}

fn describe(s: &Scenario) {
    describe_base(s);
    for w in s.warnings() {
        println!("warning: {w}");
    }
}

/// The scenario's one-line description (model, grid, clock).
fn describe_base(s: &Scenario) {
    let g = &s.grid;
    let clock = if s.model.clock == sim::ClockKind::Seconds {
        format!(
            "end time {:e} s, dt = {:.4e} s (~{:.0} steps)",
            s.run.end_time,
            s.time_step(),
            (s.run.end_time / s.time_step()).ceil()
        )
    } else {
        format!("at most {:.0} iterations", s.run.end_time)
    };
    println!(
        "scenario {} (model {}): {}x{}x{} cells, dx = {:e} m, {clock}",
        s.name,
        s.model_name(),
        g.nx,
        g.ny,
        g.nz,
        g.dx,
    );
}

/// An `--out` that names an existing file, not a folder, is refused before any GPU work.
fn refuse_file_as_folder(out_dir: &Path) -> Result<()> {
    if out_dir.exists() && !out_dir.is_dir() {
        bail!(
            "--out {}: is a file, not a folder; name a folder (it is created if missing)",
            out_dir.display()
        );
    }
    Ok(())
}

/// Bytes of GPU memory a run of `s` needs, about.
fn memory_estimate(s: &Scenario, gpu: &Gpu) -> Result<u64> {
    memory_estimate_on(s, gpu, gpu.summary.memory_bytes)
}

/// `memory_estimate` for a run given `memory` bytes of the device (its share under
/// `--parallel`), where a model chooses its path by the memory it has.
fn memory_estimate_on(s: &Scenario, gpu: &Gpu, memory: Option<u64>) -> Result<u64> {
    let count = s
        .params
        .gpu_fields_on(&s.grid, memory, gpu.summary.shader_f16);
    let fields = gpu::domain::estimate_field_bytes(
        &s.grid,
        gpu.max_binding_bytes,
        count,
        s.params.ghost_planes(),
    )?;
    // Read-back staging for one chunk and reduction scratch come on top of the fields.
    Ok(fields + fields / count.max(1) as u64 / 8)
}

/// Prints the memory estimate and refuses a run that cannot fit on the adapter, or that needs
/// shader features it lacks.
fn check_memory(s: &Scenario, gpu: &Gpu, quiet: bool) -> Result<()> {
    if let Some((key, value, instead)) = s.params.needs_f16_shaders() {
        if !gpu.summary.shader_f16 {
            bail!(
                "{}: {key} = \"{value}\" needs an adapter with f16 shaders; {} has none (see \
                 `mesolyte info`); use \"{instead}\" there",
                s.file,
                gpu.summary.name
            );
        }
    }
    let need = memory_estimate(s, gpu)?;
    if !quiet {
        // Per cell, to compare paths and image sizes (docs/models/gde.md, Memory).
        println!(
            "memory per cell: {:.0} B",
            need as f64 / s.grid.cells() as f64
        );
    }
    check_memory_need(&s.file, "this run", need, gpu, quiet)
}

/// Prints `need` (bytes for `what`) against the adapter's memory and refuses what cannot fit.
fn check_memory_need(file: &str, what: &str, need: u64, gpu: &Gpu, quiet: bool) -> Result<()> {
    match gpu.summary.memory_bytes {
        Some(have) => {
            if !quiet {
                println!(
                    "memory estimate: {} of {} on {}",
                    format_bytes(need),
                    format_bytes(have),
                    gpu.summary.name
                );
            }
            if need as f64 > 0.9 * have as f64 {
                bail!(
                    "{file}: {what} needs about {} of GPU memory but {} has {}; use a smaller grid{}",
                    format_bytes(need),
                    gpu.summary.name,
                    format_bytes(have),
                    if what.contains("--parallel") {
                        " or a lower --parallel"
                    } else {
                        ""
                    }
                );
            }
        }
        None if !quiet => println!(
            "memory estimate: {} (adapter memory not reported)",
            format_bytes(need)
        ),
        None => {}
    }
    Ok(())
}

fn info(json: bool) -> Result<()> {
    let adapters = gpu::list_adapters();
    if adapters.is_empty() {
        bail!("{}", gpu::NO_ADAPTER_HELP);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&adapters)?);
        return Ok(());
    }
    for a in &adapters {
        println!("adapter {}: {}", a.index, a.name);
        println!("  backend:              {}", a.backend);
        println!("  device type:          {}", a.device_type);
        println!("  driver:               {}", a.driver);
        println!(
            "  max buffer size:      {}",
            format_bytes(a.max_buffer_size)
        );
        println!(
            "  max storage binding:  {}",
            format_bytes(a.max_storage_binding_size)
        );
        println!(
            "  memory:               {}",
            a.memory_bytes.map_or("not reported".into(), format_bytes)
        );
        println!(
            "  f16 shaders:          {}",
            if a.shader_f16 { "yes" } else { "no" }
        );
        println!(
            "  timestamp queries:    {}",
            if a.timestamp_query { "yes" } else { "no" }
        );
    }
    Ok(())
}

fn list(dir: &Path) -> Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read scenario folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for f in files {
        match Scenario::load(&f, &[]) {
            Ok(s) => {
                let g = &s.grid;
                println!(
                    "{:<40} {:<10} {}x{}x{}  {}",
                    f.display(),
                    s.model_name(),
                    g.nx,
                    g.ny,
                    g.nz,
                    s.description
                );
            }
            Err(e) => println!("{:<40} INVALID: {e}", f.display()),
        }
    }
    Ok(())
}
