//! Pictures the program draws itself, with no Python: maps of 2D fields and sections with a
//! colour bar, interface contours, line plots (metric time series, sweep results) and
//! heat maps. plotters draws into an RGB buffer with the bundled DejaVu Sans (no system font
//! library needed), `image` encodes the PNG, and the file is written atomically like every
//! other output. Colours come from viridis, which is perceptually uniform and reads in grey.

pub mod contour;
pub mod heatmap;
pub mod lines;
pub mod map;

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use std::path::Path;
use std::sync::Once;

use crate::io::write_bytes_atomic;

/// The font family every picture uses (DejaVu Sans, registered on first use).
pub const FONT: &str = "sans-serif";

/// The drawing surface every picture is drawn on.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// A drawn picture: RGB bytes, row by row from the top.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl Picture {
    /// A white `width` × `height` picture drawn by `draw`.
    pub fn draw(
        width: u32,
        height: u32,
        draw: impl FnOnce(&Area) -> Result<()>,
    ) -> Result<Picture> {
        register_font();
        let mut rgb = vec![255u8; width as usize * height as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
            draw(&root)?;
            root.present().map_err(failed)?;
        }
        Ok(Picture { width, height, rgb })
    }

    /// The PNG file's bytes.
    pub fn png(&self) -> Result<Vec<u8>> {
        use image::ImageEncoder;
        let mut bytes = Vec::new();
        image::codecs::png::PngEncoder::new(&mut bytes).write_image(
            &self.rgb,
            self.width,
            self.height,
            image::ExtendedColorType::Rgb8,
        )?;
        Ok(bytes)
    }

    /// Writes the picture as a PNG file, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_bytes_atomic(path, &self.png()?)
            .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))
    }
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| panic!("the bundled DejaVu Sans is a valid font"));
    });
}

/// A plotters error as an anyhow error (plotters' errors borrow the backend's error type).
pub fn failed<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing a picture failed: {e:?}")
}

/// Viridis at `s` in [0, 1] (clamped).
pub fn viridis(s: f64) -> RGBColor {
    ViridisRGB.get_color(s.clamp(0.0, 1.0) as f32)
}

/// The range of the finite values (a flat range widened so that it can be drawn).
pub fn value_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    if hi - lo <= 1e-12 * lo.abs().max(hi.abs()) {
        let pad = if lo == 0.0 { 0.5 } else { 0.05 * lo.abs() };
        return Some((lo - pad, hi + pad));
    }
    Some((lo, hi))
}

/// A number for an axis tick or a colour bar: short, in exponent form when very large or
/// small.
pub fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e4).contains(&a) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        let s = format!("{v:.2e}");
        match s.split_once('e') {
            Some((m, e)) => {
                let m = m.trim_end_matches('0').trim_end_matches('.');
                format!("{m}e{e}")
            }
            None => s,
        }
    }
}

/// `tick(v)` for an axis spanning `span`: round-off next to zero reads as 0.
pub fn tick_within(v: f64, span: f64) -> String {
    if v.abs() < 1e-9 * span.abs() {
        return "0".into();
    }
    tick(v)
}

/// A vertical colour bar for values `lo`..`hi` on `area`, labelled `label`, coloured by
/// `colour(s)` for s in [0, 1] from bottom to top.
pub fn colour_bar(
    area: &Area,
    lo: f64,
    hi: f64,
    label: &str,
    colour: &dyn Fn(f64) -> RGBColor,
) -> Result<()> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(34)
        .margin_bottom(44)
        .margin_left(4)
        .margin_right(16)
        .right_y_label_area_size(84)
        .build_cartesian_2d(0f64..1f64, lo..hi)
        .map_err(failed)?;
    let span = hi - lo;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(&|v| tick_within(*v, span))
        .y_desc(label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(failed)?;
    let plot = chart.plotting_area().strip_coord_spec();
    let (w, h) = plot.dim_in_pixel();
    for py in 0..h {
        let s = 1.0 - (py as f64 + 0.5) / h as f64;
        let c = colour(s);
        for px in 0..w {
            plot.draw_pixel((px as i32, py as i32), &c)
                .map_err(failed)?;
        }
    }
    Ok(())
}
