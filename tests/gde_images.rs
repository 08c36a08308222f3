//! Micro-CT images into gde geometries (issue 20): NumPy `.npy` arrays as PoreSpy writes them
//! and TIFF stacks, written by numpy and tifffile (scripts/make_image_fixtures.py made the
//! fixtures in tests/data/gde/). The pattern, pore where (x + 2y + 3z) % 5 == 0 on a
//! 12 x 10 x 8 image, is asymmetric in its axes, so a swapped or reversed axis fails, and its
//! porosity is exactly 0.2.

use mesolyte::models::gde::geometry::{self, GeometrySpec, PORE, SOLID};
use mesolyte::models::gde::params::GdeParams;
use mesolyte::Scenario;
use std::path::Path;

const DIMS: [usize; 3] = [12, 10, 8];

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gde")
}

/// A gde scenario in the fixture folder reading `file` with the extra geometry keys.
fn scenario(kind: &str, file: &str, keys: &str) -> Result<Scenario, String> {
    let text = format!(
        "name = \"img\"\nmodel = \"gde\"\n[grid]\nnx = 12\nny = 10\nnz = 8\ndx = 1e-6\n\
         [run]\nend_time = 100\n[gde.geometry]\nkind = \"{kind}\"\nfile = \"{file}\"\n{keys}\n\
         [gde.species]\naxes = [\"x\"]\n"
    );
    let path = fixtures().join("scenario.toml");
    Scenario::parse(path.to_str().unwrap(), &text, &[]).map_err(|e| e.to_string())
}

fn labels(s: &Scenario) -> Vec<u8> {
    let p = s.params.downcast_ref::<GdeParams>().unwrap();
    geometry::build(&p.geometry, &s.grid, &fixtures())
        .unwrap()
        .labels
}

fn expected() -> Vec<u8> {
    let [nx, ny, nz] = DIMS;
    let mut v = vec![SOLID; nx * ny * nz];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                if (x + 2 * y + 3 * z) % 5 == 0 {
                    v[x + nx * (y + ny * z)] = PORE;
                }
            }
        }
    }
    v
}

#[test]
fn npy_arrays_import_with_their_axes_and_porosity() {
    // PoreSpy's boolean image (True = pore, C order) and a Fortran-order label map.
    for (file, keys) in [
        ("pattern_bool.npy", "pore_value = 1"),
        ("pattern_labels_fortran.npy", "pore_value = 0"),
    ] {
        let s = scenario("npy", file, keys).unwrap();
        let v = labels(&s);
        assert_eq!(v, expected(), "{file}");
        let porosity = v.iter().filter(|&&l| l == PORE).count() as f64 / v.len() as f64;
        assert!(
            (porosity - 0.2).abs() < 1e-12,
            "{file}: porosity {porosity}"
        );
    }
}

#[test]
fn tiff_stacks_import_as_z_slices() {
    // A 16-bit multi-page file thresholded (dark pore), and a folder of 8-bit pages.
    for (file, keys) in [
        ("pattern_grey16.tif", "pore_below = 20000"),
        ("pattern_slices", "pore_value = 0"),
    ] {
        let s = scenario("tiff", file, keys).unwrap();
        assert_eq!(labels(&s), expected(), "{file}");
    }
}

#[test]
fn image_errors_name_the_key_and_the_shapes() {
    // A grid of another shape: the error says both shapes and the axis convention.
    let text = "name = \"img\"\nmodel = \"gde\"\n[grid]\nnx = 10\nny = 12\nnz = 8\ndx = 1e-6\n\
                [run]\nend_time = 100\n[gde.geometry]\nkind = \"npy\"\nfile = \"pattern_bool.npy\"\n\
                pore_value = 1\n[gde.species]\naxes = [\"x\"]\n";
    let path = fixtures().join("scenario.toml");
    let s = Scenario::parse(path.to_str().unwrap(), text, &[]).unwrap();
    let p = s.params.downcast_ref::<GdeParams>().unwrap();
    let e = format!(
        "{:#}",
        geometry::build(&p.geometry, &s.grid, &fixtures()).unwrap_err()
    );
    for part in ["gde.geometry.file", "12x10x8", "10x12x8", "axes in order"] {
        assert!(e.contains(part), "{e:?} lacks {part:?}");
    }
    // Both ways of classifying at once is ambiguous.
    let e = scenario(
        "tiff",
        "pattern_grey16.tif",
        "pore_below = 5\npore_value = 0",
    )
    .unwrap_err();
    assert!(e.contains("pore_value") && e.contains("not both"), "{e}");
    // A file that is not an array.
    let e = scenario("npy", "pattern_grey16.tif", "").unwrap();
    let p = e.params.downcast_ref::<GdeParams>().unwrap();
    let msg = format!(
        "{:#}",
        geometry::build(&p.geometry, &e.grid, &fixtures()).unwrap_err()
    );
    assert!(msg.contains("not a NumPy .npy file"), "{msg}");
    assert!(matches!(p.geometry, GeometrySpec::Image { .. }));
}
