//! Explicit finite-volume diffusion, dc/dt = ∇·(D∇c): the engine's first passenger and its
//! test vehicle (shaders/diffusion/step.wgsl). Verification: tests/diffusion_verification.rs.

mod params;

pub use params::{Boundary, DiffusionParams, Initial};

use anyhow::Result;
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;

use crate::gpu::{field_stats, Domain, Field, Gpu, Kernel, Recorder, StatsQuery};
use crate::grid::Grid;
use crate::models::contract::{Guard, Metric, Model, Moment, OutputField};

/// Scalar fields on the GPU: the concentration, double-buffered.
pub const GPU_FIELDS: u32 = 2;

/// The diffusion model's registry entry (src/models/mod.rs): the whole of what adding a
/// model takes outside its own folder.
pub const ENTRY: crate::models::ModelEntry = crate::models::ModelEntry {
    name: "diffusion",
    clock: crate::models::contract::ClockKind::Seconds,
    uses_seed: false,
    seed_instead: "",
    parse: |s, grid| Ok(Arc::new(DiffusionParams::read(s, grid)?)),
    plan_every: u64::MAX,
};

impl crate::models::ModelSpec for DiffusionParams {
    fn stable_dt(&self, grid: &Grid) -> f64 {
        DiffusionParams::stable_dt(self, grid)
    }

    fn max_stable_dt(&self, grid: &Grid) -> f64 {
        DiffusionParams::max_stable_dt(self, grid)
    }

    fn gpu_fields(&self) -> u32 {
        GPU_FIELDS
    }

    fn build(&self, gpu: &Gpu, grid: &Grid, _seed: u64) -> Result<Box<dyn Model>> {
        Ok(Box::new(Diffusion::new(gpu, *grid, self.clone())?))
    }
}

/// Output name of the concentration field.
pub const FIELD_NAME: &str = "c_mol_m3";

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct StepParams {
    r: [f32; 4],
    kind_lo: [u32; 4],
    kind_hi: [u32; 4],
    value_lo: [f32; 4],
    value_hi: [f32; 4],
}

pub struct Diffusion {
    pub params: DiffusionParams,
    grid: Grid,
    fields: [Field; 2],
    /// Which of `fields` holds the current state.
    current: usize,
    kernel: Kernel,
    uniform: wgpu::Buffer,
    /// Bind groups per chunk, for reading fields[0] (index 0) or fields[1] (index 1).
    bind_groups: [Vec<wgpu::BindGroup>; 2],
    /// The dt the uniform was last written for.
    uniform_dt: f64,
    initial_total: f64,
    guards: Vec<Guard>,
}

impl Diffusion {
    pub fn new(gpu: &Gpu, grid: Grid, params: DiffusionParams) -> Result<Diffusion> {
        let periodic_chunk = params.boundary[grid.chunk_axis()] == Boundary::Periodic;
        let domain = Domain::new(gpu, grid, periodic_chunk)?;
        let fields = [
            Field::new(gpu, &domain, FIELD_NAME),
            Field::new(gpu, &domain, FIELD_NAME),
        ];
        let kernel = Kernel::shaped(gpu, "diffusion/step.wgsl", &domain)?;
        let uniform = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("diffusion params"),
            size: std::mem::size_of::<StepParams>() as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind = |from: usize| {
            kernel.bind_chunks(gpu, &domain, |c| {
                vec![
                    &uniform,
                    &fields[from].buffers[c],
                    &fields[1 - from].buffers[c],
                ]
            })
        };
        let bind_groups = [bind(0), bind(1)];
        let initial = grid.sample(|p| params.initial_value(&grid, p));
        fields[0].upload(gpu, &initial)?;
        let initial_total = initial.iter().map(|&v| v as f64).sum::<f64>() * grid.cell_volume();
        let guards = value_guard(&params, &grid, &initial).into_iter().collect();
        Ok(Diffusion {
            params,
            grid,
            fields,
            current: 0,
            kernel,
            uniform,
            bind_groups,
            uniform_dt: f64::NAN,
            initial_total,
            guards,
        })
    }

    fn domain(&self) -> &Arc<Domain> {
        &self.fields[0].domain
    }

    fn write_uniform(&mut self, gpu: &Gpu, dt: f64) {
        let p = &self.params;
        let spacing = self.grid.spacing();
        let mut u = StepParams::zeroed();
        for a in 0..3 {
            u.r[a] = (p.diffusivity * dt / (spacing[a] * spacing[a])) as f32;
            u.kind_lo[a] = p.boundary[a].gpu_code();
            u.kind_hi[a] = p.boundary[a].gpu_code();
            // A Neumann face value enters as the face difference q dx / D.
            let scale = if p.boundary[a] == Boundary::Neumann {
                spacing[a] / p.diffusivity
            } else {
                1.0
            };
            u.value_lo[a] = (p.face_values[a][0] * scale) as f32;
            u.value_hi[a] = (p.face_values[a][1] * scale) as f32;
        }
        gpu.queue
            .write_buffer(&self.uniform, 0, bytemuck::bytes_of(&u));
        self.uniform_dt = dt;
    }

    /// The current concentration field.
    pub fn concentration(&self) -> &Field {
        &self.fields[self.current]
    }

    /// Total amount of substance (mol), 2D cells counted with depth dz.
    pub fn total(&self, gpu: &Gpu) -> f64 {
        field_stats(gpu, self.concentration(), StatsQuery::default()).sum * self.grid.cell_volume()
    }
}

/// With no flux injected, monotone steps create no new extrema: the solution stays within the
/// range of the initial and Dirichlet values (up to f32 round-off). Breaking that is divergence.
fn value_guard(p: &DiffusionParams, grid: &Grid, initial: &[f32]) -> Option<Guard> {
    if !p.conserves_bounds(grid.dims()) {
        return None;
    }
    let mut lo = initial.iter().fold(f64::INFINITY, |m, &v| m.min(v as f64));
    let mut hi = initial
        .iter()
        .fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
    for a in 0..grid.dims() as usize {
        if p.boundary[a] == Boundary::Dirichlet {
            for v in p.face_values[a] {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    let tol = 1e-4 * (hi - lo).max(lo.abs()).max(hi.abs()).max(1e-30);
    Some(Guard {
        field: FIELD_NAME.into(),
        lo: (lo - tol) as f32,
        hi: (hi + tol) as f32,
        hint: "",
    })
}

impl Model for Diffusion {
    fn stable_dt(&mut self, _gpu: &Gpu) -> Result<f64> {
        Ok(self.params.stable_dt(&self.grid))
    }

    fn advance(&mut self, gpu: &Gpu, _from: Moment, steps: u64, dt: f64) -> Result<u64> {
        if dt != self.uniform_dt {
            self.write_uniform(gpu, dt);
        }
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        let mut rec = Recorder::new(&mut enc);
        for _ in 0..steps {
            self.domain().dispatch(
                rec.pass(),
                self.kernel.pipeline(),
                &self.bind_groups[self.current],
            );
            self.current = 1 - self.current;
            self.fields[self.current].exchange_halos(&mut rec);
        }
        drop(rec);
        gpu.submit(enc.finish());
        Ok(steps)
    }

    fn state_fields(&self) -> Vec<&Field> {
        vec![self.concentration()]
    }

    fn output_fields(&self) -> Vec<OutputField<'_>> {
        vec![OutputField::scalar(FIELD_NAME, self.concentration())]
    }

    fn guards(&self) -> Vec<Guard> {
        self.guards.clone()
    }

    fn metrics(&mut self, gpu: &Gpu, _now: Moment) -> Result<Vec<Metric>> {
        let s = field_stats(gpu, self.concentration(), StatsQuery::default());
        let total = s.sum * self.grid.cell_volume();
        Ok(vec![
            ("total_mol".into(), total),
            (
                "total_change_rel".into(),
                (total - self.initial_total) / self.initial_total.abs().max(1e-300),
            ),
            ("c_min_mol_m3".into(), s.min),
            ("c_max_mol_m3".into(), s.max),
            ("c_mean_mol_m3".into(), s.mean()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_params_match_wgsl() {
        crate::gpu::wgsl_layout::layout!(
            StepParams,
            "diffusion/step.wgsl",
            "DiffusionParams",
            [r, kind_lo, kind_hi, value_lo, value_hi]
        );
    }
}
