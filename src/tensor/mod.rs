//! [`DeviceTensor`]: the user's handle to a tensor in device memory — a shared storage buffer, a [`Layout`] and a
//! dtype. Its methods live here, one file per concern (`views`, `join`, `cast`, `create` for the constructors on
//! `Device`); they validate, then delegate to `crate::ops` (kernels) and `crate::transfer` (host copies), which
//! work on storage and layouts and never see a `DeviceTensor`.

mod cast;
mod create;
mod elementwise;
mod join;
mod matmul;
mod reduce;
mod views;

pub(crate) use create::upload_source;

use std::sync::Arc;

use crate::memory::Storage;
use crate::{Array, DType, Device, Error, Layout, Result};

/// A tensor in device memory: an immutable value. Its storage buffer holds elements in their host byte layout,
/// packed into 32-bit words (4 one-byte or 2 two-byte elements per word, 64-bit elements as two words, low word
/// first); its [`Layout`] says which elements of the storage it is, in what order.
///
/// `Clone` is cheap and shares the storage; so do views ([`permute`](Self::permute), [`slice`](Self::slice),
/// [`broadcast_to`](Self::broadcast_to), …), which run nothing on the device. Nothing ever writes a tensor's storage
/// after it was filled, so sharing is always safe, also across threads.
///
/// A `DeviceTensor` shares nothing with the [`Array`] it came from: it is made by [`Device::upload`] (a copy) and
/// read back by [`DeviceTensor::download`] (another copy).
///
/// ```
/// use ndarray::s;
/// use wgpu_tensor::{Array, Device};
/// let device = Device::new()?;
/// let x = device.upload(&Array::from_vec((0..24).collect::<Vec<i32>>(), [2, 3, 4])?)?;
/// let v = x.permute(&[2, 0, 1])?.slice(s![.., 1, ..;-1])?; // views: nothing runs on the device
/// assert_eq!(v.shape(), [4, 3]);
/// assert_eq!(v.download()?.to_vec::<i32>()?, [20, 16, 12, 21, 17, 13, 22, 18, 14, 23, 19, 15]);
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
///
/// Lifecycle:
/// 1. [`Device::upload`] (or a kernel) takes a buffer from the device's pool and fills it.
/// 2. Views and clones share it; kernels read it through any layout and write new tensors.
/// 3. [`DeviceTensor::download`] copies the elements back into a fresh `Array`; the tensor stays valid.
/// 4. When the last view drops, the buffer returns to the device's pool for reuse.
#[derive(Clone)]
pub struct DeviceTensor {
    storage: Arc<Storage>,
    layout: Layout,
    dtype: DType,
}

impl std::fmt::Debug for DeviceTensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceTensor")
            .field("dtype", &self.dtype)
            .field("shape", &self.shape())
            .field("strides", &self.strides())
            .field("offset", &self.offset())
            .field("device", self.device())
            .finish()
    }
}

impl DeviceTensor {
    pub(crate) fn from_storage(storage: Arc<Storage>, layout: Layout, dtype: DType) -> DeviceTensor {
        DeviceTensor { storage, layout, dtype }
    }

    /// The same storage under another layout.
    fn view(&self, layout: Layout) -> DeviceTensor {
        DeviceTensor { storage: self.storage.clone(), layout, dtype: self.dtype }
    }

    pub(crate) fn storage(&self) -> &Arc<Storage> {
        &self.storage
    }

    /// Where the elements sit in the storage.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The dims (`[]` for a scalar).
    pub fn shape(&self) -> &[usize] {
        self.layout.dims()
    }

    /// Strides in elements (0 for broadcast dims, negative for reversed ones).
    pub fn strides(&self) -> &[isize] {
        self.layout.strides()
    }

    /// The storage element of the first element.
    pub fn offset(&self) -> usize {
        self.layout.offset()
    }

    /// `true` when the elements sit in row-major order without gaps (the layout of a fresh upload).
    pub fn is_contiguous(&self) -> bool {
        self.layout.is_contiguous()
    }

    /// The number of dims.
    pub fn ndim(&self) -> usize {
        self.layout.ndim()
    }

    /// The element count.
    pub fn len(&self) -> usize {
        self.layout.len()
    }

    /// `true` when the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.layout.is_empty()
    }

    /// The size of the elements in bytes (`len × dtype size`) — what a download returns. A view may share a larger
    /// buffer; a broadcast view holds fewer distinct bytes.
    pub fn size_in_bytes(&self) -> usize {
        self.len() * self.dtype.size_in_bytes()
    }

    /// The storage buffer, for binding in your own wgpu pipelines as `array<u32>` (see the layout above): element
    /// `i` of the tensor is storage element `offset + Σ i[d]·strides[d]`. It may be longer than the data (buffers
    /// are pooled by size class) and shared with other views: never write it. Call
    /// [`contiguous`](Self::contiguous) first for a plain row-major buffer.
    pub fn buffer(&self) -> &wgpu::Buffer {
        self.storage.buffer()
    }

    /// The device the tensor lives on.
    pub fn device(&self) -> &Device {
        self.storage.device()
    }

    /// `true` when `self` and `other` share storage (views or clones of one tensor).
    pub fn shares_storage_with(&self, other: &DeviceTensor) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }

    pub(crate) fn check_same_device(&self, other: &DeviceTensor, op: &'static str) -> Result<()> {
        if self.device().same_device(other.device()) { Ok(()) } else { Err(Error::DeviceMismatch { op }) }
    }

    /// Copies the tensor (any layout) back into a new host [`Array`], row-major. Blocks until the copy is done.
    ///
    /// # Errors
    /// [`Error::OutOfMemory`] when no readback buffer or host memory can be allocated,
    /// [`Error::BufferMap`], [`Error::DeviceLost`].
    pub fn download(&self) -> Result<Array> {
        Ok(pollster::block_on(self.download_impl())?.0)
    }

    /// The async form of [`DeviceTensor::download`]. The future is `Send`; awaiting it costs no CPU (the device's
    /// poller completes the map). Dropping it early unmaps and returns every buffer it held.
    ///
    /// # Errors
    /// As [`DeviceTensor::download`].
    pub async fn download_async(&self) -> Result<Array> {
        Ok(self.download_impl().await?.0)
    }

    /// [`DeviceTensor::download`], also returning the path taken and each copy made with its time and bandwidth.
    ///
    /// # Errors
    /// As [`DeviceTensor::download`].
    pub fn download_traced(&self) -> Result<(Array, crate::TransferTrace)> {
        pollster::block_on(self.download_impl())
    }

    async fn download_impl(&self) -> Result<(Array, crate::TransferTrace)> {
        let mut array = Array::zeros(self.dtype(), self.shape())?;
        let trace = download_bytes(self, array.as_bytes_mut_unchecked()).await?;
        Ok((array, trace))
    }
    /// Copies the tensor into an existing host array of the same dtype and shape, reusing its memory: faster than
    /// [`download`](DeviceTensor::download) for large tensors, since warm host memory takes no page faults.
    ///
    /// # Errors
    /// [`Error::OutputMismatch`] naming both dtypes and shapes when `out` differs from the tensor; otherwise as
    /// [`DeviceTensor::download`].
    pub fn download_into(&self, out: &mut Array) -> Result<()> {
        if out.dtype() != self.dtype() || out.shape() != self.shape() {
            return Err(Error::OutputMismatch {
                op: "download_into",
                expected_dtype: self.dtype(),
                expected_shape: self.shape().to_vec(),
                actual_dtype: out.dtype(),
                actual_shape: out.shape().to_vec(),
            });
        }
        pollster::block_on(download_bytes(self, out.as_bytes_mut_unchecked())).map(drop)
    }

    /// Copies the tensor to another device (through the host: wgpu devices share no memory). Returns a clone when
    /// `device` is this tensor's own device.
    ///
    /// # Errors
    /// As [`DeviceTensor::download`] and [`Device::upload`].
    pub fn to_device(&self, device: &Device) -> Result<DeviceTensor> {
        if device.same_device(self.device()) {
            return Ok(self.clone());
        }
        device.upload(&self.download()?)
    }
}

/// Copies the tensor's elements in row-major order into `out` (exactly `tensor.size_in_bytes()` long). A view
/// that is not contiguous is first packed on the device by the strided-copy kernel.
pub(crate) async fn download_bytes(tensor: &DeviceTensor, out: &mut [u8]) -> Result<crate::TransferTrace> {
    if out.len() != tensor.size_in_bytes() {
        return Err(Error::ByteLength {
            dtype: tensor.dtype(),
            len: tensor.len(),
            expected: tensor.size_in_bytes(),
            actual: out.len(),
        });
    }
    let packed;
    let tensor = if tensor.is_contiguous() {
        tensor
    } else {
        packed = tensor.copy()?;
        &packed
    };
    let start = (tensor.offset() * tensor.dtype().size_in_bytes()) as u64;
    crate::transfer::download(tensor.storage(), start, out).await
}
