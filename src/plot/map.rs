//! Maps of 2D arrays (a 2D run's field, or a 3D run's section) with a colour bar, axes in
//! µm and optional contour lines on top, several side by side in one picture.

use anyhow::Result;
use plotters::prelude::*;

use super::{colour_bar, failed, value_range, viridis, Area, Picture, FONT};

/// A 2D array of cell values, x fastest, first row at the bottom.
#[derive(Debug, Clone)]
pub struct Plane {
    pub values: Vec<f32>,
    pub nx: usize,
    pub ny: usize,
    /// Width and height in µm.
    pub width_um: f64,
    pub height_um: f64,
    /// Axis names, e.g. "x" and "y".
    pub axes: [&'static str; 2],
}

impl Plane {
    fn at(&self, i: usize, j: usize) -> f32 {
        self.values[i + self.nx * j]
    }
}

/// A line drawn over a map, in µm.
#[derive(Debug, Clone)]
pub struct Line {
    pub segments: Vec<[(f64, f64); 2]>,
    pub colour: RGBColor,
}

/// One panel: a field's values, its label (with units) and what is drawn over it.
pub struct Panel<'a> {
    pub plane: &'a Plane,
    pub label: &'a str,
    /// Cells drawn grey instead of coloured (solid in a porous medium), and left out of the
    /// colour range.
    pub hidden: Option<&'a [bool]>,
    pub lines: &'a [Line],
    /// Draw no values, only the lines (and hidden cells) on white, with this colour bar
    /// instead: its range and label (the interface over time: the outputs' times).
    pub bar: Option<(f64, f64, &'a str)>,
}

/// Height of a map's plotting area in pixels; its width follows the plane's aspect.
const MAP_HEIGHT: u32 = 380;
/// Room around a map for its axes, title and colour bar.
const MAP_LEFT: u32 = 62;
const MAP_BOTTOM: u32 = 46;
const MAP_TOP: u32 = 34;
const BAR_WIDTH: u32 = 116;
/// Every map picture's height in pixels (the width follows the planes' aspect).
pub const PICTURE_HEIGHT: u32 = MAP_HEIGHT + MAP_TOP + MAP_BOTTOM + 36;

fn map_width(plane: &Plane) -> u32 {
    let aspect = plane.width_um / plane.height_um.max(1e-300);
    ((MAP_HEIGHT as f64 * aspect).round() as u32).clamp(140, 760)
}

/// Draws the panels side by side under `title`.
pub fn draw_panels(title: &str, panels: &[Panel]) -> Result<Picture> {
    let widths: Vec<u32> = panels
        .iter()
        .map(|p| map_width(p.plane) + MAP_LEFT + BAR_WIDTH + 16)
        .collect();
    // Wide enough for the title too (about 9 px per character at 18 px).
    let width = widths
        .iter()
        .sum::<u32>()
        .max(320)
        .max(title.chars().count() as u32 * 9 + 40);
    let height = PICTURE_HEIGHT;
    Picture::draw(width, height, |root| {
        root.fill(&WHITE).map_err(failed)?;
        let body = root.titled(title, (FONT, 18)).map_err(failed)?;
        let mut rest = body;
        for (panel, w) in panels.iter().zip(&widths) {
            let (here, next) = rest.split_horizontally(*w);
            draw_panel(&here, panel)?;
            rest = next;
        }
        Ok(())
    })
}

fn draw_panel(area: &Area, panel: &Panel) -> Result<()> {
    let (map_area, bar_area) = area.split_horizontally(area.dim_in_pixel().0 - BAR_WIDTH);
    let plane = panel.plane;
    let shown = |k: usize| panel.hidden.is_none_or(|h| !h[k]);
    let range = value_range(
        plane
            .values
            .iter()
            .enumerate()
            .filter(|(k, _)| shown(*k))
            .map(|(_, v)| *v as f64),
    )
    .unwrap_or((0.0, 1.0));
    let mut chart = ChartBuilder::on(&map_area)
        .caption(panel.label, (FONT, 15))
        .margin(6)
        .x_label_area_size(MAP_BOTTOM - 6)
        .y_label_area_size(MAP_LEFT - 6)
        .build_cartesian_2d(0.0..plane.width_um, 0.0..plane.height_um)
        .map_err(failed)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(5)
        .y_labels(6)
        .x_label_formatter(&|v| super::tick_within(*v, plane.width_um))
        .y_label_formatter(&|v| super::tick_within(*v, plane.height_um))
        .x_desc(format!("{} (µm)", plane.axes[0]))
        .y_desc(format!("{} (µm)", plane.axes[1]))
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .draw()
        .map_err(failed)?;
    // Nearest cell per pixel: exact cells at any zoom, and as fast as the picture is small.
    let plot = chart.plotting_area().strip_coord_spec();
    let (w, h) = plot.dim_in_pixel();
    let (lo, hi) = range;
    let lines_only = panel.bar.is_some();
    let grey = RGBColor(150, 150, 150);
    for py in 0..h {
        let j = plane.ny - 1 - ((py as usize * plane.ny) / h as usize).min(plane.ny - 1);
        for px in 0..w {
            let i = ((px as usize * plane.nx) / w as usize).min(plane.nx - 1);
            let k = i + plane.nx * j;
            let v = plane.at(i, j) as f64;
            let c = if !shown(k) {
                grey
            } else if lines_only {
                WHITE
            } else if v.is_finite() {
                viridis((v - lo) / (hi - lo))
            } else {
                RGBColor(255, 0, 255)
            };
            plot.draw_pixel((px as i32, py as i32), &c)
                .map_err(failed)?;
        }
    }
    for line in panel.lines {
        chart
            .draw_series(
                line.segments
                    .iter()
                    .map(|s| PathElement::new(vec![s[0], s[1]], line.colour.stroke_width(2))),
            )
            .map_err(failed)?;
    }
    match panel.bar {
        Some((lo, hi, label)) => colour_bar(&bar_area, lo, hi, label, &viridis),
        None => colour_bar(&bar_area, lo, hi, panel.label, &viridis),
    }
}
