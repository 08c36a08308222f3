//! Records GPU work into one command encoder with as few compute passes as it allows.
//!
//! wgpu orders dispatches within a compute pass as it orders passes: before each dispatch it
//! places a barrier for every buffer an earlier dispatch wrote (read-write storage is never
//! an "ordered" use in wgpu-core's tracker). Ending a pass costs on top of that: wgpu-core
//! records each pass into command buffers of its own, with a transition buffer before it.
//! On lavapipe a chain of tiny dependent dispatches took 36 µs per dispatch with one pass
//! each and 18.5 µs in one pass (`cargo bench`, docs/performance.md), and the multigrid
//! V-cycle is such a chain on its coarse levels. So consecutive dispatches share the open
//! pass, and a pass ends only when a buffer copy needs the encoder.

/// The encoder and the compute pass currently open on it, if any.
pub struct Recorder<'e> {
    encoder: &'e mut wgpu::CommandEncoder,
    pass: Option<wgpu::ComputePass<'static>>,
}

impl<'e> Recorder<'e> {
    pub fn new(encoder: &'e mut wgpu::CommandEncoder) -> Recorder<'e> {
        Recorder {
            encoder,
            pass: None,
        }
    }

    /// The open compute pass, begun on first use; under the profile (gpu/profile.rs) a new,
    /// timed one each call, named after the caller's line (`track_caller` on the helpers in
    /// between leads it to the line that chose the kernel).
    #[track_caller]
    pub fn pass(&mut self) -> &mut wgpu::ComputePass<'static> {
        if super::profile::enabled() {
            self.pass = None;
            let site = std::panic::Location::caller();
            let encoder = &mut *self.encoder;
            return self.pass.insert(super::profile::begin_pass(encoder, site));
        }
        // forget_lifetime: the pass no longer borrows the encoder statically; wgpu keeps the
        // encoder locked at run time until the pass is dropped, which `encoder` does first.
        let encoder = &mut *self.encoder;
        self.pass.get_or_insert_with(|| {
            encoder
                .begin_compute_pass(&Default::default())
                .forget_lifetime()
        })
    }

    /// The encoder itself, for copies: ends the open pass first.
    pub fn encoder(&mut self) -> &mut wgpu::CommandEncoder {
        self.pass = None;
        self.encoder
    }
}

impl Drop for Recorder<'_> {
    /// Under the profile, the recorded passes' timestamps go where the read after the
    /// submission finds them.
    fn drop(&mut self) {
        self.pass = None;
        if super::profile::enabled() {
            super::profile::end_recording(self.encoder);
        }
    }
}

/// Sets `pipeline` on `pass`, as every dispatch in `src/` does through here, so that the
/// profile (gpu/profile.rs) can name the pass's kernel.
pub fn set_pipeline(pass: &mut wgpu::ComputePass, pipeline: &wgpu::ComputePipeline) {
    pass.set_pipeline(pipeline);
    super::profile::dispatching(pipeline);
}
