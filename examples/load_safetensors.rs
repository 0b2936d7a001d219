//! Loads a safetensors file onto the device with a progress bar, and prints what came in and how fast.
//!
//! ```text
//! cargo run --release --example load_safetensors -- --write-demo 512 demo.safetensors   # write a 512 MiB file
//! cargo run --release --example load_safetensors -- demo.safetensors                    # load it (mapped)
//! cargo run --release --example load_safetensors -- demo.safetensors --pread --as f32    # pread, cast to f32
//! ```

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use wgpu_tensor::io::{FileAccess, LoadProgress, Safetensors, save_safetensors_with_metadata};
use wgpu_tensor::{Array, DType, Device};

/// Load a safetensors file straight into device memory (one host-side copy per tensor).
#[derive(Parser)]
struct Args {
    /// The safetensors file.
    path: PathBuf,
    /// First write a demo file of about this many MiB (bf16 "layers" plus an f32 bias) at PATH.
    #[arg(long, value_name = "MIB")]
    write_demo: Option<usize>,
    /// Read with pread instead of a memory map (safe if another process may truncate the file).
    #[arg(long)]
    pread: bool,
    /// Cast every floating-point tensor to this dtype on the device after loading (e.g. f32).
    #[arg(long = "as", value_name = "DTYPE")]
    as_dtype: Option<String>,
}

fn parse_dtype(name: &str) -> Result<DType, String> {
    DType::ALL
        .into_iter()
        .find(|d| d.name().eq_ignore_ascii_case(name))
        .ok_or_else(|| format!("unknown dtype {name:?}; one of: {:?}", DType::ALL.map(|d| d.name())))
}

fn write_demo(device: &Device, args: &Args, mib: usize) -> wgpu_tensor::Result<()> {
    let layers = mib.div_ceil(64).max(1);
    let per_layer = (mib << 20) / layers / 2; // bf16 elements
    let width = 1024;
    let mut tensors = Vec::new();
    for i in 0..layers {
        let values: Vec<half::bf16> =
            (0..per_layer / width * width).map(|j| half::bf16::from_f32(((i * 31 + j) % 977) as f32 / 977.0)).collect();
        let array = Array::from_vec(values, [per_layer / width, width])?;
        tensors.push((format!("layers.{i}.weight"), device.upload(&array)?));
    }
    tensors.push(("bias".into(), device.upload(&Array::from_vec(vec![0.5f32; width], [width])?)?));
    let named: Vec<_> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    save_safetensors_with_metadata(&args.path, &named, &[("written_by", "wgpu-tensor load_safetensors example")])?;
    println!("wrote {} ({} tensors, {mib} MiB)", args.path.display(), named.len());
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let device = Device::new()?;
    println!("{}", device.info());
    if let Some(mib) = args.write_demo {
        write_demo(&device, &args, mib)?;
    }
    let cast_to = args.as_dtype.as_deref().map(parse_dtype).transpose()?;
    let access = if args.pread { FileAccess::Read } else { FileAccess::Mapped };
    let start = Instant::now();
    let file = Safetensors::open_with(&args.path, access)?;
    println!("{} tensors, metadata {:?}", file.len(), file.metadata());
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let tensors = file.upload_all_with_progress(&device, |p: &LoadProgress<'_>| {
        bar.set_length(p.bytes_total);
        bar.set_position(p.bytes_done);
        bar.set_message(format!("{} ({}/{})", p.name, p.index + 1, p.count));
    })?;
    bar.finish();
    let loaded = start.elapsed().as_secs_f64();
    let bytes: usize = tensors.iter().map(|(_, t)| t.size_in_bytes()).sum();
    println!("loaded {bytes} bytes in {:.1} ms: {:.2} GB/s ({access:?})", loaded * 1e3, bytes as f64 / loaded / 1e9);
    for (name, t) in tensors.iter().take(8) {
        println!("  {name:<24} {:<5} {:?}", t.dtype().name(), t.shape());
    }
    if tensors.len() > 8 {
        println!("  … and {} more", tensors.len() - 8);
    }
    if let Some((name, _)) = tensors.first() {
        let (_, trace) = file.upload_traced(&device, name)?;
        println!("trace of {name:?} (one host-side copy on the mapped-storage path):\n{trace}");
    }
    if let Some(to) = cast_to {
        let start = Instant::now();
        let cast: Vec<_> = tensors
            .iter()
            .filter(|(_, t)| t.dtype().is_float() && t.dtype() != to)
            .map(|(_, t)| t.cast(to))
            .collect::<Result<_, _>>()?;
        device.wgpu_device().poll(wgpu::PollType::wait_indefinitely())?;
        println!("cast {} tensors to {to} on the device in {:.1} ms", cast.len(), start.elapsed().as_secs_f64() * 1e3);
    }
    Ok(())
}
