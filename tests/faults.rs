//! Faults (issue 11, "beyond the list"): a device destroyed while other threads upload, download, cast and compute;
//! host and device out-of-memory under an address-space limit (in a child process: this test binary again, with
//! `RLIMIT_AS` set); cancelled upload and download futures at every await point. Each must give a typed error
//! (`DeviceLost`, `HostOutOfMemory`, `OutOfMemory`, `TooLarge`) and leave the device usable (or cleanly lost) with
//! a pool that holds no mapped or leaked buffer — never a panic, hang or abort.

use std::future::Future;
use std::pin::pin;
use std::sync::mpsc;
use std::task::{Context, Waker};
use std::time::Duration;

use wgpu_tensor::{Array, DType, Device, DeviceOptions, Error, PoolStats, TransferPath};

/// Buffers allocated by the pool that are neither idle in it nor released: held by live tensors or leaked.
fn live_buffers(s: &PoolStats) -> i64 {
    s.allocations as i64 - s.trims as i64 - s.buffers_held as i64
}

fn configs() -> Vec<(&'static str, DeviceOptions)> {
    let small_chunks = DeviceOptions { staging_chunk_bytes: 16 << 10, ..Default::default() };
    vec![
        ("default", small_chunks.clone()),
        ("staging", DeviceOptions { transfer_path: TransferPath::Staging, ..small_chunks.clone() }),
        ("native_extensions: false", DeviceOptions { native_extensions: false, ..small_chunks.clone() }),
        ("gl", DeviceOptions { backends: wgpu::Backends::GL, ..small_chunks }),
    ]
}

fn open(name: &str, options: DeviceOptions) -> Device {
    Device::with_options(options).unwrap_or_else(|e| panic!("[{name}] cannot open the device: {e}"))
}

/// Runs `f` on a thread and fails the test if it has not finished after `limit` (a hang guard, not a timing).
fn within<T: Send + 'static>(what: &str, limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(r);
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => v,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{what}: still running after {limit:?} (a hang)"),
    }
}

/// What one worker saw: operations that succeeded (checked) and errors, which must all be `DeviceLost`.
fn worker(name: &str, device: &Device, k: usize) -> (u64, u64) {
    let host = Array::from_vec((0..50_000u32).map(|i| i.wrapping_mul(2_654_435_761)).collect(), [50_000]).unwrap();
    let small = Array::from_vec((0..100i32).collect(), [100]).unwrap();
    let (mut ok, mut lost) = (0, 0);
    for i in 0.. {
        let r: Result<(), Error> = (|| {
            match (k + i) % 5 {
                0 => {
                    let t = device.upload(&host)?;
                    assert!(t.download()?.as_bytes() == host.as_bytes(), "upload/download");
                }
                1 => {
                    let t = device.upload(&small)?;
                    let f = t.cast(DType::F64)?.add(&device.full([100], 0.5f64)?)?;
                    let want: Vec<f64> = (0..100).map(|i| f64::from(i) + 0.5).collect();
                    assert_eq!(f.download()?.to_vec::<f64>()?, want, "cast + add");
                }
                2 => {
                    let t = pollster::block_on(device.upload_async(&host))?;
                    let back = pollster::block_on(t.narrow(0, 7, 1000)?.download_async())?;
                    assert!(back.as_bytes() == &host.as_bytes()[28..4028], "async narrow");
                }
                3 => {
                    let t = device.upload(&host)?.cast_checked(DType::U64)?;
                    assert_eq!(t.narrow(0, 1, 1)?.download()?.to_vec::<u64>()?, [2_654_435_761], "cast_checked");
                }
                _ => {
                    device.zeros(DType::F32, [4096])?.exp()?;
                    device.synchronize()?;
                }
            }
            Ok(())
        })();
        match r {
            Ok(()) => ok += 1,
            Err(Error::DeviceLost(_)) => {
                lost += 1;
                if lost >= 10 {
                    break;
                }
            }
            Err(e) => panic!("[{name}] worker {k}, op {}: expected DeviceLost or success, got {e:?}", (k + i) % 5),
        }
    }
    (ok, lost)
}

/// `wgpu_device().destroy()` while 6 threads upload, download, cast and compute: every later failure is
/// `DeviceLost`, nothing panics or hangs, and the lost device keeps answering `DeviceLost`.
#[test]
fn device_destroyed_mid_flight() {
    for (name, options) in configs() {
        let device = open(name, options);
        let d = device.clone();
        let (ok, lost) = within(&format!("[{name}] destroy mid-flight"), Duration::from_secs(120), move || {
            std::thread::scope(|s| {
                let workers: Vec<_> = (0..6)
                    .map(|k| {
                        s.spawn({
                            let d = &d;
                            move || worker(name, d, k)
                        })
                    })
                    .collect();
                std::thread::sleep(Duration::from_millis(400));
                d.wgpu_device().destroy();
                workers.into_iter().map(|w| w.join().unwrap()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
            })
        });
        println!("[{name}] before the loss {ok} operations succeeded; {lost} DeviceLost errors after");
        assert_eq!(lost, 60, "[{name}]");
        assert!(matches!(device.synchronize(), Err(Error::DeviceLost(_))), "[{name}]");
        assert!(matches!(device.upload(&Array::from(vec![1u8; 10_000])), Err(Error::DeviceLost(_))), "[{name}]");
        assert!(matches!(device.zeros(DType::U8, [10]), Err(Error::DeviceLost(_))), "[{name}]");
        let _ = device.pool_stats();
        device.trim_pool();
    }
}

#[cfg(target_os = "linux")]
fn vm_size() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib =
        status.lines().find_map(|l| l.strip_prefix("VmSize:")).and_then(|v| v.trim().split(' ').next()?.parse().ok());
    kib.unwrap_or(0) * 1024
}

#[cfg(target_os = "linux")]
/// Runs test `name` again in a child process with `env` set; the child's output must contain `marker`.
fn in_child(name: &str, env: &str, marker: &str) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(env, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the child failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains(marker), "the child did not finish:\n{stdout}\n{stderr}");
    println!("{stdout}");
}

/// Limits this (child) process's address space to what it uses now plus `extra` bytes (the soft limit only, so
/// it can be raised again).
#[cfg(target_os = "linux")]
fn limit_address_space(extra: u64) {
    let limit = vm_size().saturating_add(extra);
    let rlimit = libc::rlimit { rlim_cur: limit, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: setrlimit reads the struct; lowering a limit of this (child) process is always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &rlimit) }, 0, "setrlimit failed");
}

/// Host out-of-memory for downloads and uploads of big tensors, in a child process under an address-space limit.
#[cfg(target_os = "linux")]
#[test]
fn host_out_of_memory_under_an_address_space_limit() {
    const CHILD: &str = "WGPU_TENSOR_FAULTS_HOST_OOM";
    if std::env::var_os(CHILD).is_none() {
        return in_child("host_out_of_memory_under_an_address_space_limit", CHILD, "child: host OOM handled");
    }
    const MIB: usize = 1 << 20;
    for (name, options) in configs().into_iter().take(3) {
        let device = open(name, options);
        let big = device.zeros(DType::U8, [512 * MIB]).unwrap();
        let host = Array::zeros(DType::U8, [384 * MIB]).unwrap();
        // Compile what the checks below use while memory is free (llvmpipe's JIT needs address space too).
        let probe = device.upload(&Array::from(vec![1u16; 3000])).unwrap().cast(DType::F32).unwrap();
        assert_eq!(probe.download().unwrap().len(), 3000);
        device.synchronize().unwrap();
        limit_address_space(256 * MIB as u64);
        match big.download() {
            Err(Error::HostOutOfMemory { .. }) => println!("child: [{name}] a 512 MiB download: HostOutOfMemory"),
            other => panic!("[{name}] a 512 MiB download under the limit: {:?}", other.map(|a| a.len())),
        }
        match device.upload(&host) {
            Err(Error::OutOfMemory { .. } | Error::HostOutOfMemory { .. }) => {
                println!("child: [{name}] a 384 MiB upload: out of memory")
            }
            other => panic!("[{name}] a 384 MiB upload under the limit: {:?}", other.map(|t| t.len())),
        }
        // Still usable.
        assert_eq!(probe.download().unwrap().to_vec::<f32>().unwrap(), vec![1.0; 3000], "[{name}]");
        let t = device.upload(&Array::from(vec![7u8; 100_000])).unwrap();
        assert!(t.download().unwrap().as_bytes().iter().all(|&b| b == 7), "[{name}]");
        limit_address_space(u64::MAX);
        drop((big, host, probe, t));
        device.synchronize().unwrap();
        assert_eq!(live_buffers(&device.pool_stats()), 0, "[{name}] {:?}", device.pool_stats());
    }
    println!("child: host OOM handled");
}

/// Device out-of-memory: allocate 128 MiB tensors until the device refuses (`OutOfMemory`, in a child process
/// whose address space is limited, since a software adapter's device memory is host memory), then free them and
/// keep working. Also `TooLarge` past `max_buffer_size`.
#[cfg(target_os = "linux")]
#[test]
fn device_out_of_memory_then_recovery() {
    const CHILD: &str = "WGPU_TENSOR_FAULTS_DEVICE_OOM";
    if std::env::var_os(CHILD).is_none() {
        return in_child("device_out_of_memory_then_recovery", CHILD, "child: device OOM handled");
    }
    for (name, options) in configs().into_iter().take(3) {
        let device = open(name, options);
        let max = device.limits().max_buffer_size;
        match device.zeros(DType::U8, [max as usize + 1]) {
            Err(Error::TooLarge { .. }) => {}
            other => panic!("[{name}] a tensor past max_buffer_size: {other:?}"),
        }
        let probe = device.upload(&Array::from(vec![3i32; 2000])).unwrap().mul(&device.full([2000], 2i32).unwrap());
        let probe = probe.unwrap();
        device.synchronize().unwrap();
        limit_address_space(1536 << 20);
        let mut held = Vec::new();
        let err = loop {
            match device.zeros(DType::U8, [128 << 20]).and_then(|t| device.synchronize().map(|()| t)) {
                Ok(t) => held.push(t),
                Err(e) => break e,
            }
            assert!(held.len() < 64, "[{name}] 8 GiB allocated under a 1.5 GiB limit");
        };
        assert!(matches!(err, Error::OutOfMemory { .. } | Error::HostOutOfMemory { .. }), "[{name}] {err:?}");
        println!("child: [{name}] refused after {} tensors of 128 MiB: {err}", held.len());
        held.clear();
        device.trim_pool();
        let t = device.zeros(DType::U8, [128 << 20]).unwrap();
        assert_eq!(t.narrow(0, (128 << 20) - 4, 4).unwrap().download().unwrap().as_bytes(), [0; 4], "[{name}]");
        assert_eq!(probe.download().unwrap().to_vec::<i32>().unwrap(), vec![6; 2000], "[{name}]");
        limit_address_space(u64::MAX);
        drop((t, probe));
        device.synchronize().unwrap();
        assert_eq!(live_buffers(&device.pool_stats()), 0, "[{name}] {:?}", device.pool_stats());
    }
    println!("child: device OOM handled");
}

/// Polls `fut` up to `n` times with a noop waker, pausing between polls so the poller can complete maps (each
/// poll then reaches a later await point). Returns the output if it became ready.
fn poll_n<F: Future>(fut: F, n: usize) -> Option<F::Output> {
    let mut fut = pin!(fut);
    for i in 0..n {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            return Some(v);
        }
    }
    None
}

/// Upload and download futures dropped after 0, 1, 2, … polls, until one completes: after each drop the tensor
/// reads back intact, a fresh upload of the same size is intact (the pool holds no mapped buffer) and no buffer
/// leaked.
#[test]
fn cancelled_futures_at_every_await_point() {
    for (name, options) in configs() {
        let device = open(name, options);
        let host = Array::from_vec((0..65_536u32).map(|i| i ^ 0x5a5a_5a5a).collect(), [65_536]).unwrap();
        let t = device.upload(&host).unwrap();
        let healthy = |what: &str, n: usize| {
            assert!(t.download().unwrap().as_bytes() == host.as_bytes(), "[{name}] {what} after {n} polls");
            let u = device.upload(&host).unwrap();
            assert!(u.download().unwrap().as_bytes() == host.as_bytes(), "[{name}] {what}: re-upload after {n}");
            drop(u);
            device.synchronize().unwrap();
            let stats = device.pool_stats();
            assert_eq!(live_buffers(&stats), 1, "[{name}] {what} after {n} polls: {stats:?}");
        };
        let mut reached = [0; 3];
        for n in 0..10_000 {
            let done = poll_n(t.download_async(), n);
            if let Some(r) = &done {
                assert!(r.as_ref().unwrap().as_bytes() == host.as_bytes(), "[{name}]");
            }
            healthy("download_async", n);
            if done.is_some() {
                reached[0] = n;
                break;
            }
        }
        for n in 0..10_000 {
            let done = poll_n(t.narrow(0, 1, 40_000).unwrap().download_async(), n).is_some();
            healthy("download_async of a view", n);
            if done {
                reached[1] = n;
                break;
            }
        }
        for n in 0..10_000 {
            let done = poll_n(device.upload_async(&host), n);
            if let Some(r) = done {
                assert!(r.unwrap().download().unwrap().as_bytes() == host.as_bytes(), "[{name}]");
                reached[2] = n;
                break;
            }
            healthy("upload_async", n);
        }
        println!(
            "[{name}] polls to complete: download {}, view download {}, upload {}",
            reached[0], reached[1], reached[2]
        );
    }
}
