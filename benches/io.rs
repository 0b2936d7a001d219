//! Files straight to the device: loading a safetensors file (1 GiB by default, warm page cache) beside a memcpy of
//! the same bytes out of a warm mapping, and beside the naive `std::fs::read` + `Array::from_bytes` + `upload`;
//! and `upload_as` bf16 → f32 beside the plain load plus the cast kernel's roof.
//!
//! ```text
//! cargo bench --bench io                   # 1 GiB
//! IO_BENCH_MIB=256 cargo bench --bench io  # smaller
//! ```
//!
//! The machine is noisy, so the ratios come first, from interleaved rounds (each contender once per round, best
//! of the rounds); criterion's own figures follow. Every device timing waits for the GPU. The device's pool holds
//! 4 GiB so every contender runs on warm pooled buffers.
//! The roof kernel (`shaders/bench_roof.wgsl`, trivial work moving 2 bytes in and 4 out per element) is timed in
//! each round at 16M elements, warm, and scaled linearly to the bf16 file's element count.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wgpu_tensor::io::{FileAccess, Safetensors, save_safetensors};
use wgpu_tensor::{Array, DType, Device, DeviceOptions};

const ROUNDS: usize = 5;
const TENSORS: usize = 8;
const ROOF_N: u64 = 16 << 20;
const ROOF: &str = include_str!("../shaders/bench_roof.wgsl");

fn mib() -> usize {
    std::env::var("IO_BENCH_MIB").ok().and_then(|s| s.parse().ok()).unwrap_or(1024)
}

fn wait(device: &Device) {
    device.wgpu_device().poll(wgpu::PollType::wait_indefinitely()).expect("device lost");
}

fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n.div_ceil(8))
        .flat_map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes()
        })
        .take(n)
        .collect()
}

/// Writes `TENSORS` tensors of `dtype` totalling `bytes` through the library's own writer; returns the path.
fn make_file(device: &Device, name: &str, dtype: DType, bytes: usize) -> PathBuf {
    let path = std::env::temp_dir().join(format!("wgpu-tensor-bench-{}-{name}", std::process::id()));
    let per = bytes / TENSORS / dtype.size_in_bytes();
    let tensors: Vec<_> = (0..TENSORS)
        .map(|i| {
            let mut raw = pseudo_random(per * dtype.size_in_bytes(), i as u64 + 1);
            if dtype == DType::BF16 {
                // Finite values: clear the top exponent bit of every element.
                raw.chunks_exact_mut(2).for_each(|e| e[1] &= 0xbf);
            }
            let array = Array::from_bytes(dtype, [per], &raw).expect("array");
            (format!("layer{i}.weight"), device.upload(&array).expect("upload"))
        })
        .collect();
    let named: Vec<_> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    save_safetensors(&path, &named).expect("save");
    drop(tensors);
    device.trim_pool();
    let _ = std::fs::read(&path).expect("warm the page cache");
    path
}

fn load(device: &Device, path: &Path, access: FileAccess) {
    let file = Safetensors::open_with(path, access).expect("open");
    let tensors = file.upload_all(device).expect("load");
    wait(device);
    drop(tensors);
}

fn upload_all(device: &Device, file: &Safetensors) -> Vec<(String, wgpu_tensor::DeviceTensor)> {
    let tensors = file.upload_all(device).expect("load");
    wait(device);
    tensors
}

fn naive(device: &Device, path: &Path) {
    let file = Safetensors::open(path).expect("open"); // only for the names, shapes and offsets
    let bytes = std::fs::read(path).expect("read");
    let data = &bytes[bytes.len() - file.names().iter().map(|n| tensor_bytes(&file, n)).sum::<usize>()..];
    let mut at = 0;
    let mut tensors = Vec::new();
    for name in file.names() {
        let len = tensor_bytes(&file, name);
        let array = Array::from_bytes(file.dtype(name).unwrap(), file.shape(name).unwrap(), &data[at..at + len]);
        tensors.push(device.upload(&array.expect("array")).expect("upload"));
        at += len;
    }
    wait(device);
}

fn tensor_bytes(file: &Safetensors, name: &str) -> usize {
    file.shape(name).unwrap().iter().product::<usize>() * file.dtype(name).unwrap().size_in_bytes()
}

fn upload_as(device: &Device, path: &Path) {
    let file = Safetensors::open(path).expect("open");
    let tensors: Vec<_> =
        file.names().iter().map(|n| file.upload_as(device, n, DType::F32).expect("upload_as")).collect();
    wait(device);
    drop(tensors);
}

/// The roof kernel for bf16 → f32 (2 bytes in, 4 out per element) at 16M elements, warm.
struct Roof {
    pipeline: wgpu::ComputePipeline,
    group: wgpu::BindGroup,
    grid: (u32, u32),
}

impl Roof {
    fn new(device: &Device) -> Roof {
        let d = device.wgpu_device();
        let mut wgsl = ROOF.to_string();
        for (name, value) in [
            ("src_bytes", "2"),
            ("dst_bytes", "4"),
            ("workgroup_size", "256"),
            ("per_unit", "1"),
            ("body", "dst[u] = src[u >> 1u] << ((u & 1u) * 16u);"),
        ] {
            wgsl = wgsl.replace(&format!("{{{{{name}}}}}"), value);
        }
        assert!(!wgsl.contains("{{"), "a placeholder survived");
        let module = d.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("roof"),
            source: wgpu::ShaderSource::Wgsl(wgsl.into()),
        });
        let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("roof"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let buffer = |size, usage| {
            d.create_buffer(&wgpu::BufferDescriptor { label: None, size, usage, mapped_at_creation: false })
        };
        let src = buffer(ROOF_N * 2, wgpu::BufferUsages::STORAGE);
        let dst = buffer(ROOF_N * 4, wgpu::BufferUsages::STORAGE);
        let params = buffer(16, wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST);
        let workgroups = (ROOF_N as u32).div_ceil(256);
        let gy = workgroups.div_ceil(d.limits().max_compute_workgroups_per_dimension);
        let gx = workgroups.div_ceil(gy);
        device.wgpu_queue().write_buffer(&params, 0, bytemuck::cast_slice(&[ROOF_N as u32, gx * 256, 0, 0]));
        let group = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: src.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: dst.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: params.as_entire_binding() },
            ],
        });
        Roof { pipeline, group, grid: (gx, gy) }
    }

    /// Seconds per element: best of 3 dispatches (submit + wait).
    fn seconds_per_element(&self, device: &Device) -> f64 {
        let d = device.wgpu_device();
        (0..3)
            .map(|_| {
                let mut encoder = d.create_command_encoder(&Default::default());
                {
                    let mut pass = encoder.begin_compute_pass(&Default::default());
                    pass.set_pipeline(&self.pipeline);
                    pass.set_bind_group(0, &self.group, &[]);
                    pass.dispatch_workgroups(self.grid.0, self.grid.1, 1);
                }
                let t = Instant::now();
                device.wgpu_queue().submit([encoder.finish()]);
                wait(device);
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
            / ROOF_N as f64
    }
}

fn time(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

fn io(c: &mut Criterion) {
    // A pool big enough for every contender's tensors at once, so no contender pays for fresh device memory
    // (page faults) because the previous one pushed its buffers out of the pool: all are measured warm.
    let options = DeviceOptions { pool_cap_bytes: 4 << 30, ..Default::default() };
    let device = Device::with_options(options).unwrap_or_else(|e| panic!("{e}"));
    let bytes = mib() << 20;
    eprintln!("adapter: {}, transfer path: {}, file: {} MiB", device.info().name, device.transfer_path(), mib());
    let f32_file = make_file(&device, "f32.safetensors", DType::F32, bytes);
    let bf16_file = make_file(&device, "bf16.safetensors", DType::BF16, bytes / 4);
    let file = std::fs::File::open(&f32_file).expect("open");
    // SAFETY: the bench's own temp file, not changed while mapped.
    let map = unsafe { memmap2::Mmap::map(&file) }.expect("map");
    let data = &map[map.len() - bytes..];
    let mut dst = vec![1u8; bytes]; // warm destination
    dst.copy_from_slice(data); // warm the mapping

    let roof_kernel = Roof::new(&device);
    let bf16_elements = (bytes / 4 / 2) as f64;
    let opened = Safetensors::open(&f32_file).expect("open");
    let bf16_opened = Safetensors::open(&bf16_file).expect("open");
    let bf16_tensors = bf16_opened.upload_all(&device).expect("load");
    let mut best = [f64::MAX; 10];
    for _ in 0..ROUNDS {
        let times = [
            time(|| dst.copy_from_slice(std::hint::black_box(data))),
            time(|| {
                // SAFETY: as above.
                let fresh = unsafe { memmap2::Mmap::map(&file) }.expect("map");
                dst.copy_from_slice(std::hint::black_box(&fresh[fresh.len() - bytes..]));
            }),
            time(|| drop(upload_all(&device, &opened))),
            time(|| load(&device, &f32_file, FileAccess::Mapped)),
            time(|| load(&device, &f32_file, FileAccess::Read)),
            time(|| naive(&device, &f32_file)),
            time(|| load(&device, &bf16_file, FileAccess::Mapped)),
            time(|| {
                let cast: Vec<_> = bf16_tensors.iter().map(|(_, t)| t.cast(DType::F32).expect("cast")).collect();
                wait(&device);
                drop(cast);
            }),
            time(|| upload_as(&device, &bf16_file)),
            roof_kernel.seconds_per_element(&device) * bf16_elements,
        ];
        best.iter_mut().zip(times).for_each(|(b, t)| *b = b.min(t));
    }
    let [memcpy_warm, memcpy_fresh, warm, mapped, pread, naive_t, bf16_plain, cast, bf16_as, roof] = best;
    let gbs = |s: f64| bytes as f64 / s / 1e9;
    let row = |what: &str, s: f64| eprintln!("  {what:<44} {:8.1} ms  {:6.2} GB/s", s * 1e3, gbs(s));
    eprintln!(
        "best of {ROUNDS} interleaved rounds ({} MiB f32 in {TENSORS} tensors; bf16 file {} MiB):",
        mib(),
        mib() / 4
    );
    row("memcpy out of the warm mapping", memcpy_warm);
    row("map the file + memcpy out of it", memcpy_fresh);
    row("upload_all, file already open (warm map)", warm);
    row("open + upload_all, mapped", mapped);
    row("open + upload_all, pread", pread);
    row("fs::read + Array::from_bytes + upload", naive_t);
    eprintln!(
        "  bf16: plain load {:.1} ms, cast alone {:.1} ms, roof kernel (scaled) {:.1} ms, upload_as f32 {:.1} ms",
        bf16_plain * 1e3,
        cast * 1e3,
        roof * 1e3,
        bf16_as * 1e3
    );
    eprintln!("ratios of speeds (goal):");
    eprintln!("  open + upload_all, mapped / map + memcpy        {:6.2}  (>= 0.9)", memcpy_fresh / mapped);
    eprintln!("  open + upload_all, pread / map + memcpy         {:6.2}  (>= 0.9)", memcpy_fresh / pread);
    eprintln!("  upload_all (warm map) / memcpy (warm map)       {:6.2}  (>= 0.9)", memcpy_warm / warm);
    eprintln!("  open + upload_all, mapped / naive               {:6.2}  (>= 2)", naive_t / mapped);
    eprintln!("  upload_as / (plain load + roof)                 {:6.2}  (>= 0.8)", (bf16_plain + roof) / bf16_as);
    eprintln!("  upload_as / (plain load + cast alone)           {:6.2}", (bf16_plain + cast) / bf16_as);
    drop(bf16_tensors);

    let mut group = c.benchmark_group("io");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("memcpy out of the mapping", |b| b.iter(|| dst.copy_from_slice(std::hint::black_box(data))));
    group.bench_function("upload_all, file already open", |b| b.iter(|| drop(upload_all(&device, &opened))));
    group.bench_function("load mapped", |b| b.iter(|| load(&device, &f32_file, FileAccess::Mapped)));
    group.bench_function("load pread", |b| b.iter(|| load(&device, &f32_file, FileAccess::Read)));
    group.bench_function("fs::read + from_bytes + upload", |b| b.iter(|| naive(&device, &f32_file)));
    group.throughput(Throughput::Bytes(bytes as u64 / 4));
    group.bench_function("bf16 load", |b| b.iter(|| load(&device, &bf16_file, FileAccess::Mapped)));
    group.bench_function("bf16 upload_as f32", |b| b.iter(|| upload_as(&device, &bf16_file)));
    group.finish();
    drop(map);
    let _ = std::fs::remove_file(&f32_file);
    let _ = std::fs::remove_file(&bf16_file);
}

criterion_group!(benches, io);
criterion_main!(benches);
