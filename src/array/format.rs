//! Text of an [`Array`]'s values: ndarray's layout (`[[1, 2],\n [3, 4]]`, long dims elided with `...`), written
//! straight from the bytes with a bounded output whatever the shape.
//!
//! ndarray's own formatter is not used: it needs an `ndarray` (which cannot hold every legal shape, e.g.
//! `[0, usize::MAX]`), recurses once per dim, and writes `ndim − 2` blank lines per separator, so 100 000 dims or
//! `[2; 40]` would take gigabytes. Here every dim shows at most a few items, the whole text at most
//! [`MAX_SHOWN`] elements (then `...`), and an array of more than [`MAX_NESTED`] dims is shown flattened. Each
//! element is its type's `Display`, as in ndarray (an f64 such as `1e-300` is written out in full, ~330 bytes), so
//! the whole text stays under ~350 KB whatever the array.

use std::fmt;

use crate::{Array, DType, Element};

/// Below this element count nothing is elided (ndarray's threshold).
const MANY: usize = 500;
/// Items shown along the last two dims before eliding (first and last 5, as ndarray).
const LIMIT_INNER: usize = 11;
/// Items shown along the outer dims before eliding (first and last 3, as ndarray).
const LIMIT_OUTER: usize = 6;
/// The most elements one text shows; the rest become `...`.
pub(super) const MAX_SHOWN: usize = 1000;
/// Arrays with more dims than this are shown flattened (nesting 100 000 brackets helps nobody).
pub(super) const MAX_NESTED: usize = 32;

/// Writes the values of `array` (the text of its `Display`).
pub(super) fn values(array: &Array, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let dims = array.shape();
    if dims.len() > MAX_NESTED {
        return flat(array, f);
    }
    if array.is_empty() {
        // As ndarray: `[[]]` for any empty 2-d array, whatever its dims.
        for _ in 0..dims.len() {
            f.write_str("[")?;
        }
        for _ in 0..dims.len() {
            f.write_str("]")?;
        }
        return Ok(());
    }
    // A non-empty array's element count fits `usize`, so its strides do too.
    let strides = array.shape.checked_strides().ok_or(fmt::Error)?;
    let mut printer = Printer { array, strides, limits: array.len() >= MANY, shown: 0 };
    printer.nested(f, 0, 0)
}

/// `{len} elements in {ndim} dims, flattened: [a, b, c, d, e, ..., v, w, x, y, z]`.
fn flat(array: &Array, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let plural = if array.len() == 1 { "" } else { "s" };
    write!(f, "{} element{plural} in {} dims, flattened: [", array.len(), array.ndim())?;
    for (k, i) in items(array.len(), LIMIT_INNER).enumerate() {
        if k > 0 {
            f.write_str(", ")?;
        }
        match i {
            Some(i) => element(array, i, f)?,
            None => f.write_str("...")?,
        }
    }
    f.write_str("]")
}

/// The indices to show along a dim of `len` items: all of them up to `limit`, else the first and last `limit / 2`
/// with `None` (the ellipsis) between.
fn items(len: usize, limit: usize) -> impl Iterator<Item = Option<usize>> {
    let (head, tail) = if len <= limit { (len, len) } else { (limit / 2, len - limit / 2) };
    (0..head).map(Some).chain((tail > head).then_some(None)).chain((tail..len).map(Some))
}

struct Printer<'a> {
    array: &'a Array,
    strides: Vec<usize>,
    limits: bool,
    shown: usize,
}

impl Printer<'_> {
    /// Writes the sub-array at `depth` whose first element is `offset`.
    fn nested(&mut self, f: &mut fmt::Formatter<'_>, depth: usize, offset: usize) -> fmt::Result {
        let dims = self.array.shape();
        if depth == dims.len() {
            self.shown += 1;
            return element(self.array, offset, f);
        }
        let rindex = dims.len() - depth - 1; // 0 for the last dim
        let limit = match (self.limits, rindex) {
            (false, _) => usize::MAX,
            (true, 0 | 1) => LIMIT_INNER,
            (true, _) => LIMIT_OUTER,
        };
        f.write_str("[")?;
        let mut last_was_ellipsis = false;
        for (k, i) in items(dims[depth], limit).enumerate() {
            let over_budget = self.shown >= MAX_SHOWN;
            if k > 0 {
                if over_budget && last_was_ellipsis {
                    break;
                }
                separator(f, depth, rindex)?;
            }
            match i {
                Some(_) if over_budget && k > 0 => {
                    f.write_str("...")?;
                    break;
                }
                Some(i) => {
                    self.nested(f, depth + 1, offset + i * self.strides[depth])?;
                    last_was_ellipsis = false;
                }
                None => {
                    f.write_str("...")?;
                    last_was_ellipsis = true;
                }
            }
        }
        f.write_str("]")
    }
}

/// ndarray's separator between the items of dim `depth`: `, ` along the last dim, else a comma, one line break per
/// remaining dim and an indent of `depth + 1`.
fn separator(f: &mut fmt::Formatter<'_>, depth: usize, rindex: usize) -> fmt::Result {
    if rindex == 0 {
        return f.write_str(", ");
    }
    f.write_str(",")?;
    for _ in 0..rindex {
        f.write_str("\n")?;
    }
    write!(f, "{:1$}", "", depth + 1)
}

/// Writes element `i` with its type's `Display` (so `{:.2}` and the like apply to each element).
fn element(array: &Array, i: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let size = array.dtype().size_in_bytes();
    let bytes = &array.as_bytes()[i * size..(i + 1) * size];
    fn show<T: Element + fmt::Display>(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&T::read_le_bytes(bytes), f)
    }
    match array.dtype() {
        DType::Bool => show::<bool>(bytes, f),
        DType::U8 => show::<u8>(bytes, f),
        DType::I8 => show::<i8>(bytes, f),
        DType::U16 => show::<u16>(bytes, f),
        DType::I16 => show::<i16>(bytes, f),
        DType::U32 => show::<u32>(bytes, f),
        DType::I32 => show::<i32>(bytes, f),
        DType::U64 => show::<u64>(bytes, f),
        DType::I64 => show::<i64>(bytes, f),
        DType::F16 => show::<half::f16>(bytes, f),
        DType::BF16 => show::<half::bf16>(bytes, f),
        DType::F32 => show::<f32>(bytes, f),
        DType::F64 => show::<f64>(bytes, f),
    }
}

#[cfg(test)]
mod tests {
    use crate::{Array, DType};

    /// ndarray's text for `a` (the reference for shapes ndarray can print cheaply).
    fn ndarray_text(a: &Array) -> String {
        a.to_ndarray::<i32>().unwrap().to_string()
    }

    #[test]
    fn matches_ndarray_on_ordinary_shapes() {
        for shape in [
            vec![],
            vec![1],
            vec![7],
            vec![3, 4],
            vec![2, 3, 4],
            vec![2, 1, 3, 2],
            vec![600],
            vec![30, 30],
            vec![4, 20, 20],
            vec![9, 5, 4, 3],
            vec![0],
            vec![2, 0, 3],
        ] {
            let n: usize = shape.iter().product();
            let a = Array::from_vec((0..n as i32).collect(), shape.clone()).unwrap();
            assert_eq!(a.to_string(), ndarray_text(&a), "{shape:?}");
        }
    }

    #[test]
    fn element_format_options_apply() {
        let a = Array::from(vec![1.0f32, 2.5]);
        assert_eq!(format!("{a:.2}"), "[1.00, 2.50]");
        let b = Array::from_vec(vec![true, false], [2, 1]).unwrap();
        assert_eq!(b.to_string(), "[[true],\n [false]]");
    }

    #[test]
    fn the_text_is_bounded() {
        // [2; 20]: a million elements, none elided per dim by ndarray's rules (2 ≤ 6).
        let a = Array::zeros(DType::U8, vec![2; 20]).unwrap();
        let text = a.to_string();
        let shown = text.matches('0').count();
        assert!(shown <= super::MAX_SHOWN + 20, "{shown} elements shown");
        assert!(text.len() < 200_000, "{} bytes", text.len());
        assert!(text.starts_with(&format!("{}0, 0]", "[".repeat(20))), "{}", &text[..40]);
        assert!(text.ends_with("\n ...]"), "{}", &text[text.len() - 40..]);
    }

    #[test]
    fn deep_and_empty_shapes() {
        let deep = Array::zeros(DType::I8, vec![1; 100_000]).unwrap();
        assert_eq!(deep.to_string(), "1 element in 100000 dims, flattened: [0]");
        let debug = format!("{deep:?}");
        assert!(debug.len() < 400 && debug.contains("99968 more dims"), "{debug}");
        let mut shape = vec![1; 39];
        shape.push(12);
        let wide = Array::zeros(DType::U16, shape).unwrap();
        assert_eq!(wide.to_string(), "12 elements in 40 dims, flattened: [0, 0, 0, 0, 0, ..., 0, 0, 0, 0, 0]");
        let empty = Array::zeros(DType::F64, [0, usize::MAX]).unwrap();
        assert_eq!(empty.to_string(), "[[]]");
        assert_eq!(format!("{empty:?}"), format!("Array {{ dtype: f64, shape: [0, {}], data: [[]] }}", usize::MAX));
    }
}
