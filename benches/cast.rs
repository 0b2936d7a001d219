//! Device cast throughput (elements/s) at 16M elements for i64→f32, u8→f32, f32→f16, f64→f32 and f32→bf16, beside
//! a "roof" kernel on the same adapter that moves the same bytes per element with trivial work, vec4 loads and
//! stores (`shaders/bench_roof.wgsl`, composed by `benches/common/roof.rs`), and the host alternatives (a plain
//! loop, ndarray `mapv`).
//!
//! ```text
//! cargo bench --bench cast
//! ```
//! Device timings are submit + wait per iteration (the upload is excluded). `device cast` is the public
//! [`DeviceTensor::cast`](wgpu_tensor::DeviceTensor::cast), which allocates its output each time; compare it with
//! `device roof, fresh output` (the roof kernel into a newly allocated buffer of the same size). `device roof, warm
//! output` shows what the allocation (page faults and wgpu's zero-initialisation of a new buffer) costs.

#[path = "common/roof.rs"]
mod roof;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use half::{bf16, f16};
use rand::{Rng, SeedableRng, rngs::StdRng};
use roof::{Roof, RoofShape};
use std::time::Duration;
use wgpu_tensor::{Array, DType, Device};

const N: usize = 16 << 20;
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
    let pairs: [(DType, DType); 5] = [
        (DType::I64, DType::F32),
        (DType::U8, DType::F32),
        (DType::F32, DType::F16),
        (DType::F64, DType::F32),
        (DType::F32, DType::BF16),
    ];
    for (from, to) in pairs {
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
        // The vec4 roof, 2 vec4 words per invocation (see benches/elementwise.rs for the 1/2/4 comparison).
        let shape = RoofShape {
            inputs: vec![from.size_in_bytes() as u32],
            out: to.size_in_bytes() as u32,
            vec4s: 2,
            work: "",
            interleave: 1,
        };
        let (wd, wq) = (device.wgpu_device(), device.wgpu_queue());
        let roof = Roof::new(wd, wq, shape, N as u64);
        group.bench_function("device roof, warm output", |b| b.iter(|| roof.run(wd, wq)));
        group.bench_function("device roof, fresh output", |b| b.iter(|| roof.run_fresh(wd, wq)));
        host(&mut group, &src, to);
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
