//! Bounded proptest fuzzing of every public host constructor and conversion: shapes (zero, huge and overflowing
//! dims), byte buffers of wrong lengths, ndarray views with odd layouts (reversed, permuted, stepped, broadcast) and
//! casts of all dtype pairs. Each property: no panic, and exactly the typed result the inputs call for. Case counts
//! keep the whole file under a second; `PROPTEST_CASES` raises them for a longer hunt.

use ndarray::{ArrayD, Axis, IxDyn, ShapeBuilder, Slice};
use proptest::prelude::*;
use wgpu_tensor::{Array, CastPolicy, DType, Error, Shape, cast_bits, cast_is_lossy};

/// Small dims mostly, sometimes zero, sometimes ≥ 2^60: any non-empty shape with a huge dim is at least an EiB,
/// which no allocator grants, so no case can allocate (or touch) a large amount of memory.
fn dim() -> impl Strategy<Value = usize> {
    prop_oneof![
        8 => 0usize..5,
        1 => Just(0usize),
        1 => (1usize << 60)..=usize::MAX,
        1 => Just(usize::MAX),
    ]
}

fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(dim(), 0..7)
}

fn small_shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..5, 0..5)
}

fn dtype() -> impl Strategy<Value = DType> {
    prop::sample::select(DType::ALL.to_vec())
}

/// `cases` per property, or `PROPTEST_CASES` when set (a longer hunt:
/// `PROPTEST_CASES=1000000 cargo test --release --test reliability_host fuzz::`).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// An element's bits as a `u64` (little-endian, zero-extended).
fn bits(bytes: &[u8], size: usize, i: usize) -> u64 {
    let mut b = [0u8; 8];
    b[..size].copy_from_slice(&bytes[i * size..(i + 1) * size]);
    u64::from_le_bytes(b)
}

/// Checks the host-side conversions of `a` that must work for every array: text, `to_vec` / `to_ndarray` (right
/// and wrong dtype), reshape to its own shape.
fn check_conversions(a: &Array) {
    // At most ~1000 elements, each as long as its type's `Display` makes it: an f64 such as 1e-300 is written out in
    // full (~330 bytes, as ndarray and `{}` do), so a random-bits f64 array may take a few hundred KiB, never more.
    let text = a.to_string();
    let element_bytes = if a.dtype().is_float() { 800 } else { 20 };
    let bound = 1032 * (element_bytes + 2 * a.ndim() + 2) + 64;
    assert!(text.len() < bound, "Display of {:?} wrote {} bytes", a.shape(), text.len());
    assert!(format!("{a:?}").len() < bound + 400);
    let nd = a.to_ndarray::<u8>();
    let bytes = a.to_vec::<u8>();
    if a.dtype() == DType::U8 {
        assert_eq!(bytes.as_deref().unwrap(), a.as_bytes());
        let representable = a.shape().iter().filter(|&&d| d != 0).try_fold(1usize, |p, &d| p.checked_mul(d));
        match (nd, representable) {
            (Ok(nd), Some(n)) if n <= isize::MAX as usize => assert_eq!(nd.shape(), a.shape()),
            (Err(Error::NdarrayShape { .. }), _) => {}
            (other, _) => panic!("to_ndarray of {:?}: {:?}", a.shape(), other.map(|n| n.len())),
        }
    } else {
        assert!(matches!(nd, Err(Error::DTypeMismatch { expected: DType::U8, .. })));
        assert!(matches!(bytes, Err(Error::DTypeMismatch { .. })));
    }
    assert_eq!(a.clone().reshape(a.shape()).unwrap(), *a);
}

proptest! {
    #![proptest_config(config(8192))]

    /// `Array::zeros` of any shape: an array, `ShapeOverflow` exactly when the size exceeds `isize::MAX`, or
    /// `HostOutOfMemory` for a legal size the allocator refuses.
    #[test]
    fn zeros_any_shape(dtype in dtype(), dims in shape()) {
        let size = Shape::from(&dims).checked_size(dtype);
        match Array::zeros(dtype, &dims) {
            Ok(a) => {
                prop_assert_eq!((a.len(), a.size_in_bytes()), size.unwrap());
                prop_assert!(a.as_bytes().iter().all(|&b| b == 0));
                check_conversions(&a);
            }
            Err(Error::ShapeOverflow { shape, dtype: d }) => {
                prop_assert!(size.is_err());
                prop_assert_eq!((shape, d), (dims, dtype));
            }
            Err(Error::HostOutOfMemory { bytes, .. }) => prop_assert_eq!(bytes, size.unwrap().1),
            Err(e) => panic!("zeros {dtype} {dims:?}: {e}"),
        }
    }

    /// `Shape`'s methods never panic and agree with each other.
    #[test]
    fn shape_methods(dims in shape()) {
        let s = Shape::from(&dims);
        let n = s.checked_len();
        prop_assert_eq!(s.len(), n.unwrap_or(usize::MAX));
        prop_assert_eq!(s.is_empty(), dims.contains(&0));
        if s.is_empty() {
            prop_assert_eq!(n, Some(0));
        }
        let strides = s.strides();
        match s.checked_strides() {
            Some(exact) => prop_assert_eq!(&exact, &strides),
            None => prop_assert!(strides.contains(&usize::MAX)),
        }
        if n.is_some_and(|n| n > 0) {
            prop_assert!(s.checked_strides().is_some(), "a non-empty shape that fits has exact strides");
        }
        prop_assert!(s.to_string().len() <= 32 * 21 + 40);
        for dtype in DType::ALL {
            if let Ok((len, bytes)) = s.checked_size(dtype) {
                prop_assert_eq!(Some(len), n);
                prop_assert!(bytes <= isize::MAX as usize);
            }
        }
    }

    /// `from_vec` / `from_slice` with any length against any shape.
    #[test]
    fn from_vec_any_length(len in 0usize..40, dims in shape()) {
        let data: Vec<u16> = (0..len as u16).collect();
        let result = Array::from_slice(&data, &dims);
        prop_assert_eq!(Array::from_vec(data.clone(), &dims).is_ok(), result.is_ok());
        match (result, Shape::from(&dims).checked_size(DType::U16)) {
            (Ok(a), Ok((n, _))) => {
                prop_assert_eq!(n, len);
                prop_assert_eq!(a.to_vec::<u16>().unwrap(), data);
            }
            (Err(Error::ShapeMismatch { expected, actual, shape }), Ok((n, _))) => {
                prop_assert_eq!((expected, actual, shape), (n, len, dims));
                prop_assert!(n != len);
            }
            (Err(Error::ShapeOverflow { .. }), Err(_)) => {}
            (other, size) => panic!("from_slice of {len} into {dims:?}: {:?} (size {size:?})", other.map(|a| a.len())),
        }
    }

    /// `from_bytes` with buffers of right and wrong lengths, and `Bool` bytes that are not 0 or 1.
    #[test]
    fn from_bytes_any_buffer(
        dtype in dtype(),
        dims in prop_oneof![4 => small_shape(), 1 => shape()],
        delta in prop_oneof![3 => Just(0isize), 1 => -9isize..9],
        seed in any::<u64>(),
    ) {
        let exact = Shape::from(&dims).checked_size(dtype).ok().map(|(_, b)| b);
        let len = match exact {
            Some(b) if b < 4096 => b.saturating_add_signed(delta),
            _ => (seed % 64) as usize,
        };
        let bytes: Vec<u8> = (0..len).map(|i| (seed.rotate_left(i as u32 % 64) as u8) % 3).collect();
        match Array::from_bytes(dtype, &dims, &bytes) {
            Ok(a) => {
                prop_assert_eq!(Some(len), exact);
                prop_assert_eq!(a.as_bytes(), &bytes[..]);
                prop_assert!(dtype != DType::Bool || bytes.iter().all(|&b| b <= 1));
                check_conversions(&a);
            }
            Err(Error::ByteLength { expected, actual, .. }) => {
                prop_assert_eq!((Some(expected), actual), (exact, len));
                prop_assert!(expected != actual);
            }
            Err(Error::InvalidOption(_)) => {
                prop_assert_eq!(Some(len), exact);
                prop_assert!(dtype == DType::Bool && bytes.iter().any(|&b| b > 1));
            }
            Err(Error::ShapeOverflow { .. }) => prop_assert!(exact.is_none()),
            Err(e) => panic!("from_bytes {dtype} {dims:?} with {len} bytes: {e}"),
        }
    }

    /// `reshape` to any shape: `ShapeMismatch` naming the true counts, or `ShapeOverflow`, never a false count.
    #[test]
    fn reshape_any_shape(dtype in dtype(), from in small_shape(), to in shape()) {
        let a = Array::zeros(dtype, &from).unwrap();
        let to_len = Shape::from(&to).checked_size(dtype).ok().map(|(n, _)| n);
        match a.clone().reshape(&to) {
            Ok(b) => {
                prop_assert_eq!(b.shape(), &to[..]);
                prop_assert_eq!(b.as_bytes(), a.as_bytes());
            }
            Err(Error::ShapeMismatch { expected, actual, .. }) => {
                prop_assert_eq!((Some(expected), actual), (to_len, a.len()));
                prop_assert!(expected != actual);
            }
            Err(Error::ShapeOverflow { dtype: d, .. }) => prop_assert!(to_len.is_none() && d == dtype),
            Err(e) => panic!("reshape {from:?} -> {to:?}: {e}"),
        }
    }
}

/// An owned ndarray (any memory order) converts by value and by reference to the same dense array.
fn check_owned(base: &ArrayD<i32>) -> Result<(), TestCaseError> {
    let by_ref = Array::try_from(base).unwrap();
    prop_assert_eq!(by_ref.to_vec::<i32>().unwrap(), base.iter().copied().collect::<Vec<_>>());
    prop_assert_eq!(Array::try_from(base.clone()).unwrap(), by_ref);
    Ok(())
}

proptest! {
    #![proptest_config(config(2048))]

    /// ndarray views with odd layouts: reversed axes, permuted axes, steps (positive and negative) and broadcast
    /// dims all pack densely in logical order, and `to_ndarray` gives the view back.
    #[test]
    fn ndarray_views_any_layout(
        dims in prop::collection::vec(1usize..5, 1..5),
        reverse in any::<u8>(),
        rotate in 0usize..4,
        steps in prop::collection::vec(prop::sample::select(vec![1isize, 2, -1, -2, 3]), 4),
        broadcast in 0usize..4,
    ) {
        let n: usize = dims.iter().product();
        let data = (0..n as i32).collect();
        // Half the cases start from a column-major (Fortran-order) owned array.
        let base = if rotate % 2 == 0 {
            ArrayD::from_shape_vec(IxDyn(&dims), data).unwrap()
        } else {
            ArrayD::from_shape_vec(IxDyn(&dims).f(), data).unwrap()
        };
        check_owned(&base)?;
        let mut view = base.view();
        let ndim = view.ndim();
        for k in 0..ndim {
            if reverse >> k & 1 == 1 {
                view.invert_axis(Axis(k));
            }
        }
        view.slice_each_axis_inplace(|ax| Slice::new(0, None, steps[ax.axis.index()]));
        let view = view.permuted_axes((0..ndim).map(|i| (i + rotate) % ndim).collect::<Vec<_>>());
        let check = |v: ndarray::ArrayViewD<'_, i32>| -> Result<(), TestCaseError> {
            let a = Array::try_from(&v).unwrap();
            prop_assert_eq!(a.shape(), v.shape());
            prop_assert_eq!(a.to_vec::<i32>().unwrap(), v.iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(a.to_ndarray::<i32>().unwrap(), v.to_owned());
            prop_assert_eq!(Array::try_from(v.to_owned()).unwrap(), a);
            Ok(())
        };
        check(view.clone())?;
        if broadcast > 0 {
            let mut target = vec![broadcast];
            target.extend_from_slice(view.shape());
            let b = view.broadcast(IxDyn(&target)).unwrap();
            check(b)?;
        }
    }

    /// Every cast pair under both policies: the host cast never fails on an array that exists, keeps the shape,
    /// and equals `cast_bits` element by element; `count_lossy` equals the count of `cast_is_lossy`.
    #[test]
    fn casts_all_pairs(from in dtype(), dims in small_shape(), seed in any::<u64>()) {
        let (len, byte_len) = Shape::from(&dims).checked_size(from).unwrap();
        let mut state = seed | 1;
        let bytes: Vec<u8> = (0..byte_len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if from == DType::Bool { (state & 1) as u8 } else { state as u8 }
            })
            .collect();
        let a = Array::from_bytes(from, &dims, &bytes).unwrap();
        let ss = from.size_in_bytes();
        for to in DType::ALL {
            let ts = to.size_in_bytes();
            let mask = u64::MAX >> (64 - 8 * ts);
            for policy in [CastPolicy::Wrap, CastPolicy::Saturate] {
                let c = a.cast_with(to, policy).unwrap();
                prop_assert_eq!((c.dtype(), c.shape()), (to, &dims[..]));
                for i in 0..len {
                    let want = cast_bits(from, to, policy, bits(&bytes, ss, i)) & mask;
                    prop_assert_eq!(bits(c.as_bytes(), ts, i), want, "{} -> {} {:?} element {}", from, to, policy, i);
                }
            }
            let lossy = (0..len).filter(|&i| cast_is_lossy(from, to, bits(&bytes, ss, i))).count() as u64;
            prop_assert_eq!(a.count_lossy(to), lossy);
        }
    }
}

proptest! {
    #![proptest_config(config(32768))]

    /// `cast_bits` / `cast_is_lossy` on any `u64`: bits above the source's width are ignored and the result is
    /// zero-extended, for every pair and policy.
    #[test]
    fn cast_bits_any_bits(from in dtype(), to in dtype(), saturate in any::<bool>(), bits in any::<u64>()) {
        let policy = if saturate { CastPolicy::Saturate } else { CastPolicy::Wrap };
        let low = bits & (u64::MAX >> (64 - from.size_in_bits()));
        let y = cast_bits(from, to, policy, bits);
        prop_assert_eq!(y, cast_bits(from, to, policy, low));
        prop_assert_eq!(y & !(u64::MAX >> (64 - to.size_in_bits())), 0);
        prop_assert_eq!(cast_is_lossy(from, to, bits), cast_is_lossy(from, to, low));
    }

    /// Typed views and the `From` conveniences: the right type sees the data, any other is `DTypeMismatch`.
    #[test]
    fn typed_access(values in prop::collection::vec(any::<u32>(), 0..64), other in dtype()) {
        let mut a = Array::from(values.clone());
        prop_assert_eq!(&a, &Array::from(&values[..]));
        prop_assert_eq!(a.as_slice::<u32>().unwrap(), &values[..]);
        a.as_slice_mut::<u32>().unwrap().iter_mut().for_each(|x| *x = x.wrapping_add(1));
        prop_assert_eq!(a.to_vec::<u32>().unwrap(), values.iter().map(|x| x.wrapping_add(1)).collect::<Vec<_>>());
        if other != DType::U32 {
            let b = Array::zeros(other, [values.len()]).unwrap();
            let slice_refused = matches!(b.as_slice::<u32>(), Err(Error::DTypeMismatch { .. }));
            let vec_refused = matches!(b.to_vec::<u32>(), Err(Error::DTypeMismatch { .. }));
            prop_assert!(slice_refused && vec_refused);
        }
        let s = Array::scalar(values.first().copied().unwrap_or(7));
        prop_assert_eq!((s.shape(), s.len(), s.to_string().is_empty()), (&[][..], 1, false));
    }
}

/// ndarray's text of `a` (via `to_ndarray` of its element type).
fn ndarray_text(a: &Array) -> String {
    // One arm per dtype: the match is exhaustive, so a new dtype fails to compile here.
    macro_rules! text {
        ($($d:ident => $t:ty),*) => {
            match a.dtype() {
                $(DType::$d => a.to_ndarray::<$t>().unwrap().to_string(),)*
            }
        };
    }
    text!(Bool => bool, U8 => u8, I8 => i8, U16 => u16, I16 => i16, U32 => u32, I32 => i32, U64 => u64, I64 => i64,
          F16 => half::f16, BF16 => half::bf16, F32 => f32, F64 => f64)
}

proptest! {
    #![proptest_config(config(512))]

    /// Up to three dims (up to 27 000 elements, so ndarray's per-dim elision applies), the text is ndarray's for
    /// every dtype and any bytes (NaN payloads, subnormals, ±0 included).
    #[test]
    fn display_matches_ndarray(dtype in dtype(), dims in prop::collection::vec(0usize..30, 0..4), seed in any::<u64>()) {
        let (_, byte_len) = Shape::from(&dims).checked_size(dtype).unwrap();
        let mut state = seed | 1;
        let bytes: Vec<u8> = (0..byte_len)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let b = (state >> 56) as u8;
                if dtype == DType::Bool { b & 1 } else { b }
            })
            .collect();
        let a = Array::from_bytes(dtype, &dims, &bytes).unwrap();
        prop_assert_eq!(a.to_string(), ndarray_text(&a));
    }
}
