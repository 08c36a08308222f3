//! VTK XML output: one ImageData file (.vti) per snapshot and a ParaView collection (.pvd).
//!
//! Values are written as *point data at cell centres*: the image origin is half a cell from
//! the domain corner and the spacing is the cell size, so ParaView's contour and slice
//! filters work directly and coordinates are the cell centres in metres.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;
use vtkio::model::{
    Attribute, Attributes, ByteOrder, DataSet, Extent, ImageDataPiece, Piece, Version, Vtk,
};
use vtkio::xml::Compressor;

use super::atomic::{write_atomic, write_bytes_atomic};
use crate::grid::Grid;

/// One f32 array of a snapshot: a name with units and `components` values per cell (storage
/// order, components interleaved).
pub struct NamedArray<'a> {
    pub name: &'a str,
    pub components: u32,
    pub values: &'a [f32],
}

/// The values of a [`TypedArray`], written as a VTK array of their own type (Float32,
/// UInt32, Int32), so integer fields read back as integers.
#[derive(Clone, Copy)]
pub enum ArrayValues<'a> {
    F32(&'a [f32]),
    U32(&'a [u32]),
    I32(&'a [i32]),
}

/// A [`NamedArray`] of any element type.
pub struct TypedArray<'a> {
    pub name: &'a str,
    pub components: u32,
    pub values: ArrayValues<'a>,
}

/// Writes f32 `arrays` on `grid` as a binary VTK XML ImageData file.
pub fn write_vti(path: &Path, grid: &Grid, arrays: &[NamedArray]) -> Result<()> {
    let typed: Vec<TypedArray> = arrays
        .iter()
        .map(|a| TypedArray {
            name: a.name,
            components: a.components,
            values: ArrayValues::F32(a.values),
        })
        .collect();
    write_vti_typed(path, grid, &typed)
}

/// Writes `arrays`, each as its own element type, on `grid` as a binary VTK XML ImageData
/// file (an all-f32 list gives the same bytes as [`write_vti`]).
pub fn write_vti_typed(path: &Path, grid: &Grid, arrays: &[TypedArray]) -> Result<()> {
    let extent = Extent::Ranges([
        0..=grid.nx as i32 - 1,
        0..=grid.ny as i32 - 1,
        0..=grid.nz as i32 - 1,
    ]);
    let point = arrays
        .iter()
        .map(|a| {
            let attr = if a.components == 3 {
                Attribute::vectors(a.name)
            } else {
                Attribute::scalars(a.name, a.components)
            };
            match a.values {
                ArrayValues::F32(v) => attr.with_data(v.to_vec()),
                ArrayValues::U32(v) => attr.with_data(v.to_vec()),
                ArrayValues::I32(v) => attr.with_data(v.to_vec()),
            }
        })
        .collect();
    let z_spacing = if grid.is_3d() { grid.dz } else { grid.dx };
    let vtk = Vtk {
        version: Version::new_xml(1, 0),
        title: String::new(),
        byte_order: ByteOrder::LittleEndian,
        file_path: None,
        data: DataSet::ImageData {
            extent: extent.clone(),
            origin: grid.cell_centre(0, 0, 0).map(|v| v as f32),
            spacing: [grid.dx as f32, grid.dy as f32, z_spacing as f32],
            meta: None,
            pieces: vec![Piece::Inline(Box::new(ImageDataPiece {
                extent,
                data: Attributes {
                    point,
                    cell: Vec::new(),
                },
            }))],
        },
    };
    let xml = vtk
        .try_into_xml_format(Compressor::None, 0)
        .with_context(|| format!("encoding {}", path.display()))?;
    let mut bytes = Vec::new();
    xml.write(&mut bytes)
        .with_context(|| format!("encoding {}", path.display()))?;
    write_bytes_atomic(path, &bytes)?;
    Ok(())
}

/// Writes a ParaView collection listing `(time in s, file name)` pairs.
pub fn write_pvd(path: &Path, entries: &[(f64, String)]) -> Result<()> {
    write_atomic(path, |w| {
        writeln!(w, r#"<?xml version="1.0"?>"#)?;
        writeln!(
            w,
            r#"<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">"#
        )?;
        writeln!(w, "  <Collection>")?;
        for (t, file) in entries {
            writeln!(
                w,
                r#"    <DataSet timestep="{t:e}" group="" part="0" file="{file}"/>"#
            )?;
        }
        writeln!(w, "  </Collection>")?;
        writeln!(w, "</VTKFile>")
    })?;
    Ok(())
}
