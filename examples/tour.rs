//! A tour of wgpu-tensor: a host array goes to the device (one visible copy), becomes views that cost nothing,
//! is computed on exactly (elementwise, reductions, matmul) and comes back — with every copy traced.
//!
//! ```text
//! cargo run --release --example tour
//! ```

use ndarray::s;
use wgpu_tensor::{Array, DType, Device, DeviceTensor};

fn show(name: &str, t: &DeviceTensor) -> wgpu_tensor::Result<()> {
    println!("{name} {} {:?} (strides {:?}):\n{}\n", t.dtype(), t.shape(), t.strides(), t.download()?);
    Ok(())
}

fn main() -> wgpu_tensor::Result<()> {
    let device = Device::new()?;
    println!("{}\n", device.info());

    // int64 data, as numpy makes it. The upload is a copy; the trace says which copies and how fast.
    let host = Array::from_vec((0..24).map(|i| i as i64 * 1_000_000_007).collect(), [2, 3, 4])?;
    let (x, trace) = device.upload_traced(&host)?;
    println!("upload of {} bytes:\n{trace}", host.size_in_bytes());

    // Views: metadata only, nothing runs on the device.
    let v = x.permute(&[2, 0, 1])?.slice(s![.., 1, ..;-1])?;
    show("x.permute([2, 0, 1]).slice(s![.., 1, ..;-1])", &v)?;

    // Exact dtype conversion on the device: i64 -> f32 rounds once, correctly (no i64 -> f64 -> f32).
    let f = v.cast(DType::F32)?;
    show("cast to f32", &f)?;

    // Elementwise compute with numpy broadcasting; f32 division and sqrt correctly rounded, exp within 2 ULP.
    let scale = device.upload(&Array::from_vec(vec![1e-9f32, 2e-9, 3e-9], [3])?)?;
    let y = f.mul(&scale)?.sqrt()?.exp()?;
    show("exp(sqrt(f * [1e-9, 2e-9, 3e-9]))", &y)?;

    // Reductions (a fixed tree: the same bits on every run) and matmul (the transpose read in place).
    show("sum over dim 1", &y.sum(&[1], false)?)?;
    show("y @ y.T", &y.matmul(&y.transpose(0, 1)?)?)?;
    let ints = x.sum_all()?; // i64 sums are exact, in 64 bits, wrapping like Rust
    show("sum of all of x", &ints)?;
    // A correctly rounded f32 sum: 1e30 + 1 - 1e30 is 1 (a float tree says 0), whatever the order.
    let cancel = device.upload(&Array::from_vec(vec![1e30f32, 1.0, -1e30], [3])?)?;
    show("sum_all_exact([1e30, 1, -1e30])", &cancel.sum_all_exact()?)?;

    // Everything above was recorded into batches on the device's stream; this waits for all of it.
    device.synchronize()?;
    let (back, trace) = y.download_traced()?;
    println!("download of {} bytes:\n{trace}", back.size_in_bytes());
    Ok(())
}
