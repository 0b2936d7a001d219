//! "Why can't a NumPy array be converted to a tensor?" — the three cases of the article, in Rust.
//!
//! ```text
//! cargo run --release --example why_copy
//! ```
//!
//! Host memory and device memory are different places: a GPU cannot address a host array, so moving it to the GPU
//! is a copy, and dtypes are converted explicitly (here exactly, on the device).

use ndarray::{Array2, array};
use wgpu_tensor::{Array, DType, Device};

fn main() -> wgpu_tensor::Result<()> {
    let device = Device::new()?;
    println!("{}\n", device.info());

    // (1) Host "aliasing": in NumPy/TensorFlow a tensor made from an array may share its memory, so writing to the
    // array shows through the tensor. In Rust the only sharing is a borrow, and the borrow checker keeps the array
    // immutable while any view of it is alive:
    let mut host: Array2<f32> = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let view = host.view(); // a borrowed view: no copy, same memory
    println!("(1) a borrowed view of the host array (same memory, no copy):\n{view}");
    // host[[0, 0]] = 100.0; // <- does not compile while `view` is used below: E0502, cannot borrow `host` as mutable
    println!("    the view's first element is {}; writing to `host` now would be a compile error\n", view[[0, 0]]);

    // (2) Upload copies: the device tensor owns a separate buffer. Mutating the host array afterwards never changes it.
    let tensor = device.upload(&Array::try_from(&host)?)?;
    host[[0, 0]] = 100.0; // legal: `tensor` borrows nothing from `host`
    println!("(2) after upload, host[0,0] was set to 100:");
    println!("    host:   {}", host.row(0));
    println!(
        "    device: {}  (downloaded: unchanged, it was a copy)\n",
        tensor.download()?.to_ndarray::<f32>()?.index_axis(ndarray::Axis(0), 0)
    );

    // What the copies cost: every transfer can report the path it took and each copy it made.
    let big = Array::zeros(DType::F32, [4096, 4096])?; // 64 MiB
    let (big_tensor, up) = device.upload_traced(&big)?;
    let (_, down) = big_tensor.download_traced()?;
    println!("    the copies of a 64 MiB upload:\n{up}\n    and of its download:\n{down}\n");

    // (3) int64 data becomes float32 explicitly: upload the raw int64 bytes, cast exactly on the device.
    let ints = Array::from_vec(vec![1i64, -2, 3, 16_777_217, i64::MAX, -(1 << 40)], [2, 3])?;
    let floats = device.upload_as(&ints, DType::F32)?;
    println!(
        "(3) a {:?} {} array became a {:?} {} tensor on the device:",
        ints.shape(),
        ints.dtype(),
        floats.shape(),
        floats.dtype()
    );
    println!("{}", floats.download()?);
    println!("    2^24+1 = 16777217 rounds to 16777216 (f32 has 24 significant bits); i64::MAX to 2^63 — correctly");
    println!("    rounded once, on the device, on any adapter (no 64-bit shader support needed).");
    match device.upload(&ints)?.cast_checked(DType::F32) {
        Err(e) => println!("    cast_checked says: {e}"),
        Ok(_) => println!("    cast_checked: every value is exact"),
    }
    Ok(())
}
