//! The f32 transcendentals of `shaders/lib/f32_math.wgsl` and `f32_pow.wgsl`: the largest error in f32 ULPs against the f64 result of
//! Rust's std functions (a correctly rounded reference to far below an f32 ULP) over 10^6+ inputs spread over each
//! function's whole finite range, asserted at most 2 ULP, and the exact special values; on the default device, the
//! portable path and GL. An ignored test prints the table beside WGSL's built-ins on the same adapter.

mod float_common;
mod wgsl_harness;

use float_common::{
    Rng, exp_inputs, gelu_inputs, log_inputs, pow_inputs, run_ops, show, sigmoid_inputs, tanh_inputs, trig_inputs,
    ulp_error,
};
use wgpu_tensor::Device;

/// Test dispatch: 0..=8 our routines, 10..=17 the WGSL built-ins on the same inputs.
const OPS: &str = "
fn test_math_op(op: u32, a: u32, b: u32) -> u32 {
    let x = bitcast<f32>(a);
    var r = 0u;
    switch op {
        case 0u: { r = f32_exp(a); }
        case 1u: { r = f32_log(a); }
        case 2u: { r = f32_sin(a); }
        case 3u: { r = f32_cos(a); }
        case 4u: { r = f32_tanh(a); }
        case 5u: { r = f32_sigmoid(a); }
        case 6u: { r = f32_gelu(a); }
        case 7u: { r = f32_pow(a, b); }
        case 8u: { r = f32_ldexp_normal(a, bitcast<i32>(b)); }
        case 10u: { r = bitcast<u32>(exp(x)); }
        case 11u: { r = bitcast<u32>(log(x)); }
        case 12u: { r = bitcast<u32>(sin(x)); }
        case 13u: { r = bitcast<u32>(cos(x)); }
        case 14u: { r = bitcast<u32>(tanh(x)); }
        case 15u: { r = bitcast<u32>(1.0 / (1.0 + exp(-x))); }
        case 17u: { r = bitcast<u32>(pow(x, bitcast<f32>(b))); }
        case 16u: { r = bitcast<u32>(0.5 * x * (1.0 + tanh(0.7978845608 * (x + 0.044715 * x * x * x)))); }
        default: {}
    }
    return r;
}
";

/// One function under test: its op code, name, f64 reference and input generator.
struct Func {
    op: u32,
    name: &'static str,
    reference: fn(f64) -> f64,
    inputs: fn(&mut Rng, usize) -> Vec<u32>,
}

/// x Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2 (libm's f64 erfc).
fn gelu_reference(x: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        return -0.0;
    }
    x * 0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

fn funcs() -> Vec<Func> {
    vec![
        Func { op: 0, name: "exp", reference: f64::exp, inputs: exp_inputs },
        Func { op: 1, name: "log", reference: f64::ln, inputs: log_inputs },
        Func { op: 2, name: "sin", reference: f64::sin, inputs: trig_inputs },
        Func { op: 3, name: "cos", reference: f64::cos, inputs: trig_inputs },
        Func { op: 4, name: "tanh", reference: f64::tanh, inputs: tanh_inputs },
        Func { op: 5, name: "sigmoid", reference: |x| 1.0 / (1.0 + (-x).exp()), inputs: sigmoid_inputs },
        Func { op: 6, name: "gelu", reference: gelu_reference, inputs: gelu_inputs },
    ]
}

/// The largest ULP error of op over inputs, with the input where it occurs.
fn max_ulp(device: &Device, op: u32, reference: fn(f64) -> f64, inputs: &[u32]) -> (f64, u32, u32) {
    let zeros = vec![0u32; inputs.len()];
    let out = run_ops(device, OPS, "test_math_op", &[op], inputs, &zeros).pop().expect("one op");
    let mut worst = (0.0, 0, 0);
    for (&x, &y) in inputs.iter().zip(&out) {
        let err = ulp_error(y, reference(f64::from(f32::from_bits(x))));
        if err > worst.0 || err.is_nan() {
            worst = (err, x, y);
        }
    }
    worst
}

/// The largest ULP error of pow (op 7, or the built-in 17) against f64 powf, with its operands.
fn pow_max_ulp(device: &Device, op: u32, a: &[u32], b: &[u32]) -> (f64, u32, u32) {
    let out = run_ops(device, OPS, "test_math_op", &[op], a, b).pop().expect("one op");
    let mut worst = (0.0, 0, 0);
    for i in 0..a.len() {
        let reference = f64::from(f32::from_bits(a[i])).powf(f64::from(f32::from_bits(b[i])));
        let err = ulp_error(out[i], reference);
        if err > worst.0 || err.is_nan() {
            worst = (err, a[i], b[i]);
        }
    }
    worst
}

fn accuracy_within_two_ulp(device: &Device, n: usize, seed: u64) {
    let (a, b) = pow_inputs(&mut Rng::new(seed + 7), n);
    let (err, x, y) = pow_max_ulp(device, 7, &a, &b);
    assert!(err <= 2.0, "pow: {err:.3} ULP at x = {}, y = {}", show(x), show(y));
    for f in funcs() {
        let inputs = (f.inputs)(&mut Rng::new(seed + u64::from(f.op)), n);
        let (err, x, y) = max_ulp(device, f.op, f.reference, &inputs);
        assert!(err <= 2.0, "{}: {err:.3} ULP at x = {} (gave {})", f.name, show(x), show(y));
    }
}

#[test]
fn transcendentals_are_within_two_ulp_on_a_million_inputs_each() {
    accuracy_within_two_ulp(wgsl_harness::device(), 1_000_000, 31);
}

#[test]
fn transcendentals_are_within_two_ulp_on_the_portable_device_and_gl() {
    accuracy_within_two_ulp(wgsl_harness::portable(), 100_000, 32);
    accuracy_within_two_ulp(wgsl_harness::gl(), 100_000, 33);
}

/// f32_ldexp_normal (the scaling of exp, pow and gelu) bit for bit against the host (x * 2^k is exact in f64, and
/// `as f32` rounds it once, subnormals and overflow included): |x| in [2^-64, 2^64], both signs, significands with
/// every kind of tail (ties to even and odd included), k landing the result anywhere from far below the smallest
/// subnormal through the subnormals and normals to overflow; on every device.
#[test]
fn ldexp_normal_is_correctly_rounded_into_subnormals_and_overflow() {
    let mut rng = Rng::new(41);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..300_000u32 {
        let e = (rng.next_u32() % 129) as i32 - 64; // x's unbiased exponent
        let tail = match i % 4 {
            0 => rng.next_u32() & 0x7f_ffff,
            1 => (rng.next_u32() & 0x7f_fffe) | 1, // odd
            2 => (rng.next_u32() & 0x7f_0000) | (1 << (rng.next_u32() % 16)), // a tie at some shift
            _ => 0x7f_ffff - (rng.next_u32() % 4), // rounds up into the next binade
        };
        let x = ((rng.next_u32() & 1) << 31) | (((e + 127) as u32) << 23) | tail;
        let target = (rng.next_u32() % 320) as i32 - 175; // the result's unbiased exponent, about
        a.push(x);
        b.push((target - e) as u32);
    }
    for device in [wgsl_harness::device(), wgsl_harness::portable(), wgsl_harness::gl()] {
        let out = run_ops(device, OPS, "test_math_op", &[8], &a, &b).pop().expect("one op");
        for i in 0..a.len() {
            let k = b[i] as i32;
            let want = (f64::from(f32::from_bits(a[i])) * 2f64.powi(k)) as f32;
            assert_eq!(out[i], want.to_bits(), "ldexp({}, {k}) gave {} want {}", show(a[i]), show(out[i]), want);
        }
    }
}

#[test]
fn transcendental_special_values_are_exact() {
    const INF: u32 = 0x7f80_0000;
    const NEG_INF: u32 = 0xff80_0000;
    const ONE: u32 = 0x3f80_0000;
    const NAN: u32 = 0x7fc0_0000;
    // (op, input, expected bits; NAN means any NaN)
    let cases: Vec<(u32, u32, u32)> = vec![
        (0, 0, ONE),
        (0, 0x8000_0000, ONE),
        (0, NEG_INF, 0),
        (0, INF, INF),
        (0, 100f32.to_bits(), INF),
        (0, 88.8f32.to_bits(), INF),
        (0, (-104.0f32).to_bits(), 0),
        (0, (-103.0f32).to_bits(), ((-103.0f64).exp() as f32).to_bits()), // subnormal
        (0, 1, ONE),
        (0, 0xffc0_0001, NAN),
        (1, ONE, 0),
        (1, 0, NEG_INF),
        (1, 0x8000_0000, NEG_INF),
        (1, (-1.0f32).to_bits(), NAN),
        (1, INF, INF),
        (1, NEG_INF, NAN),
        (1, 1, (-103.27893f32).to_bits()), // log of the smallest subnormal
        (2, INF, NAN),
        (2, NEG_INF, NAN),
        (2, 0x8000_0000, 0x8000_0000),
        (2, 0, 0),
        (2, 5, 5),
        (3, INF, NAN),
        (3, NEG_INF, NAN),
        (3, 0, ONE),
        (4, INF, ONE),
        (4, NEG_INF, 0xbf80_0000),
        (4, 0x8000_0000, 0x8000_0000),
        (4, 0x8000_0007, 0x8000_0007),
        (5, NEG_INF, 0),
        (5, INF, ONE),
        (5, 0, 0x3f00_0000),
        (6, 0, 0),
        (6, 0x8000_0000, 0x8000_0000),
        (6, INF, INF),
        (6, NEG_INF, 0x8000_0000),
        (6, 0xffc0_0001, NAN),
        (6, 100f32.to_bits(), 100f32.to_bits()),
        (6, (-20.0f32).to_bits(), 0x8000_0000),
    ];
    let a: Vec<u32> = cases.iter().map(|c| c.1).collect();
    let zeros = vec![0u32; a.len()];
    let ops: Vec<u32> = (0..7).collect();
    let out = run_ops(wgsl_harness::device(), OPS, "test_math_op", &ops, &a, &zeros);
    for (i, &(op, x, expected)) in cases.iter().enumerate() {
        let y = out[op as usize][i];
        let ok = if expected == NAN { f32::from_bits(y).is_nan() } else { y == expected };
        assert!(ok, "op {op} of {} gave {} expected {}", show(x), show(y), show(expected));
    }
}

/// Prints the max-ULP table, ours beside WGSL's built-in on the same adapter and inputs:
/// `cargo test --release --test wgsl_lib_transcendental -- --ignored --nocapture`.
#[test]
#[ignore = "prints the accuracy table for the docs"]
fn print_max_ulp_table() {
    for (label, device) in [("default", wgsl_harness::device()), ("gl", wgsl_harness::gl())] {
        println!("{label}: {}", device.info());
        println!(
            "| function | ours (max ULP) | worst input (ours) | WGSL built-in (max ULP) | worst input (built-in) |"
        );
        println!("|---|---|---|---|---|");
        for f in funcs() {
            let inputs = (f.inputs)(&mut Rng::new(31 + u64::from(f.op)), 1_000_000);
            let ours = max_ulp(device, f.op, f.reference, &inputs);
            let builtin = max_ulp(device, f.op + 10, f.reference, &inputs);
            let name = match f.op {
                5 => "sigmoid (built-in: 1/(1+exp(-x)))",
                6 => "gelu (no built-in: the tanh approximation)",
                _ => f.name,
            };
            println!("| {name} | {:.3} | {} | {:.3e} | {} |", ours.0, show(ours.1), builtin.0, show(builtin.1));
        }
        let (a, b) = pow_inputs(&mut Rng::new(38), 1_000_000);
        let ours = pow_max_ulp(device, 7, &a, &b);
        let builtin = pow_max_ulp(device, 17, &a, &b);
        println!(
            "| pow | {:.3} | {}, {} | {:.3e} | {}, {} |",
            ours.0,
            show(ours.1),
            show(ours.2),
            builtin.0,
            show(builtin.1),
            show(builtin.2)
        );
    }
}

#[test]
fn pow_special_values_follow_c99() {
    const INF: f32 = f32::INFINITY;
    let nan = f32::NAN;
    // (x, y, expected; NaN means any NaN)
    let cases: [(f32, f32, f32); 27] = [
        (nan, 0.0, 1.0),
        (nan, -0.0, 1.0),
        (1.0, nan, 1.0),
        (nan, 2.0, nan),
        (2.0, nan, nan),
        (-1.0, INF, 1.0),
        (-1.0, -INF, 1.0),
        (0.5, INF, 0.0),
        (0.5, -INF, INF),
        (2.0, INF, INF),
        (-2.0, -INF, 0.0),
        (0.0, -1.0, INF),
        (-0.0, -1.0, -INF),
        (-0.0, -2.0, INF),
        (-0.0, 3.0, -0.0),
        (-0.0, 0.5, 0.0),
        (0.0, 3.0, 0.0),
        (-INF, 3.0, -INF),
        (-INF, 2.0, INF),
        (-INF, -3.0, -0.0),
        (INF, -1.0, 0.0),
        (INF, 0.5, INF),
        (-2.0, 0.5, nan),
        (-2.0, 3.0, -8.0),
        (2.0, 10.0, 1024.0),
        (2.0, 128.0, INF),
        (2.0, -149.0, f32::from_bits(1)),
    ];
    let a: Vec<u32> = cases.iter().map(|c| c.0.to_bits()).collect();
    let b: Vec<u32> = cases.iter().map(|c| c.1.to_bits()).collect();
    let out = run_ops(wgsl_harness::device(), OPS, "test_math_op", &[7], &a, &b).pop().expect("one op");
    for (i, &(x, y, expected)) in cases.iter().enumerate() {
        let ok = if expected.is_nan() { f32::from_bits(out[i]).is_nan() } else { out[i] == expected.to_bits() };
        assert!(ok, "pow({x}, {y}) gave {} expected {expected}", show(out[i]));
        // The same rules as Rust's powf.
        let rust = x.powf(y);
        assert!(rust.is_nan() == expected.is_nan() && (rust.is_nan() || rust.to_bits() == expected.to_bits()));
    }
}
