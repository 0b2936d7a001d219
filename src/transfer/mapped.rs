//! The mapped-storage path: the host maps the tensor's own storage buffer and copies once per direction.

use std::time::Instant;

use super::source::HostSource;
use super::{Location, TransferPath, TransferTrace, ZEROS, map_err, padded_size, tensor_usage};
use crate::memory::Storage;
use crate::{Device, Result};

/// A pooled mappable storage buffer holding the source's bytes (tail padding zeroed), unmapped. If the future is
/// dropped half-way, the storage's drop unmaps the buffer and returns it to the pool.
pub(super) async fn upload(
    device: &Device,
    label: &str,
    source: &mut (dyn HostSource + Send),
) -> Result<(Storage, TransferTrace)> {
    let mut trace = TransferTrace::new(TransferPath::MappedStorage);
    let len = source.byte_len();
    let padded = padded_size(len);
    let pooled = device.pooled_buffer(label, padded, tensor_usage(device), true)?;
    let storage = Storage::new(device, pooled.buffer);
    let buffer = storage.buffer();
    if !pooled.fresh {
        // A recycled buffer may still be read by recorded work: submit it, then the map waits for it.
        device.flush()?;
        device.map_buffer(buffer, wgpu::MapMode::Write).await?;
    }
    let start = Instant::now();
    {
        let mut view = buffer.get_mapped_range_mut(..padded).map_err(map_err)?;
        source.write_next(view.slice(..len));
        view.slice(len..).copy_from_slice(&ZEROS[..padded as usize - len]);
    }
    let seconds = start.elapsed().as_secs_f64();
    buffer.unmap();
    trace.push(Location::Host, Location::Device, len as u64, seconds);
    Ok((storage, trace))
}

/// Unmaps the buffer when dropped (also when the download future is dropped while its map is pending, which
/// cancels the map).
struct MappedGuard<'a>(&'a wgpu::Buffer, &'a Device);

impl Drop for MappedGuard<'_> {
    fn drop(&mut self) {
        self.1.unmap_quietly(self.0);
    }
}

/// Maps the storage's buffer for reading and copies `out.len()` bytes from byte `start` out. Downloads of one
/// storage take turns on its map lock; while the buffer is mapped the device's stream submits nothing (a
/// submission that uses a mapped buffer is invalid), see [`crate::device::MapGate`].
pub(super) async fn download(device: &Device, storage: &Storage, start: u64, out: &mut [u8]) -> Result<TransferTrace> {
    let mut trace = TransferTrace::new(TransferPath::MappedStorage);
    if out.is_empty() {
        trace.push(Location::Device, Location::Host, 0, 0.0);
        return Ok(trace);
    }
    let _turn = storage.map_lock().lock().await;
    let _gate = device.map_gate().enter();
    let buffer = storage.buffer();
    let mapped = MappedGuard(buffer, device);
    device.map_buffer(buffer, wgpu::MapMode::Read).await?;
    let begin = Instant::now();
    let (from, to) = (start as usize, start as usize + out.len());
    let copied = buffer.get_mapped_range(..).map(|view| out.copy_from_slice(&view[from..to]));
    let seconds = begin.elapsed().as_secs_f64();
    drop(mapped);
    copied.map_err(map_err)?;
    trace.push(Location::Device, Location::Host, out.len() as u64, seconds);
    Ok(trace)
}
