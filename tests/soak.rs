//! Soak (issue 11, "beyond the list"): 16 threads mix every public operation for a bounded time — uploads (sync,
//! async, strided and broadcast ndarray views), downloads (sync, async, cancelled futures), casts (every pair,
//! both policies, `cast_checked`), views + `contiguous`, `cat`/`stack`/`index_select`, elementwise ops, `zeros`/
//! `full`, and clones handed to other threads to check and drop. Every result is checked bit for bit against a host
//! computation (exp, which is ≤ 2 ULP rather than correctly rounded, against the device's own single-threaded
//! result, itself checked within 2 ULP of the host's). A timed phase (which meets and compiles the kernels) is followed by an exact replay of its
//! operations; after each (all tensors dropped, device synchronized) the test checks that RSS grew by less than
//! [`RSS_BOUND`] during the replay, that the pool holds at most its cap, and that no buffer leaked (every buffer the
//! pool allocated is either idle in the pool or was released).
//!
//! One test per device: the default one, `native_extensions: false` (the portable staging path), the staging path
//! with a 256 KiB pool and 4 KiB chunks, and GL (export `XDG_RUNTIME_DIR` first). `WGPU_TENSOR_SOAK_SECS` (default
//! 20) is shared out: 2/5 to the default device, 1/5 to each other; each spends half of its share on the timed
//! phase and about as long again on the replay. The figures are printed (run with `--nocapture`).

#[path = "soak/ops.rs"]
mod ops;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wgpu_tensor::{Device, DeviceOptions, PoolStats, TransferPath};

/// Worker threads of each soak.
const THREADS: usize = 16;
/// The pool cap of the soak devices.
const POOL_CAP: u64 = 64 << 20;
/// The most RSS may grow during the replay phase (which repeats the first phase's operations exactly).
const RSS_BOUND: u64 = 64 << 20;

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0) * 4096
}

/// Buffers allocated by the pool that are neither idle in it nor released: held by live tensors or leaked.
fn live_buffers(s: &PoolStats) -> i64 {
    s.allocations as i64 - s.trims as i64 - s.buffers_held as i64
}

/// The soaks measure process-wide RSS: run them one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// This configuration's share of `WGPU_TENSOR_SOAK_SECS` (default 20 s), `parts` out of 5.
fn duration(parts: u32) -> Duration {
    let total: f64 = std::env::var("WGPU_TENSOR_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(20.0);
    Duration::from_secs_f64(total.max(0.0) * f64::from(parts) / 5.0)
}

/// Runs [`THREADS`] workers (worker `t` seeded with `t`), each until `until` or, when `steps` is given, for exactly
/// `steps[t]` operations (a replay of an earlier phase). Returns each worker's operation count.
fn run_phase(device: &Device, shared: &ops::Shared, until: Instant, steps: Option<&[u64]>) -> Vec<u64> {
    let stop = AtomicBool::new(false);
    let done = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let stop = &stop;
                s.spawn(move || {
                    let mut w = ops::Worker::new(device, (t as u64 + 1) << 32, shared);
                    let mut n = 0u64;
                    let more = |n: u64| match steps {
                        Some(steps) => n < steps[t],
                        None => Instant::now() < until,
                    };
                    while more(n) && !stop.load(Ordering::Relaxed) {
                        if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.step())) {
                            stop.store(true, Ordering::Relaxed);
                            std::panic::resume_unwind(e);
                        }
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    shared.drain_and_check();
    done
}

/// Soaks `options`' device for about `time`: a timed phase (which also compiles every kernel it meets), then a
/// replay of exactly the same operations (same seeds, same counts per thread). RSS and the pool are measured after
/// each; the replay meets no new kernel or size, so what it adds is a leak.
fn soak(name: &str, options: DeviceOptions, time: Duration) {
    let _serial = serial();
    let rss_start = rss_bytes();
    let device = Device::with_options(options).unwrap_or_else(|e| panic!("[{name}] cannot open the device: {e}"));
    let shared = ops::Shared::new(&device);
    let counts = &shared.counts;
    let started = Instant::now();
    let steps = run_phase(&device, &shared, started + time / 2, None);
    device.synchronize().unwrap();
    let (rss_before, pool_before) = (rss_bytes(), device.pool_stats());
    let ops_first = counts.total();
    let first_seconds = started.elapsed().as_secs_f64();
    run_phase(&device, &shared, started, Some(&steps));
    device.synchronize().unwrap();
    let (rss_after, pool_after) = (rss_bytes(), device.pool_stats());
    let seconds = started.elapsed().as_secs_f64();
    let total = counts.total();
    println!(
        "soak [{name}] {} ({:?}): {THREADS} threads, {seconds:.1} s, {total} checked operations ({ops_first} in \
         {first_seconds:.1} s, then the same again); RSS {} MiB before the device, {} MiB after the first phase, {} \
         MiB after the replay; pool after the first phase {pool_before:?}; after the replay {pool_after:?}",
        device.info().name,
        device.transfer_path(),
        rss_start >> 20,
        rss_before >> 20,
        rss_after >> 20,
    );
    println!("soak [{name}] per kind: {}", counts.describe());
    assert!(counts.all_ran(), "[{name}] some operation never ran: {}", counts.describe());
    let grown = rss_after.saturating_sub(rss_before);
    assert!(
        grown < RSS_BOUND,
        "[{name}] RSS grew by {} MiB in the replay (bound {} MiB)",
        grown >> 20,
        RSS_BOUND >> 20
    );
    for (when, stats) in [("after the first phase", pool_before), ("after the replay", pool_after)] {
        assert!(stats.bytes_held <= stats.cap_bytes, "[{name}] pool over its cap {when}: {stats:?}");
        assert_eq!(live_buffers(&stats), 0, "[{name}] buffers leaked {when} (no tensor is alive): {stats:?}");
    }
    // The device is still healthy: more checked operations of every kind on one thread.
    let mut w = ops::Worker::new(&device, 3, &shared);
    for _ in 0..ops::KINDS * 2 {
        w.step();
    }
    shared.drain_and_check();
}

#[test]
fn soak_default_device() {
    soak(
        "default",
        DeviceOptions { pool_cap_bytes: POOL_CAP, staging_chunk_bytes: 64 << 10, ..Default::default() },
        duration(2),
    );
}

#[test]
fn soak_portable_path() {
    soak(
        "native_extensions: false",
        DeviceOptions {
            native_extensions: false,
            pool_cap_bytes: POOL_CAP,
            staging_chunk_bytes: 64 << 10,
            ..Default::default()
        },
        duration(1),
    );
}

/// The staging path on Vulkan with a pool cap of 256 KiB and 4 KiB staging chunks: most buffers are released and
/// reallocated, and every transfer crosses many chunks.
#[test]
fn soak_tiny_pool_and_chunks() {
    soak(
        "staging, 256 KiB pool, 4 KiB chunks",
        DeviceOptions {
            transfer_path: TransferPath::Staging,
            pool_cap_bytes: 256 << 10,
            staging_chunk_bytes: 4 << 10,
            ..Default::default()
        },
        duration(1),
    );
}

#[test]
fn soak_gl() {
    soak(
        "gl",
        DeviceOptions {
            backends: wgpu::Backends::GL,
            pool_cap_bytes: POOL_CAP,
            staging_chunk_bytes: 64 << 10,
            ..Default::default()
        },
        duration(1),
    );
}

/// Found by looping the reliability tests: a download could map a tensor's buffer between the stream's "nothing is
/// mapped" check and its `queue.submit` of a batch that reads that tensor ("still mapped", about 1 run in 10 of
/// 4 threads × 40 rounds). Here 8 threads × 150 rounds download and compute on one shared tensor.
#[test]
fn downloads_and_kernels_of_one_shared_tensor() {
    let _serial = serial();
    let device = Device::new().unwrap();
    let host = wgpu_tensor::Array::from_vec((0..1 << 14).collect::<Vec<i32>>(), [1 << 14]).unwrap();
    let t = device.upload(&host).unwrap();
    std::thread::scope(|s| {
        for k in 0..8 {
            let (t, host) = (&t, &host);
            s.spawn(move || {
                for i in 0..150 {
                    if (k + i) % 2 == 0 {
                        assert!(t.download().unwrap().as_bytes() == host.as_bytes(), "thread {k} round {i}");
                    } else {
                        let f = t.cast(wgpu_tensor::DType::F32).unwrap().narrow(0, 5 + i, 1).unwrap();
                        assert_eq!(
                            f.download().unwrap().to_vec::<f32>().unwrap(),
                            [(5 + i) as f32],
                            "thread {k} round {i}"
                        );
                    }
                }
            });
        }
    });
}
