// f32 transcendentals on bit patterns (needs f32_arith.wgsl and its dependencies: u64.wgsl with u64_mul_wide,
// round_pack.wgsl, mark_lossy).
//
// Our own implementations, because WGSL lets the built-ins be far off (sin/cos: 2^-11 absolute on [-pi, pi]; exp:
// 3 + 2|x| ULP). Goal: at most 2 ULP from the correctly rounded result over the whole finite range, measured in
// tests/wgsl_lib_transcendental.rs (measured on lavapipe: exp 0.96, log 0.80, sin 1.04, cos 1.02, tanh 1.27,
// sigmoid 1.22, gelu 1.53). Special values are exact: exp(0) = 1, exp(-inf) = 0, exp(+inf) = inf, overflow gives
// inf, log(1) = 0, log(±0) = -inf, log(x < 0) = NaN, log(+inf) = inf, tanh(±inf) = ±1, sin/cos(±inf) = NaN,
// sigmoid(-inf) = 0, sigmoid(+inf) = 1, gelu(-inf) = -0, gelu(+inf) = inf; NaN in gives NaN out (the operand,
// quieted). sin/cos reduce exactly (Payne-Hanek in integers) over the whole finite range.
//
// Rules kept against flushing and fusing compilers: operands are unpacked in integers wherever a flushed subnormal
// input would change the result (exp's does not: it gives 1 either way); scaling by 2^k is an integer exponent add,
// and a subnormal result is the exactly scaled value (a normal f32) rounded to an integer by a native add of 2^23,
// bits that are the subnormal's; polynomials are evaluated with native f32 mul/add on values whose flushed or fused
// intermediates change the result by far less than an ULP; divisions use the correctly rounded f32_div.
// Reassociation: a compiler may treat WGSL float ops as reassociable (Mesa's NIR does: it folds
// (1 - (1 + x)) + x to 0 and moves literal constants across additions), which breaks error-free transformations
// and summation orders that the error bounds rely on. Where the order matters, values go through f32_pin with a
// zero the compiler cannot see as zero (derived from the operand's bits), so no algebraic rule applies across it;
// tests/wgsl_lib_transcendental.rs measures the result on every adapter it runs on.
// Polynomials: Cephes (S. L. Moshier) single-precision expf, logf, tanhf, sinf/cosf coefficients; gelu's tables are
// our own fits (below).

// A zero for f32_pin, derived from an operand's bits so that the compiler's algebra cannot see it as a constant
// (Mesa 22 does not). The one place to change should a compiler fold it: e.g. return a zero read from a uniform.
fn f32_opaque_zero(bits: u32) -> u32 {
    return (bits & F32_MAG_MASK) >> 31u;
}

// v unchanged, but opaque to algebraic rewriting: zero must be 0 at run time (from f32_opaque_zero).
fn f32_pin(v: f32, zero: u32) -> f32 {
    return bitcast<f32>(bitcast<u32>(v) | zero);
}

// x * 2^k for 2^-64 <= |x| <= 2^64, correctly rounded (subnormal results included, rounded once); overflow gives inf,
// underflow 0, both with x's sign. No branches: lavapipe runs invocations as SIMD lanes and would run a rare slow
// path for every lane.
fn f32_ldexp_normal(x: u32, k: i32) -> u32 {
    let sign = x & F32_SIGN_BIT;
    let be = i32((x >> 23u) & 0xffu) + k; // the result's biased exponent, when normal
    let normal = select(x + (u32(k) << 23u), sign | F32_INF_BITS, be >= 255);
    // be <= 0 (a subnormal or zero result): y = |x| 2^(k + 149) <= 2^23, scaled exactly (k >= -275 keeps the factor
    // a normal f32; below it, and wherever y is tiny, the result is 0 either way), and y + 2^23 is y rounded to an
    // integer (native add, correctly rounded on normal values; fused or not the same) in the significand's bits,
    // the subnormal's bits (2^23 when y rounds up to it: the smallest normal).
    let scale = bitcast<f32>(u32(max(k, -275) + 276) << 23u);
    let y = bitcast<f32>(x & F32_MAG_MASK) * scale + 8388608.0;
    return select(normal, sign | (bitcast<u32>(y) - 0x4b000000u), be <= 0);
}

// exp(x) = 2^k * (hi + lo), for callers that need more than the rounded result: hi = 1 + q rounded, in [0.7, 1.5],
// and lo the rounding errors of hi and q (Fast2Sum, exact with correctly rounded native add).
struct F32ExpParts {
    hi: f32,
    lo: f32,
    k: i32,
}

// exp(x + x_lo) as F32ExpParts for x in [-104, 89] (elsewhere garbage, without a trap).
// x_lo: a small addend to x (0, or the low part of an exactly split argument); zero: a run-time zero for f32_pin.
// No float-to-int conversion (WGSL clamps before one: a NaN-aware min and max on lavapipe): k comes from the
// bits of x / ln2 + 1.5 * 2^23, whose last bit weighs 1 (the sum rounds x / ln2 to an integer; pinned, so that no
// rewrite folds (sum - 1.5 * 2^23) back into x / ln2). No explicit fma(): on lavapipe (Mesa 22.3) writing the
// reduction and polynomial with fma() made results up to ~45 ULP off (cause not found); mul and add stay as they were.
fn f32_exp_parts(x: f32, x_lo: f32, zero: u32) -> F32ExpParts {
    // x = k ln2 + r, |r| <= ln2 / 2 (Cody-Waite: k * 0.693359375 is exact, so is x minus it).
    let shifted = f32_pin(x * 1.44269504088896341 + 12582912.0, zero);
    let k = shifted - 12582912.0;
    let r = ((x - k * 0.693359375) - k * -2.12194440e-4) + x_lo;
    let z = r * r;
    let t = (((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r + 4.1665795894e-2) * r
        + 1.6666665459e-1) * r + 5.0000001201e-1) * z;
    let one = f32_pin(1.0, zero);
    let q = f32_pin(r + t, zero);
    let q_lo = (r - q) + t;
    let hi = f32_pin(one + q, zero);
    return F32ExpParts(hi, ((one - hi) + q) + q_lo, bitcast<i32>(bitcast<u32>(shifted) - 0x4b400000u));
}

// exp(x). One straight path for every lane (no early returns: lavapipe would run each for every lane). The operand
// is clamped on its bits to [-104, 89] (positive values compare as i32, negative ones as u32), where the core gives
// inf from 88.73 on (x > 89 and +inf included) and 0 below -103.98 (x < -104 and -inf included); NaN by select.
// |x| < 2^-25 needs nothing: k = 0, r = x (subnormal x flushed or not) and 1 + q rounds to 1.
fn f32_exp(xb: u32) -> u32 {
    let xc = min(bitcast<u32>(min(bitcast<i32>(xb), 0x42b20000)), 0xc2d00000u);
    let p = f32_exp_parts(bitcast<f32>(xc), 0.0, f32_opaque_zero(xb));
    return select(f32_ldexp_normal(bitcast<u32>(p.hi), p.k), xb | F32_QUIET_BIT, f32_is_nan(xb));
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
    let zero = f32_opaque_zero(xb);
    let p = f32_exp_parts(-bitcast<f32>(xb & F32_MAG_MASK), 0.0, zero);
    let scale = bitcast<f32>(u32(p.k + 127) << 23u);
    let e_hi = p.hi * scale;
    let e_lo = p.lo * scale;
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
    let y = select(f32_sin_kernel(r, r_lo), f32_cos_kernel(r, r_lo, f32_opaque_zero(ax)), (q & 1u) != 0u);
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

// gelu tables, fitted by relative least squares on 400 Chebyshev nodes per interval against 120-bit mpmath values
// (relative error below 1.6 * 2^-24 in plain f32 Horner evaluation, 1.3 for the K coefficients as used):
// K(u) = u Phi(-u) exp(u^2 / 2) on [0.5, 1), [1, 2), [2, 4) as polynomials in u - 0.75, u - 1.5, u - 3, and on
// [4, 14.5] in 1/u^2 (leading zero padding); H(s) = (Phi(u) - 1/2) / u in s = u^2 on [0, 0.25]. Phi is the standard
// normal distribution function: Phi(x) = (1 + erf(x / sqrt 2)) / 2.
const F32_GELU_K0 = array<f32, 11>(-3.864816244e-05, 1.323967736e-04, -4.285846662e-04, 1.330316067e-03,
    -3.873762907e-03, 1.047285553e-02, -2.591432817e-02, 5.744000897e-02, -1.100529879e-01, 1.699065119e-01,
    2.251743525e-01);
const F32_GELU_K1 = array<f32, 11>(-4.565264135e-06, 1.745543159e-05, -6.143910286e-05, 2.153850073e-04,
    -7.135793567e-04, 2.210927662e-03, -6.331468467e-03, 1.644138806e-02, -3.749097139e-02, 7.037374377e-02,
    3.086709976e-01);
const F32_GELU_K2 = array<f32, 11>(-1.197889929e-07, 5.653685093e-07, -2.287975121e-06, 1.010031519e-05,
    -4.283033559e-05, 1.711288496e-04, -6.418511039e-04, 2.224844182e-03, -6.931472104e-03, 1.831264235e-02,
    3.645418584e-01);
const F32_GELU_K3 = array<f32, 11>(0.0, -1.563162079e+02, -9.930516968e+02, -3.615432373e+03, 1.392048340e+03,
    -2.647419434e+02, 3.881136322e+01, -5.931093216e+00, 1.196294188e+00, -3.989395201e-01, 3.989422619e-01);
const F32_GELU_H = array<f32, 7>(6.310094705e-07, -9.432778825e-06, 1.154326746e-04, -1.187328016e-03,
    9.973556735e-03, -6.649038196e-02, 3.989422917e-01);

// gelu(x) = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (the erf form, PyTorch's default); gelu(-inf) = -0 (the limit).
// |x| <= 1/2: 0.5 x + x^2 H(x^2). Otherwise with u = |x|: u Phi(-u) = exp(-u^2 / 2) K(u), where u^2 / 2 is split
// exactly (u's top 12 significant bits squared, plus the rest) so exp sees no rounded square (a rounded u^2 would
// cost up to u^2 * 2^-24 relative); x < 0: -exp(-u^2 / 2) K(u), rounded once by f32_ldexp_normal (subnormal results down to
// x = -14.5, -0 beyond); x > 0: x - exp(-u^2 / 2) K(u) (x itself from 6 on).
fn f32_gelu(xb: u32) -> u32 {
    if f32_is_nan(xb) {
        return xb | F32_QUIET_BIT;
    }
    let ax = xb & F32_MAG_MASK;
    let neg = (xb & F32_SIGN_BIT) != 0u;
    if ax == F32_INF_BITS {
        return select(F32_INF_BITS, F32_SIGN_BIT, neg);
    }
    if ax < 0x33800000u {
        return f32_mul(xb, 0x3f000000u); // |x| < 2^-24: 0.5 x, subnormals rounded exactly
    }
    let x = bitcast<f32>(xb);
    if ax <= 0x3f000000u {
        let s = x * x;
        var h = F32_GELU_H[0];
        for (var i = 1u; i < 7u; i++) {
            h = h * s + F32_GELU_H[i];
        }
        return bitcast<u32>(0.5 * x + s * h);
    }
    if !neg && ax >= 0x40c00000u {
        return xb; // x >= 6: 1 - Phi(x) < 2^-25
    }
    if neg && ax > 0x41680000u {
        return F32_SIGN_BIT; // x < -14.5: |gelu(x)| below half the smallest subnormal
    }
    let u = bitcast<f32>(ax);
    var idx = 3u;
    var v = 1.0 / (u * u);
    if u < 1.0 {
        idx = 0u;
        v = u - 0.75;
    } else if u < 2.0 {
        idx = 1u;
        v = u - 1.5;
    } else if u < 4.0 {
        idx = 2u;
        v = u - 3.0;
    }
    // The interval's coefficients by selects on constant indices (no local array copy; the loops unroll).
    var c: array<f32, 11>;
    for (var i = 0u; i < 11u; i++) {
        c[i] = select(select(select(F32_GELU_K0[i], F32_GELU_K1[i], idx == 1u), F32_GELU_K2[i], idx == 2u),
            F32_GELU_K3[i], idx == 3u);
    }
    // K = c10 + t with t = v (c0 v^9 + ... + c9); c10 = c10h + c10l with c10h of 12 significant bits.
    var poly = c[0];
    for (var i = 1u; i < 10u; i++) {
        poly = poly * v + c[i];
    }
    let t = poly * v;
    let c10h = bitcast<f32>(bitcast<u32>(c[10]) & 0xfffff000u);
    let c10l = c[10] - c10h;
    let uh = bitcast<f32>(ax & 0xfffff000u);
    let ul = u - uh;
    let zero = f32_opaque_zero(ax);
    let p = f32_exp_parts(-(0.5 * uh * uh), -(uh * ul + 0.5 * ul * ul), zero);
    // m = (hi + lo) K with one rounding of consequence: hi = hh + hl (hh of 12 significant bits), so hh c10h is
    // exact and every other term is small beside it.
    let hh = bitcast<f32>(bitcast<u32>(p.hi) & 0xfffff000u);
    let hl = p.hi - hh;
    let small = hl * c10h + p.hi * (t + c10l) + p.lo * c[10];
    let m = hh * c10h + f32_pin(small, zero);
    if neg {
        return f32_ldexp_normal(bitcast<u32>(-m), p.k);
    }
    return bitcast<u32>(x - m * bitcast<f32>(u32(p.k + 127) << 23u));
}
