//! Reduction speed beside a read-only roof kernel over the same bytes (`shaders/reduce_roof.wgsl`, the better of a
//! blocked and a strided vec4 layout) in the same run: an ignored test that prints a table (no timed assertion).
//!
//! ```text
//! cargo test --release --lib ops::reduce_speed -- --ignored --nocapture
//! ```

use std::time::Instant;

use wgpu::util::DeviceExt;

use super::reduce_kernel::{ReduceView, encode_reduce};
use super::reduce_wgsl::ReduceOp;
use crate::kernels::{compose, grid_2d};
use crate::{DType, Device};

const ROOF: &str = include_str!("../../shaders/reduce_roof.wgsl");
const PER: u32 = 4;

/// CPU time of this process's threads so far (lavapipe runs the kernels on its own threads), from
/// `/proc/self/task/*/schedstat`: less disturbed than the wall clock by other processes (0 where unreadable).
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0.0 };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
        .sum();
    ns as f64 * 1e-9
}

/// The best (wall, CPU) seconds of `runs` runs of `f` after one warm-up run.
fn best_of(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    (0..runs + 1)
        .map(|_| {
            let (t, c) = (Instant::now(), cpu_seconds());
            f();
            (t.elapsed().as_secs_f64(), cpu_seconds() - c)
        })
        .skip(1)
        .fold((f64::MAX, f64::MAX), |(a, b), (x, y)| (a.min(x), b.min(y)))
}

fn best(device: &Device, runs: usize, mut record: impl FnMut(&mut wgpu::CommandEncoder)) -> (f64, f64) {
    best_of(runs, || {
        let mut encoder = device.wgpu_device().create_command_encoder(&Default::default());
        record(&mut encoder);
        let index = device.submit_now("bench", encoder).unwrap();
        device.wait(Some(index)).unwrap();
    })
}

/// (wall, CPU) seconds of the best of `runs` reductions recorded on the device's stream, recorded and synchronized.
fn best_reduce(
    device: &Device,
    runs: usize,
    op: ReduceOp,
    dtype: DType,
    view: &ReduceView<'_>,
    out: &wgpu::Buffer,
) -> (f64, f64) {
    best_of(runs, || {
        device.record("bench", |rec| encode_reduce(rec, op, dtype, view, out)).unwrap();
        device.synchronize().unwrap();
    })
}

/// (wall, CPU) seconds of the roof over `bytes` of `buffer` (bound in windows of at most one binding).
fn roof(device: &Device, buffer: &wgpu::Buffer, bytes: u64, blocked: bool) -> (f64, f64) {
    let index = if blocked { "u * {{per}}u + t" } else { "u + t * total" }.replace("{{per}}", &PER.to_string());
    let wgsl = compose(
        ROOF,
        &[("per", &PER.to_string()), ("layout", if blocked { "blocked" } else { "strided" }), ("index", &index)],
    );
    let d = device.wgpu_device();
    let module = d.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("reduce roof"),
        source: wgpu::ShaderSource::Wgsl(wgsl.into()),
    });
    let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("reduce roof"),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let sink = device.create_buffer("sink", 16, wgpu::BufferUsages::STORAGE, false).unwrap();
    let max = device.limits().max_storage_buffer_binding_size / 256 * 256;
    let mut groups = Vec::new();
    let mut at = 0;
    while at < bytes {
        let size = (bytes - at).min(max);
        let n4 = (size / 16) as u32;
        let (gx, gy) = grid_2d(n4.div_ceil(256 * PER), device.limits().max_compute_workgroups_per_dimension);
        let params = [n4, gx * 256, 0, 0];
        let uniform = d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytemuck::cast_slice(&params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let group = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer,
                        offset: at,
                        size: wgpu::BufferSize::new(size),
                    }),
                },
                wgpu::BindGroupEntry { binding: 1, resource: sink.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: uniform.as_entire_binding() },
            ],
        });
        groups.push((group, gx, gy));
        at += size;
    }
    best(device, 5, |encoder| {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        for (group, gx, gy) in &groups {
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(*gx, *gy, 1);
        }
    })
}

#[test]
#[ignore = "prints timings; run with --ignored --nocapture"]
fn reductions_beside_the_read_roof() {
    let device = Device::new().expect("an adapter");
    println!("{}", device.info());
    let n: usize = 64 << 20;
    let bytes = (n * 4) as u64;
    let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
    let input = device.create_buffer("input", bytes, usage, false).unwrap();
    let ones: Vec<f32> = vec![1.0; 1 << 20];
    for k in 0..(n >> 20) as u64 {
        device.wgpu_queue().write_buffer(&input, k << 22, bytemuck::cast_slice(&ones));
    }
    let out = device.create_buffer("out", 1 << 16, wgpu::BufferUsages::STORAGE, false).unwrap();
    let side = 4096usize;
    let square = (side * side * 4) as u64;
    println!("{:<28} {:>8} {:>8} {:>6} {:>8} {:>8} {:>6}", "f32", "ms", "roof ms", "ratio", "cpu ms", "roof", "ratio");
    let cases: [(&str, ReduceView<'_>, u64); 3] = [
        ("sum_all 64M", ReduceView::contiguous(&input, 1, n, 1), bytes),
        ("sum last dim [4096, 4096]", ReduceView::contiguous(&input, side, side, 1), square),
        ("sum first dim [4096, 4096]", ReduceView::contiguous(&input, 1, side, side), square),
    ];
    for (name, view, b) in cases {
        let (t, tc) = best_reduce(&device, 5, ReduceOp::Sum, DType::F32, &view, &out);
        let ((r1, c1), (r2, c2)) = (roof(&device, &input, b, true), roof(&device, &input, b, false));
        let (r, rc) = (r1.min(r2), c1.min(c2));
        println!(
            "{name:<28} {:>8.2} {:>8.2} {:>6.2} {:>8.2} {:>8.2} {:>6.2}",
            t * 1e3,
            r * 1e3,
            r / t,
            tc * 1e3,
            rc * 1e3,
            rc / tc
        );
    }
    let view = ReduceView::contiguous(&input, side, side, 1);
    for (op, dtype) in [(ReduceOp::Max, DType::F32), (ReduceOp::ArgMax, DType::F32), (ReduceOp::Sum, DType::I32)] {
        let (t, tc) = best_reduce(&device, 3, op, dtype, &view, &out);
        println!("{:<28} {:>8.2} {:>24.2}", format!("{} {dtype} last dim", op.name()), t * 1e3, tc * 1e3);
    }
}
