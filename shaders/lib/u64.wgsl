// 64-bit unsigned integers as vec2<u32>(lo, hi), using 32-bit operations only (no SHADER_INT64).
// WGSL takes runtime shift counts modulo 32, so every shift here selects the >= 32 cases explicitly.
// The primitives: compare, add/sub/neg (wrapping), shifts and masks, the 32x32 -> 64 and 64x64 -> 128 products and
// the low 64 bits of a product, and division with remainder (Knuth D). The elementwise u64/i64 semantics built on
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

// The number of leading zero bits, 0..=64 (one countLeadingZeros, of the top nonzero word: on SIMD CPU adapters a
// vector countLeadingZeros is a dozen instructions).
fn u64_clz(a: vec2<u32>) -> u32 {
    let hz = a.y == 0u;
    return countLeadingZeros(select(a.y, a.x, hz)) + select(0u, 32u, hz);
}

// vec3(u64_shl(a, n), n) with n = u64_clz(a): a shifted left until its leading one is bit 63 (0 stays 0, n = 64),
// with one countLeadingZeros and 32-bit shifts. For a.y != 0 the shift s = n is below 32 and the low word's top s
// bits move up ((a.x >> 1) >> (31 - s) is a.x >> (32 - s), and 0 for s = 0); otherwise a.x moves up by s = n - 32.
fn u64_normalise(a: vec2<u32>) -> vec3<u32> {
    let hz = a.y == 0u;
    let w = select(a.y, a.x, hz);
    let rest = select(a.x, 0u, hz);
    let s = countLeadingZeros(w); // 32 only when a == 0 (then w = rest = 0)
    let hi = (w << (s & 31u)) | ((rest >> 1u) >> ((31u - s) & 31u));
    return vec3<u32>(rest << (s & 31u), hi, s + select(0u, 32u, hz));
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

// (u1 * 2^32 + u0) / v and the remainder, as (q, r), for u1 < v (so the quotient fits 32 bits): Knuth's algorithm
// D with 16-bit digits and native u32 division, Hacker's Delight `divlu` (each estimated digit needs at most two
// corrections). Straight-line: about 40 operations and two native divisions.
fn u64_div_word(u1: u32, u0: u32, v: u32) -> vec2<u32> {
    let s = countLeadingZeros(v);
    let vn = v << s;
    let vn1 = vn >> 16u;
    let vn0 = vn & 0xffffu;
    let un32 = (u1 << s) | select(u0 >> ((32u - s) & 31u), 0u, s == 0u);
    let un10 = u0 << s;
    let un1 = un10 >> 16u;
    let un0 = un10 & 0xffffu;
    var q1 = un32 / vn1;
    var rhat = un32 - q1 * vn1;
    if q1 > 0xffffu || q1 * vn0 > ((rhat << 16u) | un1) {
        q1 -= 1u;
        rhat += vn1;
        if rhat <= 0xffffu && (q1 > 0xffffu || q1 * vn0 > ((rhat << 16u) | un1)) {
            q1 -= 1u;
        }
    }
    let un21 = (un32 << 16u) + un1 - q1 * vn; // < vn: the wrapped 32-bit arithmetic is exact
    var q0 = un21 / vn1;
    rhat = un21 - q0 * vn1;
    if q0 > 0xffffu || q0 * vn0 > ((rhat << 16u) | un0) {
        q0 -= 1u;
        rhat += vn1;
        if rhat <= 0xffffu && (q0 > 0xffffu || q0 * vn0 > ((rhat << 16u) | un0)) {
            q0 -= 1u;
        }
    }
    let r = ((un21 << 16u) + un0 - q0 * vn) >> s;
    return vec2<u32>((q1 << 16u) + q0, r);
}

// Unsigned quotient and remainder (q.x, q.y, r.x, r.y) of a / b; b = 0 gives q = r = 0 (numpy's rule for
// integers). Operands that both fit 32 bits take one native division. Otherwise Hacker's Delight `divDU`: a divisor
// of 32 bits takes one native division for the high word and u64_div_word for the low one; a wider divisor is
// normalised, u64_div_word on its top word estimates the (32-bit) quotient to within one, and one comparison
// corrects it. Straight-line, about 80 operations.
fn u64_divrem(a: vec2<u32>, b: vec2<u32>) -> vec4<u32> {
    if u64_is_zero(b) {
        return vec4<u32>(0u);
    }
    if (a.y | b.y) == 0u {
        return vec4<u32>(a.x / b.x, 0u, a.x % b.x, 0u); // both fit 32 bits (common: small magnitudes)
    }
    if b.y == 0u {
        let qh = a.y / b.x;
        let low = u64_div_word(a.y - qh * b.x, a.x, b.x);
        return vec4<u32>(low.x, qh, low.y, 0u);
    }
    let n = countLeadingZeros(b.y); // 0..=31
    let v1 = u64_shl(b, n).y; // the divisor's top 32 bits, top bit set
    let half = u64_shr(a, 1u); // half.y < 2^31 <= v1
    let q1 = u64_div_word(half.y, half.x, v1).x;
    var q = u64_shr(u64_shl(vec2<u32>(q1, 0u), n), 31u).x; // the true quotient or one more
    q -= select(0u, 1u, q != 0u); // now the true quotient or one less
    var r = u64_sub(a, u64_mul(vec2<u32>(q, 0u), b));
    if !u64_lt(r, b) {
        q += 1u;
        r = u64_sub(r, b);
    }
    return vec4<u32>(q, 0u, r);
}
