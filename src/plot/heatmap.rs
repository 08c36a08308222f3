//! Heat maps over two swept axes: one coloured cell per combination, its value written in it
//! (for a yes/no result such as superfill's `void_free`, the words and two colours).

use anyhow::Result;
use plotters::prelude::*;

use super::{colour_bar, failed, tick, value_range, viridis, Picture, FONT};

/// Values over two categorical axes.
#[derive(Debug, Clone)]
pub struct HeatMap {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_ticks: Vec<String>,
    pub y_ticks: Vec<String>,
    /// Row by row from the first y tick, x fastest; None where a run has no value.
    pub values: Vec<Option<f64>>,
    /// The values are 0/1 flags (drawn as no/yes).
    pub flag: bool,
}

const CELL_W: u32 = 96;
const CELL_H: u32 = 56;

/// Maps per row of the picture.
const COLUMNS: usize = 3;

/// The size of a picture of `maps` (all over the same axes): (width, height).
pub fn picture_size(maps: &[HeatMap]) -> (u32, u32) {
    let Some(m) = maps.first() else {
        return (320, 100);
    };
    let (w, h) = cell_size(m);
    let columns = maps.len().clamp(1, COLUMNS) as u32;
    let rows = maps.len().div_ceil(COLUMNS).max(1) as u32;
    (w * columns, h * rows + 30)
}

/// One map's room: its cells, axes, title and colour bar.
fn cell_size(m: &HeatMap) -> (u32, u32) {
    (
        (CELL_W * m.x_ticks.len() as u32).max(260) + 230,
        (CELL_H * m.y_ticks.len() as u32).max(180) + 130,
    )
}

/// Draws the heat maps (all over the same two axes) in rows of three.
pub fn draw_heat_maps(title: &str, maps: &[HeatMap]) -> Result<Picture> {
    let (width, height) = picture_size(maps);
    Picture::draw(width, height, |root| {
        root.fill(&WHITE).map_err(failed)?;
        let body = root.titled(title, (FONT, 18)).map_err(failed)?;
        let columns = maps.len().clamp(1, COLUMNS);
        let rows = maps.len().div_ceil(COLUMNS).max(1);
        for (m, area) in maps.iter().zip(body.split_evenly((rows, columns))) {
            draw_one(&area, m)?;
        }
        Ok(())
    })
}

fn draw_one(area: &super::Area, m: &HeatMap) -> Result<()> {
    let (nx, ny) = (m.x_ticks.len(), m.y_ticks.len());
    let (map_area, bar_area) = area.split_horizontally(area.dim_in_pixel().0 - 100);
    let (lo, hi) = if m.flag {
        (0.0, 1.0)
    } else {
        value_range(m.values.iter().flatten().copied()).unwrap_or((0.0, 1.0))
    };
    let colour = |v: f64| -> RGBColor {
        if m.flag {
            // Two colours far apart in viridis, so that yes and no differ in grey too.
            if v > 0.5 {
                viridis(0.8)
            } else {
                viridis(0.1)
            }
        } else {
            viridis((v - lo) / (hi - lo))
        }
    };
    let mut chart = ChartBuilder::on(&map_area)
        .caption(&m.title, (FONT, 15))
        .margin(8)
        .x_label_area_size(44)
        .y_label_area_size(90)
        // A segmented range 0..n has n + 1 segments; 0..n-1 gives one per value.
        .build_cartesian_2d(
            (0..nx as i32 - 1).into_segmented(),
            (0..ny as i32 - 1).into_segmented(),
        )
        .map_err(failed)?;
    let x_ticks = m.x_ticks.clone();
    let y_ticks = m.y_ticks.clone();
    let name = |ticks: &[String], v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => ticks.get(*i as usize).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(nx + 1)
        .y_labels(ny + 1)
        .x_label_formatter(&|v| name(&x_ticks, v))
        .y_label_formatter(&|v| name(&y_ticks, v))
        .x_desc(&m.x_label)
        .y_desc(&m.y_label)
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .draw()
        .map_err(failed)?;
    for j in 0..ny {
        for i in 0..nx {
            let value = m.values[i + nx * j];
            let corner =
                |a: usize, b: usize| (SegmentValue::Exact(a as i32), SegmentValue::Exact(b as i32));
            let fill = value.map_or(RGBColor(220, 220, 220), colour);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [corner(i, j), corner(i + 1, j + 1)],
                    fill.filled(),
                )))
                .map_err(failed)?;
            let text = match value {
                None => "no run".to_string(),
                Some(v) if m.flag => if v > 0.5 { "yes" } else { "no" }.to_string(),
                Some(v) => tick(v),
            };
            // Dark text on the light half of the map, light on the dark half.
            let light = value.is_some_and(|v| (v - lo) / (hi - lo) > 0.55);
            let ink = if light { BLACK } else { WHITE };
            chart
                .draw_series(std::iter::once(Text::new(
                    text,
                    (
                        SegmentValue::CenterOf(i as i32),
                        SegmentValue::CenterOf(j as i32),
                    ),
                    (FONT, 12)
                        .into_font()
                        .color(&ink)
                        .pos(plotters::style::text_anchor::Pos::new(
                            plotters::style::text_anchor::HPos::Center,
                            plotters::style::text_anchor::VPos::Center,
                        )),
                )))
                .map_err(failed)?;
        }
    }
    if m.flag {
        return Ok(());
    }
    // The map's title names the quantity; the bar needs no label of its own.
    colour_bar(&bar_area, lo, hi, "", &viridis)
}
