//! Conversions between [`Array`] and [`ndarray`]: any `ArrayBase` (owned or view, contiguous or strided) into an
//! `Array` with `TryFrom`, and an `Array` back into an `ndarray::ArrayD`.

use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn};

use crate::{Array, Element, Error, Result, Shape};

impl<S, D, T> TryFrom<ArrayBase<S, D>> for Array
where
    S: Data<Elem = T>,
    D: Dimension,
    T: Element,
{
    type Error = Error;

    /// Copies the elements in logical row-major order: a transposed, stepped, reversed or broadcast view is packed
    /// densely.
    ///
    /// # Errors
    /// A view can describe more elements than memory holds (a broadcast view of 2^40 elements needs no memory):
    /// [`Error::ShapeOverflow`] if the copy would exceed `isize::MAX` bytes, [`Error::HostOutOfMemory`] if the
    /// allocator refuses it.
    ///
    /// ```
    /// use ndarray::{array, s};
    /// let m = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
    /// let t = wgpu_tensor::Array::try_from(m.t())?; // a strided view
    /// assert_eq!(t.shape(), [3, 2]);
    /// assert_eq!(t.to_vec::<f32>()?, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    fn try_from(a: ArrayBase<S, D>) -> Result<Array> {
        Array::try_from(&a)
    }
}

impl<S, D, T> TryFrom<&ArrayBase<S, D>> for Array
where
    S: Data<Elem = T>,
    D: Dimension,
    T: Element,
{
    type Error = Error;

    /// Copies the elements in logical row-major order (see the owned conversion).
    ///
    /// # Errors
    /// As the owned conversion.
    fn try_from(a: &ArrayBase<S, D>) -> Result<Array> {
        let shape = Shape::from(a.shape());
        match a.as_slice() {
            Some(slice) => Array::from_slice(slice, shape),
            None => {
                shape.check_len(T::DTYPE, a.len())?;
                Array::from_exact_iter(T::DTYPE, shape, a.iter().copied())
            }
        }
    }
}

impl Array {
    /// Copies the elements into an owned `ndarray::ArrayD<T>` of the same shape.
    ///
    /// # Errors
    /// [`Error::DTypeMismatch`] if `T` is not the array's dtype; [`Error::NdarrayShape`] if ndarray cannot hold the
    /// shape (the product of its non-zero dims exceeds `isize::MAX`, possible for an empty array such as
    /// `[0, usize::MAX]`); [`Error::HostOutOfMemory`] if the copy cannot be allocated.
    ///
    /// ```
    /// let a = wgpu_tensor::Array::from_vec(vec![1u8, 2, 3, 4], [2, 2])?;
    /// let nd = a.to_ndarray::<u8>()?;
    /// assert_eq!(nd[[1, 0]], 3);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    pub fn to_ndarray<T: Element>(&self) -> Result<ArrayD<T>> {
        self.check_dtype::<T>()?;
        let unrepresentable = || Error::NdarrayShape { shape: self.shape().to_vec() };
        // ndarray's rule (`size_of_shape_checked`): the product of the non-zero dims fits `isize`.
        let nonzero = self.shape().iter().filter(|&&d| d != 0).try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if nonzero.is_none_or(|n| n > isize::MAX as usize) {
            return Err(unrepresentable());
        }
        let data = self.to_vec::<T>()?;
        ArrayD::from_shape_vec(IxDyn(self.shape()), data).map_err(|_| unrepresentable())
    }
}
