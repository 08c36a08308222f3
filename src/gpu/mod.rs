//! The GPU layer: device choice, chunked fields, kernels built from `shaders/`, reductions.

mod builds;
pub mod cell_list;
mod device;
pub mod domain;
pub mod field;
mod kernel;
pub mod profile;
pub mod recorder;
pub mod reduce;
pub mod shaders;
pub mod stats;
#[cfg(test)]
pub(crate) mod wgsl_layout;

pub use cell_list::CellList;
pub use device::{
    chosen_adapter_name, format_bytes, list_adapters, AdapterSummary, Gpu, ADAPTER_ENV,
    MAX_BINDING_ENV, NO_ADAPTER_HELP,
};
pub use domain::{ChunkSpan, Domain, GridInfo, WORKGROUP};
pub use field::{Element, Field, FieldValue};
pub use kernel::Kernel;
pub use recorder::{set_pipeline, Recorder};
pub use reduce::{column_reduce, plane_reduce, Along, AxisReduce, Reduced};
pub use stats::{field_max, field_stats, Stats, StatsQuery};

/// Kernels every model uses, built once per device on first use.
pub struct CommonKernels {
    pub halo_wrap: Kernel,
    pub stats: Kernel,
    pub max: Kernel,
}

impl Gpu {
    pub fn common(&self) -> &CommonKernels {
        self.common.get_or_init(|| CommonKernels {
            halo_wrap: Kernel::new(self, "field/halo_wrap.wgsl").expect("built-in shader"),
            stats: Kernel::new(self, "field/stats.wgsl").expect("built-in shader"),
            max: Kernel::new(self, "field/max.wgsl").expect("built-in shader"),
        })
    }
}
