//! Upload sources that read a tensor out of a file: [`RangeSource`] (a byte range, copied once straight into
//! device memory) and [`ReorderSource`] (big-endian and/or Fortran-order .npy data, swapped and transposed on the
//! way through a small block on the stack).

use wgpu::WriteOnly;

use super::file::FileData;
use crate::transfer::{HostSource, write_elements};
use crate::{Error, Result};

/// Bytes moved through the stack per step when they must be looked at (bool checks, reordering).
const BLOCK: usize = 64 * 1024;

/// The reason given for a bool byte other than 0 or 1.
pub(crate) const BAD_BOOL: &str = "a bool element is a byte other than 0 or 1";

/// `true` when every byte is 0 or 1.
pub(crate) fn bools_ok(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b <= 1)
}

/// Bytes `offset..offset + len` of a file, copied in order. Errors (a file that shrank, a bad bool byte) are kept
/// and returned by [`finish`](RangeSource::finish), since [`HostSource::write_next`] cannot fail.
pub(crate) struct RangeSource<'a> {
    data: &'a FileData,
    offset: u64,
    len: usize,
    pos: usize,
    check_bool: bool,
    tensor: Option<&'a str>,
    error: Option<Error>,
}

impl<'a> RangeSource<'a> {
    /// `check_bool`: reject bytes other than 0 and 1 (the data goes through a stack block to be looked at).
    pub(crate) fn new(data: &'a FileData, offset: u64, len: usize, check_bool: bool, tensor: Option<&'a str>) -> Self {
        RangeSource { data, offset, len, pos: 0, check_bool, tensor, error: None }
    }

    /// The first error met while copying, if any.
    pub(crate) fn finish(self) -> Result<()> {
        self.error.map_or(Ok(()), Err)
    }

    fn copy(&self, at: u64, mut dst: WriteOnly<'_, [u8]>) -> Result<()> {
        if !self.check_bool {
            return self.data.copy_to(at, dst, self.tensor);
        }
        let mut block = vec![0u8; BLOCK.min(dst.len())];
        let mut done = 0;
        while done < dst.len() {
            let n = (dst.len() - done).min(BLOCK);
            self.data.read_at(at + done as u64, &mut block[..n], self.tensor)?;
            if !bools_ok(&block[..n]) {
                return Err(self.data.bad(self.tensor, BAD_BOOL));
            }
            dst.slice(done..done + n).copy_from_slice(&block[..n]);
            done += n;
        }
        Ok(())
    }
}

impl HostSource for RangeSource<'_> {
    fn byte_len(&self) -> usize {
        self.len
    }

    fn write_next(&mut self, dst: WriteOnly<'_, [u8]>) {
        let n = dst.len();
        if self.error.is_none()
            && let Err(e) = self.copy(self.offset + self.pos as u64, dst)
        {
            self.error = Some(e);
        }
        self.pos += n;
    }
}

/// Walks a row-major index over `dims` and yields the matching element offset in a source with other strides
/// (column-major for Fortran order).
pub(crate) struct Walk {
    dims: Vec<usize>,
    strides: Vec<usize>,
    index: Vec<usize>,
    offset: usize,
}

impl Walk {
    /// Source strides of a C-order (`fortran == false`) or Fortran-order array of `dims`.
    /// (Strides may wrap for an empty array, whose walk never steps.)
    pub(crate) fn new(dims: &[usize], fortran: bool) -> Walk {
        let n = dims.len();
        let mut strides = vec![1usize; n];
        if fortran {
            for k in 1..n {
                strides[k] = strides[k - 1].wrapping_mul(dims[k - 1]);
            }
        } else {
            for k in (0..n.saturating_sub(1)).rev() {
                strides[k] = strides[k + 1].wrapping_mul(dims[k + 1]);
            }
        }
        Walk { dims: dims.to_vec(), strides, index: vec![0; n], offset: 0 }
    }

    /// The current source offset, then a step to the next row-major index.
    fn next(&mut self) -> usize {
        let current = self.offset;
        for k in (0..self.dims.len()).rev() {
            self.index[k] += 1;
            self.offset += self.strides[k];
            if self.index[k] < self.dims[k] {
                break;
            }
            self.offset -= self.strides[k] * self.dims[k];
            self.index[k] = 0;
        }
        current
    }
}

/// The elements of `src` (`len` elements of `size` bytes) in row-major order, byte-swapped when `swap` (a
/// big-endian file) and gathered through a [`Walk`] (transposed when the file is in Fortran order).
pub(crate) struct ReorderSource<'a> {
    src: &'a [u8],
    size: usize,
    swap: bool,
    walk: Walk,
    remaining: usize,
    /// The current element's bytes and how many of them were already written.
    pending: ([u8; 8], usize),
}

impl<'a> ReorderSource<'a> {
    /// `src` must hold exactly `dims`' element count × `size` bytes (checked by the caller).
    pub(crate) fn new(src: &'a [u8], dims: &[usize], size: usize, swap: bool, fortran: bool) -> Self {
        let remaining = src.len() / size.max(1);
        ReorderSource { src, size, swap, walk: Walk::new(dims, fortran), remaining, pending: ([0; 8], size) }
    }
}

impl HostSource for ReorderSource<'_> {
    fn byte_len(&self) -> usize {
        self.src.len()
    }

    fn write_next(&mut self, dst: WriteOnly<'_, [u8]>) {
        let (src, size, swap) = (self.src, self.size, self.swap);
        let (walk, remaining) = (&mut self.walk, &mut self.remaining);
        write_elements(dst, size, &mut self.pending, |bytes| {
            if *remaining == 0 {
                return false;
            }
            *remaining -= 1;
            let at = walk.next() * size;
            bytes.copy_from_slice(&src[at..at + size]);
            if swap {
                bytes.reverse();
            }
            true
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortran_walk_transposes() {
        // A 2×3 array [[0,1,2],[3,4,5]] stored column-major is 0,3,1,4,2,5.
        let mut walk = Walk::new(&[2, 3], true);
        let got: Vec<usize> = (0..6).map(|_| walk.next()).collect();
        assert_eq!(got, [0, 2, 4, 1, 3, 5]);
        let mut walk = Walk::new(&[2, 3], false);
        assert_eq!((0..6).map(|_| walk.next()).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn reorder_swaps_across_chunk_boundaries() {
        let values: Vec<u32> = (0..3000).map(|i| i * 0x0102_0304).collect();
        let be: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
        let want: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut source = ReorderSource::new(&be, &[3000], 4, true, false);
        let mut got = vec![0u8; want.len()];
        let mut at = 0;
        for step in [3usize, 5001, 1, 7, 6988] {
            source.write_next(WriteOnly::from(&mut got[at..at + step]));
            at += step;
        }
        assert_eq!(at, want.len());
        assert_eq!(got, want);
    }
}
