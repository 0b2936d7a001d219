// f32 pow on bit patterns (needs f32_math.wgsl and its dependencies).
//
// pow(x, y) = exp(y ln x) with ln x carried as an unevaluated sum hi + lo good to about 2^-40 relative, the product
// y (hi + lo) formed exactly (Dekker, 12-bit halves cut on the bits), and exp taking the low part as an addend, so
// the only roundings of consequence are exp's: measured within 2 ULP (tests/wgsl_lib_transcendental.rs). The
// error-free sums and products go through f32_pin (a reassociating compiler would fold them to nothing).
// ln x = e ln2 + ln(1/r) + ln(1 + z): m in [0.75, 1.5) (x = m 2^e), r = R / 256 from a 96-entry table (R of 9 bits,
// 256 next to 1) so that z = m r - 1 is exact in integers and |z| <= 2^-7; ln(1/r) is tabulated as T_hi (16 fraction
// bits) + T_lo. Special values follow C99 / IEEE 754 pow (Rust powf): pow(x, ±0) = 1 and pow(1, y) = 1 even for NaN,
// pow(-1, ±inf) = 1, NaN otherwise propagates, a negative x needs an integral y (NaN otherwise; odd y keeps the sign),
// zeros and infinities by the sign and parity of y, overflow to inf, underflow through subnormals to zero.

const F32_POW_RT = array<u32, 96>(0x036eb754u, 0x0374c750u, 0x03795d4du, 0x037f8d49u, 0x03843f46u, 0x0388fb43u,
    0x038dc140u, 0x0392933du, 0x0397733au, 0x039c5d37u, 0x03a15334u, 0x03a65531u, 0x03ab652eu, 0x03b0812bu, 0x03b3f129u,
    0x03b92526u, 0x03be6523u, 0x03c1ed21u, 0x03c7451eu, 0x03cadd1cu, 0x03d04d19u, 0x03d3f517u, 0x03d7a315u, 0x03dd3712u,
    0x03e0f710u, 0x03e4bf0eu, 0x03ea770bu, 0x03ee5109u, 0x03f23107u, 0x03f61905u, 0x03fa0903u, 0x00000100u, 0x00000100u,
    0x00060afdu, 0x000a1afbu, 0x000e32f9u, 0x001252f7u, 0x00167cf5u, 0x001894f4u, 0x001cccf2u, 0x00210cf0u, 0x002554eeu,
    0x00277cedu, 0x002bd2ebu, 0x003032e9u, 0x003266e8u, 0x0036d6e6u, 0x003b4ee4u, 0x003d8ee3u, 0x004216e1u, 0x00445ee0u,
    0x0048f6deu, 0x004b46ddu, 0x004feedbu, 0x005244dau, 0x0056fed8u, 0x00595ed7u, 0x005e26d5u, 0x006090d4u, 0x0062fad3u,
    0x0067dcd1u, 0x006a50d0u, 0x006cc8cfu, 0x0071c0cdu, 0x007440ccu, 0x0076c4cbu, 0x00794ccau, 0x007e64c8u, 0x0080f6c7u,
    0x00838ac6u, 0x008622c5u, 0x0088bcc4u, 0x008dfcc2u, 0x0090a2c1u, 0x00934cc0u, 0x0095f8bfu, 0x0098a8beu, 0x009b5cbdu,
    0x009e12bcu, 0x00a0cebbu, 0x00a38cbau, 0x00a650b9u, 0x00a916b8u, 0x00abe0b7u, 0x00aeaeb6u, 0x00b180b5u, 0x00b456b4u,
    0x00b730b3u, 0x00ba0eb2u, 0x00bcf2b1u, 0x00bfd8b0u, 0x00c2c2afu, 0x00c5b2aeu, 0x00c8a6adu, 0x00cb9eacu,
    0x00ce9aabu);
const F32_POW_TLO = array<f32, 96>(-4.729353407e-07, -6.835600743e-06, 4.925202120e-06, 4.703479590e-06,
    -5.459347904e-06, -7.227376045e-06, 9.799357485e-07, 5.529000646e-06, -7.167405329e-06, -4.871996680e-06,
    -1.073845624e-06, 6.048731393e-06, 3.112651484e-06, 7.308588920e-06, 4.875989362e-06, -5.106062417e-06,
    -2.512145102e-06, -2.905742349e-06, -5.040168617e-06, -6.510478670e-06, -7.058838492e-06, -5.284607596e-06,
    2.101378186e-06, -3.274213213e-06, -1.452871174e-06, -6.599479548e-06, -2.732475423e-06, -6.483069228e-06,
    9.513643136e-07, 5.181688266e-06, 7.097623893e-06, 0.000000000e+00, 0.000000000e+00, -7.088193342e-06,
    -5.108910045e-06, -6.717116889e-07, 7.247499980e-06, 4.439013082e-06, 5.068795872e-06, -4.178161362e-06,
    -6.156597010e-06, 2.766674640e-07, -6.165774380e-07, 5.382483778e-06, 7.521187399e-06, 5.624571259e-06,
    -3.304873417e-06, 2.347751661e-06, 3.427974661e-06, 2.945595497e-06, 1.729538553e-06, -1.768447419e-06,
    -3.689655387e-06, -6.956235211e-06, 7.332862424e-06, -7.579415524e-06, -5.871734174e-06, 1.611777975e-06,
    -7.463004749e-06, 5.712370694e-06, -7.149282283e-06, -2.236784212e-06, -4.727692158e-06, -5.034088417e-07,
    6.669385129e-06, 7.354109584e-06, 1.788093982e-06, 3.388478490e-06, -4.211299711e-06, -1.817660291e-06,
    -4.433672530e-06, 3.459077107e-06, 6.052994195e-06, 1.293660603e-06, -7.136532531e-06, -3.698410865e-06,
    -3.365962129e-06, -5.849876743e-06, 4.402548257e-06, -2.827648359e-06, 3.280531928e-06, -7.482161436e-06,
    -4.284809165e-06, -2.067736887e-06, -5.072456588e-07, 7.257137327e-07, 1.965659749e-06, 3.552701401e-06,
    5.832664101e-06, -6.101570762e-06, -1.374777298e-06, 5.118016816e-06, -1.511961500e-06, -5.629510270e-06,
    -6.851669696e-06, -4.788781098e-06);

// (s, e) with s = a + b rounded and s + e = a + b exactly (Knuth's TwoSum); zero: a run-time zero for f32_pin.
fn f32_two_sum(a: f32, b: f32, zero: u32) -> vec2<f32> {
    let s = f32_pin(a + b, zero);
    let bb = f32_pin(s - a, zero);
    return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}

// (p, e) with p = a * b rounded and p + e = a * b exactly (Dekker; the halves are cut on the bits, so no split
// constant can be fused or folded); zero: a run-time zero for f32_pin. Exact while no partial product underflows.
fn f32_two_prod(a: f32, b: f32, zero: u32) -> vec2<f32> {
    let p = f32_pin(a * b, zero);
    let ah = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
    let bh = bitcast<f32>(bitcast<u32>(b) & 0xfffff000u);
    let al = a - ah;
    let bl = b - bh;
    return vec2<f32>(p, (((ah * bh - p) + ah * bl) + al * bh) + al * bl);
}

// Whether y (finite, nonzero bits) is an integer: (is_integer, is_odd).
fn f32_int_parity(y: u32) -> vec2<bool> {
    let ey = (y >> 23u) & 0xffu;
    if ey >= 151u {
        return vec2<bool>(true, false); // |y| >= 2^24: even
    }
    if ey < 127u {
        return vec2<bool>(false, false); // 0 < |y| < 1
    }
    let fb = 150u - ey; // fraction bits
    let sig = (y & 0x7fffffu) | 0x800000u;
    return vec2<bool>((sig & ((1u << fb) - 1u)) == 0u, ((sig >> fb) & 1u) != 0u);
}

// ln x = hi + lo for a finite x > 0 (bits xb): |lo| <= ulp(hi), relative error about 2^-40.
fn f32_log_parts(xb: u32, zero: u32) -> vec2<f32> {
    let u = f32_unpack(xb);
    let sig = u32(u.x);
    // m in [0.75, 1.5): the table index, the exponent e and z * 2^32 = m r 2^32 - 2^32 (fits i32: |z| <= 2^-7).
    let low = sig >= 0xc00000u; // m = sig 2^-24 in [0.75, 1)
    let idx = select(32u + ((sig - 0x800000u) >> 16u), (sig - 0xc00000u) >> 17u, low);
    let e = f32(u.y + select(23, 24, low));
    var rt = F32_POW_RT;
    var tl = F32_POW_TLO;
    let packed = rt[idx];
    let t_hi = f32(i32(packed << 6u) >> 15u) * (1.0 / 65536.0);
    let t_lo = tl[idx];
    let mr = u64_mul_wide(sig, packed & 0x1ffu);
    let zi = i32(select(mr.x << 1u, mr.x, low)); // m r 2^32 - 2^32, modulo 2^32
    // z = a + b exactly: a of at most 12 significant bits (a^2 / 2 exact), |b| <= 2^-20 (split to nearest, so a
    // tiny z is all b). Every term that can be as large as z enters the error-free chain; lo only gets terms below
    // |z| 2^-19.
    let a_int = ((zi + 0x1000) >> 13u) << 13u;
    let a = f32(a_int) * (1.0 / 4294967296.0);
    let b = f32(zi - a_int) * (1.0 / 4294967296.0);
    let z = a + b;
    let q = 0.5 * a * a;
    // ln(1 + z) = a + b - q + c, c = -(a b + b^2 / 2) + z^3 (1/3 - z/4 + z^2/5 - z^3/6 + z^4/7) (|z|^8 < 2^-56).
    let c = z * z * z * ((((z * 0.142857143 - 0.166666667) * z + 0.2) * z - 0.25) * z + 0.333333333)
        - (a * b + 0.5 * b * b);
    // e ln2 = e C1 + e C2 + e C3 (C1, C2 of 10 and 12 bits: both products exact); e C1 + t_hi is exact too.
    let s0 = e * 0.693359375 + t_hi;
    let s1 = f32_two_sum(s0, e * -2.12192535400390625e-4, zero);
    let s2 = f32_two_sum(s1.x, a, zero);
    let s3 = f32_two_sum(s2.x, b, zero);
    let s4 = f32_two_sum(s3.x, -q, zero);
    let lo = (((s1.y + s2.y) + s3.y) + s4.y) + ((t_lo + e * -1.9046542121e-9) + c);
    return f32_two_sum(s4.x, lo, zero);
}

// pow(x, y) = x^y.
fn f32_pow(x: u32, y: u32) -> u32 {
    let ax = x & F32_MAG_MASK;
    let ay = y & F32_MAG_MASK;
    if ay == 0u || x == 0x3f800000u {
        return 0x3f800000u;
    }
    if ax > F32_INF_BITS || ay > F32_INF_BITS {
        return f32_nan_of(x, y);
    }
    let y_neg = (y & F32_SIGN_BIT) != 0u;
    if ay == F32_INF_BITS {
        if ax == 0x3f800000u {
            return 0x3f800000u; // (-1)^±inf
        }
        return select(0u, F32_INF_BITS, (ax > 0x3f800000u) != y_neg);
    }
    let parity = f32_int_parity(y);
    let odd = parity.x && parity.y;
    let x_neg = (x & F32_SIGN_BIT) != 0u;
    let sign_bit = select(0u, F32_SIGN_BIT, x_neg && odd);
    if ax == 0u || ax == F32_INF_BITS {
        // 0^y and inf^y: the magnitude is 0 or inf by the signs, the sign is x's for odd integers y.
        return sign_bit | select(0u, F32_INF_BITS, (ax == 0u) == y_neg);
    }
    if x_neg && !parity.x {
        return F32_DEFAULT_NAN;
    }
    let zero = f32_opaque_zero(ax);
    let l = f32_log_parts(ax, zero);
    let yf = bitcast<f32>(y);
    let w = f32_two_prod(yf, l.x, zero);
    let w_lo = w.y + yf * l.y;
    if w.x > 89.0 {
        return sign_bit | F32_INF_BITS;
    }
    if w.x < -104.0 {
        return sign_bit;
    }
    let p = f32_exp_parts(w.x, w_lo, zero);
    return sign_bit | f32_ldexp_normal(bitcast<u32>(p.hi), p.k);
}
