// IEEE 754 binary64 arithmetic emulated on bit patterns vec2<u32>(lo, hi) with u32 operations (no SHADER_F64):
// f64_add, f64_sub, f64_mul, f64_div, f64_sqrt, correctly rounded (round to nearest, ties to even), subnormal inputs
// and outputs kept (no flush to zero), overflow to ±inf; and f64_rem (fmod), which is exact.
// Needs u64.wgsl, round_pack.wgsl and convert.wgsl (float_decode), and therefore a `mark_lossy(bool)` function from
// the entry point (round_pack reports inexact results through it; a no-op where nobody counts).
//
// Special values follow IEEE 754: x + (-x) = +0, (-0) + (-0) = -0, inf - inf = NaN, 0 * inf = NaN, x / ±0 = ±inf
// (x finite, nonzero), 0 / 0 = NaN, inf / inf = NaN, sqrt(-0) = -0, sqrt(x < 0) = NaN, sqrt(+inf) = +inf.
// NaN results: a NaN operand propagates, quieted (the first operand's when both are NaN, like x86 SSE); an invalid
// operation on non-NaN operands gives the canonical quiet NaN 0x7ff8000000000000 (f64::NAN in Rust).
//
// Method (model: Berkeley SoftFloat f64_add/f64_mul/f64_div/f64_sqrt, with one shared round_pack): each routine forms
// an exact integer significand with at least two bits beyond the 53 kept plus a sticky bit for everything below,
// then round_pack rounds once. add aligns 63-bit significands (a borrowed sticky bit makes subtraction exact:
// sig - 1 with sticky set is the true difference); mul takes the high 64 bits of the 128-bit product of the
// normalised significands, the low 64 bits as sticky; div computes floor(2^64 * u / v) of the significands
// normalised to bit 63 by schoolbook division with two 32-bit digits (Knuth D; each digit estimated by
// u64_div_word and corrected at most twice), remainder != 0 as sticky; sqrt computes floor(sqrt(x * 2^64)) of the
// significand x normalised to [2^62, 2^64) by two Karatsuba square-root steps (Zimmermann 1999, "Karatsuba square
// root": base 2^16 over a 16-step digit-by-digit root, then base 2^32 with u64_divrem), each candidate corrected
// by squaring; the root has 64 bits, remainder != 0 as sticky.
// Cost (rough WGSL operation counts; branches on specials aside): add ~150, mul ~200, div ~300, sqrt ~450,
// rem ~100 per 32 bits of exponent difference. Reference: Rust's f64 arithmetic (IEEE 754, correctly rounded),
// bit for bit in tests/wgsl_lib_f64.rs.

// Whether x is a NaN.
fn f64_is_nan(x: vec2<u32>) -> bool {
    let hi = x.y & 0x7fffffffu;
    return hi > 0x7ff00000u || (hi == 0x7ff00000u && x.x != 0u);
}

// Whether x is ±inf.
fn f64_is_inf(x: vec2<u32>) -> bool {
    return (x.y & 0x7fffffffu) == 0x7ff00000u && x.x == 0u;
}

// Whether x is ±0.
fn f64_is_zero(x: vec2<u32>) -> bool {
    return ((x.y & 0x7fffffffu) | x.x) == 0u;
}

// The canonical quiet NaN, 0x7ff8000000000000.
fn f64_default_nan() -> vec2<u32> {
    return vec2<u32>(0u, 0x7ff80000u);
}

// The NaN result of an operation with a NaN operand: a's when a is NaN, else b's, with the quiet bit set.
fn f64_propagate_nan(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return select(b, a, f64_is_nan(a)) | vec2<u32>(0u, 0x00080000u);
}

// ±inf with the given sign.
fn f64_signed_inf(neg: bool) -> vec2<u32> {
    return vec2<u32>(0u, select(0x7ff00000u, 0xfff00000u, neg));
}

// a + b.
fn f64_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    if f64_is_nan(a) || f64_is_nan(b) {
        return f64_propagate_nan(a, b);
    }
    let ma = vec2<u32>(a.x, a.y & 0x7fffffffu);
    let mb = vec2<u32>(b.x, b.y & 0x7fffffffu);
    let subtract = ((a.y ^ b.y) >> 31u) != 0u;
    // x is the operand of larger magnitude.
    let swap = u64_lt(ma, mb);
    let x = select(a, b, swap);
    let mx = select(ma, mb, swap);
    let my = select(mb, ma, swap);
    if f64_is_inf(x) {
        return select(x, f64_default_nan(), subtract && f64_is_inf(my));
    }
    if subtract && all(mx == my) {
        return vec2<u32>(0u); // exact cancellation rounds to +0
    }
    let dx = float_decode(mx, 52u, 11u);
    let dy = float_decode(my, 52u, 11u);
    let shift = u32(dx.e - dy.e); // >= 0
    let sx = u64_shl(dx.sig, 10u); // < 2^63: the sum cannot overflow 64 bits
    let sy_full = u64_shl(dy.sig, 10u);
    let sy = u64_shr(sy_full, shift);
    let lost = u64_low_bits_nonzero(sy_full, shift);
    // With lost bits, the true difference lies strictly between (sx - sy - 1) and (sx - sy): borrow one and let the
    // sticky bit stand for the rest.
    let diff = u64_sub(u64_sub(sx, sy), vec2<u32>(select(0u, 1u, lost), 0u));
    let sig = select(u64_add(sx, sy), diff, subtract);
    return round_pack((x.y >> 31u) != 0u, dx.e - 10, sig, lost, 52u, 11u);
}

// a - b.
fn f64_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return f64_add(a, select(b ^ vec2<u32>(0u, 0x80000000u), b, f64_is_nan(b)));
}

// a * b.
fn f64_mul(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    if f64_is_nan(a) || f64_is_nan(b) {
        return f64_propagate_nan(a, b);
    }
    let neg = ((a.y ^ b.y) >> 31u) != 0u;
    if f64_is_inf(a) || f64_is_inf(b) {
        return select(f64_signed_inf(neg), f64_default_nan(), f64_is_zero(a) || f64_is_zero(b));
    }
    let da = float_decode(a, 52u, 11u);
    let db = float_decode(b, 52u, 11u);
    // Normalised significands (leading one at bit 63; zero stays zero and gives a signed zero).
    let la = u64_clz(da.sig);
    let lb = u64_clz(db.sig);
    let p = u64_mul_full(u64_shl(da.sig, la), u64_shl(db.sig, lb));
    let e = da.e - i32(la) + db.e - i32(lb) + 64;
    return round_pack(neg, e, p.zw, (p.x | p.y) != 0u, 52u, 11u);
}

// The significand of a finite nonzero f64 shifted so its leading one is at bit 52, and the matching exponent.
struct F64Norm {
    sig: vec2<u32>,
    e: i32,
}

fn f64_normalise(x: vec2<u32>) -> F64Norm {
    let d = float_decode(x, 52u, 11u);
    let l = u64_clz(d.sig) - 11u;
    return F64Norm(u64_shl(d.sig, l), d.e - i32(l));
}

// One 32-bit digit of the quotient (r * 2^32) / v and the new remainder, for r < v and v normalised (bit 63 set):
// Knuth's algorithm D step with base 2^32. The digit estimated from the top words (u64_div_word) is at most 2 too
// large (Knuth 4.3.1, theorem B); the 96-bit partial remainder says when, and v is added back.
struct F64Digit {
    q: u32,
    r: vec2<u32>,
}

fn f64_div_digit(r: vec2<u32>, v: vec2<u32>) -> F64Digit {
    var q = 0xffffffffu;
    if r.y < v.y {
        q = u64_div_word(r.y, r.x, v.y).x;
    }
    // t = r * 2^32 - q * v in 96-bit two's complement: (lo 64 bits, top word).
    let p0 = u64_mul_wide(q, v.x);
    let p1 = u64_add(u64_mul_wide(q, v.y), vec2<u32>(p0.y, 0u)); // q * v = (p0.x, p1.x, p1.y)
    let shifted = vec2<u32>(0u, r.x);
    let product = vec2<u32>(p0.x, p1.x);
    var lo = u64_sub(shifted, product);
    var top = r.y - p1.y - select(0u, 1u, u64_lt(shifted, product));
    for (var i = 0u; i < 2u; i++) {
        if (top >> 31u) != 0u {
            q -= 1u;
            let sum = u64_add(lo, v);
            top += select(0u, 1u, u64_lt(sum, lo));
            lo = sum;
        }
    }
    return F64Digit(q, lo);
}

// a / b.
fn f64_div(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    if f64_is_nan(a) || f64_is_nan(b) {
        return f64_propagate_nan(a, b);
    }
    let neg = ((a.y ^ b.y) >> 31u) != 0u;
    let signed_zero = vec2<u32>(0u, select(0u, 0x80000000u, neg));
    if f64_is_inf(a) {
        return select(f64_signed_inf(neg), f64_default_nan(), f64_is_inf(b));
    }
    if f64_is_inf(b) {
        return signed_zero;
    }
    if f64_is_zero(b) {
        return select(f64_signed_inf(neg), f64_default_nan(), f64_is_zero(a));
    }
    if f64_is_zero(a) {
        return signed_zero;
    }
    let na = f64_normalise(a);
    let nb = f64_normalise(b);
    // Q = floor(u * 2^64 / v) with both significands at bit 63: a leading bit (u >= v), then two 32-bit digits.
    var u = u64_shl(na.sig, 11u);
    let v = u64_shl(nb.sig, 11u);
    let lead = !u64_lt(u, v);
    if lead {
        u = u64_sub(u, v);
    }
    let d1 = f64_div_digit(u, v);
    let d2 = f64_div_digit(d1.r, v);
    // Q >= 2^63; with the leading bit it has 65 bits: drop the last into the sticky bit (a set dropped bit implies a
    // nonzero remainder already, an exact quotient having at most 53 significant bits, but say it plainly).
    let q = select(vec2<u32>(d2.q, d1.q), vec2<u32>((d2.q >> 1u) | (d1.q << 31u), (d1.q >> 1u) | 0x80000000u), lead);
    let sticky = !u64_is_zero(d2.r) || (lead && (d2.q & 1u) != 0u);
    return round_pack(neg, na.e - nb.e - 64 + select(0, 1, lead), q, sticky, 52u, 11u);
}

// floor(sqrt(y)) and the remainder y - floor(sqrt(y))^2 of a u32: 16 digit-by-digit steps in u32.
fn f64_sqrt_rem_word(y: u32) -> vec2<u32> {
    var r = 0u;
    var q = 0u;
    for (var k = 0u; k < 16u; k++) {
        r = (r << 2u) | ((y >> (30u - 2u * k)) & 3u);
        let t = (q << 2u) | 1u;
        q <<= 1u;
        if r >= t {
            r -= t;
            q |= 1u;
        }
    }
    return vec2<u32>(q, r);
}

// floor(sqrt(x)) for x in [2^62, 2^64): one Karatsuba square-root step (Zimmermann 1999) in base 2^16 on the root
// of the top word gives the root or one more; squaring decides.
fn f64_sqrt_u64(x: vec2<u32>) -> u32 {
    let top = f64_sqrt_rem_word(x.y); // root in [2^15, 2^16), remainder <= 2 * root
    let qu = u64_div_word(top.y >> 16u, (top.y << 16u) | (x.x >> 16u), 2u * top.x); // quotient <= 2^16
    // The candidate root, kept below 2^32 (the root is, and the candidate is at most one above it).
    let s = select(top.x * 65536u + qu.x, 0xffffffffu, top.x == 0xffffu && qu.x == 65536u);
    return select(s, s - 1u, u64_lt(x, u64_mul_wide(s, s)));
}

// a < b for 128-bit values (four words, least significant first).
fn f64_u128_lt(a: vec4<u32>, b: vec4<u32>) -> bool {
    return u64_lt(a.zw, b.zw) || (all(a.zw == b.zw) && u64_lt(a.xy, b.xy));
}

// sqrt(a).
fn f64_sqrt(a: vec2<u32>) -> vec2<u32> {
    if f64_is_nan(a) {
        return f64_propagate_nan(a, a);
    }
    if f64_is_zero(a) {
        return a; // sqrt(±0) = ±0
    }
    if (a.y >> 31u) != 0u {
        return f64_default_nan();
    }
    if f64_is_inf(a) {
        return a;
    }
    let n = f64_normalise(a);
    // value = x * 2^ex with x in [2^62, 2^64) and ex even; sqrt(value) = sqrt(x * 2^64) * 2^((ex - 64) / 2).
    let odd = ((n.e - 11) & 1) != 0;
    let x = u64_shl(n.sig, select(11u, 10u, odd));
    let ex = n.e - select(11, 10, odd);
    // S = floor(sqrt(x * 2^64)) by a second Karatsuba step in base 2^32: the root s1 of x and its remainder r1
    // (<= 2 s1) give the next 32 bits as floor(r1 * 2^32 / (2 s1)) = floor(r1 * 2^31 / s1) (at most 2^32), and
    // the candidate is the root or one more.
    let s1 = f64_sqrt_u64(x);
    let r1 = u64_sub(x, u64_mul_wide(s1, s1)); // < 2^33
    let q = u64_divrem(u64_shl(r1, 31u), vec2<u32>(s1, 0u)).xy;
    // No overflow: q = 2^32 needs r1 = 2 s1, i.e. x = (s1 + 1)^2 - 1, which is odd for s1 = 2^32 - 1; x is even.
    var s = u64_add(vec2<u32>(0u, s1), q);
    let radicand = vec4<u32>(0u, 0u, x);
    var square = u64_mul_full(s, s);
    if f64_u128_lt(radicand, square) {
        s = u64_sub(s, vec2<u32>(1u, 0u));
        square = u64_mul_full(s, s);
    }
    return round_pack(false, (ex - 64) / 2, s, any(square != radicand), 52u, 11u);
}

// a % b with the dividend's sign: a - trunc(a / b) * b computed exactly (C fmod, Rust's f64 `%`; torch.fmod).
// Special values: rem(±inf, y) = rem(x, ±0) = NaN, rem(x, ±inf) = x for finite x, rem(±0, y) = ±0 for y != 0.
// The remainder of the significands is reduced one exponent step at a time: the first (exponent difference mod 32)
// bits in steps of at most 11 bits with u64_divrem, then 32 bits per f64_div_digit step, so the cost grows with the
// exponent difference: up to ~70 steps (~100 operations each) for the widest one (2^1023 % 2^-1074).
fn f64_rem(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    if f64_is_nan(a) || f64_is_nan(b) {
        return f64_propagate_nan(a, b);
    }
    if f64_is_inf(a) || f64_is_zero(b) {
        return f64_default_nan();
    }
    let ma = vec2<u32>(a.x, a.y & 0x7fffffffu);
    let mb = vec2<u32>(b.x, b.y & 0x7fffffffu);
    if u64_lt(ma, mb) {
        return a; // |a| < |b| (b = ±inf included; a = ±0 included)
    }
    let na = f64_normalise(a);
    let nb = f64_normalise(b);
    var d = u32(na.e - nb.e); // >= 0, as both significands have their leading one at bit 52
    var r = select(na.sig, u64_sub(na.sig, nb.sig), !u64_lt(na.sig, nb.sig)); // < nb.sig
    for (var part = d & 31u; part > 0u; part -= min(part, 11u)) {
        r = u64_divrem(u64_shl(r, min(part, 11u)), nb.sig).zw;
    }
    let v = u64_shl(nb.sig, 11u);
    var rn = u64_shl(r, 11u);
    for (var words = d >> 5u; words > 0u; words--) {
        rn = f64_div_digit(rn, v).r;
    }
    // Exact: |result| < |b|, a multiple of b's last place; round_pack only packs it (±0 keeps a's sign).
    return round_pack((a.y >> 31u) != 0u, nb.e, u64_shr(rn, 11u), false, 52u, 11u);
}
