// f16 and bf16 arithmetic: computed in f32 and rounded once (needs convert.wgsl and its dependencies, f32_arith.wgsl).
//
// A format is given by its stored mantissa and exponent bits (f16: 10, 5; bf16: 7, 8) as literal arguments. Widening
// to f32 is exact; narrowing rounds once, to nearest even, through the cast's float_to_float (subnormals kept,
// overflow to inf, NaN keeps its sign and top payload bits with the quiet bit set). An op on halves is
// half_narrow(f32_op(half_widen(a), half_widen(b))): correctly rounded for + - * / sqrt, because f32 has at least
// 2p + 2 bits for both formats (f16: p = 11, bf16: p = 8), so the f32 rounding never changes the second one.
// Comparisons, min/max, neg/abs/sign, floor/ceil/trunc/round and is_nan/is_inf of widened values are exact.

// A half's bits (low 16 bits of x) as f32 bits, exactly.
fn half_widen(x: u32, man_bits: u32, exp_bits: u32) -> u32 {
    return float_to_float(vec2<u32>(x, 0u), man_bits, exp_bits, 23u, 8u).x;
}

// f32 bits rounded once (to nearest, ties to even) to a half's bits (in the low 16 bits).
fn half_narrow(x: u32, man_bits: u32, exp_bits: u32) -> u32 {
    return float_to_float(vec2<u32>(x, 0u), 23u, 8u, man_bits, exp_bits).x;
}
