//! A strided view of a buffer as a kernel binds it: the element range a view reaches, and the aligned sub-range of
//! its buffer that covers it (a storage binding may not pass `max_storage_buffer_binding_size`, and its offset must
//! be a multiple of `min_storage_buffer_offset_alignment`).

use crate::{Error, Result};

/// The element indices `[lo, hi]` reached by `offset + Σ iᵢ·strideᵢ` over `0 ≤ iᵢ < extentᵢ`, or `None` when an
/// extent is 0 (nothing is read). Errors when an index leaves `0..=i64::MAX`.
pub(crate) fn reach(
    op: &'static str,
    what: &str,
    offset: usize,
    dims: &[(usize, isize)],
) -> Result<Option<(u64, u64)>> {
    if dims.iter().any(|&(n, _)| n == 0) {
        return Ok(None);
    }
    let (mut lo, mut hi) = (offset as i128, offset as i128);
    for &(n, s) in dims {
        let span = (n as i128 - 1) * s as i128;
        if span < 0 {
            lo += span;
        } else {
            hi += span;
        }
    }
    if lo < 0 || hi > i64::MAX as i128 {
        return Err(Error::InvalidArgument {
            op,
            reason: format!(
                "{what} reaches element {} (offset {offset}, dims/strides {dims:?}); fix its layout",
                if lo < 0 { lo } else { hi }
            ),
        });
    }
    Ok(Some((lo as u64, hi as u64)))
}

/// A binding of part of a buffer: byte `offset` and `size`, and the element index its first element has in the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub offset: u64,
    pub size: u64,
    pub first_elem: u64,
}

/// The aligned window of a buffer of `buffer_size` bytes that holds elements `[lo, hi]` of `elem_bytes` bytes each
/// (for 2-byte elements, `lo`/`hi` index elements and the window starts on a word). `align` is the binding offset
/// alignment; the first element is also a multiple of 4 elements so 16-byte loads stay aligned.
pub(crate) fn window(
    op: &'static str,
    what: &str,
    (lo, hi): (u64, u64),
    elem_bytes: u64,
    buffer_size: u64,
    limits: &wgpu::Limits,
) -> Result<Window> {
    let align = u64::from(limits.min_storage_buffer_offset_alignment).max(16).max(4 * elem_bytes);
    let end = ((hi + 1) * elem_bytes).next_multiple_of(4);
    if end > buffer_size {
        return Err(Error::InvalidArgument {
            op,
            reason: format!(
                "{what} reaches byte {end} of a {buffer_size}-byte buffer (elements {lo}..={hi}); the view does not fit its buffer"
            ),
        });
    }
    let offset = lo * elem_bytes / align * align;
    let size = end - offset;
    let max = limits.max_storage_buffer_binding_size;
    if size > max {
        return Err(Error::InvalidArgument {
            op,
            reason: format!(
                "{what} spans {size} bytes but one storage binding holds at most {max} bytes on this adapter; \
                 split the operation into smaller pieces"
            ),
        });
    }
    if size / elem_bytes > i32::MAX as u64 {
        return Err(Error::InvalidArgument { op, reason: format!("{what} spans more than 2^31 elements") });
    }
    Ok(Window { offset, size, first_elem: offset / elem_bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_handles_negative_strides_and_empty() {
        assert_eq!(reach("t", "x", 10, &[(3, -2), (4, 1)]).unwrap(), Some((6, 13)));
        assert_eq!(reach("t", "x", 0, &[(0, 5)]).unwrap(), None);
        assert!(reach("t", "x", 1, &[(3, -1)]).is_err());
    }

    #[test]
    fn window_is_aligned_and_bounded() {
        let limits = wgpu::Limits { min_storage_buffer_offset_alignment: 256, ..wgpu::Limits::default() };
        let w = window("t", "x", (100, 200), 4, 4096, &limits).unwrap();
        assert_eq!(w, Window { offset: 256, size: 804 - 256, first_elem: 64 });
        assert!(window("t", "x", (100, 2000), 4, 4096, &limits).is_err());
        let small = wgpu::Limits { max_storage_buffer_binding_size: 1024, ..limits };
        assert!(window("t", "x", (0, 1000), 4, 1 << 20, &small).is_err());
    }
}
