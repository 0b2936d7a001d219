//! How bytes cross between host and device. Every path copies; nothing aliases (see the crate docs).

mod map;

use crate::tensor::padded_size;
use crate::{Array, Device, DeviceTensor, Error, Result};

pub(crate) use map::map_buffer;

impl Device {
    /// Copies `array` into a new tensor on this device. The tensor shares nothing with `array`: changing the array
    /// afterwards never changes the tensor.
    ///
    /// # Errors
    /// [`Error::TooLarge`] (naming the size and the device's `max_buffer_size`) when the data does not fit in one
    /// buffer; [`Error::OutOfMemory`]; [`Error::DeviceLost`].
    pub fn upload(&self, array: &Array) -> Result<DeviceTensor> {
        upload(self, array)
    }

    /// The async form of [`Device::upload`].
    ///
    /// # Errors
    /// As [`Device::upload`].
    pub async fn upload_async(&self, array: &Array) -> Result<DeviceTensor> {
        upload(self, array)
    }
}

/// Allocates the tensor's buffer mapped at creation, copies the bytes in, and unmaps (wgpu stages the data when
/// the buffer is not host-visible).
fn upload(device: &Device, array: &Array) -> Result<DeviceTensor> {
    let shape = crate::Shape::from(array.shape());
    let size = padded_size(array.size_in_bytes());
    let label = format!("upload of a {shape} {} tensor", array.dtype());
    let buffer = device.create_buffer(&label, size, DeviceTensor::USAGE, true)?;
    {
        let mut view = buffer.get_mapped_range_mut(..).map_err(|e| Error::BufferMap(e.to_string()))?;
        // Mapped-at-creation memory is zeroed, so the tail padding is already 0.
        view.slice(..array.size_in_bytes()).copy_from_slice(array.as_bytes());
    }
    buffer.unmap();
    device.check()?;
    Ok(DeviceTensor::from_buffer(device, buffer, array.dtype(), shape))
}

/// Copies `size` bytes (a multiple of 4) at `offset` of `source` into a fresh readback buffer and submits.
fn copy_to_readback(
    device: &Device,
    source: &wgpu::Buffer,
    offset: u64,
    size: u64,
) -> Result<(wgpu::Buffer, wgpu::SubmissionIndex)> {
    let usage = wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST;
    let readback = device.create_buffer("download readback", size, usage, false)?;
    let mut encoder = device.wgpu_device().create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(source, offset, &readback, 0, size);
    let submission = device.scoped(|| device.submit(encoder))?;
    Ok((readback, submission))
}

impl Device {
    /// Reads `len` bytes at `offset` of a COPY_SRC buffer (both multiples of 4), blocking. For small results such
    /// as kernel counters.
    pub(crate) fn read_buffer_bytes(&self, buffer: &wgpu::Buffer, offset: u64, len: u64) -> Result<Vec<u8>> {
        let (readback, submission) = copy_to_readback(self, buffer, offset, len.max(4))?;
        let mapped = map_buffer(self, &readback, wgpu::MapMode::Read);
        self.wait(Some(submission))?;
        pollster::block_on(mapped)?;
        let bytes =
            readback.get_mapped_range(..).map_err(|e| Error::BufferMap(e.to_string()))?[..len as usize].to_vec();
        readback.unmap();
        Ok(bytes)
    }
}

fn readback_tensor(tensor: &DeviceTensor) -> Result<(wgpu::Buffer, wgpu::SubmissionIndex)> {
    copy_to_readback(tensor.device(), tensor.buffer(), 0, padded_size(tensor.size_in_bytes()))
}

fn read_mapped(tensor: &DeviceTensor, readback: &wgpu::Buffer) -> Result<Array> {
    let mut array = Array::zeros(tensor.dtype(), tensor.shape())?;
    {
        let view = readback.get_mapped_range(..).map_err(|e| Error::BufferMap(e.to_string()))?;
        array.as_bytes_mut_unchecked().copy_from_slice(&view[..tensor.size_in_bytes()]);
    }
    readback.unmap();
    Ok(array)
}

pub(crate) fn download(tensor: &DeviceTensor) -> Result<Array> {
    let (readback, submission) = readback_tensor(tensor)?;
    let mapped = map_buffer(tensor.device(), &readback, wgpu::MapMode::Read);
    tensor.device().wait(Some(submission))?;
    pollster::block_on(mapped)?;
    read_mapped(tensor, &readback)
}

pub(crate) async fn download_async(tensor: &DeviceTensor) -> Result<Array> {
    let (readback, _) = readback_tensor(tensor)?;
    map_buffer(tensor.device(), &readback, wgpu::MapMode::Read).await?;
    read_mapped(tensor, &readback)
}
