//! What an upload reads from: an [`Array`](crate::Array)'s bytes, or the elements of any ndarray (strided views
//! included), produced in order straight into mapped memory — no temporary `Vec` of the whole tensor.

use wgpu::WriteOnly;

use crate::Element;

/// Bytes to upload, written in order: each call continues where the previous one stopped.
pub(crate) trait HostSource: Send {
    /// The total number of data bytes.
    fn byte_len(&self) -> usize;

    /// Writes the next `dst.len()` bytes (at most the bytes left) into `dst`.
    fn write_next(&mut self, dst: WriteOnly<'_, [u8]>);
}

/// A contiguous byte slice.
pub(crate) struct BytesSource<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> BytesSource<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        BytesSource { bytes, pos: 0 }
    }
}

impl HostSource for BytesSource<'_> {
    fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    fn write_next(&mut self, mut dst: WriteOnly<'_, [u8]>) {
        let n = dst.len();
        dst.copy_from_slice(&self.bytes[self.pos..self.pos + n]);
        self.pos += n;
    }
}

/// Bytes serialised through this block on the stack between an element producer and mapped memory.
const BLOCK: usize = 4096;

/// Elements produced one at a time, serialised through a small stack block into `dst`. A chunk boundary may fall
/// inside an element: `pending` keeps the current element's bytes and how many were written (start it as
/// `([0; 8], size)`). `next` writes the next element's `size` bytes into its argument, or returns `false` when the
/// elements are exhausted. The one serialisation loop of every element-wise [`HostSource`].
pub(crate) fn write_elements(
    mut dst: WriteOnly<'_, [u8]>,
    size: usize,
    pending: &mut ([u8; 8], usize),
    mut next: impl FnMut(&mut [u8]) -> bool,
) {
    let mut block = [0u8; BLOCK];
    let mut written = 0;
    while written < dst.len() {
        let want = (dst.len() - written).min(BLOCK);
        let mut filled = 0;
        while filled < want {
            let (bytes, used) = pending;
            if *used == size {
                if !next(&mut bytes[..size]) {
                    break;
                }
                *used = 0;
            }
            let n = (size - *used).min(want - filled);
            block[filled..filled + n].copy_from_slice(&bytes[*used..*used + n]);
            *used += n;
            filled += n;
        }
        if filled == 0 {
            break;
        }
        dst.slice(written..written + filled).copy_from_slice(&block[..filled]);
        written += filled;
    }
}

/// The elements of an iterator in logical order (e.g. a transposed or stepped ndarray view), serialised
/// little-endian through a small stack block.
pub(crate) struct ElementSource<I: Iterator<Item = T>, T: Element> {
    elements: I,
    byte_len: usize,
    /// The current element's bytes and how many of them were already written.
    pending: ([u8; 8], usize),
}

impl<I: Iterator<Item = T>, T: Element> ElementSource<I, T> {
    /// `len` must be the iterator's exact length.
    pub(crate) fn new(elements: I, len: usize) -> Self {
        let size = T::DTYPE.size_in_bytes();
        ElementSource { elements, byte_len: len * size, pending: ([0; 8], size) }
    }
}

impl<I: Iterator<Item = T> + Send, T: Element> HostSource for ElementSource<I, T> {
    fn byte_len(&self) -> usize {
        self.byte_len
    }

    fn write_next(&mut self, dst: WriteOnly<'_, [u8]>) {
        let elements = &mut self.elements;
        write_elements(dst, T::DTYPE.size_in_bytes(), &mut self.pending, |bytes| match elements.next() {
            Some(x) => {
                x.write_le_bytes(bytes);
                true
            }
            None => false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_source_splits_elements_across_calls() {
        let values: Vec<u64> = (0..1000).map(|i| i * 0x0101_0101_0101).collect();
        let want: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut source = ElementSource::new(values.iter().copied(), values.len());
        let mut got = vec![0u8; want.len()];
        let mut at = 0;
        for step in [3usize, 5000, 1, 7, 2989] {
            source.write_next(WriteOnly::from(&mut got[at..at + step]));
            at += step;
        }
        assert_eq!(at, want.len());
        assert_eq!(got, want);
    }
}
