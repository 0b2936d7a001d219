//! Upload and download at 4 KiB, 1 MiB, 64 MiB and 256 MiB on the device's automatic transfer path, beside
//! `queue.write_buffer` into a reused buffer and a host `memcpy` into warm memory.
//!
//! ```text
//! cargo bench --bench transfer
//! ```
//! Every device timing includes waiting for the GPU (`poll(wait_indefinitely)`), so nothing is left in flight.
//! `download` allocates a fresh host array each time (page faults); `download_into` reuses a warm one.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wgpu_tensor::{Array, Device};

const SIZES: [usize; 4] = [4 << 10, 1 << 20, 64 << 20, 256 << 20];

fn wait(device: &Device) {
    device.wgpu_device().poll(wgpu::PollType::wait_indefinitely()).expect("device lost");
}

fn transfers(c: &mut Criterion) {
    let device = Device::new().unwrap_or_else(|e| panic!("{e}"));
    eprintln!("adapter: {}, transfer path: {}", device.info().name, device.transfer_path());
    let mut group = c.benchmark_group("transfer");
    group.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2));
    for size in SIZES {
        let array = Array::from_vec((0..size).map(|i| i as u8).collect::<Vec<u8>>(), [size]).expect("array");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("upload", size), &array, |b, a| {
            b.iter(|| {
                drop(device.upload(a).expect("upload"));
                wait(&device);
            })
        });
        let tensor = device.upload(&array).expect("upload");
        group.bench_with_input(BenchmarkId::new("download", size), &tensor, |b, t| {
            b.iter(|| t.download().expect("download"))
        });
        let mut host = array.clone();
        group.bench_with_input(BenchmarkId::new("download_into", size), &tensor, |b, t| {
            b.iter(|| t.download_into(&mut host).expect("download"))
        });
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let target = device.wgpu_device().create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: size as u64,
            usage,
            mapped_at_creation: false,
        });
        group.bench_with_input(BenchmarkId::new("write_buffer", size), &array, |b, a| {
            b.iter(|| {
                device.wgpu_queue().write_buffer(&target, 0, a.as_bytes());
                device.wgpu_queue().submit([]);
                wait(&device);
            })
        });
        let mut dst = vec![0u8; size];
        group.bench_with_input(BenchmarkId::new("memcpy", size), &array, |b, a| {
            b.iter(|| dst.copy_from_slice(a.as_bytes()))
        });
        drop(tensor);
        device.trim_pool();
    }
    group.finish();
}

criterion_group!(benches, transfers);
criterion_main!(benches);
