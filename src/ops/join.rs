//! Data movement that makes new storage from views: `cat`, `index_select`, and `zeros`. All record the strided-copy
//! kernel ([`super::copy`]) or a buffer clear on the device's stream; the tensor layer validates the arguments.

use super::copy::{Gather, Piece, record_copy};
use crate::memory::Storage;
use crate::transfer::{Unmapping, alloc_storage, padded_size};
use crate::{DType, Device, Layout, Result};

/// The views `parts` (equal dims but along `dim`) joined along `dim` into new storage of layout `out`.
pub(crate) fn cat(
    device: &Device,
    parts: &[(&Storage, &Layout)],
    dtype: DType,
    out: &Layout,
    dim: usize,
) -> Result<Storage> {
    let (_, bytes) = out.shape().checked_size(dtype)?;
    let storage = alloc_storage(device, "cat", bytes)?;
    let mut start = 0usize;
    device.record("cat", |rec| {
        for (src, layout) in parts {
            if !layout.is_empty() {
                let piece = Piece {
                    dims: layout.dims().to_vec(),
                    src_strides: layout.strides().to_vec(),
                    dst_strides: out.strides().to_vec(),
                    src_offset: layout.offset(),
                    dst_offset: start * out.strides()[dim] as usize,
                    gather: None,
                };
                record_copy(rec, device, src.buffer(), storage.buffer(), dtype, piece, None)?;
            }
            start += layout.dims()[dim];
        }
        Ok(())
    })?;
    Ok(storage)
}

/// `out[.., i, ..] = src[.., ids[i], ..]` along `dim` into new storage of layout `out`; `ids` is contiguous I64
/// storage from element `offset` (`None` when the output is empty). Returns the storage and the number of ids
/// outside `0..src.dims[dim]` (counted on the device; this waits for the count).
pub(crate) fn index_select(
    device: &Device,
    src: (&Storage, &Layout),
    dtype: DType,
    dim: usize,
    ids: Option<(&Storage, usize)>,
    out: &Layout,
) -> Result<(Storage, u64)> {
    let (_, bytes) = out.shape().checked_size(dtype)?;
    let storage = alloc_storage(device, "index_select", bytes)?;
    let Some((ids, ids_offset)) = ids else {
        return Ok((storage, 0));
    };
    let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
    let counter = Unmapping(device.pooled_buffer("index_select check", 4, usage, false)?.buffer, device);
    let (src, layout) = src;
    let n_ids = out.dims()[dim];
    let piece = Piece {
        dims: out.dims().to_vec(),
        src_strides: layout.strides().to_vec(),
        dst_strides: out.strides().to_vec(),
        src_offset: layout.offset(),
        dst_offset: 0,
        gather: Some((dim, layout.dims()[dim], ids_offset)),
    };
    let gather = Gather { ids: ids.buffer(), ids_len: ids_offset + n_ids, counter: &counter.0 };
    device.record("index_select", |rec| {
        rec.encoder().clear_buffer(&counter.0, 0, None);
        record_copy(rec, device, src.buffer(), storage.buffer(), dtype, piece, Some(&gather))
    })?;
    let bytes = device.read_buffer_bytes(&counter.0, 0, 4)?;
    Ok((storage, u64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))))
}

/// New storage for `layout` filled with zero bytes (a clear recorded on the stream).
pub(crate) fn zeros(device: &Device, dtype: DType, layout: &Layout) -> Result<Storage> {
    let (_, bytes) = layout.shape().checked_size(dtype)?;
    let storage = alloc_storage(device, "zeros", bytes)?;
    let size = padded_size(bytes);
    device.record("zeros", |rec| {
        rec.encoder().clear_buffer(storage.buffer(), 0, Some(size));
        Ok(())
    })?;
    Ok(storage)
}
