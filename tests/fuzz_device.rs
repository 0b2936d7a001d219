//! Bounded proptest fuzzing of the device-side public API (issue 11, "beyond the list"): `DeviceOptions` values
//! (pool caps, staging chunk sizes, transfer paths, backends, adapter names), `Layout::new` with arbitrary strides
//! and offsets, chains of views with random — often invalid — arguments, and elementwise ops over random shapes,
//! dtypes and ops. Each property: never a panic, always `Ok` or the typed error the inputs call for, and every `Ok`
//! result checked (views bit for bit against ndarray doing the same). Case counts keep the file at a few seconds
//! on lavapipe; `PROPTEST_CASES` raises them for a longer hunt.

use std::sync::OnceLock;

use ndarray::{ArrayD, Axis, IxDyn, Slice, SliceInfoElem};
use proptest::prelude::*;
use wgpu_tensor::{
    Array, BinaryOp, DType, Device, DeviceOptions, DeviceTensor, Error, Layout, TransferPath, UnaryOp, broadcast_shapes,
};

fn device() -> &'static Device {
    static D: OnceLock<Device> = OnceLock::new();
    D.get_or_init(|| Device::new().unwrap_or_else(|e| panic!("no adapter: {e}")))
}

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

fn dtype() -> impl Strategy<Value = DType> {
    prop::sample::select(DType::ALL.to_vec())
}

fn edge_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(3),
        Just(4),
        Just(5),
        Just(255),
        Just(4096),
        Just(1 << 20),
        Just(1 << 40),
        Just(u64::MAX - 3),
        Just(u64::MAX),
        1u64..(1 << 24),
    ]
}

proptest! {
    #![proptest_config(config(12))]

    /// Any `DeviceOptions` opens a working device or fails with a typed error; a working one round-trips data
    /// across staging chunk boundaries and keeps its pool under its cap.
    #[test]
    fn device_options(
        pool_cap in edge_u64(),
        chunk in edge_u64(),
        path in prop::sample::select(vec![TransferPath::Auto, TransferPath::MappedStorage, TransferPath::Staging]),
        native in any::<bool>(),
        force_software in any::<bool>(),
        name in prop::sample::select(vec![None, Some("llvmpipe"), Some("no such adapter"), Some("")]),
        gl in prop::bool::weighted(0.2),
    ) {
        let options = DeviceOptions {
            backends: if gl { wgpu::Backends::GL } else { wgpu::Backends::VULKAN },
            adapter_name: name.map(String::from),
            force_software,
            native_extensions: native,
            transfer_path: path,
            pool_cap_bytes: pool_cap,
            staging_chunk_bytes: chunk,
        };
        match Device::with_options(options.clone()) {
            Ok(device) => {
                prop_assert!(device.transfer_path() != TransferPath::Auto);
                prop_assert!(chunk >= 1 && chunk <= device.limits().max_buffer_size, "{options:?}");
                for n in [0usize, 3, 5000, 70_001] {
                    let host = Array::from_vec((0..n).map(|i| (i * 7) as u16).collect(), [n]).unwrap();
                    let t = device.upload(&host).unwrap();
                    prop_assert!(t.download().unwrap().as_bytes() == host.as_bytes(), "{options:?} n={n}");
                    let back = pollster::block_on(t.narrow(0, n / 3, n / 2).unwrap().download_async()).unwrap();
                    prop_assert!(back.as_bytes() == &host.as_bytes()[2 * (n / 3)..2 * (n / 3 + n / 2)]);
                }
                device.synchronize().unwrap();
                prop_assert!(device.pool_stats().bytes_held <= pool_cap, "{:?}", device.pool_stats());
            }
            Err(Error::InvalidOption(m)) => {
                let bad_chunk = chunk == 0 || chunk >= 1 << 40;
                let bad_path = path == TransferPath::MappedStorage;
                prop_assert!(bad_chunk || bad_path, "{options:?}: {m}");
            }
            Err(Error::AdapterNotFound { .. } | Error::NoAdapter { .. }) => {
                prop_assert!(name.is_some_and(|n| n != "llvmpipe" && !n.is_empty()) || gl, "{options:?}");
            }
            Err(e) => prop_assert!(false, "{options:?}: {e:?}"),
        }
    }
}

fn stride() -> impl Strategy<Value = isize> {
    prop_oneof![4 => -6isize..7, 1 => Just(isize::MIN), 1 => Just(isize::MAX), 1 => any::<isize>()]
}

fn dim() -> impl Strategy<Value = usize> {
    prop_oneof![8 => 0usize..5, 1 => Just(usize::MAX), 1 => (1usize << 40)..(1 << 62)]
}

proptest! {
    #![proptest_config(config(3000))]

    /// `Layout::new` accepts exactly the layouts whose every element lies inside the storage.
    #[test]
    fn layout_new(
        shape in prop::collection::vec(dim(), 0..5),
        strides in prop::collection::vec(stride(), 0..5),
        offset in prop_oneof![0usize..20, Just(usize::MAX), any::<usize>()],
        storage_len in prop_oneof![0usize..40, Just(usize::MAX), any::<usize>()],
    ) {
        match Layout::new(shape.clone(), strides.clone(), offset, storage_len) {
            Ok(layout) => {
                prop_assert_eq!(layout.dims(), &shape[..]);
                if layout.len() <= 1000 && !layout.is_empty() {
                    // Every element, walked with an odometer, lies inside the storage.
                    let mut index = vec![0usize; shape.len()];
                    'all: loop {
                        let at = layout.element_offset(&index);
                        prop_assert!(at < storage_len, "{shape:?} {strides:?} +{offset}: element {index:?} at {at}");
                        for d in (0..index.len()).rev() {
                            index[d] += 1;
                            if index[d] < shape[d] {
                                continue 'all;
                            }
                            index[d] = 0;
                        }
                        break;
                    }
                }
            }
            Err(Error::InvalidArgument { op: "Layout::new", .. } | Error::ShapeOverflow { .. }) => {}
            Err(e) => prop_assert!(false, "{shape:?} {strides:?} {offset} {storage_len}: {e:?}"),
        }
    }
}

/// One view operation with raw (possibly invalid) arguments.
#[derive(Clone, Debug)]
enum ViewOp {
    Permute(Vec<usize>),
    Transpose(usize, usize),
    Narrow(usize, usize, usize),
    Slice(Vec<(isize, Option<isize>, isize, bool)>),
    Broadcast(Vec<usize>),
    Squeeze(usize),
    Unsqueeze(usize),
    Reshape(Vec<usize>),
}

fn view_op() -> impl Strategy<Value = ViewOp> {
    let small = 0usize..6;
    prop_oneof![
        prop::collection::vec(0usize..5, 0..5).prop_map(ViewOp::Permute),
        (0usize..5, 0usize..5).prop_map(|(a, b)| ViewOp::Transpose(a, b)),
        (0usize..5, 0usize..7, prop_oneof![0usize..7, Just(usize::MAX)]).prop_map(|(d, s, l)| ViewOp::Narrow(d, s, l)),
        prop::collection::vec((-7isize..7, prop::option::of(-7isize..7), -3isize..4, prop::bool::weighted(0.2)), 0..5)
            .prop_map(ViewOp::Slice),
        prop::collection::vec(prop_oneof![0usize..5, Just(usize::MAX)], 0..6).prop_map(ViewOp::Broadcast),
        small.clone().prop_map(ViewOp::Squeeze),
        small.prop_map(ViewOp::Unsqueeze),
        prop::collection::vec(prop_oneof![0usize..13, Just(usize::MAX)], 0..5).prop_map(ViewOp::Reshape),
    ]
}

/// Applies `op` to the device view and, when that succeeds, to the ndarray model (which panics on what it
/// considers invalid: a panic here means we accepted an argument ndarray rejects).
fn apply(t: &DeviceTensor, nd: &ArrayD<i16>, op: &ViewOp) -> Result<(DeviceTensor, ArrayD<i16>), Error> {
    Ok(match op {
        ViewOp::Permute(axes) => (t.permute(axes)?, nd.clone().permuted_axes(IxDyn(axes))),
        ViewOp::Transpose(a, b) => {
            let v = t.transpose(*a, *b)?;
            let mut m = nd.clone();
            m.swap_axes(*a, *b);
            (v, m)
        }
        ViewOp::Narrow(d, s, l) => {
            (t.narrow(*d, *s, *l)?, nd.slice_axis(Axis(*d), Slice::from(*s..*s + *l)).to_owned())
        }
        ViewOp::Slice(elems) => {
            let info: Vec<SliceInfoElem> = elems
                .iter()
                .map(
                    |&(start, end, step, index)| {
                        if index { SliceInfoElem::Index(start) } else { SliceInfoElem::Slice { start, end, step } }
                    },
                )
                .collect();
            let v = t.slice(&info)?;
            let mut m = nd.clone();
            let mut d = 0;
            for e in &info {
                match *e {
                    SliceInfoElem::Slice { start, end, step } => {
                        m = m.slice_axis(Axis(d), Slice::new(start, end, step)).to_owned();
                        d += 1;
                    }
                    SliceInfoElem::Index(i) => {
                        let len = m.shape()[d] as isize;
                        m = m.index_axis_move(Axis(d), if i < 0 { (len + i) as usize } else { i as usize });
                    }
                    SliceInfoElem::NewAxis => {
                        m = m.insert_axis(Axis(d));
                        d += 1;
                    }
                }
            }
            (v, m)
        }
        ViewOp::Broadcast(shape) => {
            let v = t.broadcast_to(shape.clone())?;
            (v.clone(), nd.broadcast(IxDyn(shape)).map(|b| b.to_owned()).ok_or_else(|| beyond_ndarray(&v))?)
        }
        ViewOp::Squeeze(d) => (t.squeeze(*d)?, nd.clone().index_axis_move(Axis(*d), 0)),
        ViewOp::Unsqueeze(d) => (t.unsqueeze(*d)?, nd.clone().insert_axis(Axis(*d))),
        ViewOp::Reshape(shape) => {
            let v = t.reshape(shape.clone())?;
            let m =
                ArrayD::from_shape_vec(IxDyn(shape), nd.iter().copied().collect()).map_err(|_| beyond_ndarray(&v))?;
            (v, m)
        }
    })
}

/// A view ndarray cannot hold (an empty shape with a dim past isize::MAX): legal only when empty; the chain goes
/// on from the previous view.
fn beyond_ndarray(v: &DeviceTensor) -> Error {
    assert!(v.is_empty(), "a non-empty view of shape {:?} that ndarray refuses", v.shape());
    Error::InvalidArgument { op: "model", reason: "beyond ndarray".into() }
}

proptest! {
    #![proptest_config(config(64))]

    /// Chains of views with random arguments: each step is `Ok` (and then equals ndarray's view, bit for bit,
    /// once downloaded) or a typed error.
    #[test]
    fn view_chains(dims in prop::collection::vec(0usize..5, 0..4), ops in prop::collection::vec(view_op(), 1..7)) {
        let n: usize = dims.iter().product();
        let mut nd = ArrayD::from_shape_vec(IxDyn(&dims), (0..n as i16).collect()).unwrap();
        let mut t = device().upload(&Array::try_from(&nd).unwrap()).unwrap();
        for op in &ops {
            match apply(&t, &nd, op) {
                Ok((v, m)) => {
                    prop_assert_eq!(v.shape(), m.shape(), "{:?}", op);
                    t = v;
                    nd = m;
                }
                Err(Error::InvalidArgument { .. } | Error::Broadcast { .. } | Error::ReshapeMismatch { .. }) => {}
                Err(Error::ShapeOverflow { .. }) => {}
                Err(e) => prop_assert!(false, "{op:?} on {:?}: {e:?}", t.shape()),
            }
        }
        let expected = Array::try_from(&nd).unwrap();
        prop_assert!(t.download().unwrap().as_bytes() == expected.as_bytes(), "{ops:?}");
        prop_assert!(t.contiguous().unwrap().download().unwrap().as_bytes() == expected.as_bytes(), "{ops:?}");
    }
}

const BINARY: [BinaryOp; 19] = [
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Rem,
    BinaryOp::Minimum,
    BinaryOp::Maximum,
    BinaryOp::Pow,
    BinaryOp::BitAnd,
    BinaryOp::BitOr,
    BinaryOp::BitXor,
    BinaryOp::Shl,
    BinaryOp::Shr,
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Gt,
    BinaryOp::Ge,
];

const UNARY: [UnaryOp; 21] = [
    UnaryOp::Neg,
    UnaryOp::Abs,
    UnaryOp::Sign,
    UnaryOp::Not,
    UnaryOp::Sqrt,
    UnaryOp::Recip,
    UnaryOp::Square,
    UnaryOp::Exp,
    UnaryOp::Log,
    UnaryOp::Sin,
    UnaryOp::Cos,
    UnaryOp::Tanh,
    UnaryOp::Sigmoid,
    UnaryOp::Relu,
    UnaryOp::Gelu,
    UnaryOp::Floor,
    UnaryOp::Ceil,
    UnaryOp::Round,
    UnaryOp::Trunc,
    UnaryOp::IsNan,
    UnaryOp::IsInf,
];

fn zeros_of(dtype: DType, shape: &[usize]) -> DeviceTensor {
    device().zeros(dtype, shape).unwrap()
}

proptest! {
    #![proptest_config(config(48))]

    /// Random ops, dtypes and shapes (broadcastable or not): `Ok` with the broadcast shape and the op's result
    /// dtype, or `OpDTypeMismatch` / `UnsupportedDType` / `Broadcast`, exactly when the inputs call for it.
    #[test]
    fn elementwise_combinations(
        binary in prop::sample::select(BINARY.to_vec()),
        unary in prop::sample::select(UNARY.to_vec()),
        (a, b) in (dtype(), dtype()),
        (sa, sb) in (prop::collection::vec(0usize..4, 0..4), prop::collection::vec(0usize..4, 0..4)),
        which in 0usize..3,
    ) {
        let (ta, tb) = (zeros_of(a, &sa), zeros_of(b, &sb));
        match which {
            0 => {
                let r = ta.binary(binary, &tb);
                let shape = broadcast_shapes(binary.name(), &sa, &sb);
                match (r, binary.result_dtype(a)) {
                    (Ok(t), Ok(dt)) => {
                        prop_assert_eq!(a, b);
                        prop_assert_eq!(t.shape(), &shape.unwrap()[..]);
                        prop_assert_eq!(t.dtype(), dt);
                        t.download().unwrap();
                    }
                    (Err(Error::OpDTypeMismatch { .. }), _) => prop_assert_ne!(a, b),
                    (Err(Error::UnsupportedDType { .. }), Err(_)) => prop_assert_eq!(a, b),
                    (Err(Error::Broadcast { .. }), Ok(_)) => prop_assert!(shape.is_err() && a == b),
                    (r, d) => prop_assert!(false, "{binary:?} {a} {sa:?} / {b} {sb:?}: {r:?} (dtype rule {d:?})"),
                }
            }
            1 => match (ta.unary(unary), unary.result_dtype(a)) {
                (Ok(t), Ok(dt)) => {
                    prop_assert_eq!((t.shape(), t.dtype()), (&sa[..], dt));
                    t.download().unwrap();
                }
                (Err(Error::UnsupportedDType { .. }), Err(_)) => {}
                (r, d) => prop_assert!(false, "{unary:?} {a}: {r:?} (dtype rule {d:?})"),
            },
            _ => {
                let cond = zeros_of(DType::Bool, &sa);
                let tc = zeros_of(a, &sb);
                let shape = broadcast_shapes("where_cond", &sa, &sb);
                match cond.where_cond(&tc, &ta) {
                    Ok(t) => prop_assert_eq!(t.shape(), &broadcast_shapes("x", &shape.unwrap(), &sa).unwrap()[..]),
                    Err(Error::Broadcast { .. }) => {}
                    Err(e) => prop_assert!(false, "where_cond {a} {sa:?} {sb:?}: {e:?}"),
                }
                match ta.where_cond(&tc, &tc) {
                    Ok(_) => prop_assert_eq!(a, DType::Bool),
                    Err(Error::UnsupportedDType { .. }) => prop_assert_ne!(a, DType::Bool),
                    Err(Error::Broadcast { .. }) => {}
                    Err(e) => prop_assert!(false, "where_cond on {a}: {e:?}"),
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// `upload_ndarray` of ndarray views with odd layouts (permuted, stepped, reversed, broadcast, empty) uploads
    /// exactly the elements in logical order, on every transfer path's device.
    #[test]
    fn upload_ndarray_of_odd_views(
        dims in prop::collection::vec(0usize..6, 1..4),
        steps in prop::collection::vec(prop_oneof![-3isize..0, 1isize..4], 3),
        reverse_axes in any::<bool>(),
        broadcast in prop_oneof![Just(0usize), 1usize..4, Just(1 << 12)],
    ) {
        let n: usize = dims.iter().product();
        let base = ArrayD::from_shape_vec(IxDyn(&dims), (0..n as u32).map(|i| i.wrapping_mul(0x9e37_79b9)).collect()).unwrap();
        let mut view = base.view();
        for (d, &step) in steps.iter().enumerate().take(dims.len()) {
            view.slice_axis_inplace(Axis(d), Slice::new(0, None, step));
        }
        if reverse_axes {
            view = view.reversed_axes();
        }
        let mut big = view.shape().to_vec();
        big.insert(0, broadcast);
        let wide = view.broadcast(IxDyn(&big)).unwrap();
        for v in [view.clone(), wide] {
            let expected = Array::try_from(&v).unwrap();
            let t = device().upload_ndarray(&v).unwrap();
            prop_assert_eq!(t.shape(), v.shape());
            prop_assert!(t.download().unwrap().as_bytes() == expected.as_bytes(), "{:?} {:?}", v.shape(), v.strides());
        }
    }
}

/// Found by the soak: `index_select` whose result is empty (another dim is 0) accepted out-of-range indices; numpy
/// and PyTorch refuse them whatever the other dims.
#[test]
fn index_select_checks_indices_of_an_empty_result() {
    let t = device().zeros(DType::I64, [0, 4]).unwrap();
    let ids = device().upload(&Array::from(vec![0u8, 2, 4, 5])).unwrap();
    match t.index_select(1, &ids) {
        Err(Error::IndexOutOfRange { dim: 1, len: 4, count: 2, .. }) => {}
        other => panic!("expected IndexOutOfRange with 2 bad indices, got {other:?}"),
    }
    let ok = device().upload(&Array::from(vec![3i32, 0])).unwrap();
    assert_eq!(t.index_select(1, &ok).unwrap().shape(), [0, 2]);
}

/// Found by `layout_new`: an offset past `isize::MAX` passed the bounds check (the span was clamped to isize::MAX
/// before the comparison), and `broadcast_to` made views whose byte size wraps `usize`.
#[test]
fn layouts_and_views_past_isize_are_refused() {
    let e = Layout::new([1, 1], vec![0, 0], usize::MAX, usize::MAX).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { op: "Layout::new", .. }), "{e}");
    assert!(Layout::new([1], vec![0], isize::MAX as usize + 1, usize::MAX).is_err());
    assert!(Layout::new([2], vec![1], (isize::MAX - 1) as usize, usize::MAX).is_ok());
    let t = device().zeros(DType::U16, []).unwrap();
    assert!(matches!(t.broadcast_to([usize::MAX]), Err(Error::ShapeOverflow { .. })));
    assert!(matches!(t.broadcast_to([1 << 62]), Err(Error::ShapeOverflow { .. })));
    assert_eq!(t.broadcast_to([0, usize::MAX]).unwrap().len(), 0);
    assert_eq!(t.broadcast_to([1 << 20, 1 << 20]).unwrap().size_in_bytes(), 2 << 40);
}
