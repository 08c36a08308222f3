//! D3Q7 species transport in the pore space (shaders/gde/species_step.wgsl,
//! species_fields.wgsl): effective-diffusivity solves between two Dirichlet faces, and
//! reactive solves with catalyst walls fed through one face.

use anyhow::Result;
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;

use super::flow::{FACE_CLOSED, FACE_DIRICHLET, FACE_PERIODIC};
use super::geometry::{pore_distance, Voxels};
use super::lattice::{Lattice, StepKernels, D3Q7, D3Q7_WEIGHTS};
use super::params::SpeciesParams;
use super::units::{bosanquet, knudsen_diffusivity, reactive_return, SpeciesUnits};
use crate::gpu::{Along, AxisReduce, Domain, Element, Field, Gpu, Kernel, Recorder};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuSpeciesParams {
    kinds_lo: [u32; 4],
    kinds_hi: [u32; 4],
    open_lo: [f32; 4],
    open_hi: [f32; 4],
    omega_minus: f32,
    reactive_return: f32,
    advect: u32,
    local_omega: u32,
    single_chunk: u32,
    flux_axis: u32,
    magic: f32,
    _pad: u32,
    scale: [f32; 4],
}

/// TRT magic parameter Λ of the species collision. With Λ = ¼ a steady state is the one of
/// BGK at τ = 1 (where Λ = (τ − ½)² = ¼), whatever the lattice D: the relaxation time only
/// sets how fast the steady state is reached (tested in tests/gde_verification.rs).
pub const SPECIES_MAGIC: f64 = 0.25;

/// Scale of the fixed-point species populations (FIXED_SCALE in shaders/gde/include/d3q7.wgsl).
pub const FIXED_SCALE: f64 = (1u64 << 28) as f64;

fn to_fixed(v: f64) -> i32 {
    (v * FIXED_SCALE).round() as i32
}

/// What a species solve computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpeciesTask {
    /// Dirichlet c_in / c_out on the two faces normal to the axis, inert walls.
    Diffusivity,
    /// c_in on the low face, high face closed, catalyst walls with this lattice rate.
    Reaction { rate_lu: f64 },
    /// Every face closed, inert walls, from the linear profile (conservation checks).
    Closed,
}

pub struct SpeciesSolver {
    pub params: SpeciesParams,
    pub units: SpeciesUnits,
    pub lattice: Lattice,
    /// Concentration (mol/m³) and the face flux along the solve axis (lattice units).
    pub concentration: Field,
    pub flux: Field,
    /// Per-cell antisymmetric TRT rate for Knudsen-corrected diffusivity (when enabled).
    omega_cell: Option<Field>,
    gpu_params: wgpu::Buffer,
    step: StepKernels,
    fields_kernel: Kernel,
    fields_bg: Vec<wgpu::BindGroup>,
    pub axis: usize,
    /// Plane sums along `axis` (set up by `configure`), for the plane fluxes.
    plane_sums: Option<AxisReduce>,
    pub task: SpeciesTask,
    /// Scaled concentrations on the faces (c / c_in).
    pub c_lo: f64,
    pub c_hi: f64,
}

impl SpeciesSolver {
    /// `velocity` (m/s fields) is bound for advection; a placeholder when there is no flow.
    /// `local_diffusivity` (m²/s per cell, e.g. from [`knudsen_diffusivity_field`]) replaces
    /// the uniform one; D_eff ratios stay relative to `params.diffusivity_m2_s`.
    pub fn new(
        gpu: &Gpu,
        domain: &Arc<Domain>,
        label: &Field,
        velocity: Option<&[Field; 3]>,
        params: SpeciesParams,
        local_diffusivity: Option<&[f64]>,
    ) -> Result<SpeciesSolver> {
        let units = SpeciesUnits::new(
            domain.grid.dx,
            params.diffusivity_m2_s,
            params.relaxation_time,
        );
        let lattice = Lattice::new(gpu, domain, "g", &D3Q7, label, Element::I32)?;
        let concentration = Field::new(gpu, domain, "c_mol_m3");
        let flux = Field::new(gpu, domain, "face_flux");
        let omega_cell = match local_diffusivity {
            Some(d) => {
                let f = Field::new(gpu, domain, "omega");
                let omega: Vec<f32> = d.iter().map(|&d| units.omega_for(d) as f32).collect();
                f.upload(gpu, &omega)?;
                Some(f)
            }
            None => None,
        };
        let placeholder = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("unused binding"),
            size: 16,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let gpu_params = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("species params"),
            size: std::mem::size_of::<GpuSpeciesParams>() as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let fields_kernel = Kernel::new(gpu, "gde/species_fields.wgsl")?;
        // By the names of the WGSL variables (gde/include/species_params.wgsl, lattice.wgsl,
        // d3q7.wgsl, gde/species_step.wgsl, species_fields.wgsl).
        let base = |c: usize| {
            let mut v = vec![
                ("p".to_string(), &gpu_params),
                ("label".to_string(), &label.buffers[c]),
            ];
            v.extend(lattice.chunk_buffers_named(c));
            v
        };
        let with_extras = |c: usize| {
            let mut v = base(c);
            let u = ["ux", "uy", "uz"].map(|n| n.to_string());
            match velocity {
                Some(f) => v.extend(u.into_iter().zip(f.iter().map(|f| &f.buffers[c]))),
                None => v.extend(u.map(|n| (n, &placeholder))),
            }
            let omega = omega_cell.as_ref().map_or(&placeholder, |f| &f.buffers[c]);
            v.push(("omega_cell".to_string(), omega));
            v
        };
        let step = StepKernels::new(
            gpu,
            domain,
            "gde/species_step.wgsl",
            Element::I32,
            with_extras,
        )?;
        let fields_named = |c: usize| {
            let mut v = base(c);
            v.push(("conc_out".to_string(), &concentration.buffers[c]));
            v.push(("flux_out".to_string(), &flux.buffers[c]));
            v
        };
        let fields_bg = fields_kernel.bind_chunks_named(gpu, domain, fields_named);
        Ok(SpeciesSolver {
            params,
            units,
            lattice,
            concentration,
            flux,
            omega_cell,
            gpu_params,
            step,
            fields_kernel,
            fields_bg,
            axis: 0,
            plane_sums: None,
            task: SpeciesTask::Diffusivity,
            c_lo: 1.0,
            c_hi: 0.0,
        })
    }

    /// Sets up a solve along `axis`; with `reset`, from a linear profile between the faces
    /// (diffusivity) or the inlet value everywhere (reaction), populations at equilibrium.
    pub fn configure(
        &mut self,
        gpu: &Gpu,
        axis: usize,
        task: SpeciesTask,
        velocity_scale_lu: f64,
        reset: bool,
    ) -> Result<()> {
        self.axis = axis;
        if self.plane_sums.as_ref().map(AxisReduce::axis) != Some(axis) {
            let d = self.lattice.domain();
            self.plane_sums = Some(AxisReduce::new(gpu, d, axis, Along::Planes)?);
        }
        self.task = task;
        let grid = self.lattice.domain().grid;
        let p = &self.params;
        let c_ref = p.concentration_in_mol_m3;
        let side = if p.side_walls {
            FACE_CLOSED
        } else {
            FACE_PERIODIC
        };
        let mut kinds_lo = [side, side, side, FACE_PERIODIC];
        let mut kinds_hi = kinds_lo;
        kinds_lo[axis] = FACE_DIRICHLET;
        let mut gp = GpuSpeciesParams::zeroed();
        self.c_lo = 1.0;
        match task {
            SpeciesTask::Diffusivity => {
                kinds_hi[axis] = FACE_DIRICHLET;
                self.c_hi = p.concentration_out_mol_m3 / c_ref;
                gp.reactive_return = 1.0;
            }
            SpeciesTask::Reaction { rate_lu } => {
                kinds_hi[axis] = FACE_CLOSED;
                self.c_hi = 1.0;
                gp.reactive_return = reactive_return(rate_lu) as f32;
            }
            SpeciesTask::Closed => {
                kinds_lo[axis] = FACE_CLOSED;
                kinds_hi[axis] = FACE_CLOSED;
                self.c_hi = 0.0;
                gp.reactive_return = 1.0;
            }
        }
        self.lattice
            .configure(gpu, [0, 1, 2].map(|a| kinds_lo[a] == FACE_PERIODIC));
        gp.kinds_lo = kinds_lo;
        gp.kinds_hi = kinds_hi;
        gp.open_lo[axis] = self.c_lo as f32;
        gp.open_hi[axis] = self.c_hi as f32;
        gp.omega_minus = (1.0 / self.units.tau) as f32;
        gp.magic = SPECIES_MAGIC as f32;
        gp.advect = (p.advection && velocity_scale_lu != 0.0) as u32;
        gp.local_omega = self.omega_cell.is_some() as u32;
        gp.single_chunk = (self.lattice.domain().chunks.len() == 1) as u32;
        gp.flux_axis = axis as u32;
        gp.scale = [velocity_scale_lu as f32, c_ref as f32, 0.0, 0.0];
        gpu.queue
            .write_buffer(&self.gpu_params, 0, bytemuck::bytes_of(&gp));
        if !reset {
            return Ok(());
        }
        let n = grid.counts()[axis] as f64;
        let (lo, hi) = (self.c_lo, self.c_hi);
        let profile: Vec<f64> = (0..grid.cells())
            .map(|i| {
                let s = (grid.coords(i)[axis] as f64 + 0.5) / n;
                lo + (hi - lo) * s
            })
            .collect();
        // Fixed-point populations (shaders/gde/include/d3q7.wgsl), i32 fields.
        let values: Vec<Vec<i32>> = (0..7)
            .map(|i| {
                profile
                    .iter()
                    .map(|c| to_fixed(D3Q7_WEIGHTS[i] * c))
                    .collect()
            })
            .collect();
        self.lattice.upload(gpu, &values)?;
        self.update_fields(gpu);
        Ok(())
    }

    pub fn encode(&self, enc: &mut wgpu::CommandEncoder, pairs: u64) {
        self.lattice.encode_pairs(enc, &self.step, pairs);
    }

    /// Recomputes concentration and face fluxes from the populations.
    pub fn update_fields(&self, gpu: &Gpu) {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        let mut rec = Recorder::new(&mut enc);
        self.lattice.refresh_halos(&mut rec);
        self.lattice
            .domain()
            .dispatch(rec.pass(), self.fields_kernel.pipeline(), &self.fields_bg);
        drop(rec);
        gpu.submit(enc.finish());
    }

    /// Total lattice flux through each plane's low face along the solve axis (index 0 is the
    /// inlet face), after `update_fields`.
    pub fn plane_fluxes(&self, gpu: &Gpu) -> Vec<f64> {
        // Fluxes are integer multiples of FIXED_STEP = 2^-28 below 2^-4 (species_fields.wgsl),
        // so a host f64 sum over a plane of under 2^29 cells rounds nowhere: these exact sums
        // equal the sums of the downloaded field bit for bit, without the download.
        let sums = self
            .plane_sums
            .as_ref()
            .expect("configure sets up the plane sums");
        sums.reduce(gpu, &self.flux).sum
    }

    /// Molecular D_eff / D from the mean plane flux (lattice units): J·L / (A·Δc·D).
    pub fn deff_ratio(&self, mean_plane_flux: f64) -> f64 {
        let grid = self.lattice.domain().grid;
        let counts = grid.counts();
        let n = counts[self.axis] as f64;
        let area = grid.cells() as f64 / n;
        mean_plane_flux * n / (area * (self.c_lo - self.c_hi) * self.units.d_lu())
    }

    /// Inlet flux density in mol/(m² s) from the total lattice flux through the inlet face.
    pub fn inlet_flux_mol_m2_s(&self, inlet_plane_flux: f64) -> f64 {
        let grid = self.lattice.domain().grid;
        let area = grid.cells() as f64 / grid.counts()[self.axis] as f64;
        inlet_plane_flux / area * self.units.flux_scale(self.params.concentration_in_mol_m3)
    }
}

/// Per-cell Bosanquet diffusivity 1/D = 1/D_m + 1/D_K(d) (m²/s), with the local pore
/// diameter d = 2 × (distance to the nearest solid voxel centre − ½ voxel), at least one
/// voxel. Open pore (no solid anywhere) keeps D_m.
pub fn knudsen_diffusivity_field(v: &Voxels, dx: f64, p: &SpeciesParams) -> Vec<f64> {
    pore_distance(v)
        .iter()
        .map(|&d| {
            let diameter = (2.0 * (d - 0.5)).max(1.0) * dx;
            let dk = knudsen_diffusivity(diameter, p.temperature_k, p.molar_mass_kg_mol);
            bosanquet(p.diffusivity_m2_s, dk)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_match_wgsl() {
        crate::gpu::wgsl_layout::layout!(
            GpuSpeciesParams,
            "gde/species_step.wgsl",
            "SpeciesParams",
            [
                kinds_lo,
                kinds_hi,
                open_lo,
                open_hi,
                omega_minus,
                reactive_return,
                advect,
                local_omega,
                single_chunk,
                flux_axis,
                magic,
                _pad,
                scale
            ]
        );
    }
}
