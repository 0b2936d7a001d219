//! Kernel-only throughput of the cast kernels beside the vectorised roof (`shaders/bench_roof.wgsl` through
//! `benches/common/roof.rs`: vec4 loads and stores, 1, 2 or 4 vec4 words per invocation, the fastest kept), both into
//! warm (already initialised) output buffers, best of interleaved rounds, so the ratio shows the kernel's own cost.
//! An ignored test that prints a table (no timed assertion); `benches/cast.rs` measures the public API end to end.
//!
//! ```text
//! cargo test --release --lib cast::throughput -- --ignored --nocapture
//! ```

#[path = "../../benches/common/roof.rs"]
mod roof;

use std::time::Instant;

use super::CastPolicy;
use super::kernel::{Buffers, plan, record};
use super::wgsl::CastVariant;
use crate::kernels::KernelKey;
use crate::{DType, Device};
use roof::{Roof, RoofShape};

const N: u64 = 16 << 20;
const ROUNDS: usize = 9;

#[test]
#[ignore = "prints timings; run with --ignored --nocapture"]
fn kernel_vs_roof_throughput() {
    let device = Device::new().expect("an adapter");
    println!("{}", device.info());
    let pairs = [
        (DType::I64, DType::F32),
        (DType::U8, DType::F32),
        (DType::F32, DType::F16),
        (DType::F64, DType::F32),
        (DType::F32, DType::BF16),
    ];
    println!("best of {ROUNDS} interleaved rounds; ratio = cast Melem/s / best roof Melem/s");
    println!("{:<12} {:>14} {:>14} {:>7}", "16M elements", "cast Melem/s", "roof Melem/s", "ratio");
    for (from, to) in pairs {
        let variant = CastVariant::new(from, to, CastPolicy::Wrap, false);
        let usage = wgpu::BufferUsages::STORAGE;
        let src = device.create_buffer("src", N * from.size_in_bytes() as u64, usage, false).expect("src");
        let dst = device.create_buffer("dst", N * to.size_in_bytes() as u64, usage, false).expect("dst");
        let chunks = plan(&variant, N, src.size(), dst.size(), device.limits());
        assert_eq!(chunks.len(), 1, "16M elements fit one binding");
        let cast = device.pipeline(KernelKey::Cast(variant), || variant.wgsl()).expect("cast pipeline");
        let (wd, wq) = (device.wgpu_device(), device.wgpu_queue());
        let roofs: Vec<Roof> = [1, 2, 4]
            .into_iter()
            .map(|vec4s| {
                let shape = RoofShape {
                    inputs: vec![from.size_in_bytes() as u32],
                    out: to.size_in_bytes() as u32,
                    vec4s,
                    work: "",
                    interleave: 1,
                };
                Roof::new(wd, wq, shape, N)
            })
            .collect();
        let b = Buffers { src: &src, dst: &dst, counter: None };
        let (mut t_cast, mut t_roof) = (f64::MAX, f64::MAX);
        for round in 0..=ROUNDS {
            device.synchronize().expect("synchronize");
            let t = Instant::now();
            device.record("bench", |rec| record(rec, &cast, &chunks, &b)).expect("record");
            device.synchronize().expect("synchronize");
            let c = t.elapsed().as_secs_f64();
            for r in &roofs {
                let t = Instant::now();
                r.run(wd, wq);
                if round > 0 {
                    t_roof = t_roof.min(t.elapsed().as_secs_f64());
                }
            }
            if round > 0 {
                t_cast = t_cast.min(c);
            }
        }
        let (c, r) = (N as f64 / t_cast / 1e6, N as f64 / t_roof / 1e6);
        println!("{:<12} {c:>14.1} {r:>14.1} {:>7.2}", format!("{from}->{to}"), c / r);
    }
}
