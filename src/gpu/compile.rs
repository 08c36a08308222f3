//! Pipelines built on worker threads while the caller goes on.
//!
//! A model asks for a few dozen kernels as it is constructed and dispatches none of them
//! before all are asked for. Building a pipeline is CPU work in the driver (on lavapipe:
//! SPIR-V to NIR, its passes and a shader-cache lookup or LLVM, tens of milliseconds each),
//! done one after another on the constructing thread until 2026-12-07: most of the 1.15 s a
//! one-step run of FiPy's trench took on a 2-core machine (docs/performance.md). Here each
//! build starts on a thread of its own as soon as it is asked for, at most one per core at a
//! time, and [`Pending::get`] waits for it only where the pipeline is first needed. The
//! pipeline is the same whichever thread built it.

use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;

/// What a kernel's build yields: the pipeline and its group-0 layout.
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
        Self::with_most(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

impl Builders {
    fn with_most(most: usize) -> Self {
        Builders {
            running: Mutex::new(0),
            freed: Condvar::new(),
            most: most.max(1),
        }
    }

    /// Runs `build` on a new thread once fewer than `most` builds are running, or here and
    /// now where no thread can be started.
    pub(super) fn start<T: Send + 'static>(
        self: &Arc<Self>,
        build: impl FnOnce() -> T + Send + 'static,
    ) -> Pending<T> {
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

/// A pipeline (or what else a build yields) being built, or built.
pub(super) struct Pending<T> {
    built: OnceLock<T>,
    job: Mutex<Option<JoinHandle<T>>>,
}

impl<T> Pending<T> {
    /// The pipeline, waiting for its build the first time. A build that panicked (a
    /// pipeline the device rejected) panics here, in the thread that needs it.
    pub(super) fn get(&self) -> &T {
        self.built.get_or_init(|| {
            let job = self.job.lock().unwrap_or_else(|e| e.into_inner()).take();
            let job = job.expect("a pipeline not built in place has its thread until joined");
            job.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn builds_run_at_most_the_set_number_at_once_and_each_gives_its_own_result() {
        let builders = Arc::new(Builders::with_most(2));
        let now = Arc::new(AtomicUsize::new(0));
        let most_seen = Arc::new(AtomicUsize::new(0));
        let pending: Vec<Pending<usize>> = (0..8)
            .map(|i| {
                let (now, most_seen) = (Arc::clone(&now), Arc::clone(&most_seen));
                builders.start(move || {
                    let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most_seen.fetch_max(running, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    now.fetch_sub(1, Ordering::SeqCst);
                    i * i
                })
            })
            .collect();
        let results: Vec<usize> = pending.iter().map(|p| *p.get()).collect();
        assert_eq!(results, (0..8).map(|i| i * i).collect::<Vec<_>>());
        // Asked again, the same value, without building again.
        assert_eq!(*pending[3].get(), 9);
        let seen = most_seen.load(Ordering::SeqCst);
        assert!(
            (1..=2).contains(&seen),
            "{seen} builds ran at once, at most 2 allowed"
        );
    }

    #[test]
    fn a_build_that_panics_panics_where_its_result_is_needed() {
        let builders = Arc::new(Builders::with_most(1));
        let failing: Pending<u32> = builders.start(|| panic!("the device rejected it"));
        let fine = builders.start(|| 7u32);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| *failing.get()));
        let message = caught.expect_err("the build's panic reaches the caller");
        assert_eq!(
            message.downcast_ref::<&str>(),
            Some(&"the device rejected it")
        );
        // The failed build freed its place for the next.
        assert_eq!(*fine.get(), 7);
    }
}
