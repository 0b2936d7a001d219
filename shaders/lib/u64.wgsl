// 64-bit unsigned integers as vec2<u32>(lo, hi), using 32-bit operations only (no SHADER_INT64).
// WGSL takes runtime shift counts modulo 32, so every shift here selects the >= 32 cases explicitly.
// The primitives: compare, add/sub/neg (wrapping), shifts and masks, the 32x32 -> 64 and 64x64 -> 128 products and
// the low 64 bits of a product, and restoring division with remainder. The elementwise u64/i64 semantics built on
// them are in int64.wgsl. Reference: Rust's u64/u128 arithmetic (tests/wgsl_lib.rs, tests/wgsl_lib_int.rs).

// a < b, unsigned.
fn u64_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.y < b.y || (a.y == b.y && a.x < b.x);
}

// a == 0.
fn u64_is_zero(a: vec2<u32>) -> bool {
    return (a.x | a.y) == 0u;
}

// a + b, wrapping.
fn u64_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

// -a, two's complement.
fn u64_neg(a: vec2<u32>) -> vec2<u32> {
    let lo = ~a.x + 1u;
    return vec2<u32>(lo, ~a.y + select(0u, 1u, lo == 0u));
}

// The number of leading zero bits, 0..=64.
fn u64_clz(a: vec2<u32>) -> u32 {
    return select(32u + countLeadingZeros(a.x), countLeadingZeros(a.y), a.y != 0u);
}

// a << n for any n (n >= 64 gives 0).
fn u64_shl(a: vec2<u32>, n: u32) -> vec2<u32> {
    let s = n & 31u;
    let carry = select(a.x >> ((32u - s) & 31u), 0u, s == 0u);
    let small = vec2<u32>(a.x << s, (a.y << s) | carry);
    let big = vec2<u32>(0u, a.x << s);
    return select(select(small, big, n >= 32u), vec2<u32>(0u), n >= 64u);
}

// a >> n (logical) for any n (n >= 64 gives 0).
fn u64_shr(a: vec2<u32>, n: u32) -> vec2<u32> {
    let s = n & 31u;
    let carry = select(a.y << ((32u - s) & 31u), 0u, s == 0u);
    let small = vec2<u32>((a.x >> s) | carry, a.y >> s);
    let big = vec2<u32>(a.y >> s, 0u);
    return select(select(small, big, n >= 32u), vec2<u32>(0u), n >= 64u);
}

// 2^min(n, 64) - 1: the low n bits set.
fn u64_low_mask(n: u32) -> vec2<u32> {
    let one_word = (1u << (n & 31u)) - 1u;
    let lo = select(one_word, 0xffffffffu, n >= 32u);
    let hi = select(select(one_word, 0u, n < 32u), 0xffffffffu, n >= 64u);
    return vec2<u32>(lo, hi);
}

// Whether any of the low n bits of a is set (n >= 64: whether a != 0).
fn u64_low_bits_nonzero(a: vec2<u32>, n: u32) -> bool {
    return !u64_is_zero(a & u64_low_mask(n));
}

// Bit n of a (0 for n >= 64).
fn u64_bit(a: vec2<u32>, n: u32) -> bool {
    return (u64_shr(a, n).x & 1u) != 0u;
}

// a - b, wrapping.
fn u64_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}

// The full 64-bit product of two u32 (16-bit limbs; about 14 operations).
fn u64_mul_wide(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu); // < 3 * 2^16
    return vec2<u32>((p00 & 0xffffu) | (mid << 16u), a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}

// a * b, wrapping: the low 64 bits of the product (Rust u64/i64 wrapping_mul; the low half is sign-agnostic).
fn u64_mul(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let p = u64_mul_wide(a.x, b.x);
    return vec2<u32>(p.x, p.y + a.x * b.y + a.y * b.x);
}

// The full 128-bit product a * b as four words, least significant first.
fn u64_mul_full(a: vec2<u32>, b: vec2<u32>) -> vec4<u32> {
    let ll = u64_mul_wide(a.x, b.x);
    let lh = u64_mul_wide(a.x, b.y);
    let hl = u64_mul_wide(a.y, b.x);
    let hh = u64_mul_wide(a.y, b.y);
    let m = u64_add(lh, hl);
    let m2 = u64_add(m, vec2<u32>(ll.y, 0u));
    let carries = select(0u, 1u, u64_lt(m, lh)) + select(0u, 1u, u64_lt(m2, m)); // into bit 96
    let top = u64_add(hh, vec2<u32>(m2.y, carries));
    return vec4<u32>(ll.x, m2.x, top.x, top.y);
}

// Unsigned quotient and remainder (q.x, q.y, r.x, r.y) of a / b by restoring (shift-subtract) division: one loop
// trip per quotient bit past the divisor's length, at most 64. b = 0 gives q = r = 0 (numpy's rule for integers).
// Operands that both fit 32 bits take the native u32 division.
fn u64_divrem(a: vec2<u32>, b: vec2<u32>) -> vec4<u32> {
    if u64_is_zero(b) {
        return vec4<u32>(0u);
    }
    if u64_lt(a, b) {
        return vec4<u32>(0u, 0u, a);
    }
    if (a.y | b.y) == 0u {
        return vec4<u32>(a.x / b.x, 0u, a.x % b.x, 0u);
    }
    let s = u64_clz(b) - u64_clz(a); // a >= b > 0: the quotient has s + 1 bits
    var d = u64_shl(b, s);
    var r = a;
    var q = vec2<u32>(0u);
    for (var i = 0u; i <= s; i++) {
        q = vec2<u32>(q.x << 1u, (q.y << 1u) | (q.x >> 31u));
        if !u64_lt(r, d) {
            r = u64_sub(r, d);
            q.x |= 1u;
        }
        d = vec2<u32>((d.x >> 1u) | (d.y << 31u), d.y >> 1u);
    }
    return vec4<u32>(q, r);
}
