//! The mapped-storage path: the host maps the tensor's own storage buffer and copies once per direction.

use std::time::Instant;

use super::{Location, TransferPath, TransferTrace, ZEROS, map_buffer, padded, tensor_usage};
use crate::{Device, Error, Result};

fn map_err(e: impl std::fmt::Display) -> Error {
    Error::BufferMap(e.to_string())
}

/// A pooled mappable storage buffer holding `bytes` (tail padding zeroed), unmapped.
pub(super) async fn upload(device: &Device, label: &str, bytes: &[u8]) -> Result<(wgpu::Buffer, TransferTrace)> {
    let mut trace = TransferTrace::new(TransferPath::MappedStorage);
    let padded = padded(bytes.len());
    let pooled = device.pooled_buffer(label, padded as u64, tensor_usage(device), true)?;
    let buffer = pooled.buffer;
    if !pooled.fresh {
        map_buffer(device, &buffer, wgpu::MapMode::Write).await?;
    }
    let start = Instant::now();
    {
        let mut view = buffer.get_mapped_range_mut(..padded as u64).map_err(map_err)?;
        view.slice(..bytes.len()).copy_from_slice(bytes);
        view.slice(bytes.len()..).copy_from_slice(&ZEROS[..padded - bytes.len()]);
    }
    let seconds = start.elapsed().as_secs_f64();
    buffer.unmap();
    trace.push(Location::Host, Location::Device, bytes.len() as u64, seconds);
    Ok((buffer, trace))
}

/// Maps the tensor's buffer for reading and copies its first `out.len()` bytes out.
pub(super) async fn download(device: &Device, buffer: &wgpu::Buffer, out: &mut [u8]) -> Result<TransferTrace> {
    let mut trace = TransferTrace::new(TransferPath::MappedStorage);
    if out.is_empty() {
        trace.push(Location::Device, Location::Host, 0, 0.0);
        return Ok(trace);
    }
    map_buffer(device, buffer, wgpu::MapMode::Read).await?;
    let start = Instant::now();
    let copied =
        buffer.get_mapped_range(..padded(out.len()) as u64).map(|view| out.copy_from_slice(&view[..out.len()]));
    let seconds = start.elapsed().as_secs_f64();
    buffer.unmap();
    copied.map_err(map_err)?;
    trace.push(Location::Device, Location::Host, out.len() as u64, seconds);
    Ok(trace)
}
