//! Matrix-product speed beside ndarray's host `dot` (matrixmultiply) in the same run: an ignored test that prints a
//! table (no timed assertion).
//!
//! ```text
//! cargo test --release --lib ops::matmul_speed -- --ignored --nocapture
//! ```
//!
//! `MATMUL_SPEED_N=1024,2048` measures only f32 at those sizes (quick comparisons while tuning).

use std::time::Instant;

use super::matmul_kernel::{Dims, KernelChoice, Operand, encode_matmul_with};
use crate::{DType, Device};

/// Seconds of the best of `runs` submissions of one product (kernel only: the operands stay on the device).
fn time_device(device: &Device, dtype: DType, n: usize, runs: usize, kernel: KernelChoice) -> f64 {
    let bytes = (n * n * dtype.size_in_bytes()) as u64;
    let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
    let a = device.create_buffer("a", bytes, usage, false).unwrap();
    let b = device.create_buffer("b", bytes, usage, false).unwrap();
    let c = device.create_buffer("c", bytes, usage, false).unwrap();
    // 0.5 and 1.0 as f32 bits (no subnormals, which are slow on CPUs); integers wrap anyway.
    let init: Vec<u32> = (0..bytes as usize / 4).map(|i| if i % 3 == 0 { 0x3f00_0000 } else { 0x3f80_0000 }).collect();
    device.wgpu_queue().write_buffer(&a, 0, bytemuck::cast_slice(&init));
    device.wgpu_queue().write_buffer(&b, 0, bytemuck::cast_slice(&init));
    let dims = Dims { batch: 1, m: n, n, k: n };
    (0..runs + 1)
        .map(|_| {
            let (oa, ob) = (Operand::contiguous(&a, n, n), Operand::contiguous(&b, n, n));
            device.record("bench", |rec| encode_matmul_with(rec, dtype, dims, &oa, &ob, &c, kernel)).unwrap();
            let t = Instant::now();
            device.synchronize().unwrap();
            t.elapsed().as_secs_f64()
        })
        .skip(1) // the first run compiles the pipeline's machine code on some drivers
        .fold(f64::MAX, f64::min)
}

fn time_host(n: usize, runs: usize) -> f64 {
    let a = ndarray::Array2::<f32>::from_shape_fn((n, n), |(i, j)| ((i * 7 + j) % 13) as f32 * 0.1);
    let b = a.t().to_owned();
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            let c = a.dot(&b);
            std::hint::black_box(&c);
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

#[test]
#[ignore = "prints timings; run with --ignored --nocapture"]
fn matmul_gflops_beside_ndarray() {
    let device = Device::new().expect("an adapter");
    println!("{}", device.info());
    let only: Option<Vec<usize>> =
        std::env::var("MATMUL_SPEED_N").ok().map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect());
    let quick = only.is_some();
    println!("f32, square; GFLOPS of each kernel (auto: what matmul uses here; NaN: not run)");
    println!("{:>6} {:>8} {:>8} {:>8} {:>8} {:>7}", "n", "auto", "direct", "tiled", "ndarray", "ratio");
    for n in only.unwrap_or_else(|| vec![256, 512, 1024, 2048]) {
        let runs = if n >= 2048 { 2 } else { 4 };
        let flops = 2.0 * (n as f64).powi(3);
        let g = |kernel| flops / time_device(&device, DType::F32, n, runs, kernel) / 1e9;
        let auto = g(KernelChoice::Auto);
        let (direct, tiled) =
            if n <= 1024 && !quick { (g(KernelChoice::Direct), g(KernelChoice::Tiled)) } else { (f64::NAN, f64::NAN) };
        let h = flops / time_host(n, runs) / 1e9;
        println!("{n:>6} {auto:>8.2} {direct:>8.2} {tiled:>8.2} {h:>8.2} {:>7.2}", auto / h);
    }
    if quick {
        return;
    }
    let n = 1024;
    let ops = 2.0 * (n as f64).powi(3);
    for dtype in [DType::I32, DType::U32, DType::F16, DType::BF16, DType::I64] {
        println!("{dtype} {n}: {:.2} G ops/s", ops / time_device(&device, dtype, n, 2, KernelChoice::Auto) / 1e9);
    }
}
