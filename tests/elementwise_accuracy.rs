//! The transcendentals through the tensor API (`DeviceTensor::unary`), in ULPs against the f64 reference
//! ([`wgpu_tensor::reference::unary_f64`]): f32 within 2 ULP on 10⁶ inputs per function spread over its range, f16
//! and bf16 within 1 ULP on every input, the special values exact; on the default device, the portable path and
//! GL; pow (f32/f16/bf16) likewise against f64 `powf`, its C99 special values exact. The ignored test prints the max-ULP table beside WGSL's built-ins:
//! `cargo test --release --test elementwise_accuracy -- --ignored --nocapture`.

mod elementwise_common;
mod float_common;
mod wgsl_harness;

use elementwise_common::*;
use wgpu_tensor::{Array, BinaryOp, DType, Device, UnaryOp, reference};

/// f32 inputs for the transcendental `op`: the generators of the library measurement (10⁶ spread over the range).
fn f32_inputs(op: UnaryOp, n: usize, seed: u64) -> Array {
    use float_common::*;
    let generate = match op {
        UnaryOp::Exp => exp_inputs,
        UnaryOp::Log => log_inputs,
        UnaryOp::Sin | UnaryOp::Cos => trig_inputs,
        UnaryOp::Tanh => tanh_inputs,
        UnaryOp::Sigmoid => sigmoid_inputs,
        _ => gelu_inputs,
    };
    let v: Vec<f32> = generate(&mut Rng::new(seed), n).into_iter().map(f32::from_bits).collect();
    Array::from(v)
}

/// The measured max ULP of `op` over `x` through the tensor API on `device`.
fn measure(device: &Device, op: UnaryOp, x: &Array) -> (f64, u64, u64) {
    let got = device_unary(device, op, x).unwrap_or_else(|e| panic!("{op} of {}: {e}", x.dtype()));
    max_ulp(x, &got, op)
}

/// f32 transcendentals within 2 ULP of the f64 reference on 10⁶ inputs each (spread over each whole range).
#[test]
fn f32_transcendentals_are_within_two_ulp_on_a_million_inputs_each() {
    for (label, device) in devices() {
        for (k, op) in TRANSCENDENTAL.into_iter().enumerate() {
            let x = f32_inputs(op, sizes(label, 1_000_000), 7 + k as u64);
            let (err, at, got) = measure(device, op, &x);
            let show = |b: u64| format!("{:e} ({b:#x})", f32::from_bits(b as u32));
            assert!(err <= 2.0, "{label} f32 {op}: {err:.3} ULP at x = {} (gave {})", show(at), show(got));
        }
    }
}

/// f16 and bf16 transcendentals on every input: within 1 ULP of the f64 value (the f32 result, ≤ 2 f32 ULP, is
/// rounded once to the half format: a faithful rounding).
#[test]
fn half_transcendentals_are_within_one_ulp_on_every_input() {
    for (label, device) in devices() {
        for dtype in [DType::F16, DType::BF16] {
            let x = all_16bit(dtype);
            for op in TRANSCENDENTAL {
                let (err, at, got) = measure(device, op, &x);
                let show = |b: u64| format!("{:e} ({b:#06x})", value(dtype, b));
                assert!(err <= 1.0, "{label} {dtype} {op}: {err:.3} ULP at x = {} (gave {})", show(at), show(got));
            }
        }
    }
}

/// The error of a pow result against f64 `powf`: where that is a zero, an infinity or NaN (the C99 special cases)
/// the result must be the reference's bits (sign of zero included; any NaN for NaN), else it is measured in ULPs.
fn pow_error(dtype: DType, ours: u64, reference: u64, x: f64, y: f64) -> f64 {
    let r = x.powf(y);
    if r == 0.0 || r.is_infinite() || r.is_nan() {
        let same = ours == reference || (is_nan(dtype, ours) && is_nan(dtype, reference));
        return if same { 0.0 } else { f64::INFINITY };
    }
    ulp_error(dtype, ours, r)
}

/// pow on f32 (10⁶ pairs over the whole range: the library measurement's generator), f16 and bf16 (10⁶ random
/// pairs), and every pair of edge values (zeros, ±1, ±inf, NaNs, subnormals, MAX…): within 2 ULP (f32) or 1 ULP
/// (halves, the f32 result rounded once) of f64 `powf`, the C99 special cases exact.
#[test]
fn pow_is_within_two_ulp_and_exact_on_special_values() {
    for (label, device) in devices() {
        for dtype in [DType::F32, DType::F16, DType::BF16] {
            let n = sizes(label, 1_000_000);
            let (a, b) = if dtype == DType::F32 {
                let (a, b) = float_common::pow_inputs(&mut float_common::Rng::new(21), n);
                let wide = |v: Vec<u32>| v.into_iter().map(u64::from).collect::<Vec<_>>();
                (from_bits(dtype, &[n], &wide(a)), from_bits(dtype, &[n], &wide(b)))
            } else {
                pairs(dtype, n, 22)
            };
            let e = edges(dtype);
            let (ea, eb): (Vec<u64>, Vec<u64>) = e.iter().flat_map(|&x| e.iter().map(move |&y| (x, y))).unzip();
            let (ea, eb) = (from_bits(dtype, &[ea.len()], &ea), from_bits(dtype, &[eb.len()], &eb));
            let limit = if dtype == DType::F32 { 2.0 } else { 1.0 };
            for (x, y) in [(&a, &b), (&ea, &eb)] {
                let got = device_binary(device, BinaryOp::Pow, x, y).unwrap_or_else(|e| panic!("{label} {dtype}: {e}"));
                let want = reference::binary(BinaryOp::Pow, x, y).expect("reference");
                for i in 0..x.len() {
                    let (vx, vy) = (value(dtype, bits(x, i)), value(dtype, bits(y, i)));
                    let err = pow_error(dtype, bits(&got, i), bits(&want, i), vx, vy);
                    assert!(err <= limit, "{label} {dtype} pow({vx:e}, {vy:e}) = {}: {err:.3} ULP", show(&got, i));
                }
            }
        }
    }
}

/// The special values of the spec, exact, for f32, f16 and bf16.
#[test]
fn transcendental_special_values_are_exact() {
    use UnaryOp::*;
    let (inf, nan) = (f64::INFINITY, f64::NAN);
    let cases: &[(UnaryOp, f64, f64)] = &[
        (Exp, 0.0, 1.0),
        (Exp, -0.0, 1.0),
        (Exp, -inf, 0.0),
        (Exp, inf, inf),
        (Exp, 1e6, inf),
        (Log, 1.0, 0.0),
        (Log, 0.0, -inf),
        (Log, -0.0, -inf),
        (Log, -1.0, nan),
        (Log, inf, inf),
        (Log, -inf, nan),
        (Tanh, inf, 1.0),
        (Tanh, -inf, -1.0),
        (Tanh, -0.0, -0.0),
        (Sin, inf, nan),
        (Sin, -inf, nan),
        (Sin, -0.0, -0.0),
        (Cos, inf, nan),
        (Cos, 0.0, 1.0),
        (Sigmoid, -inf, 0.0),
        (Sigmoid, inf, 1.0),
        (Sigmoid, 0.0, 0.5),
        (Gelu, 0.0, 0.0),
        (Gelu, -0.0, -0.0),
        (Gelu, inf, inf),
        (Gelu, -inf, -0.0),
        (Exp, nan, nan),
        (Gelu, nan, nan),
    ];
    for (label, device) in devices() {
        for dtype in [DType::F32, DType::F16, DType::BF16] {
            let to = |v: f64| wgpu_tensor::cast_bits(DType::F64, dtype, wgpu_tensor::CastPolicy::Wrap, v.to_bits());
            for &(op, x, want) in cases {
                let got = device_unary(device, op, &from_bits(dtype, &[1], &[to(x)])).expect("op");
                let g = bits(&got, 0);
                let ok = if want.is_nan() { is_nan(dtype, g) } else { g == to(want) };
                assert!(ok, "{label} {dtype} {op}({x:e}) gave {:e} ({g:#x}), expected {want:e}", value(dtype, g));
            }
        }
    }
}

/// WGSL's built-ins on the same inputs, for the table: f32, or a half widened and the result narrowed.
const BUILTINS: &str = "
fn builtin_op(op: u32, a: u32, fmt: u32) -> u32 {
    var w = a;
    if fmt == 1u { w = half_widen(a, 10u, 5u); }
    if fmt == 2u { w = half_widen(a, 7u, 8u); }
    let x = bitcast<f32>(w);
    var r = 0.0;
    switch op {
        case 0u: { r = exp(x); }
        case 1u: { r = log(x); }
        case 2u: { r = sin(x); }
        case 3u: { r = cos(x); }
        case 4u: { r = tanh(x); }
        case 5u: { r = 1.0 / (1.0 + exp(-x)); }
        default: { r = 0.5 * x * (1.0 + tanh(0.7978845608 * (x + 0.044715 * x * x * x))); }
    }
    let rb = bitcast<u32>(r);
    if fmt == 1u { return half_narrow(rb, 10u, 5u); }
    if fmt == 2u { return half_narrow(rb, 7u, 8u); }
    return rb;
}
";

/// Prints the max-ULP table of the transcendentals through the tensor API (ours) beside WGSL's built-ins on the
/// same inputs and adapter: `cargo test --release --test elementwise_accuracy -- --ignored --nocapture`.
#[test]
#[ignore = "prints the accuracy table for the docs"]
fn print_max_ulp_table() {
    for (label, device) in [("default", wgsl_harness::device()), ("gl", wgsl_harness::gl())] {
        println!("{label}: {}", device.info());
        println!("max ULP against the f64 reference (in parentheses: results that differ from it rounded once)");
        println!("| function | f32 ours | f32 built-in | f16 ours | f16 built-in | bf16 ours | bf16 built-in |");
        println!("|---|---|---|---|---|---|---|");
        for (k, op) in TRANSCENDENTAL.into_iter().enumerate() {
            let mut row = format!("| {op} |");
            for (fmt, dtype) in [(0u32, DType::F32), (1, DType::F16), (2, DType::BF16)] {
                let x = if dtype == DType::F32 { f32_inputs(op, 1_000_000, 7 + k as u64) } else { all_16bit(dtype) };
                let result = device_unary(device, op, &x).expect("op");
                let ours = max_ulp(&x, &result, op);
                // How many results differ from the f64 value rounded once to the dtype (not correctly rounded).
                let rounded = reference::unary(op, &x).expect("ref");
                let differs = |i: usize| {
                    let (g, w) = (bits(&result, i), bits(&rounded, i));
                    g != w && !(is_nan(dtype, g) && is_nan(dtype, w))
                };
                let misses = (0..x.len()).filter(|&i| differs(i)).count();
                let xb: Vec<u32> = (0..x.len()).map(|i| bits(&x, i) as u32).collect();
                let out = float_common::run_ops(device, BUILTINS, "builtin_op", &[k as u32], &xb, &vec![fmt; xb.len()]);
                let got: Vec<u64> = out[0].iter().map(|&v| u64::from(v)).collect();
                let builtin = max_ulp(&x, &from_bits(dtype, &[got.len()], &got), op);
                row += &format!(" {:.4} ({misses}) | {:.3e} |", ours.0, builtin.0);
            }
            println!("{row}");
        }
    }
}
