//! The stream: one open command encoder per device that every operation records into, submitted in batches — when
//! the host needs results (a download, a map, [`Device::synchronize`]), before the host writes a buffer, or every
//! [`DISPATCHES_PER_BATCH`] dispatches. A chain of a thousand small ops costs a handful of submits and no waits.
//! Modelled on CubeCL's `WgpuStream`.
//!
//! Each batch has an *arena*: a small buffer that holds the batch's kernel parameters and small uploads. The host
//! writes it once with `queue.write_buffer` right before the batch is submitted (wgpu runs such writes before the
//! submission's commands and after every earlier submission), and commands read it in recording order. So a
//! parameter block is never overwritten by a later op of the same batch, and a small upload into a recycled buffer
//! lands after the commands recorded earlier that still read that buffer's previous contents.
//!
//! Lifecycle of a batch:
//! 1. The first [`Device::record`] opens an encoder; ops record passes, copies, parameters and small uploads.
//! 2. [`Device::flush`] (or the batch limit) waits until no tensor buffer is mapped by the host (and keeps new
//!    mappings from starting), writes the arena, finishes the encoder and submits it, all inside an error scope
//!    that names the batch's ops.
//! 3. The arena returns to the pool; the next op opens a new batch.

use crate::kernels::Pipeline;
use crate::{Device, Error, Result};

/// Dispatches recorded before a batch is submitted on its own (keeps the GPU busy on long chains).
pub(crate) const DISPATCHES_PER_BATCH: u32 = 128;
/// Bytes of one batch's arena (parameters and small uploads). Uniform bindings are at most 64 KiB, so each
/// parameter block is far smaller.
const ARENA_BYTES: u64 = 1 << 20;
/// Alignment of every arena allocation: a multiple of every adapter's uniform and storage offset alignment.
const ARENA_ALIGN: usize = 256;
const ARENA_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::UNIFORM
    .union(wgpu::BufferUsages::STORAGE)
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

#[derive(Default)]
pub(crate) struct Stream {
    state: std::sync::Mutex<StreamState>,
}

#[derive(Default)]
pub(crate) struct StreamState {
    encoder: Option<wgpu::CommandEncoder>,
    dispatches: u32,
    arena: Vec<u8>,
    arena_buffer: Option<wgpu::Buffer>,
    /// The ops recorded in this batch, for error messages.
    ops: Vec<&'static str>,
    /// An error of a batch submitted by the batch limit, reported at the next waiting call.
    deferred: Option<Error>,
    submissions: u64,
}

impl Stream {
    fn lock(&self) -> std::sync::MutexGuard<'_, StreamState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Records one operation's commands into the open batch; handed out by [`Device::record`].
pub(crate) struct Recorder<'a> {
    device: &'a Device,
    state: &'a mut StreamState,
}

impl Recorder<'_> {
    /// The device whose stream this records into.
    pub(crate) fn device(&self) -> &Device {
        self.device
    }

    /// The open encoder (for copies and clears).
    pub(crate) fn encoder(&mut self) -> &mut wgpu::CommandEncoder {
        let device = self.device.wgpu_device();
        self.state.encoder.get_or_insert_with(|| device.create_command_encoder(&Default::default()))
    }

    /// Room for `len` bytes in the arena: (arena buffer, offset). Submits the batch first when it is full.
    fn arena_alloc(&mut self, len: usize) -> Result<(wgpu::Buffer, u64)> {
        let start = self.state.arena.len().next_multiple_of(ARENA_ALIGN);
        if (start + len) as u64 > ARENA_BYTES && !self.state.arena.is_empty() {
            flush_locked(self.device, self.state)?;
            return self.arena_alloc(len);
        }
        let buffer = match &self.state.arena_buffer {
            Some(b) => b.clone(),
            None => {
                let size = ARENA_BYTES.max((len as u64).next_multiple_of(4));
                let b = self.device.pooled_buffer("stream arena", size, ARENA_USAGE, false)?.buffer;
                self.state.arena_buffer = Some(b.clone());
                b
            }
        };
        self.state.arena.resize(start + len, 0);
        Ok((buffer, start as u64))
    }

    /// Puts a parameter block (u32 words) in the arena and returns its binding.
    pub(crate) fn params(&mut self, words: &[u32]) -> Result<ParamBlock> {
        let bytes: &[u8] = bytemuck::cast_slice(words);
        // At least 32 bytes: a struct of four words and a runtime-sized array needs more than 16 bound.
        let size = bytes.len().max(32).next_multiple_of(16);
        let (buffer, offset) = self.arena_alloc(size)?;
        self.state.arena[offset as usize..offset as usize + bytes.len()].copy_from_slice(bytes);
        Ok(ParamBlock { buffer, offset, size: size as u64 })
    }

    /// Records a copy of `bytes` (a multiple of 4 long) into `dst` at `offset`, ordered with the batch's commands.
    pub(crate) fn upload(&mut self, bytes: &[u8], dst: &wgpu::Buffer, offset: u64) -> Result<()> {
        let (arena, at) = self.arena_alloc(bytes.len())?;
        self.state.arena[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
        self.encoder().copy_buffer_to_buffer(&arena, at, dst, offset, bytes.len() as u64);
        Ok(())
    }

    /// Records one dispatch of `pipeline` on a `groups` grid with `bindings` as group 0, bindings 0, 1, 2, … in
    /// order: the one place the crate makes bind groups.
    pub(crate) fn dispatch(&mut self, pipeline: &Pipeline, bindings: &[wgpu::BindingResource<'_>], groups: (u32, u32)) {
        let entries: Vec<wgpu::BindGroupEntry<'_>> = bindings
            .iter()
            .enumerate()
            .map(|(i, resource)| wgpu::BindGroupEntry { binding: i as u32, resource: resource.clone() })
            .collect();
        let group = self.device.wgpu_device().create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.layout,
            entries: &entries,
        });
        let mut pass = self.encoder().begin_compute_pass(&wgpu::ComputePassDescriptor::default());
        pass.set_pipeline(&pipeline.pipeline);
        pass.set_bind_group(0, &group, &[]);
        pass.dispatch_workgroups(groups.0, groups.1, 1);
        drop(pass);
        self.state.dispatches += 1;
    }
}

/// A parameter block in the batch's arena.
pub(crate) struct ParamBlock {
    buffer: wgpu::Buffer,
    offset: u64,
    size: u64,
}

impl ParamBlock {
    /// The block as a binding (uniform or read-only storage).
    pub(crate) fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: self.offset,
            size: wgpu::BufferSize::new(self.size),
        })
    }
}

/// Submits the open batch (if any) with its arena. Called with the stream locked.
fn flush_locked(device: &Device, state: &mut StreamState) -> Result<()> {
    let Some(encoder) = state.encoder.take() else {
        return Ok(());
    };
    // No tensor buffer is mapped from here until the submission is done (see `MapGate`).
    let submitting = device.map_gate().submitting();
    let ops = std::mem::take(&mut state.ops);
    let arena = state.arena_buffer.take();
    let result = crate::device::scope::scoped(device.wgpu_device(), "submit", 0, || {
        if let Some(arena) = &arena {
            let len = state.arena.len().next_multiple_of(4);
            state.arena.resize(len, 0);
            device.wgpu_queue().write_buffer(arena, 0, &state.arena);
        }
        device.wgpu_queue().submit(Some(encoder.finish()));
    });
    drop(submitting);
    state.arena.clear();
    state.dispatches = 0;
    state.submissions += 1;
    if let Some(arena) = arena {
        device.recycle(arena);
    }
    result.map_err(|e| match e {
        Error::Gpu(m) => Error::Gpu(format!("a batch of [{}]: {m}", ops.join(", "))),
        e => e,
    })
}

impl Device {
    /// Records `op`'s commands into the device's open batch (see the [stream](self)). Validation errors and
    /// out-of-memory while recording are returned here, naming `op`.
    pub(crate) fn record<R>(&self, op: &'static str, f: impl FnOnce(&mut Recorder<'_>) -> Result<R>) -> Result<R> {
        self.check_lost()?;
        let mut state = self.stream().lock();
        let value = crate::device::scope::scoped(self.wgpu_device(), op, 0, || {
            let mut recorder = Recorder { device: self, state: &mut state };
            f(&mut recorder)
        })
        .and_then(|r| r)
        .map_err(|e| self.explain(e))?;
        state.ops.push(op);
        if state.dispatches >= DISPATCHES_PER_BATCH
            && let Err(e) = flush_locked(self, &mut state)
        {
            state.deferred.get_or_insert(e);
        }
        Ok(value)
    }

    /// Submits the open batch, if any, and returns any error of an earlier batch. Every host access to device
    /// memory (map, `write_buffer`, a direct submission) calls this first, so it is ordered after recorded work.
    pub(crate) fn flush(&self) -> Result<()> {
        self.check_lost()?;
        let mut state = self.stream().lock();
        if let Some(e) = state.deferred.take() {
            return Err(e);
        }
        flush_locked(self, &mut state).map_err(|e| self.explain(e))
    }

    /// Submissions made by the stream so far (for tests of batching).
    #[cfg(test)]
    pub(crate) fn stream_submissions(&self) -> u64 {
        self.stream().lock().submissions
    }

    /// Waits until every operation queued on this device so far has finished on the GPU.
    ///
    /// Operations are recorded into batches and submitted lazily; errors of a batch (a wgpu validation error —
    /// a bug — or a lost device) surface here or at the next download.
    ///
    /// ```
    /// let device = wgpu_tensor::Device::new()?;
    /// let t = device.zeros(wgpu_tensor::DType::F32, [1024])?;
    /// device.synchronize()?; // the zero-fill has run
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::DeviceLost`]; [`Error::Gpu`] for a validation error of a queued operation.
    pub fn synchronize(&self) -> Result<()> {
        self.flush()?;
        self.wait(None)
    }
}
