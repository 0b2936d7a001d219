// f32 transcendentals on bit patterns (needs f32_arith.wgsl and its dependencies: u64.wgsl with u64_mul_wide,
// round_pack.wgsl, mark_lossy).
//
// Our own implementations, because WGSL lets the built-ins be far off (sin/cos: 2^-11 absolute on [-pi, pi]; exp:
// 3 + 2|x| ULP). Goal: at most 2 ULP from the correctly rounded result over the whole finite range, measured in
// tests/wgsl_lib_transcendental.rs. Special values are exact: exp(0) = 1, exp(-inf) = 0, exp(+inf) = inf, overflow
// gives inf, log(1) = 0, log(±0) = -inf, log(x < 0) = NaN, log(+inf) = inf, tanh(±inf) = ±1, sin/cos(±inf) = NaN,
// sigmoid(-inf) = 0, sigmoid(+inf) = 1; NaN in gives NaN out (the operand, quieted).
//
// Rules kept against flushing and fusing compilers: operands are unpacked in integers (subnormal inputs never reach a
// float operation that could flush them); scaling by 2^k is an integer exponent add, rounded once in integers when
// the result is subnormal; polynomials are evaluated with native f32 mul/add on values whose flushed or fused
// intermediates change the result by far less than an ULP; divisions use the correctly rounded f32_div.
// Reassociation: a compiler may treat WGSL float ops as reassociable (Mesa's NIR does: it folds
// (1 - (1 + x)) + x to 0 and moves literal constants across additions), which breaks error-free transformations
// and summation orders that the error bounds rely on. Where the order matters, values go through f32_pin with a
// zero the compiler cannot see as zero (derived from the operand's bits), so no algebraic rule applies across it;
// tests/wgsl_lib_transcendental.rs measures the result on every adapter it runs on.
// Polynomials: Cephes (S. L. Moshier) single-precision expf, logf, tanhf, sinf/cosf, erff/erfcf coefficients.

// v unchanged, but opaque to algebraic rewriting: zero must be 0 at run time (e.g. (bits & 0x7fffffff) >> 31).
fn f32_pin(v: f32, zero: u32) -> f32 {
    return bitcast<f32>(bitcast<u32>(v) | zero);
}

// x * 2^k, correctly rounded (a subnormal result is rounded once, from x's significand; overflow gives inf).
fn f32_ldexp(x: u32, k: i32) -> u32 {
    let ef = i32((x >> 23u) & 0xffu);
    let mag = x & F32_MAG_MASK;
    if ef == 255 || mag == 0u {
        return x;
    }
    let ne = ef + k;
    if ef != 0 && ne >= 1 && ne <= 254 {
        return x + (u32(k) << 23u);
    }
    let u = f32_unpack(mag);
    if u.y + k > 104 {
        return (x & F32_SIGN_BIT) | F32_INF_BITS;
    }
    return round_pack((x & F32_SIGN_BIT) != 0u, max(u.y + k, -300), vec2<u32>(u32(u.x), 0u), false, 23u, 8u).x;
}

// exp(x) = 2^k * (hi + lo) for x in [-104, 89], as (hi, lo, k): hi = 1 + q rounded, in [0.7, 1.5], and lo the
// rounding errors of hi and q (Fast2Sum, exact with correctly rounded native add), for callers that need more than
// the rounded result.
// zero: a run-time zero for f32_pin.
fn f32_exp_parts(x: f32, zero: u32) -> vec3<f32> {
    // x = k ln2 + r, |r| <= ln2 / 2 (Cody-Waite: k * 0.693359375 is exact, so is x minus it).
    let k = floor(x * 1.44269504088896341 + 0.5);
    let r = (x - k * 0.693359375) - k * -2.12194440e-4;
    let z = r * r;
    let t = (((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r + 4.1665795894e-2) * r
        + 1.6666665459e-1) * r + 5.0000001201e-1) * z;
    let one = f32_pin(1.0, zero);
    let q = f32_pin(r + t, zero);
    let q_lo = (r - q) + t;
    let hi = f32_pin(one + q, zero);
    return vec3<f32>(hi, ((one - hi) + q) + q_lo, k);
}

// exp(x).
fn f32_exp(xb: u32) -> u32 {
    if f32_is_nan(xb) {
        return xb | F32_QUIET_BIT;
    }
    if (xb & F32_SIGN_BIT) == 0u && xb > 0x42b20000u {
        return F32_INF_BITS; // x > 89: overflow (+inf included)
    }
    if xb > 0xc2d00000u {
        return 0u; // x < -104: below half the smallest subnormal (-inf included)
    }
    if (xb & F32_MAG_MASK) < 0x33000000u {
        return 0x3f800000u; // |x| < 2^-25 (subnormals included): exp(x) rounds to 1
    }
    let p = f32_exp_parts(bitcast<f32>(xb), (xb & F32_MAG_MASK) >> 31u);
    return f32_ldexp(bitcast<u32>(p.x), i32(p.z));
}

// log(x), the natural logarithm.
fn f32_log(xb: u32) -> u32 {
    if f32_is_nan(xb) {
        return xb | F32_QUIET_BIT;
    }
    if (xb & F32_MAG_MASK) == 0u {
        return 0xff800000u; // -inf
    }
    if (xb & F32_SIGN_BIT) != 0u {
        return F32_DEFAULT_NAN;
    }
    if xb == F32_INF_BITS {
        return xb;
    }
    // x = m * 2^e with m in [sqrt(1/2), sqrt(2)): f = m - 1 is exact.
    let u = f32_unpack(xb);
    var e = u.y + 23;
    var m = bitcast<f32>((u32(u.x) & 0x7fffffu) | 0x3f800000u);
    if m > 1.41421356 {
        m = m * 0.5;
        e += 1;
    }
    let f = m - 1.0;
    let ef = f32(e);
    let z = f * f;
    var y = ((((((((7.0376836292e-2 * f - 1.1514610310e-1) * f + 1.1676998740e-1) * f - 1.2420140846e-1) * f
        + 1.4249322787e-1) * f - 1.6668057665e-1) * f + 2.0000714765e-1) * f - 2.4999993993e-1) * f
        + 3.3333331174e-1) * f * z;
    y = y + ef * -2.12194440e-4;
    y = y - 0.5 * z;
    return bitcast<u32>((f + y) + ef * 0.693359375);
}

// tanh(x).
fn f32_tanh(xb: u32) -> u32 {
    if f32_is_nan(xb) {
        return xb | F32_QUIET_BIT;
    }
    let ax = xb & F32_MAG_MASK;
    let sign_bit = xb & F32_SIGN_BIT;
    if ax >= 0x41200000u {
        return sign_bit | 0x3f800000u; // |x| >= 10 (inf included): 1 - tanh(|x|) < 2^-25
    }
    if ax < 0x39800000u {
        return xb; // |x| < 2^-12: tanh(x) rounds to x (subnormals included)
    }
    let a = bitcast<f32>(ax);
    if ax < 0x3f200000u {
        // |x| < 0.625
        let z = a * a;
        let y = ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z + 1.33314422036e-1) * z
            - 3.33332819422e-1) * z * a + a;
        return sign_bit | bitcast<u32>(y);
    }
    // 1 - 2 / (exp(2|x|) + 1)
    let e = bitcast<f32>(f32_exp(bitcast<u32>(2.0 * a)));
    let d = bitcast<f32>(f32_div(0x40000000u, bitcast<u32>(e + 1.0)));
    return sign_bit | bitcast<u32>(1.0 - d);
}

// sigmoid(x) = 1 / (1 + exp(-x)).
fn f32_sigmoid(xb: u32) -> u32 {
    if f32_is_nan(xb) {
        return xb | F32_QUIET_BIT;
    }
    let neg = (xb & F32_SIGN_BIT) != 0u;
    if neg && xb > 0xc1900000u {
        return f32_exp(xb); // x < -18: exp(x) / (1 + exp(x)) rounds as exp(x) does (-inf included)
    }
    if !neg && xb >= 0x41900000u {
        return 0x3f800000u; // x >= 18: 1 - sigmoid(x) < 2^-25 (+inf included)
    }
    // e = exp(-|x|) = e_hi + e_lo in (1.5e-8, 1]; x >= 0: 1 / (1 + e); x < 0: e / (1 + e) (no cancellation).
    // The quotient of the rounded parts is correctly rounded, then corrected to first order for e_lo and the
    // rounding error of 1 + e (Fast2Sum): a rounded exp alone would cost up to 2 ULP where e and the result sit in
    // different binades.
    let zero = (xb & F32_MAG_MASK) >> 31u;
    let p = f32_exp_parts(-bitcast<f32>(xb & F32_MAG_MASK), zero);
    let scale = bitcast<f32>(u32(i32(p.z) + 127) << 23u);
    let e_hi = p.x * scale;
    let e_lo = p.y * scale;
    let one = f32_pin(1.0, zero);
    let den = f32_pin(one + e_hi, zero);
    let den_lo = ((one - den) + e_hi) + e_lo;
    let num = select(1.0, e_hi, neg);
    let num_lo = select(0.0, e_lo, neg);
    let s = bitcast<f32>(f32_div(bitcast<u32>(num), bitcast<u32>(den)));
    return bitcast<u32>(s + (num_lo - s * den_lo) / den);
}

// 2/pi in 32-bit words, most significant first, after one zero word (the integer part): bits for Payne-Hanek.
const F32_TWO_OVER_PI = array<u32, 11>(0u, 0xA2F9836Eu, 0x4E441529u, 0xFC2757D1u, 0xF534DDC0u, 0xDB629599u,
    0x3C439041u, 0xFE5163ABu, 0xDEBBC561u, 0xB7246E3Au, 0x424DD2E0u);

// Payne-Hanek reduction of a finite |x| >= pi/4 (magnitude bits ax): returns (r_hi bits, r_lo bits, quadrant)
// with |x| = quadrant * pi/2 + r_hi + r_lo (mod 2 pi), |r_hi| <= pi/4, |r_lo| < ulp(r_hi), accurate to about 2^-30
// relative, from a 64-bit fixed-point remainder.
// Exact integer arithmetic: x = m * 2^e; 96 bits of 2/pi from the bit where m * 2^e * 2/pi stops mattering mod 4
// give m * 2/pi * 2^e mod 4 with 64 fraction bits (f32 needs about 30 beyond the leading bit in the worst case).
fn f32_reduce_half_pi(ax: u32) -> vec3<u32> {
    let m = (ax & 0x7fffffu) | 0x800000u;
    let e = i32(ax >> 23u) - 150;
    // The window starts at fraction bit s + 1 = e - 1 (earlier bits contribute multiples of 4); its first bit sits
    // at position p0 of the padded table (bit 0 = the most significant bit of the zero word).
    let p0 = u32(e + 30);
    let idx = p0 >> 5u;
    let sh = p0 & 31u;
    var t = F32_TWO_OVER_PI;
    var w: array<u32, 3>;
    for (var k = 0u; k < 3u; k++) {
        let hi = t[idx + k];
        let lo = t[idx + k + 1u];
        w[k] = select((hi << sh) | (lo >> ((32u - sh) & 31u)), hi, sh == 0u);
    }
    // P = m * W (W = w0:w1:w2, 96 bits); the binary point of m * 2^e * 2/pi sits at bit 94 of P.
    let a2 = u64_mul_wide(m, w[2]);
    let a1 = u64_mul_wide(m, w[1]);
    let a0 = u64_mul_wide(m, w[0]);
    let p0w = a2.x;
    let p1w = a2.y + a1.x;
    let c1 = select(0u, 1u, p1w < a2.y);
    let p2w = a1.y + a0.x + c1; // carries out of this word (and a0.y) weigh multiples of 4: dropped
    var q = p2w >> 30u;
    var frac = vec2<u32>((p1w << 2u) | (p0w >> 30u), (p2w << 2u) | (p1w >> 30u));
    // A fraction of one half or more rounds the quadrant up and leaves a negative remainder.
    let neg = (frac.y >> 31u) != 0u;
    if neg {
        q += 1u;
        frac = u64_neg(frac);
    }
    // r = frac * 2^-64 * pi/2 = pn * 2^(-63 - lz - nz): the top 32 bits of the normalised fraction times
    // pi/2 * 2^31 (0xC90FDAA2), normalised; its top 24 bits give r_hi (truncated), the 40 below r_lo.
    let lz = u64_clz(frac);
    let prod = u64_mul_wide(u64_shl(frac, lz).y, 0xC90FDAA2u);
    let nz = countLeadingZeros(prod.y);
    let pn = u64_shl(prod, nz);
    let er = -i32(lz + nz); // r's unbiased exponent
    let sign_bit = select(0u, F32_SIGN_BIT, neg);
    let r_hi = sign_bit | (u32(er + 127) << 23u) | ((pn.y >> 8u) & 0x7fffffu);
    let rem = (pn.y << 24u) | (pn.x >> 8u);
    let r_lo = f32(rem) * bitcast<f32>(u32(er - 55 + 127) << 23u);
    return vec3<u32>(r_hi, bitcast<u32>(r_lo) | sign_bit, q & 3u);
}

// sin(r + r_lo) for |r| <= pi/4, |r_lo| < ulp(r) (Cephes sinf polynomial; cos(r) r_lo to first order).
fn f32_sin_kernel(r: f32, r_lo: f32) -> f32 {
    let z = r * r;
    return r + (((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + (r_lo - 0.5 * z * r_lo));
}

// cos(r + r_lo) for |r| <= pi/4, |r_lo| < ulp(r) (Cephes cosf polynomial; -sin(r) r_lo to first order); zero: a
// run-time zero for f32_pin (the 1 is added last).
fn f32_cos_kernel(r: f32, r_lo: f32, zero: u32) -> f32 {
    let z = r * r;
    let p = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z;
    return ((p - r * r_lo) - 0.5 * z) + f32_pin(1.0, zero);
}

// sin(x) (cosine when is_cos) with exact argument reduction over the whole finite range.
fn f32_sin_cos(xb: u32, is_cos: bool) -> u32 {
    if f32_is_nan(xb) {
        return xb | F32_QUIET_BIT;
    }
    let ax = xb & F32_MAG_MASK;
    if ax == F32_INF_BITS {
        return F32_DEFAULT_NAN;
    }
    if ax < 0x39800000u {
        // |x| < 2^-12: sin(x) rounds to x, cos(x) to 1 (subnormals included)
        return select(xb, 0x3f800000u, is_cos);
    }
    var r = bitcast<f32>(ax);
    var r_lo = 0.0;
    var q = 0u;
    if ax >= 0x3f490fdbu {
        let red = f32_reduce_half_pi(ax);
        r = bitcast<f32>(red.x);
        r_lo = bitcast<f32>(red.y);
        q = red.z;
    }
    q += select(0u, 1u, is_cos);
    let y = select(f32_sin_kernel(r, r_lo), f32_cos_kernel(r, r_lo, ax >> 31u), (q & 1u) != 0u);
    // sin is odd, cos even; quadrants 2 and 3 negate.
    let flip = ((q & 2u) != 0u) != (!is_cos && (xb & F32_SIGN_BIT) != 0u);
    return bitcast<u32>(y) ^ select(0u, F32_SIGN_BIT, flip);
}

// sin(x).
fn f32_sin(xb: u32) -> u32 {
    return f32_sin_cos(xb, false);
}

// cos(x).
fn f32_cos(xb: u32) -> u32 {
    return f32_sin_cos(xb, true);
}
