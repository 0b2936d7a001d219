//! Tests of the exact sum against a host oracle written independently of the kernel: the exact sum as a big
//! integer (positive and negative parts in 32-bit limbs, subtracted at the end), rounded by comparing the dropped
//! bits with half an ULP; results compared bit for bit. Cancellation, random magnitudes over the whole exponent
//! range, subnormals, ties, specials, overflow, empty dims, keepdim, transposed views, f16/bf16, determinism, the
//! portable and GL paths, and a tensor past one storage binding.

use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::{Array, DType, Device, DeviceOptions, DeviceTensor, Error};

fn device() -> &'static Device {
    static DEVICE: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
    DEVICE.get_or_init(|| Device::new().expect("an adapter (install mesa-vulkan-drivers for lavapipe)"))
}

/// A float format: significand bits (hidden bit included), minimum normal exponent, maximum finite exponent.
#[derive(Clone, Copy)]
struct Format {
    p: i32,
    emin: i32,
    emax: i32,
}

fn format(dtype: DType) -> Format {
    match dtype {
        DType::F16 => Format { p: 11, emin: -14, emax: 15 },
        DType::BF16 => Format { p: 8, emin: -126, emax: 127 },
        _ => Format { p: 24, emin: -126, emax: 127 },
    }
}

/// An unsigned big integer in 32-bit limbs (little-endian), each held in a u64 until `carry`.
#[derive(Clone)]
struct Big(Vec<u64>);

impl Big {
    fn new() -> Big {
        Big(vec![0; 12])
    }

    /// Adds `m · 2^s`.
    fn add(&mut self, m: u64, s: u32) {
        let (k, b) = ((s / 32) as usize, s % 32);
        let v = u128::from(m) << b;
        self.0[k] += (v & 0xffff_ffff) as u64;
        self.0[k + 1] += ((v >> 32) & 0xffff_ffff) as u64;
        self.0[k + 2] += (v >> 64) as u64;
    }

    fn carry(&mut self) {
        for k in 0..self.0.len() - 1 {
            let c = self.0[k] >> 32;
            self.0[k] &= 0xffff_ffff;
            self.0[k + 1] += c;
        }
    }

    fn bit(&self, i: i64) -> bool {
        i >= 0 && (self.0[(i / 32) as usize] >> (i % 32)) & 1 == 1
    }

    fn top(&self) -> Option<i64> {
        (0..self.0.len() as i64 * 32).rev().find(|&i| self.bit(i))
    }
}

/// `a - b` for carried `a >= b`.
fn sub(a: &Big, b: &Big) -> Big {
    let mut out = Big::new();
    let mut borrow = 0i64;
    for k in 0..a.0.len() {
        let mut d = a.0[k] as i64 - b.0[k] as i64 - borrow;
        borrow = i64::from(d < 0);
        if d < 0 {
            d += 1 << 32;
        }
        out.0[k] = d as u64;
    }
    out
}

fn cmp(a: &Big, b: &Big) -> std::cmp::Ordering {
    a.0.iter().rev().cmp(b.0.iter().rev())
}

/// Decodes a finite float of `dtype` from its bits into (negative, m, s) with value m · 2^(s − 149).
fn decode(dtype: DType, bits: u32) -> Option<(bool, u64, u32)> {
    let x: f64 = match dtype {
        DType::F16 => half::f16::from_bits(bits as u16).to_f64(),
        DType::BF16 => half::bf16::from_bits(bits as u16).to_f64(),
        _ => f64::from(f32::from_bits(bits)),
    };
    if !x.is_finite() {
        return None;
    }
    // Every f32/f16/bf16 value is an integer multiple of 2^-149 below 2^128: scale it exactly (f64 holds it).
    let a = x.abs();
    if a == 0.0 {
        return Some((x.is_sign_negative(), 0, 0));
    }
    let e = a.log2().floor() as i32; // a in [2^e, 2^(e+1)) up to rounding of log2: fix below
    let mut s = (e - 40 + 149).max(0);
    while a / 2f64.powi(s - 149) >= 2f64.powi(53) {
        s += 1;
    }
    let m = a / 2f64.powi(s - 149);
    assert_eq!(m.fract(), 0.0, "{x} is not a multiple of 2^{}", s - 149);
    Some((x.is_sign_negative(), m as u64, s as u32))
}

/// The bits of the sum of `terms` (bits of `dtype`) correctly rounded to `dtype`, with the specials of `sum_exact`.
fn oracle(dtype: DType, terms: &[u32]) -> u32 {
    let (sign, nan, inf) = match dtype {
        DType::F32 => (0x8000_0000u32, 0x7fc0_0000u32, 0x7f80_0000u32),
        DType::F16 => (0x8000, 0x7e00, 0x7c00),
        _ => (0x8000, 0x7fc0, 0x7f80),
    };
    let (mut pinf, mut ninf, mut all_neg_zero) = (false, false, !terms.is_empty());
    let (mut pos, mut neg) = (Big::new(), Big::new());
    for &t in terms {
        match decode(dtype, t) {
            None => {
                let f = match dtype {
                    DType::F16 => half::f16::from_bits(t as u16).to_f32(),
                    DType::BF16 => half::bf16::from_bits(t as u16).to_f32(),
                    _ => f32::from_bits(t),
                };
                if f.is_nan() {
                    return nan;
                }
                if f > 0.0 {
                    pinf = true
                } else {
                    ninf = true
                }
                all_neg_zero = false;
            }
            Some((n, m, s)) => {
                all_neg_zero &= n && m == 0;
                if n { neg.add(m, s) } else { pos.add(m, s) }
            }
        }
    }
    if pinf && ninf {
        return nan;
    }
    if pinf || ninf {
        return if ninf { sign | inf } else { inf };
    }
    pos.carry();
    neg.carry();
    let (s, mag) =
        if cmp(&pos, &neg) == std::cmp::Ordering::Less { (sign, sub(&neg, &pos)) } else { (0, sub(&pos, &neg)) };
    let Some(top) = mag.top() else {
        return if all_neg_zero { sign } else { 0 };
    };
    let f = format(dtype);
    // The ULP of the result, as a bit index of the magnitude (whose bit 0 weighs 2^-149).
    let e = (top - 149).max(i64::from(f.emin));
    let ulp = e - i64::from(f.p - 1) + 149;
    let mut q: u64 = (ulp.max(0)..=top).rev().fold(0, |acc, i| acc * 2 + u64::from(mag.bit(i)));
    if ulp > 0 {
        let half = mag.bit(ulp - 1);
        let rest = (0..ulp - 1).any(|i| mag.bit(i));
        if half && (rest || q & 1 == 1) {
            q += 1;
        }
    }
    let value = q as f64 * 2f64.powi((ulp - 149) as i32);
    let max = (2f64.powi(f.p) - 1.0) * 2f64.powi(f.emax - f.p + 1);
    if value > max {
        return s | inf;
    }
    let bits = match dtype {
        DType::F16 => u32::from(half::f16::from_f64(value).to_bits()),
        DType::BF16 => u32::from(half::bf16::from_f64(value).to_bits()),
        _ => (value as f32).to_bits(),
    };
    s | bits
}

fn upload_bits(device: &Device, dtype: DType, bits: &[u32], shape: &[usize]) -> DeviceTensor {
    let a = match dtype {
        DType::F32 => Array::from_vec(bits.iter().map(|&b| f32::from_bits(b)).collect(), shape),
        DType::F16 => Array::from_vec(bits.iter().map(|&b| half::f16::from_bits(b as u16)).collect(), shape),
        _ => Array::from_vec(bits.iter().map(|&b| half::bf16::from_bits(b as u16)).collect(), shape),
    };
    device.upload(&a.unwrap()).unwrap()
}

fn download_bits(t: &DeviceTensor) -> Vec<u32> {
    let a = t.download().unwrap();
    match t.dtype() {
        DType::F32 => a.to_vec::<f32>().unwrap().into_iter().map(f32::to_bits).collect(),
        DType::F16 => a.to_vec::<half::f16>().unwrap().into_iter().map(|x| u32::from(x.to_bits())).collect(),
        _ => a.to_vec::<half::bf16>().unwrap().into_iter().map(|x| u32::from(x.to_bits())).collect(),
    }
}

/// The host sums of a row-major `[outer, r, inner]` array over r.
fn oracle_rows(dtype: DType, bits: &[u32], outer: usize, r: usize, inner: usize) -> Vec<u32> {
    let mut out = Vec::new();
    for o in 0..outer {
        for i in 0..inner {
            let terms: Vec<u32> = (0..r).map(|k| bits[(o * r + k) * inner + i]).collect();
            out.push(oracle(dtype, &terms));
        }
    }
    out
}

fn sum_all_bits(device: &Device, dtype: DType, bits: &[u32]) -> u32 {
    let t = upload_bits(device, dtype, bits, &[bits.len()]);
    download_bits(&t.sum_all_exact().unwrap())[0]
}

/// Random f32 bits over the whole finite range (sign, exponent and significand uniform), with some zeros and
/// subnormals.
fn random_f32(rng: &mut StdRng) -> u32 {
    match rng.random_range(0..10) {
        0 => rng.random_range(0..0x80_0000) | (rng.random::<u32>() & 0x8000_0000),
        1 => rng.random::<u32>() & 0x8000_0000,
        _ => {
            let b: u32 = rng.random();
            if (b >> 23) & 0xff == 0xff { b & 0xbfff_ffff } else { b }
        }
    }
}

#[test]
fn oracle_agrees_with_f64_where_f64_is_exact() {
    let mut rng = StdRng::seed_from_u64(1);
    for _ in 0..2000 {
        let n = rng.random_range(1..20);
        let xs: Vec<f32> = (0..n).map(|_| rng.random_range(-1000i32..1000) as f32 * 0.125).collect();
        let want = xs.iter().map(|&x| f64::from(x)).sum::<f64>() as f32;
        let bits: Vec<u32> = xs.iter().map(|x| x.to_bits()).collect();
        assert_eq!(oracle(DType::F32, &bits), want.to_bits(), "{xs:?}");
    }
    // Rounding: 1 + 2^-24 ties to 1; with 2^-149 more it rounds up; 1 + 2^-23 + 2^-24 ties up to 1 + 2^-22.
    let t = |xs: &[f32]| f32::from_bits(oracle(DType::F32, &xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>()));
    assert_eq!(t(&[1.0, 2f32.powi(-24)]), 1.0);
    assert_eq!(t(&[1.0, 2f32.powi(-24), f32::from_bits(1)]), 1.0 + 2f32.powi(-23));
    assert_eq!(t(&[1.0 + 2f32.powi(-23), 2f32.powi(-24)]), 1.0 + 2f32.powi(-22));
    assert_eq!(t(&[f32::MAX, f32::MAX]), f32::INFINITY);
}

#[test]
fn cancellation_and_rounding_cases_are_exact() {
    let p = |e: i32| 2f32.powi(e);
    let cases: Vec<(Vec<f32>, f32)> = vec![
        (vec![1e30, 1.0, -1e30], 1.0),
        (vec![1.0, 1e30, 1.0, -1e30, 1.0], 3.0),
        (vec![f32::MAX, 1.0, -f32::MAX], 1.0),
        (vec![1.0, p(-24)], 1.0),
        (vec![1.0, p(-24), f32::from_bits(1)], 1.0 + p(-23)),
        (vec![1.0 + p(-23), p(-24)], 1.0 + p(-22)),
        (vec![-1.0, -p(-24), -f32::from_bits(1)], -(1.0 + p(-23))),
        (vec![p(100), p(-149), -p(100)], f32::from_bits(1)),
        (vec![f32::MAX, f32::MAX], f32::INFINITY),
        (vec![-f32::MAX, -f32::MAX, f32::MAX], -f32::MAX),
        (vec![f32::MAX, p(103)], f32::INFINITY),
        (vec![f32::MAX, p(102)], f32::MAX),
        (vec![f32::MIN_POSITIVE, -f32::from_bits(1)], f32::from_bits(0x7f_ffff)),
        (vec![0.1, 0.2, 0.3, -0.6], sum_f64(&[0.1, 0.2, 0.3, -0.6])),
    ];
    for (xs, want) in cases {
        let bits: Vec<u32> = xs.iter().map(|x| x.to_bits()).collect();
        assert_eq!(oracle(DType::F32, &bits), want.to_bits(), "oracle {xs:?}");
        assert_eq!(sum_all_bits(device(), DType::F32, &bits), want.to_bits(), "{xs:?}");
    }
}

/// The exact sum of f32 values whose exact sum f64 holds (close exponents), rounded once to f32.
fn sum_f64(xs: &[f32]) -> f32 {
    xs.iter().map(|&x| f64::from(x)).sum::<f64>() as f32
}

#[test]
fn specials_and_signed_zeros() {
    let (nan, inf, z, nz) = (f32::NAN, f32::INFINITY, 0.0f32, -0.0f32);
    let cases: Vec<(Vec<f32>, u32)> = vec![
        (vec![1.0, nan, 2.0], 0x7fc0_0000),
        (vec![inf, 1.0, -inf], 0x7fc0_0000),
        (vec![inf, -f32::MAX, inf], inf.to_bits()),
        (vec![-inf, f32::MAX, f32::MAX], (-inf).to_bits()),
        (vec![f32::from_bits(0xffc0_1234), inf], 0x7fc0_0000),
        (vec![nz, nz, nz], nz.to_bits()),
        (vec![nz, z, nz], 0),
        (vec![1.0, -1.0], 0),
        (vec![-1.0, 1.0, nz], 0),
        (vec![nz], nz.to_bits()),
    ];
    for (xs, want) in cases {
        let bits: Vec<u32> = xs.iter().map(|x| x.to_bits()).collect();
        assert_eq!(oracle(DType::F32, &bits), want, "oracle {xs:?}");
        assert_eq!(sum_all_bits(device(), DType::F32, &bits), want, "{xs:?}");
    }
}

#[test]
fn random_magnitudes_over_the_whole_range_match_the_oracle() {
    let mut rng = StdRng::seed_from_u64(2);
    for &(outer, r, inner) in &[(1, 1, 1), (3, 7, 5), (1, 5000, 1), (2, 20_000, 3), (40, 300, 1), (1, 9, 300)] {
        let n = outer * r * inner;
        let bits: Vec<u32> = (0..n).map(|_| random_f32(&mut rng)).collect();
        let t = upload_bits(device(), DType::F32, &bits, &[outer, r, inner]);
        let got = download_bits(&t.sum_exact(&[1], false).unwrap());
        assert_eq!(got, oracle_rows(DType::F32, &bits, outer, r, inner), "[{outer}, {r}, {inner}]");
    }
    // A transposed view with several outputs and long rows (several blocks each): [3, 5000]ᵀ summed over dim 0.
    let bits: Vec<u32> = (0..15_000).map(|_| random_f32(&mut rng)).collect();
    let t = upload_bits(device(), DType::F32, &bits, &[3, 5000]).transpose(0, 1).unwrap();
    assert_eq!(download_bits(&t.sum_exact(&[0], true).unwrap()), host_rows(&bits, 3, 5000), "[3, 5000]ᵀ");
    // 16-byte loads: walks with a tail of 1-3 terms, rows starting on 16 bytes inside a narrowed view, and rows
    // that do not (one term at a time).
    let bits: Vec<u32> = (0..3 * 5004).map(|_| random_f32(&mut rng)).collect();
    let t = upload_bits(device(), DType::F32, &bits, &[3, 5004]);
    assert_eq!(download_bits(&t.sum_exact(&[1], false).unwrap()), host_rows(&bits, 3, 5004), "[3, 5004]");
    let n = t.narrow(1, 4, 4999).unwrap();
    let rows: Vec<u32> = bits.chunks(5004).flat_map(|row| row[4..5003].to_vec()).collect();
    assert_eq!(download_bits(&n.sum_exact(&[1], false).unwrap()), host_rows(&rows, 3, 4999), "narrowed at 4");
    let n = t.narrow(1, 1, 5003).unwrap();
    let rows: Vec<u32> = bits.chunks(5004).flat_map(|row| row[1..].to_vec()).collect();
    assert_eq!(download_bits(&n.sum_exact(&[1], false).unwrap()), host_rows(&rows, 3, 5003), "narrowed at 1");
    let flat: Vec<u32> = (0..100_003).map(|_| random_f32(&mut rng)).collect();
    assert_eq!(sum_all_bits(device(), DType::F32, &flat), oracle(DType::F32, &flat), "100003 terms");
    // Terms of one sign with full significands fill each word fastest: the words' headroom (carries moved every
    // 64 terms), over rows and columns and through the merging passes.
    for (shape, dim) in [([3000usize, 3usize], 0usize), ([3, 300_000], 1), ([70_000, 2], 0)] {
        let n = shape[0] * shape[1];
        let bits: Vec<u32> = (0..n).map(|k| [0x7f7f_ffffu32, 0x4b7f_ffff, 0x00ff_ffff][k % 3] | 0x8000_0000).collect();
        let t = upload_bits(device(), DType::F32, &bits, &shape);
        let want = if dim == 0 {
            oracle_rows(DType::F32, &bits, 1, shape[0], shape[1])
        } else {
            host_rows(&bits, shape[0], shape[1])
        };
        assert_eq!(download_bits(&t.sum_exact(&[dim], false).unwrap()), want, "{shape:?} over {dim}");
    }
    // Narrow exponent ranges (a sum that is neither dominated by one term nor exact in f64), and subnormals only.
    for (lo, hi) in [(0x3f00_0000u32, 0x4080_0000u32), (1, 0x80_0000), (0x0080_0000, 0x0200_0000)] {
        let bits: Vec<u32> =
            (0..100_000).map(|_| rng.random_range(lo..hi) | (rng.random::<u32>() & 0x8000_0000)).collect();
        assert_eq!(sum_all_bits(device(), DType::F32, &bits), oracle(DType::F32, &bits), "{lo:#x}..{hi:#x}");
    }
}

#[test]
fn dims_keepdim_views_and_empty_dims() {
    let mut rng = StdRng::seed_from_u64(3);
    let shape = [6usize, 70, 5];
    let bits: Vec<u32> = (0..shape.iter().product()).map(|_| random_f32(&mut rng)).collect();
    let t = upload_bits(device(), DType::F32, &bits, &shape);
    let at = |i: usize, j: usize, k: usize| bits[(i * shape[1] + j) * shape[2] + k];
    for dims in [vec![0], vec![1], vec![2], vec![0, 1], vec![1, 2], vec![0, 2], vec![2, 0, 1]] {
        for keepdim in [false, true] {
            let got = t.sum_exact(&dims, keepdim).unwrap();
            let want_shape: Vec<usize> =
                (0..3).filter_map(|d| if dims.contains(&d) { keepdim.then_some(1) } else { Some(shape[d]) }).collect();
            assert_eq!(got.shape(), want_shape, "{dims:?} {keepdim}");
            let mut want = Vec::new();
            let ranges: Vec<Vec<usize>> =
                (0..3).map(|d| if dims.contains(&d) { vec![usize::MAX] } else { (0..shape[d]).collect() }).collect();
            for &i in &ranges[0] {
                for &j in &ranges[1] {
                    for &k in &ranges[2] {
                        let mut terms = Vec::new();
                        for a in 0..shape[0] {
                            for b in 0..shape[1] {
                                for c in 0..shape[2] {
                                    let keep = [(0, i, a), (1, j, b), (2, k, c)];
                                    if keep.iter().all(|&(d, x, y)| dims.contains(&d) || x == y) {
                                        terms.push(at(a, b, c));
                                    }
                                }
                            }
                        }
                        want.push(oracle(DType::F32, &terms));
                    }
                }
            }
            assert_eq!(download_bits(&got), want, "{dims:?} keepdim {keepdim}");
        }
    }
    // A transposed view, summed over each dim, against the same sums of a contiguous copy.
    let m = upload_bits(device(), DType::F32, &bits[..70 * 30], &[70, 30]);
    let mt = m.transpose(0, 1).unwrap();
    for d in [0, 1] {
        // mt[i, j] = m[j, i]: summing mt over dim 1 is summing m over dim 0, and the reverse.
        let want =
            if d == 1 { oracle_rows(DType::F32, &bits[..2100], 1, 70, 30) } else { host_rows(&bits[..2100], 70, 30) };
        assert_eq!(download_bits(&mt.sum_exact(&[d], false).unwrap()), want, "transposed dim {d}");
    }
    // Empty dims: the sum over an empty dim is +0; an empty `dims` reduces nothing.
    let e = upload_bits(device(), DType::F32, &[], &[0, 3]);
    assert_eq!(download_bits(&e.sum_exact(&[0], false).unwrap()), [0, 0, 0]);
    assert_eq!(download_bits(&e.sum_all_exact().unwrap()), [0]);
    assert_eq!(e.sum_exact(&[1], true).unwrap().shape(), [0, 1]);
    assert_eq!(download_bits(&t.sum_exact(&[], false).unwrap()), bits);
}

/// Row sums of a row-major `[rows, cols]` array (one per row).
fn host_rows(bits: &[u32], rows: usize, cols: usize) -> Vec<u32> {
    (0..rows).map(|i| oracle(DType::F32, &bits[i * cols..(i + 1) * cols])).collect()
}

#[test]
fn half_precision_sums_round_once_to_the_dtype() {
    let mut rng = StdRng::seed_from_u64(4);
    for dtype in [DType::F16, DType::BF16] {
        let inf = if dtype == DType::F16 { 0x7c00 } else { 0x7f80 };
        // Mostly |x| < 2 (bit 14 clear), so that long sums do not overflow the dtype; some over the whole range.
        let random = |rng: &mut StdRng| loop {
            let b = rng.random::<u32>() & if rng.random_range(0..8) == 0 { 0xffff } else { 0xbfff };
            if b & inf != inf {
                return b;
            }
        };
        for &(outer, r, inner) in
            &[(1, 1, 1), (3, 7, 5), (1, 5000, 1), (1, 5003, 1), (3, 1032, 1), (5, 301, 3), (7, 33, 1)]
        {
            let bits: Vec<u32> = (0..outer * r * inner).map(|_| random(&mut rng)).collect();
            let t = upload_bits(device(), dtype, &bits, &[outer, r, inner]);
            let got = download_bits(&t.sum_exact(&[1], false).unwrap());
            assert_eq!(got, oracle_rows(dtype, &bits, outer, r, inner), "{dtype} [{outer}, {r}, {inner}]");
        }
        // Specials, overflow of the dtype, cancellation, a subnormal result.
        let max = if dtype == DType::F16 { 0x7bff } else { 0x7f7f };
        for terms in [
            vec![max, max],
            vec![max, max, max | 0x8000],
            vec![inf, 0x3c00],
            vec![inf, inf | 0x8000],
            vec![inf | 1, 0],
            vec![0x8000, 0x8000],
            vec![0x0001, 0x0001, 0x8002, 0x0003],
        ] {
            let want = oracle(dtype, &terms);
            assert_eq!(sum_all_bits(device(), dtype, &terms), want, "{dtype} {terms:x?}");
        }
    }
}

#[test]
fn repeated_runs_and_other_backends_give_the_same_bits() {
    let mut rng = StdRng::seed_from_u64(5);
    let bits: Vec<u32> = (0..300_000).map(|_| random_f32(&mut rng)).collect();
    let want = oracle(DType::F32, &bits);
    for _ in 0..3 {
        assert_eq!(sum_all_bits(device(), DType::F32, &bits), want);
    }
    let rows: Vec<u32> = (0..64 * 1000).map(|_| random_f32(&mut rng)).collect();
    let want_rows = oracle_rows(DType::F32, &rows, 64, 1000, 1);
    let portable = Device::with_options(DeviceOptions { native_extensions: false, ..Default::default() }).unwrap();
    assert_eq!(sum_all_bits(&portable, DType::F32, &bits), want);
    let t = upload_bits(&portable, DType::F32, &rows, &[64, 1000]);
    assert_eq!(download_bits(&t.sum_exact(&[1], false).unwrap()), want_rows);
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // SAFETY: set before the GL device opens, in this test only (EGL needs a runtime dir).
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir()) };
    }
    let gl = Device::with_options(DeviceOptions { backends: wgpu::Backends::GL, ..Default::default() })
        .expect("the GL adapter (llvmpipe via EGL)");
    assert_eq!(sum_all_bits(&gl, DType::F32, &bits), want);
    let t = upload_bits(&gl, DType::F32, &rows, &[64, 1000]);
    assert_eq!(download_bits(&t.sum_exact(&[1], false).unwrap()), want_rows);
}

#[test]
fn non_float_dtypes_and_bad_dims_are_refused() {
    let t = device().upload(&Array::from(vec![1i32, 2, 3])).unwrap();
    let e = t.sum_exact(&[0], false).unwrap_err();
    assert!(matches!(e, Error::UnsupportedDType { op: "sum_exact", .. }), "{e}");
    assert!(e.to_string().contains("use sum"), "{e}");
    let f = device().upload(&Array::from(vec![1.0f64])).unwrap();
    assert!(matches!(f.sum_all_exact().unwrap_err(), Error::UnsupportedDType { .. }));
    let g = device().upload(&Array::from(vec![1.0f32, 2.0])).unwrap();
    assert!(matches!(g.sum_exact(&[1], false).unwrap_err(), Error::InvalidArgument { op: "sum_exact", .. }));
    assert!(matches!(g.sum_exact(&[0, 0], false).unwrap_err(), Error::InvalidArgument { op: "sum_exact", .. }));
}

#[test]
fn a_tensor_past_one_storage_binding() {
    let max = device().limits().max_storage_buffer_binding_size as usize;
    let n = (max / 4 + 3_000_000) / 1000 * 1000;
    let mut rng = StdRng::seed_from_u64(6);
    let xs: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0) * 2f32.powi(rng.random_range(-40..40))).collect();
    let bits: Vec<u32> = xs.iter().map(|x| x.to_bits()).collect();
    let want = oracle(DType::F32, &bits);
    let t = device().upload(&Array::from(xs)).unwrap();
    assert_eq!(download_bits(&t.sum_all_exact().unwrap())[0], want, "sum_all of {n}");
    // Rows across the binding boundary, and a strided view (every other element) over the whole buffer.
    let rows = t.reshape([n / 1000, 1000]).unwrap();
    let got = download_bits(&rows.sum_exact(&[1], false).unwrap());
    assert_eq!(got, oracle_rows(DType::F32, &bits[..n / 1000 * 1000], n / 1000, 1000, 1), "row sums");
    let cols = rows.sum_exact(&[0], false).unwrap();
    assert_eq!(download_bits(&cols), oracle_rows(DType::F32, &bits[..n / 1000 * 1000], 1, n / 1000, 1000), "columns");
}

#[test]
fn outputs_whose_accumulators_pass_one_binding_are_done_in_groups() {
    // 56-byte accumulators of 2.5 M outputs pass 128 MiB: groups of outer rows (an odd count: 16-bit outputs of two
    // groups share a word), or pieces of one row. Small integers: every sum is exact.
    let max = device().limits().max_storage_buffer_binding_size as usize;
    let outer = max / 56 + 100_001;
    let mut rng = StdRng::seed_from_u64(7);
    let xs: Vec<i32> = (0..outer * 2).map(|_| rng.random_range(-1000..1000)).collect();
    let want: Vec<u32> = xs.chunks(2).map(|p| u32::from(half::f16::from_f32((p[0] + p[1]) as f32).to_bits())).collect();
    let h: Vec<half::f16> = xs.iter().map(|&x| half::f16::from_f32(x as f32)).collect();
    let t = device().upload(&Array::from_vec(h, [outer, 2]).unwrap()).unwrap();
    assert_eq!(download_bits(&t.sum_exact(&[1], false).unwrap()), want, "f16 [{outer}, 2]");
    let f: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
    let want: Vec<u32> = xs.chunks(2).map(|p| ((p[0] + p[1]) as f32).to_bits()).collect();
    let t = device().upload(&Array::from_vec(f, [outer, 2]).unwrap()).unwrap();
    assert_eq!(download_bits(&t.sum_exact(&[1], false).unwrap()), want, "f32 [{outer}, 2]");
    // One row's outputs past one binding: [2, outer] summed over dim 0 (pieces of the row).
    let h: Vec<half::f16> = xs.iter().map(|&x| half::f16::from_f32(x as f32)).collect();
    let t = device().upload(&Array::from_vec(h, [2, outer]).unwrap()).unwrap();
    let want: Vec<u32> =
        (0..outer).map(|i| u32::from(half::f16::from_f32((xs[i] + xs[outer + i]) as f32).to_bits())).collect();
    assert_eq!(download_bits(&t.sum_exact(&[0], false).unwrap()), want, "f16 [2, {outer}] over 0");
}
