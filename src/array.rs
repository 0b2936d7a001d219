//! The host tensor: [`Array`] = dtype + shape + contiguous little-endian bytes, aligned for any element type.

use std::fmt;

use crate::{DType, Element, Error, IntoShape, Result, Shape};

/// A tensor in host memory: a dtype, a row-major shape and the elements' little-endian bytes.
///
/// The bytes are stored 8-byte aligned, so viewing them as any [`Element`] slice never fails for alignment.
/// An `Array` owns its bytes; it never aliases device memory (see the crate docs on the copy contract).
///
/// `Bool` arrays always hold bytes 0 or 1; constructors that take raw bytes check it.
///
/// ```
/// use wgpu_tensor::{Array, DType};
/// let a = Array::from_vec(vec![1i64, 2, 3, 4, 5, 6], [2, 3])?;
/// assert_eq!((a.dtype(), a.shape(), a.len()), (DType::I64, &[2, 3][..], 6));
/// assert_eq!(a.to_vec::<i64>()?, [1, 2, 3, 4, 5, 6]);
/// assert!(a.to_vec::<f32>().is_err()); // explicit dtypes: no silent conversion
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Array {
    dtype: DType,
    shape: Shape,
    len: usize,
    byte_len: usize,
    words: Vec<u64>,
}

impl Array {
    /// An array of `shape` whose bytes are all zero (the value 0 / `false` / `+0.0` in every dtype).
    ///
    /// # Errors
    /// [`Error::ShapeOverflow`] if the size in bytes overflows `usize`.
    pub fn zeros(dtype: DType, shape: impl IntoShape) -> Result<Array> {
        let shape = shape.into_shape();
        let (len, byte_len) = shape.checked_size(dtype)?;
        let mut words = vec![0; byte_len.div_ceil(8)];
        advise_huge_pages(&mut words);
        Ok(Array { dtype, shape, len, byte_len, words })
    }

    /// Takes ownership of `data` as an array of `shape`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `data.len()` is not the product of the dims.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: impl IntoShape) -> Result<Array> {
        Self::from_slice(&data, shape)
    }

    /// Copies `data` into a new array of `shape`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `data.len()` is not the product of the dims.
    pub fn from_slice<T: Element>(data: &[T], shape: impl IntoShape) -> Result<Array> {
        let shape = shape.into_shape();
        Self::check_len(&shape, data.len())?;
        Self::from_exact_iter(T::DTYPE, shape, data.iter().copied())
    }

    /// A 0-d array holding one value.
    ///
    /// ```
    /// let s = wgpu_tensor::Array::scalar(2.5f32);
    /// assert_eq!((s.shape(), s.len()), (&[][..], 1));
    /// ```
    pub fn scalar<T: Element>(value: T) -> Array {
        Self::from_exact_iter(T::DTYPE, Shape::default(), std::iter::once(value)).expect("a scalar always fits")
    }

    /// Copies raw little-endian bytes into a new array of `dtype` and `shape`.
    ///
    /// # Errors
    /// [`Error::ByteLength`] if `bytes.len()` is not `len × dtype size`; [`Error::ShapeOverflow`] for an
    /// impossible shape; [`Error::InvalidOption`] for a `Bool` byte other than 0 or 1.
    pub fn from_bytes(dtype: DType, shape: impl IntoShape, bytes: &[u8]) -> Result<Array> {
        let shape = shape.into_shape();
        let (len, byte_len) = shape.checked_size(dtype)?;
        if bytes.len() != byte_len {
            return Err(Error::ByteLength { dtype, len, expected: byte_len, actual: bytes.len() });
        }
        if dtype == DType::Bool && bytes.iter().any(|&b| b > 1) {
            return Err(Error::InvalidOption("a bool element must be the byte 0 or 1".into()));
        }
        let mut array = Array::zeros(dtype, shape)?;
        array.as_bytes_mut_unchecked().copy_from_slice(bytes);
        Ok(array)
    }

    /// Builds an array from exactly `shape.len()` elements (checked by the caller).
    pub(crate) fn from_exact_iter<T: Element>(
        dtype: DType,
        shape: Shape,
        data: impl Iterator<Item = T>,
    ) -> Result<Array> {
        let mut array = Array::zeros(dtype, shape)?;
        let size = dtype.size_in_bytes();
        let bytes = array.as_bytes_mut_unchecked();
        for (chunk, value) in bytes.chunks_exact_mut(size).zip(data) {
            value.write_le_bytes(chunk);
        }
        Ok(array)
    }

    fn check_len(shape: &Shape, actual: usize) -> Result<()> {
        match shape.checked_len() {
            Some(expected) if expected == actual => Ok(()),
            expected => Err(Error::ShapeMismatch {
                shape: shape.dims().to_vec(),
                expected: expected.unwrap_or(usize::MAX),
                actual,
            }),
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The dims (`[]` for a scalar).
    pub fn shape(&self) -> &[usize] {
        self.shape.dims()
    }

    /// The number of dims.
    pub fn ndim(&self) -> usize {
        self.shape.ndim()
    }

    /// The element count (1 for a scalar).
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The size of the data in bytes (`len × dtype size`).
    pub fn size_in_bytes(&self) -> usize {
        self.byte_len
    }

    /// The elements' little-endian bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &bytemuck::cast_slice(&self.words)[..self.byte_len]
    }

    /// Mutable access to the bytes. Private: a `Bool` array must keep bytes 0 or 1.
    pub(crate) fn as_bytes_mut_unchecked(&mut self) -> &mut [u8] {
        &mut bytemuck::cast_slice_mut(&mut self.words)[..self.byte_len]
    }

    /// The elements as a slice of `T` (any dtype but `Bool`, which is not [`bytemuck::Pod`]).
    ///
    /// # Errors
    /// [`Error::DTypeMismatch`] if `T` is not the array's dtype.
    pub fn as_slice<T: Element + bytemuck::Pod>(&self) -> Result<&[T]> {
        self.check_dtype::<T>()?;
        Ok(bytemuck::cast_slice(self.as_bytes()))
    }

    /// The elements as a mutable slice of `T` (any dtype but `Bool`).
    ///
    /// # Errors
    /// [`Error::DTypeMismatch`] if `T` is not the array's dtype.
    pub fn as_slice_mut<T: Element + bytemuck::Pod>(&mut self) -> Result<&mut [T]> {
        self.check_dtype::<T>()?;
        Ok(bytemuck::cast_slice_mut(self.as_bytes_mut_unchecked()))
    }

    /// Copies the elements out as a `Vec<T>`.
    ///
    /// # Errors
    /// [`Error::DTypeMismatch`] if `T` is not the array's dtype.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        self.check_dtype::<T>()?;
        Ok(self.as_bytes().chunks_exact(self.dtype.size_in_bytes()).map(T::read_le_bytes).collect())
    }

    /// The same bytes under another shape with the same element count.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the element counts differ.
    pub fn reshape(mut self, shape: impl IntoShape) -> Result<Array> {
        let shape = shape.into_shape();
        Self::check_len(&shape, self.len)?;
        self.shape = shape;
        Ok(self)
    }

    pub(crate) fn check_dtype<T: Element>(&self) -> Result<()> {
        if T::DTYPE == self.dtype {
            Ok(())
        } else {
            Err(Error::DTypeMismatch { expected: T::DTYPE, actual: self.dtype })
        }
    }
}

/// Asks Linux to back a large, fresh allocation with transparent huge pages where the system allows it
/// (`madvise` mode). A fresh allocation is zero pages that fault in on first write, 4 KiB at a time; with 2 MiB
/// pages a download into a new 256 MiB array takes 512× fewer faults. Only a hint: failure changes nothing.
fn advise_huge_pages(words: &mut [u64]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let bytes = std::mem::size_of_val(words);
        if bytes >= 2 * HUGE {
            let start = words.as_mut_ptr() as usize;
            let aligned = start.next_multiple_of(HUGE);
            let end = (start + bytes) / HUGE * HUGE;
            if end > aligned {
                // SAFETY: the range lies inside `words`, which this function borrows mutably; MADV_HUGEPAGE only
                // changes how the kernel backs the pages, never their contents.
                unsafe { libc::madvise(aligned as *mut libc::c_void, end - aligned, libc::MADV_HUGEPAGE) };
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = words;
}

/// Formats an array through ndarray's `Display` for its element type.
macro_rules! with_ndarray {
    ($array:expr, |$a:ident| $body:expr) => {
        match $array.dtype() {
            DType::Bool => {
                let $a = $array.to_ndarray::<bool>().expect("dtype");
                $body
            }
            DType::U8 => {
                let $a = $array.to_ndarray::<u8>().expect("dtype");
                $body
            }
            DType::I8 => {
                let $a = $array.to_ndarray::<i8>().expect("dtype");
                $body
            }
            DType::U16 => {
                let $a = $array.to_ndarray::<u16>().expect("dtype");
                $body
            }
            DType::I16 => {
                let $a = $array.to_ndarray::<i16>().expect("dtype");
                $body
            }
            DType::U32 => {
                let $a = $array.to_ndarray::<u32>().expect("dtype");
                $body
            }
            DType::I32 => {
                let $a = $array.to_ndarray::<i32>().expect("dtype");
                $body
            }
            DType::U64 => {
                let $a = $array.to_ndarray::<u64>().expect("dtype");
                $body
            }
            DType::I64 => {
                let $a = $array.to_ndarray::<i64>().expect("dtype");
                $body
            }
            DType::F16 => {
                let $a = $array.to_ndarray::<half::f16>().expect("dtype");
                $body
            }
            DType::BF16 => {
                let $a = $array.to_ndarray::<half::bf16>().expect("dtype");
                $body
            }
            DType::F32 => {
                let $a = $array.to_ndarray::<f32>().expect("dtype");
                $body
            }
            DType::F64 => {
                let $a = $array.to_ndarray::<f64>().expect("dtype");
                $body
            }
        }
    };
}

impl fmt::Display for Array {
    /// The values as ndarray prints them (long dims are elided).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_ndarray!(self, |a| fmt::Display::fmt(&a, f))
    }
}

impl fmt::Debug for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Array {{ dtype: {}, shape: {}, data: ", self.dtype, self.shape)?;
        with_ndarray!(self, |a| write!(f, "{a}"))?;
        f.write_str(" }")
    }
}

macro_rules! impl_from_vec {
    ($($t:ty),*) => {$(
        impl From<Vec<$t>> for Array {
            /// A 1-d array owning the vector's elements.
            fn from(v: Vec<$t>) -> Array {
                let n = v.len();
                Array::from_vec(v, [n]).expect("a 1-d shape always matches")
            }
        }
        impl From<&[$t]> for Array {
            /// A 1-d array holding a copy of the slice.
            fn from(v: &[$t]) -> Array {
                Array::from_slice(v, [v.len()]).expect("a 1-d shape always matches")
            }
        }
    )*};
}
impl_from_vec!(bool, u8, i8, u16, i16, u32, i32, u64, i64, half::f16, half::bf16, f32, f64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_scalar_and_empty() {
        let z = Array::zeros(DType::F64, [2, 0, 3]).unwrap();
        assert_eq!((z.len(), z.size_in_bytes(), z.is_empty()), (0, 0, true));
        let s = Array::scalar(true);
        assert_eq!(s.as_bytes(), [1]);
        assert!(matches!(Array::zeros(DType::U64, [usize::MAX, 2]), Err(Error::ShapeOverflow { .. })));
    }

    #[test]
    fn shape_mismatch_is_an_error() {
        let e = Array::from_vec(vec![1u8, 2, 3], [2, 2]).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { expected: 4, actual: 3, .. }), "{e}");
        let e = Array::from_slice(&[1u8], [usize::MAX, 3]).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    }

    #[test]
    fn bytes_and_bool_check() {
        assert!(Array::from_bytes(DType::Bool, [2], &[0, 2]).is_err());
        assert!(matches!(Array::from_bytes(DType::U16, [2], &[0, 1, 2]), Err(Error::ByteLength { .. })));
        let a = Array::from_bytes(DType::U16, [2], &[1, 0, 0, 1]).unwrap();
        assert_eq!(a.as_slice::<u16>().unwrap(), [1, 256]);
    }

    #[test]
    fn display_and_reshape() {
        let a = Array::from_vec(vec![1i64, 2, 3, 4, 5, 6], [2, 3]).unwrap().reshape([3, 2]).unwrap();
        assert_eq!(a.to_string(), "[[1, 2],\n [3, 4],\n [5, 6]]");
        assert!(a.reshape([4]).is_err());
    }
}
