//! The charge equation ∇·(σ∇φ) = ft2 ∂η/∂t of the dendrite model, as one user of the
//! engine's elliptic solver (src/solvers/). This file holds only what is dendrite's: the
//! operator from η (σ = σ_electrode h(η) + σ_electrolyte (1 - h(η)), harmonic face means,
//! φ = V at the electrode and 0 at the far face, shaders/dendrite/potential_setup.wgsl) and
//! the deposition source (η - η_ref) / Δt, with η_ref the η of the previous solve.

use anyhow::Result;
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;

use crate::gpu::{Domain, Field, Gpu, Kernel, Recorder};
use crate::solvers::{EllipticSolver, Preconditioner, SolveControl, SolveReport};

/// The set-up kernel's parameters (`PotentialParams` of
/// shaders/dendrite/include/potential_params.wgsl).
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

pub struct Potential {
    domain: Arc<Domain>,
    pub solver: EllipticSolver,
    /// η at the previous solve: the source uses (η - η_ref) / Δt.
    pub eta_ref: Field,
    params: wgpu::Buffer,
    setup: Kernel,
    /// Set-up bind groups per chunk; [e] reads η buffer e.
    setup_bg: [Vec<wgpu::BindGroup>; 2],
}

impl Potential {
    /// The potential `phi` on `domain`, with η read from either buffer of `eta`.
    pub fn new(
        gpu: &Gpu,
        domain: &Arc<Domain>,
        eta: [&Field; 2],
        phi: &Field,
        preconditioner: Preconditioner,
    ) -> Result<Potential> {
        // x_prev is named phi_prev, the name checkpoints store.
        let solver = EllipticSolver::new(gpu, domain, phi, preconditioner, "phi")?;
        let eta_ref = Field::new(gpu, domain, "eta_ref");
        let params = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("potential params"),
            size: std::mem::size_of::<PotentialParams>() as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let setup = Kernel::shaped(gpu, "dendrite/potential_setup.wgsl", domain)?;
        let op = solver.operator();
        let setup_bg = [0, 1].map(|e| {
            setup.bind_chunks(gpu, domain, |c| {
                vec![
                    &params,
                    &eta[e].buffers[c],
                    &eta_ref.buffers[c],
                    &op.gx.buffers[c],
                    &op.gy.buffers[c],
                    &op.gz.buffers[c],
                    &op.diag.buffers[c],
                    &op.b.buffers[c],
                ]
            })
        });
        Ok(Potential {
            domain: domain.clone(),
            solver,
            eta_ref,
            params,
            setup,
            setup_bg,
        })
    }

    /// Solves for `phi` with η from buffer `eta_index` of the pair given at construction.
    pub fn solve(
        &mut self,
        gpu: &Gpu,
        eta_index: usize,
        phi: &Field,
        params: PotentialParams,
        control: SolveControl,
    ) -> Result<SolveReport> {
        gpu.queue
            .write_buffer(&self.params, 0, bytemuck::bytes_of(&params));
        let (domain, setup, groups) = (&self.domain, &self.setup, &self.setup_bg[eta_index]);
        let encode = |rec: &mut Recorder| domain.dispatch(rec.pass(), setup.pipeline(), groups);
        self.solver.solve(gpu, phi, control, &encode)
    }

    /// Remembers η (`eta`) as the reference for the next source term.
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
        gpu.submit(enc.finish());
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    #[test]
    fn potential_params_match_wgsl() {
        crate::gpu::wgsl_layout::layout!(
            PotentialParams,
            "dendrite/potential_setup.wgsl",
            "PotentialParams",
            [
                voltage,
                sigma_electrode,
                sigma_electrolyte,
                source_scale,
                flags,
                _pad
            ]
        );
    }
}
