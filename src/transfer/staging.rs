//! The staging path: uploads through a ring of two pooled MAP_WRITE | COPY_SRC chunks (the CPU fills chunk k+1
//! while the GPU copies chunk k), downloads through a pooled MAP_READ | COPY_DST readback buffer.

use std::time::Instant;

use super::source::HostSource;
use super::{Location, TransferPath, TransferTrace, ZEROS, map_buffer, map_err, padded, tensor_usage};
use crate::{Device, Result};

const STAGING: wgpu::BufferUsages = wgpu::BufferUsages::MAP_WRITE.union(wgpu::BufferUsages::COPY_SRC);
/// Uploads up to this many bytes go through `queue.write_buffer` (no map round trip).
const SMALL: usize = 4096;
const READBACK: wgpu::BufferUsages = wgpu::BufferUsages::MAP_READ.union(wgpu::BufferUsages::COPY_DST);

/// A pooled storage buffer that will hold the source's bytes (tail padding zeroed) once the submitted copies
/// complete.
pub(super) async fn upload(
    device: &Device,
    label: &str,
    source: &mut (dyn HostSource + Send),
    traced: bool,
) -> Result<(wgpu::Buffer, TransferTrace)> {
    let mut trace = TransferTrace::new(TransferPath::Staging);
    let total = source.byte_len();
    let padded = padded(total);
    let buffer = device.pooled_buffer(label, padded as u64, tensor_usage(device), false)?.buffer;
    if padded <= SMALL {
        // Small data: wgpu's own staging (queue.write_buffer) needs no map round trip, so nothing waits.
        let start = Instant::now();
        let mut words = [0u8; SMALL];
        source.write_next(wgpu::WriteOnly::from(&mut words[..total]));
        device.wgpu_queue().write_buffer(&buffer, 0, &words[..padded]);
        trace.push(Location::Host, Location::Staging, total as u64, start.elapsed().as_secs_f64());
        // The write lands with the next submission on this queue (any kernel or download), so none is made here.
        let mut gpu_seconds = 0.0;
        if traced {
            let start = Instant::now();
            let submission = device.wgpu_queue().submit([]);
            device.wait(Some(submission))?;
            gpu_seconds = start.elapsed().as_secs_f64();
        }
        trace.push(Location::Staging, Location::Device, padded as u64, gpu_seconds);
        return Ok((buffer, trace));
    }
    let chunk = (device.staging_chunk() as usize).min(padded);
    let mut ring: [Option<wgpu::Buffer>; 2] = [None, None];
    let (mut fill_seconds, mut first_submit, mut last) = (0.0, None, None);
    let mut offset = 0;
    let mut k = 0;
    let result: Result<()> = async {
        while offset < padded {
            let len = chunk.min(padded - offset);
            let staging = match ring[k % 2].take() {
                Some(b) => {
                    map_buffer(device, &b, wgpu::MapMode::Write).await?;
                    b
                }
                None => {
                    let p = device.pooled_buffer("staging chunk", chunk as u64, STAGING, true)?;
                    if !p.fresh {
                        map_buffer(device, &p.buffer, wgpu::MapMode::Write).await?;
                    }
                    p.buffer
                }
            };
            let start = Instant::now();
            {
                let mut view = staging.get_mapped_range_mut(..len as u64).map_err(map_err)?;
                let data = total.min(offset + len).saturating_sub(offset);
                source.write_next(view.slice(..data));
                view.slice(data..).copy_from_slice(&ZEROS[..len - data]);
            }
            fill_seconds += start.elapsed().as_secs_f64();
            staging.unmap();
            let mut encoder = device.wgpu_device().create_command_encoder(&Default::default());
            encoder.copy_buffer_to_buffer(&staging, 0, &buffer, offset as u64, len as u64);
            first_submit.get_or_insert_with(Instant::now);
            last = Some(device.submit(encoder));
            ring[k % 2] = Some(staging);
            offset += len;
            k += 1;
        }
        Ok(())
    }
    .await;
    for staging in ring.into_iter().flatten() {
        if result.is_ok() {
            device.recycle(staging);
        }
    }
    result?;
    trace.push(Location::Host, Location::Staging, total as u64, fill_seconds);
    let mut gpu_seconds = 0.0;
    if traced {
        device.wait(last)?;
        gpu_seconds = first_submit.map_or(0.0, |t| t.elapsed().as_secs_f64());
    }
    trace.push(Location::Staging, Location::Device, padded as u64, gpu_seconds);
    Ok((buffer, trace))
}

/// Copies the tensor's buffer, chunk by chunk, into a ring of two pooled readback buffers (the GPU copies chunk
/// k+1 while the CPU reads chunk k) and its first `out.len()` bytes out.
pub(super) async fn download(device: &Device, buffer: &wgpu::Buffer, out: &mut [u8]) -> Result<TransferTrace> {
    let mut trace = TransferTrace::new(TransferPath::Staging);
    if out.is_empty() {
        trace.push(Location::Device, Location::Readback, 0, 0.0);
        trace.push(Location::Readback, Location::Host, 0, 0.0);
        return Ok(trace);
    }
    let padded = padded(out.len());
    let chunk = (device.staging_chunk() as usize).min(padded);
    let chunks = padded.div_ceil(chunk);
    let mut ring: [Option<wgpu::Buffer>; 2] = [None, None];
    let (mut wait_seconds, mut read_seconds) = (0.0, 0.0);
    let submit = |k: usize, ring: &mut [Option<wgpu::Buffer>; 2]| -> Result<()> {
        let readback = match ring[k % 2].take() {
            Some(b) => b,
            None => device.pooled_buffer("download readback", chunk as u64, READBACK, false)?.buffer,
        };
        let len = chunk.min(padded - k * chunk) as u64;
        let mut encoder = device.wgpu_device().create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(buffer, (k * chunk) as u64, &readback, 0, len);
        device.submit(encoder);
        ring[k % 2] = Some(readback);
        Ok(())
    };
    let result: Result<()> = async {
        submit(0, &mut ring)?;
        for k in 0..chunks {
            if k + 1 < chunks {
                submit(k + 1, &mut ring)?;
            }
            let readback = ring[k % 2].take().ok_or_else(|| map_err("readback ring out of step"))?;
            let start = Instant::now();
            let mapped = map_buffer(device, &readback, wgpu::MapMode::Read).await;
            wait_seconds += start.elapsed().as_secs_f64();
            mapped?;
            let start = Instant::now();
            let offset = k * chunk;
            let end = out.len().min(offset + chunk);
            let len = (end - offset) as u64;
            let copied = readback
                .get_mapped_range(..len.next_multiple_of(4))
                .map(|view| out[offset..end].copy_from_slice(&view[..end - offset]));
            read_seconds += start.elapsed().as_secs_f64();
            readback.unmap();
            copied.map_err(map_err)?;
            ring[k % 2] = Some(readback);
        }
        Ok(())
    }
    .await;
    if result.is_ok() {
        ring.into_iter().flatten().for_each(|b| device.recycle(b));
    }
    result?;
    trace.push(Location::Device, Location::Readback, padded as u64, wait_seconds);
    trace.push(Location::Readback, Location::Host, out.len() as u64, read_seconds);
    Ok(trace)
}
