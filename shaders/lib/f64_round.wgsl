// Rounding of binary64 values to integral values on bit patterns vec2<u32>(lo, hi) (no SHADER_F64); needs u64.wgsl
// and f64_arith.wgsl. f64_trunc (toward zero), f64_floor, f64_ceil, f64_round (half to even, like numpy.round and
// torch.round; Rust's round_ties_even). Exact: the result is an integral f64 or the input; the sign of a zero result
// is the input's (floor(-0.5) = -1, ceil(-0.5) = -0, round(0.5) = +0, round(-0.5) = -0); ±inf stay; NaN -> NaN
// (quieted). Reference: Rust's f64::trunc/floor/ceil/round_ties_even, bit for bit in tests/wgsl_lib_f64.rs.
// Method: clear the fraction bits of the encoding and add one unit in the last integral place when the mode rounds
// the magnitude up (the carry may step into the exponent field, which is the right result).
// Cost: ~30 operations.

// x rounded to an integral value; mode (a literal): 0 trunc, 1 floor, 2 ceil, 3 half to even.
fn f64_round_mode(x: vec2<u32>, mode: u32) -> vec2<u32> {
    if f64_is_nan(x) {
        return f64_propagate_nan(x, x);
    }
    let e = i32((x.y >> 20u) & 0x7ffu) - 1023; // unbiased exponent
    if e >= 52 {
        return x; // integral already, or ±inf
    }
    let neg = (x.y >> 31u) != 0u;
    let sign_bits = vec2<u32>(0u, x.y & 0x80000000u);
    if e < 0 {
        // |x| < 1: the result is ±0 or ±1.
        let nonzero = !f64_is_zero(x);
        let above_half = e == -1 && (x.x | (x.y & 0xfffffu)) != 0u;
        let up = (mode == 1u && neg && nonzero) || (mode == 2u && !neg && nonzero) || (mode == 3u && above_half);
        return select(sign_bits, sign_bits | vec2<u32>(0u, 0x3ff00000u), up);
    }
    let fraction_bits = u32(52 - e); // 1..=52
    let mask = u64_low_mask(fraction_bits);
    let frac = x & mask;
    let t = x & ~mask;
    let unit = u64_shl(vec2<u32>(1u, 0u), fraction_bits);
    let half = u64_shr(unit, 1u);
    let inexact = !u64_is_zero(frac);
    // The integral part's lowest bit is the encoding's bit `fraction_bits` (for e = 0 it is the exponent field's
    // lowest bit, 1023 being odd, and the integral part 1 is odd too).
    let odd = u64_bit(x, fraction_bits);
    let up_even = u64_lt(half, frac) || (all(frac == half) && odd);
    let up = (mode == 1u && neg && inexact) || (mode == 2u && !neg && inexact) || (mode == 3u && up_even);
    return select(t, u64_add(t, unit), up);
}

// trunc(x): toward zero.
fn f64_trunc(x: vec2<u32>) -> vec2<u32> {
    return f64_round_mode(x, 0u);
}

// floor(x): toward -inf.
fn f64_floor(x: vec2<u32>) -> vec2<u32> {
    return f64_round_mode(x, 1u);
}

// ceil(x): toward +inf.
fn f64_ceil(x: vec2<u32>) -> vec2<u32> {
    return f64_round_mode(x, 2u);
}

// round(x): to nearest, ties to even.
fn f64_round(x: vec2<u32>) -> vec2<u32> {
    return f64_round_mode(x, 3u);
}
