//! The staging path: uploads through a ring of two pooled MAP_WRITE | COPY_SRC chunks (the CPU fills chunk k+1
//! while the GPU copies chunk k), downloads through a ring of two pooled MAP_READ | COPY_DST chunks (the GPU copies
//! chunk k+1 while the CPU reads chunk k). One [`Ring`] serves both directions.

use std::time::Instant;

use super::source::HostSource;
use super::{Location, TransferPath, TransferTrace, Unmapping, ZEROS, alloc_storage, map_err, padded_size};
use crate::memory::Storage;
use crate::{Device, Result};

const STAGING: wgpu::BufferUsages = wgpu::BufferUsages::MAP_WRITE.union(wgpu::BufferUsages::COPY_SRC);
const READBACK: wgpu::BufferUsages = wgpu::BufferUsages::MAP_READ.union(wgpu::BufferUsages::COPY_DST);

/// Two pooled host-visible chunk buffers used alternately. Dropping the ring (also when a transfer future is
/// dropped half-way) unmaps its buffers and returns them to the pool.
struct Ring<'a> {
    device: &'a Device,
    usage: wgpu::BufferUsages,
    chunk: u64,
    slots: [Option<Unmapping<'a>>; 2],
}

impl<'a> Ring<'a> {
    fn new(device: &'a Device, usage: wgpu::BufferUsages, chunk: u64) -> Ring<'a> {
        Ring { device, usage, chunk, slots: [None, None] }
    }

    /// Chunk `k`'s buffer (from the pool on first use; `fresh` ones come mapped when `map_fresh`), and whether it
    /// was freshly allocated.
    fn take(&mut self, k: usize, map_fresh: bool) -> Result<(Unmapping<'a>, bool)> {
        match self.slots[k % 2].take() {
            Some(b) => Ok((b, false)),
            None => {
                let label = if self.usage == STAGING { "staging chunk" } else { "download readback" };
                let p = self.device.pooled_buffer(label, self.chunk, self.usage, map_fresh)?;
                Ok((Unmapping(p.buffer, self.device), p.fresh))
            }
        }
    }

    fn put(&mut self, k: usize, b: Unmapping<'a>) {
        self.slots[k % 2] = Some(b);
    }
}

/// A pooled storage buffer that holds the source's bytes (tail padding zeroed) once the submitted copies complete.
pub(super) async fn upload(
    device: &Device,
    label: &str,
    source: &mut (dyn HostSource + Send),
    traced: bool,
) -> Result<(Storage, TransferTrace)> {
    let mut trace = TransferTrace::new(TransferPath::Staging);
    let total = source.byte_len();
    let padded = padded_size(total);
    let storage = alloc_storage(device, label, total)?;
    // The recycled tensor buffer may still be read by recorded work: submit it first, so our copies come after.
    device.flush()?;
    let chunk = device.staging_chunk().min(padded);
    let mut ring = Ring::new(device, STAGING, chunk);
    let (mut fill_seconds, mut first_submit, mut last) = (0.0, None, None);
    let mut offset = 0u64;
    let mut k = 0;
    while offset < padded {
        let len = chunk.min(padded - offset);
        let (staging, fresh) = ring.take(k, true)?;
        if !fresh {
            device.map_buffer(&staging.0, wgpu::MapMode::Write).await?;
        }
        let start = Instant::now();
        {
            let mut view = staging.0.get_mapped_range_mut(..len).map_err(map_err)?;
            let data = (total as u64).min(offset + len).saturating_sub(offset) as usize;
            source.write_next(view.slice(..data));
            view.slice(data..).copy_from_slice(&ZEROS[..len as usize - data]);
        }
        fill_seconds += start.elapsed().as_secs_f64();
        staging.0.unmap();
        let mut encoder = device.wgpu_device().create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(&staging.0, 0, storage.buffer(), offset, len);
        first_submit.get_or_insert_with(Instant::now);
        last = Some(device.submit_now("upload", encoder)?);
        ring.put(k, staging);
        offset += len;
        k += 1;
    }
    drop(ring);
    trace.push(Location::Host, Location::Staging, total as u64, fill_seconds);
    let mut gpu_seconds = 0.0;
    if traced {
        device.wait(last)?;
        gpu_seconds = first_submit.map_or(0.0, |t| t.elapsed().as_secs_f64());
    }
    trace.push(Location::Staging, Location::Device, padded, gpu_seconds);
    Ok((storage, trace))
}

/// Copies `out.len()` bytes from byte `start` of `buffer`, chunk by chunk, through a ring of two readback buffers
/// (the GPU copies chunk k+1 while the CPU reads chunk k). Copies start at a word boundary.
pub(super) async fn download(
    device: &Device,
    buffer: &wgpu::Buffer,
    start: u64,
    out: &mut [u8],
) -> Result<TransferTrace> {
    let mut trace = TransferTrace::new(TransferPath::Staging);
    if out.is_empty() {
        trace.push(Location::Device, Location::Readback, 0, 0.0);
        trace.push(Location::Readback, Location::Host, 0, 0.0);
        return Ok(trace);
    }
    let skip = (start % 4) as usize; // bytes before the data in the first word
    let base = start - skip as u64;
    let padded = padded_size(skip + out.len());
    let chunk = device.staging_chunk().min(padded);
    let chunks = padded.div_ceil(chunk) as usize;
    let mut ring = Ring::new(device, READBACK, chunk);
    let (mut wait_seconds, mut read_seconds) = (0.0, 0.0);
    let submit = |k: usize, ring: &mut Ring<'_>| -> Result<()> {
        let (readback, _) = ring.take(k, false)?;
        let offset = k as u64 * chunk;
        let mut encoder = device.wgpu_device().create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(buffer, base + offset, &readback.0, 0, chunk.min(padded - offset));
        device.submit_now("download", encoder)?;
        ring.put(k, readback);
        Ok(())
    };
    submit(0, &mut ring)?;
    for k in 0..chunks {
        if k + 1 < chunks {
            submit(k + 1, &mut ring)?;
        }
        let (readback, _) = ring.take(k, false)?;
        let begin = Instant::now();
        device.map_buffer(&readback.0, wgpu::MapMode::Read).await?;
        wait_seconds += begin.elapsed().as_secs_f64();
        let begin = Instant::now();
        // This chunk covers bytes [k·chunk, k·chunk + chunk) of the word-aligned range; the data starts at `skip`.
        let lo = (k as u64 * chunk) as usize;
        let hi = (lo + chunk as usize).min(skip + out.len());
        let (from, to) = (lo.max(skip), hi);
        let copied = readback
            .0
            .get_mapped_range(..((hi - lo) as u64).next_multiple_of(4))
            .map(|view| out[from - skip..to - skip].copy_from_slice(&view[from - lo..to - lo]));
        read_seconds += begin.elapsed().as_secs_f64();
        readback.0.unmap();
        copied.map_err(map_err)?;
        ring.put(k, readback);
    }
    trace.push(Location::Device, Location::Readback, padded, wait_seconds);
    trace.push(Location::Readback, Location::Host, out.len() as u64, read_seconds);
    Ok(trace)
}
