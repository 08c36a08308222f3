//! Reading one array of a VTK XML ImageData file (.vti): the gde model's voxel-image import.
//!
//! vtkio reads inline (ascii or base64) arrays and base64 appended data, compressed or not,
//! but not *raw* appended data, which is what ParaView's "Save Data" and pyevtk (PoreSpy)
//! write by default. A raw appended section is therefore rewritten here into inline base64
//! arrays before vtkio parses the file: each array's block (its size header and, when
//! compressed, its block table and compressed bytes) is moved unchanged, so what vtkio then
//! decodes is exactly the bytes the writer stored.

use anyhow::{bail, Context, Result};
use base64::Engine;
use std::path::Path;

/// The file holds no readable array of the name asked for; callers add which key names it.
#[derive(Debug)]
pub struct MissingArray {
    pub file: String,
    pub name: String,
    /// The arrays the file does hold.
    pub found: Vec<String>,
}

impl std::fmt::Display for MissingArray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let found = if self.found.is_empty() {
            "none".to_string()
        } else {
            self.found.join(", ")
        };
        write!(
            f,
            "{}: no readable array named {:?} (found: {found})",
            self.file, self.name
        )
    }
}

impl std::error::Error for MissingArray {}

/// One array of an image as 8-bit labels: the first component of each value, rounded and
/// clamped to 0..=255, in VTK order (x fastest), and the number of values along each axis.
/// One byte per voxel from the start, so that a 1000³ image costs 1 GB here rather than 8.
pub struct ImageArray {
    pub dims: [usize; 3],
    pub values: Vec<u8>,
    /// The image's spacing as the file states it (its unit is the writer's).
    pub spacing: [f64; 3],
}

/// Reads the point or cell array `name` of the `.vti` file at `path`.
pub fn read_image_array(path: &Path, name: &str) -> Result<ImageArray> {
    let (dims, values, spacing) = read_array(path, name, first_components_as_labels)?;
    Ok(ImageArray {
        dims,
        values,
        spacing,
    })
}

/// The first component of every value of array `name` as f32 (a run's own snapshot read
/// back: the interface picture of a resumed run redraws the outputs written before), with
/// the number of values along each axis.
pub fn read_f32_array(path: &Path, name: &str) -> Result<([usize; 3], Vec<f32>)> {
    let (dims, values, _) = read_array(path, name, first_components_as_f32)?;
    Ok((dims, values))
}

/// Finds array `name` and converts its values with `convert` (buffer, components).
fn read_array<T>(
    path: &Path,
    name: &str,
    convert: fn(vtkio::model::IOBuffer, usize) -> Result<Vec<T>>,
) -> Result<([usize; 3], Vec<T>, [f64; 3])> {
    use vtkio::model::{Attribute, DataSet, Piece};
    let shown = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("reading {shown}"))?;
    let xml = inline_raw_appended(&bytes).with_context(|| format!("reading {shown}"))?;
    // vtkio's errors repeat their causes in their own text; only the innermost one is said.
    let vtk = vtkio::Vtk::parse_xml(std::io::Cursor::new(xml)).map_err(|e| {
        let mut root: &dyn std::error::Error = &e;
        while let Some(next) = root.source() {
            root = next;
        }
        anyhow::anyhow!("{shown}: not readable as VTK XML (is it complete?): {root}")
    })?;
    let DataSet::ImageData {
        pieces, spacing, ..
    } = vtk.data
    else {
        bail!("{shown}: not VTK image data (.vti)");
    };
    if pieces.len() != 1 {
        bail!(
            "{shown}: {} pieces; only single-piece images are read (save it from ParaView \
             as one .vti)",
            pieces.len()
        );
    }
    let Some(Piece::Inline(piece)) = pieces.into_iter().next() else {
        bail!("{shown}: the piece refers to another file; only self-contained .vti are read");
    };
    let points = piece.extent.into_dims().map(|n| n as usize);
    let cells = points.map(|n| n.saturating_sub(1).max(1));
    let mut found = Vec::new();
    let arrays = piece
        .data
        .point
        .into_iter()
        .map(|a| (a, points))
        .chain(piece.data.cell.into_iter().map(|a| (a, cells)));
    for (attr, dims) in arrays {
        let Attribute::DataArray(d) = attr else {
            continue;
        };
        if d.name != name {
            found.push(d.name);
            continue;
        }
        let count = dims.iter().product::<usize>();
        let comps = (d.elem.num_comp() as usize).max(1);
        let values = convert(d.data, comps)
            .with_context(|| format!("{shown}: array {name:?} is not numeric"))?;
        if values.len() != count {
            bail!(
                "{shown}: array {name:?} has {} values of {comps} component(s) for {}×{}×{}",
                values.len(),
                dims[0],
                dims[1],
                dims[2]
            );
        }
        return Ok((dims, values, spacing.map(f64::from)));
    }
    Err(MissingArray {
        file: shown.to_string(),
        name: name.to_string(),
        found,
    }
    .into())
}

/// Every `comps`-th value from the first, rounded and clamped to 0..=255 (a voxel label).
fn first_components_as_labels(data: vtkio::model::IOBuffer, comps: usize) -> Result<Vec<u8>> {
    first_components(data, comps, |x| x.round().clamp(0.0, 255.0) as u8)
}

/// Every `comps`-th value from the first, as f32.
fn first_components_as_f32(data: vtkio::model::IOBuffer, comps: usize) -> Result<Vec<f32>> {
    first_components(data, comps, |x| x as f32)
}

/// Every `comps`-th value from the first, each converted from f64 (exact for every stored
/// type but 64-bit integers beyond 2^53, which no image holds) without an intermediate copy.
fn first_components<T>(
    data: vtkio::model::IOBuffer,
    comps: usize,
    convert: fn(f64) -> T,
) -> Result<Vec<T>> {
    use vtkio::model::IOBuffer as B;
    macro_rules! take {
        ($v:expr) => {
            $v.iter()
                .step_by(comps)
                .map(|&x| convert(x as f64))
                .collect()
        };
    }
    Ok(match data {
        B::U8(v) => take!(v),
        B::I8(v) => take!(v),
        B::U16(v) => take!(v),
        B::I16(v) => take!(v),
        B::U32(v) => take!(v),
        B::I32(v) => take!(v),
        B::U64(v) => take!(v),
        B::I64(v) => take!(v),
        B::F32(v) => take!(v),
        B::F64(v) => take!(v),
        B::Bit(_) => bail!("bit arrays are not supported"),
    })
}

/// The file with a raw appended-data section turned into inline base64 arrays; any other
/// file unchanged.
fn inline_raw_appended(bytes: &[u8]) -> Result<Vec<u8>> {
    let Some(start) = find(bytes, b"<AppendedData") else {
        return Ok(bytes.to_vec());
    };
    let head =
        std::str::from_utf8(&bytes[..start]).context("the XML before the data is not UTF-8")?;
    let tag_end = start + find(&bytes[start..], b">").context("unclosed AppendedData tag")?;
    let tag = std::str::from_utf8(&bytes[start..tag_end]).context("AppendedData tag")?;
    if attribute(tag, "encoding") != Some("raw") {
        return Ok(bytes.to_vec());
    }
    // The data begin after an underscore and end at the closing tag; offsets count from
    // the byte after the underscore.
    let data_start = tag_end + find(&bytes[tag_end..], b"_").context("no '_' before the data")? + 1;
    let data_end = rfind(bytes, b"</AppendedData>").context("no </AppendedData>")?;
    if data_end < data_start {
        bail!("the appended data end before they begin");
    }
    let data = &bytes[data_start..data_end];
    let tail = &bytes[data_end + b"</AppendedData>".len()..];

    let root_start = head.find("<VTKFile").context("no VTKFile element")?;
    let root =
        &head[root_start..root_start + head[root_start..].find('>').context("VTKFile tag")?];
    let layout = BlockLayout {
        header_bytes: match attribute(root, "header_type").unwrap_or("UInt32") {
            "UInt32" => 4,
            "UInt64" => 8,
            other => bail!("header_type {other:?} (UInt32 or UInt64 expected)"),
        },
        big_endian: attribute(root, "byte_order") == Some("BigEndian"),
        compressed: attribute(root, "compressor").is_some_and(|c| !c.is_empty()),
    };

    let mut out = String::with_capacity(head.len() + data.len() * 4 / 3 + 64);
    let mut rest = head;
    while let Some(at) = rest.find("<DataArray") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let close = rest.find('>').context("unclosed DataArray tag")?;
        let tag = &rest[..close];
        let self_closing = tag.ends_with('/');
        if attribute(tag, "format") != Some("appended") {
            out.push_str(&rest[..=close]);
            rest = &rest[close + 1..];
            continue;
        }
        let offset = attribute(tag, "offset").context("an appended DataArray without offset")?;
        let encoded = layout.encode_block(data, offset.parse().context("DataArray offset")?)?;
        let open = tag
            .trim_end_matches('/')
            .replacen("format=\"appended\"", "format=\"binary\"", 1)
            .replacen(&format!("offset=\"{offset}\""), "", 1);
        out.push_str(&open);
        out.push('>');
        out.push_str(&encoded);
        out.push_str("</DataArray>");
        rest = &rest[close + 1..];
        if !self_closing {
            let end = rest.find("</DataArray>").context("unclosed DataArray")?;
            rest = &rest[end + "</DataArray>".len()..];
        }
    }
    out.push_str(rest);
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(tail);
    Ok(bytes)
}

/// How a writer laid out each array's block in the appended data.
struct BlockLayout {
    header_bytes: usize,
    big_endian: bool,
    compressed: bool,
}

impl BlockLayout {
    fn int(&self, data: &[u8], at: usize) -> Result<usize> {
        let b = data
            .get(at..at + self.header_bytes)
            .context("appended data shorter than an array's header says")?;
        let v = match (self.header_bytes, self.big_endian) {
            (4, false) => u32::from_le_bytes(b.try_into()?) as u64,
            (4, true) => u32::from_be_bytes(b.try_into()?) as u64,
            (_, false) => u64::from_le_bytes(b.try_into()?),
            (_, true) => u64::from_be_bytes(b.try_into()?),
        };
        usize::try_from(v).context("array size")
    }

    /// The block at `offset` as inline binary text: base64 of header and values together
    /// when uncompressed, of the block table and of the compressed bytes separately when
    /// compressed (VTK's two conventions, which vtkio follows).
    fn encode_block(&self, data: &[u8], offset: usize) -> Result<String> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let h = self.header_bytes;
        let slice = |from: usize, len: usize| {
            data.get(from..from + len)
                .context("appended data shorter than an array's header says")
        };
        if !self.compressed {
            let len = self.int(data, offset)?;
            return Ok(b64.encode(slice(offset, h + len)?));
        }
        let blocks = self.int(data, offset)?;
        let table = (3 + blocks) * h;
        let mut compressed = 0usize;
        for k in 0..blocks {
            compressed += self.int(data, offset + (3 + k) * h)?;
        }
        let mut text = b64.encode(slice(offset, table)?);
        text.push_str(&b64.encode(slice(offset + table, compressed)?));
        Ok(text)
    }
}

/// The value of `name="..."` in an XML start tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(at) = tag[from..].find(name) {
        let at = from + at;
        let before = tag[..at].chars().next_back();
        let after = &tag[at + name.len()..];
        let after = after.trim_start();
        if before.is_some_and(char::is_whitespace) && after.starts_with('=') {
            let value = after[1..].trim_start();
            let quote = value.chars().next()?;
            if quote == '"' || quote == '\'' {
                let body = &value[1..];
                return body.find(quote).map(|end| &body[..end]);
            }
        }
        from = at + name.len();
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD as B64;
    use std::io::Write;

    const DIMS: [usize; 3] = [6, 5, 4];

    /// A label-like pattern that tells the axes apart.
    fn labels() -> Vec<u8> {
        (0..DIMS.iter().product::<usize>())
            .map(|i| {
                let (x, y, z) = (i % 6, i / 6 % 5, i / 30);
                ((7 * x + 3 * y + 11 * z) % 4) as u8
            })
            .collect()
    }

    #[derive(Clone, Copy)]
    enum Storage {
        Ascii,
        InlineBinary,
        AppendedBase64,
        AppendedRaw,
    }

    #[derive(Clone, Copy)]
    struct Format {
        storage: Storage,
        zlib: bool,
        header64: bool,
        big_endian: bool,
        cell_data: bool,
    }

    fn int(f: Format, v: usize) -> Vec<u8> {
        match (f.header64, f.big_endian) {
            (true, false) => (v as u64).to_le_bytes().to_vec(),
            (true, true) => (v as u64).to_be_bytes().to_vec(),
            (false, false) => (v as u32).to_le_bytes().to_vec(),
            (false, true) => (v as u32).to_be_bytes().to_vec(),
        }
    }

    /// (header, body) of one array's block as VTK writes it: the byte count, or the block
    /// table of one zlib block followed by the compressed bytes.
    fn block(f: Format, raw: &[u8]) -> (Vec<u8>, Vec<u8>) {
        if !f.zlib {
            return (int(f, raw.len()), raw.to_vec());
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(raw).unwrap();
        let c = z.finish().unwrap();
        let header = [1, raw.len(), raw.len(), c.len()]
            .iter()
            .flat_map(|&v| int(f, v))
            .collect();
        (header, c)
    }

    /// A .vti with two arrays, "other" (Float32, 3 components) before "label" (UInt8), so
    /// that "label" sits at a non-zero offset of an appended section.
    fn write(f: Format, path: &Path) {
        let label = labels();
        let other: Vec<u8> = label
            .iter()
            .flat_map(|&l| [l as f32, -1.0, 2.0])
            .flat_map(|v| {
                if f.big_endian {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                }
            })
            .collect();
        let e = usize::from(f.cell_data);
        let ext = format!(
            "0 {} 0 {} 0 {}",
            DIMS[0] - 1 + e,
            DIMS[1] - 1 + e,
            DIMS[2] - 1 + e
        );
        let mut xml = format!(
            "<?xml version=\"1.0\"?>\n<VTKFile type=\"ImageData\" version=\"1.0\" byte_order=\"{}\" header_type=\"{}\"{}>\n\
             <ImageData WholeExtent=\"{ext}\" Origin=\"0 0 0\" Spacing=\"1 1 1\">\n<Piece Extent=\"{ext}\">\n<{}>\n",
            if f.big_endian { "BigEndian" } else { "LittleEndian" },
            if f.header64 { "UInt64" } else { "UInt32" },
            if f.zlib { " compressor=\"vtkZLibDataCompressor\"" } else { "" },
            if f.cell_data { "CellData" } else { "PointData" },
        );
        let mut appended = Vec::new();
        for (name, ty, comps, bytes) in [
            ("other", "Float32", 3, &other),
            ("label", "UInt8", 1, &label),
        ] {
            let (h, body) = block(f, bytes);
            let open =
                format!("<DataArray type=\"{ty}\" Name=\"{name}\" NumberOfComponents=\"{comps}\"");
            match f.storage {
                Storage::Ascii => {
                    let text: Vec<String> = if ty == "UInt8" {
                        label.iter().map(|v| v.to_string()).collect()
                    } else {
                        label.iter().map(|&l| format!("{l} -1 2")).collect()
                    };
                    xml += &format!("{open} format=\"ascii\">{}</DataArray>\n", text.join(" "));
                }
                Storage::InlineBinary => {
                    let text = if f.zlib {
                        B64.encode(&h) + &B64.encode(&body)
                    } else {
                        B64.encode([h, body].concat())
                    };
                    xml += &format!("{open} format=\"binary\">\n{text}\n</DataArray>\n");
                }
                Storage::AppendedBase64 => {
                    let text = if f.zlib {
                        B64.encode(&h) + &B64.encode(&body)
                    } else {
                        B64.encode([h, body].concat())
                    };
                    xml += &format!(
                        "{open} format=\"appended\" offset=\"{}\"/>\n",
                        appended.len()
                    );
                    appended.extend_from_slice(text.as_bytes());
                }
                Storage::AppendedRaw => {
                    // Written the long way (an empty element) to cover both tag forms.
                    xml += &format!(
                        "{open} format=\"appended\" offset=\"{}\">\n</DataArray>\n",
                        appended.len()
                    );
                    appended.extend_from_slice(&h);
                    appended.extend_from_slice(&body);
                }
            }
        }
        xml += &format!(
            "</{}>\n</Piece>\n</ImageData>\n",
            if f.cell_data { "CellData" } else { "PointData" }
        );
        let mut bytes = xml.into_bytes();
        match f.storage {
            Storage::AppendedRaw => {
                bytes.extend_from_slice(b"<AppendedData encoding=\"raw\">\n   _")
            }
            Storage::AppendedBase64 => {
                bytes.extend_from_slice(b"<AppendedData encoding=\"base64\">\n   _")
            }
            _ => {}
        }
        if !appended.is_empty() {
            bytes.extend_from_slice(&appended);
            bytes.extend_from_slice(b"\n</AppendedData>\n");
        }
        bytes.extend_from_slice(b"</VTKFile>\n");
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn every_storage_a_vtk_writer_uses_reads_back_the_same_labels() {
        let dir = tempfile::tempdir().unwrap();
        let expected = labels();
        let mut cases = 0;
        for storage in [
            Storage::Ascii,
            Storage::InlineBinary,
            Storage::AppendedBase64,
            Storage::AppendedRaw,
        ] {
            for bits in 0..16u32 {
                let f = Format {
                    storage,
                    zlib: bits & 1 != 0,
                    header64: bits & 2 != 0,
                    big_endian: bits & 4 != 0,
                    cell_data: bits & 8 != 0,
                };
                let path = dir.path().join(format!("case{cases}.vti"));
                write(f, &path);
                cases += 1;
                for (name, first) in [("label", &expected), ("other", &expected)] {
                    let image = read_image_array(&path, name)
                        .unwrap_or_else(|e| panic!("case {cases} {name}: {e:#}"));
                    assert_eq!(image.dims, DIMS, "case {cases} {name}");
                    assert_eq!(&image.values, first, "case {cases} {name}");
                }
            }
        }
    }

    #[test]
    fn a_missing_array_is_named_with_those_present() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.vti");
        let f = Format {
            storage: Storage::AppendedRaw,
            zlib: false,
            header64: true,
            big_endian: false,
            cell_data: false,
        };
        write(f, &path);
        let e = format!("{:#}", read_image_array(&path, "phase").err().unwrap());
        assert!(e.contains("\"phase\"") && e.contains("other, label"), "{e}");
    }

    #[test]
    fn truncated_raw_data_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.vti");
        let f = Format {
            storage: Storage::AppendedRaw,
            zlib: true,
            header64: false,
            big_endian: false,
            cell_data: false,
        };
        write(f, &path);
        let bytes = std::fs::read(&path).unwrap();
        let cut = rfind(&bytes, b"</AppendedData>").unwrap() - 20;
        let mut short = bytes[..cut].to_vec();
        short.extend_from_slice(b"\n</AppendedData>\n</VTKFile>\n");
        std::fs::write(&path, short).unwrap();
        assert!(read_image_array(&path, "label").is_err());
    }

    /// A file cut off mid-XML says so once, without Rust's debug form of vtkio's errors; a
    /// missing array names the scenario key that picks it.
    #[test]
    fn a_truncated_file_and_a_wrong_array_are_said_plainly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.vti");
        let f = Format {
            storage: Storage::Ascii,
            zlib: false,
            header64: false,
            big_endian: false,
            cell_data: false,
        };
        write(f, &path);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let e = format!("{:#}", read_image_array(&path, "label").err().unwrap());
        assert_eq!(e.matches("not readable as VTK XML").count(), 1, "{e}");
        assert!(!e.contains("InvalidXml("), "{e}");
        write(f, &path);
        let e = read_image_array(&path, "nope").err().unwrap();
        let missing = e
            .downcast_ref::<MissingArray>()
            .expect("a MissingArray error");
        assert!(missing.found.contains(&"label".to_string()), "{e:#}");
        assert!(!format!("{e:#}").contains("gde."), "{e:#}");
    }

    #[test]
    fn attributes_are_matched_by_whole_name() {
        let tag = r#"<DataArray type="UInt8" Name="label" format="appended" offset="12""#;
        assert_eq!(attribute(tag, "offset"), Some("12"));
        assert_eq!(attribute(tag, "Name"), Some("label"));
        assert_eq!(attribute(tag, "name"), None);
        assert_eq!(
            attribute(r#"<X header_type='UInt64' type="a""#, "type"),
            Some("a")
        );
    }
}
