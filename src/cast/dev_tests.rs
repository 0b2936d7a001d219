//! TEMPORARY raw-wgpu harness (before the foundation Device is merged).
use super::kernel::*;
use super::wgsl::CastVariant;
use crate::{
    DType,
    cast::{CastPolicy, host::cast_bits_lossy},
};

fn dev() -> (wgpu::Device, wgpu::Queue) {
    let inst = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::VULKAN,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let ad = pollster::block_on(inst.request_adapter(&wgpu::RequestAdapterOptions::default())).expect("adapter");
    eprintln!("{:?}", ad.get_info().name);
    pollster::block_on(
        ad.request_device(&wgpu::DeviceDescriptor { required_limits: ad.limits(), ..Default::default() }),
    )
    .unwrap()
}

fn run(d: &wgpu::Device, q: &wgpu::Queue, v: CastVariant, src_bytes: &[u8], n: u64) -> (Vec<u8>, u64) {
    use wgpu::util::DeviceExt;
    let module = d.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: None,
        source: wgpu::ShaderSource::Wgsl(v.wgsl().into()),
    });
    let p = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: None,
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let mut sb = src_bytes.to_vec();
    while sb.len() % 4 != 0 || sb.is_empty() {
        sb.push(0)
    }
    let src = d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: None,
        contents: &sb,
        usage: wgpu::BufferUsages::STORAGE,
    });
    let dl = (n * v.to.size_in_bytes() as u64).next_multiple_of(4).max(4);
    let dst = d.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: dl,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let limits = d.limits();
    let nch = plan(&v, n, sb.len() as u64, dl, &limits).len() as u64;
    let counter = d.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: 4 * nch.max(1),
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let l = Launch { device: d, queue: q, limits: &limits, pipeline: &p };
    let cb = encode(&l, &v, &src, &dst, n, v.checked.then_some(&counter)).unwrap();
    let rb = d.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: dl + 4 * nch.max(1),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut e = d.create_command_encoder(&Default::default());
    e.copy_buffer_to_buffer(&dst, 0, &rb, 0, dl);
    e.copy_buffer_to_buffer(&counter, 0, &rb, dl, 4 * nch.max(1));
    q.submit([cb, e.finish()]);
    rb.map_async(wgpu::MapMode::Read, .., |r| r.unwrap());
    d.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    let bytes = rb.get_mapped_range(..).unwrap().to_vec();
    let cnt: u64 = bytemuck::cast_slice::<u8, u32>(&bytes[dl as usize..]).iter().map(|&x| x as u64).sum();
    (bytes[..dl as usize].to_vec(), cnt)
}

#[test]
fn dev_exhaustive_16() {
    let (d, q) = dev();
    for from in DType::ALL.into_iter().filter(|t| t.size_in_bytes() <= 2) {
        let n: u64 = if from.size_in_bytes() == 1 { 256 } else { 65536 };
        let mut src = Vec::new();
        for b in 0..n {
            if from == DType::Bool && b > 1 {
                continue;
            }
            src.extend_from_slice(&b.to_le_bytes()[..from.size_in_bytes()]);
        }
        let n = (src.len() / from.size_in_bytes()) as u64;
        for to in DType::ALL {
            for policy in [CastPolicy::Wrap, CastPolicy::Saturate] {
                let v = CastVariant::new(from, to, policy, true);
                let (out, cnt) = run(&d, &q, v, &src, n);
                let ts = to.size_in_bytes();
                let mut want_cnt = 0;
                let mut bad = 0;
                for i in 0..n as usize {
                    let mut b = [0u8; 8];
                    b[..from.size_in_bytes()].copy_from_slice(&src[i * from.size_in_bytes()..][..from.size_in_bytes()]);
                    let x = u64::from_le_bytes(b);
                    let (w, l) = cast_bits_lossy(from, to, policy, x);
                    want_cnt += l as u64;
                    let mut g = [0u8; 8];
                    g[..ts].copy_from_slice(&out[i * ts..][..ts]);
                    let got = u64::from_le_bytes(g);
                    if got != w {
                        bad += 1;
                        if bad < 4 {
                            eprintln!("{from}->{to} {policy:?} x={x:#x} got {got:#x} want {w:#x}");
                        }
                    }
                }
                if bad > 0 || cnt != want_cnt {
                    eprintln!("{from}->{to} {policy:?}: {bad} bad, lossy {cnt} want {want_cnt}");
                }
            }
        }
    }
}

#[test]
fn dev_random_wide() {
    use rand::{Rng, SeedableRng};
    let (d, q) = dev();
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    for from in DType::ALL.into_iter().filter(|t| t.size_in_bytes() >= 4) {
        let nb = from.size_in_bits() as u32;
        let n = 200_000u64;
        let mut src = Vec::new();
        for _ in 0..n {
            let x: u64 = rng.random();
            let x = if rng.random::<bool>() { x >> rng.random_range(0..64) } else { x };
            let x = if from.is_float() && rng.random::<bool>() {
                let e = rng.random_range(0..2048u64);
                (x & !(0x7ffu64 << 52)) | (e << 52)
            } else {
                x
            };
            let x = if nb == 32 && from.is_float() && rng.random::<bool>() { (x >> 32) as u32 as u64 } else { x };
            src.extend_from_slice(&x.to_le_bytes()[..from.size_in_bytes()]);
        }
        for to in DType::ALL {
            for policy in [CastPolicy::Wrap, CastPolicy::Saturate] {
                let v = CastVariant::new(from, to, policy, true);
                let (out, cnt) = run(&d, &q, v, &src, n);
                let ts = to.size_in_bytes();
                let mut want_cnt = 0;
                let mut bad = 0;
                for i in 0..n as usize {
                    let mut b = [0u8; 8];
                    b[..from.size_in_bytes()].copy_from_slice(&src[i * from.size_in_bytes()..][..from.size_in_bytes()]);
                    let x = u64::from_le_bytes(b);
                    let (w, l) = cast_bits_lossy(from, to, policy, x);
                    want_cnt += l as u64;
                    let mut g = [0u8; 8];
                    g[..ts].copy_from_slice(&out[i * ts..][..ts]);
                    let got = u64::from_le_bytes(g);
                    if got != w {
                        bad += 1;
                        if bad < 4 {
                            eprintln!("{from}->{to} {policy:?} x={x:#x} got {got:#x} want {w:#x}");
                        }
                    }
                }
                if bad > 0 || cnt != want_cnt {
                    eprintln!("{from}->{to} {policy:?}: {bad} bad, lossy {cnt} want {want_cnt}");
                }
            }
        }
    }
}

#[test]
#[ignore]
fn dev_perf() {
    let (d, q) = dev();
    let limits = d.limits();
    let n: u64 = 16 << 20;
    for (from, to, roof_body) in [
        (DType::I64, DType::F32, "dst[u] = src[2u * u] ^ src[2u * u + 1u];"),
        (DType::U8, DType::F32, "dst[u] = src[u >> 2u] >> ((u & 3u) * 8u);"),
        (DType::F32, DType::F16, "dst[u] = src[2u * u] ^ (src[2u * u + 1u] << 16u);"),
        (DType::F64, DType::F32, "dst[u] = src[2u * u] ^ src[2u * u + 1u];"),
        (DType::F32, DType::BF16, "dst[u] = src[2u * u] ^ (src[2u * u + 1u] << 16u);"),
    ] {
        let v = CastVariant::new(from, to, CastPolicy::Wrap, false);
        let roof_src = include_str!("../../shaders/bench_roof.wgsl").replace("{{src_bytes}}", "x").replace("{{dst_bytes}}", "y")
            .replace("{{workgroup_size}}", &super::wgsl::WORKGROUP_SIZE.to_string()).replace("{{per_unit}}", &v.per_unit().to_string()).replace("{{body}}", roof_body);
        let sl = n * from.size_in_bytes() as u64; let dl = n * to.size_in_bytes() as u64;
        let src = d.create_buffer(&wgpu::BufferDescriptor { label: None, size: sl, usage: wgpu::BufferUsages::STORAGE, mapped_at_creation: false });
        let dst = d.create_buffer(&wgpu::BufferDescriptor { label: None, size: dl, usage: wgpu::BufferUsages::STORAGE, mapped_at_creation: false });
        for (name, wgsl) in [("cast", v.wgsl()), ("roof", roof_src)] {
            let module = d.create_shader_module(wgpu::ShaderModuleDescriptor { label: None, source: wgpu::ShaderSource::Wgsl(wgsl.into()) });
            let p = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor { label: None, layout: None, module: &module, entry_point: Some("main"), compilation_options: Default::default(), cache: None });
            let l = Launch { device: &d, queue: &q, limits: &limits, pipeline: &p };
            let mut best = f64::MAX;
            for _ in 0..12 {
                let cb = encode(&l, &v, &src, &dst, n, None).unwrap();
                let t = std::time::Instant::now();
                q.submit([cb]);
                d.poll(wgpu::PollType::wait_indefinitely()).unwrap();
                best = best.min(t.elapsed().as_secs_f64());
            }
            eprintln!("{from}->{to} {name}: {:.3} ms, {:.3} G elem/s", best * 1e3, n as f64 / best / 1e9);
        }
    }
}
