//! Joining and selecting: `cat`, `stack`, `index_select` — validated here, run by `crate::ops::join`.

use std::sync::Arc;

use crate::{DType, DeviceTensor, Error, Layout, Result, ops};

fn invalid(op: &'static str, reason: String) -> Error {
    Error::InvalidArgument { op, reason }
}

impl DeviceTensor {
    /// Joins tensors along dim `dim` (all other dims equal; same dtype and device), in one kernel per input.
    ///
    /// ```
    /// use wgpu_tensor::{Array, Device, DeviceTensor};
    /// let device = Device::new()?;
    /// let a = device.upload(&Array::from_vec(vec![1u8, 2, 3, 4], [2, 2])?)?;
    /// let b = device.upload(&Array::from_vec(vec![5u8, 6], [2, 1])?)?;
    /// let c = DeviceTensor::cat(&[&a, &b], 1)?;
    /// assert_eq!(c.download()?.to_vec::<u8>()?, [1, 2, 5, 3, 4, 6]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty list, a dim out of range, or shapes that differ outside `dim`;
    /// [`Error::OpDTypeMismatch`]; [`Error::DeviceMismatch`]; allocation errors.
    pub fn cat(tensors: &[&DeviceTensor], dim: usize) -> Result<DeviceTensor> {
        let first = *tensors.first().ok_or_else(|| invalid("cat", "no tensors given".into()))?;
        let ndim = first.ndim();
        if dim >= ndim {
            return Err(invalid("cat", format!("dim {dim} is out of range for tensors of shape {:?}", first.shape())));
        }
        let mut total = 0usize;
        for t in tensors {
            first.check_same_device(t, "cat")?;
            if t.dtype() != first.dtype() {
                return Err(Error::OpDTypeMismatch { op: "cat", lhs: first.dtype(), rhs: t.dtype() });
            }
            let same = t.ndim() == ndim && (0..ndim).all(|d| d == dim || t.shape()[d] == first.shape()[d]);
            if !same {
                return Err(invalid(
                    "cat",
                    format!("shapes {:?} and {:?} differ outside dim {dim}", first.shape(), t.shape()),
                ));
            }
            total = total
                .checked_add(t.shape()[dim])
                .ok_or_else(|| invalid("cat", "the joined dim overflows usize".into()))?;
        }
        let mut dims = first.shape().to_vec();
        dims[dim] = total;
        let out_layout = Layout::contiguous(dims);
        let parts: Vec<_> = tensors.iter().map(|t| (&**t.storage(), t.layout())).collect();
        let out = ops::join::cat(first.device(), &parts, first.dtype(), &out_layout, dim)?;
        Ok(DeviceTensor::from_storage(Arc::new(out), out_layout, first.dtype()))
    }

    /// Joins tensors of one shape along a new dim inserted at `dim` (`dim == ndim` appends it).
    ///
    /// # Errors
    /// As [`DeviceTensor::cat`]; [`Error::InvalidArgument`] when the shapes differ or `dim > ndim`.
    pub fn stack(tensors: &[&DeviceTensor], dim: usize) -> Result<DeviceTensor> {
        let first = *tensors.first().ok_or_else(|| invalid("stack", "no tensors given".into()))?;
        if let Some(t) = tensors.iter().find(|t| t.shape() != first.shape()) {
            return Err(invalid("stack", format!("shapes {:?} and {:?} differ", first.shape(), t.shape())));
        }
        let views = tensors.iter().map(|t| t.unsqueeze(dim)).collect::<Result<Vec<_>>>().map_err(|e| match e {
            Error::InvalidArgument { reason, .. } => invalid("stack", reason),
            e => e,
        })?;
        DeviceTensor::cat(&views.iter().collect::<Vec<_>>(), dim)
    }

    /// The elements at `indices` along dim `dim`: `out[.., i, ..] = self[.., indices[i], ..]` (PyTorch's
    /// `index_select`). `indices` is a 0-d or 1-d tensor of any integer dtype, any layout. An index outside the dim
    /// is detected on the device (nothing is read outside the tensor) and reported as an error; this call waits
    /// for that check.
    ///
    /// ```
    /// use wgpu_tensor::{Array, Device};
    /// let device = Device::new()?;
    /// let table = device.upload(&Array::from_vec(vec![10i16, 11, 20, 21, 30, 31], [3, 2])?)?;
    /// let ids = device.upload(&Array::from(vec![2u8, 0, 2]))?;
    /// assert_eq!(table.index_select(0, &ids)?.download()?.to_vec::<i16>()?, [30, 31, 10, 11, 30, 31]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] for a non-integer index tensor; [`Error::InvalidArgument`] for a dim out of
    /// range or an index tensor of more than one dim; [`Error::IndexOutOfRange`] with the count of bad indices;
    /// [`Error::DeviceMismatch`]; allocation errors.
    pub fn index_select(&self, dim: usize, indices: &DeviceTensor) -> Result<DeviceTensor> {
        const OP: &str = "index_select";
        self.check_same_device(indices, OP)?;
        if !indices.dtype().is_int() {
            let reason = format!("the index tensor is {}; give integer indices (cast them first)", indices.dtype());
            return Err(Error::UnsupportedDType { op: OP, dtype: indices.dtype(), reason });
        }
        if indices.ndim() > 1 {
            return Err(invalid(OP, format!("the index tensor has shape {:?}; give a 1-d one", indices.shape())));
        }
        if dim >= self.ndim() {
            return Err(invalid(OP, format!("dim {dim} is out of range for shape {:?}", self.shape())));
        }
        let n_ids = indices.len();
        let len = self.shape()[dim];
        let mut dims = self.shape().to_vec();
        dims[dim] = n_ids;
        let out_layout = Layout::contiguous(dims);
        let (out_len, _) = out_layout.shape().checked_size(self.dtype())?;
        if len == 0 && n_ids > 0 {
            return Err(Error::IndexOutOfRange { op: OP, dim, len, count: n_ids as u64 });
        }
        if out_len == 0 && n_ids > 0 {
            // Nothing to gather (another dim is 0), but the indices must still be in range, as in numpy and
            // PyTorch: the kernel checks only the indices it gathers with, so check these on the host.
            let ids = indices.cast(DType::I64)?.download()?.to_vec::<i64>()?;
            let bad = ids.iter().filter(|&&i| i < 0 || i as u64 >= len as u64).count() as u64;
            if bad > 0 {
                return Err(Error::IndexOutOfRange { op: OP, dim, len, count: bad });
            }
        }
        let ids = if out_len == 0 {
            None
        } else if indices.dtype() == DType::I64 {
            Some(indices.contiguous()?)
        } else {
            Some(indices.cast(DType::I64)?)
        };
        let ids = ids.as_ref().map(|t| (&**t.storage(), t.offset()));
        let src = (&**self.storage(), self.layout());
        let (out, bad) = ops::join::index_select(self.device(), src, self.dtype(), dim, ids, &out_layout)?;
        if bad > 0 {
            return Err(Error::IndexOutOfRange { op: OP, dim, len, count: bad });
        }
        Ok(DeviceTensor::from_storage(Arc::new(out), out_layout, self.dtype()))
    }
}
