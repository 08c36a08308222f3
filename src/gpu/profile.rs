//! GPU time per kernel, for finding where a run's time goes: with `MESOLYTE_PROFILE=1` set,
//! every compute pass a [`Recorder`](super::Recorder) opens holds one dispatch (or one
//! kernel's dispatches over its chunks) between two timestamps (`TIMESTAMP_QUERY`), each
//! submission waits for its work and reads them, and `mesolyte` prints a table at exit:
//! per kernel and the line that recorded it, the passes, their total and mean GPU time and
//! their share.
//!
//! The profile changes what it measures: a pass per dispatch costs more on some devices
//! (lavapipe: 34 against 18.5 µs for a tiny dispatch, docs/performance.md), and waiting
//! after every submission leaves the device idle while the host records the next one. So
//! the wall time of a profiled run is not the run's; the table says how its GPU time
//! divides. Only the first thread that records is profiled (a parallel sweep's other runs
//! go untimed), so that no other thread's submission can meet the read-back mapped, and
//! only the first device opened (the CLI opens one).

use std::collections::HashMap;
use std::panic::Location;
use std::sync::{Mutex, OnceLock};

/// The environment variable that turns the profile on.
pub const PROFILE_ENV: &str = "MESOLYTE_PROFILE";

/// Timestamps per submission (two per pass; wgpu allows 4096 in a query set); passes beyond
/// them go untimed.
const CAPACITY: u32 = 4096;

/// Whether `MESOLYTE_PROFILE` is set (read once).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os(PROFILE_ENV).is_some_and(|v| !v.is_empty() && v != "0"))
}

/// Where the passes of one submission are, and what the run has added up so far.
struct Profiler {
    device: wgpu::Device,
    queue: wgpu::Queue,
    queries: wgpu::QuerySet,
    resolved: wgpu::Buffer,
    readable: wgpu::Buffer,
    /// Each timed pass since the last read: its kernel (named when its pipeline was set)
    /// and the line that opened it.
    passes: Vec<(Option<&'static str>, &'static Location<'static>)>,
    /// Passes whose timestamps have been copied into `readable` (a recorder's end).
    copied: usize,
    untimed: u64,
    /// The thread whose passes are timed.
    owner: Option<std::thread::ThreadId>,
    kernels: HashMap<wgpu::ComputePipeline, &'static str>,
    totals: HashMap<(Option<&'static str>, &'static Location<'static>), (u64, f64)>,
}

static PROFILER: Mutex<Option<Profiler>> = Mutex::new(None);

fn with<R>(f: impl FnOnce(&mut Profiler) -> R) -> Option<R> {
    let mut guard = PROFILER.lock().unwrap_or_else(|e| e.into_inner());
    guard.as_mut().map(f)
}

impl Profiler {
    /// Whether this thread's passes are the ones timed: the first thread that opens a pass
    /// (`claim`) becomes the owner; a thread that only submits does not.
    fn mine(&mut self, claim: bool) -> bool {
        let me = std::thread::current().id();
        if claim {
            return *self.owner.get_or_insert(me) == me;
        }
        self.owner == Some(me)
    }
}

/// Sets the profile up on a device that was opened with `TIMESTAMP_QUERY`, or says why not.
/// The first device opened is the one profiled (the CLI opens one): its query set cannot
/// serve another's passes.
pub(super) fn start(device: &wgpu::Device, queue: &wgpu::Queue) {
    if !enabled() || with(|_| ()).is_some() {
        return;
    }
    if !device.features().contains(wgpu::Features::TIMESTAMP_QUERY) {
        eprintln!("{PROFILE_ENV}: this adapter has no timestamp queries; no profile");
        return;
    }
    let bytes = CAPACITY as u64 * 8;
    let buffer = |label, usage| {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes,
            usage,
            mapped_at_creation: false,
        })
    };
    use wgpu::BufferUsages as U;
    *PROFILER.lock().unwrap_or_else(|e| e.into_inner()) = Some(Profiler {
        device: device.clone(),
        queue: queue.clone(),
        queries: device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("profile"),
            ty: wgpu::QueryType::Timestamp,
            count: CAPACITY,
        }),
        resolved: buffer("profile resolved", U::QUERY_RESOLVE | U::COPY_SRC),
        readable: buffer("profile readable", U::MAP_READ | U::COPY_DST),
        passes: Vec::new(),
        copied: 0,
        untimed: 0,
        owner: None,
        kernels: HashMap::new(),
        totals: HashMap::new(),
    });
}

/// Names a kernel's pipeline for the table (Kernel::build).
pub(super) fn name_kernel(pipeline: &wgpu::ComputePipeline, name: &'static str) {
    with(|p| p.kernels.insert(pipeline.clone(), name));
}

/// Names the kernel of the pass opened last (`recorder::set_pipeline`).
pub(super) fn dispatching(pipeline: &wgpu::ComputePipeline) {
    if !enabled() {
        return;
    }
    with(|p| {
        if !p.mine(false) {
            return;
        }
        let name = p.kernels.get(pipeline).copied();
        if let (Some(last), Some(name)) = (p.passes.last_mut(), name) {
            last.0.get_or_insert(name);
        }
    });
}

/// A compute pass opened by `site`, timed while timestamps are left (else untimed).
pub(super) fn begin_pass(
    encoder: &mut wgpu::CommandEncoder,
    site: &'static Location<'static>,
) -> wgpu::ComputePass<'static> {
    let mut guard = PROFILER.lock().unwrap_or_else(|e| e.into_inner());
    let writes = guard.as_mut().and_then(|p| {
        if !p.mine(true) || (p.passes.len() as u32 + 1) * 2 > CAPACITY {
            p.untimed += 1;
            return None;
        }
        let i = p.passes.len() as u32 * 2;
        p.passes.push((None, site));
        Some(wgpu::ComputePassTimestampWrites {
            query_set: &p.queries,
            beginning_of_pass_write_index: Some(i),
            end_of_pass_write_index: Some(i + 1),
        })
    });
    encoder
        .begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: None,
            timestamp_writes: writes,
        })
        .forget_lifetime()
}

/// Copies the timestamps of the passes recorded since the last copy where the next read
/// finds them (a recorder's end, before its encoder is finished).
pub(super) fn end_recording(encoder: &mut wgpu::CommandEncoder) {
    with(|p| {
        if !p.mine(false) {
            return;
        }
        let (from, to) = (p.copied as u32 * 2, p.passes.len() as u32 * 2);
        if to > from {
            // A query resolve's destination offset must be a multiple of 256 bytes, a copy's
            // only of 4: resolve to the start, then copy to where this range belongs (the
            // commands run in order, so one recorder's copy precedes the next one's resolve).
            encoder.resolve_query_set(&p.queries, from..to, &p.resolved, 0);
            let bytes = (to - from) as u64 * 8;
            encoder.copy_buffer_to_buffer(&p.resolved, 0, &p.readable, from as u64 * 8, bytes);
            p.copied = p.passes.len();
        }
    });
}

/// After a submission: waits for it, adds its passes' times to the totals, and clears the
/// timestamps (passes of an encoder that was never submitted then read 0 and are skipped).
pub(super) fn submitted() {
    if !enabled() {
        return;
    }
    with(|p| {
        if !p.mine(false) {
            return;
        }
        if p.copied == 0 {
            p.passes.clear();
            return;
        }
        let bytes = p.copied as u64 * 16;
        let slice = p.readable.slice(0..bytes);
        slice.map_async(wgpu::MapMode::Read, |_| {});
        p.device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("GPU device lost while profiling");
        let seconds_per_tick = p.queue.get_timestamp_period() as f64 * 1e-9;
        {
            let data = slice
                .get_mapped_range()
                .expect("the profile's timestamps were just mapped");
            let ticks: &[u64] = bytemuck::cast_slice(&data);
            for (pass, t) in p.passes.iter().zip(ticks.chunks_exact(2)) {
                if t[0] == 0 && t[1] == 0 {
                    continue;
                }
                let total = p.totals.entry(*pass).or_insert((0, 0.0));
                total.0 += 1;
                total.1 += t[1].saturating_sub(t[0]) as f64 * seconds_per_tick;
            }
        }
        p.readable.unmap();
        p.queue
            .write_buffer(&p.readable, 0, &vec![0u8; bytes as usize]);
        p.passes.clear();
        p.copied = 0;
    });
}

/// The table of GPU time per kernel and recording line, longest first (empty without a
/// profile).
pub fn report() -> String {
    with(|p| {
        let mut rows: Vec<_> = p.totals.iter().collect();
        rows.sort_by(|a, b| b.1 .1.total_cmp(&a.1 .1));
        let total: f64 = rows.iter().map(|r| r.1 .1).sum();
        let mut out = format!(
            "GPU time per kernel ({PROFILE_ENV}; a pass per dispatch and a wait per submission, \
             so the run's wall time is not the unprofiled one's): {total:.3} s in all\n\
             {:>9} {:>6} {:>9} {:>10}  kernel (recorded at)\n",
            "total s", "share", "passes", "mean µs"
        );
        for ((name, site), (count, t)) in rows {
            out += &format!(
                "{t:9.3} {:5.1}% {count:9} {:10.1}  {} ({}:{})\n",
                100.0 * t / total.max(f64::MIN_POSITIVE),
                1e6 * t / *count as f64,
                name.unwrap_or("-"),
                site.file(),
                site.line()
            );
        }
        if p.untimed > 0 {
            out += &format!(
                "{} passes untimed (more than {} in one submission, or another thread's)\n",
                p.untimed,
                CAPACITY / 2
            );
        }
        out
    })
    .unwrap_or_default()
}
