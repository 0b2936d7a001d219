//! Views — metadata only, nothing runs on the device — and the copies that make a view contiguous.

use std::sync::Arc;

use ndarray::SliceInfoElem;

#[cfg(doc)]
use crate::Error;
use crate::{DeviceTensor, IntoShape, Result};

impl DeviceTensor {
    /// The same elements under another shape: a view when the layout allows (always for a contiguous tensor),
    /// otherwise a contiguous copy first — PyTorch's `reshape`.
    ///
    /// # Errors
    /// [`Error::ReshapeMismatch`] if the element counts differ.
    pub fn reshape(&self, shape: impl IntoShape) -> Result<DeviceTensor> {
        let shape = shape.into_shape();
        match self.layout.reshape(&shape)? {
            Some(layout) => Ok(self.view(layout)),
            None => self.contiguous()?.reshape(shape),
        }
    }

    /// The dims reordered (a view): dim `i` of the result is dim `axes[i]` of `self`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `axes` is not a permutation of the dims.
    pub fn permute(&self, axes: &[usize]) -> Result<DeviceTensor> {
        Ok(self.view(self.layout.permute(axes)?))
    }

    /// Dims `a` and `b` swapped (a view).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a dim is out of range.
    pub fn transpose(&self, a: usize, b: usize) -> Result<DeviceTensor> {
        Ok(self.view(self.layout.transpose(a, b)?))
    }

    /// Elements `start..start + len` of dim `dim` (a view).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `dim` is out of range or the range passes the end of the dim.
    pub fn narrow(&self, dim: usize, start: usize, len: usize) -> Result<DeviceTensor> {
        Ok(self.view(self.layout.narrow(dim, start, len)?))
    }

    /// A view with exactly ndarray's `slice` semantics: ranges with steps (negative too), negative indices from
    /// the end, `Index` removes a dim, `NewAxis` inserts one.
    ///
    /// ```
    /// use ndarray::s;
    /// let device = wgpu_tensor::Device::new()?;
    /// let t = device.upload(&wgpu_tensor::Array::from_vec((0u8..12).collect(), [3, 4])?)?;
    /// assert_eq!(t.slice(s![-1, ..;-2])?.download()?.to_vec::<u8>()?, [11, 9]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a step of 0, an index or range outside its dim, or more sliced dims than
    /// the tensor has (ndarray panics on these).
    pub fn slice(&self, info: impl AsRef<[SliceInfoElem]>) -> Result<DeviceTensor> {
        Ok(self.view(self.layout.slice(info.as_ref())?))
    }

    /// Broadcast to `shape` with numpy's rules (a view; broadcast dims get stride 0).
    ///
    /// # Errors
    /// [`Error::Broadcast`] naming both shapes when they are incompatible; [`Error::ShapeOverflow`] when the view
    /// would hold more than `isize::MAX` bytes.
    pub fn broadcast_to(&self, shape: impl IntoShape) -> Result<DeviceTensor> {
        let shape = shape.into_shape();
        // Views of more than isize::MAX bytes cannot be downloaded or computed on, and `size_in_bytes` would wrap.
        shape.checked_size(self.dtype)?;
        Ok(self.view(self.layout.broadcast_to(shape)?))
    }

    /// Removes dim `dim`, which must have length 1 (a view).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the dim is out of range or its length is not 1.
    pub fn squeeze(&self, dim: usize) -> Result<DeviceTensor> {
        Ok(self.view(self.layout.squeeze(dim)?))
    }

    /// Inserts a dim of length 1 before dim `dim` (a view; `dim == ndim` appends).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `dim > ndim`.
    pub fn unsqueeze(&self, dim: usize) -> Result<DeviceTensor> {
        Ok(self.view(self.layout.unsqueeze(dim)?))
    }

    /// The tensor itself when it is contiguous (a clone, sharing storage), otherwise a new contiguous tensor
    /// with the same elements in row-major order (one strided-copy kernel, any dtype).
    ///
    /// # Errors
    /// [`Error::OutOfMemory`], [`Error::TooLarge`], [`Error::DeviceLost`].
    pub fn contiguous(&self) -> Result<DeviceTensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        self.copy()
    }

    /// A new contiguous tensor with the same elements (always a copy; never shares storage).
    pub(crate) fn copy(&self) -> Result<DeviceTensor> {
        let (storage, layout) = crate::ops::copy::contiguous(self.storage(), &self.layout, self.dtype)?;
        Ok(DeviceTensor::from_storage(Arc::new(storage), layout, self.dtype))
    }
}
