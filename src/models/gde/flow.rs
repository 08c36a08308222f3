//! D3Q19 TRT flow through the pore space (shaders/gde/flow_step.wgsl, flow_fields.wgsl):
//! one solve per axis, driven by a body force, by fixed face pressures or by a fixed inflow
//! speed, to steady state.

use anyhow::Result;
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;

use super::geometry::PORE;
use super::lattice::{includes_for, Lattice, StepKernels, D3Q19, D3Q19_WEIGHTS, F16_STORE_SCALE};
use super::params::{Drive, FlowParams, PopulationStorage};
use super::units::FlowUnits;
use crate::faces::FaceKind;
use crate::gpu::{Along, AxisReduce, Domain, Element, Field, Gpu, Kernel, Recorder};

/// Face kinds in the engine's vocabulary (src/faces.rs): a wall is closed, an open
/// (pressure or concentration) face Dirichlet, a velocity inlet a flux face.
pub const FACE_PERIODIC: u32 = FaceKind::Periodic as u32;
pub const FACE_CLOSED: u32 = FaceKind::Closed as u32;
pub const FACE_DIRICHLET: u32 = FaceKind::Dirichlet as u32;
pub const FACE_FLUX: u32 = FaceKind::Flux as u32;

/// The TRT magic parameter that puts half-way bounce-back walls exactly half-way for any τ.
pub const MAGIC: f64 = 3.0 / 16.0;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuFlowParams {
    force: [f32; 4],
    kinds_lo: [u32; 4],
    kinds_hi: [u32; 4],
    open_lo: [f32; 4],
    open_hi: [f32; 4],
    omega_plus: f32,
    omega_minus: f32,
    single_chunk: u32,
    _pad: u32,
    scale: [f32; 4],
}

pub struct FlowSolver {
    pub params: FlowParams,
    pub units: FlowUnits,
    pub lattice: Lattice,
    pub velocity: [Field; 3],
    pub pressure: Field,
    gpu_params: wgpu::Buffer,
    step: StepKernels,
    fields_kernel: Kernel,
    fields_bg: Vec<wgpu::BindGroup>,
    /// For the velocity drive's pressure gradient (empty otherwise): per flow axis, sums
    /// and counts of the pore cells of each plane along it (labels never change, so the
    /// mask is fixed), so that only plane results are read back.
    pore_planes: Vec<(usize, AxisReduce)>,
    /// Axis of the current solve and its lattice force (or pressure-gradient equivalent).
    pub axis: usize,
    force_lu: f64,
}

impl FlowSolver {
    pub fn new(
        gpu: &Gpu,
        domain: &Arc<Domain>,
        label: &Field,
        params: FlowParams,
    ) -> Result<FlowSolver> {
        let units = FlowUnits::new(
            domain.grid.dx,
            params.kinematic_viscosity_m2_s,
            params.relaxation_time,
            params.density_kg_m3,
        );
        // f16 populations are named h0..h18, their WGSL variables (`f16` is a type name in
        // a shader that enables f16; gde/include/d3q19_f16.wgsl).
        if params.storage == PopulationStorage::F16 && !gpu.summary.shader_f16 {
            anyhow::bail!(
                "gde.flow.storage = \"f16\" needs an adapter with f16 shaders; {} has none; \
                 use \"f32\"",
                gpu.summary.name
            );
        }
        let (prefix, element) = match params.storage {
            PopulationStorage::F32 => ("f", Element::F32),
            PopulationStorage::F16 => ("h", Element::F16),
        };
        let lattice = Lattice::new(gpu, domain, prefix, &D3Q19, label, element)?;
        let velocity =
            ["velocity_x", "velocity_y", "velocity_z"].map(|n| Field::new(gpu, domain, n));
        let pressure = Field::new(gpu, domain, "pressure_Pa");
        let gpu_params = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("flow params"),
            size: std::mem::size_of::<GpuFlowParams>() as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let fields_kernel =
            Kernel::with_includes(gpu, "gde/flow_fields.wgsl", "main", includes_for(element))?;
        // By the names of the WGSL variables (gde/include/flow_params.wgsl, lattice.wgsl,
        // d3q19.wgsl, gde/flow_fields.wgsl): 22 to 25 buffers, most of them f32 fields.
        let base = |c: usize| {
            let mut v = vec![
                ("p".to_string(), &gpu_params),
                ("label".to_string(), &label.buffers[c]),
            ];
            v.extend(lattice.chunk_buffers_named(c));
            v
        };
        let step = StepKernels::new(gpu, domain, "gde/flow_step.wgsl", element, base)?;
        let fields_named = |c: usize| {
            let mut v = base(c);
            for (name, f) in ["ux", "uy", "uz"].into_iter().zip(&velocity) {
                v.push((name.to_string(), &f.buffers[c]));
            }
            v.push(("pressure".to_string(), &pressure.buffers[c]));
            v
        };
        let fields_bg = fields_kernel.bind_chunks_named(gpu, domain, fields_named);
        let mut pore_planes = Vec::new();
        if params.drive == Drive::Velocity {
            for &a in &params.axes {
                let r = AxisReduce::new(gpu, domain, a, Along::Planes)?;
                pore_planes.push((a, r.with_mask(label, PORE as f32)));
            }
        }
        Ok(FlowSolver {
            pore_planes,
            params,
            units,
            lattice,
            velocity,
            pressure,
            gpu_params,
            step,
            fields_kernel,
            fields_bg,
            axis: 0,
            force_lu: 0.0,
        })
    }

    /// Face kinds for a solve along `axis`.
    fn kinds(&self, axis: usize) -> ([u32; 4], [u32; 4]) {
        let mut lo = [FACE_PERIODIC; 4];
        for (a, k) in lo.iter_mut().enumerate().take(3) {
            if a == axis {
                if self.params.drive != Drive::BodyForce {
                    *k = FACE_DIRICHLET;
                }
            } else if self.params.side_walls {
                *k = FACE_CLOSED;
            }
        }
        let hi = lo;
        if self.params.drive == Drive::Velocity {
            // Inflow through the low face, out through the open high face.
            lo[axis] = FACE_FLUX;
        }
        (lo, hi)
    }

    /// Sets up a solve along `axis`; with `reset`, from rest (else the populations are kept,
    /// e.g. restored from a checkpoint).
    pub fn configure(&mut self, gpu: &Gpu, axis: usize, reset: bool) -> Result<()> {
        self.axis = axis;
        let grid = self.lattice.domain().grid;
        let g_lu = self.units.force_lu(self.params.pressure_gradient_pa_m);
        self.force_lu = g_lu;
        let (kinds_lo, kinds_hi) = self.kinds(axis);
        self.lattice
            .configure(gpu, [0, 1, 2].map(|a| kinds_lo[a] == FACE_PERIODIC));
        let mut p = GpuFlowParams::zeroed();
        p.kinds_lo = kinds_lo;
        p.kinds_hi = kinds_hi;
        let mut force = [0.0f64; 3];
        match self.params.drive {
            Drive::BodyForce => force[axis] = g_lu,
            Drive::Pressure => {
                // Lattice pressure drop G·n between the two half-way faces: Δρ = 3 G n.
                let n = grid.counts()[axis] as f64;
                let drho = 3.0 * g_lu * n;
                p.open_lo[axis] = (0.5 * drho) as f32;
                p.open_hi[axis] = (-0.5 * drho) as f32;
            }
            Drive::Velocity => {
                // The inlet face's lattice speed; the outlet at the reference density.
                p.open_lo[axis] =
                    (self.params.inlet_velocity_m_s / self.units.velocity_scale()) as f32;
                p.open_hi[axis] = 0.0;
            }
        }
        p.force = [force[0] as f32, force[1] as f32, force[2] as f32, 0.0];
        p.omega_plus = (1.0 / self.units.tau) as f32;
        p.omega_minus = self.units.omega_minus(MAGIC) as f32;
        p.single_chunk = (self.lattice.domain().chunks.len() == 1) as u32;
        p.scale = [
            self.units.velocity_scale() as f32,
            self.units.pressure_scale() as f32,
            0.0,
            0.0,
        ];
        gpu.queue
            .write_buffer(&self.gpu_params, 0, bytemuck::bytes_of(&p));
        if !reset {
            return Ok(());
        }
        // Rest state with raw momentum −F/2, so that the forced velocity starts at zero (a
        // plain rest state leaves an undamped checkerboard mode with half-way bounce-back).
        let cells = grid.cells() as usize;
        let values: Vec<f32> = (0..19)
            .map(|i| {
                let cf: f64 = (0..3).map(|a| D3Q19[i][a] as f64 * force[a]).sum();
                (-1.5 * D3Q19_WEIGHTS[i] * cf) as f32
            })
            .collect();
        match self.params.storage {
            PopulationStorage::F32 => {
                let all: Vec<Vec<f32>> = values.iter().map(|&v| vec![v; cells]).collect();
                self.lattice.upload(gpu, &all)?;
            }
            PopulationStorage::F16 => {
                let half = |v: f32| half::f16::from_f32(v * F16_STORE_SCALE);
                let all: Vec<Vec<half::f16>> =
                    values.iter().map(|&v| vec![half(v); cells]).collect();
                self.lattice.upload(gpu, &all)?;
            }
        }
        self.update_fields(gpu);
        Ok(())
    }

    /// Encodes `pairs` even/odd step pairs.
    pub fn encode(&self, enc: &mut wgpu::CommandEncoder, pairs: u64) {
        self.lattice.encode_pairs(enc, &self.step, pairs);
    }

    /// Encodes one half of a step pair (`odd` or even) alone: for the benchmark only, which
    /// times the cell-local and the neighbour half apart.
    pub fn encode_half(&self, enc: &mut wgpu::CommandEncoder, odd: bool) {
        let mut rec = Recorder::new(enc);
        if odd {
            self.lattice.encode_odd(&mut rec, &self.step);
        } else {
            self.lattice.encode_even(&mut rec, &self.step);
        }
    }

    /// Recomputes the velocity and pressure fields from the populations.
    pub fn update_fields(&self, gpu: &Gpu) {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        {
            let mut rec = Recorder::new(&mut enc);
            self.lattice.domain().dispatch(
                rec.pass(),
                self.fields_kernel.pipeline(),
                &self.fields_bg,
            );
        }
        gpu.submit(enc.finish());
    }

    /// Permeability (m²) from the superficial mean velocity: k = μ ū / G (Darcy), with G
    /// the imposed pressure gradient, or for the velocity drive the measured one.
    pub fn permeability(&self, gpu: &Gpu, mean_velocity: f64) -> f64 {
        let mu = self.params.density_kg_m3 * self.params.kinematic_viscosity_m2_s;
        let gradient = match self.params.drive {
            Drive::Velocity => self.measured_gradient(gpu),
            _ => self.params.pressure_gradient_pa_m,
        };
        mu * mean_velocity / gradient
    }

    /// Pressure gradient along the solve axis (Pa/m) from two equal blocks of planes in the
    /// middle of the axis, the second and the third quarter: the difference of their mean
    /// pore pressures over the distance between their pore cells' mean positions. That keeps
    /// away from the inlet, where the uniform inflow develops into the pore flow, and from
    /// the outlet; averaging over whole blocks removes the pressure's ripple across pores (in
    /// a periodic medium exactly, when a quarter of the axis is a whole number of periods),
    /// and a linear pressure gives its exact slope. Needs current fields (`update_fields`);
    /// NaN if a block has no pore cell.
    pub fn measured_gradient(&self, gpu: &Gpu) -> f64 {
        let grid = self.lattice.domain().grid;
        let n = grid.counts()[self.axis] as usize;
        let width = n / 2 - n / 4;
        let (_, planes) = self
            .pore_planes
            .iter()
            .find(|(a, _)| *a == self.axis)
            .expect("the velocity drive sets up pore plane sums per flow axis");
        let pore = planes.reduce(gpu, &self.pressure);
        // Per block: pressure sum, position sum, pore cells.
        let mut blocks = [(0.0f64, 0.0f64, 0u64); 2];
        for at in n / 4..n / 4 + 2 * width {
            let b = &mut blocks[(at - n / 4) / width];
            let count = pore.count[at] as u64;
            b.0 += pore.sum[at];
            b.1 += (at as u64 * count) as f64;
            b.2 += count;
        }
        let [a, b] = blocks.map(|(p, z, count)| (p / count as f64, z / count as f64));
        (a.0 - b.0) / ((b.1 - a.1) * grid.spacing()[self.axis])
    }

    /// The lattice force density of the current solve.
    pub fn force_lu(&self) -> f64 {
        self.force_lu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_match_wgsl() {
        crate::gpu::wgsl_layout::layout!(
            GpuFlowParams,
            "gde/flow_step.wgsl",
            "FlowParams",
            [
                force,
                kinds_lo,
                kinds_hi,
                open_lo,
                open_hi,
                omega_plus,
                omega_minus,
                single_chunk,
                _pad,
                scale
            ]
        );
    }
}
