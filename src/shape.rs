//! Shapes: the dims of a row-major tensor, and [`IntoShape`] so constructors take `Vec<usize>`, `&[usize]` or
//! `[usize; N]` alike.

use crate::{DType, Error, Result};

/// The dims of a contiguous row-major tensor. `[]` is a 0-d scalar (one element); any zero dim makes it empty.
///
/// ```
/// use wgpu_tensor::Shape;
/// let s = Shape::from([2, 3, 4]);
/// assert_eq!(s.len(), 24);
/// assert_eq!(s.strides(), vec![12, 4, 1]);
/// assert_eq!(Shape::from([]).len(), 1);
/// assert_eq!(Shape::from([1, 0, 5]).len(), 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Shape(Vec<usize>);

impl Shape {
    /// The dims.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// The number of dims (0 for a scalar).
    pub fn ndim(&self) -> usize {
        self.0.len()
    }

    /// The element count, saturating at `usize::MAX` on overflow (use [`Shape::checked_len`] to detect it).
    pub fn len(&self) -> usize {
        self.checked_len().unwrap_or(usize::MAX)
    }

    /// `true` when some dim is zero.
    pub fn is_empty(&self) -> bool {
        self.0.contains(&0)
    }

    /// The element count, or `None` if the product of the dims overflows `usize`.
    pub fn checked_len(&self) -> Option<usize> {
        if self.is_empty() {
            return Some(0);
        }
        self.0.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }

    /// The element count and the size in bytes for `dtype`.
    ///
    /// # Errors
    /// [`Error::ShapeOverflow`] if the element count or the size in bytes exceeds `isize::MAX` (no allocation, on
    /// the host or in ndarray, can be larger). An empty shape is never too large, whatever its other dims.
    pub fn checked_size(&self, dtype: DType) -> Result<(usize, usize)> {
        self.checked_len()
            .and_then(|n| Some((n, n.checked_mul(dtype.size_in_bytes())?)))
            .filter(|&(_, bytes)| bytes <= isize::MAX as usize)
            .ok_or_else(|| Error::ShapeOverflow { shape: self.0.clone(), dtype })
    }

    /// Checks that data of `actual` elements of `dtype` fits this shape, returning the element count.
    ///
    /// # Errors
    /// [`Error::ShapeOverflow`] if the shape itself is too large (see [`Shape::checked_size`]);
    /// [`Error::ShapeMismatch`] if its element count is not `actual`.
    pub(crate) fn check_len(&self, dtype: DType, actual: usize) -> Result<usize> {
        let (expected, _) = self.checked_size(dtype)?;
        if expected == actual {
            Ok(expected)
        } else {
            Err(Error::ShapeMismatch { shape: self.0.clone(), expected, actual })
        }
    }

    /// Row-major strides in elements (the last dim has stride 1).
    ///
    /// Exact for every shape whose element count fits `usize`; where a product overflows (a shape that no data can
    /// have, or an empty one such as `[0, usize::MAX, 2]`) the stride saturates at `usize::MAX`. See
    /// [`Shape::checked_strides`].
    pub fn strides(&self) -> Vec<usize> {
        let mut strides = vec![1usize; self.0.len()];
        for i in (0..self.0.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1].saturating_mul(self.0[i + 1]);
        }
        strides
    }

    /// Row-major strides in elements, or `None` if one of them overflows `usize`.
    ///
    /// ```
    /// use wgpu_tensor::Shape;
    /// assert_eq!(Shape::from([2, 3]).checked_strides(), Some(vec![3, 1]));
    /// assert_eq!(Shape::from([2, usize::MAX, 2]).checked_strides(), None);
    /// ```
    pub fn checked_strides(&self) -> Option<Vec<usize>> {
        let mut strides = vec![1usize; self.0.len()];
        for i in (0..self.0.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1].checked_mul(self.0[i + 1])?;
        }
        Some(strides)
    }

    /// Consumes the shape, returning its dims.
    pub fn into_dims(self) -> Vec<usize> {
        self.0
    }
}

/// The most dims that [`Shape`]'s `Display` writes out; longer shapes show their first and last dims.
const DISPLAY_DIMS: usize = 32;

impl std::fmt::Display for Shape {
    /// The dims as a list (`[2, 3]`); a shape of more than 32 dims shows its first and last 16 and the count
    /// between, so the text stays short whatever the shape.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dims = &self.0;
        if dims.len() <= DISPLAY_DIMS {
            return write!(f, "{dims:?}");
        }
        let edge = DISPLAY_DIMS / 2;
        let (head, tail) = (&dims[..edge], &dims[dims.len() - edge..]);
        let head = format!("{head:?}");
        let tail = format!("{tail:?}");
        write!(f, "{}, ... {} more dims ..., {}", &head[..head.len() - 1], dims.len() - 2 * edge, &tail[1..])
    }
}

/// Anything that names a shape: `Vec<usize>`, `&[usize]`, `[usize; N]`, `&[usize; N]`, `&Vec<usize>`, `Shape`.
pub trait IntoShape {
    /// Converts into a [`Shape`].
    fn into_shape(self) -> Shape;
}

impl IntoShape for Shape {
    fn into_shape(self) -> Shape {
        self
    }
}
impl IntoShape for &Shape {
    fn into_shape(self) -> Shape {
        self.clone()
    }
}
impl IntoShape for Vec<usize> {
    fn into_shape(self) -> Shape {
        Shape(self)
    }
}
impl IntoShape for &Vec<usize> {
    fn into_shape(self) -> Shape {
        Shape(self.clone())
    }
}
impl IntoShape for &[usize] {
    fn into_shape(self) -> Shape {
        Shape(self.to_vec())
    }
}
impl<const N: usize> IntoShape for [usize; N] {
    fn into_shape(self) -> Shape {
        Shape(self.to_vec())
    }
}
impl<const N: usize> IntoShape for &[usize; N] {
    fn into_shape(self) -> Shape {
        Shape(self.to_vec())
    }
}

impl<S: IntoShape> From<S> for Shape
where
    S: NotShape,
{
    fn from(s: S) -> Shape {
        s.into_shape()
    }
}

/// Helper so `From<S> for Shape` does not collide with the reflexive `From<Shape> for Shape`.
#[doc(hidden)]
pub trait NotShape {}
impl NotShape for Vec<usize> {}
impl NotShape for &Vec<usize> {}
impl NotShape for &[usize] {}
impl<const N: usize> NotShape for [usize; N] {}
impl<const N: usize> NotShape for &[usize; N] {}

/// The shape two shapes broadcast to with numpy's rules: dims align at the end, and each pair is equal or one of
/// them is 1 (a missing dim counts as 1).
///
/// ```
/// assert_eq!(wgpu_tensor::broadcast_shapes("add", &[4, 1, 3], &[5, 1])?, [4, 5, 3]);
/// assert!(wgpu_tensor::broadcast_shapes("add", &[2, 3], &[4, 3]).is_err());
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
///
/// # Errors
/// [`Error::Broadcast`] naming `op` and both shapes when they are incompatible.
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| if i + s.len() >= n { s[i + s.len() - n] } else { 1 };
    (0..n)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y || y == 1 => Ok(x),
            (1, y) => Ok(y),
            _ => Err(Error::Broadcast { op, lhs: a.to_vec(), rhs: b.to_vec() }),
        })
        .collect()
}
