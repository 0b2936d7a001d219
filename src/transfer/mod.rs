//! How bytes cross between host and device. Every path copies; nothing aliases (see the crate docs).
//!
//! Two paths ([`TransferPath`]): the host maps the tensor's own storage buffer (UMA adapters with
//! MAPPABLE_PRIMARY_BUFFERS), or bytes go through pooled staging/readback buffers and a GPU copy. On the staging
//! path, small uploads (≤ 4 KiB) are recorded on the device's stream through its arena: no map round trip, no
//! submit.
//!
//! This layer moves bytes between host memory and [`Storage`]; the tensor-level API (`Device::upload`,
//! `DeviceTensor::download`, …) lives in `crate::tensor`. Every transfer first flushes the device's stream, so host access is ordered after the work recorded before it.
//! A transfer future dropped before it completes unmaps and returns every buffer it held (see the guards below).

mod mapped;
mod path;
mod source;
mod staging;
mod trace;

use crate::memory::{Storage, TENSOR_USAGE};
use crate::{Device, Error, Result};

pub use path::TransferPath;
pub(crate) use source::{BytesSource, ElementSource, HostSource, write_elements};
pub use trace::{CopyStep, Location, TransferTrace};

/// Uploads of at most this many bytes are recorded on the stream (arena copy) instead of mapping a buffer.
const SMALL_UPLOAD: usize = 4096;

/// The usages of a tensor's buffer on `device`'s path.
pub(crate) fn tensor_usage(device: &Device) -> wgpu::BufferUsages {
    match device.transfer_path() {
        TransferPath::MappedStorage if device.native().mappable_primary_buffers => {
            TENSOR_USAGE | wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::MAP_WRITE
        }
        _ => TENSOR_USAGE,
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

/// Uploads the source's bytes into new storage on the device's path; `label` names the upload in errors.
pub(crate) async fn upload_source(
    device: &Device,
    source: &mut (dyn HostSource + Send),
    label: &str,
    traced: bool,
) -> Result<(Storage, TransferTrace)> {
    match device.transfer_path() {
        // The host writes the tensor's own buffer: no GPU work, so nothing for a later read to wait on.
        TransferPath::MappedStorage => mapped::upload(device, label, source).await,
        _ if source.byte_len() <= SMALL_UPLOAD => small_upload(device, label, source, traced),
        _ => staging::upload(device, label, source, traced).await,
    }
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

/// Copies `out.len()` bytes from byte `start` of `storage` into `out`, on the path of the storage's buffer.
pub(crate) async fn download(storage: &Storage, start: u64, out: &mut [u8]) -> Result<TransferTrace> {
    let device = storage.device();
    device.flush()?;
    let result = if storage.buffer().usage().contains(wgpu::BufferUsages::MAP_READ) {
        mapped::download(device, storage, start, out).await
    } else {
        staging::download(device, storage.buffer(), start, out).await
    };
    result.map_err(|e| device.explain(e))
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
        let bytes = readback.0.get_mapped_range(..size).map_err(|e| self.explain(map_err(e)))?[..len as usize].to_vec();
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
