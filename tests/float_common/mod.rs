//! Shared pieces of the float routine tests (`wgsl_lib_f32`, `wgsl_lib_f16`, `wgsl_lib_transcendental`): the WGSL
//! composition of the float libraries, operand generators and the ULP measure.

#![allow(dead_code)]

use crate::wgsl_harness;
use wgpu_tensor::Device;

const U64: &str = include_str!("../../shaders/lib/u64.wgsl");
const ROUND_PACK: &str = include_str!("../../shaders/lib/round_pack.wgsl");
const CONVERT: &str = include_str!("../../shaders/lib/convert.wgsl");
const F32_ARITH: &str = include_str!("../../shaders/lib/f32_arith.wgsl");
const F32_MATH: &str = include_str!("../../shaders/lib/f32_math.wgsl");
const F32_POW: &str = include_str!("../../shaders/lib/f32_pow.wgsl");
const HALF_ARITH: &str = include_str!("../../shaders/lib/half_arith.wgsl");

/// The float libraries composed into one module prefix, plus `extra` (test-only dispatch functions).
pub fn libs(extra: &str) -> String {
    format!(
        "{U64}\n{ROUND_PACK}\n{CONVERT}\nfn mark_lossy(lossy: bool) {{}}\n{F32_ARITH}\n{F32_MATH}\n\
         {F32_POW}\n{HALF_ARITH}\n{extra}"
    )
}

/// Runs the WGSL function `fn_name(op: u32, a: u32, b: u32) -> u32` (defined in `extra`) for every op of `ops` over
/// every pair (a[i], b[i]) on `device`; returns one output vector per op.
pub fn run_ops(device: &Device, extra: &str, fn_name: &str, ops: &[u32], a: &[u32], b: &[u32]) -> Vec<Vec<u32>> {
    assert_eq!(a.len(), b.len());
    let n = a.len();
    let mut wa = Vec::with_capacity(n * ops.len());
    let mut wb = Vec::with_capacity(n * ops.len());
    let mut wc = Vec::with_capacity(n * ops.len());
    for &op in ops {
        wa.extend(a.iter().map(|&v| [v, 0]));
        wb.extend(b.iter().map(|&v| [v, 0]));
        wc.extend(std::iter::repeat_n([op, 0], n));
    }
    let expr = format!("vec2<u32>({fn_name}(c.x, a.x, b.x), 0u)");
    let out = wgsl_harness::run_on(device, &libs(extra), &expr, &wa, &wb, &wc);
    out.chunks(n.max(1)).map(|c| c.iter().map(|w| w[0]).collect()).collect()
}

/// A xorshift64* generator (deterministic, no dependency).
pub struct Rng(u64);

impl Rng {
    /// A generator from a nonzero seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// f32 edge values: zeros, ones, the normal/subnormal boundary, subnormals, MAX, infinities, NaN payloads, values
/// next to powers of two, both signs.
pub fn f32_edges() -> Vec<u32> {
    let pos = [
        0u32,
        0x3f80_0000,
        0x0080_0000,
        0x0080_0001,
        0x007f_ffff,
        1,
        2,
        3,
        0x0040_0000,
        0x0000_ffff,
        0x7f7f_ffff,
        0x7f7f_fffe,
        0x7f80_0000,
        0x7fc0_0000,
        0x7f80_0001,
        0x7fc1_2345,
        0x7fff_ffff,
        0x4000_0000,
        0x3f00_0000,
        0x4040_0000,
        0x3fc0_0000,
        0x3f80_0001,
        0x3f7f_ffff,
        0x4b80_0000,
        0x4b80_0001,
        0x3400_0000,
        0x3380_0000,
        0x0100_0000,
        0x7e80_0000,
        0x0d80_0000,
        0x3eaa_aaab,
        0x4049_0fdb,
    ];
    pos.iter().flat_map(|&p| [p, p | 0x8000_0000]).collect()
}

/// Random f32 bit patterns of several kinds: uniform bits, values near 1, subnormals and the smallest normals,
/// values below 2 in magnitude.
pub fn f32_random(rng: &mut Rng, n: usize) -> Vec<u32> {
    (0..n)
        .map(|i| match i % 4 {
            0 => rng.next_u32(),
            1 => rng.next_u32() & 0x807f_ffff | ((rng.next_u32() % 40 + 107) << 23), // near 1
            2 => rng.next_u32() & 0x80ff_ffff, // subnormal or the smallest normals
            _ => rng.next_u32() & 0xbfff_ffff, // |x| < 2
        })
        .collect()
}

/// Pairs (a, b) for binary ops: random operands, operands with nearby exponents (cancellation, ties), products and
/// quotients landing near or below the subnormal range, and all pairs of edge values.
pub fn f32_pairs(n: usize, seed: u64) -> (Vec<u32>, Vec<u32>) {
    let mut rng = Rng::new(seed);
    let mut a = Vec::with_capacity(n);
    let mut b = Vec::with_capacity(n);
    let edges = f32_edges();
    for &x in &edges {
        for &y in &edges {
            a.push(x);
            b.push(y);
        }
    }
    while a.len() < n {
        let x = rng.next_u32();
        let ex = (x >> 23) & 0xff;
        let kind = rng.next_u32() % 6;
        let y = match kind {
            0 => rng.next_u32(),
            // An exponent within a few of x's: cancellation and round-to-even ties in add/sub.
            1 => {
                let e = (ex as i32 + (rng.next_u32() % 30) as i32 - 15).clamp(0, 254) as u32;
                rng.next_u32() & 0x807f_ffff | (e << 23)
            }
            // Products near the subnormal range: exponents summing to about -126.
            2 => {
                let e = (128 - ex as i32 + (rng.next_u32() % 40) as i32 - 20).clamp(0, 254);
                rng.next_u32() & 0x807f_ffff | ((e as u32) << 23)
            }
            // Quotients near the subnormal range: b's exponent above a's by about 126.
            3 => {
                let e = (ex as i32 + 126 + (rng.next_u32() % 40) as i32 - 20).clamp(0, 254);
                rng.next_u32() & 0x807f_ffff | ((e as u32) << 23)
            }
            // Short significands: exact results and exact ties.
            4 => x & 0xffff_0000 ^ (rng.next_u32() & 0x8070_0000),
            _ => rng.next_u32() & 0x80ff_ffff,
        };
        a.push(x);
        b.push(y);
    }
    (a, b)
}

/// |ours - reference| in f32 ULPs of the reference (the spacing of f32 at the reference's magnitude, subnormal
/// spacing below MIN_POSITIVE). Infinite when one is NaN and not the other, or ours is infinite and the reference
/// does not round to that infinity; 0 when both are NaN.
pub fn ulp_error(ours: u32, reference: f64) -> f64 {
    let o = f32::from_bits(ours);
    if reference.is_nan() || o.is_nan() {
        return if reference.is_nan() && o.is_nan() { 0.0 } else { f64::INFINITY };
    }
    if o.is_infinite() {
        return if reference as f32 == o { 0.0 } else { f64::INFINITY };
    }
    if reference.is_infinite() {
        return f64::INFINITY;
    }
    let mag = reference.abs().max(f64::from(f32::MIN_POSITIVE));
    let ulp = 2f64.powi(mag.log2().floor() as i32 - 23);
    (f64::from(o) - reference).abs() / ulp
}

/// Bits printed as the f32 value and its hex pattern, for failure messages.
pub fn show(bits: u32) -> String {
    format!("{:e} ({bits:#010x})", f32::from_bits(bits))
}

/// Milliseconds per dispatch (best of `reps`, after a warm-up) of a kernel writing `out[i] = expr` for every element,
/// `expr` a WGSL expression over `a` and `b` (u32 bits read from two device-resident buffers) after `libs`. The
/// pipeline compiles once and the buffers stay on the device, so this times the kernel alone.
pub fn time_kernel(device: &Device, libs: &str, expr: &str, a: &[u32], b: &[u32], reps: usize) -> f64 {
    use wgpu::util::DeviceExt;
    const WG: u32 = 64;
    let wgsl = format!(
        "{libs}\n\
         @group(0) @binding(0) var<storage, read> in_a: array<u32>;\n\
         @group(0) @binding(1) var<storage, read> in_b: array<u32>;\n\
         @group(0) @binding(2) var<storage, read_write> out: array<u32>;\n\
         @compute @workgroup_size({WG})\n\
         fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{\n\
             let i = gid.x + gid.y * 65535u * {WG}u;\n\
             if i >= arrayLength(&out) {{ return; }}\n\
             let a = in_a[i];\n\
             let b = in_b[i];\n\
             out[i] = {expr};\n\
         }}\n"
    );
    let d = device.wgpu_device();
    let module = d.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(expr),
        source: wgpu::ShaderSource::Wgsl(wgsl.into()),
    });
    let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(expr),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let storage = |data: &[u32]| {
        d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytemuck::cast_slice(data),
            usage: wgpu::BufferUsages::STORAGE,
        })
    };
    let (ba, bb) = (storage(a), storage(b));
    let out = d.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: (a.len() * 4) as u64,
        usage: wgpu::BufferUsages::STORAGE,
        mapped_at_creation: false,
    });
    let group = d.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry { binding: 0, resource: ba.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 1, resource: bb.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 2, resource: out.as_entire_binding() },
        ],
    });
    let groups = (a.len() as u32).div_ceil(WG);
    let (gx, gy) = (groups.min(65535), groups.div_ceil(65535));
    let run = || {
        let mut encoder = d.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &group, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
        }
        let t = std::time::Instant::now();
        device.wgpu_queue().submit(Some(encoder.finish()));
        d.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
        t.elapsed().as_secs_f64() * 1e3
    };
    run();
    (0..reps).map(|_| run()).fold(f64::INFINITY, f64::min)
}

// ---- Input generators of the transcendental measurements (wgsl_lib_transcendental, elementwise). ----

/// Magnitudes spread log-uniformly over [2^lo, 2^hi), random sign.
pub fn log_spread(rng: &mut Rng, lo: f64, hi: f64) -> u32 {
    let m = rng.uniform(lo, hi).exp2() as f32;
    m.to_bits() | (rng.next_u32() & 0x8000_0000)
}

/// Uniform f32 bits in [lo, hi).
pub fn uniform(rng: &mut Rng, lo: f64, hi: f64) -> u32 {
    (rng.uniform(lo, hi) as f32).to_bits()
}

/// Inputs for exp: the whole range that does not overflow, small magnitudes, subnormal results.
pub fn exp_inputs(rng: &mut Rng, n: usize) -> Vec<u32> {
    (0..n)
        .map(|i| match i % 3 {
            0 => uniform(rng, -104.0, 89.0),
            1 => log_spread(rng, -30.0, 6.7),
            _ => uniform(rng, -104.0, -85.0), // subnormal results
        })
        .collect()
}

/// Inputs for log: every positive finite magnitude, and values near 1.
pub fn log_inputs(rng: &mut Rng, n: usize) -> Vec<u32> {
    (0..n).map(|i| if i % 2 == 0 { rng.next_u32() % 0x7f80_0000 } else { uniform(rng, 0.5, 2.0) }).collect()
}

/// Inputs for sin and cos: small, up to 1e5, the whole finite range, log-spread, next to multiples of pi/2.
pub fn trig_inputs(rng: &mut Rng, n: usize) -> Vec<u32> {
    (0..n)
        .map(|i| match i % 5 {
            0 => uniform(rng, -10.0, 10.0),
            1 => uniform(rng, -1e5, 1e5),
            2 => (rng.next_u32() % 0x7f80_0000) | (rng.next_u32() & 0x8000_0000), // the whole finite range
            3 => log_spread(rng, -20.0, 20.0),
            _ => {
                // Next to multiples of pi/2: the hardest reductions.
                let k = (rng.next_u32() % 2_000_000) as f64;
                let x = (k * std::f64::consts::FRAC_PI_2) as f32;
                x.to_bits().wrapping_add(rng.next_u32() % 5).wrapping_sub(2)
            }
        })
        .collect()
}

/// Inputs for tanh: up to saturation, and log-spread small magnitudes.
pub fn tanh_inputs(rng: &mut Rng, n: usize) -> Vec<u32> {
    (0..n).map(|i| if i % 2 == 0 { uniform(rng, -12.0, 12.0) } else { log_spread(rng, -30.0, 4.5) }).collect()
}

/// Inputs for sigmoid: from underflow to saturation, and log-spread magnitudes.
pub fn sigmoid_inputs(rng: &mut Rng, n: usize) -> Vec<u32> {
    (0..n).map(|i| if i % 2 == 0 { uniform(rng, -110.0, 30.0) } else { log_spread(rng, -30.0, 6.8) }).collect()
}

/// Inputs for gelu: the interesting range, log-spread magnitudes, the whole finite range.
pub fn gelu_inputs(rng: &mut Rng, n: usize) -> Vec<u32> {
    (0..n)
        .map(|i| match i % 3 {
            0 => uniform(rng, -15.0, 15.0),
            1 => log_spread(rng, -30.0, 4.0),
            _ => (rng.next_u32() % 0x7f80_0000) | (rng.next_u32() & 0x8000_0000),
        })
        .collect()
}

/// pow operands: x over the whole positive range with y such that |y log2 x| <= 140 (results across the whole
/// range, subnormals included), x next to 1 with large y, negative x with integral y, small integral powers, and
/// random bit patterns (special values, overflow, underflow).
pub fn pow_inputs(rng: &mut Rng, n: usize) -> (Vec<u32>, Vec<u32>) {
    let mut a = Vec::with_capacity(n);
    let mut b = Vec::with_capacity(n);
    for i in 0..n {
        let (x, y) = match i % 5 {
            0 => {
                let x = f32::from_bits(rng.next_u32() % 0x7f80_0000);
                let l = f64::from(x).log2();
                let y = if l == 0.0 { rng.uniform(-10.0, 10.0) } else { rng.uniform(-140.0, 140.0) / l };
                (x, y as f32)
            }
            1 => {
                let x = f32::from_bits(0x3f80_0000u32.wrapping_add(rng.next_u32() % 2000).wrapping_sub(1000));
                let l = f64::from(x).log2();
                let y = if l == 0.0 { 3.0 } else { rng.uniform(-140.0, 140.0) / l };
                (x, y as f32)
            }
            2 => (-rng.uniform(0.1, 10.0) as f32, (rng.next_u32() % 81) as f32 - 40.0),
            3 => (rng.uniform(-100.0, 100.0) as f32, (rng.next_u32() % 7) as f32 - 2.0),
            _ => (f32::from_bits(rng.next_u32()), f32::from_bits(rng.next_u32())),
        };
        a.push(x.to_bits());
        b.push(y.to_bits());
    }
    (a, b)
}
