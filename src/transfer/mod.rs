//! How bytes cross between host and device. Every path copies; nothing aliases (see the crate docs).
//!
//! Two paths ([`TransferPath`]): the host maps the tensor's own storage buffer (UMA adapters with
//! MAPPABLE_PRIMARY_BUFFERS), or bytes go through pooled staging/readback buffers and a GPU copy. Small uploads
//! (≤ 4 KiB) are recorded on the device's stream through its arena on both paths: no map round trip, no submit.
//!
//! Every transfer first flushes the device's stream, so host access is ordered after the work recorded before it.
//! A transfer future dropped before it completes unmaps and returns every buffer it held (see the guards below).

mod mapped;
mod path;
mod source;
mod staging;
mod trace;

use crate::memory::Storage;
use crate::{Array, DType, Device, DeviceTensor, Error, Layout, Result, Shape};

pub use path::TransferPath;
pub(crate) use source::{BytesSource, HostSource};
pub use trace::{CopyStep, Location, TransferTrace};

/// Uploads of at most this many bytes are recorded on the stream (arena copy) instead of mapping a buffer.
const SMALL_UPLOAD: usize = 4096;

/// The usages of a tensor's buffer on `device`'s path.
pub(crate) fn tensor_usage(device: &Device) -> wgpu::BufferUsages {
    match device.transfer_path() {
        TransferPath::MappedStorage if device.native().mappable_primary_buffers => {
            DeviceTensor::USAGE | wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::MAP_WRITE
        }
        _ => DeviceTensor::USAGE,
    }
}

/// The size of the buffer that holds `byte_len` bytes: rounded up to whole 32-bit words, at least one word.
pub(crate) fn padded_size(byte_len: usize) -> u64 {
    (byte_len.max(1) as u64).next_multiple_of(4)
}

/// A new storage buffer of `device`'s tensor usage holding at least `byte_len` bytes (content undefined).
pub(crate) fn alloc_storage(device: &Device, what: &str, byte_len: usize) -> Result<Storage> {
    let buffer = device.pooled_buffer(what, padded_size(byte_len), tensor_usage(device), false)?.buffer;
    Ok(Storage::new(device, buffer))
}

impl Device {
    /// Copies `array` into a new tensor on this device. The tensor shares nothing with `array`: changing the array
    /// afterwards never changes the tensor. Uses the device's [`TransferPath`] and pooled buffers.
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
        let mut source = source::ElementSource::new(array.iter().copied(), len);
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

/// Uploads the source's bytes as a tensor of `dtype` and `shape` on the device's path.
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
    let (storage, trace) = if byte_len <= SMALL_UPLOAD {
        small_upload(device, &label, source, traced)?
    } else {
        match device.transfer_path() {
            TransferPath::MappedStorage => mapped::upload(device, &label, source).await?,
            _ => staging::upload(device, &label, source, traced).await?,
        }
    };
    Ok((DeviceTensor::from_storage(std::sync::Arc::new(storage), Layout::contiguous(shape), dtype), trace))
}

/// A small upload recorded on the stream: the bytes go into the batch's arena and a copy into the tensor's buffer
/// is recorded, ordered with every other recorded command. Nothing is submitted or waited for.
fn small_upload(
    device: &Device,
    label: &str,
    source: &mut (dyn HostSource + Send),
    traced: bool,
) -> Result<(Storage, TransferTrace)> {
    let mut trace = TransferTrace::new(device.transfer_path());
    let total = source.byte_len();
    let padded = padded_size(total) as usize;
    let storage = alloc_storage(device, label, total)?;
    let start = std::time::Instant::now();
    let mut words = [0u8; SMALL_UPLOAD];
    source.write_next(wgpu::WriteOnly::from(&mut words[..total]));
    device.record("upload", |rec| rec.upload(&words[..padded], storage.buffer(), 0))?;
    trace.push(Location::Host, Location::Staging, total as u64, start.elapsed().as_secs_f64());
    let mut gpu_seconds = 0.0;
    if traced {
        let start = std::time::Instant::now();
        device.synchronize()?;
        gpu_seconds = start.elapsed().as_secs_f64();
    }
    trace.push(Location::Staging, Location::Device, padded as u64, gpu_seconds);
    Ok((storage, trace))
}

pub(crate) async fn download_impl(tensor: &DeviceTensor) -> Result<(Array, TransferTrace)> {
    let mut array = Array::zeros(tensor.dtype(), tensor.shape())?;
    let trace = download_bytes(tensor, array.as_bytes_mut_unchecked()).await?;
    Ok((array, trace))
}

/// Copies the tensor's elements in row-major order into `out` (exactly `tensor.size_in_bytes()` long). A view
/// that is not contiguous is first packed on the device by the strided-copy kernel.
pub(crate) async fn download_bytes(tensor: &DeviceTensor, out: &mut [u8]) -> Result<TransferTrace> {
    if out.len() != tensor.size_in_bytes() {
        return Err(Error::ByteLength {
            dtype: tensor.dtype(),
            len: tensor.len(),
            expected: tensor.size_in_bytes(),
            actual: out.len(),
        });
    }
    if !tensor.layout().is_contiguous() {
        let packed = tensor.contiguous()?;
        return Box::pin(download_bytes(&packed, out)).await;
    }
    let device = tensor.device();
    device.flush()?;
    let start = (tensor.layout().offset() * tensor.dtype().size_in_bytes()) as u64;
    let storage = tensor.storage();
    if storage.buffer().usage().contains(wgpu::BufferUsages::MAP_READ) {
        mapped::download(device, storage, start, out).await
    } else {
        staging::download(device, storage.buffer(), start, out).await
    }
}

impl DeviceTensor {
    /// Copies the tensor into an existing host array of the same dtype and shape, reusing its memory: faster than
    /// [`download`](DeviceTensor::download) for large tensors, since warm host memory takes no page faults.
    ///
    /// # Errors
    /// [`Error::DTypeMismatch`] when `out`'s dtype differs; [`Error::InvalidArgument`] naming both shapes when they
    /// differ; otherwise as [`DeviceTensor::download`].
    pub fn download_into(&self, out: &mut Array) -> Result<()> {
        if out.dtype() != self.dtype() {
            return Err(Error::DTypeMismatch { expected: self.dtype(), actual: out.dtype() });
        }
        if out.shape() != self.shape() {
            let reason = format!(
                "the tensor is {} {:?} but the array is {} {:?}; give an array of the tensor's dtype and shape",
                self.dtype(),
                self.shape(),
                out.dtype(),
                out.shape()
            );
            return Err(Error::InvalidArgument { op: "download_into", reason });
        }
        pollster::block_on(download_bytes(self, out.as_bytes_mut_unchecked())).map(drop)
    }
}

impl Device {
    /// Reads `len` bytes at `offset` of a COPY_SRC buffer (both multiples of 4), blocking, through a pooled
    /// readback buffer. For small results such as kernel counters.
    pub(crate) fn read_buffer_bytes(&self, buffer: &wgpu::Buffer, offset: u64, len: u64) -> Result<Vec<u8>> {
        self.flush()?;
        let size = len.max(4);
        let usage = wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST;
        let readback = Unmapping(self.pooled_buffer("counter readback", size, usage, false)?.buffer, self);
        let mut encoder = self.wgpu_device().create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(buffer, offset, &readback.0, 0, size);
        self.submit_now("read counters", encoder)?;
        pollster::block_on(self.map_buffer(&readback.0, wgpu::MapMode::Read))?;
        let bytes = readback.0.get_mapped_range(..size).map_err(map_err)?[..len as usize].to_vec();
        Ok(bytes)
    }
}

/// A pooled host-visible buffer that is unmapped and returned to the pool when dropped — also when the future
/// using it is dropped half-way, so a cancelled transfer never leaves a mapped buffer behind.
pub(crate) struct Unmapping<'a>(pub wgpu::Buffer, pub &'a Device);

impl Drop for Unmapping<'_> {
    fn drop(&mut self) {
        self.1.recycle(self.0.clone());
    }
}

/// A failed `get_mapped_range` as the crate's error.
fn map_err(e: impl std::fmt::Display) -> Error {
    Error::BufferMap(e.to_string())
}

/// Zero bytes for the tail padding of a tensor's last word.
const ZEROS: [u8; 4] = [0; 4];
