//! Test support: checks that a `#[repr(C)]` Rust struct and the WGSL struct it is uploaded
//! into (or read back from) have the same layout, member by member.
//!
//! Parameters travel to the shaders as raw bytes (`bytemuck::bytes_of`), so nothing else
//! notices two fields reordered on one side only, a field added on one side, or a `u32` that
//! the shader reads as `f32`: the kernel reads the wrong numbers. Each pair is registered
//! next to its Rust struct with [`layout!`]:
//!
//! ```ignore
//! #[test]
//! fn step_params_match_wgsl() {
//!     crate::gpu::wgsl_layout::layout!(StepParams, "dendrite/step.wgsl", "StepParams",
//!         [dx, dt, kappa, ...]);
//! }
//! ```
//!
//! The shader path is composed with its includes (`shaders::compose`), so the struct is
//! checked as the GPU sees it. The list names every Rust field in declaration order; the
//! check fails unless, in order,
//! - every Rust field has the WGSL member of the same name at the same byte offset, with the
//!   same size and scalar type (f32, u32, i32; vectors and arrays by element count),
//! - the listed fields cover the whole Rust struct (a field left out of the list fails) and
//!   the WGSL struct has no other members,
//! - both structs have the same size.
//!
//! Padding is the one exception to equal names: a Rust field whose name starts with `_pad`
//! may stand for one or more consecutive WGSL members whose names start with `_pad` and
//! which together cover exactly its bytes (e.g. `_pad: [u32; 3]` vs `_pad0`, `_pad1`,
//! `_pad2`, or `_pad: u32` vs `_pad1`), because WGSL has no arrays of scalars with 4-byte
//! stride inside a struct and the shaders number their padding members.
//!
//! `every_repr_c_struct_is_registered` below fails for a `#[repr(C)]` struct under `src/`
//! or `benches/` that has no `layout!` registration.

use naga::{ScalarKind, TypeInner};

use super::shaders;

/// Scalar type of a GPU-shared value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    F32,
    U32,
    I32,
}

/// Rust types that can appear in a GPU-shared struct: their scalar type and how many
/// scalars they hold.
pub(crate) trait GpuScalars {
    const KIND: Kind;
    const COUNT: usize;
}

impl GpuScalars for f32 {
    const KIND: Kind = Kind::F32;
    const COUNT: usize = 1;
}

impl GpuScalars for u32 {
    const KIND: Kind = Kind::U32;
    const COUNT: usize = 1;
}

impl GpuScalars for i32 {
    const KIND: Kind = Kind::I32;
    const COUNT: usize = 1;
}

impl<T: GpuScalars, const N: usize> GpuScalars for [T; N] {
    const KIND: Kind = T::KIND;
    const COUNT: usize = N * T::COUNT;
}

/// One field of the Rust side.
#[derive(Debug, Clone)]
pub(crate) struct RustField {
    pub name: &'static str,
    pub offset: usize,
    pub size: usize,
    pub kind: Kind,
    pub count: usize,
}

/// A field description from `offset_of!` and an accessor that only serves to name the
/// field's type (no instance is needed).
pub(crate) fn field<T, F: GpuScalars>(
    name: &'static str,
    offset: usize,
    _accessor: fn(&T) -> &F,
) -> RustField {
    RustField {
        name,
        offset,
        size: std::mem::size_of::<F>(),
        kind: F::KIND,
        count: F::COUNT,
    }
}

/// `layout!(RustType, "stage/path.wgsl", "WgslStruct", [field, ...])` panics with every
/// difference between the two layouts (see the module documentation);
/// `layout!(@fields RustType, [field, ...])` only describes the Rust side.
macro_rules! layout {
    (@fields $ty:ty, [$($field:ident),+ $(,)?]) => {
        [$(
            $crate::gpu::wgsl_layout::field::<$ty, _>(
                stringify!($field),
                std::mem::offset_of!($ty, $field),
                |s: &$ty| &s.$field,
            )
        ),+]
    };
    ($ty:ty, $shader:expr, $wgsl:expr, [$($field:ident),+ $(,)?]) => {{
        let fields = $crate::gpu::wgsl_layout::layout!(@fields $ty, [$($field),+]);
        if let Err(e) = $crate::gpu::wgsl_layout::compare(
            stringify!($ty),
            std::mem::size_of::<$ty>(),
            &fields,
            $shader,
            $wgsl,
        ) {
            panic!("{e}");
        }
    }};
}
pub(crate) use layout;

/// Compares `fields` of the Rust struct `rust` (`size` bytes) with the WGSL struct `wgsl` of
/// the composed shader `path`.
pub(crate) fn compare(
    rust: &str,
    size: usize,
    fields: &[RustField],
    path: &str,
    wgsl: &str,
) -> Result<(), String> {
    let source = shaders::compose(path).map_err(|e| e.to_string())?;
    compare_source(rust, size, fields, path, &source, wgsl)
}

/// One WGSL member: name, offset, size, scalar type and count (None: not a plain scalar,
/// vector or array of them).
type WgslMember = (String, usize, usize, Option<(Kind, usize)>);

/// As [`compare`], for WGSL `source` (named `label` in messages).
pub(crate) fn compare_source(
    rust: &str,
    size: usize,
    fields: &[RustField],
    label: &str,
    source: &str,
    wgsl: &str,
) -> Result<(), String> {
    let members = wgsl_struct(label, source, wgsl)?;
    let (wgsl_size, members) = members;
    let mut problems = Vec::new();
    if size != wgsl_size {
        problems.push(format!("size: Rust {size} B, WGSL {wgsl_size} B"));
    }
    // The Rust list must be the whole struct in declaration order: a bytemuck `Pod` struct
    // has no implicit padding, so contiguous fields from 0 to `size` are all of it.
    let mut end = 0;
    for f in fields {
        if f.offset != end {
            problems.push(format!(
                "Rust field {} at offset {} where {end} was expected (fields listed out of \
                 order, or one left out of the list)",
                f.name, f.offset
            ));
        }
        end = f.offset + f.size;
    }
    if end != size {
        problems.push(format!(
            "the listed Rust fields end at {end} B of {size}: a field is missing from the list"
        ));
    }
    let mut j = 0;
    for f in fields {
        if f.name.starts_with("_pad") {
            // One or more WGSL padding members covering exactly this field's bytes.
            let start = j;
            let mut at = f.offset;
            let mut count = 0;
            while let Some((name, offset, msize, scalars)) = members.get(j) {
                if !name.starts_with("_pad") || at >= f.offset + f.size {
                    break;
                }
                if *offset != at || scalars.map(|s| s.0) != Some(f.kind) {
                    break;
                }
                at += msize;
                count += scalars.map_or(0, |s| s.1);
                j += 1;
            }
            if j == start || at != f.offset + f.size || count != f.count {
                problems.push(format!(
                    "Rust padding {} ({} B at {}) is not matched by WGSL `_pad*` members of \
                     its scalar type covering the same bytes",
                    f.name, f.size, f.offset
                ));
            }
            continue;
        }
        let Some((name, offset, msize, scalars)) = members.get(j) else {
            problems.push(format!("Rust field {} has no WGSL member left", f.name));
            continue;
        };
        j += 1;
        if name != f.name {
            problems.push(format!("member {}: Rust {} vs WGSL {name}", j - 1, f.name));
        }
        if *offset != f.offset {
            problems.push(format!(
                "{}: offset Rust {} vs WGSL {offset}",
                f.name, f.offset
            ));
        }
        if *msize != f.size {
            problems.push(format!("{}: size Rust {} vs WGSL {msize}", f.name, f.size));
        }
        if *scalars != Some((f.kind, f.count)) {
            problems.push(format!(
                "{}: type Rust {} x {:?} vs WGSL {}",
                f.name,
                f.count,
                f.kind,
                scalars.map_or("not scalars".to_string(), |(k, n)| format!("{n} x {k:?}"))
            ));
        }
    }
    for (name, ..) in &members[j.min(members.len())..] {
        problems.push(format!("WGSL member {name} has no Rust field"));
    }
    if problems.is_empty() {
        return Ok(());
    }
    let rust_list: Vec<String> = fields
        .iter()
        .map(|f| format!("{}@{}", f.name, f.offset))
        .collect();
    let wgsl_list: Vec<String> = members.iter().map(|m| format!("{}@{}", m.0, m.1)).collect();
    Err(format!(
        "{rust} (Rust) and {wgsl} ({label}) differ:\n  {}\n  Rust: {}\n  WGSL: {}",
        problems.join("\n  "),
        rust_list.join(", "),
        wgsl_list.join(", ")
    ))
}

/// Size and members of struct `name` in `source`.
fn wgsl_struct(label: &str, source: &str, name: &str) -> Result<(usize, Vec<WgslMember>), String> {
    let module = naga::front::wgsl::parse_str(source)
        .map_err(|e| format!("{label}: {}", e.emit_to_string(source)))?;
    let mut layouter = naga::proc::Layouter::default();
    layouter
        .update(module.to_ctx())
        .map_err(|e| format!("{label}: {e}"))?;
    let (members, span) = module
        .types
        .iter()
        .find_map(|(_, t)| match &t.inner {
            TypeInner::Struct { members, span } if t.name.as_deref() == Some(name) => {
                Some((members, *span))
            }
            _ => None,
        })
        .ok_or_else(|| format!("{label} has no struct {name}"))?;
    let members = members
        .iter()
        .map(|m| {
            (
                m.name.clone().unwrap_or_default(),
                m.offset as usize,
                layouter[m.ty].size as usize,
                scalars(&module, m.ty),
            )
        })
        .collect();
    Ok((span as usize, members))
}

/// Scalar type and count of a WGSL type made of 4-byte scalars.
fn scalars(module: &naga::Module, ty: naga::Handle<naga::Type>) -> Option<(Kind, usize)> {
    let kind = |s: &naga::Scalar| match (s.kind, s.width) {
        (ScalarKind::Float, 4) => Some(Kind::F32),
        (ScalarKind::Uint, 4) => Some(Kind::U32),
        (ScalarKind::Sint, 4) => Some(Kind::I32),
        _ => None,
    };
    match &module.types[ty].inner {
        TypeInner::Scalar(s) | TypeInner::Atomic(s) => Some((kind(s)?, 1)),
        TypeInner::Vector { size, scalar } => Some((kind(scalar)?, *size as usize)),
        TypeInner::Array {
            base,
            size: naga::ArraySize::Constant(n),
            stride,
        } => {
            let (k, count) = scalars(module, *base)?;
            // A stride wider than the element (e.g. array<vec3<f32>>) has gaps a Rust array
            // does not.
            (*stride as usize == 4 * count).then_some((k, count * n.get() as usize))
        }
        // A nested struct of one scalar type with no gaps (GridInfo inside the multigrid
        // bottom's table) counts as its scalars; its own layout is registered separately.
        TypeInner::Struct { members, span } => {
            let mut total = 0;
            let mut k0 = None;
            for m in members {
                let (k, count) = scalars(module, m.ty)?;
                if k0.is_some_and(|k0| k0 != k) || m.offset as usize != 4 * total {
                    return None;
                }
                k0 = Some(k);
                total += count;
            }
            (*span as usize == 4 * total).then_some((k0?, total))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// Files and folders (path prefixes) whose structs are not registered yet: those of the
    /// elliptic solver and the dendrite potential, which are being moved apart and whose
    /// structs are registered as part of that move. The test fails once nothing under an
    /// entry needs the exemption, so that the entry is removed.
    const PENDING: &[&str] = &[];

    #[allow(dead_code)]
    #[repr(C)]
    struct Two {
        a: f32,
        b: u32,
        _pad: [u32; 2],
    }

    #[allow(dead_code)]
    #[repr(C)]
    struct TwoSwapped {
        b: u32,
        a: f32,
        _pad: [u32; 2],
    }

    const TWO: &str = "struct Two { a: f32, b: u32, _pad0: u32, _pad1: u32, }";

    fn check(fields: &[RustField], source: &str) -> Result<(), String> {
        compare_source("Two", 16, fields, "inline", source, "Two")
    }

    #[test]
    fn matching_layouts_pass_with_numbered_padding() {
        check(&layout!(@fields Two, [a, b, _pad]), TWO).unwrap();
        let one_pad = "struct Two { a: f32, b: u32, _pad: vec2<u32>, }";
        check(&layout!(@fields Two, [a, b, _pad]), one_pad).unwrap();
    }

    #[test]
    fn a_reordered_field_fails_on_either_side() {
        // Rust side reordered, the list following it.
        let e = check(&layout!(@fields TwoSwapped, [b, a, _pad]), TWO).unwrap_err();
        assert!(e.contains("member 0: Rust b vs WGSL a"), "{e}");
        // Rust side reordered, the list not: offsets out of order.
        let e = check(&layout!(@fields TwoSwapped, [a, b, _pad]), TWO).unwrap_err();
        assert!(
            e.contains("Rust field a at offset 4 where 0 was expected"),
            "{e}"
        );
        // WGSL side reordered.
        let swapped = "struct Two { b: u32, a: f32, _pad0: u32, _pad1: u32, }";
        let e = check(&layout!(@fields Two, [a, b, _pad]), swapped).unwrap_err();
        assert!(e.contains("member 0: Rust a vs WGSL b"), "{e}");
    }

    #[test]
    fn other_mismatches_fail() {
        let fields = layout!(@fields Two, [a, b, _pad]);
        let cases = [
            // b read as f32 by the shader.
            (
                "struct Two { a: f32, b: f32, _pad0: u32, _pad1: u32, }",
                "type Rust 1 x U32",
            ),
            // A member more on the WGSL side.
            (
                "struct Two { a: f32, b: u32, _pad0: u32, _pad1: u32, c: f32, }",
                "WGSL member c has no Rust field",
            ),
            // Padding that does not cover the Rust padding.
            (
                "struct Two { a: f32, b: u32, _pad0: u32, }",
                "Rust padding _pad",
            ),
            // vec4 alignment moves the padding.
            (
                "struct Two { a: f32, b: u32, _pad: vec4<u32>, }",
                "Rust padding _pad",
            ),
        ];
        for (source, expected) in cases {
            let e = check(&fields, source).unwrap_err();
            assert!(e.contains(expected), "{source}: {e}");
        }
        // A Rust field left out of the list.
        let e = check(&layout!(@fields Two, [a, _pad]), TWO).unwrap_err();
        assert!(
            e.contains("Rust field _pad at offset 8 where 4 was expected"),
            "{e}"
        );
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// The identifier that follows `after` after each occurrence of `marker` in `text`.
    fn names_after(text: &str, marker: &str, after: &str) -> Vec<String> {
        text.match_indices(marker)
            .filter_map(|(i, _)| {
                let rest = &text[i + marker.len()..];
                let rest = rest[rest.find(after)? + after.len()..].trim_start();
                let word: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                (!word.is_empty()).then_some(word)
            })
            .collect()
    }

    #[test]
    fn every_repr_c_struct_is_registered() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["src", "benches"] {
            if root.join(dir).is_dir() {
                rust_files(&root.join(dir), &mut files);
            }
        }
        let this = Path::new(file!()).file_name().unwrap();
        let (mut structs, mut registered) = (Vec::new(), Vec::new());
        for f in &files {
            // This file's own test structs mirror only inline WGSL.
            if f.file_name() == Some(this) {
                continue;
            }
            let text = std::fs::read_to_string(f).unwrap();
            registered.extend(names_after(&text, "layout!(", ""));
            for name in names_after(&text, "#[repr(C)]", "struct ") {
                structs.push((name, f.strip_prefix(root).unwrap().display().to_string()));
            }
        }
        let unregistered: Vec<&(String, String)> = structs
            .iter()
            .filter(|(n, _)| !registered.contains(n))
            .collect();
        let pending = |f: &str| PENDING.iter().any(|d| f.starts_with(d));
        let missing: Vec<String> = unregistered
            .iter()
            .filter(|(_, f)| !pending(f))
            .map(|(n, f)| format!("{n} ({f})"))
            .collect();
        assert!(
            missing.is_empty(),
            "#[repr(C)] structs without a layout! check against their WGSL struct: {}",
            missing.join(", ")
        );
        let stale: Vec<&&str> = PENDING
            .iter()
            .filter(|d| !unregistered.iter().any(|(_, f)| f.starts_with(**d)))
            .collect();
        assert!(
            stale.is_empty(),
            "every struct under {stale:?} is registered: remove it from PENDING"
        );
        assert!(structs.len() >= 8, "found only {structs:?}");
    }
}
