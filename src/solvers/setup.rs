//! The elliptic solver's generic operator: ∇·(σ∇x) + s = 0 from a conductivity per cell, a
//! kind per cell (solved, excluded such as a solid voxel, or held at a value) and a boundary
//! condition per domain face (shaders/solvers/operator_setup.wgsl says how each becomes a
//! row of the operator). A model that needs a different operator (the dendrite potential's
//! σ(η)) writes its own set-up kernel instead; both give the solver the same stored form.

use anyhow::{bail, Result};
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;

use super::EllipticSolver;
use crate::gpu::{Domain, Field, Gpu, Kernel, Recorder};

/// Face conditions are the engine's (src/faces.rs); here a Dirichlet value sits half a
/// cell beyond the outer cell centres, a flux is σ ∂x/∂n per unit area (units of σ·x/m), and
/// periodic faces come in pairs on y and z together, only on a domain built periodic (its
/// halos wrap); x never wraps.
pub use crate::faces::FaceCondition;

/// A cell's role in the solve (stored as f32 in `OperatorSetup::kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// x is solved for; the cell's `value` is a volumetric source s.
    Solved = 0,
    /// Not part of the problem (a solid voxel): no face to any cell, x = 0 there.
    Excluded = 1,
    /// x held at the cell's `value` (a Dirichlet value at the cell centre).
    Held = 2,
}

/// `SetupParams` of shaders/solvers/operator_setup.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug)]
pub struct SetupParams {
    pub kind_low: [u32; 4],
    pub kind_high: [u32; 4],
    pub value_low: [f32; 4],
    pub value_high: [f32; 4],
    pub inv_h2: [f32; 4],
    pub inv_h: [f32; 4],
}

/// Boundary conditions of the faces x-, x+, y-, y+, z-, z+ ([axis][side], side 0 low).
pub type Faces = [[FaceCondition; 2]; 3];

/// The fields and kernel of the generic set-up; fill `sigma`, `kind` and `value` (uploads
/// fill the ghost planes), then pass `encode` to `EllipticSolver::solve`.
pub struct OperatorSetup {
    domain: Arc<Domain>,
    /// Conductivity per cell (any unit; x's flux has units of σ·x/m).
    pub sigma: Field,
    /// `CellKind` per cell, as f32.
    pub kind: Field,
    /// The source of a solved cell, or the value of a held one.
    pub value: Field,
    /// Written once; kept with the bind groups that read it.
    _params: wgpu::Buffer,
    kernel: Kernel,
    groups: Vec<wgpu::BindGroup>,
}

impl OperatorSetup {
    /// The set-up of `solver`'s operator on `domain` with boundary conditions `faces`.
    pub fn new(
        gpu: &Gpu,
        domain: &Arc<Domain>,
        solver: &EllipticSolver,
        faces: Faces,
    ) -> Result<OperatorSetup> {
        check_faces(domain, &faces)?;
        let p = setup_params(domain, &faces);
        use wgpu::util::DeviceExt;
        let params = gpu
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("operator set-up params"),
                contents: bytemuck::bytes_of(&p),
                usage: wgpu::BufferUsages::STORAGE,
            });
        let f = |name: &str| Field::new(gpu, domain, name);
        let (sigma, kind, value) = (f("sigma"), f("cell kind"), f("cell value"));
        let kernel = Kernel::new(gpu, "solvers/operator_setup.wgsl")?;
        let op = solver.operator();
        if op.rest.is_some() {
            bail!("the generic set-up writes no diagonal's rest: build the solver with FineOperator::Stored");
        }
        let groups = kernel.bind_chunks(gpu, domain, |c| {
            vec![
                &params,
                &sigma.buffers[c],
                &kind.buffers[c],
                &value.buffers[c],
                &op.gx.buffers[c],
                &op.gy.buffers[c],
                &op.gz.buffers[c],
                &op.diag.buffers[c],
                &op.b.buffers[c],
            ]
        });
        Ok(OperatorSetup {
            domain: domain.clone(),
            sigma,
            kind,
            value,
            _params: params,
            kernel,
            groups,
        })
    }

    /// Uploads the three cell fields (all cells, storage order).
    pub fn upload(&self, gpu: &Gpu, sigma: &[f32], kind: &[CellKind], value: &[f32]) -> Result<()> {
        self.sigma.upload(gpu, sigma)?;
        let kinds: Vec<f32> = kind.iter().map(|&k| k as u32 as f32).collect();
        self.kind.upload(gpu, &kinds)?;
        self.value.upload(gpu, value)
    }

    /// Encodes the operator's set-up (the closure `EllipticSolver::solve` takes).
    pub fn encode(&self, rec: &mut Recorder) {
        self.domain
            .dispatch(rec.pass(), self.kernel.pipeline(), &self.groups);
    }
}

fn setup_params(domain: &Domain, faces: &Faces) -> SetupParams {
    let grid = domain.grid;
    let h = [grid.dx, grid.dy, grid.dz];
    let mut p = SetupParams::zeroed();
    for axis in 0..3 {
        (p.kind_low[axis], p.value_low[axis]) = faces[axis][0].gpu();
        (p.kind_high[axis], p.value_high[axis]) = faces[axis][1].gpu();
        p.inv_h2[axis] = (1.0 / (h[axis] * h[axis])) as f32;
        p.inv_h[axis] = (1.0 / h[axis]) as f32;
    }
    p
}

/// Periodic faces must come in pairs on y and z together, and only where the domain wraps
/// (its halos and the multigrid's coarsening follow the domain's flag); x never wraps.
fn check_faces(domain: &Domain, faces: &Faces) -> Result<()> {
    let periodic = |axis: usize| faces[axis].map(|f| f == FaceCondition::Periodic);
    if periodic(0).contains(&true) {
        bail!("the elliptic solver's x faces cannot be periodic (its operator does not wrap x)");
    }
    let sides: Vec<usize> = if domain.grid.nz > 1 {
        vec![1, 2]
    } else {
        vec![1]
    };
    for &axis in &sides {
        let p = periodic(axis);
        if p[0] != p[1] || p[0] != domain.periodic_chunk_axis {
            bail!(
                "the elliptic solver's {} faces: periodic on both sides exactly when the domain \
                 was built periodic ({}), and on every side axis alike",
                ["x", "y", "z"][axis],
                domain.periodic_chunk_axis
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    #[test]
    fn setup_params_match_wgsl() {
        crate::gpu::wgsl_layout::layout!(
            SetupParams,
            "solvers/operator_setup.wgsl",
            "SetupParams",
            [kind_low, kind_high, value_low, value_high, inv_h2, inv_h]
        );
    }
}
