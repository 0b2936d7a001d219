//! The cast kernel launcher: splits a cast into chunks whose bindings fit `max_storage_buffer_binding_size`
//! (offsets aligned to `min_storage_buffer_offset_alignment`), and dispatches each chunk on a 2-D grid so no
//! dimension passes `max_compute_workgroups_per_dimension`. One invocation writes one output unit (see
//! `shaders/cast.wgsl`), so the work per invocation is small and bounded (no grid-stride loops).

use crate::{Error, Result};

use super::wgsl::{CastVariant, WORKGROUP_SIZE};

/// Bytes between two chunks' parameters in the uniform buffer (a multiple of every adapter's
/// `min_uniform_buffer_offset_alignment`, which is at most 256).
const PARAMS_STRIDE: u64 = 256;

/// One dispatch of a cast: elements `[first, first + n)`.
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
    let max_binding = u64::from(limits.max_storage_buffer_binding_size).min(limits.max_buffer_size);
    // Elements per chunk: a multiple of `unit` (so every byte offset is aligned and sub-word outputs start on a
    // word), small enough for both bindings and for u32 indices.
    let per_chunk = ((max_binding / ss.max(ds)).min(1 << 30) / unit * unit).max(unit);
    let per_unit = u64::from(variant.per_unit());
    let max_dim = limits.max_compute_workgroups_per_dimension.max(1);
    let mut chunks = Vec::new();
    let mut first = 0;
    while first < n {
        let count = per_chunk.min(n - first);
        let src_offset = first * ss;
        let dst_offset = first * ds;
        let invocations = count.div_ceil(per_unit);
        let workgroups = u32::try_from(invocations.div_ceil(u64::from(WORKGROUP_SIZE))).unwrap_or(u32::MAX);
        chunks.push(Chunk {
            first,
            n: count as u32,
            src_offset,
            src_size: (count * ss).next_multiple_of(4).min(src_len.saturating_sub(src_offset)),
            dst_offset,
            dst_size: (count * ds).next_multiple_of(4).min(dst_len.saturating_sub(dst_offset)),
            groups: grid_2d(workgroups, max_dim),
        });
        first += count;
    }
    chunks
}

/// A 2-D grid of at least `workgroups` workgroups with no dimension above `max_per_dim`.
fn grid_2d(workgroups: u32, max_per_dim: u32) -> (u32, u32) {
    if workgroups <= max_per_dim {
        return (workgroups, 1);
    }
    let y = workgroups.div_ceil(max_per_dim);
    (workgroups.div_ceil(y), y)
}

/// What a launch needs from the device.
pub(crate) struct Launch<'a> {
    pub device: &'a wgpu::Device,
    pub queue: &'a wgpu::Queue,
    pub limits: &'a wgpu::Limits,
    pub pipeline: &'a wgpu::ComputePipeline,
}

/// Records a cast of `n` elements from `src` into `dst` (and, for a checked variant, the per-chunk lossy counts
/// into `counter`, one u32 per chunk, which must be zero and hold `plan(..).len()` words). Returns the commands.
///
/// # Errors
/// [`Error::Gpu`] when the plan and the buffers disagree (an internal error).
pub(crate) fn encode(
    l: &Launch<'_>,
    variant: &CastVariant,
    src: &wgpu::Buffer,
    dst: &wgpu::Buffer,
    n: u64,
    counter: Option<&wgpu::Buffer>,
) -> Result<wgpu::CommandBuffer> {
    let chunks = plan(variant, n, src.size(), dst.size(), l.limits);
    if variant.checked != counter.is_some() {
        return Err(Error::Gpu("cast: a checked cast needs a counter buffer".into()));
    }
    let params_buf = l.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("cast params"),
        size: PARAMS_STRIDE * chunks.len().max(1) as u64,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut params = vec![0u8; (PARAMS_STRIDE as usize) * chunks.len()];
    for (k, c) in chunks.iter().enumerate() {
        let row = c.groups.0 * WORKGROUP_SIZE;
        let words = [c.n, row, k as u32, 0];
        params[k * PARAMS_STRIDE as usize..][..16].copy_from_slice(bytemuck::cast_slice(&words));
    }
    if !params.is_empty() {
        l.queue.write_buffer(&params_buf, 0, &params);
    }
    let layout = l.pipeline.get_bind_group_layout(0);
    let mut encoder = l.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("cast") });
    {
        let mut pass =
            encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("cast"), timestamp_writes: None });
        pass.set_pipeline(l.pipeline);
        for (k, c) in chunks.iter().enumerate() {
            let binding = |buffer, offset, size| {
                wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer, offset, size: wgpu::BufferSize::new(size) })
            };
            let mut entries = vec![
                wgpu::BindGroupEntry { binding: 0, resource: binding(src, c.src_offset, c.src_size) },
                wgpu::BindGroupEntry { binding: 1, resource: binding(dst, c.dst_offset, c.dst_size) },
                wgpu::BindGroupEntry { binding: 2, resource: binding(&params_buf, k as u64 * PARAMS_STRIDE, 16) },
            ];
            if let Some(counter) = counter {
                entries.push(wgpu::BindGroupEntry { binding: 3, resource: counter.as_entire_binding() });
            }
            let group = l.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("cast chunk"),
                layout: &layout,
                entries: &entries,
            });
            pass.set_bind_group(0, &group, &[]);
            pass.dispatch_workgroups(c.groups.0, c.groups.1, 1);
        }
    }
    Ok(encoder.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;
    use crate::cast::CastPolicy;

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
                let units = u64::from(c.n).div_ceil(u64::from(v.per_unit()));
                assert!(u64::from(c.groups.0) * u64::from(c.groups.1) * u64::from(WORKGROUP_SIZE) >= units);
                next += u64::from(c.n);
            }
            assert_eq!(next, n);
        }
        assert!(plan(&CastVariant::new(DType::U8, DType::U16, CastPolicy::Wrap, false), 0, 4, 4, &limits).is_empty());
    }
}
