//! Line plots in a grid of panels: a run's metrics against time, a sweep's results against
//! one swept value (one line per value of the other axes).

use anyhow::Result;
use plotters::prelude::*;

use super::{failed, tick_within, value_range, viridis, Picture, FONT};

/// One line: its legend label (empty: no legend) and its points.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// One panel: a y quantity against x, with one or more lines.
#[derive(Debug, Clone)]
pub struct Panel {
    pub y_label: String,
    pub x_label: String,
    /// Draw x on a log scale (a sweep over decades); needs x > 0.
    pub log_x: bool,
    pub series: Vec<Series>,
}

const PANEL_W: u32 = 420;
const PANEL_H: u32 = 300;

/// The size of a picture of `panels` panels in rows of `columns`: (width, height, columns,
/// rows).
pub fn picture_size(panels: usize, columns: usize) -> (u32, u32, usize, usize) {
    let columns = columns.clamp(1, panels.max(1));
    let rows = panels.div_ceil(columns).max(1);
    (
        PANEL_W * columns as u32,
        PANEL_H * rows as u32 + 40,
        columns,
        rows,
    )
}

/// Draws `panels` in rows of `columns` under `title`. A panel with no finite point says so.
pub fn draw_panels(title: &str, panels: &[Panel], columns: usize) -> Result<Picture> {
    let (width, height, columns, rows) = picture_size(panels.len(), columns);
    Picture::draw(width, height, |root| {
        root.fill(&WHITE).map_err(failed)?;
        let body = root.titled(title, (FONT, 18)).map_err(failed)?;
        let cells = body.split_evenly((rows, columns));
        for (panel, area) in panels.iter().zip(&cells) {
            draw_panel(area, panel)?;
        }
        Ok(())
    })
}

/// Line colours: viridis from dark to light in the order of the lines (their swept values
/// are ordered), but short of the pale yellow end, which is hard to see on white.
fn line_colour(k: usize, n: usize) -> RGBColor {
    if n <= 1 {
        return RGBColor(31, 119, 180);
    }
    viridis(0.85 * k as f64 / (n - 1) as f64)
}

fn draw_panel(area: &super::Area, panel: &Panel) -> Result<()> {
    let xform = |x: f64| if panel.log_x { x.log10() } else { x };
    let finite =
        |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite() && (!panel.log_x || p.0 > 0.0);
    let points = || {
        panel
            .series
            .iter()
            .flat_map(|s| s.points.iter().filter(finite))
    };
    let (Some(xr), Some(yr)) = (
        value_range(points().map(|p| xform(p.0))),
        value_range(points().map(|p| p.1)),
    ) else {
        area.draw(&Text::new(
            format!("{}: no finite values", panel.y_label),
            (20, PANEL_H as i32 / 2),
            (FONT, 14),
        ))
        .map_err(failed)?;
        return Ok(());
    };
    let pad = 0.05 * (yr.1 - yr.0);
    let x_label = if panel.log_x {
        format!("log10 {}", panel.x_label)
    } else {
        panel.x_label.clone()
    };
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.y_label, (FONT, 15))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(66)
        .build_cartesian_2d(xr.0..xr.1, (yr.0 - pad)..(yr.1 + pad))
        .map_err(failed)?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .x_labels(5)
        .y_labels(6)
        .x_label_formatter(&|v| tick_within(*v, xr.1 - xr.0))
        .y_label_formatter(&|v| tick_within(*v, yr.1 - yr.0))
        .x_desc(x_label)
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .draw()
        .map_err(failed)?;
    let n = panel.series.len();
    let mut legend = false;
    for (k, s) in panel.series.iter().enumerate() {
        let colour = line_colour(k, n);
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(finite)
            .map(|p| (xform(p.0), p.1))
            .collect();
        let marks = pts.len() <= 40;
        let drawn = chart
            .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))
            .map_err(failed)?;
        if !s.label.is_empty() && n > 1 {
            legend = true;
            drawn
                .label(s.label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        if marks {
            chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 3, colour.filled())))
                .map_err(failed)?;
        }
    }
    if legend {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .label_font((FONT, 11))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(failed)?;
    }
    Ok(())
}
