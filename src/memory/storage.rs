//! [`Storage`]: the device buffer behind a tensor and all its views.
//!
//! Lifecycle:
//! 1. An upload or a kernel takes a buffer from the device's pool ([`Device::pooled_buffer`]) and wraps it in a
//!    `Storage`, behind an `Arc` that every [`DeviceTensor`](crate::DeviceTensor) view of it shares.
//! 2. Kernels read it through views (any layout); nothing writes it after it was filled: tensors are values.
//! 3. Downloads on the mapped-storage path map the buffer itself; `map_lock` makes them take turns, and the
//!    device's stream never submits work while a buffer is mapped (see [`Device::map_gate`]).
//! 4. When the last view drops, the buffer returns to the pool. Commands already recorded on it stay ordered before
//!    any later use, which is recorded after them on the same stream.

use crate::Device;

/// The usages of every tensor's buffer: bound as storage by kernels, copied to and from by transfers (the
/// mapped-storage path adds MAP_READ | MAP_WRITE).
pub(crate) const TENSOR_USAGE: wgpu::BufferUsages =
    wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_SRC).union(wgpu::BufferUsages::COPY_DST);

/// A pooled device buffer holding tensor data packed into 32-bit words (see [`DeviceTensor`](crate::DeviceTensor)).
pub(crate) struct Storage {
    device: Device,
    buffer: wgpu::Buffer,
    /// Serialises host mappings of this buffer (an async lock: waiting tasks are woken, never spun).
    map_lock: crate::device::AsyncMutex,
}

impl Storage {
    /// Wraps a buffer taken from `device`'s pool.
    pub(crate) fn new(device: &Device, buffer: wgpu::Buffer) -> Storage {
        Storage { device: device.clone(), buffer, map_lock: Default::default() }
    }

    pub(crate) fn device(&self) -> &Device {
        &self.device
    }

    pub(crate) fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    pub(crate) fn map_lock(&self) -> &crate::device::AsyncMutex {
        &self.map_lock
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        self.device.recycle(self.buffer.clone());
    }
}
