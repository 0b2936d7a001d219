// An exact fixed-point accumulator of floats (a superaccumulator): the sum of any number of f32 (or f16/bf16)
// values, kept exactly as an integer multiple of 2^-149 (the smallest f32 subnormal) in SA_DIGITS 24-bit digits,
// carry-save in i32 words: digit j weighs 2^(24j - 149). A term m · 2^(s - 149) (m < 2^24, 0 <= s <= 253) touches
// two digits, each by less than 2^24, so a word absorbs 64 terms (or 64 normalised accumulators) and stays below
// 2^30 before its carries must move (`sa_normalise`). 13 digits = 312 bits: f32 magnitudes below 2^128 are 277
// bits, with headroom for 2^32 terms and the sign (the top word is a whole signed i32).
// Specials and signed zeros are kept as flags (merged by OR). Rounding (`sa_round`) happens once, at the end.

const SA_DIGITS: u32 = 13u;
// Words of a stored accumulator: the digits, then the flags.
const SA_WORDS: u32 = 14u;

const SA_NAN: u32 = 1u;
const SA_PINF: u32 = 2u;
const SA_NINF: u32 = 4u;
// Some term was seen; some term was not -0 (the exact zero sum is -0 only when every term is -0, as IEEE adds).
const SA_ANY: u32 = 8u;
const SA_NOT_NEG_ZERO: u32 = 16u;

var<private> sa: array<i32, 13>;
var<private> sa_flags: u32;

fn sa_clear() {
    for (var j = 0u; j < SA_DIGITS; j++) {
        sa[j] = 0;
    }
    sa_flags = 0u;
}

// Adds (or subtracts, when `neg`) m · 2^(s - 149). Every digit is visited with a select rather than indexed by the
// term's digit k (measured no slower on lavapipe, faster across rows; an unrolled loop keeps the digits in registers).
fn sa_add_mag(neg: bool, m: u32, s: u32) {
    let k = s / 24u;
    let b = s % 24u;
    let lo = i32((m << b) & 0xffffffu);
    let hi = i32(m >> (24u - b));
    let l = select(lo, -lo, neg);
    let h = select(hi, -hi, neg);
    for (var j = 0u; j < SA_DIGITS; j++) {
        sa[j] += select(0, l, j == k) + select(0, h, j == k + 1u);
    }
}

// Adds one binary float given by its bits `x`: `man` stored significand bits, `ebits` exponent bits; a finite
// value is m · 2^(max(e, 1) + offset - 149) with m the significand (implicit bit included), in units of the
// accumulator's lowest digit (f32: offset -1; f16: offset 124). NaN and infinities set flags only.
fn sa_add_float(x: u32, man: u32, ebits: u32, offset: i32) {
    let emax = (1u << ebits) - 1u;
    let sign = 1u << (man + ebits);
    let e = (x >> man) & emax;
    let frac = x & ((1u << man) - 1u);
    let neg = (x & sign) != 0u;
    var f = SA_ANY;
    if x != sign {
        f |= SA_NOT_NEG_ZERO;
    }
    if e == emax {
        if frac != 0u {
            f |= SA_NAN;
        } else {
            f |= select(SA_PINF, SA_NINF, neg);
        }
        sa_flags |= f;
        return;
    }
    sa_flags |= f;
    let m = frac | select(0u, 1u << man, e != 0u);
    sa_add_mag(neg, m, u32(i32(max(e, 1u)) + offset));
}

// Adds one f32 given by its bits (bf16 too: its bits shifted up 16).
fn sa_add_f32(x: u32) {
    sa_add_float(x, 23u, 8u, -1);
}

// Adds one f16 given by its bits (the low 16 of `h`): m · 2^(max(e, 1) - 25) = m · 2^(max(e, 1) + 124 - 149).
fn sa_add_f16(h: u32) {
    sa_add_float(h, 10u, 5u, 124);
}

// Moves the carries up: digits 0..SA_DIGITS-2 end in [0, 2^24), the top digit keeps the sign.
fn sa_normalise() {
    for (var j = 0u; j + 1u < SA_DIGITS; j++) {
        let c = sa[j] >> 24u;
        sa[j] &= 0xffffff;
        sa[j + 1u] += c;
    }
}

// Adds a stored accumulator (normalised digits, then flags) from words w..w+SA_WORDS of `sa_src`.
fn sa_add_stored(w: u32) {
    for (var j = 0u; j < SA_DIGITS; j++) {
        sa[j] += bitcast<i32>(sa_load(w + j));
    }
    sa_flags |= sa_load(w + SA_DIGITS);
}

// Digit j of the magnitude as u32 (0 past the top).
fn sa_digit(j: u32) -> u32 {
    if j >= SA_DIGITS {
        return 0u;
    }
    return u32(sa[j]);
}

// 32 bits of the magnitude from bit `pos` up.
fn sa_bits_at(pos: u32) -> u32 {
    let q = pos / 24u;
    let s = pos % 24u;
    var v = (sa_digit(q) >> s) | (sa_digit(q + 1u) << (24u - s));
    if s > 16u {
        v |= sa_digit(q + 2u) << (48u - s);
    }
    return v;
}

// Whether any bit of the magnitude below bit `pos` is set.
fn sa_any_below(pos: u32) -> bool {
    let q = pos / 24u;
    var any = (sa_digit(q) & ((1u << (pos % 24u)) - 1u)) != 0u;
    for (var j = 0u; j < q; j++) {
        any = any || sa[j] != 0;
    }
    return any;
}

// The exact sum (normalised) rounded once, to nearest even, to a float with `p` significand bits (hidden bit
// included), smallest exponent field 1 at magnitude bit `shift_min + p - 1`, all-ones exponent field `exp_max`,
// sign bit `sign` and default NaN `nan`: f32 (24, 0, 255), f16 (11, 125, 31), bf16 (8, 16, 255). NaN when a term is
// NaN or both infinities occur; an infinity otherwise wins; a finite sum past the largest finite value rounds to
// infinity; an exact zero is +0 unless every term was -0.
fn sa_round(p: u32, shift_min: u32, exp_max: u32, sign: u32, nan: u32) -> u32 {
    let f = sa_flags;
    let inf = exp_max << (p - 1u);
    if (f & SA_NAN) != 0u || (f & (SA_PINF | SA_NINF)) == (SA_PINF | SA_NINF) {
        return nan;
    }
    if (f & SA_PINF) != 0u {
        return inf;
    }
    if (f & SA_NINF) != 0u {
        return sign | inf;
    }
    var s = 0u;
    if sa[SA_DIGITS - 1u] < 0 {
        s = sign;
        for (var j = 0u; j < SA_DIGITS; j++) {
            sa[j] = -sa[j];
        }
        sa_normalise();
    }
    var t = -1;
    for (var j = 0; j < i32(SA_DIGITS); j++) {
        if sa[j] != 0 {
            t = j;
        }
    }
    if t < 0 {
        let all_neg_zero = (f & SA_ANY) != 0u && (f & SA_NOT_NEG_ZERO) == 0u;
        return select(0u, sign, all_neg_zero);
    }
    let top = u32(t) * 24u + 31u - countLeadingZeros(u32(sa[t]));
    let shift = max(top, p - 1u + shift_min) - (p - 1u);
    let field = shift - shift_min;
    if field + 1u >= exp_max {
        return s | inf;
    }
    let keep = sa_bits_at(shift) & ((1u << p) - 1u);
    var r = (field << (p - 1u)) + keep;
    if shift > 0u {
        let half = (sa_bits_at(shift - 1u) & 1u) != 0u;
        if half && ((r & 1u) != 0u || sa_any_below(shift - 1u)) {
            r += 1u;
        }
    }
    return s | r;
}
