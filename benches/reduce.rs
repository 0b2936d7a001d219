//! Reduction time against a read-only roof (`shaders/reduce_roof.wgsl`): the best plain WGSL kernel on the same
//! adapter that reads the same bytes with 16-byte loads and writes nothing, bound in windows of at most one storage
//! binding — the fastest of four layouts in each run (4 or 8 vec4 per invocation blocked, 4 strided, 32 interleaved
//! across groups of 8 invocations). Also the cost of exactness: `sum_exact` beside `sum_all` on the same 64 M f32.
//!
//! ```text
//! cargo bench --bench reduce            # 9 rounds
//! cargo bench --bench reduce -- 15      # rounds
//! cargo bench --bench reduce -- first 5 # only the cases whose name contains a filter word
//! ```
//! Each round runs every contender once, interleaved (the machine is shared and noisy); a contender's time is its
//! best round, in wall-clock time and in CPU time of the process's threads (lavapipe's workers; on a shared
//! machine the wall clock also counts other processes' turns). Device times are `synchronize()` → op → `synchronize()` (kernel time plus one submit and wait); the
//! roof is its dispatches in one encoder, submitted and waited for.

#[path = "common/contest.rs"]
mod contest;

use contest::{Entry, device_op, time_round};
use rand::{Rng, SeedableRng, rngs::StdRng};
use wgpu::util::DeviceExt;
use wgpu_tensor::{Array, Device};

const N: usize = 64 << 20;
const SIDE: usize = 4096;
const ROOF: &str = include_str!("../shaders/reduce_roof.wgsl");

/// Which 16-byte words invocation `u` of a roof reads (`per` of them).
#[derive(Clone, Copy)]
enum Layout {
    /// Words u·per … u·per + per − 1.
    Blocked { per: u32 },
    /// Words u, u + total, u + 2·total, … (consecutive invocations on consecutive words).
    Strided { per: u32 },
    /// Groups of `lanes` consecutive invocations read a block of lanes·per words, invocation k of a group words
    /// k, k + lanes, k + 2·lanes, … (on lavapipe, whose SIMD batches are 8 invocations, the fastest read measured).
    Interleaved { per: u32, lanes: u32 },
}

impl Layout {
    fn per(self) -> u32 {
        match self {
            Layout::Blocked { per } | Layout::Strided { per } | Layout::Interleaved { per, .. } => per,
        }
    }

    fn name(self) -> String {
        match self {
            Layout::Blocked { per } => format!("roof blocked {per}"),
            Layout::Strided { per } => format!("roof strided {per}"),
            Layout::Interleaved { per, lanes } => format!("roof interl. {per}/{lanes}"),
        }
    }

    fn index(self) -> String {
        match self {
            Layout::Blocked { per } => format!("u * {per}u + t"),
            Layout::Strided { .. } => "u + t * total".to_string(),
            Layout::Interleaved { per, lanes } => {
                format!("(u / {lanes}u) * {}u + u % {lanes}u + t * {lanes}u", per * lanes)
            }
        }
    }
}

/// The read-only roof over `bytes` of a buffer of its own: one dispatch per window of at most one binding.
fn read_roof(device: &Device, bytes: u64, layout: Layout) -> Box<dyn FnMut()> {
    let per = layout.per();
    let wgsl = ROOF
        .replace("{{per}}", &per.to_string())
        .replace("{{layout}}", &layout.name())
        .replace("{{index}}", &layout.index());
    assert!(!wgsl.contains("{{"), "a roof placeholder survived");
    let d = device.wgpu_device().clone();
    let q = device.wgpu_queue().clone();
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
    let usage = wgpu::BufferUsages::STORAGE;
    let input = d.create_buffer(&wgpu::BufferDescriptor {
        label: Some("roof in"),
        size: bytes,
        usage,
        mapped_at_creation: false,
    });
    let sink = d.create_buffer(&wgpu::BufferDescriptor {
        label: Some("roof sink"),
        size: 16,
        usage,
        mapped_at_creation: false,
    });
    let limits = d.limits();
    let max = limits.max_storage_buffer_binding_size / 256 * 256;
    let mut groups = Vec::new();
    let mut at = 0;
    while at < bytes {
        let size = (bytes - at).min(max);
        let n4 = (size / 16) as u32;
        let workgroups = n4.div_ceil(256 * per);
        let max_dim = limits.max_compute_workgroups_per_dimension;
        let gy = workgroups.div_ceil(max_dim);
        let gx = workgroups.div_ceil(gy);
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
                        buffer: &input,
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
    Box::new(move || {
        let mut encoder = d.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("roof") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pass.set_pipeline(&pipeline);
            for (group, gx, gy) in &groups {
                pass.set_bind_group(0, group, &[]);
                pass.dispatch_workgroups(*gx, *gy, 1);
            }
        }
        q.submit([encoder.finish()]);
        d.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
    })
}

/// A case: the op at `entries[op]`, judged against the best of `entries[roof]` (the roof, or the op it is
/// compared with).
struct Case {
    name: &'static str,
    goal: Option<f64>,
    entries: Vec<Entry>,
    op: usize,
    roof: std::ops::Range<usize>,
    against: &'static str,
}

/// The roof candidates: the reference is the fastest of them in each run.
const ROOFS: [Layout; 4] = [
    Layout::Blocked { per: 4 },
    Layout::Blocked { per: 8 },
    Layout::Strided { per: 4 },
    Layout::Interleaved { per: 32, lanes: 8 },
];

fn roofs(device: &Device, bytes: u64) -> Vec<Entry> {
    ROOFS.iter().map(|&l| Entry::new(l.name(), read_roof(device, bytes, l))).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let rounds: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(9);
    let filters: Vec<&String> = args.iter().filter(|a| a.parse::<usize>().is_err()).collect();
    let want = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let device = Device::new().expect("an adapter");
    println!("adapter: {}", device.info());
    let mut rng = StdRng::seed_from_u64(10);
    let data: Vec<f32> = (0..N).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let flat = device.upload(&Array::from(data.clone())).unwrap();
    let square = device.upload(&Array::from_vec(data[..SIDE * SIDE].to_vec(), [SIDE, SIDE]).unwrap()).unwrap();
    // Sanity: the exact sum against the f64 sum (the inputs are multiples of 2^-24 below 1: the f64 sum is exact).
    let exact = flat.sum_all_exact().unwrap().download().unwrap().to_vec::<f32>().unwrap()[0];
    let f64_sum: f64 = data.iter().map(|&x| f64::from(x)).sum();
    assert_eq!(exact, f64_sum as f32, "sum_exact differs from the exact host sum");
    let tree = flat.sum_all().unwrap().download().unwrap().to_vec::<f32>().unwrap()[0];
    println!("sum of 64M in [-1, 1): exact {exact:e}, tree sum {tree:e} (f64 {f64_sum:e})");
    let bytes = (N * 4) as u64;
    let sq_bytes = (SIDE * SIDE * 4) as u64;
    let mut cases = Vec::new();
    let op = |name: &str, f: Box<dyn FnMut()>| Entry::new(name, f);
    {
        let t = flat.clone();
        let mut entries = vec![op("sum_all", device_op(&device, move || t.sum_all().unwrap()))];
        entries.extend(roofs(&device, bytes));
        cases.push(Case {
            name: "f32 sum_all 64M",
            goal: Some(0.8),
            entries,
            op: 0,
            roof: 1..1 + ROOFS.len(),
            against: "roof",
        });
    }
    for (name, dim) in [("f32 sum last dim [4096,4096]", 1), ("f32 sum first dim [4096,4096]", 0)] {
        let t = square.clone();
        let mut entries = vec![op("sum", device_op(&device, move || t.sum(&[dim], false).unwrap()))];
        entries.extend(roofs(&device, sq_bytes));
        let t = square.clone();
        entries.push(op("sum_exact", device_op(&device, move || t.sum_exact(&[dim], false).unwrap())));
        cases.push(Case { name, goal: Some(0.6), entries, op: 0, roof: 1..1 + ROOFS.len(), against: "roof" });
    }
    {
        let (t, u) = (flat.clone(), flat.clone());
        let mut entries = vec![
            op("sum_all_exact", device_op(&device, move || t.sum_all_exact().unwrap())),
            op("sum_all", device_op(&device, move || u.sum_all().unwrap())),
        ];
        entries.extend(roofs(&device, bytes));
        cases.push(Case { name: "f32 sum_all_exact 64M", goal: None, entries, op: 0, roof: 1..2, against: "sum_all" });
    }

    cases.retain(|c| want(c.name));
    // A warm-up round (pipelines compiled, pooled outputs allocated), then the timed rounds, interleaved.
    for round in 0..=rounds {
        for case in &mut cases {
            time_round(&mut case.entries, round);
        }
    }

    println!("best of {rounds} interleaved rounds; ratio = reference time / contender time (1 = the reference)");
    println!("(cpu: CPU time of the process's threads, less disturbed by other processes on a shared machine)");
    println!(
        "{:<32} {:<18} {:>9} {:>8} {:>7} {:>8} {:>7}",
        "case", "contender", "ms", "GB/s", "ratio", "cpu ms", "ratio"
    );
    let mut summary = Vec::new();
    for case in &cases {
        let reference = case.roof.clone().map(|k| case.entries[k].best).fold(f64::MAX, f64::min);
        let reference_cpu = case.roof.clone().map(|k| case.entries[k].cpu).fold(f64::MAX, f64::min);
        let case_bytes = if case.name.contains("4096") { sq_bytes } else { bytes };
        for e in &case.entries {
            let gbs = case_bytes as f64 / e.best / 1e9;
            println!(
                "{:<32} {:<18} {:>9.2} {:>8.2} {:>7.2} {:>8.2} {:>7.2}",
                case.name,
                e.name,
                e.best * 1e3,
                gbs,
                reference / e.best,
                e.cpu * 1e3,
                reference_cpu / e.cpu
            );
        }
        let ratio = reference / case.entries[case.op].best;
        let cpu_ratio = reference_cpu / case.entries[case.op].cpu;
        let line = match case.goal {
            Some(goal) => {
                let met = if ratio >= goal { "met" } else { "NOT met" };
                format!(
                    "{:<32} {ratio:>5.2}x of the {} (goal >= {goal}x): {met}; in CPU time {cpu_ratio:.2}x",
                    case.name, case.against
                )
            }
            None => format!(
                "{:<32} {ratio:>5.3}x of the {} ({:.1}x its time; in CPU time {:.1}x)",
                case.name,
                case.against,
                1.0 / ratio,
                1.0 / cpu_ratio
            ),
        };
        summary.push(line);
    }
    println!();
    for s in summary {
        println!("{s}");
    }
}
