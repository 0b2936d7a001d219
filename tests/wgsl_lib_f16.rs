//! f16 and bf16 arithmetic of `shaders/lib/half_arith.wgsl` (computed in f32 by `f32_arith.wgsl`, rounded once)
//! bit for bit against the same computation on the host with `half` (`f16::from_f32(a.to_f32() op b.to_f32())`,
//! which rounds once): every input for the unary ops, 10^6 random pairs plus all pairs of edge values for the binary
//! ones. The transcendentals (f32 routines of `f32_math.wgsl`, rounded once to the half) on every input, within
//! 0.51 half ULP of the exact f64 value (at most 2 f32 ULP before the one rounding), pow on 10^6 pairs likewise.

mod float_common;
mod wgsl_harness;

use float_common::{Rng, run_ops};
use half::{bf16, f16};
use wgpu_tensor::Device;

/// Test dispatch: op = format * 100 + routine; format 0 is f16 (10 mantissa, 5 exponent bits), 1 is bf16 (7, 8).
const OPS: &str = "
fn test_half_op(op: u32, a: u32, b: u32) -> u32 {
    let m = select(10u, 7u, op >= 100u);
    let e = select(5u, 8u, op >= 100u);
    let x = half_widen(a, m, e);
    let y = half_widen(b, m, e);
    var r = 0u;
    switch op % 100u {
        case 0u: { r = f32_add(x, y); }
        case 1u: { r = f32_sub(x, y); }
        case 2u: { r = f32_mul(x, y); }
        case 3u: { r = f32_div(x, y); }
        case 4u: { r = f32_minimum(x, y); }
        case 5u: { r = f32_maximum(x, y); }
        case 6u: {
            return select(0u, 1u, f32_eq(x, y)) | select(0u, 2u, f32_ne(x, y)) | select(0u, 4u, f32_lt(x, y))
                | select(0u, 8u, f32_le(x, y));
        }
        case 7u: { r = f32_rem(x, y); }
        case 10u: { r = f32_sqrt(x); }
        case 11u: { r = f32_floor(x); }
        case 12u: { r = f32_ceil(x); }
        case 13u: { r = f32_trunc(x); }
        case 14u: { r = f32_round(x); }
        case 15u: { r = f32_neg(x); }
        case 16u: { r = f32_abs(x); }
        case 17u: { r = f32_sign(x); }
        case 18u: { return select(0u, 1u, f32_is_nan(x)) | select(0u, 2u, f32_is_inf(x)); }
        case 19u: { return x; }
        case 20u: { r = f32_exp(x); }
        case 21u: { r = f32_log(x); }
        case 22u: { r = f32_sin(x); }
        case 23u: { r = f32_cos(x); }
        case 24u: { r = f32_tanh(x); }
        case 25u: { r = f32_sigmoid(x); }
        case 26u: { r = f32_gelu(x); }
        case 27u: { r = f32_pow(x, y); }
        default: {}
    }
    return half_narrow(r, m, e);
}
";

const BINARY: [u32; 8] = [0, 1, 2, 3, 4, 5, 6, 7];
const UNARY: [u32; 10] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];

/// A 16-bit float format on the host: to and from f32 (rounding once, to nearest even).
#[derive(Clone, Copy)]
struct Format {
    name: &'static str,
    code: u32,
    to_f32: fn(u16) -> f32,
    from_f32: fn(f32) -> u16,
}

const F16: Format =
    Format { name: "f16", code: 0, to_f32: |b| f16::from_bits(b).to_f32(), from_f32: |x| f16::from_f32(x).to_bits() };
const BF16: Format = Format {
    name: "bf16",
    code: 100,
    to_f32: |b| bf16::from_bits(b).to_f32(),
    from_f32: |x| bf16::from_f32(x).to_bits(),
};

/// IEEE 754-2019 minimum/maximum on f32 values.
fn min_max(a: f32, b: f32, max: bool) -> f32 {
    if a.is_nan() || b.is_nan() {
        return f32::NAN;
    }
    if a == 0.0 && b == 0.0 {
        let neg = if max {
            a.is_sign_negative() && b.is_sign_negative()
        } else {
            a.is_sign_negative() || b.is_sign_negative()
        };
        return if neg { -0.0 } else { 0.0 };
    }
    if (a < b) != max { a } else { b }
}

/// The host result (16-bit pattern, or flags for op 6 and 18, or f32 bits for op 19).
fn oracle(f: Format, op: u32, a: u16, b: u16) -> u32 {
    let (x, y) = ((f.to_f32)(a), (f.to_f32)(b));
    let r = match op {
        0 => x + y,
        1 => x - y,
        2 => x * y,
        3 => x / y,
        4 => min_max(x, y, false),
        5 => min_max(x, y, true),
        7 => x % y,
        6 => return u32::from(x == y) | u32::from(x != y) << 1 | u32::from(x < y) << 2 | u32::from(x <= y) << 3,
        10 => x.sqrt(),
        11 => x.floor(),
        12 => x.ceil(),
        13 => x.trunc(),
        14 => x.round_ties_even(),
        15 => -x,
        16 => x.abs(),
        17 if x.is_nan() || x == 0.0 => x,
        17 => x.signum(),
        18 => return u32::from(x.is_nan()) | u32::from(x.is_infinite()) << 1,
        _ => return x.to_bits(),
    };
    u32::from((f.from_f32)(r))
}

fn check(f: Format, op: u32, a: u16, b: u16, ours: u32, name: &str) {
    let expected = oracle(f, op, a, b);
    let nan = match op {
        6 | 18 => false,
        19 => f32::from_bits(expected).is_nan(),
        _ => (f.to_f32)(expected as u16).is_nan(),
    };
    let ok = if nan {
        if op == 19 { f32::from_bits(ours).is_nan() } else { (f.to_f32)(ours as u16).is_nan() && ours >> 16 == 0 }
    } else {
        ours == expected
    };
    assert!(ok, "{name} {} op {op}: {a:#06x}, {b:#06x} gave {ours:#x} expected {expected:#x}", f.name);
}

/// Edge patterns of a 16-bit format with `m` mantissa bits: zeros, ones, subnormals, MAX, inf, NaNs, both signs.
fn edges(m: u32) -> Vec<u16> {
    let e_bits = 15 - m;
    let exp_max = (1u32 << e_bits) - 1;
    let one = ((exp_max >> 1) << m) as u16;
    let inf = (exp_max << m) as u16;
    let pos = [
        0u16,
        1,
        2,
        3,
        (1 << m) - 1,
        1 << m,
        (1 << m) + 1,
        one,
        one + 1,
        one - 1,
        inf - 1,
        inf,
        inf + 1,
        inf | 1 << (m - 1),
        0x7fff,
        one + (1 << m),
    ];
    pos.iter().flat_map(|&p| [p, p | 0x8000]).collect()
}

fn binary_ops_match(device: &Device, f: Format, n: usize, seed: u64) {
    let m = if f.code == 0 { 10 } else { 7 };
    let e = edges(m);
    let mut a: Vec<u16> = e.iter().flat_map(|&x| std::iter::repeat_n(x, e.len())).collect();
    let mut b: Vec<u16> = e.iter().cycle().take(e.len() * e.len()).copied().collect();
    let mut rng = Rng::new(seed);
    while a.len() < n {
        let x = rng.next_u32();
        a.push(x as u16);
        // Half of the pairs share a's exponent up to a few steps (cancellation, ties).
        let y = if x & 1 << 16 != 0 { (x >> 16) as u16 } else { (x as u16) ^ ((x >> 20) as u16 & ((8 << m) - 1)) };
        b.push(y);
    }
    let codes: Vec<u32> = BINARY.iter().map(|&op| op + f.code).collect();
    let wa: Vec<u32> = a.iter().map(|&v| u32::from(v)).collect();
    let wb: Vec<u32> = b.iter().map(|&v| u32::from(v)).collect();
    let out = run_ops(device, OPS, "test_half_op", &codes, &wa, &wb);
    for (k, &op) in BINARY.iter().enumerate() {
        for i in 0..a.len() {
            check(f, op, a[i], b[i], out[k][i], "binary");
        }
    }
}

fn unary_ops_match_on_every_input(device: &Device, f: Format) {
    let a: Vec<u32> = (0..=u16::MAX as u32).collect();
    let b = vec![0u32; a.len()];
    let codes: Vec<u32> = UNARY.iter().map(|&op| op + f.code).collect();
    let out = run_ops(device, OPS, "test_half_op", &codes, &a, &b);
    for (k, &op) in UNARY.iter().enumerate() {
        for i in 0..a.len() {
            check(f, op, a[i] as u16, 0, out[k][i], "unary");
        }
    }
}

/// |ours - r| in ULPs of the 16-bit format at r's magnitude (0 when both are NaN or ours is the infinity r rounds to).
fn half_ulp_error(f: Format, ours: f64, r: f64) -> f64 {
    let man = if f.code == 0 { 10 } else { 7 };
    let max_finite = f64::from((f.to_f32)(if f.code == 0 { 0x7bff } else { 0x7f7f }));
    let min_exp = if f.code == 0 { -14 } else { -126 };
    if r.is_nan() || ours.is_nan() {
        return if r.is_nan() && ours.is_nan() { 0.0 } else { f64::INFINITY };
    }
    if ours.is_infinite() {
        // Rounds to inf when beyond MAX by half an ULP or more.
        let half_ulp = 2f64.powi(max_finite.log2().floor() as i32 - man - 1);
        return if r.signum() == ours.signum() && r.abs() >= max_finite + half_ulp { 0.0 } else { f64::INFINITY };
    }
    let e = (r.abs().log2().floor() as i32).max(min_exp);
    (ours - r).abs() / 2f64.powi(e - man)
}

/// The largest error, in ULPs of the 16-bit format, of the transcendentals on every input.
fn transcendentals_on_every_input(device: &Device, f: Format) -> Vec<(u32, f64, u16)> {
    let a: Vec<u32> = (0..=u16::MAX as u32).collect();
    let b = vec![0u32; a.len()];
    let codes: Vec<u32> = (20..27).map(|op| op + f.code).collect();
    let out = run_ops(device, OPS, "test_half_op", &codes, &a, &b);
    let gelu =
        |x: f64| if x == f64::NEG_INFINITY { -0.0 } else { x * 0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2) };
    let refs: [fn(f64) -> f64; 7] =
        [f64::exp, f64::ln, f64::sin, f64::cos, f64::tanh, |x| 1.0 / (1.0 + (-x).exp()), gelu];
    let mut worst = Vec::new();
    for (k, reference) in refs.iter().enumerate() {
        let mut w = (20 + k as u32, 0.0f64, 0u16);
        for (i, &bits) in a.iter().enumerate() {
            let x = f64::from((f.to_f32)(bits as u16));
            let r = reference(x);
            let ours = f64::from((f.to_f32)(out[k][i] as u16));
            let err = half_ulp_error(f, ours, r);
            if err > w.1 || err.is_nan() {
                w = (20 + k as u32, err, bits as u16);
            }
        }
        worst.push(w);
    }
    worst
}

fn transcendentals_within_half_ulp(device: &Device, f: Format) {
    for (op, err, x) in transcendentals_on_every_input(device, f) {
        assert!(err <= 0.51, "{} op {op}: {err:.4} ULP at {x:#06x}", f.name);
    }
}

/// pow on 10^6 pairs: random patterns (special values, overflow, underflow) and moderate powers of positive bases.
fn pow_within_half_ulp(device: &Device, f: Format, seed: u64) {
    let mut rng = Rng::new(seed);
    let n = 1_000_000;
    let mut a = Vec::with_capacity(n);
    let mut b = Vec::with_capacity(n);
    for i in 0..n {
        if i % 2 == 0 {
            a.push(rng.next_u32() & 0xffff);
            b.push(rng.next_u32() & 0xffff);
        } else {
            a.push(u32::from((f.from_f32)(rng.uniform(0.0, 4.0) as f32)));
            b.push(u32::from((f.from_f32)(rng.uniform(-12.0, 12.0) as f32)));
        }
    }
    let out = run_ops(device, OPS, "test_half_op", &[27 + f.code], &a, &b).pop().expect("one op");
    for i in 0..n {
        let x = f64::from((f.to_f32)(a[i] as u16));
        let y = f64::from((f.to_f32)(b[i] as u16));
        let err = half_ulp_error(f, f64::from((f.to_f32)(out[i] as u16)), x.powf(y));
        assert!(err <= 0.51, "{} pow({x}, {y}): {err:.4} ULP", f.name);
    }
}

#[test]
fn f16_and_bf16_pow_are_within_half_an_ulp() {
    pow_within_half_ulp(wgsl_harness::device(), F16, 25);
    pow_within_half_ulp(wgsl_harness::device(), BF16, 26);
}

#[test]
fn f16_transcendentals_are_within_half_an_ulp_on_every_input() {
    transcendentals_within_half_ulp(wgsl_harness::device(), F16);
}

#[test]
fn bf16_transcendentals_are_within_half_an_ulp_on_every_input() {
    transcendentals_within_half_ulp(wgsl_harness::device(), BF16);
}

#[test]
fn f16_unary_ops_match_half_on_every_input() {
    unary_ops_match_on_every_input(wgsl_harness::device(), F16);
}

#[test]
fn bf16_unary_ops_match_half_on_every_input() {
    unary_ops_match_on_every_input(wgsl_harness::device(), BF16);
}

#[test]
fn f16_binary_ops_match_half_on_a_million_pairs() {
    binary_ops_match(wgsl_harness::device(), F16, 1_000_000, 21);
}

#[test]
fn bf16_binary_ops_match_half_on_a_million_pairs() {
    binary_ops_match(wgsl_harness::device(), BF16, 1_000_000, 22);
}

#[test]
fn half_ops_match_on_the_portable_device_and_gl() {
    for device in [wgsl_harness::portable(), wgsl_harness::gl()] {
        unary_ops_match_on_every_input(device, F16);
        unary_ops_match_on_every_input(device, BF16);
        binary_ops_match(device, F16, 100_000, 23);
        binary_ops_match(device, BF16, 100_000, 24);
    }
}
