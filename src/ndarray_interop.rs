//! Conversions between [`Array`] and [`ndarray`]: any `ArrayBase` (owned or view, contiguous or strided) into an
//! `Array`, and an `Array` back into an `ndarray::ArrayD`.

use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn};

use crate::{Array, Element, Result, Shape};

impl<S, D, T> From<ArrayBase<S, D>> for Array
where
    S: Data<Elem = T>,
    D: Dimension,
    T: Element,
{
    /// Copies the elements in logical row-major order: a transposed or stepped view is packed densely.
    ///
    /// ```
    /// use ndarray::{array, s};
    /// let m = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
    /// let t = wgpu_tensor::Array::from(m.t()); // a strided view
    /// assert_eq!(t.shape(), [3, 2]);
    /// assert_eq!(t.to_vec::<f32>()?, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    fn from(a: ArrayBase<S, D>) -> Array {
        Array::from(&a)
    }
}

impl<S, D, T> From<&ArrayBase<S, D>> for Array
where
    S: Data<Elem = T>,
    D: Dimension,
    T: Element,
{
    /// Copies the elements in logical row-major order (see the owned conversion).
    fn from(a: &ArrayBase<S, D>) -> Array {
        let shape = Shape::from(a.shape());
        // An ndarray's size in bytes always fits in isize, so neither of these can fail.
        match a.as_slice() {
            Some(slice) => Array::from_slice(slice, shape),
            None => Array::from_exact_iter(T::DTYPE, shape, a.iter().copied()),
        }
        .expect("an ndarray's shape always fits")
    }
}

impl Array {
    /// Copies the elements into an owned `ndarray::ArrayD<T>` of the same shape.
    ///
    /// # Errors
    /// [`Error::DTypeMismatch`](crate::Error::DTypeMismatch) if `T` is not the array's dtype.
    ///
    /// ```
    /// let a = wgpu_tensor::Array::from_vec(vec![1u8, 2, 3, 4], [2, 2])?;
    /// let nd = a.to_ndarray::<u8>()?;
    /// assert_eq!(nd[[1, 0]], 3);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    pub fn to_ndarray<T: Element>(&self) -> Result<ArrayD<T>> {
        let data = self.to_vec::<T>()?;
        Ok(ArrayD::from_shape_vec(IxDyn(self.shape()), data).expect("len matches the shape"))
    }
}
