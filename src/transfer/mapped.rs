//! The mapped-storage path: the host maps the tensor's own storage buffer and copies once per direction.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use super::source::HostSource;
use super::{Location, TransferPath, TransferTrace, ZEROS, map_buffer, map_err, padded, tensor_usage};
use crate::{Device, Result};

/// A pooled mappable storage buffer holding the source's bytes (tail padding zeroed), unmapped.
pub(super) async fn upload(
    device: &Device,
    label: &str,
    source: &mut (dyn HostSource + Send),
) -> Result<(wgpu::Buffer, TransferTrace)> {
    let mut trace = TransferTrace::new(TransferPath::MappedStorage);
    let len = source.byte_len();
    let padded = padded(len);
    let pooled = device.pooled_buffer(label, padded as u64, tensor_usage(device), true)?;
    let buffer = pooled.buffer;
    if !pooled.fresh {
        map_buffer(device, &buffer, wgpu::MapMode::Write).await?;
    }
    let start = Instant::now();
    {
        let mut view = buffer.get_mapped_range_mut(..padded as u64).map_err(map_err)?;
        source.write_next(view.slice(..len));
        view.slice(len..).copy_from_slice(&ZEROS[..padded - len]);
    }
    let seconds = start.elapsed().as_secs_f64();
    buffer.unmap();
    trace.push(Location::Host, Location::Device, len as u64, seconds);
    Ok((buffer, trace))
}

/// Resolves to a guard once `flag` is taken; never blocks the thread (a busy future yields and asks to be polled).
struct Lock<'a>(&'a AtomicBool);

struct Guard<'a>(&'a AtomicBool);

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl<'a> Future for Lock<'a> {
    type Output = Guard<'a>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Guard<'a>> {
        if self.0.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            Poll::Ready(Guard(self.0))
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Maps the tensor's buffer for reading and copies its first `out.len()` bytes out. Downloads of one tensor from
/// several threads take turns on `lock` (a buffer maps once at a time).
pub(super) async fn download(
    device: &Device,
    buffer: &wgpu::Buffer,
    lock: &AtomicBool,
    out: &mut [u8],
) -> Result<TransferTrace> {
    let mut trace = TransferTrace::new(TransferPath::MappedStorage);
    if out.is_empty() {
        trace.push(Location::Device, Location::Host, 0, 0.0);
        return Ok(trace);
    }
    let _guard = Lock(lock).await;
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
