//! The binary64 soft-float routines of `shaders/lib/f64_arith.wgsl`, `f64_order.wgsl` and `f64_round.wgsl`, bit for
//! bit against Rust's `f64` (IEEE 754, correctly rounded on the host): a NaN result must be a NaN, and exactly the
//! NaN the libraries document (the first NaN operand quieted, else 0x7ff8000000000000); every other result must have
//! the oracle's bits, zero signs included. Operands: every edge value against every edge value, then random pairs
//! from several distributions (random bits; close exponents so add/sub cancel; subnormals; products that are exact
//! ties; quotients that are exact ties in the subnormal range; quotients and square roots within 2^-40 ulp of a
//! midpoint, built by modular inverses and Hensel lifting (exact ties are impossible for them in the normal range);
//! extreme exponents; integers and halves for the rounding ops). Default device, portable, GL.

mod wgsl_harness;

use wgpu_tensor::Device;

const LIBS: [&str; 6] = [
    include_str!("../shaders/lib/u64.wgsl"),
    include_str!("../shaders/lib/round_pack.wgsl"),
    include_str!("../shaders/lib/convert.wgsl"),
    include_str!("../shaders/lib/f64_arith.wgsl"),
    include_str!("../shaders/lib/f64_order.wgsl"),
    include_str!("../shaders/lib/f64_round.wgsl"),
];

/// Random pairs on the default device; the portable device and GL run a tenth.
const RANDOM_PAIRS: usize = 1_000_000;

const SIGN: u64 = 1 << 63;
const QUIET: u64 = 1 << 51;
const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;

fn libs() -> String {
    // round_pack reports inexact results through mark_lossy; nobody counts them here.
    let mut s = LIBS.join("\n");
    s.push_str("\nfn mark_lossy(c: bool) {}\n");
    s
}

fn words(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}

fn join(w: [u32; 2]) -> u64 {
    u64::from(w[0]) | (u64::from(w[1]) << 32)
}

fn is_nan(bits: u64) -> bool {
    f64::from_bits(bits).is_nan()
}

/// The NaN the libraries return for operands a, b when the result is NaN.
fn nan_result(a: u64, b: u64) -> u64 {
    if is_nan(a) {
        a | QUIET
    } else if is_nan(b) {
        b | QUIET
    } else {
        CANONICAL_NAN
    }
}

/// A binary routine: its WGSL expression and its oracle (result bits).
struct Binary {
    name: &'static str,
    wgsl: &'static str,
    oracle: fn(f64, f64) -> f64,
}

/// A comparison: its WGSL expression (a bool) and its oracle.
struct Compare {
    name: &'static str,
    wgsl: &'static str,
    oracle: fn(f64, f64) -> bool,
}

/// A unary routine: its WGSL expression over `a` and its oracle.
struct Unary {
    name: &'static str,
    wgsl: &'static str,
    oracle: fn(f64) -> f64,
}

/// PyTorch minimum: NaN propagates, -0 < +0.
fn minimum(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if b.total_cmp(&a).is_lt() {
        b
    } else {
        a
    }
}

fn maximum(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a.total_cmp(&b).is_lt() {
        b
    } else {
        a
    }
}

/// PyTorch sign: NaN -> NaN, ±0 -> ±0, else ±1.
fn sign(x: f64) -> f64 {
    if x.is_nan() || x == 0.0 { x } else { x.signum() }
}

const BINARY: [Binary; 7] = [
    Binary { name: "add", wgsl: "f64_add(a, b)", oracle: |a, b| a + b },
    Binary { name: "sub", wgsl: "f64_sub(a, b)", oracle: |a, b| a - b },
    Binary { name: "mul", wgsl: "f64_mul(a, b)", oracle: |a, b| a * b },
    Binary { name: "div", wgsl: "f64_div(a, b)", oracle: |a, b| a / b },
    Binary { name: "rem", wgsl: "f64_rem(a, b)", oracle: |a, b| a % b },
    Binary { name: "minimum", wgsl: "f64_minimum(a, b)", oracle: minimum },
    Binary { name: "maximum", wgsl: "f64_maximum(a, b)", oracle: maximum },
];

const COMPARE: [Compare; 6] = [
    Compare { name: "eq", wgsl: "f64_eq(a, b)", oracle: |a, b| a == b },
    Compare { name: "ne", wgsl: "!f64_eq(a, b)", oracle: |a, b| a != b },
    Compare { name: "lt", wgsl: "f64_lt(a, b)", oracle: |a, b| a < b },
    Compare { name: "le", wgsl: "f64_le(a, b)", oracle: |a, b| a <= b },
    Compare { name: "gt", wgsl: "f64_lt(b, a)", oracle: |a, b| a > b },
    Compare { name: "ge", wgsl: "f64_le(b, a)", oracle: |a, b| a >= b },
];

const UNARY: [Unary; 6] = [
    Unary { name: "sqrt", wgsl: "f64_sqrt(a)", oracle: f64::sqrt },
    Unary { name: "sign", wgsl: "f64_sign(a)", oracle: sign },
    Unary { name: "floor", wgsl: "f64_floor(a)", oracle: f64::floor },
    Unary { name: "ceil", wgsl: "f64_ceil(a)", oracle: f64::ceil },
    Unary { name: "trunc", wgsl: "f64_trunc(a)", oracle: f64::trunc },
    Unary { name: "round", wgsl: "f64_round(a)", oracle: f64::round_ties_even },
];

/// splitmix64 (a Cell, so draws nest in one expression).
struct SplitMix(std::cell::Cell<u64>);

impl SplitMix {
    fn new(seed: u64) -> SplitMix {
        SplitMix(std::cell::Cell::new(seed))
    }

    fn next(&self) -> u64 {
        self.0.set(self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15));
        let mut z = self.0.get();
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&self, n: u64) -> u64 {
        self.next() % n
    }

    fn sign(&self) -> u64 {
        self.next() & SIGN
    }

    /// A value with the given biased exponent field (clamped to 0..=2046) and a random mantissa and sign.
    fn with_exp(&self, e: i64) -> u64 {
        self.sign() | ((e.clamp(0, 2046) as u64) << 52) | (self.next() >> 12)
    }

    /// An odd integer in [2^(n-1), 2^n).
    fn odd(&self, n: u32) -> u64 {
        (1 << (n - 1)) | (self.next() >> (65 - n)) | 1
    }
}

/// ±m * 2^e as f64 bits (m and the product exactly representable by construction).
fn scaled(m: u64, e: i32, neg: bool) -> u64 {
    let v = (m as f64) * 2f64.powi(e);
    v.to_bits() | if neg { SIGN } else { 0 }
}

/// The edge values of the brief: ±0, ±inf, NaN payloads (quiet, signalling, negative), MIN_POSITIVE, MAX, 1 ± ulp,
/// subnormal extremes, halves and integers at the f64 precision limit.
fn edges() -> Vec<u64> {
    let mut v = vec![
        0,
        SIGN,
        0x7ff0_0000_0000_0000,
        0xfff0_0000_0000_0000,
        CANONICAL_NAN,
        0xfff8_0000_0000_0000,
        0x7ff8_0000_dead_beef,
        0x7ff0_0000_0000_0001,
        0xfff4_0000_0000_0000,
        1,
        3,
        0x000f_ffff_ffff_ffff,
        0x0010_0000_0000_0000,
        0x0010_0000_0000_0001,
        0x7fef_ffff_ffff_ffff,
        0x7fef_ffff_ffff_fffe,
        0x7fe0_0000_0000_0000,
        1f64.to_bits(),
        1f64.to_bits() + 1,
        1f64.to_bits() - 1,
        2f64.to_bits(),
        0.5f64.to_bits(),
        1.5f64.to_bits(),
        2.5f64.to_bits(),
        3f64.to_bits(),
        0.25f64.to_bits(),
        0.75f64.to_bits(),
        0.1f64.to_bits(),
        0.49999999999999994f64.to_bits(),
        4_503_599_627_370_495.5f64.to_bits(),
        2f64.powi(52).to_bits(),
        (2f64.powi(52) + 1.0).to_bits(),
        2f64.powi(53).to_bits(),
        (2f64.powi(53) - 1.0).to_bits(),
        1e308f64.to_bits(),
        1e-308f64.to_bits(),
        std::f64::consts::PI.to_bits(),
    ];
    let neg: Vec<u64> = v.iter().map(|x| x ^ SIGN).collect();
    v.extend(neg);
    v.sort_unstable();
    v.dedup();
    v
}

/// One random operand pair from a mix of distributions.
fn random_pair(rng: &SplitMix) -> (u64, u64) {
    match rng.below(10) {
        // Random bits.
        0 => (rng.next(), rng.next()),
        // Close exponents and shared leading bits: add/sub cancel.
        1 | 2 => {
            let a = rng.next() & !(0x7ff << 52) | ((rng.below(2046) + 1) << 52);
            let k = rng.below(53);
            let mask = (1u64 << k) - 1;
            let mut b = (a & !mask) | (rng.next() & mask);
            let de = rng.below(5) as i64 - 2;
            let eb = (((b >> 52) & 0x7ff) as i64 + de).clamp(0, 2046) as u64;
            b = (b & !(0x7ff << 52)) | (eb << 52);
            (a, b ^ rng.sign())
        }
        // Subnormals and the smallest normals, against each other or against values near 1 and 2^±60.
        3 => {
            let a = rng.with_exp(rng.below(3) as i64);
            let b = if rng.below(2) == 0 {
                rng.with_exp(rng.below(3) as i64)
            } else {
                rng.with_exp(1023 + rng.below(121) as i64 - 60)
            };
            if rng.below(2) == 0 { (a, b) } else { (b, a) }
        }
        // Products that are exact ties (a 54-bit odd product) in the normal and the subnormal range.
        4 => {
            let (x, y) = (rng.odd(27), rng.odd(28));
            let ea = rng.below(1800) as i32 - 900;
            let eb = if rng.below(4) == 0 {
                -1074 - 54 - ea + rng.below(60) as i32
            } else {
                rng.below(1800) as i32 - 900 - ea / 2
            };
            let eb = eb.clamp(-1000, 1000);
            (scaled(x, ea, rng.below(2) == 0), scaled(y, eb, rng.below(2) == 0))
        }
        // Quotients that are exact ties in the subnormal range: a / b = c * 2^-1075, c odd.
        5 => {
            let c = rng.odd(1 + rng.below(40) as u32);
            let d = rng.odd(1 + rng.below(10) as u32);
            let k = rng.below(200) as i32;
            (scaled(c * d, k - 1075 + 60, rng.below(2) == 0), scaled(d, k + 60, rng.below(2) == 0))
        }
        // Quotients and square roots within a hair of a midpoint (the hardest rounding decisions).
        6 => {
            let hard = if rng.below(2) == 0 { hard_quotient(rng) } else { hard_sqrt(rng) };
            hard.unwrap_or_else(|| (rng.next(), rng.next()))
        }
        // Extreme exponents: overflow and underflow.
        7 => {
            let hi = rng.below(2) == 0;
            let f = |r: &SplitMix| {
                if hi { r.with_exp(2046 - r.below(64) as i64) } else { r.with_exp(r.below(64) as i64) }
            };
            let a = f(rng);
            let b = if rng.below(2) == 0 { f(rng) } else { rng.with_exp(1023 + rng.below(129) as i64 - 64) };
            (a, b)
        }
        // Integers, halves and quarters (rounding ops), up to and past 2^53.
        _ => {
            let n = rng.below(60) as u32;
            let k = rng.next() >> (64 - n.max(1));
            let frac = [0.0, 0.5, 0.25, 0.75, 0.125][rng.below(5) as usize];
            let v = (k as f64 + frac) * if rng.below(2) == 0 { 1.0 } else { -1.0 };
            (v.to_bits(), rng.next())
        }
    }
}

/// M with M^2 = c (mod 2^k), M odd, for c = 1 (mod 8): Hensel lifting one bit at a time.
fn sqrt_mod_pow2(c: u128, k: u32) -> u128 {
    let mut m: u128 = 1;
    for i in 3..k {
        if (m * m).wrapping_sub(c) >> i & 1 == 1 {
            m += 1 << (i - 1);
        }
    }
    m & ((1 << k) - 1)
}

/// (x, anything) with sqrt(x) = M ± tiny, M a midpoint between two doubles: x * 2^-k = M^2 ∓ t for a t < 2^10 and
/// an odd 54-bit M (M^2 = ±t mod 2^k, found by Hensel lifting). None when no root of the congruence fits.
fn hard_sqrt(rng: &SplitMix) -> Option<(u64, u64)> {
    let k = 54 + rng.below(2) as u32;
    let t = 1 + 8 * u128::from(rng.below(1 << 7)); // = 1 (mod 8), below 2^10
    let below = rng.below(2) == 0; // sqrt(x) just below the midpoint (M^2 - t) or just above (M^2 + t')
    let target = if below { t } else { (1 << k) - (t + 6) }; // t + 6 = 7 (mod 8): -(t + 6) = 1 (mod 8)
    let m0 = sqrt_mod_pow2(target, k);
    let half = 1u128 << (k - 1);
    let roots = [m0, (1 << k) - m0, (m0 + half) & ((1 << k) - 1), ((1 << k) - m0 + half) & ((1 << k) - 1)];
    let m = roots.into_iter().find(|&m| {
        let x = (m * m) >> k;
        (1 << 53..1 << 54).contains(&m) && (1 << 52..1 << 53).contains(&x)
    })?;
    let x = if below { (m * m - target) >> k } else { (m * m + (t + 6)) >> k };
    let e = 2 * (rng.below(900) as i32 - 500);
    Some((scaled(x as u64, k as i32 + e, false), rng.next()))
}

/// (a, b) with a / b = M ± tiny, M an odd 54-bit integer (a midpoint between two doubles): a * 2^54 = M b + c for an
/// odd |c| < 2^10, M = -c / b (mod 2^54). None when M or a falls outside the 54/53-bit ranges.
fn hard_quotient(rng: &SplitMix) -> Option<(u64, u64)> {
    let k = 54;
    let b = rng.odd(53);
    let mut inv = b; // b^-1 mod 2^64 by Newton's iteration (each step doubles the correct low bits)
    for _ in 0..6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(b.wrapping_mul(inv)));
    }
    let c = (2 * rng.below(1 << 9) + 1) as i64 * if rng.below(2) == 0 { 1 } else { -1 };
    let m = u128::from((c.wrapping_neg() as u64).wrapping_mul(inv)) & ((1 << k) - 1);
    let num = (m * u128::from(b)).checked_add_signed(i128::from(c))?;
    let a = num >> k;
    if !(1 << 53..1 << 54).contains(&m) || !(1 << 52..1 << 53).contains(&a) || num & ((1 << k) - 1) != 0 {
        return None;
    }
    let e = rng.below(1600) as i32 - 800;
    let eb = rng.below(1600) as i32 - 800;
    Some((scaled(a as u64, e, rng.below(2) == 0), scaled(b, eb, rng.below(2) == 0)))
}

/// Whether the exact value `num / den` (num = n * 2^ne, den = d * 2^de given as integer significands and exponents)
/// lies within 2^-40 of a result ulp of the midpoint next to the correctly rounded result r (r = R * 2^er).
fn near_midpoint(exact_times_den: (u128, i32), den: (u128, i32), r: f64) -> bool {
    let (rm, re) = significand(r);
    let ((n, ne), (d, de)) = (exact_times_den, den);
    // Midpoints (2R ± 1) * 2^(re - 1); compare (2R ± 1) * d * 2^(re - 1 + de) with n * 2^ne.
    let s = ne - (re - 1 + de);
    if !(0..=70).contains(&s) {
        return false;
    }
    [2 * u128::from(rm) + 1, 2 * u128::from(rm) - 1].iter().any(|&mid| {
        let lhs = mid * d;
        let rhs = n << s;
        lhs.abs_diff(rhs) < lhs >> 94 // within 2^-40 ulp: the difference is below 2^-94 of a 54-bit * 53-bit product
    })
}

/// (integer significand, exponent) of a finite nonzero f64: |x| = m * 2^e.
fn significand(x: f64) -> (u64, i32) {
    let bits = x.abs().to_bits();
    let ef = (bits >> 52) as i32;
    let man = bits & ((1 << 52) - 1);
    if ef == 0 { (man, -1074) } else { (man | 1 << 52, ef - 1075) }
}

/// Edge × edge pairs, then `random` random pairs.
fn operands(random: usize, seed: u64) -> (Vec<u64>, Vec<u64>) {
    let e = edges();
    let mut a: Vec<u64> = e.iter().flat_map(|&x| e.iter().map(move |_| x)).collect();
    let mut b: Vec<u64> = e.iter().flat_map(|_| e.iter().copied()).collect();
    let rng = SplitMix::new(seed);
    for _ in 0..random {
        let (x, y) = random_pair(&rng);
        a.push(x);
        b.push(y);
    }
    (a, b)
}

/// `got` equals `want` bit for bit, or both are NaN and `got` is the documented NaN.
fn check_value(name: &str, a: u64, b: u64, got: u64, want: u64, nan: u64) {
    let ok = if is_nan(want) { got == nan } else { got == want };
    assert!(
        ok,
        "{name}({a:#018x} = {:e}, {b:#018x} = {:e}): got {got:#018x} = {:e}, want {want:#018x} = {:e}",
        f64::from_bits(a),
        f64::from_bits(b),
        f64::from_bits(got),
        f64::from_bits(want)
    );
}

fn check(device: &Device, random: usize, seed: u64) {
    let (a, b) = operands(random, seed);
    let wa: Vec<[u32; 2]> = a.iter().map(|&v| words(v)).collect();
    let wb: Vec<[u32; 2]> = b.iter().map(|&v| words(v)).collect();
    let libs = libs();
    let compare: Vec<String> = COMPARE.iter().map(|c| format!("vec2<u32>(select(0u, 1u, {}), 0u)", c.wgsl)).collect();
    let mut exprs: Vec<&str> = BINARY.iter().map(|op| op.wgsl).collect();
    exprs.extend(compare.iter().map(String::as_str));
    exprs.extend(UNARY.iter().map(|op| op.wgsl));
    exprs.extend([
        "f64_neg(a)",
        "f64_abs(a)",
        "vec2<u32>(select(0u, 1u, f64_is_nan(a)), select(0u, 1u, f64_is_inf(a)))",
    ]);
    let outs = wgsl_harness::run_many_on(device, &libs, &exprs, &wa, &wb, &[]);
    for i in 0..a.len() {
        let (x, y) = (a[i], b[i]);
        let (fx, fy) = (f64::from_bits(x), f64::from_bits(y));
        for (k, op) in BINARY.iter().enumerate() {
            let want = (op.oracle)(fx, fy).to_bits();
            check_value(op.name, x, y, join(outs[k][i]), want, nan_result(x, y));
        }
        for (k, op) in COMPARE.iter().enumerate() {
            let got = outs[BINARY.len() + k][i];
            assert_eq!(got, [u32::from((op.oracle)(fx, fy)), 0], "{}({x:#018x} = {fx:e}, {y:#018x} = {fy:e})", op.name);
        }
        for (k, op) in UNARY.iter().enumerate() {
            let want = (op.oracle)(fx).to_bits();
            let got = join(outs[BINARY.len() + COMPARE.len() + k][i]);
            check_value(op.name, x, 0, got, want, nan_result(x, x));
        }
        let base = BINARY.len() + COMPARE.len() + UNARY.len();
        assert_eq!(join(outs[base][i]), x ^ SIGN, "neg({x:#018x})");
        assert_eq!(join(outs[base + 1][i]), x & !SIGN, "abs({x:#018x})");
        assert_eq!(
            outs[base + 2][i],
            [u32::from(fx.is_nan()), u32::from(fx.is_infinite())],
            "is_nan/is_inf({x:#018x})"
        );
    }
}

#[test]
fn f64_routines_match_rust_on_the_default_device() {
    check(wgsl_harness::device(), RANDOM_PAIRS, 7);
}

#[test]
fn f64_routines_match_rust_on_the_portable_device() {
    check(wgsl_harness::portable(), RANDOM_PAIRS, 7);
}

#[test]
fn f64_routines_match_rust_on_gl() {
    check(wgsl_harness::gl(), RANDOM_PAIRS, 7);
}

/// More of the same on the default device: `WGSL_SOAK_ROUNDS` (default 20) rounds of 10^6 fresh random pairs.
/// Run with `--ignored`.
#[test]
#[ignore]
fn f64_routines_soak() {
    let rounds: u64 = std::env::var("WGSL_SOAK_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    for round in 0..rounds {
        check(wgsl_harness::device(), RANDOM_PAIRS, 1000 + round);
    }
}

/// The operand generators produce what their comments promise (so the tests above see ties and cancellations).
#[test]
fn operand_mix_covers_ties_cancellation_and_subnormals() {
    let (a, b) = operands(200_000, 7);
    let (mut mul_ties, mut div_ties, mut cancel, mut subnormal_results) = (0, 0, 0, 0);
    let (mut hard_quotients, mut hard_roots) = (0, 0);
    for (&x, &y) in a.iter().zip(&b) {
        let (fx, fy) = (f64::from_bits(x), f64::from_bits(y));
        let p = fx * fy;
        // An exact tie of a normal product: the 106-bit product has exactly 54 significant bits, the last one set.
        if fx.is_normal() && fy.is_normal() && p.is_normal() {
            let m = |v: f64| (v.to_bits() & ((1 << 52) - 1)) | (1 << 52);
            let q = u128::from(m(fx)) * u128::from(m(fy));
            let bits = 128 - q.leading_zeros() - q.trailing_zeros();
            mul_ties += usize::from(bits == 54);
        }
        // An exact tie of a subnormal quotient: x / y = t * 2^-1075 with t odd (scaled so every step is exact).
        let q = fx / fy;
        let t = (fx * 2f64.powi(200)) / fy * 2f64.powi(875);
        if q.abs() < f64::MIN_POSITIVE && t.fract() == 0.0 && t.abs() < 2f64.powi(53) && t % 2.0 != 0.0 {
            div_ties += 1;
        }
        // Quotients and roots within 2^-40 ulp of a midpoint.
        if fx.is_normal() && fy.is_normal() && q.is_normal() {
            let ((n, ne), (d, de)) = (significand(fx), significand(fy));
            hard_quotients += usize::from(near_midpoint((u128::from(n), ne), (u128::from(d), de), q));
        }
        if fx.is_normal() && fx > 0.0 {
            // sqrt(x) = r: compare the midpoint's square with x, i.e. (2R ± 1) * (2R ± 1) against x.
            let (rm, re) = significand(fx.sqrt());
            let (n, ne) = significand(fx);
            let s = ne - 2 * (re - 1);
            let near = (0..=70).contains(&s)
                && [2 * u128::from(rm) + 1, 2 * u128::from(rm) - 1].iter().any(|&mid| {
                    let sq = mid * mid;
                    sq.abs_diff(u128::from(n) << s) < sq >> 94
                });
            hard_roots += usize::from(near);
        }
        let s = fx + fy;
        if fx.is_finite() && s != 0.0 && s.abs() < fx.abs() * 2f64.powi(-20) {
            cancel += 1;
        }
        subnormal_results += usize::from(p.is_subnormal() || q.is_subnormal() || s.is_subnormal());
    }
    assert!(mul_ties > 5_000, "{mul_ties} exact product ties");
    assert!(div_ties > 5_000, "{div_ties} exact quotient ties");
    assert!(cancel > 2_000, "{cancel} sums cancelling 20 bits or more");
    assert!(hard_quotients > 1_000, "{hard_quotients} quotients within 2^-40 ulp of a midpoint");
    assert!(hard_roots > 1_000, "{hard_roots} square roots within 2^-40 ulp of a midpoint");
    assert!(subnormal_results > 5_000, "{subnormal_results} subnormal results");
}

/// Prints the cost of each routine on the default device: ns per element (best of 7 interleaved rounds) over 2^20
/// operand pairs of random bits (the copy `a` is the harness's floor). Speed is never asserted; run with `--ignored
/// --nocapture`.
#[test]
#[ignore]
fn f64_routine_costs() {
    let rng = SplitMix::new(3);
    let n = 1 << 20;
    let (a, b): (Vec<[u32; 2]>, Vec<[u32; 2]>) = (0..n)
        .map(|_| {
            let (x, y) = (rng.with_exp(900 + rng.below(200) as i64), rng.with_exp(900 + rng.below(200) as i64));
            (words(x), words(y))
        })
        .unzip();
    let libs = libs();
    let exprs = [
        "a",
        "u64_add(a, b)",
        "f64_add(a, b)",
        "f64_mul(a, b)",
        "f64_div(a, b)",
        "f64_rem(a, b)",
        "f64_sqrt(a)",
        "vec2<u32>(select(0u, 1u, f64_lt(a, b)), 0u)",
        "f64_minimum(a, b)",
        "f64_round(a)",
    ];
    wgsl_harness::print_costs(wgsl_harness::device(), &libs, &exprs, &a, &b, 7);
}
