//! Many transfers from several threads on one device, blocking and async, all bit-exact; and 10 000 upload /
//! download cycles keep the pool under its cap.

mod transfer_common;

use rand::{Rng, SeedableRng, rngs::StdRng};
use transfer_common::*;
use wgpu_tensor::{DType, Device, DeviceOptions, TransferPath};

#[test]
fn eight_threads_share_each_device() {
    for (name, device) in devices() {
        std::thread::scope(|s| {
            for t in 0..8u64 {
                s.spawn(move || {
                    let mut rng = StdRng::seed_from_u64(t);
                    for i in 0..200u64 {
                        let dtype = DType::ALL[rng.random_range(0..DType::ALL.len())];
                        let n = rng.random_range(0..5000);
                        let a = random_array(dtype, n, t * 1000 + i);
                        let back = if i % 2 == 0 {
                            device.upload(&a).unwrap().download().unwrap()
                        } else {
                            pollster::block_on(async {
                                device.upload_async(&a).await.unwrap().download_async().await.unwrap()
                            })
                        };
                        assert!(back.as_bytes() == a.as_bytes(), "[{name}] thread {t} transfer {i}: {dtype} x{n}");
                    }
                });
            }
        });
    }
}

#[test]
fn ten_thousand_cycles_stay_under_the_pool_cap() {
    for path in [TransferPath::MappedStorage, TransferPath::Staging] {
        let cap = 2 << 20;
        let options = DeviceOptions {
            transfer_path: path,
            pool_cap_bytes: cap,
            staging_chunk_bytes: 16 << 10,
            ..Default::default()
        };
        let device = Device::with_options(options).unwrap_or_else(|e| panic!("cannot open a device: {e}"));
        let mut rng = StdRng::seed_from_u64(5);
        let arrays: Vec<_> = (0..16).map(|i| random_array(DType::U8, rng.random_range(0..40_000), i)).collect();
        for i in 0..10_000 {
            let a = &arrays[rng.random_range(0..arrays.len())];
            let back = device.upload(a).unwrap().download().unwrap();
            assert!(back.as_bytes() == a.as_bytes(), "{path:?} cycle {i}");
            let stats = device.pool_stats();
            assert!(stats.bytes_held <= cap, "{path:?}: {stats:?}");
        }
        let stats = device.pool_stats();
        assert!(stats.hits > 9 * stats.misses, "{path:?}: pooling barely hit: {stats:?}");
        assert_eq!(stats.allocations, stats.misses);
        eprintln!("{path:?}: {stats:?}");
    }
}

#[test]
fn one_tensor_downloads_from_eight_threads_at_once() {
    for (name, device) in devices() {
        let a = random_array(DType::U32, 100_000, 77);
        let t = device.upload(&a).unwrap();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50 {
                        assert!(t.download().unwrap().as_bytes() == a.as_bytes(), "[{name}]");
                    }
                });
            }
        });
    }
}

#[test]
fn a_small_cap_trims_and_is_never_exceeded() {
    for path in [TransferPath::MappedStorage, TransferPath::Staging] {
        let cap = 64 << 10;
        let options = DeviceOptions { transfer_path: path, pool_cap_bytes: cap, ..Default::default() };
        let device = Device::with_options(options).unwrap_or_else(|e| panic!("cannot open a device: {e}"));
        let mut rng = StdRng::seed_from_u64(6);
        for i in 0..2000 {
            let a = random_array(DType::U16, rng.random_range(0..20_000), i);
            let back = device.upload(&a).unwrap().download().unwrap();
            assert!(back.as_bytes() == a.as_bytes(), "{path:?} cycle {i}");
            assert!(device.pool_stats().bytes_held <= cap, "{path:?}: {:?}", device.pool_stats());
        }
        let stats = device.pool_stats();
        assert!(stats.trims > 0, "{path:?}: {stats:?}");
        device.trim_pool();
        assert_eq!((device.pool_stats().bytes_held, device.pool_stats().buffers_held), (0, 0));
    }
}
