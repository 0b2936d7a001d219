//! Matrix-product speed beside ndarray's host `dot` (matrixmultiply) in the same run: an ignored test that prints a
//! table (no timed assertion).
//!
//! ```text
//! cargo test --release --lib ops::matmul_speed -- --ignored --nocapture
//! ```

use std::time::Instant;

use super::matmul_kernel::{Dims, Operand, encode_matmul_with};
use crate::{DType, Device};

/// Seconds of the best of `runs` submissions of one product (kernel only: the operands stay on the device).
fn time_device(device: &Device, dtype: DType, n: usize, runs: usize, direct: bool) -> f64 {
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
            let mut encoder = device.wgpu_device().create_command_encoder(&Default::default());
            let (oa, ob) = (Operand::contiguous(&a, n, n), Operand::contiguous(&b, n, n));
            encode_matmul_with(device, &mut encoder, dtype, dims, &oa, &ob, &c, direct).unwrap();
            let t = Instant::now();
            let index = device.submit_now("bench", encoder).unwrap();
            device.wait(Some(index)).unwrap();
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
    let direct = device.info().is_software();
    println!("f32, square; GFLOPS (kernel: {})", if direct { "direct (CPU adapter)" } else { "tiled" });
    println!("{:>6} {:>10} {:>10} {:>10} {:>7}", "n", "device", "tiled", "ndarray", "ratio");
    for n in [256usize, 512, 1024, 2048] {
        let runs = if n >= 2048 { 2 } else { 4 };
        let flops = 2.0 * (n as f64).powi(3);
        let g = flops / time_device(&device, DType::F32, n, runs, direct) / 1e9;
        let t = if n <= 1024 { flops / time_device(&device, DType::F32, n, runs, false) / 1e9 } else { f64::NAN };
        let h = flops / time_host(n, runs) / 1e9;
        println!("{n:>6} {g:>10.2} {t:>10.2} {h:>10.2} {:>7.2}", g / h);
    }
    let n = 1024;
    let ops = 2.0 * (n as f64).powi(3);
    for dtype in [DType::I32, DType::U32, DType::F16, DType::BF16, DType::I64] {
        println!("{dtype} {n}: {:.2} G ops/s", ops / time_device(&device, dtype, n, 2, direct) / 1e9);
    }
}
