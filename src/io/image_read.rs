//! Voxel images as users have them from micro-CT software and PoreSpy: NumPy `.npy` arrays
//! and TIFF stacks (one multi-page file, or a folder of single-page files), read into one
//! label per voxel in our order (x fastest, then y, then z) by a caller's classifier.
//!
//! Axis conventions (docs/models/gde.md): an `.npy` array's first axis is x (PoreSpy's
//! `im[x, y, z]`), in C or Fortran order as its header says; a TIFF stack's pages are z
//! slices whose columns are x and rows y (the imaging convention; from a NumPy `im[x, y, z]`
//! write `im.transpose(2, 1, 0)`).

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// An image classified voxel by voxel.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelImage {
    /// [nx, ny, nz].
    pub dims: [usize; 3],
    /// One label per voxel, x fastest.
    pub labels: Vec<u8>,
}

/// Reads a NumPy `.npy` file of booleans, integers or floats, 3D (or 2D: nz = 1), mapping
/// each value through `classify`.
pub fn read_npy(path: &Path, classify: &dyn Fn(f64) -> u8) -> Result<LabelImage> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let npy = npyz::NpyFile::new(std::io::BufReader::new(file))
        .with_context(|| format!("{}: not a NumPy .npy file", path.display()))?;
    let shape: Vec<usize> = npy.shape().iter().map(|&n| n as usize).collect();
    let dims = match shape[..] {
        [a, b, c] => [a, b, c],
        [a, b] => [a, b, 1],
        _ => bail!(
            "{}: the array has shape {shape:?}; a voxel image needs 3 axes (x, y, z)",
            path.display()
        ),
    };
    let fortran = npy.order() == npyz::Order::Fortran;
    let npyz::DType::Plain(ty) = npy.dtype() else {
        bail!(
            "{}: a structured array is not a voxel image",
            path.display()
        );
    };
    use npyz::TypeChar as T;
    let bad = |e: std::io::Error| anyhow::anyhow!("{}: {e}", path.display());
    let values: Vec<u8> = match (ty.type_char(), ty.size_field()) {
        (T::Bool, 1) => map(
            npy.into_vec::<bool>().map_err(bad)?,
            |v| f64::from(u8::from(v)),
            classify,
        ),
        (T::Uint, 1) => map(npy.into_vec::<u8>().map_err(bad)?, f64::from, classify),
        (T::Uint, 2) => map(npy.into_vec::<u16>().map_err(bad)?, f64::from, classify),
        (T::Uint, 4) => map(npy.into_vec::<u32>().map_err(bad)?, f64::from, classify),
        (T::Int, 1) => map(npy.into_vec::<i8>().map_err(bad)?, f64::from, classify),
        (T::Int, 2) => map(npy.into_vec::<i16>().map_err(bad)?, f64::from, classify),
        (T::Int, 4) => map(npy.into_vec::<i32>().map_err(bad)?, f64::from, classify),
        (T::Int, 8) => map(npy.into_vec::<i64>().map_err(bad)?, |v| v as f64, classify),
        (T::Float, 4) => map(npy.into_vec::<f32>().map_err(bad)?, f64::from, classify),
        (T::Float, 8) => map(npy.into_vec::<f64>().map_err(bad)?, |v| v, classify),
        _ => bail!(
            "{}: element type {ty} is not supported; allowed: bool, (u)int8-64, float32/64",
            path.display()
        ),
    };
    // C order stores the last axis (z) fastest: transpose to x fastest.
    let labels = if fortran || dims[2] == 1 && dims[1] == 1 {
        values
    } else {
        let [nx, ny, nz] = dims;
        let mut out = vec![0u8; values.len()];
        for x in 0..nx {
            for y in 0..ny {
                for z in 0..nz {
                    out[x + nx * (y + ny * z)] = values[(x * ny + y) * nz + z];
                }
            }
        }
        out
    };
    Ok(LabelImage { dims, labels })
}

fn map<T>(values: Vec<T>, to_f64: impl Fn(T) -> f64, classify: &dyn Fn(f64) -> u8) -> Vec<u8> {
    values.into_iter().map(|v| classify(to_f64(v))).collect()
}

/// Reads a TIFF stack: one multi-page file, or a folder of single-page `.tif`/`.tiff` files
/// taken in name order; 8- or 16-bit (or 32-bit float) grey values, each page one z slice.
pub fn read_tiff_stack(path: &Path, classify: &dyn Fn(f64) -> u8) -> Result<LabelImage> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("reading the folder {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    e.eq_ignore_ascii_case("tif") || e.eq_ignore_ascii_case("tiff")
                })
            })
            .collect();
        v.sort();
        if v.is_empty() {
            bail!(
                "{}: the folder holds no .tif or .tiff files",
                path.display()
            );
        }
        v
    } else {
        vec![path.to_path_buf()]
    };
    let mut size: Option<(u32, u32)> = None;
    let mut labels = Vec::new();
    let mut pages = 0usize;
    for file in &files {
        let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        let mut dec = tiff::decoder::Decoder::new(std::io::BufReader::new(f))
            .with_context(|| format!("{}: not a TIFF file", file.display()))?;
        loop {
            let dims = dec
                .dimensions()
                .with_context(|| format!("{}: page {pages}", file.display()))?;
            if *size.get_or_insert(dims) != dims {
                bail!(
                    "{}: page {pages} is {}x{} but the first page is {}x{}; a stack needs equal pages",
                    file.display(),
                    dims.0,
                    dims.1,
                    size.unwrap().0,
                    size.unwrap().1
                );
            }
            use tiff::decoder::DecodingResult as D;
            let page = dec
                .read_image()
                .with_context(|| format!("{}: page {pages}", file.display()))?;
            let before = labels.len();
            match page {
                D::U8(v) => labels.extend(v.into_iter().map(|x| classify(f64::from(x)))),
                D::U16(v) => labels.extend(v.into_iter().map(|x| classify(f64::from(x)))),
                D::F32(v) => labels.extend(v.into_iter().map(|x| classify(f64::from(x)))),
                _ => bail!(
                    "{}: page {pages} is neither 8/16-bit grey nor 32-bit float (colour images \
                     need converting to grey first)",
                    file.display()
                ),
            }
            if labels.len() - before != dims.0 as usize * dims.1 as usize {
                bail!(
                    "{}: page {pages} holds more than one sample per pixel; a voxel image needs \
                     one grey value per pixel",
                    file.display()
                );
            }
            pages += 1;
            if !dec.more_images() {
                break;
            }
            dec.next_image()
                .with_context(|| format!("{}: page {pages}", file.display()))?;
        }
    }
    let (w, h) = size.expect("at least one page was read");
    Ok(LabelImage {
        dims: [w as usize, h as usize, pages],
        labels,
    })
}
