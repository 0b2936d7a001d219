//! Device cast throughput (elements/s) at 16M elements for i64→f32, u8→f32, f32→f16, f64→f32 and f32→bf16, beside
//! a "roof" kernel on the same adapter that moves the same bytes per element with trivial work
//! (`shaders/bench_roof.wgsl`), and the host alternatives (a plain loop, ndarray `mapv`).
//!
//! ```text
//! cargo bench --bench cast
//! ```
//! Device timings are submit + wait per iteration (the upload is excluded). `device cast` is the public
//! [`DeviceTensor::cast`](wgpu_tensor::DeviceTensor::cast), which allocates its output each time; compare it with
//! `device roof, fresh output` (the roof kernel into a newly allocated buffer of the same size). `device roof, warm
//! output` shows what the allocation (page faults and wgpu's zero-initialisation of a new buffer) costs.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use half::{bf16, f16};
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::time::Duration;
use wgpu_tensor::{Array, DType, Device};

const N: usize = 16 << 20;
const WORKGROUP_SIZE: u32 = 256;
const ROOF: &str = include_str!("../shaders/bench_roof.wgsl");

/// The roof kernel of one pair, composed from its named placeholders.
struct Roof {
    pipeline: wgpu::ComputePipeline,
    src: wgpu::Buffer,
    dst: wgpu::Buffer,
    params: wgpu::Buffer,
    groups: (u32, u32),
}

impl Roof {
    fn new(device: &Device, src_bytes: u64, dst_bytes: u64, per_unit: u32, body: &str) -> Roof {
        let (d, q) = (device.wgpu_device(), device.wgpu_queue());
        let mut wgsl = ROOF.to_string();
        for (name, value) in [
            ("src_bytes", src_bytes.to_string()),
            ("dst_bytes", dst_bytes.to_string()),
            ("workgroup_size", WORKGROUP_SIZE.to_string()),
            ("per_unit", per_unit.to_string()),
            ("body", body.to_string()),
        ] {
            wgsl = wgsl.replace(&format!("{{{{{name}}}}}"), &value);
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
            d.create_buffer(&wgpu::BufferDescriptor { label: Some("roof"), size, usage, mapped_at_creation: false })
        };
        let src = buffer(N as u64 * src_bytes, wgpu::BufferUsages::STORAGE);
        let dst = buffer(N as u64 * dst_bytes, wgpu::BufferUsages::STORAGE);
        let units = (N as u32).div_ceil(per_unit);
        let workgroups = units.div_ceil(WORKGROUP_SIZE);
        let max = d.limits().max_compute_workgroups_per_dimension;
        let gy = workgroups.div_ceil(max);
        let groups = (workgroups.div_ceil(gy), gy);
        let params = buffer(16, wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST);
        q.write_buffer(&params, 0, bytemuck::cast_slice(&[N as u32, groups.0 * WORKGROUP_SIZE, 0, 0]));
        Roof { pipeline, src, dst, params, groups }
    }

    /// One roof dispatch, submit + wait; with `fresh_output`, into a newly allocated output buffer (as a cast
    /// allocates its result), else into the same warm buffer every time.
    fn run(&self, device: &Device, fresh_output: bool) {
        let d = device.wgpu_device();
        let fresh = fresh_output.then(|| {
            d.create_buffer(&wgpu::BufferDescriptor {
                label: Some("roof output"),
                size: self.dst.size(),
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        });
        let group = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("roof"),
            layout: &self.pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: self.src.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: fresh.as_ref().unwrap_or(&self.dst).as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: self.params.as_entire_binding() },
            ],
        });
        let mut encoder = d.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("roof") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &group, &[]);
            pass.dispatch_workgroups(self.groups.0, self.groups.1, 1);
        }
        device.wgpu_queue().submit([encoder.finish()]);
        d.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
    }
}

fn random_array(dtype: DType, rng: &mut StdRng) -> Array {
    match dtype {
        DType::I64 => {
            Array::from((0..N).map(|_| (rng.random::<u64>() >> rng.random_range(0..64)) as i64).collect::<Vec<_>>())
        }
        DType::U8 => Array::from((0..N).map(|_| rng.random::<u8>()).collect::<Vec<_>>()),
        DType::F32 => Array::from((0..N).map(|_| rng.random::<f32>() * 1e5 - 5e4).collect::<Vec<_>>()),
        _ => Array::from((0..N).map(|_| rng.random::<f64>() * 1e10 - 5e9).collect::<Vec<_>>()),
    }
}

/// The host alternatives: a plain loop and ndarray's `mapv`, for one pair.
fn host(c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, src: &Array, to: DType) {
    macro_rules! both {
        ($t:ty, $f:expr) => {{
            let v = src.to_vec::<$t>().unwrap();
            let nd = ndarray::Array1::from(v.clone());
            c.bench_function("host loop", |b| {
                let mut out = vec![Default::default(); v.len()];
                b.iter(|| {
                    for (o, &x) in out.iter_mut().zip(&v) {
                        *o = $f(x);
                    }
                    std::hint::black_box(&out);
                })
            });
            c.bench_function("host ndarray mapv", |b| b.iter(|| std::hint::black_box(nd.mapv($f))));
        }};
    }
    match (src.dtype(), to) {
        (DType::I64, _) => both!(i64, |x: i64| x as f32),
        (DType::U8, _) => both!(u8, |x: u8| x as f32),
        (DType::F32, DType::F16) => both!(f32, f16::from_f32),
        (DType::F32, _) => both!(f32, bf16::from_f32),
        _ => both!(f64, |x: f64| x as f32),
    }
}

fn bench(c: &mut Criterion) {
    let device = Device::new().expect("an adapter for the cast benchmark");
    eprintln!("adapter: {}", device.info());
    let mut rng = StdRng::seed_from_u64(1);
    let pairs: [(DType, DType, &str); 5] = [
        (DType::I64, DType::F32, "dst[u] = src[2u * u] ^ src[2u * u + 1u];"),
        (DType::U8, DType::F32, "dst[u] = src[u >> 2u] >> ((u & 3u) * 8u);"),
        (DType::F32, DType::F16, "dst[u] = src[2u * u] ^ (src[2u * u + 1u] << 16u);"),
        (DType::F64, DType::F32, "dst[u] = src[2u * u] ^ src[2u * u + 1u];"),
        (DType::F32, DType::BF16, "dst[u] = src[2u * u] ^ (src[2u * u + 1u] << 16u);"),
    ];
    for (from, to, roof_body) in pairs {
        let mut group = c.benchmark_group(format!("cast {from}->{to} 16M"));
        group.throughput(Throughput::Elements(N as u64));
        group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
        let src = random_array(from, &mut rng);
        let t = device.upload(&src).expect("upload");
        // Check once that the device result is the oracle's.
        assert_eq!(t.cast(to).unwrap().download().unwrap().as_bytes(), src.cast(to).unwrap().as_bytes());
        group.bench_function(BenchmarkId::new("device cast", "portable"), |b| {
            b.iter(|| {
                let out = t.cast(to).expect("cast");
                device.wgpu_device().poll(wgpu::PollType::wait_indefinitely()).expect("poll");
                out
            })
        });
        let per_unit = match to.size_in_bytes() {
            2 => 2,
            _ => 1,
        };
        let roof = Roof::new(&device, from.size_in_bytes() as u64, to.size_in_bytes() as u64, per_unit, roof_body);
        group.bench_function("device roof, warm output", |b| b.iter(|| roof.run(&device, false)));
        group.bench_function("device roof, fresh output", |b| b.iter(|| roof.run(&device, true)));
        host(&mut group, &src, to);
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
