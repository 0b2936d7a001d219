// Exact f32 arithmetic on bit patterns (needs u64.wgsl with u64_mul_wide, round_pack.wgsl, and a mark_lossy(bool)
// function from the entry point; a kernel that counts no lossy elements defines it as a no-op).
//
// Values travel as their u32 bits and are never stored as f32 values (storing may flush subnormals). NaN is tested on
// the bits (a finite-math compiler may drop `x != x`). Results are IEEE 754 binary32, round to nearest even, bit-exact
// against Rust `f32` on every non-NaN result, subnormal inputs and outputs kept. NaN rule: a NaN operand gives that
// operand with the quiet bit set (the first when both are NaN); an invalid operation (inf - inf, 0 * inf, 0 / 0,
// inf / inf, sqrt of a negative) gives the default NaN 0x7fc00000.
//
// Strategy. WGSL's `+ - *` are correctly rounded on normal values, but an implementation may flush subnormal inputs
// and results to zero: add, sub and mul take the native result only when both operands and the result are normal,
// and otherwise an integer path. WGSL's division (2.5 ULP) and sqrt (inverseSqrt accuracy) are only estimates: div
// and sqrt divide (take the root of) the significands natively, on values in [1, 4) that no flush can touch, then
// correct the estimate with an exact integer residual (computed modulo 2^32, exact because it is small) and round in
// integers. A compiler's choice to fuse or not fuse never changes a result: no routine evaluates a*b+c natively.

const F32_SIGN_BIT: u32 = 0x80000000u;
const F32_MAG_MASK: u32 = 0x7fffffffu;
const F32_INF_BITS: u32 = 0x7f800000u;
const F32_QUIET_BIT: u32 = 0x00400000u;
const F32_DEFAULT_NAN: u32 = 0x7fc00000u;

// Whether x is a NaN.
fn f32_is_nan(x: u32) -> bool {
    return (x & F32_MAG_MASK) > F32_INF_BITS;
}

// Whether x is +inf or -inf.
fn f32_is_inf(x: u32) -> bool {
    return (x & F32_MAG_MASK) == F32_INF_BITS;
}

// Whether x is normal (not zero, subnormal, infinite or NaN).
fn f32_is_normal(x: u32) -> bool {
    return ((x >> 23u) & 0xffu) - 1u < 254u;
}

// Whether a, b and r are all normal, without branches (the fast paths' test): the biased exponents minus one, taken
// modulo 2^32, are all below 254.
fn f32_all_normal(a: u32, b: u32, r: u32) -> bool {
    return max(max(((a >> 23u) & 0xffu) - 1u, ((b >> 23u) & 0xffu) - 1u), ((r >> 23u) & 0xffu) - 1u) < 254u;
}

// The result of a binary op with a NaN operand: the first NaN operand, quieted.
fn f32_nan_of(a: u32, b: u32) -> u32 {
    return select(b, a, f32_is_nan(a)) | F32_QUIET_BIT;
}

// A finite nonzero magnitude as (sig, e) with value sig * 2^e and sig's leading one at bit 23 (subnormals
// normalised).
fn f32_unpack(x: u32) -> vec2<i32> {
    let ef = (x >> 23u) & 0xffu;
    let man = x & 0x7fffffu;
    if ef == 0u {
        let lz = countLeadingZeros(man) - 8u;
        return vec2<i32>(i32(man << lz), -149 - i32(lz));
    }
    return vec2<i32>(i32(man | 0x800000u), i32(ef) - 150);
}

// Rounds sig * 2^(ue - 24) plus a positive amount below sig's last bit when sticky (sig's leading one at bit 24, so
// ue is the unbiased exponent) to f32 bits with sign_bit: inline when the result is normal or overflows, else through
// round_pack (subnormal results).
fn f32_round_q25(sign_bit: u32, ue: i32, sig: u32, sticky: bool) -> u32 {
    let biased = ue + 127;
    if biased >= 1 && biased <= 254 {
        let up = (sig & 1u) != 0u && (sticky || (sig & 2u) != 0u);
        // The hidden bit carries into the exponent field; a carry out of 254 gives exactly the inf bits.
        return sign_bit | ((u32(biased - 1) << 23u) + (sig >> 1u) + select(0u, 1u, up));
    }
    if biased > 254 {
        return sign_bit | F32_INF_BITS;
    }
    return round_pack(sign_bit != 0u, ue - 24, vec2<u32>(sig, 0u), sticky, 23u, 8u).x;
}

// a + b, correctly rounded: the integer path (any operands).
fn f32_add_exact(a: u32, b: u32) -> u32 {
    let ma = a & F32_MAG_MASK;
    let mb = b & F32_MAG_MASK;
    if ma > F32_INF_BITS || mb > F32_INF_BITS {
        return f32_nan_of(a, b);
    }
    if ma == F32_INF_BITS || mb == F32_INF_BITS {
        if ma == mb && a != b {
            return F32_DEFAULT_NAN; // inf - inf
        }
        return select(b, a, ma == F32_INF_BITS);
    }
    if ma == 0u || mb == 0u {
        // -0 + -0 = -0 and +0 + -0 = +0; otherwise the nonzero operand.
        return select(select(a, b, ma == 0u), a & b, ma == 0u && mb == 0u);
    }
    let a_big = ma >= mb;
    let big = select(b, a, a_big);
    let small = select(a, b, a_big);
    let ub = f32_unpack(big & F32_MAG_MASK);
    let us = f32_unpack(small & F32_MAG_MASK);
    // Both significands with 6 guard bits (leading one at bit 29); the small one aligned, lost bits in sticky.
    let d = u32(ub.y - us.y);
    let x = u32(ub.x) << 6u;
    let ys = u32(us.x) << 6u;
    let y = select(0u, ys >> (d & 31u), d < 32u);
    let sticky = select(ys != 0u, (ys & ((1u << (d & 31u)) - 1u)) != 0u, d < 32u);
    var z: u32;
    if ((a ^ b) & F32_SIGN_BIT) == 0u {
        z = x + y;
    } else {
        // x - (y + e) with 0 < e < 1 (when sticky) is (x - y - 1) + (1 - e): the sticky amount stays positive.
        z = x - y - select(0u, 1u, sticky);
        if z == 0u && !sticky {
            return 0u; // exact cancellation gives +0
        }
    }
    // (z + sticky amount) * 2^(ub.y - 6), normalised to a leading one at bit 24. Sticky implies d > 6, so z has its
    // leading one at bit 28 or above and only a right shift can lose bits.
    let lead = 31u - countLeadingZeros(z);
    let sh = select(0u, lead - 24u, lead >= 24u);
    let sig = select(z << ((24u - lead) & 31u), z >> sh, lead >= 24u);
    let st = sticky || (z & ((1u << sh) - 1u)) != 0u;
    return f32_round_q25(big & F32_SIGN_BIT, ub.y - 6 + i32(lead), sig, st);
}

// a + b, correctly rounded.
fn f32_add(a: u32, b: u32) -> u32 {
    let r = bitcast<u32>(bitcast<f32>(a) + bitcast<f32>(b));
    if f32_all_normal(a, b, r) {
        return r;
    }
    return f32_add_exact(a, b);
}

// a - b, correctly rounded.
fn f32_sub(a: u32, b: u32) -> u32 {
    if f32_is_nan(b) {
        return f32_nan_of(a, b);
    }
    return f32_add(a, b ^ F32_SIGN_BIT);
}

// a * b, correctly rounded: the integer path (any operands).
fn f32_mul_exact(a: u32, b: u32) -> u32 {
    let ma = a & F32_MAG_MASK;
    let mb = b & F32_MAG_MASK;
    let sign_bit = (a ^ b) & F32_SIGN_BIT;
    if ma > F32_INF_BITS || mb > F32_INF_BITS {
        return f32_nan_of(a, b);
    }
    if ma == F32_INF_BITS || mb == F32_INF_BITS {
        return select(sign_bit | F32_INF_BITS, F32_DEFAULT_NAN, ma == 0u || mb == 0u);
    }
    if ma == 0u || mb == 0u {
        return sign_bit;
    }
    let ua = f32_unpack(ma);
    let ub = f32_unpack(mb);
    // The exact product (47 or 48 bits) cut to 25 bits (leading one at bit 24) and a sticky bit.
    let p = u64_mul_wide(u32(ua.x), u32(ub.x));
    let lead = 63u - countLeadingZeros(p.y); // 46 or 47
    let sh = lead - 24u; // 22 or 23
    let sig = (p.y << (32u - sh)) | (p.x >> sh);
    return f32_round_q25(sign_bit, ua.y + ub.y + i32(lead), sig, (p.x & ((1u << sh) - 1u)) != 0u);
}

// a * b, correctly rounded.
fn f32_mul(a: u32, b: u32) -> u32 {
    let r = bitcast<u32>(bitcast<f32>(a) * bitcast<f32>(b));
    // A result of exactly the smallest normal may come from a flushed rounding: take the integer path for it too.
    if f32_all_normal(a, b, r) & ((r & F32_MAG_MASK) != 0x00800000u) {
        return r;
    }
    return f32_mul_exact(a, b);
}

// a / b, correctly rounded.
fn f32_div(a: u32, b: u32) -> u32 {
    let ma = a & F32_MAG_MASK;
    let mb = b & F32_MAG_MASK;
    let sign_bit = (a ^ b) & F32_SIGN_BIT;
    if ma > F32_INF_BITS || mb > F32_INF_BITS {
        return f32_nan_of(a, b);
    }
    if ma == F32_INF_BITS || mb == F32_INF_BITS || ma == 0u || mb == 0u {
        if ma == mb {
            return F32_DEFAULT_NAN; // inf / inf, 0 / 0
        }
        return select(sign_bit, sign_bit | F32_INF_BITS, ma == F32_INF_BITS || mb == 0u);
    }
    let ua = f32_unpack(ma);
    let ub = f32_unpack(mb);
    var sa = u32(ua.x);
    let sb = u32(ub.x);
    var ue = ua.y - ub.y;
    if sa < sb {
        sa = sa << 1u;
        ue -= 1;
    }
    // q = floor(sa * 2^24 / sb), in [2^24, 2^25): the native quotient of the significands (exact small integers as
    // floats, quotient in [1, 2)) is within a few units; the residual sa * 2^24 - q * sb is then below 2^31 in
    // magnitude, so its value modulo 2^32 read as i32 is exact.
    var q = u32(f32(sa) / f32(sb) * 16777216.0);
    var r = i32((sa << 24u) - q * sb);
    for (var i = 0; i < 16 && r < 0; i++) {
        q -= 1u;
        r += i32(sb);
    }
    for (var i = 0; i < 16 && r >= i32(sb); i++) {
        q += 1u;
        r -= i32(sb);
    }
    return f32_round_q25(sign_bit, ue, q, r != 0);
}

// sqrt(x), correctly rounded; sqrt(-0) = -0.
fn f32_sqrt(x: u32) -> u32 {
    if f32_is_nan(x) {
        return x | F32_QUIET_BIT;
    }
    if (x & F32_MAG_MASK) == 0u || x == F32_INF_BITS {
        return x;
    }
    if (x & F32_SIGN_BIT) != 0u {
        return F32_DEFAULT_NAN;
    }
    let u = f32_unpack(x);
    var m = u32(u.x);
    var e = u.y;
    if (e & 1) == 0 {
        m = m << 1u;
        e -= 1;
    }
    // x = m * 2^e, e odd, m in [2^23, 2^25). s = floor(sqrt(m * 2^25)), in [2^24, 2^25): the native root of
    // m * 2^-23 (exact, in [1, 4)) is within a few units; the residual m * 2^25 - s^2 is below 2^31 in magnitude.
    var s = u32(sqrt(f32(m) * (1.0 / 8388608.0)) * 16777216.0);
    var r = i32((m << 25u) - s * s);
    for (var i = 0; i < 16 && r < 0; i++) {
        s -= 1u;
        r += i32(2u * s + 1u);
    }
    for (var i = 0; i < 16 && r > i32(2u * s); i++) {
        r -= i32(2u * s + 1u);
        s += 1u;
    }
    return f32_round_q25(0u, (e - 25) / 2 + 24, s, r != 0);
}

// a % b with the dividend's sign (C fmod, Rust `%` on f32): exact, a - trunc(a / b) * b. NaN when a is NaN or
// infinite or b is NaN or zero; a when b is infinite or |a| < |b|.
fn f32_rem(a: u32, b: u32) -> u32 {
    let ma = a & F32_MAG_MASK;
    let mb = b & F32_MAG_MASK;
    if ma > F32_INF_BITS || mb > F32_INF_BITS {
        return f32_nan_of(a, b);
    }
    if ma == F32_INF_BITS || mb == 0u {
        return F32_DEFAULT_NAN;
    }
    if ma < mb {
        return a; // |a| < |b| (b = inf included), a = ±0 included
    }
    let ua = f32_unpack(ma);
    let ub = f32_unpack(mb);
    let sb = u32(ub.x);
    // r = sa * 2^(ea - eb) mod sb, 8 bits of the shift at a time (r < sb < 2^24, so r << 8 fits 32 bits).
    var r = u32(ua.x) % sb;
    var d = u32(ua.y - ub.y);
    for (var i = 0; i < 36 && d > 0u; i++) {
        let step = min(d, 8u);
        r = (r << step) % sb;
        d -= step;
    }
    if r == 0u {
        return a & F32_SIGN_BIT;
    }
    // r * 2^eb is exact (no rounding can happen: round_pack only places it, subnormal or not).
    return round_pack((a & F32_SIGN_BIT) != 0u, ub.y, vec2<u32>(r, 0u), false, 23u, 8u).x;
}

// A key whose unsigned order is the order of the values, -0 before +0 (NaN excluded).
fn f32_order_key(x: u32) -> u32 {
    return x ^ select(F32_SIGN_BIT, 0xffffffffu, (x & F32_SIGN_BIT) != 0u);
}

// The smaller of a and b; NaN if either is NaN; -0 < +0 (IEEE 754-2019 minimum).
fn f32_minimum(a: u32, b: u32) -> u32 {
    if f32_is_nan(a) || f32_is_nan(b) {
        return f32_nan_of(a, b);
    }
    return select(b, a, f32_order_key(a) <= f32_order_key(b));
}

// The larger of a and b; NaN if either is NaN; -0 < +0 (IEEE 754-2019 maximum).
fn f32_maximum(a: u32, b: u32) -> u32 {
    if f32_is_nan(a) || f32_is_nan(b) {
        return f32_nan_of(a, b);
    }
    return select(b, a, f32_order_key(a) >= f32_order_key(b));
}

// a == b (IEEE: NaN unequal to everything, -0 == +0).
fn f32_eq(a: u32, b: u32) -> bool {
    return !f32_is_nan(a) && !f32_is_nan(b) && (a == b || ((a | b) & F32_MAG_MASK) == 0u);
}

// a != b (IEEE: true when either is NaN).
fn f32_ne(a: u32, b: u32) -> bool {
    return !f32_eq(a, b);
}

// a < b (IEEE: false when either is NaN; -0 and +0 are equal). b > a is f32_lt(b, a).
fn f32_lt(a: u32, b: u32) -> bool {
    return !f32_is_nan(a) && !f32_is_nan(b) && ((a | b) & F32_MAG_MASK) != 0u && f32_order_key(a) < f32_order_key(b);
}

// a <= b (IEEE: false when either is NaN). b >= a is f32_le(b, a).
fn f32_le(a: u32, b: u32) -> bool {
    return f32_lt(a, b) || f32_eq(a, b);
}

// -x (flips the sign bit, NaN included).
fn f32_neg(x: u32) -> u32 {
    return x ^ F32_SIGN_BIT;
}

// |x| (clears the sign bit, NaN included).
fn f32_abs(x: u32) -> u32 {
    return x & F32_MAG_MASK;
}

// sign(x): -1, +1, the zero itself for ±0 (numpy/PyTorch), NaN (quieted) for NaN.
fn f32_sign(x: u32) -> u32 {
    if f32_is_nan(x) {
        return x | F32_QUIET_BIT;
    }
    return select((x & F32_SIGN_BIT) | 0x3f800000u, x, (x & F32_MAG_MASK) == 0u);
}

// x rounded to an integral value: mode 0 toward zero, 1 down, 2 up, 3 to nearest with ties to even. The sign of a
// zero result is x's; NaN is quieted; infinities and integers are returned unchanged.
fn f32_round_mode(x: u32, mode: u32) -> u32 {
    let ef = (x >> 23u) & 0xffu;
    if f32_is_nan(x) {
        return x | F32_QUIET_BIT;
    }
    if ef >= 150u {
        return x;
    }
    let neg = (x & F32_SIGN_BIT) != 0u;
    let sign_bit = x & F32_SIGN_BIT;
    if ef < 127u {
        // |x| < 1: the result is ±0 or ±1.
        let nonzero = (x & F32_MAG_MASK) != 0u;
        var one: bool;
        switch mode {
            case 1u: { one = neg && nonzero; }
            case 2u: { one = !neg && nonzero; }
            case 3u: { one = ef == 126u && (x & 0x7fffffu) != 0u; } // above one half
            default: { one = false; }
        }
        return sign_bit | select(0u, 0x3f800000u, one);
    }
    let fb = 150u - ef; // fraction bits, 1..23
    let unit = 1u << fb;
    let frac = x & (unit - 1u);
    let t = x & ~(unit - 1u);
    var up: bool;
    switch mode {
        case 1u: { up = neg && frac != 0u; }
        case 2u: { up = !neg && frac != 0u; }
        case 3u: {
            let half = unit >> 1u;
            up = frac > half || (frac == half && (t & unit) != 0u);
        }
        default: { up = false; }
    }
    // Adding one unit to the magnitude's bits carries into the exponent when needed.
    return t + select(0u, unit, up);
}

// Rounded toward -inf.
fn f32_floor(x: u32) -> u32 {
    return f32_round_mode(x, 1u);
}

// Rounded toward +inf.
fn f32_ceil(x: u32) -> u32 {
    return f32_round_mode(x, 2u);
}

// Rounded toward zero.
fn f32_trunc(x: u32) -> u32 {
    return f32_round_mode(x, 0u);
}

// Rounded to nearest, ties to even (numpy, PyTorch).
fn f32_round(x: u32) -> u32 {
    return f32_round_mode(x, 3u);
}
