// binary64 comparisons, minimum/maximum and sign operations on bit patterns vec2<u32>(lo, hi) (no SHADER_F64);
// needs u64.wgsl and f64_arith.wgsl (classification and NaN helpers).
//
// Comparisons are IEEE 754: every comparison with a NaN is false (ne: true), -0 == +0. gt(a, b) = f64_lt(b, a),
// ge(a, b) = f64_le(b, a), ne = !f64_eq.
// f64_minimum / f64_maximum follow PyTorch torch.minimum / torch.maximum (IEEE 754-2019 minimum/maximum): a NaN
// operand gives NaN (propagated and quieted as in f64_arith.wgsl), and -0 < +0.
// f64_neg / f64_abs flip / clear the sign bit of any value, NaN included (Rust's -x and abs). f64_sign: NaN -> NaN
// (quieted), ±0 -> ±0, otherwise ±1 (PyTorch sign; unlike Rust's signum, which gives ±1 for ±0).
// Reference: Rust's f64 comparison operators and, for minimum/maximum, the PyTorch rule above written in Rust; bit
// for bit in tests/wgsl_lib_f64.rs. Cost: a handful of operations each.

// A key whose unsigned order is the total order of non-NaN values with -0 < +0.
fn f64_order_key(x: vec2<u32>) -> vec2<u32> {
    return select(x | vec2<u32>(0u, 0x80000000u), ~x, (x.y >> 31u) != 0u);
}

// a == b.
fn f64_eq(a: vec2<u32>, b: vec2<u32>) -> bool {
    return !f64_is_nan(a) && !f64_is_nan(b) && (all(a == b) || (f64_is_zero(a) && f64_is_zero(b)));
}

// a < b.
fn f64_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
    let ordered = !f64_is_nan(a) && !f64_is_nan(b) && !(f64_is_zero(a) && f64_is_zero(b));
    return ordered && u64_lt(f64_order_key(a), f64_order_key(b));
}

// a <= b.
fn f64_le(a: vec2<u32>, b: vec2<u32>) -> bool {
    return f64_lt(a, b) || f64_eq(a, b);
}

// min(a, b): NaN if either is NaN; -0 < +0.
fn f64_minimum(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    if f64_is_nan(a) || f64_is_nan(b) {
        return f64_propagate_nan(a, b);
    }
    return select(a, b, u64_lt(f64_order_key(b), f64_order_key(a)));
}

// max(a, b): NaN if either is NaN; -0 < +0.
fn f64_maximum(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    if f64_is_nan(a) || f64_is_nan(b) {
        return f64_propagate_nan(a, b);
    }
    return select(a, b, u64_lt(f64_order_key(a), f64_order_key(b)));
}

// -x.
fn f64_neg(x: vec2<u32>) -> vec2<u32> {
    return x ^ vec2<u32>(0u, 0x80000000u);
}

// |x|.
fn f64_abs(x: vec2<u32>) -> vec2<u32> {
    return x & vec2<u32>(0xffffffffu, 0x7fffffffu);
}

// The sign of x: ±1, ±0 for ±0, NaN for NaN.
fn f64_sign(x: vec2<u32>) -> vec2<u32> {
    let one = vec2<u32>(0u, 0x3ff00000u | (x.y & 0x80000000u));
    return select(select(one, x, f64_is_zero(x)), f64_propagate_nan(x, x), f64_is_nan(x));
}
