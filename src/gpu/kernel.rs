//! A compute pipeline built from one WGSL stage in `shaders/`, with its bind-group layout.
//!
//! Bind groups can be built by position ([`Kernel::bind`]) or by the names of the shader's
//! variables ([`Kernel::bind_named`]). Names are preferred for long lists: two buffers of the
//! same type swapped in a positional list still compile, validate and run, only wrong.

use anyhow::{anyhow, bail, Result};

use std::sync::Arc;

use super::builds::Pending;
use super::{shaders, Gpu};

/// A kernel's pipeline and bind-group layout; clones share them. The layout is made at once
/// from the shader's reflection, so bind groups can be made before the pipeline exists; the
/// pipeline is built on a worker thread (`builds.rs`) and waited for where a dispatch first
/// needs it ([`Kernel::pipeline`]).
#[derive(Clone)]
pub struct Kernel {
    pipeline: Arc<Pending<wgpu::ComputePipeline>>,
    layout: wgpu::BindGroupLayout,
    pub name: &'static str,
    /// The group-0 resource variables of the composed shader, from naga's reflection.
    slots: Vec<Slot>,
}

/// What a kernel is built from (`Kernel::build`'s arguments; constants by their bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct KernelKey {
    path: &'static str,
    entry: String,
    constants: Vec<(String, u64)>,
    swaps: Vec<(String, String)>,
}

/// One `@group(0) @binding(n) var` of a shader.
#[derive(Debug, Clone, PartialEq)]
struct Slot {
    name: String,
    binding: u32,
    /// Whether the kernel's entry point uses it: only these are in `Kernel::layout`, as in
    /// the layout wgpu would derive from the entry point.
    used: bool,
    /// Its buffer type (read-only or read-write storage, or uniform).
    ty: wgpu::BufferBindingType,
}

impl Kernel {
    /// Builds the pipeline for entry point `main` of `shaders/<path>`.
    pub fn new(gpu: &Gpu, path: &'static str) -> Result<Kernel> {
        Self::with_entry(gpu, path, "main")
    }

    pub fn with_entry(gpu: &Gpu, path: &'static str, entry: &str) -> Result<Kernel> {
        Self::with_constants(gpu, path, entry, &[])
    }

    /// Builds the pipeline for `entry` of `shaders/<path>` with its `override` constants set
    /// to `constants` (name, value; a `bool` constant as [`Kernel::flag`]).
    pub fn with_constants(
        gpu: &Gpu,
        path: &'static str,
        entry: &str,
        constants: &[(&str, f64)],
    ) -> Result<Kernel> {
        Self::build(gpu, path, entry, constants, &[])
    }

    /// Builds the pipeline for `entry` of `shaders/<path>` composed with the include swaps
    /// `swaps` (`shaders::compose_with`): a storage variant of one stage.
    pub fn with_includes(
        gpu: &Gpu,
        path: &'static str,
        entry: &str,
        swaps: &[(&str, &str)],
    ) -> Result<Kernel> {
        Self::build(gpu, path, entry, &[], swaps)
    }

    /// Both: `constants` and the include `swaps` (the elliptic solver's matrix-free fine
    /// operator, whose swap has constants of its own).
    pub fn with_constants_and_includes(
        gpu: &Gpu,
        path: &'static str,
        entry: &str,
        constants: &[(&str, f64)],
        swaps: &[(&str, &str)],
    ) -> Result<Kernel> {
        Self::build(gpu, path, entry, constants, swaps)
    }

    /// The kernel built for these arguments, once per device: every solver and model asking
    /// for the same stage, entry, constants and include swaps gets the same pipeline (a
    /// pipeline is immutable; each user binds its own buffers). FiPy's trench asks for 92
    /// kernels, 42 of them different (its three species solvers have the same kernels), and
    /// on lavapipe each build costs milliseconds (WGSL to SPIR-V, then lavapipe's NIR and
    /// shader-cache lookup, or LLVM).
    fn build(
        gpu: &Gpu,
        path: &'static str,
        entry: &str,
        constants: &[(&str, f64)],
        swaps: &[(&str, &str)],
    ) -> Result<Kernel> {
        let key = KernelKey {
            path,
            entry: entry.to_string(),
            constants: constants
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_bits()))
                .collect(),
            swaps: swaps
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        };
        // Held while the kernel is composed and its build started (milliseconds; the build
        // itself runs on its own thread), so that the runs of a parallel sweep asking for
        // the same kernel at once start one build, not one each.
        let mut cached = gpu.kernels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = cached.get(&key) {
            return Ok(k.clone());
        }
        let kernel = Self::compile(gpu, path, entry, constants, swaps)?;
        cached.insert(key, kernel.clone());
        Ok(kernel)
    }

    fn compile(
        gpu: &Gpu,
        path: &'static str,
        entry: &str,
        constants: &[(&str, f64)],
        swaps: &[(&str, &str)],
    ) -> Result<Kernel> {
        let source = shaders::compose_with(path, swaps)?;
        // Reflected here, so that naga's errors in a shader come back as this call's (an
        // error wgpu finds in the pipeline panics where a dispatch first needs it).
        let (slots, module) = reflect(path, &source, entry)?;
        let layout = bind_group_layout(gpu, path, &slots);
        let pipeline_layout = gpu
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(path),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let device = gpu.device.clone();
        let entry = entry.to_string();
        let constants: Vec<(String, f64)> =
            constants.iter().map(|(n, v)| (n.to_string(), *v)).collect();
        let pipeline = gpu.builders.start(move || {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(path),
                source: wgpu::ShaderSource::Naga(std::borrow::Cow::Owned(module)),
            });
            let constants: Vec<(&str, f64)> =
                constants.iter().map(|(n, v)| (n.as_str(), *v)).collect();
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(path),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(&entry),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants: &constants,
                    ..Default::default()
                },
                cache: None,
            });
            if super::profile::enabled() {
                // A few dozen kernels per run, named once.
                let name: &'static str = Box::leak(format!("{path} {entry}").into_boxed_str());
                super::profile::name_kernel(&pipeline, name);
            }
            pipeline
        });
        Ok(Kernel {
            pipeline: Arc::new(pipeline),
            layout,
            name: path,
            slots,
        })
    }

    /// The compute pipeline: the first call waits for its build, or makes it here if its
    /// thread has not begun it.
    pub fn pipeline(&self) -> &wgpu::ComputePipeline {
        self.pipeline.get()
    }

    /// The group-0 layout: the entry point's variables, each at its binding.
    pub fn layout(&self) -> &wgpu::BindGroupLayout {
        &self.layout
    }

    /// The pipeline-constant value of a WGSL `override` bool.
    pub fn flag(on: bool) -> f64 {
        f64::from(u8::from(on))
    }

    /// common/grid.wgsl's shape constants for a kernel that only ever runs on `domain`'s
    /// chunks, `GRID_NX`, `GRID_NY`, `GRID_NZ` and `GRID_GHOST`: its index arithmetic, edge
    /// tests and tests of the dimension fold, and its loops over the axes unroll. Not for a
    /// stage that several multigrid levels share.
    pub fn shape_of(domain: &super::Domain) -> [(&'static str, f64); 4] {
        let g = &domain.grid;
        [
            ("GRID_NX", f64::from(g.nx)),
            ("GRID_NY", f64::from(g.ny)),
            ("GRID_NZ", f64::from(g.nz)),
            ("GRID_GHOST", f64::from(domain.ghost)),
        ]
    }

    /// Entry point `main` of `shaders/<path>` built for `domain`'s shape (`shape_of`).
    pub fn shaped(gpu: &Gpu, path: &'static str, domain: &super::Domain) -> Result<Kernel> {
        Self::with_constants(gpu, path, "main", &Self::shape_of(domain))
    }

    /// One bind group per chunk of `domain`: binding 0 is the chunk's `GridInfo`, bindings
    /// 1.. are `buffers(chunk)`.
    pub fn bind_chunks<'a>(
        &self,
        gpu: &Gpu,
        domain: &'a super::Domain,
        buffers: impl Fn(usize) -> Vec<&'a wgpu::Buffer>,
    ) -> Vec<wgpu::BindGroup> {
        (0..domain.chunks.len())
            .map(|c| {
                let mut all = vec![&domain.info_buffers[c]];
                all.extend(buffers(c));
                self.bind(gpu, &all)
            })
            .collect()
    }

    /// A bind group for group 0 whose binding `i` is `buffers[i]` (whole buffer).
    pub fn bind(&self, gpu: &Gpu, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(self.name),
            layout: &self.layout,
            entries: &entries,
        })
    }

    /// One bind group per chunk of `domain`, by name: the chunk's `GridInfo` is bound as
    /// `grid` (common/grid.wgsl), `buffers(chunk)` as in [`Kernel::bind_named`].
    pub fn bind_chunks_named<'a, S: AsRef<str>>(
        &self,
        gpu: &Gpu,
        domain: &'a super::Domain,
        buffers: impl Fn(usize) -> Vec<(S, &'a wgpu::Buffer)>,
    ) -> Vec<wgpu::BindGroup> {
        (0..domain.chunks.len())
            .map(|c| {
                let listed = buffers(c);
                let mut all: Vec<(&str, &wgpu::Buffer)> = vec![("grid", &domain.info_buffers[c])];
                all.extend(listed.iter().map(|(n, b)| (n.as_ref(), *b)));
                self.bind_named(gpu, &all)
            })
            .collect()
    }

    /// A bind group for group 0 that puts each buffer (whole) at the binding of the shader
    /// variable with its name. Every variable the entry point uses must be named exactly
    /// once; a name the shader declares in group 0 but this entry point does not use is
    /// skipped (it is not in the derived layout), so related kernels can share one list.
    ///
    /// Panics on an unknown, duplicate or missing name: the lists are fixed in the code, so
    /// that is a programming error, reported with the shader's names.
    pub fn bind_named<S: AsRef<str>>(
        &self,
        gpu: &Gpu,
        buffers: &[(S, &wgpu::Buffer)],
    ) -> wgpu::BindGroup {
        let places = resolve(
            self.name,
            &self.slots,
            buffers.iter().map(|(n, _)| n.as_ref()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let entries: Vec<wgpu::BindGroupEntry> = places
            .iter()
            .zip(buffers)
            .filter_map(|(place, (_, b))| {
                place.map(|binding| wgpu::BindGroupEntry {
                    binding,
                    resource: b.as_entire_binding(),
                })
            })
            .collect();
        gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(self.name),
            layout: &self.layout,
            entries: &entries,
        })
    }
}

/// The group-0 variables of `source` (the composed `path`) and whether `entry` uses them,
/// and the parsed module, which wgpu then builds from instead of parsing the source again.
/// Parsing and validating here also turns a shader error into an error naming the stage,
/// before wgpu sees the module.
fn reflect(path: &str, source: &str, entry: &str) -> Result<(Vec<Slot>, naga::Module)> {
    let module = naga::front::wgsl::parse_str(source)
        .map_err(|e| anyhow!("{path}: {}", e.emit_to_string(source)))?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .map_err(|e| anyhow!("{path}: {}", e.emit_to_string(source)))?;
    let index = module
        .entry_points
        .iter()
        .position(|e| e.name == entry)
        .ok_or_else(|| anyhow!("{path} has no entry point {entry:?}"))?;
    let uses = info.get_entry_point(index);
    let slots = module
        .global_variables
        .iter()
        .filter_map(|(handle, var)| {
            let b = var.binding.as_ref().filter(|b| b.group == 0)?;
            let name = var.name.clone().unwrap_or_default();
            let ty = match var.space {
                naga::AddressSpace::Storage { access } => wgpu::BufferBindingType::Storage {
                    read_only: !access.contains(naga::StorageAccess::STORE),
                },
                naga::AddressSpace::Uniform => wgpu::BufferBindingType::Uniform,
                _ => return Some(Err(anyhow!("{path}: {name} in group 0 is not a buffer"))),
            };
            Some(Ok(Slot {
                name,
                binding: b.binding,
                used: !uses[handle].is_empty(),
                ty,
            }))
        })
        .collect::<Result<Vec<Slot>>>()?;
    Ok((slots, module))
}

/// The group-0 layout of the variables the entry point uses (the one wgpu would derive).
fn bind_group_layout(gpu: &Gpu, path: &str, slots: &[Slot]) -> wgpu::BindGroupLayout {
    let entries: Vec<wgpu::BindGroupLayoutEntry> = slots
        .iter()
        .filter(|s| s.used)
        .map(|s| wgpu::BindGroupLayoutEntry {
            binding: s.binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: s.ty,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        })
        .collect();
    gpu.device
        .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(path),
            entries: &entries,
        })
}

/// The binding of each of `names` in `slots` (None for a variable the entry point does not
/// use), or an error listing every unknown, duplicate and missing name.
fn resolve<'n>(
    kernel: &str,
    slots: &[Slot],
    names: impl Iterator<Item = &'n str>,
) -> Result<Vec<Option<u32>>> {
    let mut places = Vec::new();
    let mut problems = Vec::new();
    let mut named = vec![false; slots.len()];
    for name in names {
        match slots.iter().position(|s| s.name == name) {
            None => problems.push(format!("unknown name {name:?}")),
            Some(i) if named[i] => problems.push(format!("{name:?} bound twice")),
            Some(i) => {
                named[i] = true;
                places.push(slots[i].used.then_some(slots[i].binding));
            }
        }
    }
    for (slot, named) in slots.iter().zip(&named) {
        if slot.used && !named {
            problems.push(format!(
                "no buffer for {:?} (binding {})",
                slot.name, slot.binding
            ));
        }
    }
    if !problems.is_empty() {
        let declared: Vec<String> = slots
            .iter()
            .map(|s| format!("{} = {}", s.binding, s.name))
            .collect();
        bail!(
            "{kernel}: {} (group 0 declares {})",
            problems.join(", "),
            declared.join(", ")
        );
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step_slots() -> Vec<Slot> {
        let path = "dendrite/step.wgsl";
        reflect(path, &shaders::compose(path).unwrap(), "main")
            .unwrap()
            .0
    }

    /// The dendrite step's names, in the order of the positional list the model used before
    /// binding by name (bindings 0..=15).
    const STEP_NAMES: [&str; 16] = [
        "grid",
        "p",
        "eta_in",
        "w_in",
        "phi_in",
        "rho_in",
        "eta_out",
        "rho_out",
        "step_counter",
        "eta_fixed",
        "eta_remainder",
        "rho_fixed",
        "rho_remainder",
        "w_out",
        "c_out",
        "step_counter_out",
    ];

    #[test]
    fn names_resolve_to_their_bindings() {
        let places = resolve("step", &step_slots(), STEP_NAMES.into_iter()).unwrap();
        let expected: Vec<Option<u32>> = (0..16).map(Some).collect();
        assert_eq!(places, expected);
        // Order of the list does not matter, only the names.
        let reversed = resolve("step", &step_slots(), STEP_NAMES.into_iter().rev()).unwrap();
        assert_eq!(reversed, (0..16).rev().map(Some).collect::<Vec<_>>());
    }

    #[test]
    fn a_wrong_name_is_caught() {
        let slots = step_slots();
        let mut names = STEP_NAMES;
        names[2] = "eta"; // not a variable of the shader: eta_in is then missing too
        let e = resolve("step", &slots, names.into_iter())
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown name \"eta\""), "{e}");
        assert!(e.contains("no buffer for \"eta_in\" (binding 2)"), "{e}");
        assert!(
            e.contains("2 = eta_in"),
            "the error lists the shader's names: {e}"
        );

        let mut twice = STEP_NAMES.to_vec();
        twice.push("w_in");
        let e = resolve("step", &slots, twice.into_iter())
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"w_in\" bound twice"), "{e}");

        let e = resolve("step", &slots, STEP_NAMES[..15].iter().copied())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no buffer for \"step_counter_out\""), "{e}");
    }

    #[test]
    fn a_variable_the_entry_point_skips_is_left_out() {
        let source = "
            @group(0) @binding(0) var<storage, read> a: array<f32>;
            @group(0) @binding(1) var<storage, read_write> b: array<f32>;
            @group(0) @binding(2) var<storage, read_write> unused: array<f32>;
            @compute @workgroup_size(1) fn main() { b[0] = a[0]; }";
        let slots = reflect("inline", source, "main").unwrap().0;
        let places = resolve("inline", &slots, ["unused", "b", "a"].into_iter()).unwrap();
        assert_eq!(places, [None, Some(1), Some(0)]);
        // Leaving the unused one out is fine too; leaving a used one out is not.
        assert!(resolve("inline", &slots, ["a", "b"].into_iter()).is_ok());
        assert!(resolve("inline", &slots, ["a", "unused"].into_iter()).is_err());
    }
}
