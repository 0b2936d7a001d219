//! Making tensors: uploads from host memory (every one a copy; see the crate docs) and the device-side
//! constructors `zeros` and `full`.

use std::sync::Arc;

use crate::transfer::{self, BytesSource, ElementSource, HostSource, TransferTrace};
use crate::{Array, DType, Device, DeviceTensor, Element, Error, IntoShape, Layout, Result, Shape};

impl Device {
    /// Copies `array` into a new tensor on this device. The tensor shares nothing with `array`: changing the array
    /// afterwards never changes the tensor. Uses the device's [`TransferPath`](crate::TransferPath) and pooled buffers.
    ///
    /// ```
    /// use wgpu_tensor::{Array, Device};
    /// let device = Device::new()?;
    /// let t = device.upload(&Array::from_vec(vec![1u8, 2, 3, 4, 5, 6], [2, 3])?)?;
    /// assert_eq!(t.shape(), [2, 3]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::TooLarge`] (naming the size and the device's `max_buffer_size`) when the data does not fit in one
    /// buffer; [`Error::OutOfMemory`]; [`Error::BufferMap`]; [`Error::DeviceLost`].
    pub fn upload(&self, array: &Array) -> Result<DeviceTensor> {
        Ok(pollster::block_on(upload_impl(self, array, false))?.0)
    }

    /// The async form of [`Device::upload`]: waits for buffer maps without blocking a thread (the device's poller
    /// completes them). The future is `Send`.
    ///
    /// # Errors
    /// As [`Device::upload`].
    pub async fn upload_async(&self, array: &Array) -> Result<DeviceTensor> {
        Ok(upload_impl(self, array, false).await?.0)
    }

    /// [`Device::upload`], also returning the path taken and each copy made with its time and bandwidth. Waits
    /// until the GPU finished the upload, so the times are complete.
    ///
    /// # Errors
    /// As [`Device::upload`].
    pub fn upload_traced(&self, array: &Array) -> Result<(DeviceTensor, TransferTrace)> {
        pollster::block_on(upload_impl(self, array, true))
    }

    /// Copies any ndarray — owned or a view, contiguous or strided (transposed, stepped, permuted) — into a new
    /// tensor of the same shape, in logical row-major order. The elements are written straight into mapped memory:
    /// no intermediate `Array` or `Vec` is made, so a strided view costs one pass over its elements.
    ///
    /// ```
    /// use ndarray::{Array2, s};
    /// let device = wgpu_tensor::Device::new()?;
    /// let m = Array2::<f32>::from_shape_fn((64, 64), |(i, j)| (i + j) as f32);
    /// let t = device.upload_ndarray(&m.slice(s![..;2, ..]).t())?; // strided: packed on the way
    /// assert_eq!(t.shape(), [64, 32]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ShapeOverflow`] when the view's size in bytes overflows (a broadcast view can claim more elements
    /// than memory holds); otherwise as [`Device::upload`].
    pub fn upload_ndarray<S, D, T>(&self, array: &ndarray::ArrayBase<S, D>) -> Result<DeviceTensor>
    where
        S: ndarray::Data<Elem = T>,
        D: ndarray::Dimension,
        T: crate::Element,
    {
        let shape = Shape::from(array.shape());
        let (len, _) = shape.checked_size(T::DTYPE)?;
        let mut source = ElementSource::new(array.iter().copied(), len);
        Ok(pollster::block_on(upload_source(self, &mut source, T::DTYPE, shape, false))?.0)
    }
}

pub(crate) async fn upload_impl(device: &Device, array: &Array, traced: bool) -> Result<(DeviceTensor, TransferTrace)> {
    upload_bytes(device, array.as_bytes(), array.dtype(), Shape::from(array.shape()), traced).await
}

/// Uploads `bytes` (exactly `shape.len() × dtype size` of them, row-major little-endian) straight from the slice
/// into the device's mapped storage or staging memory: one host-side copy, no intermediate buffer.
pub(crate) async fn upload_bytes(
    device: &Device,
    bytes: &[u8],
    dtype: DType,
    shape: Shape,
    traced: bool,
) -> Result<(DeviceTensor, TransferTrace)> {
    upload_source(device, &mut BytesSource::new(bytes), dtype, shape, traced).await
}

/// Uploads the source's bytes as a new contiguous tensor of `dtype` and `shape`.
///
/// # Errors
/// [`Error::ByteLength`] when the source holds another number of bytes than the shape needs; otherwise as
/// [`Device::upload`].
pub(crate) async fn upload_source(
    device: &Device,
    source: &mut (dyn HostSource + Send),
    dtype: DType,
    shape: Shape,
    traced: bool,
) -> Result<(DeviceTensor, TransferTrace)> {
    let (_, byte_len) = shape.checked_size(dtype)?;
    if byte_len != source.byte_len() {
        return Err(Error::ByteLength { dtype, len: shape.len(), expected: byte_len, actual: source.byte_len() });
    }
    let label = format!("upload of a {shape} {dtype} tensor");
    // A buffer access that fails because the device was destroyed meanwhile ("buffer has been destroyed") is
    // reported as the loss it is.
    let (storage, trace) =
        transfer::upload_source(device, source, &label, traced).await.map_err(|e| device.explain(e))?;
    Ok((DeviceTensor::from_storage(Arc::new(storage), Layout::contiguous(shape), dtype), trace))
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
        let storage = crate::ops::join::zeros(self, dtype, &layout)?;
        Ok(DeviceTensor::from_storage(Arc::new(storage), layout, dtype))
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
