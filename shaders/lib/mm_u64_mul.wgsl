// 64-bit wrapping multiply for the matrix product (the integer library's u64_mul may replace it once merged).
// Values are vec2<u32>(lo, hi); the low 64 bits of a · b, the same for signed and unsigned operands.

// The full 64-bit product of two u32, from 16-bit halves.
fn mm_mul_wide(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let mid = a1 * b0 + (p00 >> 16u); // fits: (2^16-1)^2 + 2^16-1 < 2^32
    let mid2 = a0 * b1 + (mid & 0xffffu);
    let hi = a1 * b1 + (mid >> 16u) + (mid2 >> 16u);
    return vec2<u32>((mid2 << 16u) | (p00 & 0xffffu), hi);
}

// a · b mod 2^64.
fn mm_u64_mul_lo(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = mm_mul_wide(a.x, b.x);
    return vec2<u32>(lo.x, lo.y + a.x * b.y + a.y * b.x);
}
