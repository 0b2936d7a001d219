//! [`Layout`]: where a tensor's elements sit in its storage — dims, strides and an offset, all in elements.
//!
//! Pure arithmetic (no wgpu): every view operation of [`DeviceTensor`](crate::DeviceTensor) is a function from one
//! layout to another, so views cost nothing on the device. Modelled on candle-core's `layout.rs` (strides in
//! elements) with signed strides, so reversed slices (`s![..;-1]`) are views too, as in ndarray.
//!
//! The element at multi-index `i` of a layout lives at storage element `offset + Σ i[d] · strides[d]`. Every
//! constructor keeps that address inside the storage for every valid index, so a kernel can never be asked to
//! read outside it.

use ndarray::SliceInfoElem;

use crate::{Error, IntoShape, Result, Shape};

/// Dims, strides (in elements, signed; 0 for broadcast dims) and the offset of the first element (in elements).
///
/// ```
/// use wgpu_tensor::Layout;
/// let l = Layout::contiguous([2, 3, 4]);
/// assert_eq!(l.strides(), [12, 4, 1]);
/// let t = l.permute(&[2, 0, 1])?;
/// assert_eq!((t.dims(), t.strides()), (&[4, 2, 3][..], &[1, 12, 4][..]));
/// assert!(!t.is_contiguous());
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    shape: Shape,
    strides: Vec<isize>,
    offset: usize,
}

/// Row-major strides of `dims` in elements (saturating; only meaningful when the element count fits).
fn row_major(dims: &[usize]) -> Vec<isize> {
    let mut strides = vec![1isize; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1].saturating_mul(dims[i + 1].max(1) as isize);
    }
    strides
}

fn invalid(op: &'static str, reason: String) -> Error {
    Error::InvalidArgument { op, reason }
}

impl Layout {
    /// The row-major layout of `shape` starting at element 0.
    pub fn contiguous(shape: impl IntoShape) -> Layout {
        let shape = shape.into_shape();
        let strides = row_major(shape.dims());
        Layout { shape, strides, offset: 0 }
    }

    /// A layout from its parts, checked: every element address `offset + Σ i·stride` must lie in
    /// `0..storage_len` (elements).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the dims and strides differ in length, or some element would lie outside
    /// the storage.
    pub fn new(shape: impl IntoShape, strides: Vec<isize>, offset: usize, storage_len: usize) -> Result<Layout> {
        let layout = Layout { shape: shape.into_shape(), strides, offset };
        if layout.strides.len() != layout.shape.ndim() {
            let reason = format!("{} strides for {} dims", layout.strides.len(), layout.shape.ndim());
            return Err(invalid("Layout::new", reason));
        }
        // The exact span (not clamped to isize): an offset near usize::MAX must not pass as isize::MAX.
        match layout.wide_span() {
            None => Ok(layout),
            Some((lo, hi)) if lo >= 0 && hi <= isize::MAX as i128 && (hi as u128) < storage_len as u128 => Ok(layout),
            Some((lo, hi)) => Err(invalid(
                "Layout::new",
                format!("elements span storage elements {lo}..={hi}, outside 0..{storage_len}"),
            )),
        }
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The dims (`[]` for a scalar).
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    /// The number of dims.
    pub fn ndim(&self) -> usize {
        self.shape.ndim()
    }

    /// The element count.
    pub fn len(&self) -> usize {
        self.shape.len()
    }

    /// `true` when some dim is 0.
    pub fn is_empty(&self) -> bool {
        self.shape.is_empty()
    }

    /// Strides in elements (signed; 0 for broadcast dims).
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// The storage element of the first element (multi-index all zeros).
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// `true` when the elements sit in row-major order, without gaps, starting at the offset (dims of length 1 may
    /// have any stride; an empty layout is contiguous).
    pub fn is_contiguous(&self) -> bool {
        if self.is_empty() {
            return true;
        }
        let mut expected = 1isize;
        for (&d, &s) in self.dims().iter().zip(&self.strides).rev() {
            if d != 1 {
                if s != expected {
                    return false;
                }
                expected = expected.saturating_mul(d as isize);
            }
        }
        true
    }

    /// The lowest and highest storage element any element of the layout touches (`None` when empty).
    pub fn span(&self) -> Option<(isize, isize)> {
        let (lo, hi) = self.wide_span()?;
        Some((lo.clamp(isize::MIN as i128, isize::MAX as i128) as isize, hi.min(isize::MAX as i128) as isize))
    }

    /// [`span`](Self::span) without clamping.
    fn wide_span(&self) -> Option<(i128, i128)> {
        if self.is_empty() {
            return None;
        }
        let (mut lo, mut hi) = (self.offset as i128, self.offset as i128);
        for (&d, &s) in self.dims().iter().zip(&self.strides) {
            let reach = (d as i128 - 1) * s as i128;
            if reach < 0 {
                lo += reach;
            } else {
                hi += reach;
            }
        }
        Some((lo, hi))
    }

    /// The storage element of multi-index `index` (one entry per dim, each below its dim; not checked).
    pub fn element_offset(&self, index: &[usize]) -> usize {
        let at = index.iter().zip(&self.strides).fold(self.offset as isize, |acc, (&i, &s)| acc + i as isize * s);
        at as usize
    }

    fn check_dim(&self, op: &'static str, dim: usize) -> Result<()> {
        if dim < self.ndim() {
            Ok(())
        } else {
            Err(invalid(op, format!("dim {dim} is out of range for a tensor of shape {}", self.shape)))
        }
    }

    /// The dims reordered: dim `i` of the result is dim `axes[i]` of `self`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `axes` is not a permutation of `0..ndim`.
    pub fn permute(&self, axes: &[usize]) -> Result<Layout> {
        let n = self.ndim();
        let mut seen = vec![false; n];
        let ok = axes.len() == n && axes.iter().all(|&a| a < n && !std::mem::replace(&mut seen[a], true));
        if !ok {
            return Err(invalid("permute", format!("{axes:?} is not a permutation of the {n} dims of {}", self.shape)));
        }
        let dims: Vec<usize> = axes.iter().map(|&a| self.dims()[a]).collect();
        let strides = axes.iter().map(|&a| self.strides[a]).collect();
        Ok(Layout { shape: dims.into_shape(), strides, offset: self.offset })
    }

    /// Dims `a` and `b` swapped.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a dim is out of range.
    pub fn transpose(&self, a: usize, b: usize) -> Result<Layout> {
        self.check_dim("transpose", a)?;
        self.check_dim("transpose", b)?;
        let mut axes: Vec<usize> = (0..self.ndim()).collect();
        axes.swap(a, b);
        self.permute(&axes)
    }

    /// Elements `start..start + len` of dim `dim`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `dim` is out of range or the range passes the dim's end.
    pub fn narrow(&self, dim: usize, start: usize, len: usize) -> Result<Layout> {
        self.check_dim("narrow", dim)?;
        let size = self.dims()[dim];
        if start.checked_add(len).is_none_or(|end| end > size) {
            let reason =
                format!("{start}..{start}+{len} passes the end of dim {dim} (length {size}) of {}", self.shape);
            return Err(invalid("narrow", reason));
        }
        let mut dims = self.dims().to_vec();
        dims[dim] = len;
        let offset =
            if len == 0 { self.offset } else { (self.offset as isize + start as isize * self.strides[dim]) as usize };
        Ok(Layout { shape: dims.into_shape(), strides: self.strides.clone(), offset })
    }

    /// ndarray's `slice` semantics exactly (ranges with steps, negative indices and steps, `Index` removes a dim,
    /// `NewAxis` inserts one), so `s![..]` works.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a step of 0, an index or range outside its dim, or a slice naming more dims
    /// than the tensor has (ndarray panics on all of these).
    pub fn slice(&self, info: &[SliceInfoElem]) -> Result<Layout> {
        let consumed = info.iter().filter(|e| !matches!(e, SliceInfoElem::NewAxis)).count();
        if consumed > self.ndim() {
            let reason = format!("{consumed} dims sliced but the tensor of shape {} has {}", self.shape, self.ndim());
            return Err(invalid("slice", reason));
        }
        let mut dims = Vec::with_capacity(info.len() + self.ndim());
        let mut strides = Vec::with_capacity(dims.capacity());
        let mut offset = self.offset as isize;
        let mut empty = false;
        let mut d = 0;
        let abs = |len: usize, i: isize, what: &str| -> Result<usize> {
            let a = if i < 0 { len as isize + i } else { i };
            if a < 0 || a as usize > len {
                return Err(invalid("slice", format!("{what} {i} is outside a dim of length {len}")));
            }
            Ok(a as usize)
        };
        for elem in info {
            match *elem {
                SliceInfoElem::NewAxis => {
                    dims.push(1);
                    strides.push(0);
                }
                SliceInfoElem::Index(i) => {
                    let len = self.dims()[d];
                    let a = abs(len, i, "index")?;
                    if a >= len {
                        return Err(invalid("slice", format!("index {i} is outside dim {d} of length {len}")));
                    }
                    offset += a as isize * self.strides[d];
                    d += 1;
                }
                SliceInfoElem::Slice { start, end, step } => {
                    let len = self.dims()[d];
                    if step == 0 {
                        return Err(invalid("slice", format!("step 0 for dim {d}")));
                    }
                    let s = abs(len, start, "start")?;
                    let e = abs(len, end.unwrap_or(len as isize), "end")?.max(s);
                    let m = e - s;
                    let stride = self.strides[d];
                    if m > 0 {
                        offset += if step < 0 { (e - 1) as isize * stride } else { s as isize * stride };
                    } else {
                        empty = true;
                    }
                    dims.push(m.div_ceil(step.unsigned_abs()));
                    strides.push(stride * step);
                    d += 1;
                }
            }
        }
        dims.extend_from_slice(&self.dims()[d..]);
        strides.extend_from_slice(&self.strides[d..]);
        // An empty result may carry any offset; keep the source's so it stays inside the storage.
        let offset = if empty || dims.contains(&0) { self.offset } else { offset as usize };
        Ok(Layout { shape: dims.into_shape(), strides, offset })
    }

    /// Broadcast to `shape` with numpy's rules: dims align at the end; each of `self`'s dims equals the target's or
    /// is 1 (stride 0); missing leading dims get stride 0.
    ///
    /// # Errors
    /// [`Error::Broadcast`] naming both shapes when they are incompatible.
    pub fn broadcast_to(&self, shape: impl IntoShape) -> Result<Layout> {
        let target = shape.into_shape();
        let (n, m) = (target.ndim(), self.ndim());
        let mismatch =
            || Error::Broadcast { op: "broadcast_to", lhs: self.dims().to_vec(), rhs: target.dims().to_vec() };
        if m > n {
            return Err(mismatch());
        }
        let mut strides = vec![0isize; n];
        for i in 0..m {
            let (src, dst) = (self.dims()[m - 1 - i], target.dims()[n - 1 - i]);
            strides[n - 1 - i] = if src == dst {
                self.strides[m - 1 - i]
            } else if src == 1 {
                0
            } else {
                return Err(mismatch());
            };
        }
        Ok(Layout { shape: target, strides, offset: self.offset })
    }

    /// Removes dim `dim`, which must have length 1.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `dim` is out of range or its length is not 1.
    pub fn squeeze(&self, dim: usize) -> Result<Layout> {
        self.check_dim("squeeze", dim)?;
        if self.dims()[dim] != 1 {
            let reason = format!("dim {dim} of shape {} has length {}, not 1", self.shape, self.dims()[dim]);
            return Err(invalid("squeeze", reason));
        }
        let (mut dims, mut strides) = (self.dims().to_vec(), self.strides.clone());
        dims.remove(dim);
        strides.remove(dim);
        Ok(Layout { shape: dims.into_shape(), strides, offset: self.offset })
    }

    /// Inserts a dim of length 1 before dim `dim` (`dim == ndim` appends one).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `dim > ndim`.
    pub fn unsqueeze(&self, dim: usize) -> Result<Layout> {
        if dim > self.ndim() {
            let reason =
                format!("dim {dim} is out of range for inserting into shape {} (at most {})", self.shape, self.ndim());
            return Err(invalid("unsqueeze", reason));
        }
        let stride = match dim {
            d if d < self.ndim() => self.strides[d] * self.dims()[d].max(1) as isize,
            _ => 1,
        };
        let (mut dims, mut strides) = (self.dims().to_vec(), self.strides.clone());
        dims.insert(dim, 1);
        strides.insert(dim, stride);
        Ok(Layout { shape: dims.into_shape(), strides, offset: self.offset })
    }

    /// The same elements in the same row-major order under another shape, as a view when the strides allow it
    /// (PyTorch's `view` rule: each group of merged dims must be contiguous within itself); `Ok(None)` when the data
    /// must be copied first.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the element counts differ.
    pub fn reshape(&self, shape: impl IntoShape) -> Result<Option<Layout>> {
        let shape = shape.into_shape();
        match shape.checked_len() {
            Some(n) if n == self.len() => {}
            _ => {
                return Err(Error::ReshapeMismatch { from: self.dims().to_vec(), to: shape.into_dims() });
            }
        }
        if self.is_contiguous() {
            return Ok(Some(Layout { strides: row_major(shape.dims()), shape, offset: self.offset }));
        }
        if self.is_empty() {
            return Ok(Some(Layout { strides: row_major(shape.dims()), shape, offset: self.offset }));
        }
        // Walk groups of old dims that are contiguous among themselves, matching them to runs of new dims.
        let (old_d, old_s) = (self.dims(), &self.strides);
        let new_d = shape.dims();
        let mut new_s = vec![0isize; new_d.len()];
        let (mut i, mut j) = (0usize, 0usize);
        while i < old_d.len() || j < new_d.len() {
            // Skip length-1 dims on both sides (any stride serves them).
            if i < old_d.len() && old_d[i] == 1 {
                i += 1;
                continue;
            }
            if j < new_d.len() && new_d[j] == 1 {
                new_s[j] = 0;
                j += 1;
                continue;
            }
            if i >= old_d.len() || j >= new_d.len() {
                break;
            }
            // Grow an old group [i0, i) and a new group [j0, j) to the same element count.
            let (i0, j0) = (i, j);
            let (mut old_n, mut new_n) = (old_d[i], new_d[j]);
            i += 1;
            j += 1;
            while old_n != new_n {
                if old_n < new_n {
                    if i >= old_d.len() {
                        return Ok(None);
                    }
                    old_n *= old_d[i];
                    i += 1;
                } else {
                    if j >= new_d.len() {
                        return Ok(None);
                    }
                    new_n *= new_d[j];
                    j += 1;
                }
            }
            // The old group must be contiguous within itself (ignoring length-1 dims).
            let group: Vec<usize> = (i0..i).filter(|&k| old_d[k] != 1).collect();
            for w in group.windows(2) {
                if old_s[w[0]] != old_s[w[1]] * old_d[w[1]] as isize {
                    return Ok(None);
                }
            }
            let mut stride = old_s[*group.last().unwrap_or(&i0)];
            for k in (j0..j).rev() {
                new_s[k] = stride;
                stride *= new_d[k] as isize;
            }
        }
        Ok(Some(Layout { shape, strides: new_s, offset: self.offset }))
    }

    /// The same elements as fewer dims: length-1 dims dropped, and neighbours merged where
    /// `stride[i] == stride[i + 1] · dim[i + 1]` (row-major order preserved). Kernels index with this to do less
    /// arithmetic; a contiguous layout merges to one dim. Returns `(dims, strides)`; a scalar gives `([1], [1])`.
    pub fn merged(&self) -> (Vec<usize>, Vec<isize>) {
        let mut dims: Vec<usize> = Vec::with_capacity(self.ndim());
        let mut strides: Vec<isize> = Vec::with_capacity(self.ndim());
        for (&d, &s) in self.dims().iter().zip(&self.strides) {
            if d == 1 {
                continue;
            }
            if let (Some(ld), Some(ls)) = (dims.last_mut(), strides.last_mut())
                && *ls == s * d as isize
            {
                *ld *= d;
                *ls = s;
                continue;
            }
            dims.push(d);
            strides.push(s);
        }
        if dims.is_empty() || self.is_empty() {
            return (vec![self.len()], vec![1]);
        }
        (dims, strides)
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn, s};

    use super::*;

    /// The storage elements of every element of `l`, in row-major order of its multi-indices.
    fn addresses(l: &Layout) -> Vec<usize> {
        let mut out = Vec::new();
        let dims = l.dims();
        if l.is_empty() {
            return out;
        }
        let mut idx = vec![0usize; dims.len()];
        loop {
            out.push(l.element_offset(&idx));
            let mut d = dims.len();
            loop {
                if d == 0 {
                    return out;
                }
                d -= 1;
                idx[d] += 1;
                if idx[d] < dims[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
    }

    /// ndarray holding each element's own storage index, for comparing views.
    fn indices(dims: &[usize]) -> ArrayD<usize> {
        let n = dims.iter().product();
        ArrayD::from_shape_vec(IxDyn(dims), (0..n).collect()).unwrap()
    }

    #[test]
    fn slice_matches_ndarray() {
        let a = indices(&[5, 6, 7]);
        let l = Layout::contiguous([5, 6, 7]);
        let cases = [
            s![.., 1..3, ..;-2].as_ref().to_vec(),
            s![..;-1, 2, -3..].as_ref().to_vec(),
            s![1..1, .., ..].as_ref().to_vec(),
            s![ndarray::NewAxis, 4, ..;3, -1..;-1].as_ref().to_vec(),
            s![.., ..0;-1, 3].as_ref().to_vec(),
        ];
        for info in cases {
            let v = l.slice(&info).unwrap();
            let want = a.slice(info.as_slice());
            assert_eq!(v.dims(), want.shape(), "{info:?}");
            assert_eq!(addresses(&v), want.iter().copied().collect::<Vec<_>>(), "{info:?}");
        }
    }

    #[test]
    fn slice_errors_instead_of_panicking() {
        let l = Layout::contiguous([3, 4]);
        for info in [s![5.., ..].as_ref().to_vec(), s![.., ..;0].as_ref().to_vec(), s![3, ..].as_ref().to_vec()] {
            assert!(matches!(l.slice(&info), Err(Error::InvalidArgument { op: "slice", .. })), "{info:?}");
        }
        assert!(l.slice(s![.., .., ..].as_ref()).is_err());
        assert!(l.slice(s![-4.., ..].as_ref()).is_err());
    }

    #[test]
    fn views_compose_like_ndarray() {
        let a = indices(&[4, 6, 8]);
        let l = Layout::contiguous([4, 6, 8]);
        let v = l.permute(&[2, 0, 1]).unwrap().slice(s![.., 1..3, ..;-2].as_ref()).unwrap();
        let w = a.view().permuted_axes(IxDyn(&[2, 0, 1]));
        let w = w.slice(s![.., 1..3, ..;-2]);
        assert_eq!(addresses(&v), w.iter().copied().collect::<Vec<_>>());
        let n = v.narrow(0, 2, 4).unwrap().unsqueeze(1).unwrap();
        let b = n.broadcast_to([4, 5, 2, 3]).unwrap();
        let wn = w.slice(s![2..6, ndarray::NewAxis, .., ..]);
        let wb = wn.broadcast(IxDyn(&[4, 5, 2, 3])).unwrap();
        assert_eq!(addresses(&b), wb.iter().copied().collect::<Vec<_>>());
        assert_eq!(b.strides()[1], 0);
    }

    #[test]
    fn contiguity_and_merge() {
        let l = Layout::contiguous([2, 3, 4]);
        assert!(l.is_contiguous());
        assert_eq!(l.merged(), (vec![24], vec![1]));
        let t = l.transpose(0, 2).unwrap();
        assert!(!t.is_contiguous());
        assert_eq!(t.merged(), (vec![4, 3, 2], vec![1, 4, 12]));
        let n = l.narrow(2, 1, 2).unwrap();
        assert_eq!(n.merged(), (vec![6, 2], vec![4, 1]));
        assert_eq!(Layout::contiguous([]).merged(), (vec![1], vec![1]));
        assert!(l.unsqueeze(3).unwrap().is_contiguous() && l.unsqueeze(0).unwrap().is_contiguous());
    }

    #[test]
    fn reshape_views_where_pytorch_does() {
        let l = Layout::contiguous([4, 6]);
        let t = l.transpose(0, 1).unwrap(); // [6, 4], strides [1, 6]
        assert!(t.reshape([24]).unwrap().is_none());
        assert!(t.reshape([3, 2, 4]).unwrap().is_some_and(|r| r.strides() == [2, 1, 6]));
        let n = l.narrow(1, 0, 3).unwrap(); // [4, 3], strides [6, 1]
        let r = n.reshape([2, 2, 3]).unwrap().unwrap();
        assert_eq!(addresses(&r), addresses(&n));
        assert!(n.reshape([12]).unwrap().is_none());
        assert!(matches!(l.reshape([5, 5]), Err(Error::ReshapeMismatch { .. })));
    }

    #[test]
    fn errors_name_the_op() {
        let l = Layout::contiguous([2, 3]);
        assert!(matches!(l.permute(&[0, 0]), Err(Error::InvalidArgument { op: "permute", .. })));
        assert!(matches!(l.narrow(1, 2, 2), Err(Error::InvalidArgument { op: "narrow", .. })));
        assert!(matches!(l.narrow(1, usize::MAX, 2), Err(Error::InvalidArgument { op: "narrow", .. })));
        assert!(matches!(l.squeeze(0), Err(Error::InvalidArgument { op: "squeeze", .. })));
        assert!(matches!(l.unsqueeze(3), Err(Error::InvalidArgument { op: "unsqueeze", .. })));
        assert!(matches!(l.broadcast_to([4, 3]), Err(Error::Broadcast { .. })));
        assert!(l.broadcast_to([5, 2, 3]).is_ok());
        assert!(Layout::new([2, 3], vec![3, 1], 1, 6).is_err());
        assert!(Layout::new([2, 3], vec![3, 1], 0, 6).is_ok());
    }
}
