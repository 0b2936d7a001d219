//! The cast kernel launcher: splits a cast into chunks whose bindings fit `max_storage_buffer_binding_size`
//! (offsets aligned to `min_storage_buffer_offset_alignment`), and dispatches each chunk on a 2-D grid so no
//! dimension passes `max_compute_workgroups_per_dimension`. One invocation writes a few output units (see
//! `shaders/cast.wgsl`), so the work per invocation is small and bounded (no grid-stride loops).

use crate::device::Recorder;
use crate::kernels::{KernelKey, Pipeline, grid_2d};
use crate::memory::Storage;
use crate::transfer::alloc_storage;
use crate::{DType, Result};

use super::CastPolicy;
use super::wgsl::{CastVariant, WORKGROUP_SIZE};

/// One dispatch of a cast: elements `[first, first + n)`.
///
/// With a vec4 variant the bindings cover whole vec4 words: the buffers must hold `n` elements rounded up to 16
/// bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Chunk {
    /// The first element.
    pub first: u64,
    /// Elements in the chunk.
    pub n: u32,
    /// Byte range of the source binding.
    pub src_offset: u64,
    pub src_size: u64,
    /// Byte range of the destination binding.
    pub dst_offset: u64,
    pub dst_size: u64,
    /// Workgroups in x and y.
    pub groups: (u32, u32),
}

/// The chunks of a cast of `n` elements between buffers of `src_len` and `dst_len` bytes (padded sizes).
pub(crate) fn plan(variant: &CastVariant, n: u64, src_len: u64, dst_len: u64, limits: &wgpu::Limits) -> Vec<Chunk> {
    let (ss, ds) = (variant.from.size_in_bytes() as u64, variant.to.size_in_bytes() as u64);
    let unit = u64::from(limits.min_storage_buffer_offset_alignment).max(4);
    let max_binding = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
    // Elements per chunk: a multiple of `unit` (so every byte offset is aligned and sub-word outputs start on a
    // word), small enough for both bindings and for u32 indices.
    let per_chunk = ((max_binding / ss.max(ds)).min(1 << 30) / unit * unit).max(unit);
    let per_invocation = u64::from(variant.per_unit() * variant.units_per_invocation());
    // vec4 kernels bind whole vec4 words (the caller checked the buffers have room); word kernels whole words.
    let word = if variant.vec4 { 16 } else { 4 };
    let max_dim = limits.max_compute_workgroups_per_dimension.max(1);
    let mut chunks = Vec::new();
    let mut first = 0;
    while first < n {
        let count = per_chunk.min(n - first);
        let src_offset = first * ss;
        let dst_offset = first * ds;
        let invocations = count.div_ceil(per_invocation);
        let workgroups = u32::try_from(invocations.div_ceil(u64::from(WORKGROUP_SIZE))).unwrap_or(u32::MAX);
        chunks.push(Chunk {
            first,
            n: count as u32,
            src_offset,
            src_size: (count * ss).next_multiple_of(word).min(src_len.saturating_sub(src_offset)),
            dst_offset,
            dst_size: (count * ds).next_multiple_of(word).min(dst_len.saturating_sub(dst_offset)),
            groups: grid_2d(workgroups, max_dim),
        });
        first += count;
    }
    chunks
}

/// Casts the `n` elements of `src` (contiguous from element 0) from `from` to `to` into new storage; for a checked
/// cast also returns the number of lossy elements, counted on the device (one atomic counter per chunk, summed
/// here as u64).
///
/// # Errors
/// Allocation failures ([`Error::TooLarge`](crate::Error::TooLarge), [`Error::OutOfMemory`](crate::Error::OutOfMemory))
/// and wgpu validation errors ([`Error::Gpu`](crate::Error::Gpu)).
pub(crate) fn cast(
    src: &Storage,
    n: usize,
    from: DType,
    to: DType,
    policy: CastPolicy,
    checked: bool,
) -> Result<(Storage, u64)> {
    let device = src.device();
    let bytes = n.checked_mul(to.size_in_bytes()).ok_or(crate::Error::ShapeOverflow { shape: vec![n], dtype: to })?;
    // Room for whole vec4 words, so the vec4 kernel can store the last one.
    let out = alloc_storage(device, "cast", bytes.next_multiple_of(16))?;
    if n == 0 {
        return Ok((out, 0));
    }
    let mut variant = CastVariant::new(from, to, policy, checked);
    // The vec4 kernel reads whole vec4 words: the source buffer must hold them (pooled buffers usually do).
    variant.vec4 = ((n * from.size_in_bytes()) as u64).next_multiple_of(16) <= src.buffer().size();
    let pipeline = device.pipeline(KernelKey::Cast(variant), || variant.wgsl())?;
    let chunks = plan(&variant, n as u64, src.buffer().size(), out.buffer().size(), device.limits());
    let counter = if checked {
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let buffer = device.pooled_buffer("cast lossy counters", 4 * chunks.len() as u64, usage, false)?.buffer;
        Some(crate::transfer::Unmapping(buffer, device))
    } else {
        None
    };
    let buffers = Buffers { src: src.buffer(), dst: out.buffer(), counter: counter.as_ref().map(|c| &c.0) };
    device.record("cast", |rec| record(rec, &pipeline, &chunks, &buffers))?;
    let changed = match &counter {
        Some(counter) => {
            let bytes = device.read_buffer_bytes(&counter.0, 0, 4 * chunks.len() as u64)?;
            bytes.chunks_exact(4).map(|w| u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]]))).sum()
        }
        None => 0,
    };
    Ok((out, changed))
}

/// The buffers of one cast.
pub(crate) struct Buffers<'a> {
    pub src: &'a wgpu::Buffer,
    pub dst: &'a wgpu::Buffer,
    /// Checked casts: one u32 lossy count per chunk (zeroed by the recorded commands; the buffer may be pooled).
    pub counter: Option<&'a wgpu::Buffer>,
}

/// Records one dispatch per chunk on the stream, each binding its sub-ranges of the buffers and its parameters.
pub(crate) fn record(rec: &mut Recorder<'_>, pipeline: &Pipeline, chunks: &[Chunk], b: &Buffers<'_>) -> Result<()> {
    if let Some(counter) = b.counter {
        rec.encoder().clear_buffer(counter, 0, None);
    }
    for (k, c) in chunks.iter().enumerate() {
        let params = rec.params(&[c.n, c.groups.0 * WORKGROUP_SIZE, k as u32, 0])?;
        let range = |buffer, offset, size| {
            wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer, offset, size: wgpu::BufferSize::new(size) })
        };
        let mut bindings =
            vec![range(b.src, c.src_offset, c.src_size), range(b.dst, c.dst_offset, c.dst_size), params.binding()];
        if let Some(counter) = b.counter {
            bindings.push(counter.as_entire_binding());
        }
        rec.dispatch(pipeline, &bindings, c.groups);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_fit_the_limits_and_cover_everything() {
        let limits = wgpu::Limits { max_storage_buffer_binding_size: 128 << 20, ..wgpu::Limits::default() };
        for (from, to, n) in [
            (DType::U32, DType::F32, 40_000_000u64),
            (DType::I64, DType::U8, 17_000_003),
            (DType::U8, DType::F64, 100_001),
        ] {
            let v = CastVariant::new(from, to, CastPolicy::Wrap, false);
            let (src_len, dst_len) = (
                (n * from.size_in_bytes() as u64).next_multiple_of(4),
                (n * to.size_in_bytes() as u64).next_multiple_of(4),
            );
            let chunks = plan(&v, n, src_len, dst_len, &limits);
            let mut next = 0;
            for c in &chunks {
                assert_eq!(c.first, next);
                assert!(c.src_offset % 256 == 0 && c.dst_offset % 256 == 0);
                assert!(c.src_size <= 128 << 20 && c.dst_size <= 128 << 20);
                assert!(c.src_size % 4 == 0 && c.dst_size % 4 == 0);
                assert!(c.src_offset + c.src_size <= src_len && c.dst_offset + c.dst_size <= dst_len);
                assert!(c.groups.0 <= 65_535 && c.groups.1 <= 65_535);
                let invocations = u64::from(c.n).div_ceil(u64::from(v.per_unit() * v.units_per_invocation()));
                assert!(u64::from(c.groups.0) * u64::from(c.groups.1) * u64::from(WORKGROUP_SIZE) >= invocations);
                next += u64::from(c.n);
            }
            assert_eq!(next, n);
        }
        assert!(plan(&CastVariant::new(DType::U8, DType::U16, CastPolicy::Wrap, false), 0, 4, 4, &limits).is_empty());
    }

    /// A source buffer without room for whole vec4 words takes the word kernel, with the same results.
    #[test]
    fn a_source_without_whole_vec4_room_takes_the_word_kernel() -> Result<()> {
        let device = crate::Device::new()?;
        let n = 37; // 148 bytes of i32: the last vec4 word is partly outside the buffer
        let src: Vec<i32> = (0..n as i32).map(|i| i.wrapping_mul(1_000_003) - 7).collect();
        let bytes: Vec<u8> = src.iter().flat_map(|x| x.to_le_bytes()).collect();
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
        let buffer = device.create_buffer("src", bytes.len() as u64, usage, false)?;
        device.wgpu_queue().write_buffer(&buffer, 0, &bytes);
        let storage = Storage::new(&device, buffer);
        for to in [DType::F32, DType::U8, DType::I64, DType::F16, DType::Bool] {
            let (out, _) = cast(&storage, n, DType::I32, to, CastPolicy::Wrap, false)?;
            let len = n * to.size_in_bytes();
            let got = device.read_buffer_bytes(out.buffer(), 0, (len as u64).next_multiple_of(4))?;
            let want = crate::Array::from(src.clone()).cast(to)?;
            assert_eq!(&got[..len], want.as_bytes(), "i32 -> {to}");
        }
        Ok(())
    }
}
