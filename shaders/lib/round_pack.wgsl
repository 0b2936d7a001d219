// The one round-and-pack used by every cast to a float (needs u64.wgsl).
//
// Rounds (-1)^sign * sig * 2^e, plus (when sticky_in) a positive amount below sig's last bit, to the float format
// with man_bits stored mantissa bits and exp_bits exponent bits (f16: 10, 5; bf16: 7, 8; f32: 23, 8; f64: 52, 11):
// round to nearest, ties to even; subnormals kept; overflow gives inf. Returns the bits (lo, hi; hi is 0 for
// formats of 32 bits or less) and marks the element lossy when the result is not the exact value.
// Reference: Berkeley SoftFloat softfloat_roundPackToF32 and compiler-rt floatundisf.c, with a 64-bit significand.
fn round_pack(sign: bool, e: i32, sig: vec2<u32>, sticky_in: bool, man_bits: u32, exp_bits: u32) -> vec2<u32> {
    let bias = i32((1u << (exp_bits - 1u)) - 1u);
    let emin = 1 - bias;
    let inf = u64_shl(vec2<u32>((1u << exp_bits) - 1u, 0u), man_bits);
    let sign_bits = select(vec2<u32>(0u), u64_shl(vec2<u32>(1u, 0u), man_bits + exp_bits), sign);

    let p = 63 - i32(u64_clz(sig)); // the leading one's position (-1 when sig == 0)
    let ue = p + e; // the value's unbiased exponent
    let ue_c = max(ue, emin); // subnormals share emin
    let shift = ue_c - i32(man_bits) - e; // significand bits to drop (< 0: to append)

    let up_n = u32(clamp(-shift, 0, 64));
    let dn_n = u32(clamp(shift, 0, 128));
    var q = select(u64_shl(sig, up_n), u64_shr(sig, dn_n), shift > 0);
    let half = shift > 0 && u64_bit(sig, dn_n - 1u);
    let sticky = sticky_in || (shift > 1 && u64_low_bits_nonzero(sig, dn_n - 1u));
    let round_up = half && (sticky || (q.x & 1u) != 0u);
    q = u64_add(q, vec2<u32>(select(0u, 1u, round_up), 0u));

    // (biased exponent - 1) << man_bits, plus q whose hidden bit (for normals) carries into the exponent field.
    let base = u32(ue_c + bias - 1);
    let bits = u64_add(u64_shl(vec2<u32>(base, 0u), man_bits), q);
    let overflow = ue > bias || !u64_lt(bits, inf);
    mark_lossy(!u64_is_zero(sig) && (half || sticky || overflow));
    mark_lossy(u64_is_zero(sig) && sticky_in);
    let magnitude = select(select(bits, inf, overflow), vec2<u32>(0u), u64_is_zero(sig));
    return magnitude | sign_bits;
}
