//! The "storage + layout" figures, as ratios against raw wgpu on the same adapter in the same run (best of several
//! interleaved rounds; the machine is shared and noisy):
//!
//! 1. `contiguous()` of a transposed 4096 × 4096 f32 against the best plain copy kernel for the same bytes (vec4
//!    loads and stores, four vec4 per invocation).
//! 2. A chain of 100 ops on 1 K-element tensors then one download, against 100 empty dispatches recorded in one
//!    encoder and submitted once: the library's per-op overhead held against the floor.
//! 3. The CPU time of a thread awaiting a pending download (thread CPU clock), against the wall time it waited.
//!
//! ```text
//! cargo bench --bench stream
//! ```

use std::time::Instant;

use wgpu_tensor::{Array, DType, Device};

const ROUNDS: usize = 7;

fn raw_pipeline(device: &Device, wgsl: &str) -> wgpu::ComputePipeline {
    let d = device.wgpu_device();
    let module = d.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: None,
        source: wgpu::ShaderSource::Wgsl(wgsl.into()),
    });
    d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: None,
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// The roof: a plain copy of `words` u32 words, 4 × vec4 per invocation.
const COPY_ROOF: &str = "
@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<u32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
    let base = (gid.y * n.x * 256u + gid.x) * 4u;
    let len = arrayLength(&src);
    for (var k = 0u; k < 4u; k++) {
        if base + k < len {
            dst[base + k] = src[base + k];
        }
    }
}";

const EMPTY: &str = "@compute @workgroup_size(64) fn main() {}";

fn buffer(device: &Device, bytes: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
    device.wgpu_device().create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: bytes,
        usage,
        mapped_at_creation: false,
    })
}

fn time(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

fn wait(device: &Device) {
    device.wgpu_device().poll(wgpu::PollType::wait_indefinitely()).unwrap();
}

fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() {
    let device = Device::new().expect("an adapter");
    println!("{}", device.info());

    // 1. contiguous() of a transposed 4096 x 4096 f32.
    let n = 4096usize;
    let host = Array::from_vec((0..n * n).map(|i| i as f32).collect(), [n, n]).unwrap();
    let t = device.upload(&host).unwrap().transpose(0, 1).unwrap();
    let bytes = (n * n * 4) as u64;
    let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
    let (src, dst) = (buffer(&device, bytes, storage), buffer(&device, bytes, storage));
    let roof = raw_pipeline(&device, COPY_ROOF);
    let group = device.wgpu_device().create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &roof.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry { binding: 0, resource: src.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 1, resource: dst.as_entire_binding() },
        ],
    });
    let invocations = (bytes / 64) as u32;
    let groups = invocations.div_ceil(256);
    let (gx, gy) = if groups > 65_535 { (65_535, groups.div_ceil(65_535)) } else { (groups, 1) };
    let run_roof = || {
        let mut e = device.wgpu_device().create_command_encoder(&Default::default());
        {
            let mut pass = e.begin_compute_pass(&Default::default());
            pass.set_pipeline(&roof);
            pass.set_bind_group(0, &group, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
        }
        device.wgpu_queue().submit(Some(e.finish()));
        wait(&device);
    };
    let run_ours = || {
        let c = t.contiguous().unwrap();
        device.synchronize().unwrap();
        drop(c);
    };
    run_roof();
    run_ours();
    let (mut best_roof, mut best_ours) = (f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        best_roof = best_roof.min(time(run_roof));
        best_ours = best_ours.min(time(run_ours));
    }
    let gbs = |s: f64| 2.0 * bytes as f64 / s / 1e9;
    println!(
        "contiguous() of a transposed 4096x4096 f32: {:.2} ms ({:.2} GB/s moved); vec4 copy roof {:.2} ms ({:.2} GB/s); ratio {:.2}",
        best_ours * 1e3,
        gbs(best_ours),
        best_roof * 1e3,
        gbs(best_roof),
        best_roof / best_ours
    );

    // 2. A chain of 100 ops on 1 K elements, then one download, against 100 empty dispatches submitted once.
    let small = device.upload(&Array::from_vec((0..1024).map(|i| i as f32).collect(), [32, 32]).unwrap()).unwrap();
    let empty = raw_pipeline(&device, EMPTY);
    let run_empty = || {
        let mut e = device.wgpu_device().create_command_encoder(&Default::default());
        for _ in 0..100 {
            let mut pass = e.begin_compute_pass(&Default::default());
            pass.set_pipeline(&empty);
            pass.dispatch_workgroups(1, 1, 1);
        }
        device.wgpu_queue().submit(Some(e.finish()));
        wait(&device);
    };
    let run_chain = || {
        let mut x = small.clone();
        for _ in 0..100 {
            x = x.transpose(0, 1).unwrap().contiguous().unwrap();
        }
        x.download().unwrap();
    };
    run_empty();
    run_chain();
    let (mut best_empty, mut best_chain) = (f64::MAX, f64::MAX);
    for _ in 0..ROUNDS * 3 {
        best_empty = best_empty.min(time(run_empty));
        best_chain = best_chain.min(time(run_chain));
    }
    println!(
        "chain of 100 ops on 1K f32 + download: {:.3} ms; 100 empty raw dispatches, one submit: {:.3} ms; ratio {:.2} (goal <= 2)",
        best_chain * 1e3,
        best_empty * 1e3,
        best_chain / best_empty
    );

    // 3. CPU used by a thread awaiting a pending download.
    let big = device.upload(&Array::from_vec(vec![1.0f32; 1 << 24], [1 << 24]).unwrap()).unwrap();
    let mut work = big.clone();
    for _ in 0..6 {
        work = work.cast(DType::F64).unwrap().cast(DType::F32).unwrap();
    }
    let (cpu0, wall0) = (thread_cpu_seconds(), Instant::now());
    let downloaded = pollster::block_on(work.download_async()).unwrap();
    let (cpu, wall) = (thread_cpu_seconds() - cpu0, wall0.elapsed().as_secs_f64());
    assert_eq!(downloaded.len(), 1 << 24);
    println!(
        "awaiting a download behind 12 casts of 16M elements: {:.1} ms wall, {:.1} ms CPU on the awaiting thread \
         (the 64 MiB copy out of the mapping included)",
        wall * 1e3,
        cpu * 1e3
    );
}
