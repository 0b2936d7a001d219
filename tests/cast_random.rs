//! 32- and 64-bit sources (u32, i32, u64, i64, f32, f64): edge cases and 1 000 000 random bit patterns per source
//! dtype, spread over all magnitudes, cast on the device to all 13 targets and compared bit for bit with the oracle.

mod cast_common;

use cast_common::*;
use rand::{Rng, SeedableRng, rngs::StdRng};
use wgpu_tensor::{CastPolicy, DType};

const RANDOM_PER_SOURCE: usize = 1_000_000;

/// Edge cases of `dtype` as zero-extended bits: 0, ±1, MIN, MAX, 2^k ± 1 around every precision boundary, ties at
/// every target precision, subnormals, ±inf, signalling and quiet NaNs with payloads.
fn edges(dtype: DType) -> Vec<u64> {
    let mut v: Vec<u64> = vec![0, 1, 2, 3, u64::MAX, u64::MAX - 1, 1 << 63, (1 << 63) - 1, (1 << 63) + 1];
    for k in 1..64u32 {
        for d in [-2i64, -1, 0, 1, 2] {
            let x = (1u64 << k).wrapping_add(d as u64);
            v.extend([x, x.wrapping_neg()]);
        }
        // Ties and near-ties for every target precision p (11 for f16, 8 for bf16, 24 for f32, 53 for f64).
        for p in [8u32, 11, 24, 53] {
            if k > p {
                let tie = (1u64 << k) | (1u64 << (k - p - 1));
                for x in [tie, tie + 1, tie - 1, tie | (1 << (k - p)), (tie | (1 << (k - p))) + 1] {
                    v.extend([x, x.wrapping_neg()]);
                }
            }
        }
    }
    let mut floats: Vec<f64> = vec![
        0.0,
        1.0,
        0.5,
        1.5,
        2.5,
        65504.0,
        65519.0,
        65520.0,
        65536.0,
        0.1,
        1e10,
        -1e10,
        1e300,
        1e-300,
        f64::MIN_POSITIVE,
        5e-324,
        f64::MAX,
        f64::INFINITY,
        f64::NAN,
        2f64.powi(-24),
        2f64.powi(-25),
        3.0 * 2f64.powi(-26),
        2f64.powi(-14),
        2f64.powi(-126),
        2f64.powi(-133),
        2f64.powi(-134),
        2f64.powi(-149),
        2f64.powi(-150),
        f32::MAX as f64,
        3.4028235677973366e38,
        2f64.powi(63),
        2f64.powi(64),
        2f64.powi(31),
        2147483647.5,
        4294967295.5,
        4294967296.0,
        9.223372036854775e18,
        255.5,
        127.9,
        -128.9,
        32767.5,
    ];
    floats.extend(floats.clone().iter().map(|x| -x));
    let (man_bits, exp_bits) = match dtype {
        DType::F32 => (23u32, 8u32),
        _ => (52, 11),
    };
    match dtype {
        DType::F32 => {
            v.extend(floats.iter().map(|&x| (x as f32).to_bits() as u64));
            v.extend(floats.iter().map(|&x| (x as f32).next_up().to_bits() as u64));
        }
        DType::F64 => {
            v.extend(floats.iter().map(|&x| x.to_bits()));
            v.extend(floats.iter().map(|&x| x.next_up().to_bits()));
            v.extend(floats.iter().map(|&x| x.next_down().to_bits()));
        }
        _ => {}
    }
    if dtype.is_float() {
        let exp_max = (1u64 << exp_bits) - 1;
        let sign = 1u64 << (man_bits + exp_bits);
        for m in [
            1u64,
            2,
            1 << (man_bits - 1),
            (1 << (man_bits - 1)) | 1,
            (1 << man_bits) - 1,
            0xdead_beef_1234 & ((1 << man_bits) - 1),
        ] {
            let nan = (exp_max << man_bits) | m; // signalling unless m has the top bit
            v.extend([nan, nan | sign]);
        }
        for e in [0u64, 1, 2, exp_max - 1] {
            for m in [0u64, 1, (1 << man_bits) - 1, 1 << (man_bits - 1)] {
                let x = (e << man_bits) | m;
                v.extend([x, x | sign]);
            }
        }
    }
    let mask = if dtype.size_in_bits() == 64 { u64::MAX } else { (1u64 << dtype.size_in_bits()) - 1 };
    v.iter().map(|x| x & mask).collect()
}

/// Random bit patterns over all magnitudes: for integers, a random u64 shifted right by a random amount (and
/// negated half the time); for floats, random sign/exponent/mantissa with the exponent uniform over its range.
/// A quarter of them are then made exact ties (or a unit away from one) at a random target precision, where
/// rounding is hardest.
fn random(dtype: DType, rng: &mut StdRng, n: usize) -> Vec<u64> {
    (0..n)
        .map(|_| {
            let x: u64 = rng.random();
            let x = match dtype {
                DType::F32 => {
                    let e = rng.random_range(0..256u64);
                    ((x as u32 as u64) & !(0xff << 23)) | (e << 23)
                }
                DType::F64 => {
                    let e = rng.random_range(0..2048u64);
                    (x & !(0x7ff << 52)) | (e << 52)
                }
                _ => {
                    let y = x >> rng.random_range(0..64);
                    let y = if rng.random::<bool>() { y.wrapping_neg() } else { y };
                    if dtype.size_in_bits() == 32 { y & 0xffff_ffff } else { y }
                }
            };
            if rng.random_range(0..4) == 0 { near_tie(dtype, x, rng) } else { x }
        })
        .collect()
}

/// `x` with the bits below a random target precision replaced by a tie pattern 10…0 (or 10…01, 01…1).
fn near_tie(dtype: DType, x: u64, rng: &mut StdRng) -> u64 {
    // Significand bits of the targets (f16 11, bf16 8, f32 24, f64 53) and the source's own width.
    let p = [8u32, 11, 24, 53][rng.random_range(0..4)];
    let drop = match dtype {
        DType::F32 => 24u32.saturating_sub(p),
        DType::F64 => 53u32.saturating_sub(p),
        _ => {
            // Below the p-th significant bit of the magnitude.
            let signed = dtype.is_signed() && (x >> (dtype.size_in_bits() - 1)) & 1 == 1;
            let mag = if signed { x.wrapping_neg() & mask(dtype) } else { x };
            (64 - mag.leading_zeros()).saturating_sub(p)
        }
    };
    if drop == 0 || drop >= 64 {
        return x;
    }
    let tie = 1u64 << (drop - 1);
    let low = [tie, tie + 1, tie - 1][rng.random_range(0..3)];
    let signed_neg = dtype.is_int() && dtype.is_signed() && (x >> (dtype.size_in_bits() - 1)) & 1 == 1;
    if signed_neg {
        // Build the tie on the magnitude, then negate back.
        let mag = x.wrapping_neg() & mask(dtype);
        (((mag >> drop) << drop) | low).wrapping_neg() & mask(dtype)
    } else {
        (((x >> drop) << drop) | low) & mask(dtype)
    }
}

fn mask(dtype: DType) -> u64 {
    if dtype.size_in_bits() == 64 { u64::MAX } else { (1u64 << dtype.size_in_bits()) - 1 }
}

fn wide(from: DType, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut bits = edges(from);
    bits.extend(random(from, &mut rng, RANDOM_PER_SOURCE));
    let src = from_bits(from, &bits);
    check_every_target(&src);
    // The edge cases on the GL backend too, when there is one.
    if let Some(gl) = gl_device() {
        let edge_src = from_bits(from, &edges(from));
        for to in DType::ALL {
            check_cast("GL", gl, &edge_src, to, CastPolicy::Wrap);
        }
    }
}

#[test]
fn random_and_edges_u32() {
    wide(DType::U32, 11);
}
#[test]
fn random_and_edges_i32() {
    wide(DType::I32, 12);
}
#[test]
fn random_and_edges_u64() {
    wide(DType::U64, 13);
}
#[test]
fn random_and_edges_i64() {
    wide(DType::I64, 14);
}
#[test]
fn random_and_edges_f32() {
    wide(DType::F32, 15);
}
#[test]
fn random_and_edges_f64() {
    wide(DType::F64, 16);
}
