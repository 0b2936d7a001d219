//! `shaders/lib/f32_arith.wgsl` bit for bit against Rust `f32`: correctly rounded `+ - * / sqrt` and exact `%`
//! (subnormals kept), NaN-propagating minimum/maximum, IEEE comparisons, rounding to integers and the sign-bit ops,
//! over 10^6 random pairs plus all pairs of edge values, on the default device, the portable path and GL.

mod float_common;
mod wgsl_harness;

use float_common::{Rng, f32_edges, f32_pairs, f32_random, run_ops, show};
use wgpu_tensor::Device;

/// Test dispatch: one op code per routine (binary ops read a and b; unary ops read a).
const OPS: &str = "
fn test_f32_op(op: u32, a: u32, b: u32) -> u32 {
    var r = 0u;
    switch op {
        case 0u: { r = f32_add(a, b); }
        case 1u: { r = f32_sub(a, b); }
        case 2u: { r = f32_mul(a, b); }
        case 3u: { r = f32_div(a, b); }
        case 4u: { r = f32_minimum(a, b); }
        case 5u: { r = f32_maximum(a, b); }
        case 6u: {
            r = select(0u, 1u, f32_eq(a, b)) | select(0u, 2u, f32_ne(a, b)) | select(0u, 4u, f32_lt(a, b))
                | select(0u, 8u, f32_le(a, b));
        }
        case 7u: { r = f32_add_exact(a, b); }
        case 8u: { r = f32_mul_exact(a, b); }
        case 9u: { r = f32_add_exact(a, b ^ 0x80000000u); }
        case 19u: { r = f32_rem(a, b); }
        case 10u: { r = f32_sqrt(a); }
        case 11u: { r = f32_floor(a); }
        case 12u: { r = f32_ceil(a); }
        case 13u: { r = f32_trunc(a); }
        case 14u: { r = f32_round(a); }
        case 15u: { r = f32_neg(a); }
        case 16u: { r = f32_abs(a); }
        case 17u: { r = f32_sign(a); }
        case 18u: { r = select(0u, 1u, f32_is_nan(a)) | select(0u, 2u, f32_is_inf(a)); }
        default: {}
    }
    return r;
}
";

/// 7..=9: the integer paths of add, mul and sub on every pair (the native fast path takes most pairs otherwise).
const BINARY: [u32; 11] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 19];
const UNARY: [u32; 9] = [10, 11, 12, 13, 14, 15, 16, 17, 18];

/// The IEEE 754-2019 minimum/maximum: NaN if either is NaN, -0 < +0.
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

/// The host result of binary op `op` on the bit patterns a and b.
fn binary_oracle(op: u32, a: u32, b: u32) -> u32 {
    let (x, y) = (f32::from_bits(a), f32::from_bits(b));
    match op {
        0 | 7 => (x + y).to_bits(),
        1 | 9 => (x - y).to_bits(),
        2 | 8 => (x * y).to_bits(),
        3 => (x / y).to_bits(),
        4 => min_max(x, y, false).to_bits(),
        5 => min_max(x, y, true).to_bits(),
        19 => (x % y).to_bits(),
        _ => u32::from(x == y) | u32::from(x != y) << 1 | u32::from(x < y) << 2 | u32::from(x <= y) << 3,
    }
}

/// The host result of unary op `op` on the bit pattern a.
fn unary_oracle(op: u32, a: u32) -> u32 {
    let x = f32::from_bits(a);
    match op {
        10 => x.sqrt().to_bits(),
        11 => x.floor().to_bits(),
        12 => x.ceil().to_bits(),
        13 => x.trunc().to_bits(),
        14 => x.round_ties_even().to_bits(),
        15 => a ^ 0x8000_0000,
        16 => a & 0x7fff_ffff,
        17 => {
            if x.is_nan() || x == 0.0 {
                a | if x.is_nan() { 0x0040_0000 } else { 0 }
            } else {
                x.signum().to_bits()
            }
        }
        _ => u32::from(x.is_nan()) | u32::from(x.is_infinite()) << 1,
    }
}

/// Compares bit for bit, except that a NaN result only needs to be a NaN (with `nan_payload`, the quieted NaN operand
/// also has to come back when the op propagates one).
fn check(name: &str, op: u32, operands: String, ours: u32, expected: u32) {
    let exp_f = f32::from_bits(expected);
    let is_float_result = !matches!(op, 6 | 18);
    let ok = if is_float_result && exp_f.is_nan() { f32::from_bits(ours).is_nan() } else { ours == expected };
    assert!(ok, "{name} op {op}: {operands} gave {} expected {}", show(ours), show(expected));
}

fn binary_ops_match(device: &Device, n: usize, seed: u64, name: &str) {
    let (a, b) = f32_pairs(n, seed);
    let out = run_ops(device, OPS, "test_f32_op", &BINARY, &a, &b);
    for (k, &op) in BINARY.iter().enumerate() {
        for i in 0..a.len() {
            let operands = format!("{}, {}", show(a[i]), show(b[i]));
            check(name, op, operands, out[k][i], binary_oracle(op, a[i], b[i]));
        }
    }
}

/// Unary operands: edges, random patterns, exact squares (sqrt without rounding), halves (round ties).
fn unary_operands(n: usize, seed: u64) -> Vec<u32> {
    let mut rng = Rng::new(seed);
    let mut v = f32_edges();
    for k in 0..4096u32 {
        let sq = (k * k) as f32;
        v.push(sq.to_bits());
        v.push((sq * 2f32.powi(-140)).to_bits()); // subnormal squares
        v.push((k as f32 + 0.5).to_bits());
        v.push((-(k as f32) - 0.5).to_bits());
        v.push(((k as f32 + 0.5) * 2f32.powi(12)).to_bits());
    }
    let rest = n.saturating_sub(v.len());
    v.extend(f32_random(&mut rng, rest));
    v
}

fn unary_ops_match(device: &Device, n: usize, seed: u64, name: &str) {
    let a = unary_operands(n, seed);
    let b = vec![0u32; a.len()];
    let out = run_ops(device, OPS, "test_f32_op", &UNARY, &a, &b);
    for (k, &op) in UNARY.iter().enumerate() {
        for i in 0..a.len() {
            check(name, op, show(a[i]), out[k][i], unary_oracle(op, a[i]));
        }
    }
}

#[test]
fn f32_binary_ops_match_rust_on_a_million_pairs() {
    binary_ops_match(wgsl_harness::device(), 1_000_000, 11, "default");
}

#[test]
fn f32_unary_ops_match_rust() {
    unary_ops_match(wgsl_harness::device(), 1_000_000, 12, "default");
}

#[test]
fn f32_ops_match_rust_on_the_portable_device_and_gl() {
    binary_ops_match(wgsl_harness::portable(), 100_000, 13, "portable");
    unary_ops_match(wgsl_harness::portable(), 100_000, 14, "portable");
    binary_ops_match(wgsl_harness::gl(), 100_000, 15, "gl");
    unary_ops_match(wgsl_harness::gl(), 100_000, 16, "gl");
}

#[test]
fn f32_nan_operands_come_back_quieted() {
    let nans = [0x7f80_0001u32, 0xffc1_2345, 0x7fff_ffff];
    // (Sub flips b's sign before adding, except for a NaN b: op 1 still returns b itself, quieted.)
    let a: Vec<u32> = nans.iter().flat_map(|&n| [n, 0x3f80_0000]).collect();
    let b: Vec<u32> = nans.iter().flat_map(|&n| [0x4000_0000, n]).collect();
    let out = run_ops(wgsl_harness::device(), OPS, "test_f32_op", &[0, 1, 2, 3, 4, 5], &a, &b);
    for (k, results) in out.iter().enumerate() {
        for i in 0..a.len() {
            let nan = if i % 2 == 0 { a[i] } else { b[i] };
            assert_eq!(results[i], nan | 0x0040_0000, "op {k}: {} and {}", show(a[i]), show(b[i]));
        }
    }
}

/// Kernel time of the exact routines beside the native WGSL op on the same adapter and operands (normal operands
/// and results, so the fast paths), one op per element of 16 M elements, pipeline compiled once and buffers resident,
/// best of 5, for the docs: `cargo test --release --test wgsl_lib_f32 -- --ignored --nocapture`.
#[test]
#[ignore = "prints timings"]
fn print_fast_path_timings() {
    let n = 1 << 24;
    let mut rng = Rng::new(41);
    let a: Vec<u32> = (0..n).map(|_| (rng.next_u32() & 0x807f_ffff) | ((rng.next_u32() % 60 + 97) << 23)).collect();
    let b: Vec<u32> = (0..n).map(|_| (rng.uniform(-100.0, 100.0) as f32).to_bits()).collect();
    let libs = float_common::libs("");
    let device = wgsl_harness::device();
    println!("{}", device.info());
    let rows = [
        ("copy a (no op)", "a", "a"),
        ("add", "bitcast<u32>(bitcast<f32>(a) + bitcast<f32>(b))", "f32_add(a, b)"),
        ("mul", "bitcast<u32>(bitcast<f32>(a) * bitcast<f32>(b))", "f32_mul(a, b)"),
        ("div", "bitcast<u32>(bitcast<f32>(a) / bitcast<f32>(b))", "f32_div(a, b)"),
        ("rem", "bitcast<u32>(bitcast<f32>(a) % bitcast<f32>(b))", "f32_rem(a, b)"),
        ("sqrt", "bitcast<u32>(sqrt(abs(bitcast<f32>(a))))", "f32_sqrt(a & 0x7fffffffu)"),
        ("exp (operand scaled into [-100, 100])", "bitcast<u32>(exp(bitcast<f32>(b)))", "f32_exp(b)"),
        ("log", "bitcast<u32>(log(abs(bitcast<f32>(a))))", "f32_log(a & 0x7fffffffu)"),
        ("sin (operand scaled into [-100, 100])", "bitcast<u32>(sin(bitcast<f32>(b)))", "f32_sin(b)"),
        ("tanh", "bitcast<u32>(tanh(bitcast<f32>(a)))", "f32_tanh(a)"),
        ("sigmoid", "bitcast<u32>(1.0 / (1.0 + exp(-bitcast<f32>(a))))", "f32_sigmoid(a)"),
        (
            "gelu (native: tanh form)",
            "bitcast<u32>(0.5 * bitcast<f32>(b) * (1.0 + tanh(0.7978845608 * bitcast<f32>(b))))",
            "f32_gelu(b)",
        ),
    ];
    println!("| op, {n} elements (8 B in, 4 B out) | native WGSL (ms) | ours (ms) | ours / native |");
    println!("|---|---|---|---|");
    for (name, native, ours) in rows {
        let tn = float_common::time_kernel(device, &libs, native, &a, &b, 5);
        let to = float_common::time_kernel(device, &libs, ours, &a, &b, 5);
        println!("| {name} | {tn:.1} | {to:.1} | {:.2} |", to / tn);
    }
}

/// Each WGSL routine and module constant lives in exactly one place: no name is declared twice across
/// `shaders/lib/*.wgsl` (a duplicate would also fail to compile once two files are composed into one module).
#[test]
fn shader_lib_names_are_unique() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/lib");
    let mut seen = std::collections::HashMap::new();
    for entry in std::fs::read_dir(dir).expect("shaders/lib") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "wgsl") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        for line in text.lines() {
            let decl = ["fn ", "const ", "struct "].iter().find_map(|k| line.strip_prefix(k));
            let Some(rest) = decl else { continue };
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let file = path.file_name().expect("name").to_string_lossy().into_owned();
            if let Some(first) = seen.insert(name.clone(), file.clone()) {
                panic!("`{name}` is declared in both {first} and {file}");
            }
        }
    }
    assert!(seen.contains_key("f32_div") && seen.contains_key("round_pack"), "the scan found the libraries");
}
