// Elementwise arithmetic of the 8-, 16- and 32-bit integer dtypes (u8 i8 u16 i16 u32 i32) with u32 operations.
// A value travels in a u32, sign-extended (signed) or zero-extended (unsigned) from `bits` bits: its canonical form.
// Every routine takes canonical operands, `bits` (8, 16 or 32) and `signed` as literal arguments (the compiler folds
// them) and returns a canonical result, so results can feed further routines; the kernel keeps the low `bits` bits
// when it packs. Comparisons return bool. A loaded 8/16-bit field (sub_get zero-extends) becomes canonical with
// int_wrap(field, bits, signed).
// Semantics are Rust's `wrapping_*` (reference: the Rust standard library, checked bit for bit in
// tests/wgsl_lib_int.rs), except division by zero, which gives 0 for both quotient and remainder (numpy).
// eq / ne are a == b / a != b on canonical values; gt(a, b) = int_lt(b, a), ge(a, b) = int_le(b, a).
// Cost: 1-4 operations each; div/rem ~10 around one native u32 division.

// The canonical form of the low `bits` bits of x.
fn int_wrap(x: u32, bits: u32, signed: bool) -> u32 {
    let sh = (32u - bits) & 31u;
    return select(x & (0xffffffffu >> sh), u32(i32(x << sh) >> sh), signed);
}

// a + b, wrapping.
fn int_add(a: u32, b: u32, bits: u32, signed: bool) -> u32 {
    return int_wrap(a + b, bits, signed);
}

// a - b, wrapping.
fn int_sub(a: u32, b: u32, bits: u32, signed: bool) -> u32 {
    return int_wrap(a - b, bits, signed);
}

// a * b, wrapping (the low bits of the product do not depend on signedness).
fn int_mul(a: u32, b: u32, bits: u32, signed: bool) -> u32 {
    return int_wrap(a * b, bits, signed);
}

// Whether a canonical value is negative.
fn int_neg_flag(a: u32, signed: bool) -> bool {
    return signed && i32(a) < 0;
}

// |a| as an unsigned magnitude (|MIN| = 2^(bits-1)).
fn int_magnitude(a: u32, signed: bool) -> u32 {
    return select(a, 0u - a, int_neg_flag(a, signed));
}

// a / b truncated toward zero; b = 0 gives 0; MIN / -1 wraps to MIN. Computed on magnitudes, so no native signed
// division (whose MIN / -1 and / 0 behaviour differs between drivers) is involved.
fn int_div(a: u32, b: u32, bits: u32, signed: bool) -> u32 {
    let q = int_magnitude(a, signed) / select(int_magnitude(b, signed), 1u, b == 0u);
    let r = select(q, 0u - q, int_neg_flag(a, signed) != int_neg_flag(b, signed));
    return select(int_wrap(r, bits, signed), 0u, b == 0u);
}

// a % b with the dividend's sign; b = 0 gives 0; MIN % -1 = 0.
fn int_rem(a: u32, b: u32, bits: u32, signed: bool) -> u32 {
    let m = int_magnitude(a, signed) % select(int_magnitude(b, signed), 1u, b == 0u);
    return select(select(m, 0u - m, int_neg_flag(a, signed)), 0u, b == 0u);
}

// a << (b mod bits), wrapping.
fn int_shl(a: u32, b: u32, bits: u32, signed: bool) -> u32 {
    return int_wrap(a << (b & (bits - 1u)), bits, signed);
}

// a >> (b mod bits): arithmetic when signed, logical otherwise.
fn int_shr(a: u32, b: u32, bits: u32, signed: bool) -> u32 {
    let n = b & (bits - 1u);
    return select(a >> n, u32(i32(a) >> n), signed);
}

// -a, wrapping.
fn int_neg(a: u32, bits: u32, signed: bool) -> u32 {
    return int_wrap(0u - a, bits, signed);
}

// |a|, wrapping (abs(MIN) = MIN); the identity when unsigned.
fn int_abs(a: u32, bits: u32, signed: bool) -> u32 {
    return int_wrap(int_magnitude(a, signed), bits, signed);
}

// The sign of a: -1 (as the canonical all-ones), 0 or 1.
fn int_sign(a: u32, signed: bool) -> u32 {
    return select(select(0u, 1u, a != 0u), 0xffffffffu, int_neg_flag(a, signed));
}

// a < b.
fn int_lt(a: u32, b: u32, signed: bool) -> bool {
    return select(a < b, i32(a) < i32(b), signed);
}

// a <= b.
fn int_le(a: u32, b: u32, signed: bool) -> bool {
    return select(a <= b, i32(a) <= i32(b), signed);
}

// min(a, b).
fn int_minimum(a: u32, b: u32, signed: bool) -> u32 {
    return select(a, b, int_lt(b, a, signed));
}

// max(a, b).
fn int_maximum(a: u32, b: u32, signed: bool) -> u32 {
    return select(a, b, int_lt(a, b, signed));
}
