//! The geometry of a reduction's source, `[outer, R, inner]` with strides, and its split into dispatches whose
//! source windows each fit one storage binding — shared by the tree reductions (`reduce_kernel.rs`) and the exact
//! sums (`reduce_exact.rs`), and the checks both make first.

use super::reduce_kernel::ReduceView;
use super::view::{Window, reach, window};
use crate::{DType, Error, Result};

/// Checks a reduction of `view` (elements of `dtype`) into `out` (elements of `out_dtype`, one per output) before
/// anything is recorded; returns the number of outputs, or `None` when there are none.
///
/// # Errors
/// [`Error::InvalidArgument`] naming `name` for an extent past 2³¹, an output buffer too small or past one storage
/// binding, or a view that leaves its buffer (checked whole, before any split).
pub(crate) fn check(
    name: &'static str,
    view: &ReduceView<'_>,
    dtype: DType,
    out: &wgpu::Buffer,
    out_dtype: DType,
    limits: &wgpu::Limits,
) -> Result<Option<u64>> {
    let invalid = |reason: String| Error::InvalidArgument { op: name, reason };
    let n_out = (view.outer as u64).checked_mul(view.inner as u64).ok_or_else(|| invalid("too many outputs".into()))?;
    if n_out == 0 {
        return Ok(None);
    }
    for (what, x) in [("outer", view.outer), ("reduced", view.r), ("inner", view.inner)] {
        if x > i32::MAX as usize {
            return Err(invalid(format!("the {what} extent {x} is past 2^31")));
        }
    }
    let max_binding = limits.max_storage_buffer_binding_size;
    let out_bytes = (n_out * out_dtype.size_in_bytes() as u64).next_multiple_of(4);
    if out.size() < out_bytes {
        return Err(invalid(format!(
            "the output buffer holds {} bytes; {n_out} {out_dtype} need {out_bytes}",
            out.size()
        )));
    }
    if out_bytes > max_binding {
        return Err(invalid(format!(
            "{n_out} outputs pass one storage binding ({max_binding} bytes); reduce in smaller pieces"
        )));
    }
    let esize = dtype.size_in_bytes() as u64;
    let dims = [(view.outer, view.outer_stride), (view.r, view.r_stride), (view.inner, view.inner_stride)];
    if let Some((_, hi)) = reach(name, "the input", view.offset, &dims)? {
        let end = ((hi + 1) * esize).next_multiple_of(4);
        if end > view.buffer.size() {
            return Err(invalid(format!("the input reaches byte {end} of a {}-byte buffer", view.buffer.size())));
        }
    }
    Ok(Some(n_out))
}

/// The shape and strides of a view, without its buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub offset: usize,
    pub outer: usize,
    pub r: usize,
    pub inner: usize,
    pub outer_stride: isize,
    pub r_stride: isize,
    pub inner_stride: isize,
}

impl Geometry {
    pub(crate) fn of(v: &ReduceView<'_>) -> Geometry {
        Geometry {
            offset: v.offset,
            outer: v.outer,
            r: v.r,
            inner: v.inner,
            outer_stride: v.outer_stride,
            r_stride: v.r_stride,
            inner_stride: v.inner_stride,
        }
    }
}

/// One dispatch of a pass: outer rows `o0..o1`, blocks of R `c0..c1`, and the source window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dispatch {
    pub o0: u64,
    pub o1: u64,
    pub c0: u64,
    pub c1: u64,
    pub window: Option<Window>,
}

/// Splits a pass over `v` (units of `elem_bytes` in `buffer`, R in blocks of `block`) into dispatches whose source
/// windows fit one binding: halves the outer rows, then the blocks.
///
/// # Errors
/// When one block of one outer row does not fit one binding, or the view leaves its buffer.
#[allow(clippy::too_many_arguments)]
pub(crate) fn split(
    name: &'static str,
    buffer: &wgpu::Buffer,
    elem_bytes: u64,
    v: &Geometry,
    block: u64,
    limits: &wgpu::Limits,
    (o0, o1, c0, c1): (u64, u64, u64, u64),
    out: &mut Vec<Dispatch>,
) -> Result<()> {
    let r0 = (c0 * block).min(v.r as u64);
    let r1 = (c1 * block).min(v.r as u64);
    let offset = v.offset as i64 + o0 as i64 * v.outer_stride as i64 + r0 as i64 * v.r_stride as i64;
    let dims = [((o1 - o0) as usize, v.outer_stride), ((r1 - r0) as usize, v.r_stride), (v.inner, v.inner_stride)];
    let window = match reach(name, "the input", offset.max(0) as usize, &dims)? {
        None => None,
        Some(range) => match window(name, "the input", range, elem_bytes, buffer.size(), limits) {
            Ok(w) => Some(w),
            Err(e) => {
                let halves = if o1 - o0 > 1 {
                    let mid = o0 + (o1 - o0) / 2;
                    [(o0, mid, c0, c1), (mid, o1, c0, c1)]
                } else if c1 - c0 > 1 {
                    let mid = c0 + (c1 - c0) / 2;
                    [(o0, o1, c0, mid), (o0, o1, mid, c1)]
                } else {
                    return Err(e);
                };
                for half in halves {
                    split(name, buffer, elem_bytes, v, block, limits, half, out)?;
                }
                return Ok(());
            }
        },
    };
    out.push(Dispatch { o0, o1, c0, c1, window });
    Ok(())
}
