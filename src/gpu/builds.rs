//! Pipelines built on worker threads while the caller goes on.
//!
//! A model asks for a few dozen kernels as it is constructed and dispatches none of them
//! before all are asked for. Building a pipeline is CPU work in the driver (on lavapipe:
//! SPIR-V to NIR, its passes and a shader-cache lookup or LLVM, tens of milliseconds each),
//! done one after another on the constructing thread until 2026-12-07: most of the 1.15 s a
//! one-step run of FiPy's trench took on a 2-core machine (docs/performance.md). Here each
//! build gets a thread of its own as soon as it is asked for, which waits until fewer builds
//! than the machine has cores are running. [`Pending::get`] waits for the build where the
//! pipeline is first needed; if its thread has not begun it by then, the caller builds it
//! itself rather than wait its turn. Where no thread can be started the build is made at
//! once. The pipeline is the same whichever thread built it.

use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;

/// Lets at most `most` builds run at once (one per device; the builds of one device share
/// it).
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

/// A build not yet begun.
type Build<T> = Box<dyn FnOnce() -> T + Send>;

impl Builders {
    fn with_most(most: usize) -> Self {
        Builders {
            running: Mutex::new(0),
            freed: Condvar::new(),
            most: most.max(1),
        }
    }

    /// Starts `build` on a new thread, which begins it once fewer than `most` builds run.
    pub(super) fn start<T: Send + 'static>(
        self: &Arc<Self>,
        build: impl FnOnce() -> T + Send + 'static,
    ) -> Pending<T> {
        let waiting: Arc<Mutex<Option<Build<T>>>> = Arc::new(Mutex::new(Some(Box::new(build))));
        let (slots, theirs) = (Arc::clone(self), Arc::clone(&waiting));
        let thread = std::thread::Builder::new()
            .name("pipeline build".into())
            .spawn(move || {
                let _slot = slots.acquire();
                // None where `Pending::get` took it first.
                let build = lock(&theirs).take();
                build.map(|b| b())
            });
        let pending = Pending {
            built: OnceLock::new(),
            waiting,
            job: Mutex::new(thread.ok()),
        };
        if lock(&pending.job).is_none() {
            pending.get();
        }
        pending
    }

    fn acquire(self: &Arc<Self>) -> Slot {
        let mut running = lock(&self.running);
        while *running >= self.most {
            running = self.freed.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        Slot(Arc::clone(self))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One running build's place; freed when the build ends, panicking or not.
struct Slot(Arc<Builders>);

impl Drop for Slot {
    fn drop(&mut self) {
        *lock(&self.0.running) -= 1;
        self.0.freed.notify_one();
    }
}

/// A pipeline (or what else a build yields) being built, or built.
pub(super) struct Pending<T> {
    built: OnceLock<T>,
    /// The build until its thread, or `get`, takes it.
    waiting: Arc<Mutex<Option<Build<T>>>>,
    /// The thread, until joined (None where none could be started).
    job: Mutex<Option<JoinHandle<Option<T>>>>,
}

impl<T> Pending<T> {
    /// The result, waiting for the build the first time, or making it here if its thread
    /// has not begun it. A build that panicked (a pipeline the device rejected) panics here,
    /// in the thread that needs it; later calls panic too.
    pub(super) fn get(&self) -> &T {
        self.built.get_or_init(|| {
            if let Some(build) = lock(&self.waiting).take() {
                return build();
            }
            let job = lock(&self.job).take();
            let job = job.expect("this build panicked before");
            match job.join() {
                Ok(built) => built.expect("a build that its thread did not run is run by get"),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }
}

impl<T> Drop for Pending<T> {
    /// A build no one needed any more is not begun, and one under way is waited for, so
    /// that no build outlives its device's last kernel.
    fn drop(&mut self) {
        lock(&self.waiting).take();
        if let Some(job) = lock(&self.job).take() {
            let _ = job.join();
        }
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
        // Read from the last: builds still waiting for a place are made here, which may add
        // one to those running.
        let results: Vec<usize> = pending.iter().rev().map(|p| *p.get()).collect();
        assert_eq!(results, (0..8).rev().map(|i| i * i).collect::<Vec<_>>());
        // Asked again, the same value, without building again.
        assert_eq!(*pending[3].get(), 9);
        let seen = most_seen.load(Ordering::SeqCst);
        assert!(
            (1..=3).contains(&seen),
            "{seen} builds ran at once: at most 2 threads and the caller allowed"
        );
    }

    #[test]
    fn a_build_that_panics_panics_where_its_result_is_needed() {
        let builders = Arc::new(Builders::with_most(1));
        let failing: Pending<u32> = builders.start(|| panic!("the device rejected it"));
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| *failing.get()));
        let message = caught.expect_err("the build's panic reaches the caller");
        assert_eq!(
            message.downcast_ref::<&str>(),
            Some(&"the device rejected it")
        );
        let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| *failing.get()));
        assert!(
            again.is_err(),
            "a failed build fails every time it is asked for"
        );
    }

    #[test]
    fn a_place_is_freed_when_its_build_panics() {
        let builders = Arc::new(Builders::with_most(1));
        let theirs = Arc::clone(&builders);
        let thread = std::thread::spawn(move || {
            let _slot = theirs.acquire();
            panic!("the build failed");
        });
        assert!(thread.join().is_err());
        assert_eq!(*lock(&builders.running), 0);
    }
}
