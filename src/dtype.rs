//! Element types: the [`DType`] enum and the sealed [`Element`] trait that ties each Rust scalar type to it.

use std::fmt;

/// The element type of an [`Array`](crate::Array) or a [`DeviceTensor`](crate::DeviceTensor).
///
/// Thirteen dtypes, each with a fixed little-endian host layout. On the device every dtype is stored in its host
/// byte layout, packed into 32-bit words (see the crate docs), so no shader feature is needed to hold any of them.
///
/// | dtype | Rust type | bytes | notes |
/// |---|---|---|---|
/// | `Bool` | `bool` | 1 | one byte holding 0 or 1, like NumPy and PyTorch |
/// | `U8` / `I8` | `u8` / `i8` | 1 | |
/// | `U16` / `I16` | `u16` / `i16` | 2 | |
/// | `U32` / `I32` | `u32` / `i32` | 4 | |
/// | `U64` / `I64` | `u64` / `i64` | 8 | |
/// | `F16` | [`half::f16`] | 2 | IEEE 754 binary16 |
/// | `BF16` | [`half::bf16`] | 2 | bfloat16: f32's exponent, 8-bit significand |
/// | `F32` | `f32` | 4 | |
/// | `F64` | `f64` | 8 | |
///
/// ```
/// use wgpu_tensor::DType;
/// assert_eq!(DType::I64.size_in_bytes(), 8);
/// assert_eq!(DType::BF16.to_string(), "bf16");
/// assert!(DType::F16.is_float() && !DType::U8.is_signed());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`, one byte holding 0 or 1.
    Bool,
    /// `u8`.
    U8,
    /// `i8`.
    I8,
    /// `u16`.
    U16,
    /// `i16`.
    I16,
    /// `u32`.
    U32,
    /// `i32`.
    I32,
    /// `u64`.
    U64,
    /// `i64`.
    I64,
    /// IEEE 754 half precision ([`half::f16`]).
    F16,
    /// bfloat16 ([`half::bf16`]).
    BF16,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

impl DType {
    /// All thirteen dtypes, in declaration order.
    pub const ALL: [DType; 13] = [
        DType::Bool,
        DType::U8,
        DType::I8,
        DType::U16,
        DType::I16,
        DType::U32,
        DType::I32,
        DType::U64,
        DType::I64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
    ];

    /// Size of one element in bytes, on the host and on the device.
    pub const fn size_in_bytes(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::U16 | DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::U32 | DType::I32 | DType::F32 => 4,
            DType::U64 | DType::I64 | DType::F64 => 8,
        }
    }

    /// Size of one element in bits.
    pub const fn size_in_bits(self) -> usize {
        self.size_in_bytes() * 8
    }

    /// The lower-case name used by NumPy and PyTorch (`"bool"`, `"u8"`, …, `"bf16"`, `"f64"`).
    pub const fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "u8",
            DType::I8 => "i8",
            DType::U16 => "u16",
            DType::I16 => "i16",
            DType::U32 => "u32",
            DType::I32 => "i32",
            DType::U64 => "u64",
            DType::I64 => "i64",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// `true` for `F16`, `BF16`, `F32` and `F64`.
    pub const fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }

    /// `true` for the integer dtypes (`Bool` is neither integer nor float).
    pub const fn is_int(self) -> bool {
        !self.is_float() && !matches!(self, DType::Bool)
    }

    /// `true` for dtypes that can hold negative values (signed integers and floats).
    pub const fn is_signed(self) -> bool {
        matches!(self, DType::I8 | DType::I16 | DType::I32 | DType::I64) || self.is_float()
    }

    /// The IEEE-754 binary format of a float dtype (`None` for integers and `Bool`): the one table of float
    /// formats, used by the host reference and by the WGSL kernels alike.
    ///
    /// ```
    /// use wgpu_tensor::{DType, FloatFormat};
    /// assert_eq!(DType::BF16.float_format(), Some(FloatFormat { exp_bits: 8, man_bits: 7 }));
    /// ```
    pub const fn float_format(self) -> Option<FloatFormat> {
        match self {
            DType::F16 => Some(FloatFormat { exp_bits: 5, man_bits: 10 }),
            DType::BF16 => Some(FloatFormat { exp_bits: 8, man_bits: 7 }),
            DType::F32 => Some(FloatFormat { exp_bits: 8, man_bits: 23 }),
            DType::F64 => Some(FloatFormat { exp_bits: 11, man_bits: 52 }),
            _ => None,
        }
    }
}

/// An IEEE-754 binary interchange format: exponent bits and stored mantissa bits (the hidden bit not counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FloatFormat {
    /// Exponent field width.
    pub exp_bits: u32,
    /// Stored mantissa (fraction) field width.
    pub man_bits: u32,
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A Rust scalar type that is one of the thirteen [`DType`]s.
///
/// Sealed: implemented for `bool`, `u8`, `i8`, `u16`, `i16`, `u32`, `i32`, `u64`, `i64`, [`half::f16`],
/// [`half::bf16`], `f32` and `f64`, and nothing else.
///
/// ```
/// use wgpu_tensor::{DType, Element};
/// assert_eq!(<half::bf16 as Element>::DTYPE, DType::BF16);
/// ```
pub trait Element: sealed::Sealed + Copy + Send + Sync + fmt::Debug + PartialEq + Default + 'static {
    /// The dtype of this type.
    const DTYPE: DType;

    /// Writes the element's little-endian bytes into `out`, whose length should be `DTYPE.size_in_bytes()`.
    ///
    /// Never panics: a shorter `out` receives the low bytes that fit, a longer one keeps its extra bytes.
    fn write_le_bytes(self, out: &mut [u8]);

    /// Reads an element from `DTYPE.size_in_bytes()` little-endian bytes.
    ///
    /// For `bool`, any non-zero byte reads as `true` (a byte that is not 0 or 1 can only come from raw bytes).
    /// Never panics: missing high bytes read as zero and extra bytes are ignored.
    fn read_le_bytes(bytes: &[u8]) -> Self;
}

macro_rules! impl_element {
    ($($t:ty => $d:ident),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline]
            fn write_le_bytes(self, out: &mut [u8]) {
                let le = self.to_le_bytes();
                match <&mut [u8; std::mem::size_of::<$t>()]>::try_from(&mut *out) {
                    Ok(exact) => *exact = le,
                    Err(_) => {
                        let n = out.len().min(le.len());
                        out[..n].copy_from_slice(&le[..n]);
                    }
                }
            }
            #[inline]
            fn read_le_bytes(bytes: &[u8]) -> Self {
                match bytes.try_into() {
                    Ok(exact) => <$t>::from_le_bytes(exact),
                    Err(_) => {
                        let mut le = [0u8; std::mem::size_of::<$t>()];
                        let n = bytes.len().min(le.len());
                        le[..n].copy_from_slice(&bytes[..n]);
                        <$t>::from_le_bytes(le)
                    }
                }
            }
        }
    )*};
}

impl_element!(
    u8 => U8, i8 => I8, u16 => U16, i16 => I16, u32 => U32, i32 => I32, u64 => U64, i64 => I64,
    half::f16 => F16, half::bf16 => BF16, f32 => F32, f64 => F64,
);

impl sealed::Sealed for bool {}
impl Element for bool {
    const DTYPE: DType = DType::Bool;
    #[inline]
    fn write_le_bytes(self, out: &mut [u8]) {
        if let Some(b) = out.first_mut() {
            *b = self as u8;
        }
    }
    #[inline]
    fn read_le_bytes(bytes: &[u8]) -> Self {
        bytes.first().is_some_and(|&b| b != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_names() {
        let sizes: Vec<usize> = DType::ALL.iter().map(|d| d.size_in_bytes()).collect();
        assert_eq!(sizes, [1, 1, 1, 2, 2, 4, 4, 8, 8, 2, 2, 4, 8]);
        assert_eq!(DType::ALL.map(|d| d.name()).join(","), "bool,u8,i8,u16,i16,u32,i32,u64,i64,f16,bf16,f32,f64");
    }

    #[test]
    fn bytes_round_trip() {
        let mut b = [0u8; 8];
        (-2i64).write_le_bytes(&mut b);
        assert_eq!(i64::read_le_bytes(&b), -2);
        let mut b = [0u8; 2];
        half::bf16::from_f32(1.5).write_le_bytes(&mut b);
        assert_eq!(b, [0xc0, 0x3f]);
    }

    #[test]
    fn wrong_lengths_do_not_panic() {
        assert_eq!(u32::read_le_bytes(&[1, 2]), 0x0201);
        assert_eq!(u16::read_le_bytes(&[1, 2, 3]), 0x0201);
        assert!(!bool::read_le_bytes(&[]));
        let mut short = [0u8; 3];
        0x0403_0201u32.write_le_bytes(&mut short);
        assert_eq!(short, [1, 2, 3]);
        let mut long = [9u8; 3];
        7u16.write_le_bytes(&mut long);
        assert_eq!(long, [7, 0, 9]);
        true.write_le_bytes(&mut []);
    }
}
