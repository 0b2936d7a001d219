//! [`DeviceTensor`]: a tensor in device memory = a storage buffer + dtype + shape.

use crate::{Array, DType, Device, Result, Shape};

/// A tensor in device memory: one storage buffer holding the elements in their host byte layout, packed into
/// 32-bit words (4 one-byte or 2 two-byte elements per word, 64-bit elements as two words, low word first), padded
/// to a multiple of 4 bytes. No shader feature is needed to hold any dtype, and a round trip is byte-identical.
///
/// A `DeviceTensor` shares nothing with the [`Array`] it came from: it is made by [`Device::upload`] (a copy) and
/// read back by [`DeviceTensor::download`] (another copy).
///
/// Lifecycle:
/// 1. [`Device::upload`] allocates a storage buffer and copies the array's bytes into it.
/// 2. Kernels (such as [`cast`](DeviceTensor::cast)) read it and write new tensors; nothing changes it in place.
/// 3. [`DeviceTensor::download`] copies the bytes back into a fresh `Array`; the tensor stays valid.
/// 4. Dropping the tensor returns its buffer to the device's pool for reuse.
pub struct DeviceTensor {
    device: Device,
    buffer: wgpu::Buffer,
    dtype: DType,
    shape: Shape,
    len: usize,
    byte_len: usize,
    /// Held while the host maps the buffer (mapped-storage downloads), so concurrent downloads take turns.
    map_lock: std::sync::atomic::AtomicBool,
}

impl Drop for DeviceTensor {
    /// Returns a pooled buffer to the device's pool for reuse (work already submitted on it completes first).
    fn drop(&mut self) {
        self.device.recycle(self.buffer.clone());
    }
}

impl std::fmt::Debug for DeviceTensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceTensor")
            .field("dtype", &self.dtype)
            .field("shape", &self.shape.dims())
            .field("device", &self.device)
            .finish()
    }
}

/// The size of the buffer that holds `byte_len` bytes: rounded up to whole 32-bit words, at least one word.
pub(crate) fn padded_size(byte_len: usize) -> u64 {
    (byte_len.max(1) as u64).next_multiple_of(4)
}

impl DeviceTensor {
    /// A tensor whose buffer comes from the device's pool (at least STORAGE | COPY_SRC | COPY_DST, possibly longer
    /// than the data, content undefined).
    pub(crate) fn empty(device: &Device, dtype: DType, shape: Shape) -> Result<DeviceTensor> {
        let (_, byte_len) = shape.checked_size(dtype)?;
        let label = format!("{dtype} tensor {shape}");
        let usage = crate::transfer::tensor_usage(device);
        let buffer = device.pooled_buffer(&label, padded_size(byte_len), usage, false)?.buffer;
        Ok(Self::from_pooled(device, buffer, dtype, shape))
    }

    /// Wraps a pooled buffer that holds the tensor's bytes (returned to the pool on drop).
    pub(crate) fn from_pooled(device: &Device, buffer: wgpu::Buffer, dtype: DType, shape: Shape) -> DeviceTensor {
        let len = shape.len();
        let byte_len = len * dtype.size_in_bytes();
        let map_lock = Default::default();
        DeviceTensor { device: device.clone(), buffer, dtype, shape, len, byte_len, map_lock }
    }

    /// The usages of a tensor's buffer: bound as storage by kernels, copied to and from by transfers.
    pub(crate) const USAGE: wgpu::BufferUsages =
        wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_SRC).union(wgpu::BufferUsages::COPY_DST);

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

    /// The element count.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The size of the data in bytes (`len × dtype size`; the buffer may be up to 3 bytes longer, or 4 bytes
    /// for an empty tensor).
    pub fn size_in_bytes(&self) -> usize {
        self.byte_len
    }

    /// The storage buffer, for binding in your own wgpu pipelines as `array<u32>` (see the layout above). It may be
    /// longer than the data (buffers are pooled by size class): use [`size_in_bytes`](Self::size_in_bytes), never
    /// `buffer().size()`.
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    pub(crate) fn map_lock(&self) -> &std::sync::atomic::AtomicBool {
        &self.map_lock
    }

    /// The device the tensor lives on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Copies the tensor back into a new host [`Array`]. Blocks until the copy is done.
    ///
    /// # Errors
    /// [`Error::OutOfMemory`](crate::Error::OutOfMemory) when no readback buffer can be allocated,
    /// [`Error::BufferMap`](crate::Error::BufferMap), [`Error::DeviceLost`](crate::Error::DeviceLost).
    pub fn download(&self) -> Result<Array> {
        Ok(pollster::block_on(crate::transfer::download_impl(self))?.0)
    }

    /// The async form of [`DeviceTensor::download`].
    ///
    /// # Errors
    /// As [`DeviceTensor::download`].
    pub async fn download_async(&self) -> Result<Array> {
        Ok(crate::transfer::download_impl(self).await?.0)
    }

    /// [`DeviceTensor::download`], also returning the path taken and each copy made with its time and bandwidth.
    ///
    /// # Errors
    /// As [`DeviceTensor::download`].
    pub fn download_traced(&self) -> Result<(Array, crate::TransferTrace)> {
        pollster::block_on(crate::transfer::download_impl(self))
    }

    /// Reshapes without moving data.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) if the element counts differ.
    pub fn reshape(mut self, shape: impl crate::IntoShape) -> Result<DeviceTensor> {
        let shape = shape.into_shape();
        match shape.checked_len() {
            Some(n) if n == self.len => {}
            n => {
                let expected = n.unwrap_or(usize::MAX);
                return Err(crate::Error::ShapeMismatch { shape: shape.into_dims(), expected, actual: self.len });
            }
        }
        self.shape = shape;
        Ok(self)
    }
}
