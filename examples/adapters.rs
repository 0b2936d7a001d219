//! Lists every adapter wgpu can see that runs compute shaders: backend, type, UMA, limits and native extensions.
//!
//! ```text
//! cargo run --release --example adapters
//! ```

fn main() {
    let adapters = wgpu_tensor::list_adapters(wgpu::Backends::all());
    if adapters.is_empty() {
        eprintln!("{}", wgpu_tensor::Error::NoAdapter { backends: format!("{:?}", wgpu::Backends::all()) });
        std::process::exit(1);
    }
    for (i, info) in adapters.iter().enumerate() {
        println!("#{i}\n{info}\n");
    }
    match wgpu_tensor::Device::new() {
        Ok(device) => println!("Device::new() picks: {} ({:?})", device.info().name, device.info().backend),
        Err(e) => println!("Device::new() fails: {e}"),
    }
}
