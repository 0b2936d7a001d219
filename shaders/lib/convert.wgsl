// The element conversions of the cast kernels (need u64.wgsl and round_pack.wgsl, and a mark_lossy(bool) function
// from the entry point). Every function takes the formats as arguments; the composed kernel calls them with literal
// arguments, so the compiler specialises each pair and no dtype is branched on at run time.
// Values travel as their bits in vec2<u32>(lo, hi), zero-extended.

// An integer source element of `bits` bits as a 64-bit two's-complement value.
fn int_value(x: vec2<u32>, bits: u32, signed: bool) -> vec2<u32> {
    if bits >= 64u {
        return x;
    }
    let sh = (32u - bits) & 31u;
    let lo = select(x.x, u32(i32(x.x << sh) >> sh), signed);
    return vec2<u32>(lo, select(0u, 0xffffffffu, signed && i32(lo) < 0));
}

// A bool source element (a byte, nonzero = true) as the integer 0 or 1.
fn bool_value(x: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(select(0u, 1u, !u64_is_zero(x)), 0u);
}

// Whether a 64-bit integer (read as signed when signed) is negative.
fn int_is_neg(v: vec2<u32>, signed: bool) -> bool {
    return signed && (v.y >> 31u) != 0u;
}

// The largest value of an integer type, as 64 bits.
fn int_max(bits: u32, signed: bool) -> vec2<u32> {
    return u64_low_mask(select(bits, bits - 1u, signed));
}

// Integer -> integer: two's-complement wrap, or clamp to the target range when saturate. Lossy when out of range.
fn int_to_int(v: vec2<u32>, src_signed: bool, bits: u32, signed: bool, saturate: bool) -> vec2<u32> {
    let neg = int_is_neg(v, src_signed);
    let max_v = int_max(bits, signed);
    let min_v = select(vec2<u32>(0u), ~max_v, signed); // -2^(bits-1) sign-extended, or 0
    let above = !neg && u64_lt(max_v, v);
    let below = neg && (!signed || u64_lt(v, min_v)); // both negative: unsigned order is signed order
    mark_lossy(above || below);
    return select(v, select(min_v, max_v, above), saturate && (above || below));
}

// Integer -> float: correctly rounded (RNE), overflow to inf.
fn int_to_float(v: vec2<u32>, signed: bool, man_bits: u32, exp_bits: u32) -> vec2<u32> {
    let neg = int_is_neg(v, signed);
    return round_pack(neg, 0, select(v, u64_neg(v), neg), false, man_bits, exp_bits);
}

// Integer -> bool: v != 0; lossy unless v is 0 or 1.
fn int_to_bool(v: vec2<u32>) -> vec2<u32> {
    mark_lossy(u64_lt(vec2<u32>(1u, 0u), v));
    return vec2<u32>(select(0u, 1u, !u64_is_zero(v)), 0u);
}

// A float's fields: kind 0 finite (value (-1)^neg * sig * 2^e), 1 infinite, 2 NaN (sig = the stored mantissa).
struct Decoded {
    neg: bool,
    kind: u32,
    e: i32,
    sig: vec2<u32>,
}

fn float_decode(x: vec2<u32>, man_bits: u32, exp_bits: u32) -> Decoded {
    let exp_max = (1u << exp_bits) - 1u;
    let bias = i32(exp_max >> 1u);
    var ef: u32;
    var man: vec2<u32>;
    var neg: bool;
    var hidden: vec2<u32>;
    if man_bits + exp_bits < 32u {
        // Formats of 32 bits or less: one word (the compiler keeps one branch, the formats being literals).
        ef = (x.x >> man_bits) & exp_max;
        man = vec2<u32>(x.x & ((1u << man_bits) - 1u), 0u);
        neg = (x.x >> (man_bits + exp_bits)) != 0u;
        hidden = vec2<u32>(1u << man_bits, 0u);
    } else {
        ef = u64_shr(x, man_bits).x & exp_max;
        man = x & u64_low_mask(man_bits);
        neg = u64_bit(x, man_bits + exp_bits);
        hidden = u64_shl(vec2<u32>(1u, 0u), man_bits);
    }
    let e = max(i32(ef), 1) - bias - i32(man_bits);
    let kind = select(0u, select(1u, 2u, !u64_is_zero(man)), ef == exp_max);
    return Decoded(neg, kind, e, select(man | select(hidden, vec2<u32>(0u), ef == 0u), man, kind != 0u));
}

// Float -> float: exact when widening, RNE when narrowing; NaN keeps its sign and top payload bits, quiet bit set.
fn float_to_float(x: vec2<u32>, sm: u32, se: u32, dm: u32, de: u32) -> vec2<u32> {
    let d = float_decode(x, sm, se);
    let inf = u64_shl(vec2<u32>((1u << de) - 1u, 0u), dm);
    let sign_bits = select(vec2<u32>(0u), u64_shl(vec2<u32>(1u, 0u), dm + de), d.neg);
    let payload = select(u64_shl(d.sig, dm - sm), u64_shr(d.sig, sm - dm), dm <= sm);
    let nan = inf | payload | u64_shl(vec2<u32>(1u, 0u), dm - 1u);
    let special = select(inf, nan, d.kind == 2u) | sign_bits;
    let rounded = round_pack(d.neg, d.e, select(d.sig, vec2<u32>(0u), d.kind != 0u), false, dm, de);
    return select(rounded, special, d.kind != 0u);
}

// Float -> integer: truncate toward zero, saturate at the bounds (inf too), NaN -> 0 (Rust `as`).
// Lossy for NaN, inf, a dropped fraction or a clamped value.
fn float_to_int(x: vec2<u32>, sm: u32, se: u32, bits: u32, signed: bool) -> vec2<u32> {
    let d = float_decode(x, sm, se);
    let up = u32(clamp(d.e, 0, 64));
    let dn = u32(clamp(-d.e, 0, 64));
    let len = 64 - i32(u64_clz(d.sig)); // significant bits of sig
    let huge = d.kind == 1u || (d.e > 0 && len + d.e > 64);
    let mag = select(u64_shr(d.sig, dn), u64_shl(d.sig, up), d.e >= 0);
    let frac = d.kind == 0u && d.e < 0 && u64_low_bits_nonzero(d.sig, dn);
    // The bound on the magnitude: 2^(bits-1) for negatives of signed types, 0 for negatives of unsigned ones.
    let pos_max = int_max(bits, signed);
    let neg_max = select(vec2<u32>(0u), u64_add(pos_max, vec2<u32>(1u, 0u)), signed);
    let bound = select(pos_max, neg_max, d.neg);
    let clamped = huge || u64_lt(bound, mag);
    let m = select(mag, bound, clamped);
    mark_lossy(d.kind == 2u || frac || clamped);
    return select(select(m, u64_neg(m), d.neg), vec2<u32>(0u), d.kind == 2u);
}

// Float -> bool: x != 0 (NaN -> true, -0.0 -> false); lossy unless the value is 0 or 1.
fn float_to_bool(x: vec2<u32>, man_bits: u32, exp_bits: u32) -> vec2<u32> {
    let abs = x & u64_low_mask(man_bits + exp_bits);
    let one = u64_shl(vec2<u32>((1u << (exp_bits - 1u)) - 1u, 0u), man_bits);
    mark_lossy(!u64_is_zero(abs) && !all(x == one));
    return vec2<u32>(select(0u, 1u, !u64_is_zero(abs)), 0u);
}
