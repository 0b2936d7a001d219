// 64-bit unsigned integers as vec2<u32>(lo, hi), using 32-bit operations only (no SHADER_INT64).
// WGSL takes runtime shift counts modulo 32, so every shift here selects the >= 32 cases explicitly.

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
