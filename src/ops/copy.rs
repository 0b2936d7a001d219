//! The strided-copy kernel family (`shaders/copy.wgsl`): one kernel copies a source view of any layout into a region
//! of a contiguous destination. It serves `contiguous`, downloads of views, `cat`, `stack`, `index_select`,
//! `Device::full` and same-dtype casts.
//!
//! Planning: both sides' dims are merged where both are contiguous across them, then the copy is split into
//! pieces until each piece's source and destination spans fit one storage binding
//! (`max_storage_buffer_binding_size`, 128 MiB on lavapipe), so tensors of any size work on every adapter. A
//! contiguous source at a word-aligned offset is copied with `copy_buffer_to_buffer` instead (no kernel).

use crate::device::Recorder;
use crate::kernels::{KernelKey, compose, grid_2d};
use crate::memory::Storage;
use crate::transfer::{alloc_storage, padded_size};
use crate::{DType, Device, Error, Layout, Result};

const SUBWORD_LIB: &str = include_str!("../../shaders/lib/subword.wgsl");
const COPY_TEMPLATE: &str = include_str!("../../shaders/copy.wgsl");
const WORKGROUP_SIZE: u32 = 256;
/// Words of the fixed part of the parameter block.
const HEADER_WORDS: usize = 12;
const NO_GATHER: u32 = u32::MAX;

/// One compiled variant of the copy kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CopyVariant {
    /// Bytes per element: 1, 2, 4 or 8.
    pub elem_bytes: u8,
    /// index_select: one dim's index goes through an I64 index tensor.
    pub gather: bool,
}

impl CopyVariant {
    fn unit_elems(&self) -> usize {
        if self.elem_bytes >= 4 { 1 } else { 4 / self.elem_bytes as usize }
    }

    fn unit_bytes(&self) -> u64 {
        (self.unit_elems() * self.elem_bytes as usize) as u64
    }

    pub(crate) fn wgsl(&self) -> String {
        let load = match self.elem_bytes {
            1 => "return vec2<u32>(sub_get(src[j >> 2u], j & 3u, 8u), 0u);",
            2 => "return vec2<u32>(sub_get(src[j >> 1u], j & 1u, 16u), 0u);",
            4 => "return vec2<u32>(src[j], 0u);",
            _ => "return vec2<u32>(src[2u * j], src[2u * j + 1u]);",
        };
        let store = match self.elem_bytes {
            8 => "let r = source_of(unit);\n    if r.x != 0u {\n        dst[2u * unit] = r.y;\n        \
                  dst[2u * unit + 1u] = r.z;\n    }"
                .to_string(),
            4 => "let r = source_of(unit);\n    if r.x != 0u {\n        dst[unit] = r.y;\n    }".to_string(),
            b => {
                let (k, bits) = (4 / b, b * 8);
                format!(
                    "var word = 0u;\n    var mask = 0u;\n    for (var t = 0u; t < {k}u; t++) {{\n        \
                     let r = source_of(unit * {k}u + t);\n        if r.x != 0u {{\n            \
                     word = sub_put(word, t, {bits}u, r.y);\n            \
                     mask = sub_put(mask, t, {bits}u, 0xffffffffu);\n        }}\n    }}\n    \
                     if mask == 0xffffffffu {{\n        dst[unit] = word;\n    }} else if mask != 0u {{\n        \
                     dst[unit] = (dst[unit] & ~mask) | word;\n    }}"
                )
            }
        };
        let (bindings, gather_index, count_bad) = if self.gather {
            (
                "@group(0) @binding(3) var<storage, read> ids: array<u32>;\n\
                 @group(0) @binding(4) var<storage, read_write> bad: array<atomic<u32>>;",
                "if d == params.gather_dim {\n            let id_at = params.ids_offset + i;\n            \
                 let lo = ids[2u * id_at];\n            let ok = ids[2u * id_at + 1u] == 0u && lo < params.gather_len;\n            \
                 bad_index = !ok;\n            k = select(0u, lo, ok);\n        } else if i != 0u {\n            \
                 others_zero = false;\n        }",
                "if bad_index && others_zero {\n        atomicAdd(&bad[0], 1u);\n    }",
            )
        } else {
            ("", "", "")
        };
        let entry = compose(
            COPY_TEMPLATE,
            &[
                ("elem_bytes", &self.elem_bytes.to_string()),
                ("unit_elems", &self.unit_elems().to_string()),
                ("gather_bindings", bindings),
                ("load", load),
                ("gather_index", gather_index),
                ("count_bad", count_bad),
                ("store", &store),
            ],
        );
        [SUBWORD_LIB, &entry].join("\n")
    }
}

/// A copy of a source view into a destination region, both in elements of their whole buffers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    pub dims: Vec<usize>,
    pub src_strides: Vec<isize>,
    pub dst_strides: Vec<isize>,
    pub src_offset: usize,
    pub dst_offset: usize,
    /// index_select: (dim, source length of that dim, first id).
    pub gather: Option<(usize, usize, usize)>,
}

impl Piece {
    /// The lowest and highest element of one side (`src`: gathered dims span their whole source length).
    fn span(&self, src: bool) -> (usize, usize) {
        let (strides, offset) =
            if src { (&self.src_strides, self.src_offset) } else { (&self.dst_strides, self.dst_offset) };
        let (mut lo, mut hi) = (offset as i128, offset as i128);
        for (d, (&n, &s)) in self.dims.iter().zip(strides).enumerate() {
            let n = match self.gather {
                Some((g, len, _)) if src && g == d => len,
                _ => n,
            };
            let reach = (n.max(1) as i128 - 1) * s as i128;
            if reach < 0 { lo += reach } else { hi += reach }
        }
        (lo as usize, hi as usize)
    }

    /// Drops length-1 dims and merges neighbours contiguous on both sides (never the gathered dim).
    fn merged(self) -> Piece {
        let mut out = Piece { dims: vec![], src_strides: vec![], dst_strides: vec![], ..self.clone() };
        let gather_dim = self.gather.map(|g| g.0);
        let mut new_gather = None;
        for d in 0..self.dims.len() {
            let (n, ss, ds) = (self.dims[d], self.src_strides[d], self.dst_strides[d]);
            if n == 1 && gather_dim != Some(d) {
                continue;
            }
            let last = out.dims.len().wrapping_sub(1);
            let can_merge = !out.dims.is_empty()
                && gather_dim != Some(d)
                && new_gather != Some(last)
                && out.src_strides[last] == ss * n as isize
                && out.dst_strides[last] == ds * n as isize;
            if can_merge {
                out.dims[last] *= n;
                out.src_strides[last] = ss;
                out.dst_strides[last] = ds;
            } else {
                if gather_dim == Some(d) {
                    new_gather = Some(out.dims.len());
                }
                out.dims.push(n);
                out.src_strides.push(ss);
                out.dst_strides.push(ds);
            }
        }
        out.gather = self.gather.map(|(_, len, first)| (new_gather.unwrap_or(0), len, first));
        out
    }

    /// Splits the piece in two along its widest dim (by bytes spanned on either side); `None` when no dim is
    /// longer than 1.
    fn split(&self) -> Option<(Piece, Piece)> {
        let reach = |d: usize| {
            let n = self.dims[d] as i128 - 1;
            (n * self.src_strides[d].abs() as i128).max(n * self.dst_strides[d].abs() as i128)
        };
        let d = (0..self.dims.len()).filter(|&d| self.dims[d] > 1).max_by_key(|&d| reach(d))?;
        let half = self.dims[d] / 2;
        let mut a = self.clone();
        let mut b = self.clone();
        a.dims[d] = half;
        b.dims[d] -= half;
        b.dst_offset = (b.dst_offset as isize + half as isize * self.dst_strides[d]) as usize;
        match self.gather {
            Some((g, len, first)) if g == d => b.gather = Some((g, len, first + half)),
            _ => b.src_offset = (b.src_offset as isize + half as isize * self.src_strides[d]) as usize,
        }
        Some((a, b))
    }
}

/// Splits `piece` until each part's spans fit `max_bytes` of binding on both sides.
pub(crate) fn plan(piece: Piece, elem_bytes: usize, max_bytes: u64, out: &mut Vec<Piece>) -> Result<()> {
    let fits = |p: &Piece, src: bool| {
        let (lo, hi) = p.span(src);
        // Room for aligning the binding start down and the end up to a whole unit.
        ((hi - lo + 1) * elem_bytes) as u64 + 512 <= max_bytes
    };
    if fits(&piece, true) && fits(&piece, false) {
        out.push(piece);
        return Ok(());
    }
    match piece.split() {
        Some((a, b)) => {
            plan(a, elem_bytes, max_bytes, out)?;
            plan(b, elem_bytes, max_bytes, out)
        }
        None => Err(Error::InvalidArgument {
            op: "copy",
            reason: format!("a single element does not fit a storage binding of {max_bytes} bytes"),
        }),
    }
}

/// The index tensor and counter of an index_select.
pub(crate) struct Gather<'a> {
    /// Contiguous I64 ids at element offset `first` of the buffer.
    pub ids: &'a wgpu::Buffer,
    pub ids_len: usize,
    pub counter: &'a wgpu::Buffer,
}

/// Records the copy of `piece` (elements of `dtype`) from `src` into `dst`.
pub(crate) fn record_copy(
    rec: &mut Recorder<'_>,
    device: &Device,
    src: &wgpu::Buffer,
    dst: &wgpu::Buffer,
    dtype: DType,
    piece: Piece,
    gather: Option<&Gather<'_>>,
) -> Result<()> {
    let elem = dtype.size_in_bytes();
    let variant = CopyVariant { elem_bytes: elem as u8, gather: gather.is_some() };
    let limits = device.limits();
    let align = u64::from(limits.min_storage_buffer_offset_alignment).max(8);
    let max_bind = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size).min(1 << 31);
    let mut pieces = Vec::new();
    plan(piece.merged(), elem, max_bind, &mut pieces)?;
    let pipeline = device.pipeline(KernelKey::Copy(variant), || variant.wgsl())?;
    let max_dim = limits.max_compute_workgroups_per_dimension.max(1);
    for p in pieces {
        let (src_lo, src_hi) = p.span(true);
        let src_start = (src_lo * elem) as u64 / align * align;
        let src_end = (((src_hi + 1) * elem) as u64).next_multiple_of(4).min(src.size());
        let unit_elems = variant.unit_elems();
        let (dst_lo, dst_hi) = p.span(false);
        let (first_unit, last_unit) = (dst_lo / unit_elems, dst_hi / unit_elems);
        let unit_bytes = variant.unit_bytes();
        let dst_start = first_unit as u64 * unit_bytes / align * align;
        let dst_end = (last_unit as u64 + 1) * unit_bytes;
        let n_units = (last_unit - first_unit + 1) as u32;
        let workgroups = n_units.div_ceil(WORKGROUP_SIZE);
        let groups = grid_2d(workgroups, max_dim);
        let n = p.dims.len();
        let mut words = vec![0u32; HEADER_WORDS + 3 * n.max(1)];
        let (gather_dim, gather_len, ids_first) = p.gather.map_or((NO_GATHER, 0, 0), |(g, l, f)| (g as u32, l, f));
        words[..HEADER_WORDS].copy_from_slice(&[
            n_units,
            groups.0 * WORKGROUP_SIZE,
            n as u32,
            (p.src_offset - (src_start as usize / elem)) as u32,
            (first_unit as u64 - dst_start / unit_bytes) as u32,
            (p.dst_offset - (dst_start as usize / elem)) as u32,
            gather_dim,
            gather_len as u32,
            ids_first as u32,
            0,
            0,
            0,
        ]);
        for d in 0..n {
            words[HEADER_WORDS + d] = p.dims[d] as u32;
            words[HEADER_WORDS + n + d] = p.dst_strides[d] as u32;
            words[HEADER_WORDS + 2 * n + d] = p.src_strides[d] as i32 as u32;
        }
        let params = rec.params(&words)?;
        let range = |buffer, offset, end: u64| {
            wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer,
                offset,
                size: wgpu::BufferSize::new(end - offset),
            })
        };
        let mut bindings = vec![range(src, src_start, src_end), range(dst, dst_start, dst_end), params.binding()];
        if let Some(g) = gather {
            bindings.push(range(g.ids, 0, padded_size(g.ids_len * 8).min(g.ids.size())));
            bindings.push(g.counter.as_entire_binding());
        }
        rec.dispatch(&pipeline, &bindings, groups);
    }
    Ok(())
}

/// A new contiguous copy of the view `layout` of `storage`.
pub(crate) fn contiguous(storage: &Storage, layout: &Layout, dtype: DType) -> Result<(Storage, Layout)> {
    contiguous_with_room(storage, layout, dtype, layout.len())
}

/// [`contiguous`] into storage with room for at least `room` elements (kernels that read whole vec4s).
pub(crate) fn contiguous_with_room(
    storage: &Storage,
    layout: &Layout,
    dtype: DType,
    room: usize,
) -> Result<(Storage, Layout)> {
    let device = storage.device();
    let (_, bytes) = layout.shape().checked_size(dtype)?;
    let room = room.max(layout.len()).checked_mul(dtype.size_in_bytes()).unwrap_or(bytes);
    let out = alloc_storage(device, "contiguous copy", room)?;
    let out_layout = Layout::contiguous(layout.shape().clone());
    if layout.is_empty() {
        return Ok((out, out_layout));
    }
    let elem = dtype.size_in_bytes();
    let start = (layout.offset() * elem) as u64;
    if layout.is_contiguous() && start.is_multiple_of(4) {
        let size = padded_size(bytes);
        device.record("contiguous", |rec| {
            rec.encoder().copy_buffer_to_buffer(storage.buffer(), start, out.buffer(), 0, size);
            Ok(())
        })?;
        return Ok((out, out_layout));
    }
    let piece = Piece {
        dims: layout.dims().to_vec(),
        src_strides: layout.strides().to_vec(),
        dst_strides: out_layout.strides().to_vec(),
        src_offset: layout.offset(),
        dst_offset: 0,
        gather: None,
    };
    device.record("contiguous", |rec| {
        if let Some(t) = Transpose::of(&piece, elem, device.limits()) {
            return t.record(rec, device, storage.buffer(), out.buffer());
        }
        record_copy(rec, device, storage.buffer(), out.buffer(), dtype, piece, None)
    })?;
    Ok((out, out_layout))
}

/// The transposing fast path (`shaders/transpose.wgsl`): a 4-byte view that merges to `[rows, cols]` with source
/// strides `[1, ld]` (a transposed row-major matrix), small enough for one binding.
struct Transpose {
    rows: usize,
    cols: usize,
    ld: usize,
    offset: usize,
}

const TRANSPOSE_TEMPLATE: &str = include_str!("../../shaders/transpose.wgsl");
/// Destination words one invocation of the transposing copy writes.
const TRANSPOSE_BLOCK: usize = 16;

fn transpose_wgsl() -> String {
    compose(TRANSPOSE_TEMPLATE, &[("block", &TRANSPOSE_BLOCK.to_string())])
}

impl Transpose {
    fn of(piece: &Piece, elem: usize, limits: &wgpu::Limits) -> Option<Transpose> {
        let p = piece.clone().merged();
        if elem != 4 || p.dims.len() != 2 || p.src_strides[0] != 1 || p.src_strides[1] <= 0 {
            return None;
        }
        let (rows, cols, ld) = (p.dims[0], p.dims[1], p.src_strides[1] as usize);
        let (lo, hi) = p.span(true);
        let fits = |words: usize| (words as u64 * 4) < limits.max_storage_buffer_binding_size.min(1 << 31);
        (lo == p.src_offset && fits(hi + 1) && fits(rows * cols)).then_some(Transpose {
            rows,
            cols,
            ld,
            offset: p.src_offset,
        })
    }

    fn record(&self, rec: &mut Recorder<'_>, device: &Device, src: &wgpu::Buffer, dst: &wgpu::Buffer) -> Result<()> {
        let pipeline = device.pipeline(KernelKey::Transpose, transpose_wgsl)?;
        let invocations = (self.rows * self.cols.div_ceil(TRANSPOSE_BLOCK)) as u32;
        let groups = grid_2d(invocations.div_ceil(64), device.limits().max_compute_workgroups_per_dimension);
        let words = [self.rows as u32, self.cols as u32, self.offset as u32, self.ld as u32, 0, groups.0 * 64, 0, 0];
        let params = rec.params(&words)?;
        fn range(buffer: &wgpu::Buffer, words: usize) -> wgpu::BindingResource<'_> {
            wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer,
                offset: 0,
                size: wgpu::BufferSize::new((words as u64 * 4).min(buffer.size())),
            })
        }
        let src_words = self.offset + (self.rows - 1) + (self.cols - 1) * self.ld + 1;
        rec.dispatch(&pipeline, &[range(src, src_words), range(dst, self.rows * self.cols), params.binding()], groups);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_fit_and_cover() {
        // A transposed 8192 x 8192 f32 (256 MiB) against 128 MiB bindings.
        let piece = Piece {
            dims: vec![8192, 8192],
            src_strides: vec![1, 8192],
            dst_strides: vec![8192, 1],
            src_offset: 0,
            dst_offset: 0,
            gather: None,
        };
        let mut out = Vec::new();
        plan(piece.merged(), 4, 128 << 20, &mut out).unwrap();
        assert!(out.len() >= 2);
        let total: usize = out.iter().map(|p| p.dims.iter().product::<usize>()).sum();
        assert_eq!(total, 8192 * 8192);
        for p in &out {
            for src in [true, false] {
                let (lo, hi) = p.span(src);
                assert!((hi - lo + 1) * 4 + 512 <= 128 << 20);
            }
        }
    }

    #[test]
    fn every_variant_compiles_on_the_device() {
        let device = Device::new().unwrap_or_else(|e| panic!("no adapter: {e}"));
        for elem_bytes in [1, 2, 4, 8] {
            for gather in [false, true] {
                let v = CopyVariant { elem_bytes, gather };
                let wgsl = v.wgsl();
                assert!(!wgsl.contains("{{"), "{v:?}");
                device.pipeline(KernelKey::Copy(v), || wgsl).unwrap_or_else(|e| panic!("{v:?}: {e}"));
            }
        }
        device.pipeline(KernelKey::Transpose, transpose_wgsl).unwrap();
    }

    #[test]
    fn a_chain_of_small_ops_costs_few_submits() {
        let device = Device::new().unwrap_or_else(|e| panic!("no adapter: {e}"));
        let x = device.upload(&crate::Array::from_vec((0..1024).map(|i| i as f32).collect(), [32, 32]).unwrap());
        let mut x = x.unwrap();
        device.synchronize().unwrap();
        let before = device.stream_submissions();
        for _ in 0..1000 {
            x = x.transpose(0, 1).unwrap().contiguous().unwrap();
        }
        let submits = device.stream_submissions() - before;
        assert!(submits <= 1000 / crate::device::DISPATCHES_PER_BATCH as u64 + 1, "{submits} submits");
        assert_eq!(x.download().unwrap().to_vec::<f32>().unwrap()[1], 1.0);
    }

    #[test]
    fn merge_keeps_the_gathered_dim() {
        let p = Piece {
            dims: vec![2, 3, 4],
            src_strides: vec![40, 4, 1],
            dst_strides: vec![12, 4, 1],
            src_offset: 0,
            dst_offset: 0,
            gather: Some((1, 10, 0)),
        };
        let m = p.merged();
        assert_eq!(m.dims, vec![2, 3, 4]);
        assert_eq!(m.gather, Some((1, 10, 0)));
        let q = Piece { gather: None, ..m.clone() };
        assert_eq!(q.merged().dims, vec![2, 12]);
    }
}
