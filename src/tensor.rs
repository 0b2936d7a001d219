//! [`DeviceTensor`]: the user's handle to a tensor in device memory — a shared storage buffer, a [`Layout`] and a
//! dtype. View methods only change the layout; data-moving methods delegate to [`crate::ops`] and
//! [`crate::transfer`].

use std::sync::Arc;

use ndarray::SliceInfoElem;

use crate::memory::Storage;
use crate::{Array, DType, Device, Error, IntoShape, Layout, Result};

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
    /// The usages of a tensor's buffer: bound as storage by kernels, copied to and from by transfers.
    pub(crate) const USAGE: wgpu::BufferUsages =
        wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_SRC).union(wgpu::BufferUsages::COPY_DST);

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
        Ok(pollster::block_on(crate::transfer::download_impl(self))?.0)
    }

    /// The async form of [`DeviceTensor::download`]. The future is `Send`; awaiting it costs no CPU (the device's
    /// poller completes the map). Dropping it early unmaps and returns every buffer it held.
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
    /// [`Error::Broadcast`] naming both shapes when they are incompatible.
    pub fn broadcast_to(&self, shape: impl IntoShape) -> Result<DeviceTensor> {
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
