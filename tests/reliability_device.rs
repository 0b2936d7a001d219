//! The device-side failures of the reliability issue, each reproduced: mapped downloads racing kernels, cancelled
//! futures, waiting without spinning, absurd options and views, lost devices, `Send` futures, unsubmitted small
//! uploads, and errors blamed on the wrong caller.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use wgpu_tensor::{Array, DType, Device, DeviceOptions, Error, TransferPath};

fn device(path: TransferPath) -> Device {
    Device::with_options(DeviceOptions { transfer_path: path, ..Default::default() })
        .unwrap_or_else(|e| panic!("no adapter for {path:?}: {e}"))
}

fn paths() -> Vec<TransferPath> {
    let d = Device::new().expect("an adapter");
    if d.transfer_path() == TransferPath::MappedStorage {
        vec![TransferPath::MappedStorage, TransferPath::Staging]
    } else {
        vec![TransferPath::Staging]
    }
}

/// Item 1: a kernel on a tensor while another thread's download maps that tensor's own buffer.
#[test]
fn kernels_and_mapped_downloads_of_one_tensor_do_not_collide() {
    for path in paths() {
        let device = device(path);
        let host = Array::from_vec((0..1 << 16).collect(), [1 << 16]).unwrap();
        let t = device.upload(&host).unwrap();
        std::thread::scope(|s| {
            for k in 0..4 {
                let (t, host) = (t.clone(), &host);
                s.spawn(move || {
                    for _ in 0..40 {
                        if k % 2 == 0 {
                            assert!(t.download().unwrap().as_bytes() == host.as_bytes(), "{path:?}");
                        } else {
                            let f = t.cast(DType::F32).unwrap();
                            assert_eq!(f.narrow(0, 5, 1).unwrap().download().unwrap().to_vec::<f32>().unwrap(), [5.0]);
                        }
                    }
                });
            }
        });
    }
}

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Item 2: a download future dropped while its map is pending leaves nothing mapped or poisoned.
#[test]
fn a_dropped_download_future_leaves_the_buffers_usable() {
    for path in paths() {
        let device = device(path);
        let host = Array::from_vec((0..(1 << 20)).map(|i| i as u32).collect(), [1 << 20]).unwrap();
        let t = device.upload(&host).unwrap();
        for _ in 0..5 {
            let waker = Waker::from(Arc::new(CountingWaker(AtomicUsize::new(0))));
            let mut fut = pin!(t.download_async());
            let _ = fut.as_mut().poll(&mut Context::from_waker(&waker));
            // Dropped here, possibly with its map pending.
        }
        assert!(t.download().unwrap().as_bytes() == host.as_bytes(), "{path:?}");
        assert_eq!(
            t.cast(DType::U8).unwrap().narrow(0, 3, 1).unwrap().download().unwrap().to_vec::<u8>().unwrap(),
            [3]
        );
        drop(t);
        // The recycled buffer serves the next upload of that size, unmapped.
        let u = device.upload(&host).unwrap();
        assert!(u.download().unwrap().as_bytes() == host.as_bytes(), "{path:?}");
    }
}

/// Item 3: a task awaiting a pending download is polled when woken, not in a loop.
#[test]
fn awaiting_a_download_does_not_spin() {
    let device = Device::new().unwrap();
    let n = 1 << 22;
    let t = device.upload(&Array::from_vec(vec![1.5f32; n], [n]).unwrap()).unwrap();
    // Queue enough GPU work that the download has to wait for it.
    let mut work = t.clone();
    for _ in 0..8 {
        work = work.cast(DType::F64).unwrap().cast(DType::F32).unwrap();
    }
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut fut = pin!(work.download_async());
    let mut polls = 0;
    let result = loop {
        polls += 1;
        match fut.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(r) => break r,
            Poll::Pending => {
                // Wait for a wake-up like an executor would, instead of polling again at once.
                let before = counter.0.load(Ordering::SeqCst);
                while counter.0.load(Ordering::SeqCst) == before {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
        }
    };
    assert_eq!(result.unwrap().to_vec::<f32>().unwrap()[n - 1], 1.5);
    assert!(polls < 20, "the download future was polled {polls} times: it wakes itself");
}

/// Item 4: a staging chunk size that would wrap is refused when the device opens.
#[test]
fn absurd_staging_chunks_are_refused() {
    for bytes in [0, u64::MAX, u64::MAX - 2] {
        let options = DeviceOptions { staging_chunk_bytes: bytes, ..Default::default() };
        assert!(matches!(Device::with_options(options), Err(Error::InvalidOption(_))), "{bytes}");
    }
    let tiny = DeviceOptions { staging_chunk_bytes: 5, transfer_path: TransferPath::Staging, ..Default::default() };
    let device = Device::with_options(tiny).unwrap();
    let host = Array::from_vec((0..5000u32).collect(), [5000]).unwrap();
    assert!(device.upload(&host).unwrap().download().unwrap().as_bytes() == host.as_bytes());
}

/// Item 5: a broadcast ndarray view claiming more bytes than a usize holds is an error, not a wrapped size.
#[test]
fn huge_broadcast_views_are_errors() {
    let device = Device::new().unwrap();
    let one = ndarray::arr1(&[7u64]);
    for len in [1usize << 62, (1 << 61) - 1] {
        let view = one.broadcast(len).unwrap();
        match device.upload_ndarray(&view) {
            Err(Error::ShapeOverflow { .. } | Error::TooLarge { .. }) => {}
            other => panic!("{len}: expected ShapeOverflow or TooLarge, got {other:?}"),
        }
    }
}

/// Item 9: after the device is destroyed, transfers say the device was lost.
#[test]
fn a_lost_device_is_reported_as_lost() {
    for path in paths() {
        let device = device(path);
        let t = device.upload(&Array::from_vec(vec![1u32; 4096], [4096]).unwrap()).unwrap();
        device.wgpu_device().destroy();
        match t.download() {
            Err(Error::DeviceLost(_)) => {}
            other => panic!("{path:?}: expected DeviceLost, got {other:?}"),
        }
        assert!(matches!(device.upload(&Array::from(vec![1u8; 10_000])), Err(Error::DeviceLost(_))), "{path:?}");
        assert!(matches!(device.synchronize(), Err(Error::DeviceLost(_))), "{path:?}");
    }
}

/// Item 10: every public future is Send (checked at compile time).
#[test]
fn public_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let device = Device::new().unwrap();
    let host = Array::from(vec![1u8, 2, 3]);
    let up = device.upload_async(&host);
    assert_send(&up);
    let t = pollster::block_on(up).unwrap();
    let down = t.download_async();
    assert_send(&down);
    assert_eq!(pollster::block_on(down).unwrap().to_vec::<u8>().unwrap(), [1, 2, 3]);
    assert_send(&Device::with_options_async(DeviceOptions::default()));
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0) * 4096
}

/// Item 11: small uploads are submitted with their batch; 50 000 upload/drop cycles keep memory flat.
#[test]
fn many_small_uploads_keep_memory_flat() {
    let device = Device::with_options(DeviceOptions { pool_cap_bytes: 1 << 20, ..Default::default() }).unwrap();
    let host = Array::from(vec![3u8; 4000]);
    for _ in 0..2000 {
        drop(device.upload(&host).unwrap());
    }
    device.synchronize().unwrap();
    let before = rss_bytes();
    for _ in 0..50_000 {
        drop(device.upload(&host).unwrap());
    }
    device.synchronize().unwrap();
    let grown = rss_bytes().saturating_sub(before);
    assert!(grown < 64 << 20, "RSS grew by {} MiB over 50 000 small uploads", grown >> 20);
    assert!(device.pool_stats().bytes_held <= 1 << 20);
}

/// Item 12: an invalid raw wgpu call on one thread does not fail clean operations on another.
#[test]
fn raw_wgpu_errors_are_not_blamed_on_other_callers() {
    let device = Device::new().unwrap();
    let host = Array::from(vec![1i64, 2, 3]);
    std::thread::scope(|s| {
        s.spawn(|| {
            // MAP_READ with STORAGE is invalid without MAPPABLE_PRIMARY_BUFFERS-style features on a raw device call;
            // a zero-sized mapped_at_creation buffer of an odd size is invalid everywhere.
            let _bad = device.wgpu_device().create_buffer(&wgpu::BufferDescriptor {
                label: Some("invalid on purpose"),
                size: 3,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::MAP_WRITE,
                mapped_at_creation: true,
            });
        })
        .join()
        .unwrap();
        s.spawn(|| {
            for _ in 0..10 {
                let t = device.upload(&host).unwrap();
                assert_eq!(t.download().unwrap().to_vec::<i64>().unwrap(), [1, 2, 3]);
            }
        });
    });
    assert!(!device.take_uncaptured_errors().is_empty(), "the raw call's error is kept for its caller");
}
