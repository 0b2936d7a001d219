//! Data movement that makes new tensors from others: `cat`, `stack`, `index_select`, and the constructors
//! `Device::zeros` / `Device::full`. All record the strided-copy kernel ([`super::copy`]) or a buffer clear.

use std::sync::Arc;

use super::copy::{Gather, Piece, record_copy};
use crate::transfer::{alloc_storage, padded_size};
use crate::{Array, DType, Device, DeviceTensor, Element, Error, IntoShape, Layout, Result};

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
        let device = first.device();
        let dtype = first.dtype();
        let out_layout = Layout::contiguous(dims.clone());
        let (_, bytes) = out_layout.shape().checked_size(dtype)?;
        let out = alloc_storage(device, "cat", bytes)?;
        let mut start = 0usize;
        device.record("cat", |rec| {
            for t in tensors {
                let len = t.shape()[dim];
                if !t.is_empty() {
                    let piece = Piece {
                        dims: t.shape().to_vec(),
                        src_strides: t.strides().to_vec(),
                        dst_strides: out_layout.strides().to_vec(),
                        src_offset: t.offset(),
                        dst_offset: start * out_layout.strides()[dim] as usize,
                        gather: None,
                    };
                    record_copy(rec, device, t.buffer(), out.buffer(), dtype, piece, None)?;
                }
                start += len;
            }
            Ok(())
        })?;
        Ok(DeviceTensor::from_storage(Arc::new(out), out_layout, dtype))
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
        let out_layout = Layout::contiguous(dims.clone());
        let (out_len, bytes) = out_layout.shape().checked_size(self.dtype())?;
        let device = self.device();
        let out = alloc_storage(device, OP, bytes)?;
        let result = |out| DeviceTensor::from_storage(Arc::new(out), out_layout.clone(), self.dtype());
        if n_ids == 0 {
            return Ok(result(out));
        }
        if len == 0 {
            return Err(Error::IndexOutOfRange { op: OP, dim, len, count: n_ids as u64 });
        }
        if out_len == 0 {
            return Ok(result(out));
        }
        let ids = if indices.dtype() == DType::I64 { indices.contiguous()? } else { indices.cast(DType::I64)? };
        let ids_offset = ids.offset();
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let counter =
            crate::transfer::Unmapping(device.pooled_buffer("index_select check", 4, usage, false)?.buffer, device);
        let mut src_dims = self.shape().to_vec();
        src_dims[dim] = n_ids;
        let piece = Piece {
            dims: src_dims,
            src_strides: self.strides().to_vec(),
            dst_strides: out_layout.strides().to_vec(),
            src_offset: self.offset(),
            dst_offset: 0,
            gather: Some((dim, len, ids_offset)),
        };
        let gather = Gather { ids: ids.buffer(), ids_len: ids_offset + n_ids, counter: &counter.0 };
        device.record(OP, |rec| {
            rec.encoder().clear_buffer(&counter.0, 0, None);
            record_copy(rec, device, self.buffer(), out.buffer(), self.dtype(), piece, Some(&gather))
        })?;
        let bytes = device.read_buffer_bytes(&counter.0, 0, 4)?;
        let bad = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if bad > 0 {
            return Err(Error::IndexOutOfRange { op: OP, dim, len, count: u64::from(bad) });
        }
        Ok(result(out))
    }
}

impl Device {
    /// A new tensor of `shape` filled with zeros (a buffer clear recorded on the stream; no upload).
    ///
    /// ```
    /// let device = wgpu_tensor::Device::new()?;
    /// let z = device.zeros(wgpu_tensor::DType::BF16, [1024])?;
    /// assert!(z.download()?.as_bytes().iter().all(|&b| b == 0));
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ShapeOverflow`], [`Error::TooLarge`], [`Error::OutOfMemory`], [`Error::DeviceLost`].
    pub fn zeros(&self, dtype: DType, shape: impl IntoShape) -> Result<DeviceTensor> {
        let layout = Layout::contiguous(shape);
        let (_, bytes) = layout.shape().checked_size(dtype)?;
        let out = alloc_storage(self, "zeros", bytes)?;
        let size = padded_size(bytes);
        self.record("zeros", |rec| {
            rec.encoder().clear_buffer(out.buffer(), 0, Some(size));
            Ok(())
        })?;
        Ok(DeviceTensor::from_storage(Arc::new(out), layout, dtype))
    }

    /// A new tensor of `shape` with every element `value` (its dtype is `T`'s).
    ///
    /// ```
    /// let device = wgpu_tensor::Device::new()?;
    /// let w = device.full([2, 3], 7i64)?;
    /// assert_eq!(w.download()?.to_vec::<i64>()?, [7; 6]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Device::zeros`].
    pub fn full<T: Element>(&self, shape: impl IntoShape, value: T) -> Result<DeviceTensor> {
        let scalar = self.upload(&Array::scalar(value))?;
        scalar.broadcast_to(shape)?.copy()
    }
}
