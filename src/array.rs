//! The host tensor: [`Array`] = dtype + shape + contiguous little-endian bytes, aligned for any element type.

use std::alloc::Layout;
use std::fmt;

use crate::{DType, Element, Error, IntoShape, Result, Shape};

mod format;

/// A tensor in host memory: a dtype, a row-major shape and the elements' little-endian bytes.
///
/// The bytes are stored 8-byte aligned, so viewing them as any [`Element`] slice never fails for alignment.
/// An `Array` owns its bytes; it never aliases device memory (see the crate docs on the copy contract).
///
/// `Bool` arrays always hold bytes 0 or 1; constructors that take raw bytes check it.
///
/// Every constructor and conversion that allocates is fallible: a shape too large for any allocation is
/// [`Error::ShapeOverflow`] and memory the allocator refuses is [`Error::HostOutOfMemory`], never a panic or an
/// abort. (`Clone` aborts on allocation failure, as in `std`; the `From<Vec<T>>` / `From<&[T]>` conveniences panic.)
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
    /// The memory comes zeroed from the allocator (fresh pages are not touched until written).
    ///
    /// # Errors
    /// [`Error::ShapeOverflow`] if the size in bytes exceeds `isize::MAX`; [`Error::HostOutOfMemory`] if the
    /// allocator refuses the memory.
    pub fn zeros(dtype: DType, shape: impl IntoShape) -> Result<Array> {
        let shape = shape.into_shape();
        let (len, byte_len) = shape.checked_size(dtype)?;
        let mut words = try_zeroed_words(byte_len.div_ceil(8))
            .ok_or_else(|| host_oom(format!("a {dtype} array of shape {shape}"), byte_len))?;
        advise_huge_pages(&mut words);
        Ok(Array { dtype, shape, len, byte_len, words })
    }

    /// Takes ownership of `data` as an array of `shape`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `data.len()` is not the product of the dims; [`Error::ShapeOverflow`] if that
    /// product overflows; [`Error::HostOutOfMemory`] if the array cannot be allocated.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: impl IntoShape) -> Result<Array> {
        Self::from_slice(&data, shape)
    }

    /// Copies `data` into a new array of `shape`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `data.len()` is not the product of the dims; [`Error::ShapeOverflow`] if that
    /// product overflows; [`Error::HostOutOfMemory`] if the array cannot be allocated.
    pub fn from_slice<T: Element>(data: &[T], shape: impl IntoShape) -> Result<Array> {
        let shape = shape.into_shape();
        shape.check_len(T::DTYPE, data.len())?;
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
    /// impossible shape; [`Error::InvalidOption`] for a `Bool` byte other than 0 or 1; [`Error::HostOutOfMemory`]
    /// if the array cannot be allocated.
    pub fn from_bytes(dtype: DType, shape: impl IntoShape, bytes: &[u8]) -> Result<Array> {
        let shape = shape.into_shape();
        let (len, byte_len) = shape.checked_size(dtype)?;
        if bytes.len() != byte_len {
            return Err(Error::ByteLength { dtype, len, expected: byte_len, actual: bytes.len() });
        }
        if dtype == DType::Bool
            && let Some(i) = bytes.iter().position(|&b| b > 1)
        {
            return Err(Error::InvalidOption(format!(
                "Array::from_bytes: bool element {i} is the byte {}, but a bool must be the byte 0 or 1",
                bytes[i]
            )));
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
    /// [`Error::DTypeMismatch`] if `T` is not the array's dtype; [`Error::HostOutOfMemory`] if the vector cannot be
    /// allocated.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        self.check_dtype::<T>()?;
        let mut out = try_vec(self.len, || format!("to_vec of a {} array of shape {}", self.dtype, self.shape))?;
        out.extend(self.as_bytes().chunks_exact(self.dtype.size_in_bytes()).map(T::read_le_bytes));
        Ok(out)
    }

    /// The same bytes under another shape with the same element count.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the element counts differ; [`Error::ShapeOverflow`] if the new shape's element
    /// count overflows.
    pub fn reshape(mut self, shape: impl IntoShape) -> Result<Array> {
        let shape = shape.into_shape();
        shape.check_len(self.dtype, self.len)?;
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

/// [`Error::HostOutOfMemory`] for `what`, which needed `bytes`.
pub(crate) fn host_oom(what: String, bytes: usize) -> Error {
    Error::HostOutOfMemory { what, bytes }
}

/// An empty vector with room for exactly `n` elements, or [`Error::HostOutOfMemory`] naming `what()`.
pub(crate) fn try_vec<T>(n: usize, what: impl FnOnce() -> String) -> Result<Vec<T>> {
    let mut out = Vec::new();
    match out.try_reserve_exact(n) {
        Ok(()) => Ok(out),
        Err(_) => Err(host_oom(what(), n.saturating_mul(std::mem::size_of::<T>()))),
    }
}

/// `n` zero words straight from the allocator's zeroed memory (`calloc`: fresh pages stay untouched until written),
/// or `None` if the allocator refuses. `vec![0; n]` would abort the process instead.
fn try_zeroed_words(n: usize) -> Option<Vec<u64>> {
    if n == 0 {
        return Some(Vec::new());
    }
    let layout = Layout::array::<u64>(n).ok()?;
    // SAFETY: `layout` has a non-zero size (n > 0).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<u64>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` comes from the global allocator with the layout of `[u64; n]`, so it is valid for a `Vec<u64>` of
    // capacity `n`; its `n` elements are initialised, since all-zero bytes are a valid `u64`.
    Some(unsafe { Vec::from_raw_parts(ptr, n, n) })
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

impl fmt::Display for Array {
    /// The values as ndarray prints them (`[[1, 2],\n [3, 4]]`), with long dims elided; the output stays small
    /// whatever the shape (see [`Array`]'s `Debug` for the dtype and shape).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format::values(self, f)
    }
}

impl fmt::Debug for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Array {{ dtype: {}, shape: {}, data: ", self.dtype, self.shape)?;
        format::values(self, f)?;
        f.write_str(" }")
    }
}

macro_rules! impl_from_vec {
    ($($t:ty),*) => {$(
        impl From<Vec<$t>> for Array {
            /// A 1-d array holding the vector's elements.
            ///
            /// # Panics
            /// If the array cannot be allocated (out of host memory); [`Array::from_vec`] returns the error instead.
            fn from(v: Vec<$t>) -> Array {
                let n = v.len();
                Array::from_vec(v, [n]).expect("out of host memory copying a Vec into an Array")
            }
        }
        impl From<&[$t]> for Array {
            /// A 1-d array holding a copy of the slice.
            ///
            /// # Panics
            /// If the array cannot be allocated (out of host memory); [`Array::from_slice`] returns the error instead.
            fn from(v: &[$t]) -> Array {
                Array::from_slice(v, [v.len()]).expect("out of host memory copying a slice into an Array")
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
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e}");
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
