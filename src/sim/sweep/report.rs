//! What people look at after a sweep: `sweep_<key>.png` (each result against each swept
//! value, one line per value of the other axes), `sweep_heatmap.png` for a two-axis grid
//! (each result over both axes; superfill's void-free or not), and `index.html`, which
//! shows them with a thumbnail of each run's last picture linked to its folder.

use anyhow::Result;
use std::path::Path;

use super::{Combine, PlanRecord, RunOutcome, LEADING_COLUMNS, TABLE_FILE};
use crate::io::write_bytes_atomic;
use crate::plot::heatmap::{draw_heat_maps, HeatMap};
use crate::plot::lines::{self, Series};

/// The page of a sweep folder.
pub const INDEX_FILE: &str = "index.html";
/// The two-axis heat maps.
pub const HEATMAP_FILE: &str = "sweep_heatmap.png";
/// Thumbnails of the runs' last pictures.
pub const THUMBNAILS: &str = "thumbnails";
/// Most results plotted (the first ones of the summaries; every model's fit).
const MOST_RESULTS: usize = 32;

/// The picture of results against axis `key`.
pub fn axis_plot_name(key: &str) -> String {
    format!("sweep_{key}.png")
}

/// The model's results of the finished runs, in order of first appearance, as (name,
/// whether it is a yes/no verdict: JSON booleans, or a `*_free` result of 0s and 1s such as
/// superfill's `void_free`, which summary.json writes as a number).
fn result_columns(outcomes: &[RunOutcome]) -> Vec<(String, bool)> {
    let mut cols: Vec<(String, bool)> = Vec::new();
    for o in outcomes {
        for (k, v) in &o.results {
            if LEADING_COLUMNS.contains(&k.as_str()) {
                continue;
            }
            let flag = v.is_boolean()
                || (k.ends_with("_free") && v.as_f64().is_some_and(|x| x == 0.0 || x == 1.0));
            match cols.iter_mut().find(|(c, _)| c == k) {
                Some(c) => c.1 &= flag,
                None => cols.push((k.clone(), flag)),
            }
        }
    }
    cols.truncate(MOST_RESULTS);
    cols
}

fn value_of(o: &RunOutcome, key: &str) -> Option<f64> {
    let v = o.results.iter().find(|(k, _)| k == key)?.1.clone();
    match v {
        serde_json::Value::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
        serde_json::Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Writes the plots and index.html for the plan's runs as they stand.
pub fn write_report(plan: &PlanRecord, outcomes: &[RunOutcome], dir: &Path) -> Result<()> {
    let columns = result_columns(outcomes);
    let mut plots = Vec::new();
    if !columns.is_empty() {
        for (a, axis) in plan.axes.iter().enumerate() {
            let name = axis_plot_name(&axis.key);
            axis_plot(plan, outcomes, &columns, a)?.save(&dir.join(&name))?;
            plots.push(name);
        }
        if plan.combine == Combine::Product && plan.axes.len() == 2 {
            heat_maps(plan, outcomes, &columns)?.save(&dir.join(HEATMAP_FILE))?;
            plots.push(HEATMAP_FILE.to_string());
        }
    }
    let thumbs = thumbnails(plan, dir)?;
    write_index(plan, outcomes, &plots, &thumbs, dir)
}

/// An axis's values as numbers when they all are, with whether a log scale suits them
/// (positive, over more than a decade and a half).
fn numeric(values: &[String]) -> Option<(Vec<f64>, bool)> {
    let x: Vec<f64> = values
        .iter()
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    let lo = x.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    Some((x.clone(), lo > 0.0 && hi / lo >= 30.0))
}

fn axis_plot(
    plan: &PlanRecord,
    outcomes: &[RunOutcome],
    columns: &[(String, bool)],
    a: usize,
) -> Result<crate::plot::Picture> {
    let axis = &plan.axes[a];
    let (xs, log_x, x_label) = match numeric(&axis.values) {
        Some((x, log)) => (x, log, axis.key.clone()),
        None => (
            (0..axis.values.len()).map(|i| i as f64).collect(),
            false,
            format!("{} (index: {})", axis.key, axis.values.join(", ")),
        ),
    };
    // A line per combination of the other axes' values (all cases on one line for zip).
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, case) in plan.cases.iter().enumerate() {
        let label = match plan.combine {
            Combine::Zip => String::new(),
            Combine::Product => plan
                .axes
                .iter()
                .zip(&case.values)
                .enumerate()
                .filter(|(b, _)| *b != a)
                .map(|(_, (ax, v))| format!("{}={v}", short_key(&ax.key)))
                .collect::<Vec<_>>()
                .join(", "),
        };
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, members)) => members.push(i),
            None => groups.push((label, vec![i])),
        }
    }
    let x_of = |i: usize| {
        let v = &plan.cases[i].values[a];
        axis.values.iter().position(|x| x == v).map(|k| xs[k])
    };
    let panels: Vec<lines::Panel> = columns
        .iter()
        .map(|(col, _)| lines::Panel {
            y_label: col.clone(),
            x_label: x_label.clone(),
            log_x,
            series: groups
                .iter()
                .map(|(label, members)| {
                    let mut points: Vec<(f64, f64)> = members
                        .iter()
                        .filter(|&&i| outcomes[i].finished())
                        .filter_map(|&i| Some((x_of(i)?, value_of(&outcomes[i], col)?)))
                        .collect();
                    points.sort_by(|p, q| p.0.total_cmp(&q.0));
                    Series {
                        label: label.clone(),
                        points,
                    }
                })
                .collect(),
        })
        .collect();
    lines::draw_panels(&format!("sweep results against {}", axis.key), &panels, 3)
}

/// The last part of a dotted key (legends are short).
fn short_key(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

fn heat_maps(
    plan: &PlanRecord,
    outcomes: &[RunOutcome],
    columns: &[(String, bool)],
) -> Result<crate::plot::Picture> {
    let (ya, xa) = (&plan.axes[0], &plan.axes[1]);
    // Flags (void-free or not) first: the question a two-axis sweep usually asks.
    let mut ordered: Vec<&(String, bool)> = columns.iter().filter(|c| c.1).collect();
    ordered.extend(columns.iter().filter(|c| !c.1));
    let maps: Vec<HeatMap> = ordered
        .into_iter()
        .take(9)
        .map(|(col, flag)| {
            let mut values = vec![None; xa.values.len() * ya.values.len()];
            for (case, o) in plan.cases.iter().zip(outcomes) {
                let i = xa.values.iter().position(|v| *v == case.values[1]);
                let j = ya.values.iter().position(|v| *v == case.values[0]);
                if let (Some(i), Some(j)) = (i, j) {
                    values[i + xa.values.len() * j] = value_of(o, col).filter(|_| o.finished());
                }
            }
            HeatMap {
                title: col.clone(),
                x_label: xa.key.clone(),
                y_label: ya.key.clone(),
                x_ticks: xa.values.clone(),
                y_ticks: ya.values.clone(),
                values,
                flag: *flag,
            }
        })
        .collect();
    draw_heat_maps("sweep results over both axes", &maps)
}

/// The newest field picture of each run (`<name>_<step>.png`, the largest step), shrunk
/// into `thumbnails/<folder>.png`; None for a run with no picture yet.
fn thumbnails(plan: &PlanRecord, dir: &Path) -> Result<Vec<Option<String>>> {
    let mut out = Vec::with_capacity(plan.cases.len());
    for case in &plan.cases {
        let Some(source) = last_field_picture(&dir.join(&case.folder)) else {
            out.push(None);
            continue;
        };
        let Ok(img) = image::open(&source) else {
            out.push(None);
            continue;
        };
        let small = img.thumbnail(360, 240).to_rgb8();
        let name = format!("{THUMBNAILS}/{}.png", case.folder);
        std::fs::create_dir_all(dir.join(THUMBNAILS))?;
        let picture = crate::plot::Picture {
            width: small.width(),
            height: small.height(),
            rgb: small.into_raw(),
        };
        picture.save(&dir.join(&name))?;
        out.push(Some(name));
    }
    Ok(out)
}

/// `<anything>_<digits>.png` with the most digits' value in `run_dir`.
fn last_field_picture(run_dir: &Path) -> Option<std::path::PathBuf> {
    let entries = std::fs::read_dir(run_dir).ok()?;
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let step: u64 = name
                .strip_suffix(".png")?
                .rsplit_once('_')?
                .1
                .parse()
                .ok()?;
            Some((step, e.path()))
        })
        .max_by_key(|(step, _)| *step)
        .map(|(_, p)| p)
}

/// Text for HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn write_index(
    plan: &PlanRecord,
    outcomes: &[RunOutcome],
    plots: &[String],
    thumbs: &[Option<String>],
    dir: &Path,
) -> Result<()> {
    let finished = outcomes.iter().filter(|o| o.finished()).count();
    let keys: Vec<String> = plan.axes.iter().map(|a| escape(&a.key)).collect();
    let mut html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mesolyte sweep: {title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; color: #222; }}
.plots img {{ max-width: 100%; border: 1px solid #ddd; margin-bottom: 1em; }}
.runs {{ display: flex; flex-wrap: wrap; gap: 12px; }}
.run {{ width: 370px; border: 1px solid #ddd; padding: 6px; }}
.run img {{ max-width: 360px; display: block; }}
.missing {{ width: 360px; height: 120px; background: #eee; display: flex;
           align-items: center; justify-content: center; color: #777; }}
.failed {{ color: #b00; }}
</style>
</head>
<body>
<h1>Sweep over {title}</h1>
<p>{count} runs, {finished} finished. Results per run: <a href="{table}">{table}</a>.</p>
<div class="plots">
"#,
        title = keys.join(" × "),
        count = plan.cases.len(),
        table = TABLE_FILE,
    );
    for p in plots {
        html += &format!("<img src=\"{0}\" alt=\"{0}\"><br>\n", escape(p));
    }
    html += "</div>\n<h2>Runs</h2>\n<div class=\"runs\">\n";
    for ((case, o), thumb) in plan.cases.iter().zip(outcomes).zip(thumbs) {
        let values: Vec<String> = plan
            .axes
            .iter()
            .zip(&case.values)
            .map(|(a, v)| format!("{} = {}", escape(&a.key), escape(v)))
            .collect();
        let folder = escape(&case.folder);
        let picture = match thumb {
            Some(t) => format!("<img src=\"{}\" alt=\"{folder}\">", escape(t)),
            None => "<div class=\"missing\">no picture yet</div>".to_string(),
        };
        let class = if o.finished() {
            ""
        } else {
            " class=\"failed\""
        };
        html += &format!(
            "<div class=\"run\"><a href=\"{folder}/\">{picture}</a>\n<b><a href=\"{folder}/\">{folder}</a></b> <span{class}>{status}</span><br>{values}</div>\n",
            status = escape(&o.status),
            values = values.join("<br>"),
        );
    }
    html += "</div>\n</body>\n</html>\n";
    Ok(write_bytes_atomic(&dir.join(INDEX_FILE), html.as_bytes())?)
}
