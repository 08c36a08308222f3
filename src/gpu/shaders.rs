//! WGSL sources, embedded in the binary, with a tiny `#include "path"` preprocessor so that
//! shared pieces live once: in `shaders/common/` if several models use them, else in the
//! `include/` folder of their model.

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
    "common/faces.wgsl",
    "common/cell_list.wgsl",
    "common/listed_cell.wgsl",
    "field/halo_wrap.wgsl",
    "field/max.wgsl",
    "field/stats.wgsl",
    "field/axis_reduce.wgsl",
    "field/band_list.wgsl",
    "field/cell_list_mark.wgsl",
    "bench/copy.wgsl",
    "bench/copy_vec4.wgsl",
    "bench/chain.wgsl",
    "bench/streams19.wgsl",
    "dendrite/include/random.wgsl",
    "dendrite/include/phase_field.wgsl",
    "dendrite/include/stencil.wgsl",
    "dendrite/include/potential_params.wgsl",
    "solvers/include/cg.wgsl",
    "solvers/include/cg_partials.wgsl",
    "solvers/include/operator.wgsl",
    "solvers/include/operator_stored.wgsl",
    "solvers/include/operator_conductivity.wgsl",
    "solvers/include/apply_full.wgsl",
    "solvers/include/apply_split.wgsl",
    "solvers/include/conductivity_f32.wgsl",
    "solvers/include/conductivity_f16.wgsl",
    "solvers/include/direction_f32.wgsl",
    "solvers/include/direction_f16.wgsl",
    "solvers/include/direction_read_f32.wgsl",
    "solvers/include/direction_read_f16.wgsl",
    "solvers/include/neighbours.wgsl",
    "solvers/include/diagonal_only.wgsl",
    "solvers/include/stored_operand.wgsl",
    "solvers/include/multigrid.wgsl",
    "solvers/include/galerkin.wgsl",
    "solvers/include/jacobi.wgsl",
    "solvers/include/colours.wgsl",
    "dendrite/include/dendrite_params.wgsl",
    "dendrite/include/chemical_potential.wgsl",
    "dendrite/include/li_outflow.wgsl",
    "dendrite/include/li_implicit.wgsl",
    "diffusion/step.wgsl",
    "dendrite/step.wgsl",
    "dendrite/columns.wgsl",
    "dendrite/potential_setup.wgsl",
    "dendrite/li_setup.wgsl",
    "dendrite/li_update.wgsl",
    "solvers/cg_apply.wgsl",
    "solvers/cg_start.wgsl",
    "solvers/cg_update.wgsl",
    "solvers/cg_direction.wgsl",
    "solvers/cg_precondition.wgsl",
    "solvers/cg_deflate.wgsl",
    "solvers/multigrid_smooth.wgsl",
    "solvers/multigrid_smooth_from_zero.wgsl",
    "solvers/multigrid_gauss_seidel.wgsl",
    "solvers/multigrid_restrict.wgsl",
    "solvers/multigrid_restrict_residual.wgsl",
    "solvers/multigrid_bottom.wgsl",
    "solvers/multigrid_prolong.wgsl",
    "solvers/multigrid_prolong_smooth.wgsl",
    "solvers/multigrid_coarsen.wgsl",
    "solvers/cg_scalars.wgsl",
    "solvers/warm_direction.wgsl",
    "solvers/operator_setup.wgsl",
    "solvers/include/conductance.wgsl",
    "gde/include/lattice.wgsl",
    "gde/include/d3q19.wgsl",
    "gde/include/d3q19_f32.wgsl",
    "gde/include/d3q19_f16.wgsl",
    "gde/include/population_bits.wgsl",
    "gde/include/population_bits_f16.wgsl",
    "gde/include/d3q7.wgsl",
    "gde/include/flow_params.wgsl",
    "gde/include/species_params.wgsl",
    "gde/flow_step.wgsl",
    "gde/flow_fields.wgsl",
    "gde/species_step.wgsl",
    "gde/species_fields.wgsl",
    "gde/lattice_merge.wgsl",
    "superfill/include/params.wgsl",
    "superfill/include/stencil.wgsl",
    "superfill/interface.wgsl",
    "superfill/coverage.wgsl",
    "superfill/extend.wgsl",
    "superfill/advect.wgsl",
    "superfill/transfer.wgsl",
    "superfill/species_setup.wgsl",
    "superfill/species_update.wgsl",
    "superfill/adsorb.wgsl",
    "superfill/reinit.wgsl",
    "test/neighbour_reach.wgsl",
);

/// The include swaps that store the D3Q19 flow populations in f16 (gde.flow.storage = "f16")
/// instead of f32, for every kernel that touches them (its step, fields and chunk merge).
pub const F16_POPULATIONS: &[(&str, &str)] = &[
    ("gde/include/d3q19_f32.wgsl", "gde/include/d3q19_f16.wgsl"),
    (
        "gde/include/population_bits.wgsl",
        "gde/include/population_bits_f16.wgsl",
    ),
];

/// The elliptic solver's fine operator computed from a conductivity per cell instead of
/// read from stored faces, for every kernel that reads the fine level
/// (`FineOperator::Conductivity`, src/solvers/elliptic.rs).
pub const CONDUCTIVITY_OPERATOR: &[(&str, &str)] = &[(
    "solvers/include/operator_stored.wgsl",
    "solvers/include/operator_conductivity.wgsl",
)];

/// The CG's products A p in difference form, from the stored faces and the diagonal's rest
/// (`FineOperator::Split`, src/solvers/operator.rs), for the stages that form them.
pub const SPLIT_OPERATOR: &[(&str, &str)] = &[(
    "solvers/include/apply_full.wgsl",
    "solvers/include/apply_split.wgsl",
)];

/// With `CONDUCTIVITY_OPERATOR`: the conductivity in f16 (`FineOperator::Conductivity`'s
/// `half`).
pub const HALF_CONDUCTIVITY: &[(&str, &str)] = &[(
    "solvers/include/conductivity_f32.wgsl",
    "solvers/include/conductivity_f16.wgsl",
)];

/// The CG search direction p in f16 (`CorrectionMemory::Half`), for every stage that reads
/// or writes it.
pub const HALF_DIRECTION: &[(&str, &str)] = &[
    (
        "solvers/include/direction_f32.wgsl",
        "solvers/include/direction_f16.wgsl",
    ),
    (
        "solvers/include/direction_read_f32.wgsl",
        "solvers/include/direction_read_f16.wgsl",
    ),
];

type Swaps = &'static [(&'static str, &'static str)];

/// Stages built with include swaps as well as plainly, each with the swap lists it is built
/// with (applied together); tests validate each variant like the stages.
pub const VARIANTS: &[(&str, &[Swaps])] = &[
    ("gde/flow_step.wgsl", &[F16_POPULATIONS]),
    ("gde/flow_fields.wgsl", &[F16_POPULATIONS]),
    ("gde/lattice_merge.wgsl", &[F16_POPULATIONS]),
    // Every stage that reads the elliptic solver's fine level, with σ in f32 and in f16.
    ("solvers/cg_apply.wgsl", &[CONDUCTIVITY_OPERATOR]),
    ("solvers/cg_start.wgsl", &[CONDUCTIVITY_OPERATOR]),
    ("solvers/cg_update.wgsl", &[CONDUCTIVITY_OPERATOR]),
    ("solvers/cg_precondition.wgsl", &[CONDUCTIVITY_OPERATOR]),
    ("solvers/multigrid_smooth.wgsl", &[CONDUCTIVITY_OPERATOR]),
    (
        "solvers/multigrid_smooth_from_zero.wgsl",
        &[CONDUCTIVITY_OPERATOR],
    ),
    (
        "solvers/multigrid_restrict_residual.wgsl",
        &[CONDUCTIVITY_OPERATOR],
    ),
    ("solvers/multigrid_coarsen.wgsl", &[CONDUCTIVITY_OPERATOR]),
    (
        "solvers/multigrid_gauss_seidel.wgsl",
        &[CONDUCTIVITY_OPERATOR],
    ),
    (
        "solvers/multigrid_prolong_smooth.wgsl",
        &[CONDUCTIVITY_OPERATOR],
    ),
    (
        "solvers/multigrid_smooth.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY],
    ),
    (
        "solvers/multigrid_smooth_from_zero.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY],
    ),
    (
        "solvers/multigrid_restrict_residual.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY],
    ),
    (
        "solvers/multigrid_coarsen.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY],
    ),
    (
        "solvers/multigrid_gauss_seidel.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY],
    ),
    (
        "solvers/multigrid_prolong_smooth.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY],
    ),
    // The CG's products in difference form (superfill's species), with p in f32 and f16.
    ("solvers/cg_apply.wgsl", &[SPLIT_OPERATOR]),
    ("solvers/cg_update.wgsl", &[SPLIT_OPERATOR]),
    ("solvers/cg_start.wgsl", &[SPLIT_OPERATOR]),
    ("solvers/cg_apply.wgsl", &[SPLIT_OPERATOR, HALF_DIRECTION]),
    ("solvers/cg_update.wgsl", &[SPLIT_OPERATOR, HALF_DIRECTION]),
    // The CG stages that touch p, with p in f16: the operator stored, computed from σ in
    // f32 (gde's reactions whose σ leaves f16's range), or from σ in f16.
    ("solvers/cg_direction.wgsl", &[HALF_DIRECTION]),
    ("solvers/cg_apply.wgsl", &[HALF_DIRECTION]),
    ("solvers/cg_update.wgsl", &[HALF_DIRECTION]),
    ("solvers/cg_precondition.wgsl", &[HALF_DIRECTION]),
    // σ in f16 with p in f32 (gde never builds it; tests/solvers.rs does).
    (
        "solvers/cg_apply.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY],
    ),
    (
        "solvers/cg_update.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY],
    ),
    (
        "solvers/cg_precondition.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY],
    ),
    (
        "solvers/cg_apply.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_DIRECTION],
    ),
    (
        "solvers/cg_update.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_DIRECTION],
    ),
    (
        "solvers/cg_precondition.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_DIRECTION],
    ),
    (
        "solvers/cg_apply.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY, HALF_DIRECTION],
    ),
    (
        "solvers/cg_update.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY, HALF_DIRECTION],
    ),
    (
        "solvers/cg_precondition.wgsl",
        &[CONDUCTIVITY_OPERATOR, HALF_CONDUCTIVITY, HALF_DIRECTION],
    ),
];

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
    compose_with(path, &[])
}

/// As [`compose`], with each include named first in a pair of `swaps` replaced by the second:
/// one stage, several storage variants (the D3Q19 populations in f32 or f16). WGSL's
/// `enable` directives must precede every declaration, so they are moved to the top.
pub fn compose_with(path: &str, swaps: &[(&str, &str)]) -> Result<String> {
    let mut out = Composed::default();
    append(path, swaps, &mut out)?;
    Ok(out.directives + &out.body)
}

#[derive(Default)]
struct Composed {
    directives: String,
    body: String,
    seen: Vec<String>,
}

fn append(path: &str, swaps: &[(&str, &str)], out: &mut Composed) -> Result<()> {
    let path = swaps
        .iter()
        .find(|(from, _)| *from == path)
        .map_or(path, |(_, to)| *to);
    if out.seen.iter().any(|s| s == path) {
        return Ok(());
    }
    out.seen.push(path.to_string());
    for line in raw(path)?.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("#include") {
            let inc = rest.trim().trim_matches('"');
            append(inc, swaps, out).map_err(|e| anyhow!("{path}: {e}"))?;
        } else if trimmed.starts_with("enable ") {
            if !out.directives.contains(trimmed) {
                out.directives.push_str(trimmed);
                out.directives.push('\n');
            }
        } else {
            out.body.push_str(line);
            out.body.push('\n');
        }
    }
    Ok(())
}

/// Whether `path` is a piece for `#include` (under `common/`, shared by several models, or
/// under an `include/` folder of one model or the solvers) rather than a GPU stage.
pub fn is_include(path: &str) -> bool {
    path.starts_with("common/") || path.contains("/include/")
}

/// Shaders that are whole GPU stages (not included pieces).
pub fn stages() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|(p, _)| *p).filter(|p| !is_include(p))
}
