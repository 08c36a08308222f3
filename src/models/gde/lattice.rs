//! Population storage shared by the D3Q19 flow and D3Q7 species solvers: one field per
//! direction (structure of arrays) updated in place with the AA pattern, plus the host side
//! of chunk boundaries.
//!
//! Layout, chosen once: `Q` scalar fields, each split into z-plane chunks like every field
//! (src/gpu/domain.rs). A cell's populations are 4·Q bytes and are never stored twice, so
//! D3Q19 takes 76 bytes per cell instead of the 152 of a two-array (A-B) scheme. Even steps
//! are purely local; odd steps read from and write to neighbours. With several chunks an odd
//! step first refreshes the ghost planes of the directions that move along z, and afterwards
//! hands what was written into a ghost plane back to the chunk that owns it
//! (shaders/gde/lattice_merge.wgsl). With one chunk a periodic z wraps inside the buffer and
//! needs neither.

use anyhow::Result;
use bytemuck::{Pod, Zeroable};
use std::sync::Arc;
use wgpu::util::DeviceExt;

use crate::gpu::{Domain, Element, Field, FieldValue, Gpu, Kernel, Recorder, WORKGROUP};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct MergeParams {
    d: [i32; 4],
    target_plane: u32,
    source_plane: u32,
    periodic_x: u32,
    periodic_y: u32,
}

pub struct Lattice {
    pub pops: Vec<Field>,
    /// Directions whose population moves along z (ghost planes matter only for these).
    z_moving: Vec<usize>,
    /// Per merge: bind group, its parameter buffer and parameters, and whether it crosses
    /// the periodic wrap from the last chunk to the first.
    merges: Vec<(wgpu::BindGroup, wgpu::Buffer, MergeParams, bool)>,
    merge_kernel: Option<Kernel>,
    merge_groups: u32,
    z_periodic: bool,
}

impl Lattice {
    /// `directions[i]` is the lattice vector of slot i; `label` is the voxel label field (its
    /// ghost planes are filled); `element` is the populations' type (f32 or f16 for the flow,
    /// i32 fixed point for the species). Call `configure` before each solve.
    pub fn new(
        gpu: &Gpu,
        domain: &Arc<Domain>,
        name: &str,
        directions: &[[i32; 3]],
        label: &Field,
        element: Element,
    ) -> Result<Lattice> {
        let pops: Vec<Field> = (0..directions.len())
            .map(|i| Field::typed(gpu, domain, &format!("{name}{i}"), element))
            .collect();
        let z_moving: Vec<usize> = (0..directions.len())
            .filter(|&i| directions[i][2] != 0)
            .collect();
        let n = domain.chunks.len();
        let mut merges = Vec::new();
        let mut merge_kernel = None;
        if n > 1 {
            let kernel = Kernel::with_includes(
                gpu,
                "gde/lattice_merge.wgsl",
                "main",
                includes_for(element),
            )?;
            for lower in 0..n {
                let upper = (lower + 1) % n;
                let lower_planes = domain.chunks[lower].planes;
                for &i in &z_moving {
                    let d = directions[i];
                    // Moving up: the lower chunk wrote into its upper ghost; the real cells
                    // are the upper chunk's first plane. Moving down: the reverse.
                    let (receiver, sender, target_plane, source_plane) = if d[2] > 0 {
                        (upper, lower, 1, lower_planes + 1)
                    } else {
                        (lower, upper, lower_planes, 0)
                    };
                    let params = MergeParams {
                        d: [d[0], d[1], d[2], 0],
                        target_plane,
                        source_plane,
                        periodic_x: 0,
                        periodic_y: 0,
                    };
                    let buf = gpu
                        .device
                        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                            label: Some("lattice merge params"),
                            contents: bytemuck::bytes_of(&params),
                            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                        });
                    let bg = kernel.bind_named(
                        gpu,
                        &[
                            ("grid", &domain.info_buffers[receiver]),
                            ("m", &buf),
                            ("label", &label.buffers[receiver]),
                            ("src_pops", &pops[i].buffers[sender]),
                            ("dst_pops", &pops[i].buffers[receiver]),
                        ],
                    );
                    merges.push((bg, buf, params, lower + 1 == n));
                }
            }
            merge_kernel = Some(kernel);
        }
        let merge_groups = (domain.grid.plane_cells().div_ceil(WORKGROUP as u64) as u32).min(4096);
        Ok(Lattice {
            pops,
            z_moving,
            merges,
            merge_kernel,
            merge_groups,
            z_periodic: false,
        })
    }

    /// Sets which axes wrap around for the next solve (the others end in walls or open
    /// faces, which the step kernels handle without ghost planes).
    pub fn configure(&mut self, gpu: &Gpu, periodic: [bool; 3]) {
        self.z_periodic = periodic[2];
        for (_, buf, params, _) in &mut self.merges {
            params.periodic_x = periodic[0] as u32;
            params.periodic_y = periodic[1] as u32;
            gpu.queue.write_buffer(buf, 0, bytemuck::bytes_of(params));
        }
    }

    pub fn domain(&self) -> &Arc<Domain> {
        &self.pops[0].domain
    }

    /// The even (cell-local) half of a step pair. Public for the benchmark, which times the
    /// halves apart; a simulation always runs them in pairs.
    pub fn encode_even(&self, rec: &mut Recorder, step: &StepKernels) {
        self.domain()
            .dispatch(rec.pass(), step.even.pipeline(), &step.even_bg);
    }

    /// The odd (neighbour gather and scatter) half of a step pair, with its ghost-plane
    /// refresh before and merge after on chunked grids.
    pub fn encode_odd(&self, rec: &mut Recorder, step: &StepKernels) {
        if self.merge_kernel.is_some() {
            for &i in &self.z_moving {
                self.pops[i].exchange_halos(rec);
            }
        }
        self.domain()
            .dispatch(rec.pass(), step.odd.pipeline(), &step.odd_bg);
        if let Some(k) = &self.merge_kernel {
            let pass = rec.pass();
            crate::gpu::set_pipeline(pass, k.pipeline());
            for (bg, _, _, wraps) in &self.merges {
                if *wraps && !self.z_periodic {
                    continue;
                }
                pass.set_bind_group(0, bg, &[]);
                pass.dispatch_workgroups(self.merge_groups, 1, 1);
            }
        }
    }

    /// Encodes `pairs` even/odd step pairs of `step`, sharing compute passes where no copy
    /// between chunks intervenes (gpu/recorder.rs).
    pub fn encode_pairs(&self, enc: &mut wgpu::CommandEncoder, step: &StepKernels, pairs: u64) {
        let mut rec = Recorder::new(enc);
        for _ in 0..pairs {
            self.encode_even(&mut rec, step);
            self.encode_odd(&mut rec, step);
        }
    }

    /// Makes ghost planes current before a kernel that reads neighbours in the normal state.
    pub fn refresh_halos(&self, rec: &mut Recorder) {
        if self.merge_kernel.is_some() {
            for &i in &self.z_moving {
                self.pops[i].exchange_halos(rec);
            }
        }
    }

    /// Sets every population from per-cell values `values[i]` (storage order), of the
    /// populations' element type.
    pub fn upload<T: FieldValue>(&self, gpu: &Gpu, values: &[Vec<T>]) -> Result<()> {
        for (f, v) in self.pops.iter().zip(values) {
            f.upload_as(gpu, v)?;
        }
        Ok(())
    }

    /// Buffers of chunk `c` with the names of their WGSL variables, for
    /// [`Kernel::bind_named`]: each population field is named like its variable (`f0`..`f18`
    /// in gde/include/d3q19.wgsl, `g0`..`g6` in gde/include/d3q7.wgsl).
    pub fn chunk_buffers_named(&self, c: usize) -> Vec<(String, &wgpu::Buffer)> {
        self.pops
            .iter()
            .map(|f| (f.name.clone(), &f.buffers[c]))
            .collect()
    }
}

/// The include swaps that build a lattice kernel for populations of `element`
/// (gpu/shaders.rs): f16 storage swaps its includes, the rest use the kernels as written.
pub fn includes_for(element: Element) -> &'static [(&'static str, &'static str)] {
    if element == Element::F16 {
        crate::gpu::shaders::F16_POPULATIONS
    } else {
        &[]
    }
}

/// The even (`main`) and odd (`odd`) entry points of one step shader, bound per chunk.
pub struct StepKernels {
    even: Kernel,
    odd: Kernel,
    even_bg: Vec<wgpu::BindGroup>,
    odd_bg: Vec<wgpu::BindGroup>,
}

impl StepKernels {
    /// `buffers(chunk)` names the buffers of both entry points by their WGSL variables
    /// (`grid` is added, [`Kernel::bind_chunks_named`]); `element` is the populations' type.
    pub fn new<'a>(
        gpu: &Gpu,
        domain: &'a Domain,
        path: &'static str,
        element: Element,
        buffers: impl Fn(usize) -> Vec<(String, &'a wgpu::Buffer)>,
    ) -> Result<StepKernels> {
        let swaps = includes_for(element);
        let shape = Kernel::shape_of(domain);
        let even = Kernel::with_constants_and_includes(gpu, path, "main", &shape, swaps)?;
        let odd = Kernel::with_constants_and_includes(gpu, path, "odd", &shape, swaps)?;
        let even_bg = even.bind_chunks_named(gpu, domain, &buffers);
        let odd_bg = odd.bind_chunks_named(gpu, domain, &buffers);
        Ok(StepKernels {
            even,
            odd,
            even_bg,
            odd_bg,
        })
    }
}

// The velocity sets and weights, generated with their WGSL tables (gde/include/d3q19.wgsl,
// d3q7.wgsl) from one source, scripts/gen_lattice_kernels.py.
pub use super::lattice_tables::{D3Q19, D3Q19_WEIGHTS, D3Q7, D3Q7_WEIGHTS, F16_STORE_SCALE};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn velocity_sets_pair_opposites_and_are_isotropic() {
        for (dirs, w) in [
            (&D3Q19[..], &D3Q19_WEIGHTS[..]),
            (&D3Q7[..], &D3Q7_WEIGHTS[..]),
        ] {
            for i in (1..dirs.len()).step_by(2) {
                assert_eq!(dirs[i].map(|c| -c), dirs[i + 1]);
            }
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-15);
            // Second moment sum w c_a c_b = c_s² delta_ab.
            for a in 0..3 {
                for b in 0..3 {
                    let m: f64 = dirs
                        .iter()
                        .zip(w)
                        .map(|(c, w)| w * (c[a] * c[b]) as f64)
                        .sum();
                    let cs2 = if dirs.len() == 19 { 1.0 / 3.0 } else { 0.25 };
                    assert!((m - if a == b { cs2 } else { 0.0 }).abs() < 1e-15);
                }
            }
        }
    }

    /// The values of WGSL `const name = array<T, n>(...)` in `module`, as f64.
    fn const_array(module: &naga::Module, name: &str) -> Vec<f64> {
        use naga::{Expression, Literal};
        let c = module
            .constants
            .iter()
            .map(|(_, c)| c)
            .find(|c| c.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no const {name}"));
        let Expression::Compose { components, .. } = &module.global_expressions[c.init] else {
            panic!("const {name} is not an array");
        };
        components
            .iter()
            .map(|&h| match module.global_expressions[h] {
                Expression::Literal(Literal::I32(v)) => v as f64,
                Expression::Literal(Literal::F32(v)) => v as f64,
                ref e => panic!("const {name}: {e:?} is not a literal"),
            })
            .collect()
    }

    /// The WGSL tables are generated with the Rust ones; this catches a hand edit of either
    /// (and runs without python3, unlike the generator check in tests/shaders.rs).
    #[test]
    fn wgsl_velocity_sets_equal_the_rust_ones() {
        for (path, dirs, weights) in [
            ("gde/include/d3q19.wgsl", &D3Q19[..], &D3Q19_WEIGHTS[..]),
            ("gde/include/d3q7.wgsl", &D3Q7[..], &D3Q7_WEIGHTS[..]),
        ] {
            let source = crate::gpu::shaders::compose(path).unwrap();
            let module = naga::front::wgsl::parse_str(&source).unwrap();
            for (axis, name) in ["CX", "CY", "CZ"].into_iter().enumerate() {
                let wgsl = const_array(&module, name);
                let rust: Vec<f64> = dirs.iter().map(|d| d[axis] as f64).collect();
                assert_eq!(wgsl, rust, "{path}: {name}");
            }
            // W is f32 in WGSL: equal to the f64 weight rounded once.
            let wgsl = const_array(&module, "W");
            let rust: Vec<f64> = weights.iter().map(|&w| w as f32 as f64).collect();
            assert_eq!(wgsl, rust, "{path}: W");
        }
    }

    #[test]
    fn merge_params_match_wgsl() {
        crate::gpu::wgsl_layout::layout!(
            MergeParams,
            "gde/lattice_merge.wgsl",
            "MergeParams",
            [d, target_plane, source_plane, periodic_x, periodic_y]
        );
    }
}
