// The one round-and-pack used by every cast to a float (needs u64.wgsl).
//
// Rounds (-1)^sign * sig * 2^e, plus (when sticky_in) a positive amount below sig's last bit, to the float format
// with man_bits stored mantissa bits and exp_bits exponent bits (f16: 10, 5; bf16: 7, 8; f32: 23, 8; f64: 52, 11):
// round to nearest, ties to even; subnormals kept; overflow gives inf. Returns the bits (lo, hi; hi is 0 for
// formats of 32 bits or less) and marks the element lossy when the result is not the exact value.
// The formats are literal arguments at every call, so the compiler keeps one of the two strategies below: formats
// of 32 bits or less round the top word of the normalised significand with 32-bit operations; f64 rounds the
// 64-bit significand in place.
// Reference: Berkeley SoftFloat softfloat_roundPackToF32 and compiler-rt floatundisf.c, with a 64-bit significand.
fn round_pack(sign: bool, e: i32, sig: vec2<u32>, sticky_in: bool, man_bits: u32, exp_bits: u32) -> vec2<u32> {
    let bias = i32((1u << (exp_bits - 1u)) - 1u);
    let emin = 1 - bias;
    let zero = u64_is_zero(sig);
    let norm = u64_normalise(sig); // the leading one at bit 63 (the f64 strategy uses only the shift)
    let lz = norm.z;
    let ue = 63 - i32(lz) + e; // the value's unbiased exponent (when sig != 0)
    // Subnormals share emin. A nonzero sig is at least 1, so ue >= e: with e >= emin (a literal e, as in every
    // integer -> float cast) the result is never subnormal and the compiler drops the subnormal shifts below.
    let ue_c = select(max(ue, emin), ue, e >= emin);
    // (biased exponent - 1): adding a significand whose hidden bit is set carries into the exponent field.
    let base = u32(ue_c + bias - 1);
    if man_bits < 32u {
        let top = norm.y;
        // Bits of `top` below the result's last bit (more for subnormals).
        let drop = 31u - man_bits + u32(ue_c - ue);
        let q = select(top >> (drop & 31u), 0u, drop >= 32u);
        let h = (drop - 1u) & 31u;
        let half = drop <= 32u && ((top >> h) & 1u) != 0u;
        let low = select(top & ((1u << h) - 1u), top, drop > 32u);
        let sticky = sticky_in || low != 0u || norm.x != 0u;
        let round_up = half && (sticky || (q & 1u) != 0u);
        let inf = ((1u << exp_bits) - 1u) << man_bits;
        let bits = (base << man_bits) + q + select(0u, 1u, round_up);
        // sig < 2^64, so ue <= 63 + e: with 63 + e < bias (a literal e, as in integer -> f32 casts) no rounding
        // reaches inf (bits <= (2 * bias - 2 + 2) << man_bits).
        let overflow = 63 + e >= bias && (ue > bias || bits >= inf);
        mark_lossy(select(half || sticky || overflow, sticky_in, zero));
        let magnitude = select(select(bits, inf, overflow), 0u, zero);
        return vec2<u32>(magnitude | select(0u, 1u << (man_bits + exp_bits), sign), 0u);
    }
    let inf = u64_shl(vec2<u32>((1u << exp_bits) - 1u, 0u), man_bits);
    let shift = ue_c - i32(man_bits) - e; // significand bits to drop (< 0: to append)
    let up_n = u32(clamp(-shift, 0, 64));
    let dn_n = u32(clamp(shift, 0, 128));
    var q = select(u64_shl(sig, up_n), u64_shr(sig, dn_n), shift > 0);
    let half = shift > 0 && u64_bit(sig, dn_n - 1u);
    let sticky = sticky_in || (shift > 1 && u64_low_bits_nonzero(sig, dn_n - 1u));
    let round_up = half && (sticky || (q.x & 1u) != 0u);
    q = u64_add(q, vec2<u32>(select(0u, 1u, round_up), 0u));
    let bits = u64_add(u64_shl(vec2<u32>(base, 0u), man_bits), q);
    let overflow = ue > bias || !u64_lt(bits, inf);
    mark_lossy(select(half || sticky || overflow, sticky_in, zero));
    let magnitude = select(select(bits, inf, overflow), vec2<u32>(0u), zero);
    return magnitude | select(vec2<u32>(0u), u64_shl(vec2<u32>(1u, 0u), man_bits + exp_bits), sign);
}
