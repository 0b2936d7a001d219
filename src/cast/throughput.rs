//! Kernel-only throughput of the cast kernels beside the roof kernel (`shaders/bench_roof.wgsl`), both into warm
//! (already initialised) output buffers, so the ratio shows the kernel's own cost. An ignored test that prints a
//! table (no timed assertion); `benches/cast.rs` measures the public API end to end.
//!
//! ```text
//! cargo test --release --lib cast::throughput -- --ignored --nocapture
//! ```

use std::time::Instant;

use super::CastPolicy;
use super::kernel::{Buffers, plan, record};
use super::wgsl::{CastVariant, WORKGROUP_SIZE};
use crate::kernels::{KernelKey, Pipeline, compose};
use crate::{DType, Device};

const ROOF: &str = include_str!("../../shaders/bench_roof.wgsl");
const N: u64 = 16 << 20;

/// The best time of `runs` records of `f` on the stream, each submitted and waited for.
fn best_of(device: &Device, runs: usize, f: impl Fn(&mut crate::device::Recorder<'_>) -> crate::Result<()>) -> f64 {
    (0..runs)
        .map(|_| {
            device.synchronize().expect("synchronize");
            let t = Instant::now();
            device.record("bench", &f).expect("record");
            device.synchronize().expect("synchronize");
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

/// A pipeline built outside the cache (the roof kernels are not crate kernels).
fn raw_pipeline(device: &Device, wgsl: &str) -> Pipeline {
    let d = device.wgpu_device();
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
    let layout = pipeline.get_bind_group_layout(0);
    Pipeline { pipeline, layout }
}

#[test]
#[ignore = "prints timings; run with --ignored --nocapture"]
fn kernel_vs_roof_throughput() {
    let device = Device::new().expect("an adapter");
    println!("{}", device.info());
    let pairs = [
        (DType::I64, DType::F32, "dst[u] = src[2u * u] ^ src[2u * u + 1u];"),
        (DType::U8, DType::F32, "dst[u] = src[u >> 2u] >> ((u & 3u) * 8u);"),
        (DType::F32, DType::F16, "dst[u] = src[2u * u] ^ (src[2u * u + 1u] << 16u);"),
        (DType::F64, DType::F32, "dst[u] = src[2u * u] ^ src[2u * u + 1u];"),
        (DType::F32, DType::BF16, "dst[u] = src[2u * u] ^ (src[2u * u + 1u] << 16u);"),
    ];
    println!("{:<12} {:>14} {:>14} {:>7}", "16M elements", "cast Melem/s", "roof Melem/s", "ratio");
    for (from, to, body) in pairs {
        let variant = CastVariant::new(from, to, CastPolicy::Wrap, false);
        let usage = wgpu::BufferUsages::STORAGE;
        let src = device.create_buffer("src", N * from.size_in_bytes() as u64, usage, false).unwrap();
        let dst = device.create_buffer("dst", N * to.size_in_bytes() as u64, usage, false).unwrap();
        let chunks = plan(&variant, N, src.size(), dst.size(), device.limits());
        assert_eq!(chunks.len(), 1, "16M elements fit one binding");
        let cast = device.pipeline(KernelKey::Cast(variant), || variant.wgsl()).unwrap();
        let per_unit = variant.per_unit().to_string();
        let roof_wgsl = compose(
            ROOF,
            &[
                ("src_bytes", &from.size_in_bytes().to_string()),
                ("dst_bytes", &to.size_in_bytes().to_string()),
                ("workgroup_size", &WORKGROUP_SIZE.to_string()),
                ("per_unit", &per_unit),
                ("body", body),
            ],
        );
        let roof = raw_pipeline(&device, &roof_wgsl);
        let b = Buffers { src: &src, dst: &dst, counter: None };
        let t_cast = best_of(&device, 8, |rec| record(rec, &cast, &chunks, &b));
        let t_roof = best_of(&device, 8, |rec| record(rec, &roof, &chunks, &b));
        let (c, r) = (N as f64 / t_cast / 1e6, N as f64 / t_roof / 1e6);
        println!("{:<12} {c:>14.1} {r:>14.1} {:>7.2}", format!("{from}->{to}"), c / r);
    }
}
