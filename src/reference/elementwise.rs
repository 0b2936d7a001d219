//! The host reference of the elementwise ops: [`binary`], [`unary`], [`where_cond`] over [`Array`]s with numpy
//! broadcasting, and [`unary_f64`] for one value. Every rule of the [`ops`](crate::ops) module's table is written
//! out here in plain Rust, one element at a time:
//!
//! | dtype | how the reference computes |
//! |---|---|
//! | integers | Rust's `wrapping_*` (`add sub mul neg abs`, `square` = `wrapping_mul(x, x)`); `x / 0 = 0`, `x % 0 = 0`, otherwise `wrapping_div` / `wrapping_rem` (so `MIN / -1 = MIN`, `MIN % -1 = 0`); `shl`/`shr` are `wrapping_shl` / `wrapping_shr` of the count's low bits (the count modulo the bit width; `shr` of a signed type is arithmetic); `sign` is `signum` (unsigned: 0 or 1); `relu` is `max(x, 0)`; `floor ceil round trunc` return `x`; `is_nan is_inf` are false |
//! | f32, f64 | Rust's operators (IEEE 754, correctly rounded), `rem` = `%` (C `fmod`, exact), `sqrt`, `recip` = `1 / x`, `square` = `x * x`, `floor ceil trunc`, `round` = `round_ties_even` |
//! | f16, bf16 | widened exactly to f32, computed there, rounded once: `f16::from_f32(a.to_f32() op b.to_f32())` |
//! | floats | `minimum`/`maximum`: a NaN operand gives NaN, −0 < +0; comparisons are Rust's (IEEE); `sign`: NaN and ±0 stay, else ±1; `relu`: NaN stays, x ≤ 0 (−0 included) gives +0 |
//! | Bool | `bitand bitor bitxor not` logical; comparisons with false < true; `is_nan is_inf` false |
//! | pow (f32, f16, bf16) | Rust's f64 `powf` (C99 special values: `pow(x, ±0) = 1`, `pow(1, y) = 1`, `pow(−1, ±inf) = 1`, …) rounded once to the dtype; like the transcendentals, compared in ULPs |
//! | transcendentals | computed in f64 by Rust's std (`exp ln sin cos tanh`), `sigmoid` = 1 / (1 + e⁻ˣ), `gelu` = x·Φ(x) = ½·x·(1 + erf(x/√2)), evaluated as ½·x·erfc(−x/√2) (the same function, without the cancellation of 1 + erf for x ≪ 0; `libm`'s erfc), then rounded once to the dtype. Not correctly rounded (an f64 result can sit within 2⁻²⁹ ULP of an f32 tie), so device results are compared in ULPs, not bits |
//!
//! NaN results: the reference returns whatever NaN Rust produces; the device's payload may differ (it propagates a
//! NaN operand quieted, and gives the default NaN for invalid operations), so compare NaN-ness only.

use std::f64::consts::FRAC_1_SQRT_2;

use half::{bf16, f16};

use crate::{Array, BinaryOp, CastPolicy, DType, Element, Error, Result, UnaryOp, broadcast_shapes, cast_bits};

/// `a op b` with numpy broadcasting, exactly as [`DeviceTensor::binary`](crate::DeviceTensor::binary) computes it
/// on every adapter (see the module table for the rules).
///
/// ```
/// use wgpu_tensor::{reference, Array, BinaryOp};
/// let a = Array::from_vec(vec![1.0f32, -0.0, f32::NAN], [3, 1])?;
/// let b = Array::from_vec(vec![0.0f32, 2.0], [2])?;
/// let m = reference::binary(BinaryOp::Minimum, &a, &b)?; // [3, 1] with [2] → [3, 2]
/// assert_eq!(m.shape(), [3, 2]);
/// let m = m.to_vec::<f32>()?;
/// assert_eq!(m[..4], [0.0, 1.0, -0.0, -0.0]);
/// assert!(m[2].is_sign_negative() && m[4].is_nan() && m[5].is_nan()); // −0 < +0; NaN propagates
/// let q = reference::binary(BinaryOp::Shr, &Array::from(vec![-128i8]), &Array::from(vec![9i8]))?;
/// assert_eq!(q.to_vec::<i8>()?, [-64]); // count mod 8, arithmetic shift
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
///
/// # Errors
/// [`Error::OpDTypeMismatch`] naming the op and both dtypes; [`Error::UnsupportedDType`] when the op has no meaning
/// on the dtype ([`BinaryOp::result_dtype`]); [`Error::Broadcast`] naming both shapes; [`Error::ShapeOverflow`] /
/// [`Error::HostOutOfMemory`] when the result cannot be allocated.
pub fn binary(op: BinaryOp, a: &Array, b: &Array) -> Result<Array> {
    let name = op.name();
    if a.dtype() != b.dtype() {
        return Err(Error::OpDTypeMismatch { op: name, lhs: a.dtype(), rhs: b.dtype() });
    }
    op.result_dtype(a.dtype())?;
    let shape = broadcast_shapes(name, a.shape(), b.shape())?;
    let s = shape.as_slice();
    match a.dtype() {
        DType::Bool => map2(a, b, s, |x: bool, y: bool| bool_binary(op, x, y)),
        DType::U8 => int_binary::<u8>(op, a, b, s),
        DType::I8 => int_binary::<i8>(op, a, b, s),
        DType::U16 => int_binary::<u16>(op, a, b, s),
        DType::I16 => int_binary::<i16>(op, a, b, s),
        DType::U32 => int_binary::<u32>(op, a, b, s),
        DType::I32 => int_binary::<i32>(op, a, b, s),
        DType::U64 => int_binary::<u64>(op, a, b, s),
        DType::I64 => int_binary::<i64>(op, a, b, s),
        DType::F16 => {
            float_binary(op, a, b, s, (f16::to_f32, f16::from_f32), |v| f16::from_bits(narrow_f64(DType::F16, v)))
        }
        DType::BF16 => {
            float_binary(op, a, b, s, (bf16::to_f32, bf16::from_f32), |v| bf16::from_bits(narrow_f64(DType::BF16, v)))
        }
        DType::F32 => float_binary(op, a, b, s, (|x: f32| x, |x| x), |v| v as f32),
        DType::F64 => float_binary(op, a, b, s, (|x: f64| x, |x| x), |v| v),
    }
}

/// `op x` for every element, exactly as [`DeviceTensor::unary`](crate::DeviceTensor::unary) computes it (for the
/// transcendentals: the f64 value rounded once to the dtype, which the device matches within its measured ULPs).
///
/// ```
/// use half::f16;
/// use wgpu_tensor::{reference, Array, UnaryOp};
/// let x = Array::from(vec![0.5f32, 1.5, 2.5, -0.5, -0.0]);
/// let r = reference::unary(UnaryOp::Round, &x)?.to_vec::<f32>()?;
/// assert_eq!(r, [0.0, 2.0, 2.0, -0.0, -0.0]); // half to even
/// assert!(r[3].is_sign_negative());
/// let relu = reference::unary(UnaryOp::Relu, &x)?.to_vec::<f32>()?;
/// assert!(relu[4].is_sign_positive()); // relu(−0) = +0
/// let h = Array::from(vec![f16::from_f32(2.0)]);
/// assert_eq!(reference::unary(UnaryOp::Sqrt, &h)?.to_vec::<f16>()?, [f16::from_f32(2f32.sqrt())]);
/// assert!(reference::unary(UnaryOp::Sqrt, &Array::from(vec![4i32])).is_err()); // cast first
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
///
/// # Errors
/// [`Error::UnsupportedDType`] when the op has no meaning on the dtype ([`UnaryOp::result_dtype`]: e.g. `sqrt` of an
/// integer, or a transcendental of f64); [`Error::HostOutOfMemory`] when the result cannot be allocated.
pub fn unary(op: UnaryOp, a: &Array) -> Result<Array> {
    op.result_dtype(a.dtype())?;
    match a.dtype() {
        DType::Bool => map1(a, |x: bool| op == UnaryOp::Not && !x),
        DType::U8 => int_unary::<u8>(op, a),
        DType::I8 => int_unary::<i8>(op, a),
        DType::U16 => int_unary::<u16>(op, a),
        DType::I16 => int_unary::<i16>(op, a),
        DType::U32 => int_unary::<u32>(op, a),
        DType::I32 => int_unary::<i32>(op, a),
        DType::U64 => int_unary::<u64>(op, a),
        DType::I64 => int_unary::<i64>(op, a),
        DType::F16 => float_unary(op, a, f16::to_f32, f16::from_f32, |v| f16::from_bits(narrow_f64(DType::F16, v))),
        DType::BF16 => {
            float_unary(op, a, bf16::to_f32, bf16::from_f32, |v| bf16::from_bits(narrow_f64(DType::BF16, v)))
        }
        DType::F32 => float_unary(op, a, |x: f32| x, |x| x, |v| v as f32),
        DType::F64 => float_unary(op, a, |x: f64| x, |x| x, |v| v),
    }
}

/// `op x` on one value, computed in f64: the reference the accuracy of the transcendentals is measured against
/// (Rust std's `exp ln sin cos tanh`, sigmoid = 1 / (1 + e⁻ˣ), gelu = ½·x·erfc(−x/√2) with `libm`'s erfc, all
/// far more accurate than an f32 ULP), and the f64 rules of [`unary`] for the other ops. `is_nan` / `is_inf` give
/// 1.0 or 0.0.
///
/// ```
/// use wgpu_tensor::{reference, UnaryOp};
/// assert_eq!(reference::unary_f64(UnaryOp::Gelu, 0.0)?, 0.0);
/// assert_eq!(reference::unary_f64(UnaryOp::Gelu, f64::NEG_INFINITY)?, 0.0); // −0
/// assert!((reference::unary_f64(UnaryOp::Gelu, -10.0)? + 7.619853e-23).abs() < 1e-28);
/// assert_eq!(reference::unary_f64(UnaryOp::Sigmoid, f64::INFINITY)?, 1.0);
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
///
/// # Errors
/// [`Error::UnsupportedDType`] for `not`, which has no meaning on a float.
pub fn unary_f64(op: UnaryOp, x: f64) -> Result<f64> {
    match op {
        UnaryOp::Not => Err(Error::UnsupportedDType {
            op: op.name(),
            dtype: DType::F64,
            reason: "not takes integer or bool values, not a float".into(),
        }),
        UnaryOp::IsNan => Ok(if x.is_nan() { 1.0 } else { 0.0 }),
        UnaryOp::IsInf => Ok(if x.is_infinite() { 1.0 } else { 0.0 }),
        _ if op.is_transcendental() => Ok(transcendental(op, x)),
        _ => Ok(real_unary(op, x)),
    }
}

/// `on_true` where `cond` is true, else `on_false`; all three broadcast together (numpy `where`), exactly as
/// [`DeviceTensor::where_cond`](crate::DeviceTensor::where_cond): the selected element's bytes, unchanged.
///
/// ```
/// use wgpu_tensor::{reference, Array};
/// let cond = Array::from_vec(vec![true, false], [2, 1])?;
/// let r = reference::where_cond(&cond, &Array::from(vec![1u16, 2, 3]), &Array::scalar(0u16))?;
/// assert_eq!((r.shape(), r.to_vec::<u16>()?), (&[2, 3][..], vec![1, 2, 3, 0, 0, 0]));
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
///
/// # Errors
/// [`Error::UnsupportedDType`] when `cond` is not Bool; [`Error::OpDTypeMismatch`] when the branches differ in
/// dtype; [`Error::Broadcast`]; [`Error::ShapeOverflow`] / [`Error::HostOutOfMemory`] for an unallocatable result.
pub fn where_cond(cond: &Array, on_true: &Array, on_false: &Array) -> Result<Array> {
    const OP: &str = "where_cond";
    if cond.dtype() != DType::Bool {
        let reason = format!("the condition is {}; give a Bool tensor (e.g. from a comparison)", cond.dtype());
        return Err(Error::UnsupportedDType { op: OP, dtype: cond.dtype(), reason });
    }
    if on_true.dtype() != on_false.dtype() {
        return Err(Error::OpDTypeMismatch { op: OP, lhs: on_true.dtype(), rhs: on_false.dtype() });
    }
    let shape = broadcast_shapes(OP, cond.shape(), on_true.shape())?;
    let shape = broadcast_shapes(OP, &shape, on_false.shape())?;
    let size = on_true.dtype().size_in_bytes();
    let mut out = Array::zeros(on_true.dtype(), &shape)?;
    let (c, t, f) = (cond.as_bytes(), on_true.as_bytes(), on_false.as_bytes());
    let at = Indices::new(cond.shape(), &shape)
        .zip(Indices::new(on_true.shape(), &shape))
        .zip(Indices::new(on_false.shape(), &shape));
    for (chunk, ((i, j), k)) in out.as_bytes_mut_unchecked().chunks_exact_mut(size).zip(at) {
        let (src, e) = if c[i] != 0 { (t, j) } else { (f, k) };
        chunk.copy_from_slice(&src[e * size..(e + 1) * size]);
    }
    Ok(out)
}

/// The flat indices (row-major) of an operand of shape `dims` read at each index of the broadcast shape `out`, in
/// `out`'s row-major order. `dims` must broadcast to `out` (checked by the caller).
struct Indices {
    /// The operand's stride per dim of `out` (0 where it broadcasts).
    strides: Vec<usize>,
    out: Vec<usize>,
    counter: Vec<usize>,
    next: usize,
    left: usize,
}

impl Indices {
    fn new(dims: &[usize], out: &[usize]) -> Indices {
        let n = out.len();
        let mut strides = vec![0; n];
        let mut stride = 1;
        for (k, &d) in dims.iter().enumerate().rev() {
            strides[k + n - dims.len()] = if d == 1 { 0 } else { stride };
            stride *= d;
        }
        // An overflowing count is refused when the result is allocated; iterate nothing meanwhile.
        let left = out.iter().try_fold(1usize, |p, &d| p.checked_mul(d)).unwrap_or(0);
        Indices { strides, out: out.to_vec(), counter: vec![0; n], next: 0, left }
    }
}

impl Iterator for Indices {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let current = self.next;
        for k in (0..self.out.len()).rev() {
            self.counter[k] += 1;
            self.next += self.strides[k];
            if self.counter[k] < self.out[k] {
                break;
            }
            self.next -= self.strides[k] * self.out[k];
            self.counter[k] = 0;
        }
        Some(current)
    }
}

/// Element `i` of `a` as a `T` (`T` is `a`'s element type).
fn reader<T: Element>(a: &Array) -> impl Fn(usize) -> T + '_ {
    let size = a.dtype().size_in_bytes();
    let bytes = a.as_bytes();
    move |i| T::read_le_bytes(&bytes[i * size..(i + 1) * size])
}

/// `f` over the broadcast pairs of `a` and `b` into a new array of `shape`.
fn map2<T: Element, R: Element>(a: &Array, b: &Array, shape: &[usize], f: impl Fn(T, T) -> R) -> Result<Array> {
    let (x, y) = (reader::<T>(a), reader::<T>(b));
    let values = Indices::new(a.shape(), shape).zip(Indices::new(b.shape(), shape)).map(|(i, j)| f(x(i), y(j)));
    Array::from_exact_iter(R::DTYPE, shape.into(), values)
}

/// `f` over the elements of `a` into a new array of its shape.
fn map1<T: Element, R: Element>(a: &Array, f: impl Fn(T) -> R) -> Result<Array> {
    let x = reader::<T>(a);
    Array::from_exact_iter(R::DTYPE, a.shape().into(), (0..a.len()).map(|i| f(x(i))))
}

/// The IEEE comparison `op` (false for an op that is not a comparison).
fn compare<T: PartialOrd>(op: BinaryOp, x: T, y: T) -> bool {
    match op {
        BinaryOp::Eq => x == y,
        BinaryOp::Ne => x != y,
        BinaryOp::Lt => x < y,
        BinaryOp::Le => x <= y,
        BinaryOp::Gt => x > y,
        BinaryOp::Ge => x >= y,
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => false,
        BinaryOp::Minimum | BinaryOp::Maximum | BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor => false,
        BinaryOp::Shl | BinaryOp::Shr | BinaryOp::Pow => false,
    }
}

fn bool_binary(op: BinaryOp, x: bool, y: bool) -> bool {
    use BinaryOp::*;
    match op {
        BitAnd => x & y,
        BitOr => x | y,
        BitXor => x ^ y,
        Eq | Ne | Lt | Le | Gt | Ge => compare(op, x, y),
        Add | Sub | Mul | Div | Rem | Minimum | Maximum | Pow | Shl | Shr => x, // refused by `result_dtype`
    }
}

/// The integer rules, one method per op.
trait Int: Element + Ord {
    const ZERO: Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    fn rem(self, o: Self) -> Self;
    fn and(self, o: Self) -> Self;
    fn or(self, o: Self) -> Self;
    fn xor(self, o: Self) -> Self;
    fn shl(self, o: Self) -> Self;
    fn shr(self, o: Self) -> Self;
    fn neg(self) -> Self;
    fn abs(self) -> Self;
    fn sign(self) -> Self;
    fn not(self) -> Self;
}

macro_rules! impl_int {
    ($($t:ty: $abs:expr, $sign:expr;)*) => {$(
        impl Int for $t {
            const ZERO: Self = 0;
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            fn div(self, o: Self) -> Self { if o == 0 { 0 } else { self.wrapping_div(o) } }
            fn rem(self, o: Self) -> Self { if o == 0 { 0 } else { self.wrapping_rem(o) } }
            fn and(self, o: Self) -> Self { self & o }
            fn or(self, o: Self) -> Self { self | o }
            fn xor(self, o: Self) -> Self { self ^ o }
            // `as u32` keeps the count's low bits; `wrapping_sh*` takes them modulo the bit width.
            fn shl(self, o: Self) -> Self { self.wrapping_shl(o as u32) }
            fn shr(self, o: Self) -> Self { self.wrapping_shr(o as u32) }
            fn neg(self) -> Self { self.wrapping_neg() }
            fn abs(self) -> Self { $abs(self) }
            fn sign(self) -> Self { $sign(self) }
            fn not(self) -> Self { !self }
        }
    )*};
}

impl_int! {
    u8: |x| x, |x| (x != 0) as u8;
    u16: |x| x, |x| (x != 0) as u16;
    u32: |x| x, |x| (x != 0) as u32;
    u64: |x| x, |x| (x != 0) as u64;
    i8: i8::wrapping_abs, i8::signum;
    i16: i16::wrapping_abs, i16::signum;
    i32: i32::wrapping_abs, i32::signum;
    i64: i64::wrapping_abs, i64::signum;
}

fn int_binary<T: Int>(op: BinaryOp, a: &Array, b: &Array, shape: &[usize]) -> Result<Array> {
    use BinaryOp::*;
    if op.is_comparison() {
        return map2(a, b, shape, |x: T, y: T| compare(op, x, y));
    }
    map2(a, b, shape, |x: T, y: T| match op {
        Add => x.add(y),
        Sub => x.sub(y),
        Mul => x.mul(y),
        Div => x.div(y),
        Rem => x.rem(y),
        Minimum => x.min(y),
        Maximum => x.max(y),
        BitAnd => x.and(y),
        BitOr => x.or(y),
        BitXor => x.xor(y),
        Shl => x.shl(y),
        Shr => x.shr(y),
        Eq | Ne | Lt | Le | Gt | Ge => x, // comparisons: above
        Pow => x,                         // refused by `result_dtype`
    })
}

fn int_unary<T: Int>(op: UnaryOp, a: &Array) -> Result<Array> {
    use UnaryOp::*;
    if matches!(op, IsNan | IsInf) {
        return map1(a, |_: T| false);
    }
    map1(a, |x: T| match op {
        Neg => x.neg(),
        Abs => x.abs(),
        Sign => x.sign(),
        Not => x.not(),
        Square => x.mul(x),
        Relu => x.max(T::ZERO),
        Floor | Ceil | Round | Trunc => x,
        IsNan | IsInf => x,                                                // above
        Sqrt | Recip | Exp | Log | Sin | Cos | Tanh | Sigmoid | Gelu => x, // refused by `result_dtype`
    })
}

/// f32 and f64: the types the float rules are written in (f16 and bf16 compute in f32).
trait Real:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Rem<Output = Self>
    + std::ops::Neg<Output = Self>
{
    const ZERO: Self;
    const ONE: Self;
    fn is_nan(self) -> bool;
    fn is_infinite(self) -> bool;
    fn is_sign_negative(self) -> bool;
    fn abs(self) -> Self;
    fn sqrt(self) -> Self;
    fn floor(self) -> Self;
    fn ceil(self) -> Self;
    fn round_ties_even(self) -> Self;
    fn trunc(self) -> Self;
    fn to_f64(self) -> f64;
    /// Rounded once to the nearest value (ties to even).
    fn from_f64(x: f64) -> Self;
}

macro_rules! impl_real {
    ($($t:ident),*) => {$(
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            fn is_nan(self) -> bool { $t::is_nan(self) }
            fn is_infinite(self) -> bool { $t::is_infinite(self) }
            fn is_sign_negative(self) -> bool { $t::is_sign_negative(self) }
            fn abs(self) -> Self { $t::abs(self) }
            fn sqrt(self) -> Self { $t::sqrt(self) }
            fn floor(self) -> Self { $t::floor(self) }
            fn ceil(self) -> Self { $t::ceil(self) }
            fn round_ties_even(self) -> Self { $t::round_ties_even(self) }
            fn trunc(self) -> Self { $t::trunc(self) }
            fn to_f64(self) -> f64 { self as f64 }
            fn from_f64(x: f64) -> Self { x as $t }
        }
    )*};
}

impl_real!(f32, f64);

/// min with NaN propagation and −0 < +0 (PyTorch `minimum`, IEEE 754-2019 `minimum`).
fn minimum<F: Real>(x: F, y: F) -> F {
    if x.is_nan() {
        x
    } else if y.is_nan() {
        y
    } else if x < y || (x == y && x.is_sign_negative()) {
        x // on equality −0 is the smaller zero
    } else {
        y
    }
}

/// max with NaN propagation and −0 < +0 (PyTorch `maximum`).
fn maximum<F: Real>(x: F, y: F) -> F {
    if x.is_nan() {
        x
    } else if y.is_nan() {
        y
    } else if x > y || (x == y && y.is_sign_negative()) {
        x // on equality +0 is the larger zero
    } else {
        y
    }
}

fn real_binary<F: Real>(op: BinaryOp, x: F, y: F) -> F {
    use BinaryOp::*;
    match op {
        Add => x + y,
        Sub => x - y,
        Mul => x * y,
        Div => x / y,
        Rem => x % y,
        Minimum => minimum(x, y),
        Maximum => maximum(x, y),
        Pow => F::from_f64(x.to_f64().powf(y.to_f64())),
        Eq | Ne | Lt | Le | Gt | Ge => x,         // comparisons: in `float_binary`
        BitAnd | BitOr | BitXor | Shl | Shr => x, // refused by `result_dtype`
    }
}

/// Widening of a dtype's values to the type the rules are computed in, and rounding back.
type Convert<T, F> = (fn(T) -> F, fn(F) -> T);

fn float_binary<T: Element, F: Real>(
    op: BinaryOp,
    a: &Array,
    b: &Array,
    shape: &[usize],
    (widen, narrow): Convert<T, F>,
    from_f64: fn(f64) -> T,
) -> Result<Array> {
    if op.is_comparison() {
        return map2(a, b, shape, |x: T, y: T| compare(op, widen(x), widen(y)));
    }
    if op == BinaryOp::Pow {
        // Rounded once from f64 (for halves not through f32: that would round twice).
        return map2(a, b, shape, |x: T, y: T| from_f64(widen(x).to_f64().powf(widen(y).to_f64())));
    }
    map2(a, b, shape, |x: T, y: T| narrow(real_binary(op, widen(x), widen(y))))
}

/// The transcendental `op` in f64 (see [`unary_f64`]); `x` for the other ops.
fn transcendental(op: UnaryOp, x: f64) -> f64 {
    use UnaryOp::*;
    match op {
        Exp => x.exp(),
        Log => x.ln(),
        Sin => x.sin(),
        Cos => x.cos(),
        Tanh => x.tanh(),
        Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Gelu if x == f64::NEG_INFINITY => -0.0,
        Gelu => 0.5 * x * libm::erfc(-x * FRAC_1_SQRT_2),
        Neg | Abs | Sign | Not | Sqrt | Recip | Square | Relu | Floor | Ceil | Round | Trunc | IsNan | IsInf => x,
    }
}

/// The non-transcendental float rules.
fn real_unary<F: Real>(op: UnaryOp, x: F) -> F {
    use UnaryOp::*;
    match op {
        Neg => -x,
        Abs => x.abs(),
        Sign if x.is_nan() || x == F::ZERO => x,
        Sign if x > F::ZERO => F::ONE,
        Sign => -F::ONE,
        Sqrt => x.sqrt(),
        Recip => F::ONE / x,
        Square => x * x,
        Relu if x.is_nan() || x > F::ZERO => x,
        Relu => F::ZERO,
        Floor => x.floor(),
        Ceil => x.ceil(),
        Round => x.round_ties_even(),
        Trunc => x.trunc(),
        Exp | Log | Sin | Cos | Tanh | Sigmoid | Gelu => F::from_f64(transcendental(op, x.to_f64())),
        Not | IsNan | IsInf => x, // handled by the callers
    }
}

/// An f64 value rounded once to the bits of the half format `to` (exact, unlike `f16::from_f64` on F16C CPUs).
fn narrow_f64(to: DType, v: f64) -> u16 {
    cast_bits(DType::F64, to, CastPolicy::Wrap, v.to_bits()) as u16
}

fn float_unary<T: Element, F: Real>(
    op: UnaryOp,
    a: &Array,
    widen: fn(T) -> F,
    narrow: fn(F) -> T,
    from_f64: fn(f64) -> T,
) -> Result<Array> {
    match op {
        UnaryOp::IsNan => map1(a, |x: T| widen(x).is_nan()),
        UnaryOp::IsInf => map1(a, |x: T| widen(x).is_infinite()),
        _ if op.is_transcendental() => map1(a, |x: T| from_f64(transcendental(op, widen(x).to_f64()))),
        _ => map1(a, |x: T| narrow(real_unary(op, widen(x)))),
    }
}
