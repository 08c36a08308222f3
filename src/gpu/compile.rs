//! Pipelines built on worker threads while the caller goes on.
//!
//! A model asks for a few dozen kernels as it is constructed and dispatches none of them
//! before all are asked for. Building a pipeline is CPU work in the driver (on lavapipe:
//! SPIR-V to NIR, its passes and a shader-cache lookup or LLVM, several milliseconds each),
//! done one after another on the constructing thread until 2026-12-07: about 0.8 s of the
//! 1.4 s a one-step run of FiPy's trench took on a 2-core machine. Here each build starts on
//! a thread of its own as soon as it is asked for, at most one per core at a time, and
//! [`Pending::get`] waits for it only where the pipeline is first needed. The pipeline is
//! the same whichever thread built it.

use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;

/// What a build yields: the pipeline and its group-0 layout.
pub(super) type Built = (wgpu::ComputePipeline, wgpu::BindGroupLayout);

/// Builds at most as many pipelines at once as the machine has cores (one per device; the
/// builds of one device share it).
pub(super) struct Builders {
    running: Mutex<usize>,
    freed: Condvar,
    most: usize,
}

impl Default for Builders {
    fn default() -> Self {
        let most = std::thread::available_parallelism().map_or(1, |n| n.get());
        Builders {
            running: Mutex::new(0),
            freed: Condvar::new(),
            most,
        }
    }
}

impl Builders {
    /// Runs `build` on a new thread once fewer than `most` builds are running, or here and
    /// now where no thread can be started.
    pub(super) fn start(
        self: &Arc<Self>,
        build: impl FnOnce() -> Built + Send + 'static,
    ) -> Pending {
        let slots = Arc::clone(self);
        // The build is shared with the thread, so that it is still here if the thread never
        // started.
        let shared = Arc::new(Mutex::new(Some(build)));
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("pipeline build".into())
            .spawn(move || {
                let _slot = slots.acquire();
                let build = theirs.lock().unwrap_or_else(|e| e.into_inner()).take();
                build.expect("each build runs once")()
            });
        let pending = Pending {
            built: OnceLock::new(),
            job: Mutex::new(None),
        };
        match thread {
            Ok(job) => *pending.job.lock().unwrap_or_else(|e| e.into_inner()) = Some(job),
            Err(_) => {
                let build = shared.lock().unwrap_or_else(|e| e.into_inner()).take();
                let _ = pending.built.set(build.expect("not taken by a thread")());
            }
        }
        pending
    }

    fn acquire(self: &Arc<Self>) -> Slot {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= self.most {
            running = self.freed.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        Slot(Arc::clone(self))
    }
}

/// One running build's place; freed when the build ends, panicking or not.
struct Slot(Arc<Builders>);

impl Drop for Slot {
    fn drop(&mut self) {
        *self.0.running.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.0.freed.notify_one();
    }
}

/// A pipeline being built, or built.
pub(super) struct Pending {
    built: OnceLock<Built>,
    job: Mutex<Option<JoinHandle<Built>>>,
}

impl Pending {
    /// The pipeline, waiting for its build the first time. A build that panicked (a
    /// pipeline the device rejected) panics here, in the thread that needs it.
    pub(super) fn get(&self) -> &Built {
        self.built.get_or_init(|| {
            let job = self.job.lock().unwrap_or_else(|e| e.into_inner()).take();
            let job = job.expect("a pipeline not built in place has its thread until joined");
            job.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
        })
    }
}
