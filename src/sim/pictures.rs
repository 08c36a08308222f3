//! A run's pictures, beside its snapshots: at each output (or every `run.picture_every`-th,
//! and the last) `<name>_<step>.png` with the model's main fields (a 2D run whole, a 3D run
//! as a section, `Model::pictures`), the interface drawn on each; `interface.png`, the
//! interface of every output so far coloured by time, for models that have one; and
//! `metrics.png`, every metric against the clock.
//!
//! The loop hands each output's downloaded values over and goes on: a thread of the run's
//! own draws and writes the files, so the simulation never waits for a picture (the cost
//! measured on the main thread is the copy of one plane per field; docs/performance.md).

use anyhow::{anyhow, Result};
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;

use super::ClockKind;
use crate::grid::Grid;
use crate::io::{RunDir, INTERFACE_PICTURE, METRICS_PICTURE};
use crate::models::contract::PictureSpec;
use crate::plot::contour::contour;
use crate::plot::lines::{self, Series};
use crate::plot::map::{self, Line, Plane};
use crate::plot::{tick, viridis};

/// The picture of output fields at `step`, named like its snapshot.
pub fn field_picture_name(run: &str, step: u64) -> String {
    format!("{run}_{step:08}.png")
}

/// One output field as the loop downloaded it: value `i` (of `components` per cell) as f32,
/// read in place so that only the planes drawn are copied.
pub struct FieldValues<'a> {
    pub name: &'a str,
    pub components: usize,
    pub value: Box<dyn Fn(usize) -> f32 + 'a>,
}

/// The interface at one output: its time and contour segments (µm).
type Outline = (f64, Vec<[(f64, f64); 2]>);

/// What the drawing thread needs of one output.
struct Frame {
    step: u64,
    time: f64,
    draw_maps: bool,
    maps: Vec<(String, Plane)>,
    interface: Option<Plane>,
    hidden: Option<Vec<bool>>,
    metric_columns: Vec<String>,
    /// This output's row of metrics.csv (the thread keeps the rows before it).
    metric_row: Vec<f64>,
}

/// What the loop tells the drawing thread.
enum Message {
    Frame(Box<Frame>),
    /// The run ended normally (not halted or failed): its last output gets its picture.
    End,
}

/// The run's picture writer: a drawing thread fed one frame per output.
pub struct Pictures {
    spec: PictureSpec,
    grid: Grid,
    every: u64,
    sender: Option<mpsc::Sender<Message>>,
    worker: Option<JoinHandle<Result<()>>>,
}

/// How the drawing thread labels and files its pictures.
struct Setting {
    grid: Grid,
    spec: PictureSpec,
    dir: PathBuf,
    run: String,
    clock: ClockKind,
    end_time: f64,
    interface_level: f32,
}

impl Pictures {
    /// Starts the drawing thread for the run writing into `dir`. What `dir` already holds
    /// (a resumed run's snapshots and metric rows) is drawn too: the earlier interfaces are
    /// read back from their snapshots, so that `interface.png` shows the whole run.
    pub fn start(
        spec: PictureSpec,
        grid: &Grid,
        dir: &RunDir,
        clock: ClockKind,
        end_time: f64,
        every: u64,
    ) -> Pictures {
        let (sender, receiver) = mpsc::channel::<Message>();
        let earlier = Earlier {
            snapshots: match spec.interface {
                Some(_) => dir
                    .snapshots
                    .iter()
                    .map(|(t, f)| (*t, dir.path(f)))
                    .collect(),
                None => Vec::new(),
            },
            metric_rows: dir.metric_rows.clone(),
        };
        let setting = Setting {
            grid: *grid,
            spec: spec.clone(),
            dir: dir.dir.clone(),
            run: dir.name.clone(),
            clock,
            end_time,
            interface_level: spec.interface.map_or(0.0, |i| i.1),
        };
        let worker = std::thread::Builder::new()
            .name(format!("pictures {}", dir.name))
            .spawn(move || draw_all(setting, earlier, receiver))
            .expect("a thread can be started");
        Pictures {
            spec,
            grid: *grid,
            every: every.max(1),
            sender: Some(sender),
            worker: Some(worker),
        }
    }

    /// Hands output number `index` (0 = initial state) to the drawing thread: the planes of
    /// the fields it draws, copied from `fields`, and its row of metrics.
    pub fn add(
        &mut self,
        index: u64,
        step: u64,
        time: f64,
        fields: &[FieldValues],
        metric_columns: &[String],
        metric_row: &[f64],
    ) -> Result<()> {
        let find = |name: &str| {
            fields
                .iter()
                .find(|f| f.name == name)
                .ok_or_else(|| anyhow!("pictures: the model has no output field {name:?}"))
        };
        let names: Vec<&str> = match self.spec.fields.is_empty() {
            true => fields.first().map(|f| f.name).into_iter().collect(),
            false => self.spec.fields.clone(),
        };
        let maps = names
            .iter()
            .map(|n| Ok((n.to_string(), self.plane(find(n)?))))
            .collect::<Result<Vec<_>>>()?;
        let interface = match self.spec.interface {
            Some((name, _)) => Some(self.plane(find(name)?)),
            None => None,
        };
        let hidden = match self.spec.open_cells {
            Some((name, open)) => Some(
                self.plane(find(name)?)
                    .values
                    .iter()
                    .map(|v| *v != open)
                    .collect(),
            ),
            None => None,
        };
        let frame = Frame {
            step,
            time,
            draw_maps: index.is_multiple_of(self.every),
            maps,
            interface,
            hidden,
            metric_columns: metric_columns.to_vec(),
            metric_row: metric_row.to_vec(),
        };
        if let Some(s) = &self.sender {
            // A closed channel means the thread stopped with an error, which finish() reports.
            let _ = s.send(Message::Frame(Box::new(frame)));
        }
        Ok(())
    }

    /// Waits for every picture to be written; the first drawing error, if any.
    pub fn finish(mut self) -> Result<()> {
        if let Some(s) = self.sender.take() {
            let _ = s.send(Message::End);
        }
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(anyhow!("the picture thread panicked")),
            None => Ok(()),
        }
    }

    /// The 2D plane drawn of `field`: all of a 2D grid, the model's section of a 3D one; a
    /// vector as its magnitude.
    fn plane(&self, field: &FieldValues) -> Plane {
        section(&self.grid, self.spec.section, field)
    }
}

impl Drop for Pictures {
    /// A run that stops on an error still gets the pictures of the outputs it drew.
    fn drop(&mut self) {
        self.sender.take();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// The plane of `field` drawn for `grid`: the whole grid in 2D; in 3D the cells at index
/// `plane` (None: the middle) along `normal`, with the other two axes in order.
fn section(grid: &Grid, (normal, plane): (usize, Option<usize>), field: &FieldValues) -> Plane {
    let n = [grid.nx as usize, grid.ny as usize, grid.nz as usize];
    let d = [grid.dx, grid.dy, grid.dz];
    let names = ["x", "y", "z"];
    let (normal, a, b) = if n[2] == 1 {
        (2, 0, 1)
    } else {
        match normal {
            0 => (0, 1, 2),
            1 => (1, 0, 2),
            _ => (2, 0, 1),
        }
    };
    let at = plane.unwrap_or(n[normal] / 2).min(n[normal] - 1);
    let k = field.components;
    let mut values = Vec::with_capacity(n[a] * n[b]);
    for j in 0..n[b] {
        for i in 0..n[a] {
            let mut c = [0usize; 3];
            c[a] = i;
            c[b] = j;
            c[normal] = at;
            let cell = c[0] + n[0] * (c[1] + n[1] * c[2]);
            values.push(match k {
                1 => (field.value)(cell),
                _ => (0..k)
                    .map(|m| (field.value)(cell * k + m).powi(2))
                    .sum::<f32>()
                    .sqrt(),
            });
        }
    }
    Plane {
        values,
        nx: n[a],
        ny: n[b],
        width_um: n[a] as f64 * d[a] * 1e6,
        height_um: n[b] as f64 * d[b] * 1e6,
        axes: [names[a], names[b]],
    }
}

/// What a resumed run wrote before this process: its snapshots (time, path) whose
/// interfaces are read back, and its metric rows.
struct Earlier {
    snapshots: Vec<(f64, PathBuf)>,
    metric_rows: Vec<Vec<f64>>,
}

/// The drawing thread: draws each frame as it comes and, when the run ends normally, the
/// last frame's fields if they were skipped (`run.picture_every`), so that a finished run
/// always ends with a picture (a halted one does not: its resumed run draws as an
/// uninterrupted one).
fn draw_all(setting: Setting, earlier: Earlier, messages: mpsc::Receiver<Message>) -> Result<()> {
    let mut history: Vec<Outline> = Vec::new();
    if let Some((name, _)) = setting.spec.interface {
        for (time, file) in earlier.snapshots {
            let (_, values) = crate::io::vti_read::read_f32_array(&file, name)?;
            let field = FieldValues {
                name,
                components: 1,
                value: Box::new(|i| values[i]),
            };
            let plane = section(&setting.grid, setting.spec.section, &field);
            history.push((time, contour(&plane, setting.interface_level)));
        }
    }
    let mut metric_rows = earlier.metric_rows;
    let mut last: Option<Box<Frame>> = None;
    // The pictures of the whole run so far (interface, metrics) are drawn once per batch of
    // frames that waited here, for the newest: a thread that falls behind catches up
    // instead of redrawing what the next frame replaces, and the files at the end are the
    // same either way.
    while let Ok(first) = messages.recv() {
        let mut batch = vec![first];
        batch.extend(messages.try_iter());
        let mut ended = false;
        for message in batch {
            match message {
                Message::Frame(frame) => {
                    // The frame's interface, drawn on its maps and kept for interface.png.
                    let outline = frame.interface.as_ref().map(|plane| {
                        history.push((frame.time, contour(plane, setting.interface_level)));
                        history.last().expect("just pushed").1.as_slice()
                    });
                    if frame.draw_maps {
                        draw_maps(&setting, &frame, outline)?;
                    }
                    metric_rows.push(frame.metric_row.clone());
                    last = Some(frame);
                }
                Message::End => ended = true,
            }
        }
        if let Some(frame) = &last {
            if let Some(plane) = &frame.interface {
                draw_interface_history(&setting, plane, frame.hidden.as_deref(), &history)?;
            }
            draw_metrics(&setting, frame, &metric_rows)?;
            if ended && !frame.draw_maps {
                let outline = frame
                    .interface
                    .as_ref()
                    .map(|_| history[history.len() - 1].1.as_slice());
                draw_maps(&setting, frame, outline)?;
            }
        }
        if ended {
            break;
        }
    }
    Ok(())
}

fn clock_text(setting: &Setting, time: f64) -> String {
    match setting.clock {
        ClockKind::Seconds => format!("t = {} s", tick(time)),
        ClockKind::Iterations => format!("iteration {time:.0}"),
    }
}

/// The interface drawn on each map: a magenta line, visible on every viridis colour.
const INTERFACE_COLOUR: plotters::style::RGBColor = plotters::style::RGBColor(230, 30, 140);

/// The frame's fields, with `outline` (its interface's contour) drawn on each.
fn draw_maps(setting: &Setting, frame: &Frame, outline: Option<&[[(f64, f64); 2]]>) -> Result<()> {
    let lines: Vec<Line> = outline
        .map(|segments| Line {
            segments: segments.to_vec(),
            colour: INTERFACE_COLOUR,
        })
        .into_iter()
        .collect();
    let panels: Vec<map::Panel> = frame
        .maps
        .iter()
        .map(|(name, plane)| map::Panel {
            plane,
            label: name,
            hidden: frame.hidden.as_deref(),
            lines: &lines,
            bar: None,
        })
        .collect();
    let title = format!("{}: {}", setting.run, clock_text(setting, frame.time));
    map::draw_panels(&title, &panels)?.save(
        &setting
            .dir
            .join(field_picture_name(&setting.run, frame.step)),
    )
}

fn draw_interface_history(
    setting: &Setting,
    plane: &Plane,
    hidden: Option<&[bool]>,
    history: &[Outline],
) -> Result<()> {
    // Colours span the outputs drawn so far (a run that stops early, e.g. a filled
    // feature, still uses the whole scale).
    let latest = history.last().map_or(0.0, |h| h.0);
    let end = if latest > 0.0 {
        latest
    } else {
        setting.end_time
    };
    let lines: Vec<Line> = history
        .iter()
        .map(|(t, segments)| Line {
            segments: segments.clone(),
            colour: viridis(t / end),
        })
        .collect();
    let clock_label = match setting.clock {
        ClockKind::Seconds => "time (s)",
        ClockKind::Iterations => "iteration",
    };
    let panel = map::Panel {
        plane,
        label: "interface",
        hidden,
        lines: &lines,
        bar: Some((0.0, end, clock_label)),
    };
    let title = format!(
        "{}: interface at {} outputs, to {}",
        setting.run,
        history.len(),
        clock_text(setting, latest)
    );
    map::draw_panels(&title, &[panel])?.save(&setting.dir.join(INTERFACE_PICTURE))
}

fn draw_metrics(setting: &Setting, frame: &Frame, rows: &[Vec<f64>]) -> Result<()> {
    let columns = &frame.metric_columns;
    let Some(clock) = columns.first() else {
        return Ok(());
    };
    let panels: Vec<lines::Panel> = columns
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, c)| c.as_str() != "step")
        .map(|(k, c)| lines::Panel {
            y_label: c.clone(),
            x_label: clock.clone(),
            log_x: false,
            series: vec![Series {
                label: String::new(),
                points: rows.iter().map(|r| (r[0], r[k])).collect(),
            }],
        })
        .collect();
    if panels.is_empty() {
        return Ok(());
    }
    let title = format!(
        "{}: metrics to {}",
        setting.run,
        clock_text(setting, frame.time)
    );
    lines::draw_panels(&title, &panels, 3)?.save(&setting.dir.join(METRICS_PICTURE))
}
