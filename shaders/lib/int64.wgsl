// Elementwise arithmetic of u64 and i64 on vec2<u32>(lo, hi) with 32-bit operations only (no SHADER_INT64); needs
// u64.wgsl. Semantics are Rust's `wrapping_*` (reference: the Rust standard library, checked bit for bit in
// tests/wgsl_lib_int.rs), except division by zero, which gives 0 for both quotient and remainder (numpy).
//
// Routines that do not depend on signedness live in u64.wgsl and serve both types:
//   add u64_add, sub u64_sub, mul u64_mul (low 64 bits), neg u64_neg, eq / ne all(a == b) / any(a != b),
//   shl u64_shl(a, b.x & 63u), unsigned shr u64_shr(a, b.x & 63u), unsigned lt u64_lt, u64 div / rem below.
// Comparisons: gt(a, b) = lt(b, a), ge(a, b) = le(b, a).
// Cost (WGSL operations, roughly): add/sub 4, mul ~20, compare 3-5, shifts ~8, div/rem ~80 straight-line
// (u64_divrem: Knuth D with 16-bit digits, three native u32 divisions at most), signed div/rem ~10 more.

// a / b unsigned, truncated; b = 0 gives 0.
fn u64_div(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return u64_divrem(a, b).xy;
}

// a % b unsigned; b = 0 gives 0.
fn u64_rem(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return u64_divrem(a, b).zw;
}

// Whether a (as i64) is negative.
fn i64_is_neg(a: vec2<u32>) -> bool {
    return (a.y >> 31u) != 0u;
}

// |a| as an unsigned magnitude (|i64::MIN| = 2^63).
fn i64_magnitude(a: vec2<u32>) -> vec2<u32> {
    return select(a, u64_neg(a), i64_is_neg(a));
}

// a / b signed, truncated toward zero; b = 0 gives 0; MIN / -1 wraps to MIN.
fn i64_div(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let q = u64_divrem(i64_magnitude(a), i64_magnitude(b)).xy;
    return select(q, u64_neg(q), i64_is_neg(a) != i64_is_neg(b));
}

// a % b signed, with the dividend's sign; b = 0 gives 0; MIN % -1 = 0.
fn i64_rem(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let r = u64_divrem(i64_magnitude(a), i64_magnitude(b)).zw;
    return select(r, u64_neg(r), i64_is_neg(a));
}

// a <= b unsigned.
fn u64_le(a: vec2<u32>, b: vec2<u32>) -> bool {
    return !u64_lt(b, a);
}

// a < b signed.
fn i64_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
    return u64_lt(a ^ vec2<u32>(0u, 0x80000000u), b ^ vec2<u32>(0u, 0x80000000u));
}

// a <= b signed.
fn i64_le(a: vec2<u32>, b: vec2<u32>) -> bool {
    return !i64_lt(b, a);
}

// a >> (n mod 64), arithmetic (Rust i64 wrapping_shr). Logical: u64_shr(a, n & 63u).
fn i64_shr(a: vec2<u32>, n: u32) -> vec2<u32> {
    let s = n & 31u;
    let hi = u32(i32(a.y) >> s);
    let fill = u32(i32(a.y) >> 31u);
    let carry = select(a.y << ((32u - s) & 31u), 0u, s == 0u);
    return select(vec2<u32>((a.x >> s) | carry, hi), vec2<u32>(hi, fill), (n & 32u) != 0u);
}

// min(a, b) unsigned.
fn u64_minimum(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return select(a, b, u64_lt(b, a));
}

// max(a, b) unsigned.
fn u64_maximum(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return select(a, b, u64_lt(a, b));
}

// min(a, b) signed.
fn i64_minimum(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return select(a, b, i64_lt(b, a));
}

// max(a, b) signed.
fn i64_maximum(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return select(a, b, i64_lt(a, b));
}

// |a| wrapping (abs(MIN) = MIN). Unsigned abs is the identity.
fn i64_abs(a: vec2<u32>) -> vec2<u32> {
    return i64_magnitude(a);
}

// The sign of a signed a: -1, 0 or 1.
fn i64_sign(a: vec2<u32>) -> vec2<u32> {
    return select(vec2<u32>(select(0u, 1u, !u64_is_zero(a)), 0u), vec2<u32>(0xffffffffu), i64_is_neg(a));
}

// The sign of an unsigned a: 0 or 1.
fn u64_sign(a: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(select(0u, 1u, !u64_is_zero(a)), 0u);
}
