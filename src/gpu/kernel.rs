//! A compute pipeline built from one WGSL stage in `shaders/`, with its bind-group layout.

use anyhow::Result;

use super::{shaders, Gpu};

pub struct Kernel {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
    pub name: &'static str,
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
        let source = shaders::compose(path)?;
        let module = gpu
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(path),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let pipeline = gpu
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(path),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants,
                    ..Default::default()
                },
                cache: None,
            });
        let layout = pipeline.get_bind_group_layout(0);
        Ok(Kernel {
            pipeline,
            layout,
            name: path,
        })
    }

    /// The pipeline-constant value of a WGSL `override` bool.
    pub fn flag(on: bool) -> f64 {
        f64::from(u8::from(on))
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
}
