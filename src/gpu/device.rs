//! Adapter choice and device creation.
//!
//! We ask for the adapter's own limits rather than WebGPU's conservative defaults: a
//! simulator wants every byte of storage binding and buffer size the hardware offers.

use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashMap;
use std::sync::Mutex;
use std::thread::ThreadId;

/// Environment variable that names an adapter (index or name substring), like `--adapter`.
pub const ADAPTER_ENV: &str = "MESOLYTE_ADAPTER";
/// Environment variable that caps the storage-binding size used to split fields into chunks.
/// Meant for tests (so that small grids exercise the multi-chunk path) and for debugging.
pub const MAX_BINDING_ENV: &str = "MESOLYTE_MAX_BINDING_BYTES";

/// What we tell a user who has no adapter at all.
pub const NO_ADAPTER_HELP: &str =
    "no GPU adapter found. Install a GPU driver with Vulkan support, \
or on a machine without a GPU install Mesa's software Vulkan driver lavapipe \
(Debian/Ubuntu: `apt-get install mesa-vulkan-drivers`; `make setup` does this for you)";

/// Summary of one adapter, as shown by `mesolyte info`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AdapterSummary {
    pub index: usize,
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub max_buffer_size: u64,
    pub max_storage_binding_size: u64,
    pub shader_f16: bool,
    pub timestamp_query: bool,
    /// Device-local memory in bytes where the backend reports it (Vulkan), else `None`.
    pub memory_bytes: Option<u64>,
}

/// An open device with the facts the rest of the engine needs.
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub summary: AdapterSummary,
    pub limits: wgpu::Limits,
    /// Largest storage binding we use; at most the adapter's limit (see [`MAX_BINDING_ENV`]).
    pub max_binding_bytes: u64,
    /// Whether the device is a CPU (lavapipe): kernels whose cost there differs in kind from
    /// a GPU's (one workgroup runs on one core, and its barriers switch every invocation)
    /// choose another equivalent form.
    pub cpu: bool,
    pub(super) common: std::sync::OnceLock<super::CommonKernels>,
    /// Every kernel built on this device, by what it was built from (`Kernel::build`).
    pub(super) kernels: Mutex<HashMap<super::kernel::KernelKey, super::Kernel>>,
    /// The threads that build this device's pipelines (`builds.rs`).
    pub(super) builders: std::sync::Arc<super::builds::Builders>,
    /// Each thread's latest submission (see [`Gpu::submit`]).
    last_submission: Mutex<HashMap<ThreadId, wgpu::SubmissionIndex>>,
}

/// Backends we look at: Vulkan, Metal, DX12 (GL lacks what we need on many drivers and its
/// probing is noisy), unless `WGPU_BACKEND` says otherwise.
fn backends() -> wgpu::Backends {
    wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY)
}

fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    desc.backends = backends();
    wgpu::Instance::new(desc)
}

fn device_type_rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

/// Device-local memory reported by Vulkan, summed over device-local heaps.
fn vulkan_memory_bytes(adapter: &wgpu::Adapter) -> Option<u64> {
    // SAFETY: we only query read-only properties of the physical device behind the adapter.
    unsafe {
        let hal = adapter.as_hal::<wgpu::hal::api::Vulkan>()?;
        let instance = hal.shared_instance().raw_instance();
        let props = instance.get_physical_device_memory_properties(hal.raw_physical_device());
        let heaps = &props.memory_heaps[..props.memory_heap_count as usize];
        const DEVICE_LOCAL: u32 = 0x1;
        let local: u64 = heaps
            .iter()
            .filter(|h| h.flags.as_raw() & DEVICE_LOCAL != 0)
            .map(|h| h.size)
            .sum();
        (local > 0).then_some(local)
    }
}

/// The host's available memory (Linux: MemAvailable in /proc/meminfo), for CPU devices.
fn host_available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_available(&info)
}

fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn summarize(index: usize, adapter: &wgpu::Adapter) -> AdapterSummary {
    let info = adapter.get_info();
    let limits = adapter.limits();
    let features = adapter.features();
    AdapterSummary {
        index,
        name: info.name.clone(),
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info)
            .trim()
            .to_string(),
        max_buffer_size: limits.max_buffer_size,
        max_storage_binding_size: limits.max_storage_buffer_binding_size,
        shader_f16: features.contains(wgpu::Features::SHADER_F16),
        timestamp_query: features.contains(wgpu::Features::TIMESTAMP_QUERY),
        memory_bytes: if info.backend != wgpu::Backend::Vulkan {
            None
        } else if info.device_type == wgpu::DeviceType::Cpu {
            // A CPU device (lavapipe) allocates host memory as it goes: the heap it reports
            // (2 GiB with Mesa 22.3) is not its limit, the host's free memory is.
            host_available_bytes().or_else(|| vulkan_memory_bytes(adapter))
        } else {
            vulkan_memory_bytes(adapter)
        },
    }
}

fn adapters() -> Vec<wgpu::Adapter> {
    pollster::block_on(instance().enumerate_adapters(backends()))
}

/// All adapters the system offers, in enumeration order.
pub fn list_adapters() -> Vec<AdapterSummary> {
    adapters()
        .iter()
        .enumerate()
        .map(|(i, a)| summarize(i, a))
        .collect()
}

/// Picks an adapter: the one named by `selector` (index or case-insensitive name substring),
/// else the best by device type (discrete GPU first, CPU last).
fn pick(adapters: Vec<wgpu::Adapter>, selector: Option<&str>) -> Result<(usize, wgpu::Adapter)> {
    if adapters.is_empty() {
        bail!("{NO_ADAPTER_HELP}");
    }
    let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
    let listing = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("  {i}: {n}"))
        .collect::<Vec<_>>()
        .join("\n");
    let chosen = match selector.map(str::trim).filter(|s| !s.is_empty()) {
        Some(sel) => {
            if let Ok(i) = sel.parse::<usize>() {
                if i >= adapters.len() {
                    bail!("adapter index {i} is out of range; adapters:\n{listing}");
                }
                i
            } else {
                let lower = sel.to_lowercase();
                names
                    .iter()
                    .position(|n| n.to_lowercase().contains(&lower))
                    .ok_or_else(|| {
                        anyhow!("no adapter name contains {sel:?}; adapters:\n{listing}")
                    })?
            }
        }
        None => (0..adapters.len())
            .min_by_key(|&i| (device_type_rank(adapters[i].get_info().device_type), i))
            .unwrap(),
    };
    let adapter = adapters.into_iter().nth(chosen).unwrap();
    Ok((chosen, adapter))
}

/// The name of the adapter `Gpu::open(selector)` would open, found without opening a device
/// (for estimates made at validation).
pub fn chosen_adapter_name(selector: Option<&str>) -> Result<String> {
    let env_sel = std::env::var(ADAPTER_ENV).ok();
    let selector = selector.or(env_sel.as_deref());
    let (_, adapter) = pick(adapters(), selector)?;
    Ok(adapter.get_info().name)
}

impl Gpu {
    /// Opens the adapter named by `selector`, or by `MESOLYTE_ADAPTER`, or the best one.
    pub fn open(selector: Option<&str>) -> Result<Gpu> {
        let env_sel = std::env::var(ADAPTER_ENV).ok();
        let selector = selector.or(env_sel.as_deref());
        let (index, adapter) = pick(adapters(), selector)?;
        let summary = summarize(index, &adapter);
        let limits = adapter.limits();
        let mut features = wgpu::Features::empty();
        if summary.timestamp_query {
            features |= wgpu::Features::TIMESTAMP_QUERY;
        }
        // For the optional f16 storage of the D3Q19 populations (gde.flow.storage) and of the
        // steady solves' direction and conductivity (gde.species.operator = "matrix_free_f16").
        if summary.shader_f16 {
            features |= wgpu::Features::SHADER_F16;
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("mesolyte"),
            required_features: features,
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .with_context(|| format!("could not open a device on adapter {:?}", summary.name))?;
        let mut max_binding_bytes = summary.max_storage_binding_size.min(limits.max_buffer_size);
        if let Ok(cap) = std::env::var(MAX_BINDING_ENV) {
            let cap: u64 = cap
                .parse()
                .with_context(|| format!("{MAX_BINDING_ENV}={cap:?} is not a byte count"))?;
            max_binding_bytes = max_binding_bytes.min(cap.max(256));
        }
        let cpu = adapter.get_info().device_type == wgpu::DeviceType::Cpu;
        super::profile::start(&device, &queue);
        Ok(Gpu {
            device,
            queue,
            summary,
            limits,
            max_binding_bytes,
            cpu,
            common: Default::default(),
            kernels: Default::default(),
            builders: Default::default(),
            last_submission: Default::default(),
        })
    }

    /// Submits `commands` and remembers the submission as this thread's latest, for
    /// [`Gpu::wait_own`]. Models submit through this, so that the runs of a parallel sweep,
    /// which share the device from threads of their own, each wait for their own work only.
    pub fn submit(&self, commands: wgpu::CommandBuffer) {
        let index = self.queue.submit([commands]);
        super::profile::submitted();
        self.last_submission
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(std::thread::current().id(), index);
    }

    /// Blocks until this thread's latest [`Gpu::submit`] has finished (the queue runs
    /// submissions in order, so everything submitted before it has too), or until all
    /// submitted work has if this thread never submitted through it.
    pub fn wait_own(&self) {
        let index = self
            .last_submission
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&std::thread::current().id())
            .cloned();
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: index,
                timeout: None,
            })
            .expect("GPU device lost while waiting for work to finish");
    }

    /// Blocks until all submitted work is done.
    pub fn wait(&self) {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("GPU device lost while waiting for work to finish");
    }

    /// Largest number of workgroups in one dispatch dimension.
    pub fn max_groups_per_dim(&self) -> u32 {
        self.limits.max_compute_workgroups_per_dimension
    }
}

/// Human-readable byte count (binary units).
pub fn format_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod host_memory_tests {
    use super::parse_mem_available;

    #[test]
    fn mem_available_is_read_in_bytes() {
        let text =
            "MemTotal:       24573568 kB\nMemFree:        2000 kB\nMemAvailable:   23456789 kB\n";
        assert_eq!(parse_mem_available(text), Some(23456789 * 1024));
        assert_eq!(parse_mem_available("MemTotal: 5 kB\n"), None);
    }
}
