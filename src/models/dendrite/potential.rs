//! GPU solver for the charge equation ∇·(σ∇φ) = ft2 ∂η/∂t: Jacobi-preconditioned conjugate
//! gradients (shaders/dendrite/potential_*.wgsl). All CG scalars stay on the GPU; the host
//! reads the residual every `CHECK_EVERY` iterations. The Jacobi diagonal absorbs the 10⁶
//! conductivity contrast between metal and electrolyte; face conductances are harmonic means,
//! which is exact for conductors in series.
//!
//! Convergence is judged by the relative residual of the Jacobi-scaled system,
//! ‖D⁻¹r‖ / ‖D⁻¹b‖ (D the diagonal of L): each entry of D⁻¹r is a local potential correction
//! in volts, so electrolyte cells count as much as metal cells. (A plain ‖r‖/‖b‖ is dominated
//! by the metal's 10⁶ conductance and accepts a potential still centivolts off in the
//! electrolyte.)

use anyhow::{bail, Result};
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;

use crate::gpu::{Domain, Field, Gpu, Kernel};

/// Iterations between convergence checks (one read-back of 32 bytes).
const CHECK_EVERY: u32 = 16;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct PotentialParams {
    pub voltage: f32,
    pub sigma_electrode: f32,
    pub sigma_electrolyte: f32,
    pub source_scale: f32,
    pub flags: u32,
    pub _pad: [u32; 3],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, Default)]
struct Scalars {
    rz: f32,
    alpha: f32,
    beta: f32,
    rr: f32,
    bb: f32,
    _pad: [f32; 3],
}

/// Result of one solve.
#[derive(Debug, Clone, Copy, Default)]
pub struct SolveReport {
    pub iterations: u32,
    /// ‖D⁻¹r‖ / ‖D⁻¹b‖ at the end (r = b - Lφ, D the diagonal of L).
    pub residual: f64,
}

struct Kernels {
    setup: Kernel,
    rhs: Kernel,
    apply: Kernel,
    init: Kernel,
    update: Kernel,
    direction: Kernel,
}

/// The single-workgroup CG scalar stages, in the order of `potential_scalars.wgsl`'s entries.
#[derive(Clone, Copy)]
enum Sum {
    Init = 0,
    NormB = 1,
    Alpha = 2,
    Beta = 3,
}
const SUM_ENTRIES: [&str; 4] = ["main", "norm_b", "alpha", "beta"];

pub struct PotentialSolver {
    domain: Arc<Domain>,
    sigma: Field,
    p: Field,
    /// b, diag, r, q: used only through the bind groups, owned here with the solver.
    _workspace: [Field; 4],
    /// η at the previous solve: the source uses (η - η_ref) / Δt.
    pub eta_ref: Field,
    params: wgpu::Buffer,
    scalars: wgpu::Buffer,
    staging: wgpu::Buffer,
    k: Kernels,
    /// Bind groups per chunk; [e] variants read eta buffer e.
    setup_bg: [Vec<wgpu::BindGroup>; 2],
    rhs_bg: [Vec<wgpu::BindGroup>; 2],
    apply_phi_bg: Vec<wgpu::BindGroup>,
    apply_p_bg: Vec<wgpu::BindGroup>,
    init_bg: Vec<wgpu::BindGroup>,
    update_bg: Vec<wgpu::BindGroup>,
    direction_bg: Vec<wgpu::BindGroup>,
    sums: Vec<(Kernel, wgpu::BindGroup)>,
}

impl PotentialSolver {
    /// A solver for `phi` on `domain`, reading η from either buffer of `eta`.
    pub fn new(
        gpu: &Gpu,
        domain: &Arc<Domain>,
        eta: [&Field; 2],
        phi: &Field,
    ) -> Result<PotentialSolver> {
        let f = |name: &str| Field::new(gpu, domain, name);
        let (sigma, b, diag, r, p, q, eta_ref) = (
            f("sigma"),
            f("b"),
            f("diag"),
            f("r"),
            f("p"),
            f("q"),
            f("eta_ref"),
        );
        let buffer = |label: &str, size: u64, usage: wgpu::BufferUsages| {
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        use wgpu::BufferUsages as U;
        let params = buffer("potential params", 32, U::STORAGE | U::COPY_DST);
        let scalars = buffer("cg scalars", 32, U::STORAGE | U::COPY_SRC | U::COPY_DST);
        let staging = buffer("cg read-back", 32, U::MAP_READ | U::COPY_DST);
        let partials = buffer("cg partials", domain.total_groups() as u64 * 8, U::STORAGE);
        let kernel = |path: &'static str| Kernel::new(gpu, path);
        let sums = |entry: &str| Kernel::with_entry(gpu, "dendrite/potential_scalars.wgsl", entry);
        let k = Kernels {
            setup: kernel("dendrite/potential_setup.wgsl")?,
            rhs: kernel("dendrite/potential_rhs.wgsl")?,
            apply: kernel("dendrite/potential_apply.wgsl")?,
            init: kernel("dendrite/potential_init.wgsl")?,
            update: kernel("dendrite/potential_update.wgsl")?,
            direction: kernel("dendrite/potential_direction.wgsl")?,
        };
        let setup_bg = [0, 1].map(|e| {
            k.setup.bind_chunks(gpu, domain, |c| {
                vec![&params, &eta[e].buffers[c], &sigma.buffers[c]]
            })
        });
        let rhs_bg = [0, 1].map(|e| {
            k.rhs.bind_chunks(gpu, domain, |c| {
                vec![
                    &params,
                    &sigma.buffers[c],
                    &eta[e].buffers[c],
                    &eta_ref.buffers[c],
                    &b.buffers[c],
                    &diag.buffers[c],
                    &partials,
                ]
            })
        });
        let apply_phi_bg = k.apply.bind_chunks(gpu, domain, |c| {
            vec![
                &params,
                &sigma.buffers[c],
                &phi.buffers[c],
                &q.buffers[c],
                &partials,
            ]
        });
        let apply_p_bg = k.apply.bind_chunks(gpu, domain, |c| {
            vec![
                &params,
                &sigma.buffers[c],
                &p.buffers[c],
                &q.buffers[c],
                &partials,
            ]
        });
        let init_bg = k.init.bind_chunks(gpu, domain, |c| {
            vec![
                &b.buffers[c],
                &q.buffers[c],
                &diag.buffers[c],
                &r.buffers[c],
                &p.buffers[c],
                &partials,
            ]
        });
        let update_bg = k.update.bind_chunks(gpu, domain, |c| {
            vec![
                &scalars,
                &p.buffers[c],
                &q.buffers[c],
                &diag.buffers[c],
                &phi.buffers[c],
                &r.buffers[c],
                &partials,
            ]
        });
        let direction_bg = k.direction.bind_chunks(gpu, domain, |c| {
            vec![&scalars, &r.buffers[c], &diag.buffers[c], &p.buffers[c]]
        });
        // Auto layouts belong to one pipeline each, so every entry point gets its own group.
        let mut sums_built = Vec::new();
        for entry in SUM_ENTRIES {
            let kernel = sums(entry)?;
            let bg = kernel.bind(gpu, &[&partials, &scalars]);
            sums_built.push((kernel, bg));
        }
        Ok(PotentialSolver {
            domain: domain.clone(),
            sigma,
            p,
            _workspace: [b, diag, r, q],
            eta_ref,
            params,
            scalars,
            staging,
            k,
            setup_bg,
            rhs_bg,
            apply_phi_bg,
            apply_p_bg,
            init_bg,
            update_bg,
            direction_bg,
            sums: sums_built,
        })
    }

    fn read_scalars(&self, gpu: &Gpu) -> Scalars {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(&self.scalars, 0, &self.staging, 0, 32);
        gpu.queue.submit([enc.finish()]);
        let raw = crate::gpu::field::read_mapped(gpu, &self.staging);
        *bytemuck::from_bytes(bytemuck::cast_slice(&raw))
    }

    fn single(&self, pass: &mut wgpu::ComputePass, which: Sum) {
        let (k, bg) = &self.sums[which as usize];
        pass.set_pipeline(&k.pipeline);
        pass.set_bind_group(0, bg, &[]);
        pass.dispatch_workgroups(1, 1, 1);
    }

    /// Solves for `phi` (warm start from its current values) with η from buffer `eta_index`
    /// of the pair given at construction, to relative residual `tolerance`.
    pub fn solve(
        &mut self,
        gpu: &Gpu,
        eta_index: usize,
        phi: &Field,
        params: PotentialParams,
        tolerance: f64,
        max_iterations: u32,
    ) -> Result<SolveReport> {
        gpu.queue
            .write_buffer(&self.params, 0, bytemuck::bytes_of(&params));
        let d = self.domain.clone();
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            d.dispatch(&mut pass, &self.k.setup.pipeline, &self.setup_bg[eta_index]);
        }
        self.sigma.exchange_halos(&mut enc);
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            d.dispatch(&mut pass, &self.k.rhs.pipeline, &self.rhs_bg[eta_index]);
            self.single(&mut pass, Sum::NormB);
            d.dispatch(&mut pass, &self.k.apply.pipeline, &self.apply_phi_bg);
            d.dispatch(&mut pass, &self.k.init.pipeline, &self.init_bg);
            self.single(&mut pass, Sum::Init);
        }
        self.p.exchange_halos(&mut enc);
        gpu.queue.submit([enc.finish()]);
        let mut s = self.read_scalars(gpu);
        let norm_b = (s.bb as f64).sqrt();
        let residual = |s: &Scalars| {
            if norm_b > 0.0 {
                (s.rr.max(0.0) as f64).sqrt() / norm_b
            } else {
                0.0
            }
        };
        let mut iterations = 0u32;
        while residual(&s) > tolerance {
            if iterations >= max_iterations {
                bail!(
                    "potential solver did not reach relative residual {tolerance:e} in {max_iterations} iterations (at {:e}); \
                     raise dendrite.potential_max_iterations or refine the time step",
                    residual(&s)
                );
            }
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            for _ in 0..CHECK_EVERY {
                {
                    let mut pass = enc.begin_compute_pass(&Default::default());
                    d.dispatch(&mut pass, &self.k.apply.pipeline, &self.apply_p_bg);
                    self.single(&mut pass, Sum::Alpha);
                    d.dispatch(&mut pass, &self.k.update.pipeline, &self.update_bg);
                    self.single(&mut pass, Sum::Beta);
                    d.dispatch(&mut pass, &self.k.direction.pipeline, &self.direction_bg);
                }
                self.p.exchange_halos(&mut enc);
            }
            gpu.queue.submit([enc.finish()]);
            iterations += CHECK_EVERY;
            s = self.read_scalars(gpu);
            if !s.rr.is_finite() {
                bail!("potential solver broke down (non-finite residual) after {iterations} iterations");
            }
        }
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        phi.exchange_halos(&mut enc);
        gpu.queue.submit([enc.finish()]);
        Ok(SolveReport {
            iterations,
            residual: residual(&s),
        })
    }

    /// Remembers η (buffer `eta_index` of `eta`) as the reference for the next source term.
    pub fn set_reference(&self, gpu: &Gpu, eta: &Field) {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        for c in 0..self.domain.chunks.len() {
            enc.copy_buffer_to_buffer(
                &eta.buffers[c],
                0,
                &self.eta_ref.buffers[c],
                0,
                self.domain.buffer_cells(c) * 4,
            );
        }
        gpu.queue.submit([enc.finish()]);
    }
}
