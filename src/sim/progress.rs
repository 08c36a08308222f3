//! Progress display: an indicatif bar (simulated time, steps/s, ETA) on a terminal, or plain
//! log lines every few seconds when output goes to a file or pipe.

use super::ClockKind;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Bar resolution: positions per whole run.
const TICKS: u64 = 10_000;
/// Plain log line interval when not on a terminal.
const LOG_EVERY: Duration = Duration::from_secs(10);

pub struct Progress {
    bar: Option<ProgressBar>,
    name: String,
    end_time: f64,
    start: Instant,
    last_log: Instant,
    start_step: u64,
    quiet: bool,
    clock: ClockKind,
    /// "ETA", or "ETA at most" for an iteration clock: it runs to run.end_time only if its
    /// solves do not converge first.
    eta_label: &'static str,
}

/// A clock reading in the model's own terms: simulated seconds (with `digits` after the
/// point, or the shortest exact form) or, for models counting iterations, the iteration.
pub fn clock_reading(clock: ClockKind, t: f64, digits: Option<usize>) -> String {
    match (clock, digits) {
        (ClockKind::Seconds, Some(d)) => format!("t = {t:.d$e} s"),
        (ClockKind::Seconds, None) => format!("t = {t:e} s"),
        (ClockKind::Iterations, _) => format!("iteration {t:.0}"),
    }
}

impl Progress {
    pub fn new(
        name: &str,
        end_time: f64,
        start_time: f64,
        start_step: u64,
        quiet: bool,
        clock: ClockKind,
    ) -> Progress {
        let eta_label = if clock == ClockKind::Seconds {
            "ETA"
        } else {
            "ETA at most"
        };
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(TICKS);
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{{prefix}} [{{bar:40.cyan/blue}}] {{percent:>3}}% {{msg}} {eta_label} {{eta}}"
                ))
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(name.to_string());
            bar
        });
        let p = Progress {
            bar,
            name: name.to_string(),
            end_time,
            start: Instant::now(),
            last_log: Instant::now(),
            start_step,
            quiet,
            clock,
            eta_label,
        };
        p.set(start_time);
        p
    }

    fn set(&self, t: f64) {
        if let Some(bar) = &self.bar {
            bar.set_position(((t / self.end_time).clamp(0.0, 1.0) * TICKS as f64) as u64);
        }
    }

    fn rate(&self, step: u64) -> f64 {
        (step - self.start_step) as f64 / self.start.elapsed().as_secs_f64().max(1e-9)
    }

    /// The clock reading, in the model's own terms.
    pub fn clock(&self, t: f64) -> String {
        clock_reading(self.clock, t, Some(4))
    }

    /// `dt` is the step just taken: shown for models with a time clock, whose stable step
    /// can shrink during a run (an ETA from the simulated time alone then runs late).
    /// `status` is the model's own (Model::status), shown after the rate.
    pub fn update(&mut self, t: f64, step: u64, dt: f64, status: Option<String>) {
        let status = status.map_or(String::new(), |s| format!(", {s}"));
        let rate = self.rate(step);
        let clock = self.clock(t);
        let step_size = if self.clock == ClockKind::Seconds {
            format!(", dt {dt:.2e} s")
        } else {
            String::new()
        };
        if let Some(bar) = &self.bar {
            self.set(t);
            bar.set_message(format!(
                "{clock}, step {step}{step_size}, {rate:.0} steps/s{status}"
            ));
        } else if !self.quiet && self.last_log.elapsed() >= LOG_EVERY {
            self.last_log = Instant::now();
            let frac = (t / self.end_time).clamp(0.0, 1.0);
            let elapsed = self.start.elapsed().as_secs_f64();
            let eta = if frac > 0.0 {
                elapsed * (1.0 - frac) / frac
            } else {
                f64::NAN
            };
            let eta_label = self.eta_label;
            eprintln!(
                "[{}] {clock} ({:.1}%), step {step}{step_size}, {rate:.0} steps/s{status}, {eta_label} {eta:.0} s",
                self.name,
                frac * 100.0
            );
        }
    }

    /// A message that should not be overwritten by the bar.
    pub fn note(&self, msg: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.println(msg),
            None => eprintln!("{msg}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
