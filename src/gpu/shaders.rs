//! WGSL sources, embedded in the binary, with a tiny `#include "path"` preprocessor so that
//! shared pieces live once in `shaders/common/`.

use anyhow::{anyhow, Result};

macro_rules! shader_table {
    ($($path:literal),* $(,)?) => {
        /// Every WGSL file under `shaders/`, by path relative to that folder.
        pub const SOURCES: &[(&str, &str)] = &[
            $(($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $path)))),*
        ];
    };
}

shader_table!(
    "common/grid.wgsl",
    "common/float.wgsl",
    "field/halo_wrap.wgsl",
    "field/stats.wgsl",
    "bench/copy.wgsl",
    "bench/copy_vec4.wgsl",
    "bench/chain.wgsl",
    "bench/streams19.wgsl",
    "common/random.wgsl",
    "common/phase_field.wgsl",
    "common/stencil.wgsl",
    "common/potential.wgsl",
    "common/cg.wgsl",
    "common/cg_partials.wgsl",
    "common/potential_operator.wgsl",
    "common/stored_operand.wgsl",
    "common/multigrid.wgsl",
    "common/galerkin.wgsl",
    "common/jacobi.wgsl",
    "common/dendrite_params.wgsl",
    "common/chemical_potential.wgsl",
    "diffusion/step.wgsl",
    "dendrite/step.wgsl",
    "dendrite/columns.wgsl",
    "dendrite/potential_setup.wgsl",
    "dendrite/potential_apply.wgsl",
    "dendrite/potential_start.wgsl",
    "dendrite/potential_update.wgsl",
    "dendrite/potential_direction.wgsl",
    "dendrite/potential_precondition.wgsl",
    "dendrite/multigrid_smooth.wgsl",
    "dendrite/multigrid_smooth_from_zero.wgsl",
    "dendrite/multigrid_restrict.wgsl",
    "dendrite/multigrid_restrict_residual.wgsl",
    "dendrite/multigrid_bottom.wgsl",
    "dendrite/multigrid_prolong.wgsl",
    "dendrite/multigrid_prolong_smooth.wgsl",
    "dendrite/multigrid_coarsen.wgsl",
    "dendrite/potential_scalars.wgsl",
    "common/lattice.wgsl",
    "common/d3q19.wgsl",
    "common/d3q7.wgsl",
    "common/flow_params.wgsl",
    "common/species_params.wgsl",
    "gde/flow_step.wgsl",
    "gde/flow_fields.wgsl",
    "gde/species_step.wgsl",
    "gde/species_fields.wgsl",
    "gde/lattice_merge.wgsl",
);

/// The raw text of one shader file.
pub fn raw(path: &str) -> Result<&'static str> {
    SOURCES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, s)| *s)
        .ok_or_else(|| anyhow!("shader {path:?} is not registered in gpu/shaders.rs"))
}

/// `path` with every `#include "other.wgsl"` line replaced by that file (each file once).
pub fn compose(path: &str) -> Result<String> {
    let mut out = String::new();
    let mut seen = Vec::new();
    append(path, &mut out, &mut seen)?;
    Ok(out)
}

fn append(path: &str, out: &mut String, seen: &mut Vec<String>) -> Result<()> {
    if seen.iter().any(|s| s == path) {
        return Ok(());
    }
    seen.push(path.to_string());
    for line in raw(path)?.lines() {
        if let Some(rest) = line.trim().strip_prefix("#include") {
            let inc = rest.trim().trim_matches('"');
            append(inc, out, seen).map_err(|e| anyhow!("{path}: {e}"))?;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(())
}

/// Shaders that are whole GPU stages (not shared pieces under `common/`).
pub fn stages() -> impl Iterator<Item = &'static str> {
    SOURCES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !p.starts_with("common/"))
}
