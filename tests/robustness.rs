//! Generated inputs: values drawn across each model's documented key ranges, on tiny grids
//! and short runs, and for every draw:
//! - the scenario is refused with a message naming the file and a key, or
//! - it validates (section reading, the model's CPU checks), and then the run ends cleanly:
//!   completed, the model's own end, or stopped by the divergence guard with its message,
//!   within the step budget validation estimated (run.max_steps is set to it here: a run
//!   that reaches it needed more steps than validation said, and fails the test). A panic,
//!   an abort or a failure without a message fails too.
//!
//! The draws are deterministic (the crate's SplitMix64, `rng.rs`, from a fixed seed).
//! `MESOLYTE_DRAWS=N` runs N draws per model instead of the default few
//! (docs/verification.md records long runs).

mod common;

use mesolyte::rng::Rng;
use mesolyte::sim::{self, Diverged, RunOptions};
use mesolyte::Scenario;
use std::path::Path;

/// How a key's value is drawn within its documented range.
#[derive(Clone, Copy)]
enum Draw {
    Uniform(f64, f64),
    Log(f64, f64),
    Integer(u64, u64),
}

struct Case {
    scenario: &'static str,
    /// Draws found to break things once, run first in every run of the test.
    pinned: &'static [&'static str],
    /// Overrides that make the case tiny and short.
    small: &'static [&'static str],
    keys: &'static [(&'static str, Draw)],
}

const STEP_BUDGET: u64 = 4000;

const CASES: [Case; 3] = [
    Case {
        scenario: "dendrite-2d.toml",
        pinned: &[
            "dendrite.temperature_K=1",
            "dendrite.applied_voltage_V=-2",
            "dendrite.barrier_height_J_m3=1e15",
            "dendrite.nucleation_density_m2=1e14",
        ],
        small: &[
            "grid.nx=32",
            "grid.ny=8",
            "run.end_time=0.002",
            "run.output_every=0.001",
            "dendrite.interface_position_m=8e-6",
        ],
        keys: &[
            ("dendrite.applied_voltage_V", Draw::Uniform(-2.0, 2.0)),
            ("dendrite.temperature_K", Draw::Log(1.0, 1000.0)),
            ("dendrite.charge_number", Draw::Uniform(1.0, 4.0)),
            ("dendrite.transfer_coefficient", Draw::Uniform(0.05, 0.95)),
            (
                "dendrite.exchange_current_coefficient_1_s",
                Draw::Log(1e-3, 1e3),
            ),
            ("dendrite.anisotropy_strength", Draw::Uniform(0.0, 0.3)),
            ("dendrite.anisotropy_mode", Draw::Integer(1, 12)),
            ("dendrite.li_diffusivity_m2_s", Draw::Log(1e-16, 1e-6)),
            ("dendrite.barrier_height_J_m3", Draw::Log(1e3, 1e15)),
            ("dendrite.time_step_safety", Draw::Uniform(0.05, 1.0)),
            ("dendrite.potential_tolerance", Draw::Log(1e-7, 1e-2)),
            ("dendrite.nucleation_density_m2", Draw::Log(1e6, 1e14)),
        ],
    },
    Case {
        scenario: "diffusion-gaussian-2d.toml",
        pinned: &["diffusion.diffusivity_m2_s=1"],
        small: &[
            "grid.nx=16",
            "grid.ny=16",
            "run.end_time=0.01",
            "run.output_every=0.005",
        ],
        keys: &[
            ("diffusion.diffusivity_m2_s", Draw::Log(1e-16, 1.0)),
            ("diffusion.amplitude_mol_m3", Draw::Uniform(-1e3, 1e3)),
            ("diffusion.width_m", Draw::Log(1e-9, 1e-3)),
            ("diffusion.stability_safety", Draw::Uniform(0.01, 1.0)),
        ],
    },
    Case {
        scenario: "gde-sphere-array.toml",
        pinned: &["gde.flow.check_every=7"],
        small: &[
            "grid.nx=12",
            "grid.ny=12",
            "grid.nz=12",
            "run.end_time=400",
            "run.output_every=200",
        ],
        keys: &[
            ("gde.geometry.solid_fraction", Draw::Uniform(1e-3, 0.52)),
            ("gde.flow.relaxation_time", Draw::Uniform(0.51, 3.0)),
            ("gde.flow.tolerance", Draw::Log(1e-9, 1.0)),
            ("gde.flow.check_every", Draw::Integer(1, 500)),
            ("gde.flow.density_kg_m3", Draw::Log(1e-3, 1e4)),
        ],
    },
];

/// The draws, from the crate's seeded generator.
struct Stream(Rng);

impl Stream {
    fn next(&mut self) -> f64 {
        self.0.uniform()
    }

    fn value(&mut self, d: Draw) -> String {
        let u = self.next();
        match d {
            Draw::Uniform(lo, hi) => format!("{:e}", lo + u * (hi - lo)),
            Draw::Log(lo, hi) => format!("{:e}", (lo.ln() + u * (hi.ln() - lo.ln())).exp()),
            Draw::Integer(lo, hi) => (lo + (u * (hi - lo + 1) as f64) as u64).min(hi).to_string(),
        }
    }
}

#[test]
fn drawn_inputs_are_refused_clearly_or_run_to_a_clean_end() {
    let draws: usize = std::env::var("MESOLYTE_DRAWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let (gpu, _lock) = common::gpu();
    let mut stream = Stream(Rng::new(20261204));
    // Refused, completed, the model's own end, diverged.
    let mut tally = [0usize; 4];
    for case in &CASES {
        let file = common::scenario(case.scenario);
        for draw in 0..case.pinned.len() + draws {
            let mut set: Vec<String> = case.small.iter().map(|s| s.to_string()).collect();
            set.push(format!("run.max_steps={STEP_BUDGET}"));
            if let Some(pinned) = case.pinned.get(draw) {
                set.push(pinned.to_string());
            } else {
                // Two to three keys per draw.
                let n = 2 + (stream.next() * 2.0) as usize;
                let mut chosen = Vec::new();
                while chosen.len() < n.min(case.keys.len()) {
                    let k = (stream.next() * case.keys.len() as f64) as usize % case.keys.len();
                    if !chosen.contains(&k) {
                        chosen.push(k);
                    }
                }
                for &k in &chosen {
                    let (key, d) = case.keys[k];
                    set.push(format!("{key}={}", stream.value(d)));
                }
            }
            let what = format!("{} with {:?}", case.scenario, &set[case.small.len() + 1..]);
            let scenario = match Scenario::load(Path::new(&file), &set) {
                Ok(s) => s,
                Err(e) => {
                    // ScenarioError always carries file and key; the message must say what is
                    // allowed or what is wrong.
                    assert!(
                        e.file.ends_with(case.scenario) && !e.key.is_empty(),
                        "{what}: {e}"
                    );
                    tally[0] += 1;
                    continue;
                }
            };
            if let Err(e) = scenario.params.check(&scenario.grid) {
                let msg = format!("{e:#}");
                assert!(
                    msg.contains("gde.") || msg.contains("dendrite.") || msg.contains("diffusion."),
                    "{what}: {msg}"
                );
                tally[0] += 1;
                continue;
            }
            let dir = tempfile::tempdir().unwrap();
            let opts = RunOptions {
                out_dir: dir.path().join("run"),
                quiet: true,
                ..Default::default()
            };
            match sim::run(&scenario, &gpu, &opts) {
                Ok(report) => {
                    assert!(
                        report.steps <= STEP_BUDGET,
                        "{what}: {} steps",
                        report.steps
                    );
                    // run.max_steps is validation's budget: reaching it means the run
                    // needed more steps than validation estimated.
                    assert!(
                        report.status != "step limit",
                        "{what}: ran out of its step budget"
                    );
                    let i = if report.status == "completed" { 1 } else { 2 };
                    tally[i] += 1;
                }
                Err(e) if e.is::<Diverged>() => {
                    let msg = e.to_string();
                    assert!(
                        msg.contains("step") || msg.contains("iteration"),
                        "{what}: {msg}"
                    );
                    tally[3] += 1;
                }
                Err(e) => panic!("{what}: validated, then failed: {e:#}"),
            }
        }
    }
    eprintln!(
        "{} draws per model and the pinned ones: {} refused at validation, {} completed, {} ended by the model, {} \
         stopped by the divergence guard",
        draws, tally[0], tally[1], tally[2], tally[3]
    );
}
