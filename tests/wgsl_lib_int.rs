//! The integer routines of `shaders/lib/int.wgsl` (8/16/32-bit dtypes), `shaders/lib/int64.wgsl` and the 64-bit
//! primitives of `shaders/lib/u64.wgsl`, bit for bit against Rust's `wrapping_*` operations (division by zero gives
//! 0, numpy's rule): exhaustive over all 65 536 pairs at 8 bits, edge values crossed with edge values plus random
//! pairs at 16, 32 and 64 bits, on the default device, the portable device and GL.

mod wgsl_harness;

use wgpu_tensor::Device;

const U64_LIB: &str = include_str!("../shaders/lib/u64.wgsl");
const INT_LIB: &str = include_str!("../shaders/lib/int.wgsl");
const INT64_LIB: &str = include_str!("../shaders/lib/int64.wgsl");

/// Random pairs per (bits, signed) configuration on the default device; the other devices run a tenth.
const RANDOM_PAIRS: usize = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Shl,
    Shr,
    Minimum,
    Maximum,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Neg,
    Abs,
    Sign,
}

const OPS: [Op; 18] = [
    Op::Add,
    Op::Sub,
    Op::Mul,
    Op::Div,
    Op::Rem,
    Op::Shl,
    Op::Shr,
    Op::Minimum,
    Op::Maximum,
    Op::Eq,
    Op::Ne,
    Op::Lt,
    Op::Le,
    Op::Gt,
    Op::Ge,
    Op::Neg,
    Op::Abs,
    Op::Sign,
];

fn as_bool(e: &str) -> String {
    format!("vec2<u32>(select(0u, 1u, {e}), 0u)")
}

/// The WGSL expression for `op` on 8/16/32-bit operands, as the elementwise kernels will call it.
fn wgsl32(op: Op, bits: u32, signed: bool) -> String {
    let p = format!("{bits}u, {signed}");
    let word = |f: &str| format!("vec2<u32>({f}(a.x, b.x, {p}), 0u)");
    match op {
        Op::Add => word("int_add"),
        Op::Sub => word("int_sub"),
        Op::Mul => word("int_mul"),
        Op::Div => word("int_div"),
        Op::Rem => word("int_rem"),
        Op::Shl => word("int_shl"),
        Op::Shr => word("int_shr"),
        Op::Minimum => format!("vec2<u32>(int_minimum(a.x, b.x, {signed}), 0u)"),
        Op::Maximum => format!("vec2<u32>(int_maximum(a.x, b.x, {signed}), 0u)"),
        Op::Eq => as_bool("a.x == b.x"),
        Op::Ne => as_bool("a.x != b.x"),
        Op::Lt => as_bool(&format!("int_lt(a.x, b.x, {signed})")),
        Op::Le => as_bool(&format!("int_le(a.x, b.x, {signed})")),
        Op::Gt => as_bool(&format!("int_lt(b.x, a.x, {signed})")),
        Op::Ge => as_bool(&format!("int_le(b.x, a.x, {signed})")),
        Op::Neg => format!("vec2<u32>(int_neg(a.x, {p}), 0u)"),
        Op::Abs => format!("vec2<u32>(int_abs(a.x, {p}), 0u)"),
        Op::Sign => format!("vec2<u32>(int_sign(a.x, {signed}), 0u)"),
    }
}

/// The WGSL expression for `op` on u64 / i64 operands.
fn wgsl64(op: Op, signed: bool) -> String {
    let (i, s) = if signed { ("i64", "i64") } else { ("u64", "u64") };
    match op {
        Op::Add => "u64_add(a, b)".into(),
        Op::Sub => "u64_sub(a, b)".into(),
        Op::Mul => "u64_mul(a, b)".into(),
        Op::Div => format!("{i}_div(a, b)"),
        Op::Rem => format!("{i}_rem(a, b)"),
        Op::Shl => "u64_shl(a, b.x & 63u)".into(),
        Op::Shr if signed => "i64_shr(a, b.x)".into(),
        Op::Shr => "u64_shr(a, b.x & 63u)".into(),
        Op::Minimum => format!("{s}_minimum(a, b)"),
        Op::Maximum => format!("{s}_maximum(a, b)"),
        Op::Eq => as_bool("all(a == b)"),
        Op::Ne => as_bool("any(a != b)"),
        Op::Lt => as_bool(&format!("{s}_lt(a, b)")),
        Op::Le => as_bool(&format!("{s}_le(a, b)")),
        Op::Gt => as_bool(&format!("{s}_lt(b, a)")),
        Op::Ge => as_bool(&format!("{s}_le(b, a)")),
        Op::Neg => "u64_neg(a)".into(),
        Op::Abs if signed => "i64_abs(a)".into(),
        Op::Abs => "a".into(),
        Op::Sign => format!("{s}_sign(a)"),
    }
}

/// Rust's integer operations, through one trait so one generic oracle serves all eight dtypes.
trait Int: Copy + Ord {
    /// The low bits of v.
    fn from_bits(v: u64) -> Self;
    /// The value, sign- or zero-extended to 64 bits.
    fn to_bits(self) -> u64;
    fn zero() -> Self;
    fn one() -> Self;
    fn wadd(self, b: Self) -> Self;
    fn wsub(self, b: Self) -> Self;
    fn wmul(self, b: Self) -> Self;
    fn wdiv(self, b: Self) -> Self;
    fn wrem(self, b: Self) -> Self;
    fn wshl(self, n: u32) -> Self;
    fn wshr(self, n: u32) -> Self;
    fn wneg(self) -> Self;
    fn wabs(self) -> Self;
    fn sign(self) -> Self;
}

macro_rules! int_impl {
    ($t:ty, $abs:expr, $sign:expr) => {
        impl Int for $t {
            fn from_bits(v: u64) -> Self {
                v as $t
            }
            fn to_bits(self) -> u64 {
                self as i128 as u64
            }
            fn zero() -> Self {
                0
            }
            fn one() -> Self {
                1
            }
            fn wadd(self, b: Self) -> Self {
                self.wrapping_add(b)
            }
            fn wsub(self, b: Self) -> Self {
                self.wrapping_sub(b)
            }
            fn wmul(self, b: Self) -> Self {
                self.wrapping_mul(b)
            }
            fn wdiv(self, b: Self) -> Self {
                if b == 0 { 0 } else { self.wrapping_div(b) }
            }
            fn wrem(self, b: Self) -> Self {
                if b == 0 { 0 } else { self.wrapping_rem(b) }
            }
            fn wshl(self, n: u32) -> Self {
                self.wrapping_shl(n)
            }
            fn wshr(self, n: u32) -> Self {
                self.wrapping_shr(n)
            }
            fn wneg(self) -> Self {
                self.wrapping_neg()
            }
            fn wabs(self) -> Self {
                let f: fn($t) -> $t = $abs;
                f(self)
            }
            fn sign(self) -> Self {
                let f: fn($t) -> $t = $sign;
                f(self)
            }
        }
    };
}

int_impl!(u8, |x| x, |x| (x != 0) as u8);
int_impl!(i8, |x| x.wrapping_abs(), |x| x.signum());
int_impl!(u16, |x| x, |x| (x != 0) as u16);
int_impl!(i16, |x| x.wrapping_abs(), |x| x.signum());
int_impl!(u32, |x| x, |x| (x != 0) as u32);
int_impl!(i32, |x| x.wrapping_abs(), |x| x.signum());
int_impl!(u64, |x| x, |x| (x != 0) as u64);
int_impl!(i64, |x| x.wrapping_abs(), |x| x.signum());

/// The expected result of `op` on the raw operands a, b (low bits taken), sign- or zero-extended to 64 bits.
fn oracle<T: Int>(op: Op, a: u64, b: u64) -> u64 {
    let (x, y) = (T::from_bits(a), T::from_bits(b));
    let flag = |c: bool| if c { T::one() } else { T::zero() };
    let shift = b as u32; // Rust masks the count to the width, like the kernels
    let r = match op {
        Op::Add => x.wadd(y),
        Op::Sub => x.wsub(y),
        Op::Mul => x.wmul(y),
        Op::Div => x.wdiv(y),
        Op::Rem => x.wrem(y),
        Op::Shl => x.wshl(shift),
        Op::Shr => x.wshr(shift),
        Op::Minimum => x.min(y),
        Op::Maximum => x.max(y),
        Op::Eq => flag(x == y),
        Op::Ne => flag(x != y),
        Op::Lt => flag(x < y),
        Op::Le => flag(x <= y),
        Op::Gt => flag(x > y),
        Op::Ge => flag(x >= y),
        Op::Neg => x.wneg(),
        Op::Abs => x.wabs(),
        Op::Sign => x.sign(),
    };
    let bits = r.to_bits();
    if matches!(op, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge) { bits & 1 } else { bits }
}

fn oracle_for(op: Op, bits: u32, signed: bool, a: u64, b: u64) -> u64 {
    match (bits, signed) {
        (8, false) => oracle::<u8>(op, a, b),
        (8, true) => oracle::<i8>(op, a, b),
        (16, false) => oracle::<u16>(op, a, b),
        (16, true) => oracle::<i16>(op, a, b),
        (32, false) => oracle::<u32>(op, a, b),
        (32, true) => oracle::<i32>(op, a, b),
        (64, false) => oracle::<u64>(op, a, b),
        _ => oracle::<i64>(op, a, b),
    }
}

/// The canonical form of the low `bits` bits of v: sign- or zero-extended to 64 bits.
fn canonical(v: u64, bits: u32, signed: bool) -> u64 {
    if bits == 64 {
        return v;
    }
    let sh = 64 - bits;
    if signed { (((v << sh) as i64) >> sh) as u64 } else { (v << sh) >> sh }
}

/// How a 64-bit value travels: a canonical 8/16/32-bit value in `x` (`y` = 0), a 64-bit one in both words.
fn words(v: u64, bits: u32) -> [u32; 2] {
    if bits == 64 { [v as u32, (v >> 32) as u32] } else { [v as u32, 0] }
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Full-width bits, or a value of random length (so quotients of every size occur), or small signed values.
    fn operand(&mut self) -> u64 {
        let r = self.next();
        match self.next() % 4 {
            0 | 1 => r,
            2 => r >> (self.next() % 64),
            _ => ((r as i64) >> (self.next() % 64)) as u64,
        }
    }
}

/// Edge values: 0, ±1, ±2, MIN, MAX, MIN + 1, MAX - 1, powers of two at word edges and the shift counts of the brief.
fn edges(bits: u32) -> Vec<u64> {
    let min = 1u64 << (bits - 1);
    let mut v = vec![0, 1, 2, u64::MAX, u64::MAX - 1, min, min - 1, min + 1, min.wrapping_sub(2), 3, 7, 8, 15, 16];
    v.extend([31, 32, 33, 63, 64, 65, 200, 1 << 31, (1 << 31) - 1, 1 << 32, (1 << 32) - 1, (1 << 32) + 1]);
    v.extend([1 << 63, (1 << 63) - 1, 0xdead_beef_0000_0001, 10, 1000, u64::MAX / 3]);
    // Divisors and dividends that stress the digit estimates of 64-bit division.
    v.extend([0x8000_0000_ffff_ffff, 0x8000_8000_0000_0001, 0xffff_0000_0000_0000, 0x0000_ffff_ffff_ffff]);
    v.extend([0x7fff_ffff_8000_0000, 0x0000_0001_0000_0001, 0xffff_ffff_0000_0000, 0x0000_8000_0000_ffff]);
    v
}

/// Operand pairs: all 65 536 for 8 bits; otherwise every edge value against every edge value, then random pairs.
fn pairs(bits: u32, random: usize, seed: u64) -> Vec<(u64, u64)> {
    if bits == 8 {
        return (0..1u64 << 16).map(|i| (i >> 8, i & 0xff)).collect();
    }
    let e = edges(bits);
    let mut out: Vec<(u64, u64)> = e.iter().flat_map(|&a| e.iter().map(move |&b| (a, b))).collect();
    let mut rng = SplitMix(seed);
    for _ in 0..random {
        let a = rng.operand();
        // A quarter of the divisors are a / 2^k nudged by -2..=2, so quotients sit at digit boundaries where the
        // estimated quotient digits of the 64-bit division need their corrections.
        let b = if rng.next().is_multiple_of(4) {
            (a >> (rng.next() % 64)).wrapping_add(rng.next() % 5).wrapping_sub(2)
        } else {
            rng.operand()
        };
        out.push((a, b));
    }
    out
}

/// Runs every op at (bits, signed) on `device` and compares each result with the oracle.
fn check(device: &Device, bits: u32, signed: bool, random: usize, seed: u64) {
    let p: Vec<(u64, u64)> = pairs(bits, random, seed * 1000 + u64::from(bits) * 2 + u64::from(signed))
        .into_iter()
        .map(|(a, b)| (canonical(a, bits, signed), canonical(b, bits, signed)))
        .collect();
    let a: Vec<[u32; 2]> = p.iter().map(|&(a, _)| words(a, bits)).collect();
    let b: Vec<[u32; 2]> = p.iter().map(|&(_, b)| words(b, bits)).collect();
    let exprs: Vec<String> =
        OPS.iter().map(|&op| if bits == 64 { wgsl64(op, signed) } else { wgsl32(op, bits, signed) }).collect();
    let refs: Vec<&str> = exprs.iter().map(String::as_str).collect();
    let libs = [U64_LIB, INT_LIB, INT64_LIB].join("\n");
    let outs = wgsl_harness::run_many_on(device, &libs, &refs, &a, &b, &[]);
    for (k, &op) in OPS.iter().enumerate() {
        for (i, &(x, y)) in p.iter().enumerate() {
            let want = oracle_for(op, bits, signed, x, y);
            let want = if bits == 64 || matches!(op, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge) {
                want
            } else {
                want & 0xffff_ffff
            };
            let got = words(want, bits);
            assert_eq!(
                outs[k][i], got,
                "{op:?} bits {bits} signed {signed}: a = {x:#x}, b = {y:#x}: got {:#x?}, want {want:#x} ({})",
                outs[k][i], exprs[k]
            );
        }
    }
}

fn check_all_widths(device: &Device, random: usize) {
    for bits in [8, 16, 32, 64] {
        for signed in [false, true] {
            check(device, bits, signed, random, 0);
        }
    }
}

#[test]
fn integer_ops_match_rust_on_the_default_device() {
    check_all_widths(wgsl_harness::device(), RANDOM_PAIRS);
}

#[test]
fn integer_ops_match_rust_on_the_portable_device() {
    check_all_widths(wgsl_harness::portable(), RANDOM_PAIRS);
}

#[test]
fn integer_ops_match_rust_on_gl() {
    check_all_widths(wgsl_harness::gl(), RANDOM_PAIRS);
}

/// More random pairs at 16, 32 and 64 bits on the default device: `WGSL_SOAK_ROUNDS` (default 20) rounds of 10^6
/// fresh pairs per width and signedness. Run with `--ignored`.
#[test]
#[ignore]
fn integer_ops_soak() {
    let rounds: u64 = std::env::var("WGSL_SOAK_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    for round in 1..=rounds {
        for bits in [16, 32, 64] {
            for signed in [false, true] {
                check(wgsl_harness::device(), bits, signed, RANDOM_PAIRS, round);
            }
        }
    }
}

/// The 128-bit product used by f64 multiplication, against u128.
#[test]
fn u64_mul_full_matches_u128() {
    let mut rng = SplitMix(99);
    let mut v: Vec<(u64, u64)> = edges(64).iter().flat_map(|&a| edges(64).into_iter().map(move |b| (a, b))).collect();
    v.extend((0..200_000).map(|_| (rng.operand(), rng.operand())));
    let a: Vec<[u32; 2]> = v.iter().map(|&(a, _)| words(a, 64)).collect();
    let b: Vec<[u32; 2]> = v.iter().map(|&(_, b)| words(b, 64)).collect();
    let outs = wgsl_harness::run_many_on(
        wgsl_harness::device(),
        U64_LIB,
        &["u64_mul_full(a, b).xy", "u64_mul_full(a, b).zw", "u64_mul_wide(a.x, b.x)"],
        &a,
        &b,
        &[],
    );
    for (i, &(x, y)) in v.iter().enumerate() {
        let p = u128::from(x) * u128::from(y);
        assert_eq!(outs[0][i], words(p as u64, 64), "{x:#x} * {y:#x} low");
        assert_eq!(outs[1][i], words((p >> 64) as u64, 64), "{x:#x} * {y:#x} high");
        assert_eq!(outs[2][i], words(u64::from(x as u32) * u64::from(y as u32), 64), "{x:#x} * {y:#x} (u32)");
    }
}

/// Every WGSL routine and struct in `shaders/lib/` is defined exactly once across all the libraries (one home per
/// routine), so any set of them concatenates into one module.
#[test]
fn every_lib_routine_has_one_home() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/lib");
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).expect("shaders/lib") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "wgsl") {
            all += &std::fs::read_to_string(&path).expect("read");
            all += "\n";
        }
    }
    let names: Vec<&str> = all
        .lines()
        .filter_map(|l| l.strip_prefix("fn ").or_else(|| l.strip_prefix("struct ")))
        .map(|l| l.split(['(', ' ', '{']).next().unwrap_or_default())
        .collect();
    assert!(names.contains(&"int_div") && names.contains(&"F64Digit"), "the libraries were not read");
    for name in &names {
        let defs = names.iter().filter(|n| *n == name).count();
        assert_eq!(defs, 1, "{name} is defined {defs} times in shaders/lib");
    }
}

/// Prints the cost of the 64-bit routines on the default device: ns per element (best of 7 interleaved rounds) over
/// 2^20 operand pairs (the copy `a` is the harness's floor). Speed is never asserted; run with `--ignored --nocapture`.
#[test]
#[ignore]
fn int64_routine_costs() {
    let mut rng = SplitMix(5);
    let n = 1 << 20;
    let (a, b): (Vec<[u32; 2]>, Vec<[u32; 2]>) =
        (0..n).map(|_| (words(rng.next(), 64), words(rng.operand(), 64))).unzip();
    let libs = [U64_LIB, INT_LIB, INT64_LIB].join("\n");
    let exprs =
        ["a", "u64_add(a, b)", "u64_mul(a, b)", "u64_div(a, b)", "i64_div(a, b)", "i64_rem(a, b)", "i64_shr(a, b.x)"];
    wgsl_harness::print_costs(wgsl_harness::device(), &libs, &exprs, &a, &b, 7);
}

/// Each new library validates with exactly the dependencies its header names (naga's WGSL front end and validator,
/// no device), so a kernel that composes it from that list compiles.
#[test]
fn each_lib_validates_with_its_stated_dependencies() {
    use wgpu::naga;
    let lib = |name: &str| {
        std::fs::read_to_string(format!("{}/shaders/lib/{name}.wgsl", env!("CARGO_MANIFEST_DIR"))).expect("lib")
    };
    let mark_lossy = "fn mark_lossy(c: bool) {}".to_string();
    let f64_base = ["u64", "round_pack", "convert", "f64_arith"];
    let cases: [(&str, Vec<&str>); 6] = [
        ("int", vec![]),
        ("u64", vec![]),
        ("int64", vec!["u64"]),
        ("f64_arith", vec!["u64", "round_pack", "convert"]),
        ("f64_order", f64_base.to_vec()),
        ("f64_round", f64_base.to_vec()),
    ];
    for (name, deps) in cases {
        let mut parts: Vec<String> = deps.iter().map(|d| lib(d)).collect();
        if deps.contains(&"round_pack") {
            parts.push(mark_lossy.clone());
        }
        if !deps.contains(&name) {
            parts.push(lib(name));
        }
        let source = parts.join("\n");
        let module =
            naga::front::wgsl::parse_str(&source).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(&source)));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
}
