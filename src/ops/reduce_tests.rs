//! Tests of the reduction launcher against a host reference that computes the same canonical tree (pairwise over
//! R in natural order, identity padding) with the same accumulation rules, so every result is compared bit for bit;
//! plus the f32 error bound against f64, determinism across layouts and batch sizes, empty dims, a source past one
//! storage binding, and the error paths.

use rand::{Rng, SeedableRng, rngs::StdRng};

use super::reduce_kernel::{ReduceView, encode_reduce};
use super::reduce_wgsl::{ReduceOp, output_dtype};
use crate::{Array, DType, Device, DeviceTensor, Error};

fn device() -> &'static Device {
    static DEVICE: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
    DEVICE.get_or_init(|| Device::new().expect("an adapter (install mesa-vulkan-drivers for lavapipe)"))
}

/// A host accumulator, mirroring the kernel's.
#[derive(Clone, Copy, Debug)]
enum H {
    F(f32),
    Bits(u32),
    I(u64),
    Flag(bool),
    ArgF(u32, u32),
    ArgI(u64, u32),
    /// An f64 value (sum/prod) or f64 bits (max/min, compared as values).
    D(f64),
    ArgD(u64, u32),
}

fn signed(d: DType) -> bool {
    matches!(d, DType::I8 | DType::I16 | DType::I32 | DType::I64)
}

fn to_f32(d: DType, bits: u64) -> f32 {
    match d {
        DType::F16 => half::f16::from_bits(bits as u16).to_f32(),
        DType::BF16 => half::bf16::from_bits(bits as u16).to_f32(),
        _ => f32::from_bits(bits as u32),
    }
}

fn int_value(d: DType, bits: u64) -> u64 {
    let n = 8 * d.size_in_bytes() as u32;
    if d == DType::Bool {
        return u64::from(bits != 0);
    }
    if n == 64 {
        return bits;
    }
    if signed(d) { (((bits << (64 - n)) as i64) >> (64 - n)) as u64 } else { bits & ((1u64 << n) - 1) }
}

fn is_nan(x: u32) -> bool {
    f32::from_bits(x).is_nan()
}

fn gt_f(a: u32, b: u32) -> bool {
    f32::from_bits(a) > f32::from_bits(b)
}

fn gt_i(d: DType, a: u64, b: u64) -> bool {
    if signed(d) { (a as i64) > (b as i64) } else { a > b }
}

fn identity(op: ReduceOp, d: DType) -> H {
    let max = matches!(op, ReduceOp::Max | ReduceOp::ArgMax);
    let (imin, imax) = if signed(d) { (i64::MIN as u64, i64::MAX as u64) } else { (0, u64::MAX) };
    let dext = if max { f64::NEG_INFINITY } else { f64::INFINITY };
    match op {
        ReduceOp::Any => H::Flag(false),
        ReduceOp::All => H::Flag(true),
        ReduceOp::Sum if d == DType::F64 => H::D(-0.0),
        ReduceOp::Prod if d == DType::F64 => H::D(1.0),
        ReduceOp::Max | ReduceOp::Min if d == DType::F64 => H::D(dext),
        ReduceOp::ArgMax | ReduceOp::ArgMin if d == DType::F64 => H::ArgD(dext.to_bits(), u32::MAX),
        ReduceOp::Sum if d.is_float() => H::F(-0.0),
        ReduceOp::Prod if d.is_float() => H::F(1.0),
        ReduceOp::Sum => H::I(0),
        ReduceOp::Prod => H::I(1),
        ReduceOp::Max | ReduceOp::Min if d.is_float() => {
            H::Bits(if max { f32::NEG_INFINITY } else { f32::INFINITY }.to_bits())
        }
        ReduceOp::Max | ReduceOp::Min => H::I(if max { imin } else { imax }),
        _ if d.is_float() => H::ArgF(if max { f32::NEG_INFINITY } else { f32::INFINITY }.to_bits(), u32::MAX),
        _ => H::ArgI(if max { imin } else { imax }, u32::MAX),
    }
}

fn load(op: ReduceOp, d: DType, bits: u64, r: u32) -> H {
    match identity(op, d) {
        H::F(_) => H::F(to_f32(d, bits)),
        H::Bits(_) => H::Bits(to_f32(d, bits).to_bits()),
        H::I(_) => H::I(int_value(d, bits)),
        H::ArgF(..) => H::ArgF(to_f32(d, bits).to_bits(), r),
        H::ArgI(..) => H::ArgI(int_value(d, bits), r),
        H::D(_) => H::D(f64::from_bits(bits)),
        H::ArgD(..) => H::ArgD(bits, r),
        H::Flag(_) => H::Flag(match d {
            DType::F32 => bits & 0x7fff_ffff != 0,
            DType::F16 | DType::BF16 => bits & 0x7fff != 0,
            DType::F64 => bits & 0x7fff_ffff_ffff_ffff != 0,
            _ => bits != 0,
        }),
    }
}

fn combine(op: ReduceOp, d: DType, a: H, b: H) -> H {
    use ReduceOp::*;
    match (a, b) {
        (H::F(x), H::F(y)) => H::F(if op == Sum { x + y } else { x * y }),
        (H::D(x), H::D(y)) => H::D(match op {
            Sum => x + y,
            Prod => x * y,
            // A NaN wins (the first one); -0.0 == +0.0 keeps the first.
            _ if x.is_nan() || y.is_nan() => {
                if x.is_nan() {
                    x
                } else {
                    y
                }
            }
            Max => {
                if y > x {
                    y
                } else {
                    x
                }
            }
            _ => {
                if y < x {
                    y
                } else {
                    x
                }
            }
        }),
        (H::ArgD(x, i), H::ArgD(y, j)) => {
            let (fx, fy) = (f64::from_bits(x), f64::from_bits(y));
            let take = !fx.is_nan() && (fy.is_nan() || if op == ArgMax { fy > fx } else { fy < fx });
            if take { H::ArgD(y, j) } else { H::ArgD(x, i) }
        }
        (H::I(x), H::I(y)) => H::I(match op {
            Sum => x.wrapping_add(y),
            Prod => x.wrapping_mul(y),
            Max => {
                if gt_i(d, y, x) {
                    y
                } else {
                    x
                }
            }
            _ => {
                if gt_i(d, x, y) {
                    y
                } else {
                    x
                }
            }
        }),
        (H::Bits(x), H::Bits(y)) => {
            let take = !is_nan(x) && (is_nan(y) || (op == Max && gt_f(y, x)) || (op == Min && gt_f(x, y)));
            H::Bits(if take { y } else { x })
        }
        (H::Flag(x), H::Flag(y)) => H::Flag(if op == Any { x | y } else { x & y }),
        (H::ArgF(x, i), H::ArgF(y, j)) => {
            let take = !is_nan(x) && (is_nan(y) || if op == ArgMax { gt_f(y, x) } else { gt_f(x, y) });
            if take { H::ArgF(y, j) } else { H::ArgF(x, i) }
        }
        (H::ArgI(x, i), H::ArgI(y, j)) => {
            let take = if op == ArgMax { gt_i(d, y, x) } else { gt_i(d, x, y) };
            if take { H::ArgI(y, j) } else { H::ArgI(x, i) }
        }
        _ => unreachable!("mixed accumulators"),
    }
}

/// The canonical tree over `xs` padded to a power of two (the public host reference of the tree).
fn tree(op: ReduceOp, d: DType, xs: &[H]) -> H {
    crate::reference::pairwise(xs, identity(op, d), |a, b| combine(op, d, a, b))
}

/// The output element's bits.
fn finish(d: DType, a: H) -> u64 {
    let narrow = |x: f32| match d {
        DType::F16 => u64::from(half::f16::from_f32(x).to_bits()),
        DType::BF16 => u64::from(half::bf16::from_f32(x).to_bits()),
        _ => u64::from(x.to_bits()),
    };
    match a {
        H::F(x) => narrow(x),
        H::Bits(x) => narrow(f32::from_bits(x)),
        H::I(x) => x,
        H::Flag(x) => u64::from(x),
        H::D(x) => x.to_bits(),
        H::ArgF(_, i) | H::ArgI(_, i) | H::ArgD(_, i) => u64::from(i),
    }
}

/// A view over host element bits.
#[derive(Clone, Copy, Debug)]
pub(super) struct V {
    off: usize,
    outer: usize,
    r: usize,
    inner: usize,
    so: isize,
    sr: isize,
    si: isize,
}

impl V {
    fn at(&self, o: usize, r: usize, i: usize) -> usize {
        (self.off as isize + o as isize * self.so + r as isize * self.sr + i as isize * self.si) as usize
    }
    pub(super) fn len(&self) -> usize {
        if self.outer * self.r * self.inner == 0 {
            return self.off + 1;
        }
        self.at(self.outer - 1, self.r - 1, self.inner - 1).max(self.off) + 1
    }
    /// Contiguous [outer, r, inner] (`transposed`: stored [r, outer, inner], i.e. reducing a leading dim).
    pub(super) fn new(outer: usize, r: usize, inner: usize, transposed: bool, pad: usize) -> V {
        let (so, sr) = if transposed {
            (inner as isize, (outer * inner) as isize)
        } else {
            ((r * inner) as isize, inner as isize)
        };
        V { off: pad, outer, r, inner, so, sr, si: 1 }
    }
}

pub(super) fn to_array(d: DType, bits: &[u64]) -> Array {
    let size = d.size_in_bytes();
    let mut bytes = Vec::with_capacity(bits.len() * size);
    for &b in bits {
        bytes.extend_from_slice(&b.to_le_bytes()[..size]);
    }
    Array::from_bytes(d, [bits.len()], &bytes).unwrap()
}

fn from_array(a: &Array) -> Vec<u64> {
    let size = a.dtype().size_in_bytes();
    a.as_bytes()
        .chunks_exact(size)
        .map(|c| {
            let mut w = [0u8; 8];
            w[..size].copy_from_slice(c);
            u64::from_le_bytes(w)
        })
        .collect()
}

fn run(op: ReduceOp, d: DType, input: &DeviceTensor, v: V) -> crate::Result<Vec<u64>> {
    run_on(device(), op, d, input, v)
}

/// [`run`] on `dev` (`input` must live there).
pub(super) fn run_on(dev: &Device, op: ReduceOp, d: DType, input: &DeviceTensor, v: V) -> crate::Result<Vec<u64>> {
    let out_dtype = output_dtype(op, d);
    let out = dev.zeros(out_dtype, vec![v.outer, v.inner])?;
    let view = ReduceView {
        buffer: input.buffer(),
        offset: v.off,
        outer: v.outer,
        r: v.r,
        inner: v.inner,
        outer_stride: v.so,
        r_stride: v.sr,
        inner_stride: v.si,
    };
    dev.record("test", |rec| encode_reduce(rec, op, d, &view, out.buffer()))?;
    Ok(from_array(&out.download()?))
}

pub(super) fn reference(op: ReduceOp, d: DType, bits: &[u64], v: V) -> Vec<u64> {
    let mut out = Vec::new();
    for o in 0..v.outer {
        for i in 0..v.inner {
            let xs: Vec<H> = (0..v.r).map(|r| load(op, d, bits[v.at(o, r, i)], r as u32)).collect();
            let bytes = output_dtype(op, d).size_in_bytes() as u32;
            let mask = if bytes == 8 { u64::MAX } else { (1u64 << (8 * bytes)) - 1 };
            out.push(finish(d, tree(op, d, &xs)) & mask);
        }
    }
    out
}

/// Bit for bit, except that any NaN matches any NaN (the host's NaN payloads depend on operand order).
pub(super) fn same(d: DType, got: &[u64], want: &[u64]) -> bool {
    let nan = |x: u64| if d == DType::F64 { f64::from_bits(x).is_nan() } else { d.is_float() && to_f32(d, x).is_nan() };
    got.len() == want.len() && got.iter().zip(want).all(|(&g, &w)| g == w || (nan(g) && nan(w)))
}

/// Random element bits: floats with moderate exponents (no subnormal results), edge values mixed in.
pub(super) fn random_bits(rng: &mut StdRng, d: DType, op: ReduceOp, n: usize, edges: bool) -> Vec<u64> {
    (0..n)
        .map(|_| {
            let edge = edges && rng.random_range(0..16) == 0;
            match d {
                DType::F32 | DType::F16 | DType::BF16 => {
                    let x: f32 = if edge {
                        [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 0.0, f32::MAX][rng.random_range(0..6)]
                    } else if op == ReduceOp::Prod {
                        rng.random_range(0.9..1.1)
                    } else {
                        rng.random_range(-100.0..100.0)
                    };
                    match d {
                        DType::F16 => u64::from(half::f16::from_f32(x).to_bits()),
                        DType::BF16 => u64::from(half::bf16::from_f32(x).to_bits()),
                        _ => u64::from(x.to_bits()),
                    }
                }
                DType::F64 => random_f64(rng, op, edge).to_bits(),
                DType::Bool => rng.random_range(0..2),
                _ => {
                    let x: u64 =
                        if edge { [0, u64::MAX, 1 << 63, (1 << 63) - 1][rng.random_range(0..4)] } else { rng.random() };
                    let x = if rng.random() { x } else { x % 7 };
                    let n = 8 * d.size_in_bytes() as u32;
                    if n == 64 { x } else { x & ((1u64 << n) - 1) }
                }
            }
        })
        .collect()
}

/// Edge values of f64: NaNs, infinities, signed zeros, subnormals, the extremes.
const F64_EDGES: [f64; 12] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -0.0,
    0.0,
    f64::MAX,
    -f64::MAX,
    f64::MIN_POSITIVE,
    5e-324,
    -2.225073858507201e-308,
    1.0,
    -1.0,
];

/// A random f64: an edge value, a value near 1 (products), or any sign and a wide exponent range.
fn random_f64(rng: &mut StdRng, op: ReduceOp, edge: bool) -> f64 {
    if edge {
        return F64_EDGES[rng.random_range(0..F64_EDGES.len())];
    }
    if op == ReduceOp::Prod {
        return rng.random_range(0.9..1.1);
    }
    let m: f64 = rng.random_range(-1.0..1.0);
    m * 2f64.powi(rng.random_range(-40..40))
}

/// Every reduction.
pub(super) const OPS: [ReduceOp; 8] = [
    ReduceOp::Sum,
    ReduceOp::Prod,
    ReduceOp::Max,
    ReduceOp::Min,
    ReduceOp::ArgMax,
    ReduceOp::ArgMin,
    ReduceOp::Any,
    ReduceOp::All,
];

/// (outer, r, inner, transposed): last-dim, first-dim, middle, tiny, multi-pass shapes.
const SHAPES: &[(usize, usize, usize, bool)] = &[
    (1, 1, 1, false),
    (3, 17, 5, false),
    (2, 300, 1, false),
    (5, 33, 8, true),
    (1, 5000, 1, false),
    (4, 7, 12, false),
    (2, 70, 4, true),
];

#[test]
fn every_op_and_dtype_matches_the_host_tree_bit_for_bit() {
    let mut rng = StdRng::seed_from_u64(10);
    for d in DType::ALL {
        for op in OPS {
            for (k, &(outer, r, inner, tr)) in SHAPES.iter().enumerate() {
                let v = V::new(outer, r, inner, tr, [0, 4, 3][k % 3]);
                let bits = random_bits(&mut rng, d, op, v.len(), true);
                let input = device().upload(&to_array(d, &bits)).unwrap();
                let got = run(op, d, &input, v).unwrap_or_else(|e| panic!("{} {d} {v:?}: {e}", op.name()));
                let want = reference(op, d, &bits, v);
                assert!(same(output_dtype(op, d), &got, &want), "{} {d} {v:?}:\n{got:x?}\n{want:x?}", op.name());
            }
        }
    }
}

#[test]
fn f32_sums_are_the_tree_within_the_bound_and_independent_of_layout() {
    let mut rng = StdRng::seed_from_u64(11);
    let (rows, r) = (3usize, 70_001usize);
    let bits: Vec<u64> = (0..rows * r).map(|_| u64::from(rng.random_range(-1.0f32..1.0).to_bits())).collect();
    let input = device().upload(&to_array(DType::F32, &bits)).unwrap();
    let last = run(ReduceOp::Sum, DType::F32, &input, V::new(rows, r, 1, false, 0)).unwrap();
    assert_eq!(last, reference(ReduceOp::Sum, DType::F32, &bits, V::new(rows, r, 1, false, 0)));
    // The same numbers stored transposed ([r, rows]) and reduced over the leading dim: the same bits.
    let mut t = vec![0u64; rows * r];
    for o in 0..rows {
        for j in 0..r {
            t[j * rows + o] = bits[o * r + j];
        }
    }
    let tin = device().upload(&to_array(DType::F32, &t)).unwrap();
    assert_eq!(run(ReduceOp::Sum, DType::F32, &tin, V::new(1, r, rows, false, 0)).unwrap(), last);
    // One row alone: the same bits as inside the batch.
    let one = V { off: r, outer: 1, r, inner: 1, so: 0, sr: 1, si: 1 };
    assert_eq!(run(ReduceOp::Sum, DType::F32, &input, one).unwrap(), vec![last[1]]);
    for (o, &g) in last.iter().enumerate() {
        let xs = &bits[o * r..(o + 1) * r];
        let exact: f64 = xs.iter().map(|&b| f64::from(f32::from_bits(b as u32))).sum();
        let abs: f64 = xs.iter().map(|&b| f64::from(f32::from_bits(b as u32)).abs()).sum();
        let bound = (r as f64).log2().ceil() * 2f64.powi(-24) * abs;
        assert!((f64::from(f32::from_bits(g as u32)) - exact).abs() <= bound);
    }
    // Repeated runs: identical.
    for _ in 0..3 {
        assert_eq!(run(ReduceOp::Sum, DType::F32, &input, V::new(rows, r, 1, false, 0)).unwrap(), last);
    }
}

/// f64 element bits of `xs`.
fn f64_bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

/// Reduces each row of `rows` (equal lengths) on the device as one [rows, r] f64 tensor over its last dim.
fn f64_rows(op: ReduceOp, rows: &[Vec<f64>]) -> Vec<u64> {
    let r = rows[0].len();
    let bits: Vec<u64> = rows.iter().flat_map(|row| f64_bits(row)).collect();
    let input = device().upload(&to_array(DType::F64, &bits)).unwrap();
    let v = V::new(rows.len(), r, 1, false, 0);
    let got = run(op, DType::F64, &input, v).unwrap();
    let want = reference(op, DType::F64, &bits, v);
    assert!(same(output_dtype(op, DType::F64), &got, &want), "{} {rows:?}:\n{got:x?}\n{want:x?}", op.name());
    got
}

#[test]
fn f64_edge_values_follow_ieee_and_the_tree() {
    let (inf, nan, tiny, max) = (f64::INFINITY, f64::NAN, 5e-324, f64::MAX);
    let rows = |xs: &[[f64; 4]]| xs.iter().map(|r| r.to_vec()).collect::<Vec<_>>();
    let f = |b: u64| f64::from_bits(b);
    // Sums: the tree is (x0 + x1) + (x2 + x3).
    let sum = f64_rows(
        ReduceOp::Sum,
        &rows(&[
            [max, max, -max, 0.0],       // overflow to inf, then inf - max = inf
            [inf, 1.0, -inf, 1.0],       // inf - inf = NaN
            [tiny, tiny, tiny, -tiny],   // subnormals: exact
            [-0.0, -0.0, -0.0, -0.0],    // -0 stays -0
            [-0.0, 0.0, -0.0, -0.0],     // -0 + +0 = +0
            [1.0, 1e-16, 1e-16, 1e-16],  // each addition rounded: 1 + (2e-16) = 1 + 2^-52
            [1e308, 1e308, -1e308, 0.0], // overflow inside the tree
            [nan, 1.0, 2.0, 3.0],
        ]),
    );
    assert_eq!(f(sum[0]), inf);
    assert!(f(sum[1]).is_nan());
    assert_eq!(sum[2], 2);
    assert_eq!(sum[3], (-0.0f64).to_bits());
    assert_eq!(sum[4], 0);
    assert_eq!(f(sum[5]), 1.0 + 2f64.powi(-52));
    assert_eq!(f(sum[6]), inf);
    assert!(f(sum[7]).is_nan());
    let prod = f64_rows(
        ReduceOp::Prod,
        &rows(&[[max, 2.0, 0.5, 1.0], [tiny, 0.5, 1.0, 1.0], [0.0, inf, 1.0, 1.0], [-1.0, 3.0, -0.0, 1.0]]),
    );
    assert_eq!((f(prod[0]), prod[1]), (inf, 0)); // (max·2)·0.5 = inf; tiny·0.5 rounds to even: 0
    assert!(f(prod[2]).is_nan()); // 0·inf
    assert_eq!(prod[3], 0); // (-1·3)·(-0·1) = +0
    // max/min: a NaN wins and comes back unchanged; -0 and +0 tie: the first stays.
    let payload = f64::from_bits(0x7ff0_0000_0000_0123); // a signalling NaN, not quieted
    let ext =
        rows(&[[1.0, payload, 3.0, nan], [-0.0, 0.0, -inf, -1.0], [0.0, -0.0, 2.0, tiny], [inf, -inf, max, -max]]);
    let mx = f64_rows(ReduceOp::Max, &ext);
    assert_eq!(mx[0], payload.to_bits());
    assert_eq!((mx[1], f(mx[2]), f(mx[3])), ((-0.0f64).to_bits(), 2.0, inf));
    let mn = f64_rows(ReduceOp::Min, &ext);
    assert_eq!((mn[0], f(mn[1]), f(mn[3])), (payload.to_bits(), -inf, -inf));
    assert_eq!(mn[2], 0); // +0 first, -0 ties
    // argmax/argmin: first occurrence; a NaN counts as the extreme (the first NaN).
    let args = rows(&[[1.0, 3.0, 3.0, 2.0], [1.0, nan, 5.0, nan], [-0.0, 0.0, 0.0, -0.0], [tiny, -tiny, 0.0, -tiny]]);
    assert_eq!(f64_rows(ReduceOp::ArgMax, &args), [1, 1, 0, 0]);
    assert_eq!(f64_rows(ReduceOp::ArgMin, &args), [0, 1, 0, 1]);
}

#[test]
fn f64_sums_are_the_tree_within_the_bound_and_independent_of_layout() {
    let mut rng = StdRng::seed_from_u64(13);
    let (rows, r) = (3usize, 20_001usize);
    // Multiples of 2^-52 in (-1, 1): the exact sum is an integer sum.
    let ints: Vec<i64> = (0..rows * r).map(|_| rng.random_range(-(1i64 << 52)..(1i64 << 52))).collect();
    let bits: Vec<u64> = ints.iter().map(|&k| (k as f64 * 2f64.powi(-52)).to_bits()).collect();
    let input = device().upload(&to_array(DType::F64, &bits)).unwrap();
    let last = run(ReduceOp::Sum, DType::F64, &input, V::new(rows, r, 1, false, 0)).unwrap();
    assert_eq!(last, reference(ReduceOp::Sum, DType::F64, &bits, V::new(rows, r, 1, false, 0)));
    // Stored transposed and reduced over the leading dim; one row alone; repeated runs: the same bits.
    let mut t = vec![0u64; rows * r];
    for o in 0..rows {
        for j in 0..r {
            t[j * rows + o] = bits[o * r + j];
        }
    }
    let tin = device().upload(&to_array(DType::F64, &t)).unwrap();
    assert_eq!(run(ReduceOp::Sum, DType::F64, &tin, V::new(1, r, rows, false, 0)).unwrap(), last);
    let one = V { off: 2 * r, outer: 1, r, inner: 1, so: 0, sr: 1, si: 1 };
    assert_eq!(run(ReduceOp::Sum, DType::F64, &input, one).unwrap(), vec![last[2]]);
    for _ in 0..2 {
        assert_eq!(run(ReduceOp::Sum, DType::F64, &input, V::new(rows, r, 1, false, 0)).unwrap(), last);
    }
    for (o, &g) in last.iter().enumerate() {
        let xs = &ints[o * r..(o + 1) * r];
        let exact: i128 = xs.iter().map(|&k| i128::from(k)).sum();
        let abs: i128 = xs.iter().map(|&k| i128::from(k).abs()).sum();
        let got = (f64::from_bits(g) * 2f64.powi(52)) as i128; // exact: a multiple of 2^-52 below 2^15
        let bound = (r as f64).log2().ceil() * 2f64.powi(-53) * abs as f64;
        assert!(((got - exact).abs() as f64) <= bound, "row {o}: {got} vs {exact} (bound {bound})");
        assert_ne!(got, 0);
    }
}

#[test]
fn empty_reductions_give_the_identity_or_an_error() {
    let input = device().upload(&Array::from_vec(vec![1i32; 4], [4]).unwrap()).unwrap();
    let v = V { off: 0, outer: 2, r: 0, inner: 1, so: 1, sr: 1, si: 1 };
    assert_eq!(run(ReduceOp::Sum, DType::I32, &input, v).unwrap(), [0, 0]);
    assert_eq!(run(ReduceOp::Prod, DType::I32, &input, v).unwrap(), [1, 1]);
    assert_eq!(run(ReduceOp::Any, DType::I32, &input, v).unwrap(), [0, 0]);
    assert_eq!(run(ReduceOp::All, DType::I32, &input, v).unwrap(), [1, 1]);
    match run(ReduceOp::Max, DType::I32, &input, v) {
        Err(Error::InvalidArgument { op: "max", reason }) => assert!(reason.contains("empty"), "{reason}"),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn errors_name_the_op() {
    let input = device().upload(&Array::from_vec(vec![1f64; 4], [4]).unwrap()).unwrap();
    let v = V { off: 0, outer: 1, r: 4, inner: 1, so: 4, sr: 1, si: 1 };
    let far = V { r: 1 << 20, ..v };
    match run(ReduceOp::Any, DType::F64, &input, far) {
        Err(Error::InvalidArgument { op: "any", reason }) => assert!(reason.contains("buffer"), "{reason}"),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn a_source_past_one_binding_is_split_without_changing_the_bits() {
    let dev = device();
    let max = dev.limits().max_storage_buffer_binding_size as usize;
    let mut rng = StdRng::seed_from_u64(12);
    for d in [DType::F32, DType::F64] {
        let n = max / d.size_in_bytes() + 3_000_017; // past one binding
        let bits: Vec<u64> = (0..n)
            .map(|_| match d {
                DType::F32 => u64::from(rng.random_range(-1.0f32..1.0).to_bits()),
                _ => rng.random_range(-1.0f64..1.0).to_bits(),
            })
            .collect();
        let input = dev.upload(&to_array(d, &bits)).unwrap();
        let v = V { off: 0, outer: 1, r: n, inner: 1, so: 0, sr: 1, si: 1 };
        assert_eq!(run(ReduceOp::Sum, d, &input, v).unwrap(), reference(ReduceOp::Sum, d, &bits, v), "{d}");
        // Two rows, each a binding's worth: split along outer.
        let v2 = V { off: 0, outer: 2, r: n / 2, inner: 1, so: (n / 2) as isize, sr: 1, si: 1 };
        assert_eq!(run(ReduceOp::Max, d, &input, v2).unwrap(), reference(ReduceOp::Max, d, &bits, v2), "{d}");
    }
}
