//! The vectorised bandwidth roof (`shaders/bench_roof.wgsl`): for an op that reads `inputs[k]` bytes per element
//! from each operand and writes `out` bytes per element, the best plain WGSL kernel moving the same bytes — whole
//! vec4<u32> loads and stores, `vec4s` vec4 words of the narrowest stream per invocation, trivial work (an xor).
//!
//! Plain wgpu only (no crate internals), so the benches and the crate's ignored throughput test
//! (`src/cast/throughput.rs`, through `#[path]`) share one composer.

#![allow(dead_code)]

use std::fmt::Write as _;

const TEMPLATE: &str = include_str!("../../shaders/bench_roof.wgsl");

/// Invocations per workgroup of the roof kernels.
pub const ROOF_WORKGROUP_SIZE: u32 = 64;

/// The bytes a roof moves per element and how many vec4 words of the narrowest stream one invocation moves.
#[derive(Clone, Debug)]
pub struct RoofShape {
    /// Bytes per element read from each input stream (1, 2, 4 or 8).
    pub inputs: Vec<u32>,
    /// Bytes per element written.
    pub out: u32,
    /// vec4 words of the narrowest stream per invocation (1, 2 or 4).
    pub vec4s: u32,
    /// 1: invocation u moves words u·w … u·w + w − 1 of each stream (w its words per invocation). L > 1: groups of
    /// L consecutive invocations move a block of L·w words, invocation k of a group words k, k + L, k + 2L, … (on
    /// lavapipe, whose SIMD batches are 8 invocations, such reads measured faster than blocked ones).
    pub interleave: u32,
    /// WGSL statements run on `acc` (the xor of the loaded words plus the word's index) before each store, so once
    /// per stored element: empty for the pure roof, e.g. a built-in function to time beside it.
    pub work: &'static str,
}

impl RoofShape {
    fn narrowest(&self) -> u32 {
        self.inputs.iter().copied().chain([self.out]).min().unwrap_or(4)
    }

    /// The index of word `v` (of `w` per invocation) of invocation `u`.
    fn word(&self, w: u32, v: u32) -> String {
        match self.interleave {
            1 => format!("u * {w}u + {v}u"),
            l => format!("(u / {l}u) * {}u + u % {l}u + {}u", l * w, v * l),
        }
    }

    /// Elements per invocation: `vec4s` vec4 words of the narrowest stream.
    pub fn per_invocation(&self) -> u32 {
        self.vec4s * 16 / self.narrowest()
    }

    /// vec4 words per invocation of a stream of `bytes` per element.
    fn words(&self, bytes: u32) -> u32 {
        self.per_invocation() * bytes / 16
    }

    /// The composed WGSL module.
    pub fn wgsl(&self) -> String {
        let mut bindings = String::new();
        let mut loads = String::new();
        for (k, &b) in self.inputs.iter().enumerate() {
            let binding = k + 2;
            writeln!(bindings, "@group(0) @binding({binding}) var<storage, read> in{k}: array<vec4<u32>>;").ok();
            let w = self.words(b);
            for v in 0..w {
                writeln!(loads, "    acc ^= in{k}[{}];", self.word(w, v)).ok();
            }
        }
        let wo = self.words(self.out);
        let mut stores = String::new();
        for v in 0..wo {
            if self.work.is_empty() {
                writeln!(stores, "    out[{}] = acc + vec4<u32>({v}u);", self.word(wo, v)).ok();
            } else {
                // The work runs on every stored word, so a built-in runs once per element as the op does.
                writeln!(
                    stores,
                    "    {{\n        var acc = acc + vec4<u32>({v}u);\n        {}\n        out[{}] = acc;\n    }}",
                    self.work,
                    self.word(wo, v)
                )
                .ok();
            }
        }
        let ins: Vec<String> = self.inputs.iter().map(|b| format!("{b} B")).collect();
        let summary = format!("{} in, {} B out", ins.join(" + "), self.out);
        let mut wgsl = TEMPLATE.to_string();
        for (name, value) in [
            ("summary", summary),
            ("vec4s", self.vec4s.to_string()),
            ("workgroup_size", ROOF_WORKGROUP_SIZE.to_string()),
            ("input_bindings", bindings),
            ("loads", loads),
            ("stores", stores),
        ] {
            wgsl = wgsl.replace(&format!("{{{{{name}}}}}"), &value);
        }
        assert!(!wgsl.contains("{{"), "a roof placeholder survived");
        wgsl
    }
}

/// A roof kernel with its buffers for `n` elements, ready to dispatch into a warm output.
pub struct Roof {
    pub shape: RoofShape,
    pipeline: wgpu::ComputePipeline,
    group: wgpu::BindGroup,
    groups: (u32, u32),
    params: wgpu::Buffer,
    inputs: Vec<wgpu::Buffer>,
    out: wgpu::Buffer,
}

impl Roof {
    /// Compiles the roof of `shape` and allocates its inputs and output for `n` elements (padded to whole
    /// invocations).
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue, shape: RoofShape, n: u64) -> Roof {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("roof"),
            source: wgpu::ShaderSource::Wgsl(shape.wgsl().into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("roof"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let e = u64::from(shape.per_invocation());
        let invocations = n.div_ceil(e).next_multiple_of(u64::from(shape.interleave.max(1)));
        let buffer = |bytes: u32, usage| {
            let size = (invocations * u64::from(shape.words(bytes)) * 16).max(16);
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("roof"),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        let inputs: Vec<wgpu::Buffer> = shape.inputs.iter().map(|&b| buffer(b, wgpu::BufferUsages::STORAGE)).collect();
        let out = buffer(shape.out, wgpu::BufferUsages::STORAGE);
        let workgroups = invocations.div_ceil(u64::from(ROOF_WORKGROUP_SIZE)) as u32;
        let max = device.limits().max_compute_workgroups_per_dimension;
        let gy = workgroups.div_ceil(max);
        let groups = (workgroups.div_ceil(gy), gy);
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("roof params"),
            size: 16,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let words = [invocations as u32, groups.0 * ROOF_WORKGROUP_SIZE, 0, 0];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        queue.write_buffer(&params, 0, &bytes);
        let mut entries = vec![
            wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 1, resource: out.as_entire_binding() },
        ];
        for (k, b) in inputs.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry { binding: k as u32 + 2, resource: b.as_entire_binding() });
        }
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("roof"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        Roof { shape, pipeline, group, groups, params, inputs, out }
    }

    /// One dispatch into the warm output, submitted and waited for.
    pub fn run(&self, device: &wgpu::Device, queue: &wgpu::Queue) {
        self.dispatch(device, queue, &self.group);
    }

    /// One dispatch into a newly allocated output buffer (as an op allocates its result), submitted and waited for.
    pub fn run_fresh(&self, device: &wgpu::Device, queue: &wgpu::Queue) {
        let out = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("roof output"),
            size: self.out.size(),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut entries = vec![
            wgpu::BindGroupEntry { binding: 0, resource: self.params.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 1, resource: out.as_entire_binding() },
        ];
        for (k, b) in self.inputs.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry { binding: k as u32 + 2, resource: b.as_entire_binding() });
        }
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("roof"),
            layout: &self.pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        self.dispatch(device, queue, &group);
    }

    fn dispatch(&self, device: &wgpu::Device, queue: &wgpu::Queue, group: &wgpu::BindGroup) {
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("roof") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(self.groups.0, self.groups.1, 1);
        }
        queue.submit([encoder.finish()]);
        device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
    }
}
