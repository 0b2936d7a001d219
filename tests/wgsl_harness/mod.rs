//! Runs one WGSL routine over many inputs on the shared test device, so each routine of `shaders/lib/` can be
//! checked bit for bit against its host oracle on its own, before any kernel family uses it.
//!
//! Every value travels as its bits in a `vec2<u32>` (lo, hi): a 32-bit value has `hi = 0`. The routine is named by a
//! WGSL expression over `a`, `b` and `c` (three `vec2<u32>` operands) that yields a `vec2<u32>`, for example
//! `vec2<u32>(f32_div(a.x, b.x), 0u)` or `u64_mul(a, b)`.
//!
//! ```ignore
//! let out = wgsl_harness::run(&libs, "u64_mul(a, b)", &a, &b, &[]);
//! // Several routines over the same operands, compiled and dispatched once: one output vector per expression.
//! let outs = wgsl_harness::run_many_on(wgsl_harness::gl(), &libs, &["u64_add(a, b)", "u64_sub(a, b)"], &a, &b, &[]);
//! ```
//!
//! For costs (ignored tests that print, never assert): [`Timed`] / [`print_costs`] time expressions on resident
//! operands, and [`spirv_instructions`] counts the static SPIR-V an expression reaches.

#![allow(dead_code)]

use std::sync::OnceLock;

use wgpu::util::DeviceExt;
use wgpu_tensor::{Device, DeviceOptions};

/// The default device, opened once per test binary.
pub fn device() -> &'static Device {
    static D: OnceLock<Device> = OnceLock::new();
    D.get_or_init(|| Device::new().unwrap_or_else(|e| panic!("no adapter: {e}")))
}

/// The portable device (`native_extensions: false`).
pub fn portable() -> &'static Device {
    static D: OnceLock<Device> = OnceLock::new();
    D.get_or_init(|| {
        Device::with_options(DeviceOptions { native_extensions: false, ..Default::default() })
            .unwrap_or_else(|e| panic!("no adapter: {e}"))
    })
}

/// The GL backend (llvmpipe through EGL on headless Linux).
pub fn gl() -> &'static Device {
    static D: OnceLock<Device> = OnceLock::new();
    D.get_or_init(|| {
        Device::with_options(DeviceOptions { backends: wgpu::Backends::GL, ..Default::default() })
            .unwrap_or_else(|e| panic!("no GL adapter: {e}"))
    })
}

const WORKGROUP: u32 = 64;
/// Output values per dispatch (keeps every binding far below 128 MiB and the grid small).
const BATCH: usize = 1 << 20;

/// Evaluates `expr` (a WGSL expression over `a`, `b`, `c`: `vec2<u32>`) once per element on the default device.
/// `b` and `c` may be empty (then they read as zero); otherwise they have `a`'s length.
pub fn run(libs: &str, expr: &str, a: &[[u32; 2]], b: &[[u32; 2]], c: &[[u32; 2]]) -> Vec<[u32; 2]> {
    run_on(device(), libs, expr, a, b, c)
}

/// [`run`] on a chosen device.
pub fn run_on(
    device: &Device,
    libs: &str,
    expr: &str,
    a: &[[u32; 2]],
    b: &[[u32; 2]],
    c: &[[u32; 2]],
) -> Vec<[u32; 2]> {
    run_many_on(device, libs, &[expr], a, b, c).pop().unwrap_or_default()
}

/// Evaluates every expression of `exprs` once per element in one compiled module (cheaper than one [`run_on`] per
/// expression: a module compiles once); returns one output vector per expression, in order.
pub fn run_many_on(
    device: &Device,
    libs: &str,
    exprs: &[&str],
    a: &[[u32; 2]],
    b: &[[u32; 2]],
    c: &[[u32; 2]],
) -> Vec<Vec<[u32; 2]>> {
    assert!(b.is_empty() || b.len() == a.len(), "b must be empty or as long as a");
    assert!(c.is_empty() || c.len() == a.len(), "c must be empty or as long as a");
    let k = exprs.len();
    let wgsl = module_source(libs, exprs);
    let pipeline = pipeline(device, &wgsl, &exprs.join("; "));
    let mut result = vec![Vec::with_capacity(a.len()); k];
    let batch = (BATCH / k.max(1)).max(1);
    for start in (0..a.len()).step_by(batch) {
        let end = (start + batch).min(a.len());
        let slice = |v: &[[u32; 2]]| if v.is_empty() { vec![[0u32; 2]] } else { v[start..end].to_vec() };
        let out = dispatch(device, &pipeline, &slice(a), &slice(b), &slice(c), [end - start, b.len(), c.len()], k);
        for (j, r) in result.iter_mut().enumerate() {
            r.extend(out.iter().skip(j).step_by(k));
        }
    }
    result
}

/// The WGSL module evaluating `exprs` into `out[i * k + j]`.
fn module_source(libs: &str, exprs: &[&str]) -> String {
    let k = exprs.len();
    let evals: String = exprs
        .iter()
        .enumerate()
        .map(|(j, e)| {
            format!("fn harness_eval{j}(a: vec2<u32>, b: vec2<u32>, c: vec2<u32>) -> vec2<u32> {{ return {e}; }}\n")
        })
        .collect();
    let stores: String =
        (0..k).map(|j| format!("    out[i * {k}u + {j}u] = harness_eval{j}(in_a[i], b, c);\n")).collect();
    let wgsl = format!(
        "{libs}\n\
         @group(0) @binding(0) var<storage, read> in_a: array<vec2<u32>>;\n\
         @group(0) @binding(1) var<storage, read> in_b: array<vec2<u32>>;\n\
         @group(0) @binding(2) var<storage, read> in_c: array<vec2<u32>>;\n\
         @group(0) @binding(3) var<storage, read_write> out: array<vec2<u32>>;\n\
         @group(0) @binding(4) var<uniform> n: vec4<u32>;\n\
         {evals}\
         @compute @workgroup_size({WORKGROUP})\n\
         fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{\n\
             let i = gid.x;\n\
             if i >= n.x {{ return; }}\n\
             let b = select(vec2<u32>(0u), in_b[i], n.y != 0u);\n\
             let c = select(vec2<u32>(0u), in_c[i], n.z != 0u);\n\
         {stores}\
         }}\n"
    );
    wgsl
}

/// Compiles a module; invalid WGSL panics with wgpu's message.
fn pipeline(device: &Device, wgsl: &str, label: &str) -> wgpu::ComputePipeline {
    let d = device.wgpu_device();
    let scope = d.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = d.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(wgsl.into()),
    });
    let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    if let Some(e) = pollster::block_on(scope.pop()) {
        panic!("WGSL for `{label}` does not validate: {e}");
    }
    pipeline
}

/// One expression compiled and bound to resident operands, for timing (ignored tests that print costs; never
/// asserted).
pub struct Timed {
    pipeline: wgpu::ComputePipeline,
    bound: Bound,
}

impl Timed {
    /// Compiles `expr` over the (at most 2^20) elements of `a` and `b` and uploads them.
    pub fn new(device: &Device, libs: &str, expr: &str, a: &[[u32; 2]], b: &[[u32; 2]]) -> Timed {
        assert!(a.len() <= BATCH && b.len() == a.len(), "at most 2^20 elements, b as long as a");
        let pipeline = pipeline(device, &module_source(libs, &[expr]), expr);
        let bound = Bound::new(device, &pipeline, a, b, &[[0u32; 2]], [a.len(), b.len(), 0], 1);
        Timed { pipeline, bound }
    }

    /// Wall seconds per dispatch: `reps` dispatches recorded in one encoder, submitted, waited for.
    pub fn seconds_per_dispatch(&self, device: &Device, reps: u32) -> f64 {
        let t = std::time::Instant::now();
        let mut encoder = device.wgpu_device().create_command_encoder(&Default::default());
        for _ in 0..reps {
            self.bound.record(&mut encoder, &self.pipeline);
        }
        device.wgpu_queue().submit(Some(encoder.finish()));
        device.wgpu_device().poll(wgpu::PollType::wait_indefinitely()).expect("poll");
        t.elapsed().as_secs_f64() / f64::from(reps)
    }
}

/// Static SPIR-V instruction count of the module evaluating `expr` (naga's SPIR-V output, before any driver
/// optimisation): the instructions of every function reachable from the entry point, each counted once however often
/// it is called (a driver that inlines duplicates them; a loop body counts once however often it runs).
pub fn spirv_instructions(libs: &str, expr: &str) -> usize {
    use wgpu::naga;
    let source = module_source(libs, &[expr]);
    let module = naga::front::wgsl::parse_str(&source).unwrap_or_else(|e| panic!("`{expr}`: {e}"));
    let info = naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&module)
        .unwrap_or_else(|e| panic!("`{expr}`: {e:?}"));
    let pipeline =
        naga::back::spv::PipelineOptions { shader_stage: naga::ShaderStage::Compute, entry_point: "main".into() };
    let words = naga::back::spv::write_vec(&module, &info, &Default::default(), Some(&pipeline))
        .unwrap_or_else(|e| panic!("`{expr}`: {e}"));
    // Instructions: word count in the high half of the first word, opcode in the low half.
    const ENTRY_POINT: u32 = 15;
    const FUNCTION: u32 = 54;
    const FUNCTION_END: u32 = 56;
    const FUNCTION_CALL: u32 = 57;
    let mut entry = 0;
    let mut sizes = std::collections::HashMap::new(); // function id -> (instructions, callees)
    let mut current: Option<(u32, usize, Vec<u32>)> = None;
    let mut at = 5;
    while at < words.len() {
        let (count, op) = ((words[at] >> 16) as usize, words[at] & 0xffff);
        match op {
            ENTRY_POINT => entry = words[at + 2],
            FUNCTION => current = Some((words[at + 2], 0, Vec::new())),
            FUNCTION_END => {
                if let Some((id, n, calls)) = current.take() {
                    sizes.insert(id, (n + 1, calls));
                }
            }
            _ => {}
        }
        if let Some((_, n, calls)) = current.as_mut() {
            *n += 1;
            if op == FUNCTION_CALL {
                calls.push(words[at + 3]);
            }
        }
        at += count.max(1);
    }
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![entry];
    let mut total = 0;
    while let Some(f) = stack.pop() {
        if seen.insert(f) {
            let (n, calls) = &sizes[&f];
            total += n;
            stack.extend(calls);
        }
    }
    total
}

/// Prints ns per element of each expression over `a`, `b` on `device` (every expression once per round, interleaved,
/// best of `rounds`, so a load change on a shared machine hits all alike) and its static SPIR-V instruction count
/// beyond the harness's own (the copy expression `a`).
pub fn print_costs(device: &Device, libs: &str, exprs: &[&str], a: &[[u32; 2]], b: &[[u32; 2]], rounds: u32) {
    let timed: Vec<Timed> = exprs.iter().map(|e| Timed::new(device, libs, e, a, b)).collect();
    let mut best = vec![f64::INFINITY; exprs.len()];
    for _ in 0..rounds {
        for (t, best) in timed.iter().zip(&mut best) {
            *best = best.min(t.seconds_per_dispatch(device, 4));
        }
    }
    let base = spirv_instructions(libs, "a");
    println!("{:<50} {:>13} {:>22}", "expression", "ns/element", "SPIR-V instructions");
    for (e, s) in exprs.iter().zip(best) {
        let n = spirv_instructions(libs, e) - base;
        println!("{e:<50} {:13.2} {n:>22}", s * 1e9 / a.len() as f64);
    }
}

/// The buffers and bind group of one dispatch.
struct Bound {
    out: wgpu::Buffer,
    group: wgpu::BindGroup,
    n: usize,
    size: u64,
}

impl Bound {
    fn new(
        device: &Device,
        pipeline: &wgpu::ComputePipeline,
        a: &[[u32; 2]],
        b: &[[u32; 2]],
        c: &[[u32; 2]],
        lens: [usize; 3],
        k: usize,
    ) -> Bound {
        let d = device.wgpu_device();
        let storage = |data: &[[u32; 2]]| {
            d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: None,
                contents: bytemuck::cast_slice(data),
                usage: wgpu::BufferUsages::STORAGE,
            })
        };
        let n = lens[0];
        let (ba, bb, bc) = (storage(a), storage(b), storage(c));
        let size = (n.max(1) * k * 8) as u64;
        let out = d.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let params = [n as u32, lens[1] as u32, lens[2] as u32, 0];
        let uniform = d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytemuck::cast_slice(&params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let group = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: ba.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: bb.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: bc.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: out.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 4, resource: uniform.as_entire_binding() },
            ],
        });
        Bound { out, group, n, size }
    }

    fn record(&self, encoder: &mut wgpu::CommandEncoder, pipeline: &wgpu::ComputePipeline) {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &self.group, &[]);
        pass.dispatch_workgroups((self.n as u32).div_ceil(WORKGROUP).max(1), 1, 1);
    }
}

fn dispatch(
    device: &Device,
    pipeline: &wgpu::ComputePipeline,
    a: &[[u32; 2]],
    b: &[[u32; 2]],
    c: &[[u32; 2]],
    lens: [usize; 3],
    k: usize,
) -> Vec<[u32; 2]> {
    let d = device.wgpu_device();
    let bound = Bound::new(device, pipeline, a, b, c, lens, k);
    let read = d.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: bound.size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = d.create_command_encoder(&Default::default());
    bound.record(&mut encoder, pipeline);
    encoder.copy_buffer_to_buffer(&bound.out, 0, &read, 0, bound.size);
    device.wgpu_queue().submit(Some(encoder.finish()));
    read.map_async(wgpu::MapMode::Read, .., |r| r.expect("map"));
    d.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
    let bytes = read.get_mapped_range(..).expect("mapped range");
    bytemuck::cast_slice::<u8, [u32; 2]>(&bytes)[..bound.n * k].to_vec()
}
