//! The exact host reference cast: the oracle the device kernels are tested against, and [`Array::cast`].
//!
//! Every element is decoded into an exact value ([`Value`]: an integer of up to 65 bits with a sign, or a float
//! `± sig × 2^exp` with a 64-bit significand, ±inf or NaN with its payload) and encoded once into the target, so
//! nothing is ever rounded twice. Where Rust has the pair, the result equals Rust's `as` (tested below); where it
//! does not (f16/bf16 targets from 32/64-bit floats and from integers), it is round-to-nearest-even from the exact
//! source value (tested against a brute-force nearest-representable search).

use crate::{Array, DType, Result};

use super::CastPolicy;

/// An IEEE-754 binary interchange format: exponent bits and stored mantissa bits.
#[derive(Clone, Copy, Debug)]
struct Fmt {
    exp_bits: u32,
    man_bits: u32,
}

impl Fmt {
    const fn of(dtype: DType) -> Option<Fmt> {
        match dtype.float_format() {
            Some(f) => Some(Fmt { exp_bits: f.exp_bits, man_bits: f.man_bits }),
            None => None,
        }
    }
    const fn bias(self) -> i32 {
        (1 << (self.exp_bits - 1)) - 1
    }
    const fn exp_max(self) -> u64 {
        (1 << self.exp_bits) - 1
    }
    const fn sign_bit(self) -> u64 {
        1 << (self.exp_bits + self.man_bits)
    }
    const fn man_mask(self) -> u64 {
        (1 << self.man_bits) - 1
    }
    const fn inf(self) -> u64 {
        self.exp_max() << self.man_bits
    }
}

/// The exact value of one element.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Value {
    /// An integer (or bool) `(-1)^neg × mag`; `neg` is never set with `mag == 0`.
    Int { neg: bool, mag: u64 },
    /// A finite float `(-1)^neg × sig × 2^exp` (zero when `sig == 0`).
    Finite { neg: bool, sig: u64, exp: i32 },
    /// ±infinity.
    Inf { neg: bool },
    /// NaN with its sign and its stored mantissa bits (`man_bits` wide).
    Nan { neg: bool, payload: u64, man_bits: u32 },
}

fn int_info(dtype: DType) -> Option<(u32, bool)> {
    match dtype {
        DType::U8 => Some((8, false)),
        DType::I8 => Some((8, true)),
        DType::U16 => Some((16, false)),
        DType::I16 => Some((16, true)),
        DType::U32 => Some((32, false)),
        DType::I32 => Some((32, true)),
        DType::U64 => Some((64, false)),
        DType::I64 => Some((64, true)),
        _ => None,
    }
}

fn low_mask(bits: u32) -> u64 {
    if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 }
}

fn decode(dtype: DType, bits: u64) -> Value {
    let bits = bits & low_mask(dtype.size_in_bits() as u32);
    if dtype == DType::Bool {
        return Value::Int { neg: false, mag: u64::from(bits != 0) };
    }
    if let Some((n, signed)) = int_info(dtype) {
        let negative = signed && (bits >> (n - 1)) & 1 == 1;
        let mag = if negative { (bits | !low_mask(n)).wrapping_neg() } else { bits };
        return Value::Int { neg: negative, mag };
    }
    let f = Fmt::of(dtype).expect("float dtype");
    let neg = bits & f.sign_bit() != 0;
    let e = (bits >> f.man_bits) & f.exp_max();
    let m = bits & f.man_mask();
    if e == f.exp_max() {
        if m == 0 { Value::Inf { neg } } else { Value::Nan { neg, payload: m, man_bits: f.man_bits } }
    } else if e == 0 {
        Value::Finite { neg, sig: m, exp: 1 - f.bias() - f.man_bits as i32 }
    } else {
        Value::Finite { neg, sig: m | (1 << f.man_bits), exp: e as i32 - f.bias() - f.man_bits as i32 }
    }
}

/// Rounds `(-1)^neg × sig × 2^exp` to `f` with round-to-nearest-even, keeping subnormals and overflowing to ±inf.
/// Returns the bits and whether the result differs from the exact value.
fn round_pack(f: Fmt, neg: bool, sig: u64, exp: i32) -> (u64, bool) {
    let sign = if neg { f.sign_bit() } else { 0 };
    if sig == 0 {
        return (sign, false);
    }
    let p = 63 - sig.leading_zeros() as i32; // position of the leading one
    let ue = p + exp; // unbiased exponent of the value
    if ue > f.bias() {
        return (sign | f.inf(), true);
    }
    let emin = 1 - f.bias();
    let lsb = ue.max(emin) - f.man_bits as i32; // exponent of the result's last significand bit
    let shift = lsb - exp;
    let (q, inexact) = if shift <= 0 {
        (sig << (-shift) as u32, false) // exact: the result has at most man_bits + 1 bits
    } else {
        let s = shift as u32;
        let q = if s >= 64 { 0 } else { sig >> s };
        let half = if s > 64 { false } else { (sig >> (s - 1)) & 1 == 1 };
        let sticky = if s > 64 { true } else { sig & low_mask(s - 1) != 0 };
        let up = half && (sticky || q & 1 == 1);
        (q + u64::from(up), half || sticky)
    };
    // The biased exponent minus one; adding q (which holds the hidden bit for normals) carries into the exponent.
    let base = (ue.max(emin) + f.bias() - 1) as u64;
    let bits = (base << f.man_bits) + q;
    if bits >= f.inf() { (sign | f.inf(), true) } else { (sign | bits, inexact) }
}

fn encode_float(f: Fmt, v: Value) -> (u64, bool) {
    match v {
        Value::Int { neg, mag } => round_pack(f, neg, mag, 0),
        Value::Finite { neg, sig, exp } => round_pack(f, neg, sig, exp),
        Value::Inf { neg } => ((if neg { f.sign_bit() } else { 0 }) | f.inf(), false),
        Value::Nan { neg, payload, man_bits } => {
            let p = if f.man_bits <= man_bits {
                payload >> (man_bits - f.man_bits)
            } else {
                payload << (f.man_bits - man_bits)
            };
            let quiet = 1 << (f.man_bits - 1);
            ((if neg { f.sign_bit() } else { 0 }) | f.inf() | p | quiet, false)
        }
    }
}

/// The value truncated toward zero as an `i128` (saturated far outside the 64-bit range), and whether a fraction
/// was dropped. `None` for NaN.
fn trunc(v: Value) -> Option<(i128, bool)> {
    const BIG: i128 = 1 << 70;
    let (neg, mag, frac) = match v {
        Value::Int { neg, mag } => (neg, mag as i128, false),
        Value::Inf { neg } => (neg, BIG, true),
        Value::Nan { .. } => return None,
        Value::Finite { neg, sig, exp } => {
            if sig == 0 {
                (neg, 0, false)
            } else if exp >= 0 {
                let len = 64 - sig.leading_zeros() as i32;
                if len + exp > 66 { (neg, BIG, false) } else { (neg, (sig as i128) << exp, false) }
            } else if -exp >= 64 {
                (neg, 0, true)
            } else {
                let s = (-exp) as u32;
                (neg, (sig >> s) as i128, sig & low_mask(s) != 0)
            }
        }
    };
    Some((if neg { -mag } else { mag }, frac))
}

fn encode_int(to: DType, v: Value, policy: CastPolicy) -> (u64, bool) {
    let (n, signed) = int_info(to).expect("integer dtype");
    let (min, max): (i128, i128) =
        if signed { (-(1i128 << (n - 1)), (1i128 << (n - 1)) - 1) } else { (0, (1i128 << n) - 1) };
    let Some((x, frac)) = trunc(v) else { return (0, true) };
    let in_range = (min..=max).contains(&x);
    let from_float = !matches!(v, Value::Int { .. });
    let y = if from_float || policy == CastPolicy::Saturate { x.clamp(min, max) } else { x };
    ((y as u128 as u64) & low_mask(n), frac || !in_range)
}

/// The exact value of `v` is 0 or 1 (so a cast to bool keeps it).
fn is_zero_or_one(v: Value) -> bool {
    match v {
        Value::Int { neg, mag } => !neg && mag <= 1,
        Value::Finite { neg, sig, exp } => sig == 0 || (!neg && exp <= 0 && -exp < 64 && sig == 1 << (-exp)),
        _ => false,
    }
}

fn is_nonzero(v: Value) -> bool {
    match v {
        Value::Int { mag, .. } => mag != 0,
        Value::Finite { sig, .. } => sig != 0,
        Value::Inf { .. } | Value::Nan { .. } => true,
    }
}

/// Casts one element given as its bits (zero-extended into a `u64`), with `policy` for integer → integer.
/// Returns the target's bits (zero-extended) and whether the value changed (see the rules in [`crate::cast`]).
pub(crate) fn cast_bits_lossy(from: DType, to: DType, policy: CastPolicy, bits: u64) -> (u64, bool) {
    let bits = bits & low_mask(from.size_in_bits() as u32);
    if from == to {
        return (bits, false);
    }
    let v = decode(from, bits);
    if to == DType::Bool {
        return (u64::from(is_nonzero(v)), !is_zero_or_one(v));
    }
    if let Some(f) = Fmt::of(to) {
        return encode_float(f, v);
    }
    encode_int(to, v, policy)
}

/// The exact host cast of one element from its bits: `bits` holds a `from` element in its low
/// `from.size_in_bits()` bits (higher bits are ignored); the result holds the `to` element, zero-extended.
///
/// The rules are those of [`DeviceTensor::cast_with`](crate::DeviceTensor::cast_with) (see the [`cast`](crate::cast)
/// module docs); `policy` only matters between integer dtypes.
///
/// ```
/// use wgpu_tensor::{cast_bits, CastPolicy, DType};
/// assert_eq!(cast_bits(DType::I32, DType::U8, CastPolicy::Wrap, (-1i32) as u32 as u64), 255);
/// assert_eq!(cast_bits(DType::I32, DType::U8, CastPolicy::Saturate, (-1i32) as u32 as u64), 0);
/// // 2^53 + 1 as i64 -> f32, rounded once (through f64 it would round twice):
/// let x = (1i64 << 53) + 1;
/// assert_eq!(f32::from_bits(cast_bits(DType::I64, DType::F32, CastPolicy::Wrap, x as u64) as u32), x as f32);
/// ```
pub fn cast_bits(from: DType, to: DType, policy: CastPolicy, bits: u64) -> u64 {
    cast_bits_lossy(from, to, policy, bits).0
}

/// `true` when casting the `from` element `bits` to `to` changes its value (what
/// [`DeviceTensor::cast_checked`](crate::DeviceTensor::cast_checked) counts).
///
/// ```
/// use wgpu_tensor::{cast_is_lossy, DType};
/// assert!(cast_is_lossy(DType::F64, DType::F32, 0.1f64.to_bits()));
/// assert!(!cast_is_lossy(DType::F64, DType::F32, 0.5f64.to_bits()));
/// assert!(cast_is_lossy(DType::F32, DType::I32, f32::NAN.to_bits() as u64));
/// ```
pub fn cast_is_lossy(from: DType, to: DType, bits: u64) -> bool {
    cast_bits_lossy(from, to, CastPolicy::Wrap, bits).1
}

fn read_elem(bytes: &[u8], size: usize, i: usize) -> u64 {
    let mut b = [0u8; 8];
    b[..size].copy_from_slice(&bytes[i * size..(i + 1) * size]);
    u64::from_le_bytes(b)
}

impl Array {
    /// The exact host cast to `to` (integer → integer wraps, like Rust `as`); see [`Array::cast_with`].
    ///
    /// # Errors
    /// As [`Array::cast_with`].
    ///
    /// ```
    /// use wgpu_tensor::{Array, DType};
    /// let a = Array::from(vec![i64::MAX, 16_777_217, -1]);
    /// assert_eq!(a.cast(DType::F32)?.to_vec::<f32>()?, [i64::MAX as f32, 16_777_216.0, -1.0]);
    /// assert_eq!(a.cast(DType::U8)?.to_vec::<u8>()?, [255, 1, 255]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    pub fn cast(&self, to: DType) -> Result<Array> {
        self.cast_with(to, CastPolicy::Wrap)
    }

    /// The exact host cast to `to` under `policy`: the same result, bit for bit, as
    /// [`DeviceTensor::cast_with`](crate::DeviceTensor::cast_with) on any adapter (the device kernels are tested
    /// against it). A same-dtype cast is a copy.
    ///
    /// # Errors
    /// [`Error::HostOutOfMemory`](crate::Error::HostOutOfMemory) if the result cannot be allocated;
    /// [`Error::ShapeOverflow`](crate::Error::ShapeOverflow) if it would exceed `isize::MAX` bytes (a wider dtype
    /// than the source's, on a 32-bit target).
    pub fn cast_with(&self, to: DType, policy: CastPolicy) -> Result<Array> {
        let from = self.dtype();
        let mut out = Array::zeros(to, self.shape())?;
        let (ss, ts) = (from.size_in_bytes(), to.size_in_bytes());
        let src = self.as_bytes();
        let dst = out.as_bytes_mut_unchecked();
        for i in 0..self.len() {
            let y = cast_bits(from, to, policy, read_elem(src, ss, i));
            dst[i * ts..(i + 1) * ts].copy_from_slice(&y.to_le_bytes()[..ts]);
        }
        Ok(out)
    }

    /// How many elements [`Array::cast`] to `to` would change (the host twin of
    /// [`DeviceTensor::cast_checked`](crate::DeviceTensor::cast_checked)'s count).
    pub fn count_lossy(&self, to: DType) -> u64 {
        let from = self.dtype();
        let ss = from.size_in_bytes();
        let src = self.as_bytes();
        (0..self.len()).filter(|&i| cast_is_lossy(from, to, read_elem(src, ss, i))).count() as u64
    }
}

#[cfg(test)]
#[path = "host_tests.rs"]
mod tests;
