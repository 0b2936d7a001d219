//! Tests of the host oracle itself: against Rust `as`, against `half`'s single-rounded f32 → f16/bf16, and against a
//! brute-force nearest-representable search for what Rust lacks.

use half::{bf16, f16};
use rand::{Rng, SeedableRng, rngs::StdRng};

use super::*;

const INTS: [DType; 8] = [DType::U8, DType::I8, DType::U16, DType::I16, DType::U32, DType::I32, DType::U64, DType::I64];

/// Rust `as` between the pairs Rust has, on bits. `None` where Rust has no such cast.
fn rust_as(from: DType, to: DType, bits: u64) -> Option<u64> {
    macro_rules! from_val {
        ($x:expr) => {{
            let x = $x;
            Some(match to {
                DType::U8 => x as u8 as u64,
                DType::I8 => x as i8 as u8 as u64,
                DType::U16 => x as u16 as u64,
                DType::I16 => x as i16 as u16 as u64,
                DType::U32 => x as u32 as u64,
                DType::I32 => x as i32 as u32 as u64,
                DType::U64 => x as u64,
                DType::I64 => x as i64 as u64,
                DType::F32 => (x as f32).to_bits() as u64,
                DType::F64 => (x as f64).to_bits(),
                _ => return None,
            })
        }};
    }
    match from {
        DType::U8 => from_val!(bits as u8),
        DType::I8 => from_val!(bits as u8 as i8),
        DType::U16 => from_val!(bits as u16),
        DType::I16 => from_val!(bits as u16 as i16),
        DType::U32 => from_val!(bits as u32),
        DType::I32 => from_val!(bits as u32 as i32),
        DType::U64 => from_val!(bits),
        DType::I64 => from_val!(bits as i64),
        DType::F32 => from_val!(f32::from_bits(bits as u32)),
        DType::F64 => from_val!(f64::from_bits(bits)),
        // f16/bf16 -> f32 is exact in half, so `as` from the f32 is Rust's single rounding.
        DType::F16 => rust_as(DType::F32, to, f16::from_bits(bits as u16).to_f32().to_bits() as u64),
        DType::BF16 => rust_as(DType::F32, to, bf16::from_bits(bits as u16).to_f32().to_bits() as u64),
        DType::Bool => None,
    }
}

fn random_bits(rng: &mut StdRng, dtype: DType) -> u64 {
    let n = dtype.size_in_bits() as u32;
    let x: u64 = rng.random();
    // Half the time a random shift, so every magnitude is covered.
    let x = if rng.random::<bool>() { x >> rng.random_range(0..64) } else { x };
    let x = if rng.random::<bool>() && dtype.is_signed() { x.wrapping_neg() } else { x };
    x & low_mask(n)
}

fn edge_bits(dtype: DType) -> Vec<u64> {
    let n = dtype.size_in_bits() as u32;
    let mut v: Vec<u64> = vec![0, 1, 2, 3, u64::MAX, u64::MAX - 1, 1 << 63, (1 << 63) - 1, (1 << 63) + 1];
    for k in [7u32, 8, 10, 11, 15, 16, 23, 24, 25, 31, 32, 52, 53, 54, 63] {
        for d in [-2i64, -1, 0, 1, 2] {
            let x = (1u64 << k).wrapping_add(d as u64);
            v.extend([x, x.wrapping_neg()]);
        }
    }
    if let Some(f) = Fmt::of(dtype) {
        for m in [0, 1, 2, f.man_mask(), f.man_mask() - 1, 1 << (f.man_bits - 1), (1 << (f.man_bits - 1)) + 1] {
            for e in [0, 1, 2, f.exp_max() - 1, f.exp_max(), f.bias() as u64, f.bias() as u64 + 1] {
                let x = (e << f.man_bits) | m;
                v.extend([x, x | f.sign_bit()]);
            }
        }
    }
    v.iter().map(|x| x & low_mask(n)).collect()
}

fn check_against_rust(from: DType, to: DType, bits: u64) {
    if let Some(want) = rust_as(from, to, bits) {
        let got = cast_bits(from, to, CastPolicy::Wrap, bits);
        assert_eq!(got, want, "{from} -> {to} of {bits:#x}: oracle {got:#x}, Rust as {want:#x}");
    }
}

#[test]
fn equals_rust_as_everywhere_rust_has_the_pair() {
    let mut rng = StdRng::seed_from_u64(1);
    let targets = [INTS.as_slice(), &[DType::F32, DType::F64]].concat();
    for from in DType::ALL {
        for &to in &targets {
            if from == to {
                continue;
            }
            for b in edge_bits(from) {
                check_against_rust(from, to, b);
            }
            for _ in 0..20_000 {
                check_against_rust(from, to, random_bits(&mut rng, from));
            }
        }
    }
}

#[test]
fn equals_half_single_rounded_f32_to_f16_and_bf16() {
    let mut rng = StdRng::seed_from_u64(2);
    let check = |b: u32| {
        let x = f32::from_bits(b);
        assert_eq!(cast_bits(DType::F32, DType::F16, CastPolicy::Wrap, b as u64), f16::from_f32(x).to_bits() as u64);
        assert_eq!(cast_bits(DType::F32, DType::BF16, CastPolicy::Wrap, b as u64), bf16::from_f32(x).to_bits() as u64);
    };
    for b in edge_bits(DType::F32) {
        check(b as u32);
    }
    for _ in 0..1_000_000 {
        check(rng.random());
    }
    // Every f16 and bf16 widens exactly, NaNs included (quiet bit set, payload kept).
    for b in 0..=u16::MAX {
        let h = cast_bits(DType::F16, DType::F32, CastPolicy::Wrap, b as u64) as u32;
        let want = f16::from_bits(b).to_f32().to_bits();
        assert_eq!(h, want, "f16 {b:#x}");
        let g = cast_bits(DType::BF16, DType::F32, CastPolicy::Wrap, b as u64) as u32;
        let bf = bf16::from_bits(b);
        if bf.is_nan() {
            assert_eq!(g, bf.to_f32().to_bits() | 0x0040_0000, "bf16 {b:#x}");
        } else {
            assert_eq!(g, bf.to_f32().to_bits(), "bf16 {b:#x}");
        }
    }
}

/// All finite non-negative values of a 16-bit format in bit order, then the overflow "value" 2^(bias+1) as inf.
fn table(to: DType) -> Vec<f64> {
    let f = Fmt::of(to).unwrap();
    let mut t: Vec<f64> = (0..f.inf())
        .map(|b| match to {
            DType::F16 => f16::from_bits(b as u16).to_f64(),
            _ => bf16::from_bits(b as u16).to_f64(),
        })
        .collect();
    t.push(2f64.powi(f.bias() + 1));
    t
}

/// Brute-force nearest (ties to even bits) of a non-negative exact value, given as an f64 comparator.
fn nearest(t: &[f64], less_than: impl Fn(f64) -> bool, equal: impl Fn(f64) -> bool) -> u64 {
    // The first index whose value is > x.
    let hi = t.partition_point(|&v| less_than(v) || equal(v));
    if hi == 0 {
        return 0;
    }
    let lo = hi - 1;
    if equal(t[lo]) || hi == t.len() {
        return lo.min(t.len() - 1) as u64;
    }
    let mid = (t[lo] + t[hi]) / 2.0; // exact: one bit more than the 16-bit format
    if less_than(mid) {
        hi as u64
    } else if equal(mid) {
        if lo % 2 == 0 { lo as u64 } else { hi as u64 }
    } else {
        lo as u64
    }
}

#[test]
fn f64_and_i64_to_16_bit_floats_are_nearest_representable() {
    let mut rng = StdRng::seed_from_u64(3);
    for to in [DType::F16, DType::BF16] {
        let t = table(to);
        let f = Fmt::of(to).unwrap();
        let mut inputs: Vec<f64> = Vec::new();
        for _ in 0..200_000 {
            // Exponents around the target's whole range, random 52-bit mantissas.
            let e = rng.random_range(-f.bias() - f.man_bits as i32 - 4..f.bias() + 3);
            inputs.push(f64::from_bits(rng.random::<u64>() >> 12 | ((e + 1023) as u64) << 52));
        }
        for w in t.windows(2).step_by(7) {
            let mid = (w[0] + w[1]) / 2.0;
            inputs.extend([mid, mid.next_up(), mid.next_down(), w[0], w[0].next_up()]);
        }
        for x in inputs {
            let want = nearest(&t, |v| v < x.abs(), |v| v == x.abs());
            let sign = if x.is_sign_negative() { f.sign_bit() } else { 0 };
            let got = cast_bits(DType::F64, to, CastPolicy::Wrap, (-x).to_bits());
            assert_eq!(got, want | (sign ^ f.sign_bit()), "f64 {x:e} -> {to}");
            assert_eq!(cast_bits(DType::F64, to, CastPolicy::Wrap, x.to_bits()), want | sign, "f64 {x:e} -> {to}");
        }
        // Integers: the exact comparison is done on u128, over the representable integers (an integer that is
        // not representable lies between two representable integers).
        let ints: Vec<(u128, u64)> =
            t.iter().enumerate().filter(|(_, v)| v.fract() == 0.0).map(|(b, &v)| (v as u128, b as u64)).collect();
        for k in 0..200_000 {
            let x: u64 = if k < 64 { 1u64 << k | 1 } else { rng.random::<u64>() >> rng.random_range(0..64) };
            let want = {
                let x = x as u128;
                let hi = ints.partition_point(|&(v, _)| v <= x);
                let (a, lo_bits) = ints[hi - 1];
                if a == x || hi == ints.len() {
                    lo_bits
                } else {
                    let (b, hi_bits) = ints[hi];
                    match (2 * x).cmp(&(a + b)) {
                        std::cmp::Ordering::Less => lo_bits,
                        std::cmp::Ordering::Greater => hi_bits,
                        std::cmp::Ordering::Equal => {
                            if lo_bits % 2 == 0 {
                                lo_bits
                            } else {
                                hi_bits
                            }
                        }
                    }
                }
            };
            assert_eq!(cast_bits(DType::U64, to, CastPolicy::Wrap, x), want, "u64 {x} -> {to}");
            if x <= i64::MAX as u64 {
                let neg = (x as i64).wrapping_neg() as u64;
                let want_neg = if x == 0 { 0 } else { want | f.sign_bit() };
                assert_eq!(cast_bits(DType::I64, to, CastPolicy::Wrap, neg), want_neg, "i64 -{x} -> {to}");
            }
        }
    }
}

#[test]
fn no_double_rounding() {
    // f64 -> f16 through f32 rounds twice: 1 + 2^-11 + 2^-40 is just above the f16 tie, so it rounds up.
    let x = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
    assert_eq!(cast_bits(DType::F64, DType::F16, CastPolicy::Wrap, x.to_bits()), 0x3c01);
    assert_eq!(f16::from_f32(x as f32).to_bits(), 0x3c00, "the double-rounded answer differs");
    // i64 -> f32 through f64: 2^62 + 2^38 + 1 is above the f32 tie only by the last bit.
    let i = (1i64 << 62) + (1 << 38) + 1;
    assert_eq!(f32::from_bits(cast_bits(DType::I64, DType::F32, CastPolicy::Wrap, i as u64) as u32), i as f32);
    assert_ne!(i as f32, i as f64 as f32);
    // Overflow and the f16 boundary.
    let f16_of = |x: f64| cast_bits(DType::F64, DType::F16, CastPolicy::Wrap, x.to_bits());
    assert_eq!(f16_of(65504.0), 0x7bff);
    assert_eq!(f16_of(65519.99), 0x7bff);
    assert_eq!(f16_of(65520.0), 0x7c00);
    assert_eq!(cast_bits(DType::U64, DType::F16, CastPolicy::Wrap, u64::MAX), 0x7c00);
    assert_eq!(f16_of(2f64.powi(-25)), 0, "the tie with the smallest subnormal rounds to even 0");
    assert_eq!(f16_of(2f64.powi(-25).next_up()), 1);
    assert_eq!(f16_of(-0.0), 0x8000);
}

#[test]
fn nan_bool_policy_and_lossy_rules() {
    let nan_payload = f64::from_bits(0x7ff0_0000_dead_beef | 1 << 51);
    assert_eq!(
        cast_bits(DType::F64, DType::F32, CastPolicy::Wrap, nan_payload.to_bits()),
        (std::hint::black_box(nan_payload) as f32).to_bits() as u64
    );
    let snan16 = 0xfc01u64; // negative signalling NaN
    assert_eq!(cast_bits(DType::F16, DType::F32, CastPolicy::Wrap, snan16), 0xffc0_2000);
    assert_eq!(cast_bits(DType::F16, DType::BF16, CastPolicy::Wrap, snan16), 0xffc0);
    assert_eq!(cast_bits(DType::F16, DType::F16, CastPolicy::Wrap, snan16), snan16, "same dtype is a copy");
    for from in DType::ALL.into_iter().filter(|&d| d != DType::Bool) {
        for b in edge_bits(from) {
            let v = decode(from, b);
            assert_eq!(cast_bits(from, DType::Bool, CastPolicy::Wrap, b), u64::from(is_nonzero(v)));
        }
    }
    assert_eq!(cast_bits(DType::F32, DType::Bool, CastPolicy::Wrap, (-0.0f32).to_bits() as u64), 0);
    assert_eq!(cast_bits(DType::F32, DType::Bool, CastPolicy::Wrap, f32::NAN.to_bits() as u64), 1);
    assert_eq!(cast_bits(DType::Bool, DType::F64, CastPolicy::Wrap, 1), 1f64.to_bits());
    assert_eq!(cast_bits(DType::I16, DType::U8, CastPolicy::Saturate, 300), 255);
    assert_eq!(cast_bits(DType::I16, DType::I8, CastPolicy::Saturate, (-300i16) as u16 as u64), 0x80);
    assert_eq!(cast_bits(DType::U64, DType::I64, CastPolicy::Saturate, u64::MAX), i64::MAX as u64);
    assert_eq!(cast_bits(DType::I64, DType::U32, CastPolicy::Saturate, (-5i64) as u64), 0);
    let lossy = |f, t, b: u64| cast_is_lossy(f, t, b);
    assert!(!lossy(DType::F32, DType::I32, (-0.0f32).to_bits() as u64));
    assert!(lossy(DType::F32, DType::I32, 0.5f32.to_bits() as u64));
    assert!(!lossy(DType::F32, DType::F16, f32::NAN.to_bits() as u64));
    assert!(!lossy(DType::F32, DType::F16, f32::INFINITY.to_bits() as u64));
    assert!(lossy(DType::F32, DType::F16, 65520f32.to_bits() as u64));
    assert!(!lossy(DType::F32, DType::Bool, 1f32.to_bits() as u64));
    assert!(lossy(DType::F32, DType::Bool, 2f32.to_bits() as u64));
    assert!(lossy(DType::F32, DType::Bool, (-1f32).to_bits() as u64));
    assert!(lossy(DType::I8, DType::U8, 0xff));
    assert!(!lossy(DType::I8, DType::U8, 0x7f));
    assert!(!lossy(DType::Bool, DType::I8, 1));
    assert!(lossy(DType::I64, DType::F64, (1u64 << 53) + 1));
    assert!(!lossy(DType::I64, DType::F64, 1u64 << 60));
}

#[test]
fn array_cast_matches_elementwise() {
    let a = Array::from(vec![1.5f64, -2.5, f64::NAN, 1e300, -0.0]);
    assert_eq!(a.cast(DType::I8).unwrap().to_vec::<i8>().unwrap(), [1, -2, 0, 127, 0]);
    assert_eq!(a.count_lossy(DType::I8), 4);
    let b = a.cast(DType::F16).unwrap().to_vec::<f16>().unwrap();
    assert_eq!(b[0], f16::from_f32(1.5));
    assert!(b[2].is_nan() && b[3].is_infinite());
    assert_eq!(Array::zeros(DType::U8, [0]).unwrap().cast(DType::F64).unwrap().len(), 0);
}
