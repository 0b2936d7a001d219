//! How bytes cross between host and device. Every path copies; nothing aliases (see the crate docs).
//!
//! Two paths ([`TransferPath`]): the host maps the tensor's own storage buffer (UMA adapters with
//! MAPPABLE_PRIMARY_BUFFERS), or bytes go through pooled staging/readback buffers and a GPU copy.

mod map;
mod mapped;
mod path;
mod source;
mod staging;
mod trace;

use crate::tensor::padded_size;
use crate::{Array, DType, Device, DeviceTensor, Error, Result, Shape};
pub(crate) use source::{BytesSource, HostSource};

pub(crate) use map::map_buffer;
pub use path::TransferPath;
pub use trace::{CopyStep, Location, TransferTrace};

/// The usages of a tensor's buffer on `device`'s path.
pub(crate) fn tensor_usage(device: &Device) -> wgpu::BufferUsages {
    match device.transfer_path() {
        TransferPath::MappedStorage if device.native().mappable_primary_buffers => {
            DeviceTensor::USAGE | wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::MAP_WRITE
        }
        _ => DeviceTensor::USAGE,
    }
}

impl Device {
    /// Copies `array` into a new tensor on this device. The tensor shares nothing with `array`: changing the array
    /// afterwards never changes the tensor. Uses the device's [`TransferPath`] and pooled buffers.
    ///
    /// # Errors
    /// [`Error::TooLarge`] (naming the size and the device's `max_buffer_size`) when the data does not fit in one
    /// buffer; [`Error::OutOfMemory`]; [`Error::BufferMap`]; [`Error::DeviceLost`].
    pub fn upload(&self, array: &Array) -> Result<DeviceTensor> {
        Ok(pollster::block_on(upload_impl(self, array, false))?.0)
    }

    /// The async form of [`Device::upload`]: waits for buffer maps by polling the device, never blocking a thread.
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
}

pub(crate) async fn upload_impl(device: &Device, array: &Array, traced: bool) -> Result<(DeviceTensor, TransferTrace)> {
    upload_bytes(device, array.as_bytes(), array.dtype(), crate::Shape::from(array.shape()), traced).await
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

/// Uploads the source's bytes as a tensor of `dtype` and `shape` on the device's path.
pub(crate) async fn upload_source(
    device: &Device,
    source: &mut (dyn HostSource + Send),
    dtype: DType,
    shape: Shape,
    traced: bool,
) -> Result<(DeviceTensor, TransferTrace)> {
    let label = format!("upload of a {shape} {dtype} tensor");
    let (buffer, trace) = match device.transfer_path() {
        TransferPath::MappedStorage => mapped::upload(device, &label, source).await?,
        _ => staging::upload(device, &label, source, traced).await?,
    };
    device.check()?;
    Ok((DeviceTensor::from_pooled(device, buffer, dtype, shape), trace))
}

impl Device {
    /// Copies any ndarray — owned or a view, contiguous or strided (transposed, stepped, permuted) — into a new
    /// tensor of the same shape, in logical row-major order. The elements are written straight into mapped memory:
    /// no intermediate `Array` or `Vec` is made, so a strided view costs one pass over its elements.
    ///
    /// ```no_run
    /// use ndarray::{Array2, s};
    /// let device = wgpu_tensor::Device::new()?;
    /// let m = Array2::<f32>::from_shape_fn((1024, 1024), |(i, j)| (i + j) as f32);
    /// let t = device.upload_ndarray(&m.slice(s![..;2, ..]).t())?; // strided: packed on the way
    /// assert_eq!(t.shape(), [1024, 512]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Device::upload`].
    pub fn upload_ndarray<S, D, T>(&self, array: &ndarray::ArrayBase<S, D>) -> Result<DeviceTensor>
    where
        S: ndarray::Data<Elem = T>,
        D: ndarray::Dimension,
        T: crate::Element,
    {
        let shape = Shape::from(array.shape());
        let mut source = source::ElementSource::new(array.iter().copied(), array.len());
        Ok(pollster::block_on(upload_source(self, &mut source, T::DTYPE, shape, false))?.0)
    }
}

pub(crate) async fn download_impl(tensor: &DeviceTensor) -> Result<(Array, TransferTrace)> {
    let mut array = Array::zeros(tensor.dtype(), tensor.shape())?;
    let trace = download_bytes(tensor, array.as_bytes_mut_unchecked()).await?;
    Ok((array, trace))
}

/// Copies the tensor's bytes into `out` (exactly `tensor.size_in_bytes()` long).
pub(crate) async fn download_bytes(tensor: &DeviceTensor, out: &mut [u8]) -> Result<TransferTrace> {
    let device = tensor.device();
    let trace = if tensor.buffer().usage().contains(wgpu::BufferUsages::MAP_READ) {
        mapped::download(device, tensor.buffer(), tensor.map_lock(), out).await?
    } else {
        staging::download(device, tensor.buffer(), out).await?
    };
    device.check()?;
    Ok(trace)
}

impl DeviceTensor {
    /// Copies the tensor into an existing host array of the same dtype and shape, reusing its memory: faster than
    /// [`download`](DeviceTensor::download) for large tensors, since warm host memory takes no page faults.
    ///
    /// # Errors
    /// [`Error::DTypeMismatch`] or [`Error::ShapeMismatch`] when `out` differs in dtype or shape; otherwise as
    /// [`DeviceTensor::download`].
    pub fn download_into(&self, out: &mut Array) -> Result<()> {
        if out.dtype() != self.dtype() {
            return Err(Error::DTypeMismatch { expected: self.dtype(), actual: out.dtype() });
        }
        if out.shape() != self.shape() {
            return Err(Error::ShapeMismatch { shape: out.shape().to_vec(), expected: self.len(), actual: out.len() });
        }
        pollster::block_on(download_bytes(self, out.as_bytes_mut_unchecked())).map(drop)
    }
}

impl Device {
    /// Reads `len` bytes at `offset` of a COPY_SRC buffer (both multiples of 4), blocking, through a pooled
    /// readback buffer. For small results such as kernel counters.
    pub(crate) fn read_buffer_bytes(&self, buffer: &wgpu::Buffer, offset: u64, len: u64) -> Result<Vec<u8>> {
        let size = len.max(4);
        let usage = wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST;
        let readback = self.pooled_buffer("counter readback", size, usage, false)?.buffer;
        let mut encoder = self.wgpu_device().create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(buffer, offset, &readback, 0, size);
        let submission = self.scoped(|| self.submit(encoder))?;
        let mapped = map_buffer(self, &readback, wgpu::MapMode::Read);
        self.wait(Some(submission))?;
        pollster::block_on(mapped)?;
        let bytes = readback.get_mapped_range(..size).map_err(map_err)?[..len as usize].to_vec();
        readback.unmap();
        self.recycle(readback);
        Ok(bytes)
    }
}

/// A failed `get_mapped_range` as the crate's error.
fn map_err(e: impl std::fmt::Display) -> Error {
    Error::BufferMap(e.to_string())
}

/// Zero bytes for the tail padding of a tensor's last word.
const ZEROS: [u8; 4] = [0; 4];

/// `padded_size` as usize (the data fits in host memory, so its padded size does too).
fn padded(len: usize) -> usize {
    padded_size(len) as usize
}
