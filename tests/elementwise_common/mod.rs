//! Shared pieces of the elementwise tests: the op lists, the three devices, bit-for-bit comparison of a device
//! result with the host reference, ULP measurement in any float format, and operand generators (edge values and
//! random values of every dtype).

#![allow(dead_code)]

use wgpu_tensor::{Array, BinaryOp, CastPolicy, DType, Device, DeviceTensor, Result, UnaryOp, cast_bits, reference};

use crate::float_common::{Rng, f32_edges, f32_pairs};
use crate::wgsl_harness;

/// Every binary op.
pub const BINARY: [BinaryOp; 19] = {
    use BinaryOp::*;
    [Add, Sub, Mul, Div, Rem, Minimum, Maximum, Pow, BitAnd, BitOr, BitXor, Shl, Shr, Eq, Ne, Lt, Le, Gt, Ge]
};

/// Every unary op.
pub const UNARY: [UnaryOp; 21] = {
    use UnaryOp::*;
    [
        Neg, Abs, Sign, Not, Sqrt, Recip, Square, Exp, Log, Sin, Cos, Tanh, Sigmoid, Relu, Gelu, Floor, Ceil, Round,
        Trunc, IsNan, IsInf,
    ]
};

/// The transcendental unary ops (measured in ULPs, not bit-exact).
pub const TRANSCENDENTAL: [UnaryOp; 7] = {
    use UnaryOp::*;
    [Exp, Log, Sin, Cos, Tanh, Sigmoid, Gelu]
};

/// The exact binary ops defined on `dtype` (all but `pow`, which is measured in ULPs).
pub fn binary_ops(dtype: DType) -> Vec<BinaryOp> {
    BINARY.into_iter().filter(|&op| op != BinaryOp::Pow && op.result_dtype(dtype).is_ok()).collect()
}

/// The exact (non-transcendental) unary ops defined on `dtype`.
pub fn exact_unary_ops(dtype: DType) -> Vec<UnaryOp> {
    UNARY.into_iter().filter(|op| !op.is_transcendental() && op.result_dtype(dtype).is_ok()).collect()
}

/// The default device, the portable one (`native_extensions: false`) and GL, each opened once per test binary.
pub fn devices() -> [(&'static str, &'static Device); 3] {
    [("default", wgsl_harness::device()), ("portable", wgsl_harness::portable()), ("gl", wgsl_harness::gl())]
}

/// The largest n, and a smaller one for the portable and GL devices (the same WGSL, other adapters).
pub fn sizes(label: &str, n: usize) -> usize {
    if label == "default" { n } else { n / 8 }
}

/// `op(a, b)` on `device` (upload, compute, download).
pub fn device_binary(device: &Device, op: BinaryOp, a: &Array, b: &Array) -> Result<Array> {
    device.upload(a)?.binary(op, &device.upload(b)?)?.download()
}

/// `op(a)` on `device`.
pub fn device_unary(device: &Device, op: UnaryOp, a: &Array) -> Result<Array> {
    device.upload(a)?.unary(op)?.download()
}

/// The bits of element `i` (zero-extended).
pub fn bits(a: &Array, i: usize) -> u64 {
    let size = a.dtype().size_in_bytes();
    let mut b = [0u8; 8];
    b[..size].copy_from_slice(&a.as_bytes()[i * size..(i + 1) * size]);
    u64::from_le_bytes(b)
}

/// Whether `bits` of a float `dtype` are a NaN (false for other dtypes).
pub fn is_nan(dtype: DType, bits: u64) -> bool {
    dtype.is_float() && value(dtype, bits).is_nan()
}

/// The exact value of float bits, widened to f64.
pub fn value(dtype: DType, bits: u64) -> f64 {
    f64::from_bits(cast_bits(dtype, DType::F64, CastPolicy::Wrap, bits))
}

/// An array of `dtype` from element bits (the low bytes of each).
pub fn from_bits(dtype: DType, shape: &[usize], bits: &[u64]) -> Array {
    let size = dtype.size_in_bytes();
    let bytes: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()[..size].to_vec()).collect();
    Array::from_bytes(dtype, shape, &bytes).expect("valid bytes")
}

/// Element `i` of `a` printed with its bits, for failure messages.
pub fn show(a: &Array, i: usize) -> String {
    let b = bits(a, i);
    if a.dtype().is_float() { format!("{:e} ({b:#x})", value(a.dtype(), b)) } else { format!("{b:#x}") }
}

/// Asserts that `got` equals `want` bit for bit (a NaN matches any NaN), naming `what` and, for the first
/// mismatches, the index and the elements of `operands` of the same length (the flat inputs).
pub fn assert_same(what: &str, got: &Array, want: &Array, operands: &[&Array]) {
    assert_eq!((got.dtype(), got.shape()), (want.dtype(), want.shape()), "{what}: dtype or shape");
    let d = got.dtype();
    let differs = |&i: &usize| {
        let (g, w) = (bits(got, i), bits(want, i));
        g != w && !(is_nan(d, g) && is_nan(d, w))
    };
    let bad: Vec<usize> = (0..got.len()).filter(differs).take(5).collect();
    if bad.is_empty() {
        return;
    }
    let count = (0..got.len()).filter(differs).count();
    let mut msg = format!("{what}: device and reference differ in {count} of {} elements; the first:", got.len());
    for &i in &bad {
        msg += &format!("\n  [{i}]: device {} reference {}", show(got, i), show(want, i));
        for (k, x) in operands.iter().enumerate().filter(|(_, x)| x.len() == got.len()) {
            msg += &format!(" | operand {k}: {}", show(x, i));
        }
    }
    panic!("{msg}");
}

/// |ours − reference| in ULPs of the float `dtype` at the reference's magnitude (subnormal spacing below the
/// smallest normal). 0 when both are NaN; infinite when only one is, or when ours is infinite and the reference
/// does not round to that infinity.
pub fn ulp_error(dtype: DType, ours: u64, reference: f64) -> f64 {
    let fmt = dtype.float_format().expect("a float dtype");
    let o = value(dtype, ours);
    if reference.is_nan() || o.is_nan() {
        return if reference.is_nan() && o.is_nan() { 0.0 } else { f64::INFINITY };
    }
    if o.is_infinite() {
        let rounded = value(dtype, cast_bits(DType::F64, dtype, CastPolicy::Wrap, reference.to_bits()));
        return if rounded == o { 0.0 } else { f64::INFINITY };
    }
    if reference.is_infinite() {
        return f64::INFINITY;
    }
    let min_exp = 2 - (1i32 << (fmt.exp_bits - 1));
    let exp = (reference.abs().log2().floor() as i32).max(min_exp);
    (o - reference).abs() / 2f64.powi(exp - fmt.man_bits as i32)
}

/// The largest ULP error of the device's `op` over the float array `x` (against [`reference::unary_f64`]), with
/// the input and output bits where it occurs.
pub fn max_ulp(x: &Array, got: &Array, op: UnaryOp) -> (f64, u64, u64) {
    let d = x.dtype();
    let mut worst = (0.0, 0, 0);
    for i in 0..x.len() {
        let r = reference::unary_f64(op, value(d, bits(x, i))).expect("a float op");
        let err = ulp_error(d, bits(got, i), r);
        if err > worst.0 || (err.is_nan() && !worst.0.is_nan()) {
            worst = (err, bits(x, i), bits(got, i));
        }
    }
    worst
}

/// Edge values of `dtype` as bits: 0, ±1, MIN, MAX and their neighbours, the shift counts around the bit width,
/// powers of two; for floats ±0, ±1, the smallest and largest normals and subnormals, ±inf, NaN payloads (quiet
/// and signalling, both signs), exact ties (x.5) and values next to powers of two.
pub fn edges(dtype: DType) -> Vec<u64> {
    let bits = dtype.size_in_bits() as u32;
    let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    match dtype {
        DType::Bool => vec![0, 1],
        DType::F32 => f32_edges().into_iter().map(u64::from).collect(),
        DType::F64 => {
            let pos = [
                0.0f64.to_bits(),
                1.0f64.to_bits(),
                f64::MIN_POSITIVE.to_bits(),
                f64::MIN_POSITIVE.to_bits() - 1,
                1,
                2,
                0x0008_0000_0000_0000,
                f64::MAX.to_bits(),
                f64::INFINITY.to_bits(),
                f64::NAN.to_bits(),
                0x7ff0_0000_0000_0001,
                0x7ff8_1234_5678_9abc,
                0.5f64.to_bits(),
                1.5f64.to_bits(),
                2.5f64.to_bits(),
                2.0f64.to_bits(),
                3.0f64.to_bits(),
                1.0f64.to_bits() + 1,
                1.0f64.to_bits() - 1,
                (1u64 << 52) as f64 as u64,
                ((1u64 << 53) as f64).to_bits(),
                ((1u64 << 53) as f64).to_bits() + 1,
                4503599627370495.5f64.to_bits(),
                0.1f64.to_bits(),
                std::f64::consts::PI.to_bits(),
                1e300f64.to_bits(),
                1e-300f64.to_bits(),
            ];
            pos.iter().flat_map(|&p| [p, p | (1 << 63)]).collect()
        }
        DType::F16 | DType::BF16 => {
            let fmt = dtype.float_format().expect("float");
            let (m, e) = (fmt.man_bits, fmt.exp_bits);
            let one = ((1u64 << (e - 1)) - 1) << m;
            let inf = ((1u64 << e) - 1) << m;
            let pos = [
                0,
                1,
                2,
                (1 << m) - 1,
                1 << m,
                (1 << m) + 1,
                one,
                one + 1,
                one - 1,
                one - (1 << m),                  // 0.5
                one + (1 << (m - 1)),            // 1.5
                one + (1 << m) + (1 << (m - 2)), // 2.5
                inf - 1,
                inf,
                inf + 1,
                inf | (1 << (m - 1)),
                inf | (1 << (m - 1)) | 1,
            ];
            pos.iter().flat_map(|&p| [p, p | 1 << (bits - 1)]).collect()
        }
        _ => {
            let signed = dtype.is_signed();
            let min = if signed { 1u64 << (bits - 1) } else { 0 };
            let max = if signed { min - 1 } else { mask };
            let b = u64::from(bits);
            let mut v = vec![0, 1, 2, 3, 7, mask, mask - 1, min, min + 1, max, max - 1, b - 1, b, b + 1, 2 * b - 1];
            v.extend([5, 0x55 & mask, 0xaa & mask, 1 << (bits / 2), (1 << (bits / 2)) - 1]);
            v.extend([mask - 6, mask - b + 1]); // −7, −(bits−1) for signed
            v.into_iter().map(|x| x & mask).collect()
        }
    }
}

/// Random element bits of `dtype`: uniform bits mixed with values that exercise the rules (small magnitudes, the
/// neighbourhood of MIN/MAX, for floats short significands and subnormals).
pub fn random_bits(dtype: DType, rng: &mut Rng, i: usize) -> u64 {
    if dtype == DType::Bool {
        return rng.next_u64() >> 63;
    }
    let bits = dtype.size_in_bits() as u32;
    let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let man_bits = dtype.float_format().map_or(0, |f| f.man_bits);
    let r = rng.next_u64();
    let x = match (dtype.is_float(), i % 4) {
        (_, 0) => r,
        (false, 1) => (r % 80).wrapping_sub(40), // small, both signs
        (false, 2) => (1u64 << (bits - 1)).wrapping_add(r % 9).wrapping_sub(4), // around MIN / MAX
        (false, _) => r >> (r % u64::from(bits)), // any magnitude
        (true, 1) => r & !((1u64 << (man_bits - 4)) - 1), // short significands: exact results, ties
        (true, 2) => r & (mask >> 3 | 1 << (bits - 1)), // subnormals and small exponents
        (true, _) => {
            // near 1 (exponent field close to the bias)
            let fmt = dtype.float_format().expect("float");
            let bias = (1u64 << (fmt.exp_bits - 1)) - 1;
            let e = bias + (r >> 40) % 16 - 8;
            (r & ((1 << fmt.man_bits) - 1)) | e << fmt.man_bits | (r >> 63) << (bits - 1)
        }
    };
    x & mask
}

/// Operand pairs of `dtype` (n or a little more): every pair of edge values, then random pairs, some of them
/// related (b near a: cancellation and ties; b small: shift counts and divisors). f32 uses the pairs of the f32
/// routine tests.
pub fn pairs(dtype: DType, n: usize, seed: u64) -> (Array, Array) {
    if dtype == DType::F32 {
        let (a, b) = f32_pairs(n, seed);
        let w = |v: Vec<u32>| Array::from_vec(v.into_iter().map(f32::from_bits).collect::<Vec<f32>>(), [n]);
        return (w(a).expect("a"), w(b).expect("b"));
    }
    let mut rng = Rng::new(seed);
    let e = edges(dtype);
    let (mut a, mut b): (Vec<u64>, Vec<u64>) = e.iter().flat_map(|&x| e.iter().map(move |&y| (x, y))).unzip();
    let size = dtype.size_in_bits() as u32;
    let mask = if size == 64 { u64::MAX } else { (1u64 << size) - 1 };
    let man_bits = dtype.float_format().map_or(0, |f| f.man_bits);
    while a.len() < n {
        let x = random_bits(dtype, &mut rng, a.len());
        let r = rng.next_u64();
        let y = match r % 4 {
            0 => x.wrapping_add(r >> 60).wrapping_sub(8) & mask, // near a (ties, cancellation, equality)
            1 if !dtype.is_float() => (r >> 32) % (2 * u64::from(size) + 2), // a shift count or small divisor
            1 => x ^ (r & ((1 << man_bits) - 1)),                // the same exponent, other bits
            _ => random_bits(dtype, &mut rng, a.len() + 1),
        };
        a.push(x);
        b.push(y);
    }
    a.truncate(n.max(e.len() * e.len()));
    b.truncate(a.len());
    (from_bits(dtype, &[a.len()], &a), from_bits(dtype, &[b.len()], &b))
}

/// Every bit pattern of a 16-bit dtype (f16, bf16, u16, i16), in order.
pub fn all_16bit(dtype: DType) -> Array {
    let v: Vec<u64> = (0..=u64::from(u16::MAX)).collect();
    from_bits(dtype, &[v.len()], &v)
}

/// Both operand arrays of every pair of 8-bit values (a varies slowest).
pub fn all_8bit_pairs(dtype: DType) -> (Array, Array) {
    let (a, b): (Vec<u64>, Vec<u64>) = (0..65536u64).map(|i| (i >> 8, i & 0xff)).unzip();
    (from_bits(dtype, &[65536], &a), from_bits(dtype, &[65536], &b))
}

/// A device tensor of `array`, uploaded (a convenience for the view tests).
pub fn up(device: &Device, array: &Array) -> DeviceTensor {
    device.upload(array).expect("upload")
}
