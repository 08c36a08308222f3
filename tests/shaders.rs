//! Every WGSL stage, composed with its includes, must parse and validate with naga, and every
//! .wgsl file on disk must be registered (so none is silently left out of this check).

use mesolyte::gpu::shaders;
use std::path::Path;

fn wgsl_files(dir: &Path, base: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            wgsl_files(&p, base, out);
        } else if p.extension().is_some_and(|x| x == "wgsl") {
            out.push(
                p.strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
}

#[test]
fn every_shader_file_is_registered() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut on_disk = Vec::new();
    wgsl_files(&base, &base, &mut on_disk);
    on_disk.sort();
    let mut registered: Vec<String> = shaders::SOURCES
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    registered.sort();
    assert_eq!(on_disk, registered, "shaders/ and gpu/shaders.rs disagree");
}

#[test]
fn every_stage_validates_with_naga() {
    let mut failures = Vec::new();
    let mut count = 0;
    let plain = shaders::stages().map(|s| (s.to_string(), shaders::compose(s).unwrap()));
    let variants = shaders::VARIANTS.iter().map(|(s, lists)| {
        let swaps: Vec<(&str, &str)> = lists.iter().flat_map(|l| l.iter().copied()).collect();
        (
            format!("{s} (with {swaps:?})"),
            shaders::compose_with(s, &swaps).unwrap(),
        )
    });
    for (stage, src) in plain.chain(variants) {
        count += 1;
        let module = match naga::front::wgsl::parse_str(&src) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{stage}: {}", e.emit_to_string(&src)));
                continue;
            }
        };
        let mut v = naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::all(),
        );
        if let Err(e) = v.validate(&module) {
            failures.push(format!("{stage}: {}", e.emit_to_string(&src)));
        }
        assert!(
            module.entry_points.iter().any(|e| e.name == "main"),
            "{stage} has no `main` entry point"
        );
        assert!(
            module
                .entry_points
                .iter()
                .all(|e| e.stage == naga::ShaderStage::Compute),
            "{stage} has a non-compute entry point"
        );
    }
    assert!(count >= 4, "expected at least 4 stages, found {count}");
    assert!(
        failures.is_empty(),
        "shader errors:\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_broken_shader_is_caught() {
    // The check above must be able to fail: a type error has to be reported.
    let bad = "@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }";
    let parsed = naga::front::wgsl::parse_str(bad);
    let invalid = match parsed {
        Err(_) => true,
        Ok(m) => naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::all(),
        )
        .validate(&m)
        .is_err(),
    };
    assert!(invalid);
}

/// The unrolled lattice kernels and the velocity-set tables (WGSL and Rust) are generated;
/// the checked-in files must match the generator. Skipped where python3 is not installed:
/// src/models/gde/lattice.rs still compares the WGSL tables with the Rust ones there.
#[test]
fn generated_lattice_kernels_are_current() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = match std::process::Command::new("python3")
        .arg(format!("{root}/scripts/gen_lattice_kernels.py"))
        .arg("--check")
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("python3 not found: generated lattice files not checked");
            return;
        }
        Err(e) => panic!("running the kernel generator: {e}"),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
