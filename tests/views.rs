//! Views (permute, transpose, slice, narrow, squeeze, unsqueeze, broadcast_to, reshape) and the copies built on the
//! strided-copy kernel (contiguous, cat, stack, index_select, full), on every dtype, against ndarray doing the same
//! thing on the host, bit for bit. On the default device, the portable path and GL.

use std::sync::OnceLock;

use ndarray::{ArrayD, IxDyn, SliceInfoElem};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wgpu_tensor::{Array, DType, Device, DeviceOptions, DeviceTensor, Error};

fn devices() -> Vec<(&'static str, &'static Device)> {
    static DEFAULT: OnceLock<Device> = OnceLock::new();
    static PORTABLE: OnceLock<Device> = OnceLock::new();
    static GL: OnceLock<Device> = OnceLock::new();
    let open = |o: DeviceOptions| Device::with_options(o).unwrap_or_else(|e| panic!("no adapter: {e}"));
    vec![
        ("default", DEFAULT.get_or_init(|| open(DeviceOptions::default()))),
        ("portable", PORTABLE.get_or_init(|| open(DeviceOptions { native_extensions: false, ..Default::default() }))),
        ("gl", GL.get_or_init(|| open(DeviceOptions { backends: wgpu::Backends::GL, ..Default::default() }))),
    ]
}

/// A host array of random bytes (bools 0/1) and the ndarray of its element indices.
fn random(dtype: DType, dims: &[usize], rng: &mut StdRng) -> (Array, ArrayD<usize>) {
    let n: usize = dims.iter().product();
    let mut bytes: Vec<u8> = (0..n * dtype.size_in_bytes()).map(|_| rng.random()).collect();
    if dtype == DType::Bool {
        bytes.iter_mut().for_each(|b| *b &= 1);
    }
    let array = Array::from_bytes(dtype, dims, &bytes).unwrap();
    (array, ArrayD::from_shape_vec(IxDyn(dims), (0..n).collect()).unwrap())
}

/// The bytes of `source`'s elements listed by `indices` (row-major).
fn gather(source: &Array, indices: impl Iterator<Item = usize>) -> Vec<u8> {
    let size = source.dtype().size_in_bytes();
    indices.flat_map(|i| source.as_bytes()[i * size..(i + 1) * size].to_vec()).collect()
}

fn check(name: &str, what: &str, t: &DeviceTensor, source: &Array, want: &ArrayD<usize>) {
    assert_eq!(t.shape(), want.shape(), "[{name}] {what}: shape");
    let got = t.download().unwrap_or_else(|e| panic!("[{name}] {what}: download: {e}"));
    assert!(got.as_bytes() == gather(source, want.iter().copied()), "[{name}] {what}: {} bytes differ", t.dtype());
}

/// One random view op applied to both the tensor and the ndarray of indices.
fn random_view(rng: &mut StdRng, t: &DeviceTensor, a: &ArrayD<usize>) -> (String, DeviceTensor, ArrayD<usize>) {
    let nd = t.ndim();
    loop {
        match rng.random_range(0..7) {
            0 if nd > 0 => {
                let mut axes: Vec<usize> = (0..nd).collect();
                for i in (1..nd).rev() {
                    axes.swap(i, rng.random_range(0..=i));
                }
                let want = a.clone().permuted_axes(IxDyn(&axes));
                return (format!("permute({axes:?})"), t.permute(&axes).unwrap(), want);
            }
            1 if nd > 0 => {
                let info: Vec<SliceInfoElem> = t
                    .shape()
                    .iter()
                    .map(|&len| {
                        if len > 0 && rng.random_bool(0.2) {
                            let i = rng.random_range(0..len) as isize;
                            return SliceInfoElem::Index(if rng.random_bool(0.5) { i - len as isize } else { i });
                        }
                        let start = rng.random_range(0..=len) as isize;
                        let end = rng.random_range(start as usize..=len) as isize;
                        let step = [1, 1, 2, 3, -1, -2][rng.random_range(0..6)];
                        let end = if rng.random_bool(0.3) { None } else { Some(end) };
                        SliceInfoElem::Slice { start, end, step }
                    })
                    .collect();
                let want = a.slice(info.as_slice()).to_owned();
                return (format!("slice({info:?})"), t.slice(&info).unwrap(), want);
            }
            2 if nd > 0 => {
                let dim = rng.random_range(0..nd);
                let len = t.shape()[dim];
                let start = rng.random_range(0..=len);
                let n = rng.random_range(0..=len - start);
                let want = a.slice_axis(ndarray::Axis(dim), ndarray::Slice::from(start..start + n)).to_owned();
                return (format!("narrow({dim}, {start}, {n})"), t.narrow(dim, start, n).unwrap(), want);
            }
            3 if nd < 5 => {
                let dim = rng.random_range(0..=nd);
                let want = a.clone().insert_axis(ndarray::Axis(dim));
                return (format!("unsqueeze({dim})"), t.unsqueeze(dim).unwrap(), want);
            }
            4 => {
                if let Some(dim) = (0..nd).find(|&d| t.shape()[d] == 1) {
                    let want = a.clone().remove_axis(ndarray::Axis(dim));
                    return (format!("squeeze({dim})"), t.squeeze(dim).unwrap(), want);
                }
            }
            5 if nd < 5 => {
                let mut dims: Vec<usize> =
                    t.shape().iter().map(|&d| if d == 1 { rng.random_range(1..4) } else { d }).collect();
                if rng.random_bool(0.5) {
                    dims.insert(0, rng.random_range(1..3));
                }
                let want = a.broadcast(IxDyn(&dims)).unwrap().to_owned();
                return (format!("broadcast_to({dims:?})"), t.broadcast_to(&dims).unwrap(), want);
            }
            6 if nd >= 2 => {
                let (x, y) = (rng.random_range(0..nd), rng.random_range(0..nd));
                let mut want = a.clone();
                want.swap_axes(x, y);
                return (format!("transpose({x}, {y})"), t.transpose(x, y).unwrap(), want);
            }
            _ => {}
        }
    }
}

#[test]
fn chains_of_views_match_ndarray_on_every_dtype() {
    for (name, device) in devices() {
        let mut rng = StdRng::seed_from_u64(7);
        for case in 0..120 {
            let dtype = DType::ALL[case % DType::ALL.len()];
            let nd = rng.random_range(0..4);
            let dims: Vec<usize> = (0..nd).map(|_| rng.random_range(0..7)).collect();
            let (host, idx) = random(dtype, &dims, &mut rng);
            let mut t = device.upload(&host).unwrap();
            let mut a = idx;
            let mut chain = String::new();
            for _ in 0..rng.random_range(1..5) {
                let (what, nt, na) = random_view(&mut rng, &t, &a);
                chain = format!("{chain}.{what}");
                t = nt;
                a = na;
            }
            let what = format!("case {case} {dtype} {dims:?}{chain}");
            check(name, &what, &t, &host, &a);
            let c = t.contiguous().unwrap();
            assert!(c.is_contiguous());
            check(name, &format!("{what}.contiguous()"), &c, &host, &a);
            let r = t.reshape([t.len()]).unwrap();
            check(
                name,
                &format!("{what}.reshape([n])"),
                &r,
                &host,
                &a.iter().copied().collect::<ndarray::Array1<_>>().into_dyn(),
            );
            let cast = t.cast(dtype).unwrap();
            assert!(!cast.shares_storage_with(&t));
            check(name, &format!("{what}.cast(same)"), &cast, &host, &a);
        }
    }
}

#[test]
fn views_of_a_view_outlive_the_original() {
    let (name, device) = devices()[0];
    let mut rng = StdRng::seed_from_u64(1);
    let (host, idx) = random(DType::U16, &[5, 6, 7], &mut rng);
    let t = device.upload(&host).unwrap();
    let v = t.permute(&[1, 2, 0]).unwrap();
    drop(t);
    let w = v.slice(ndarray::s![1..5;2, .., ..;-1]).unwrap();
    drop(v);
    let want = idx.view().permuted_axes(IxDyn(&[1, 2, 0]));
    let want = want.slice(ndarray::s![1..5;2, .., ..;-1]).to_owned();
    // Reuse the pooled buffers to make sure the storage was not recycled while the view lives.
    for _ in 0..4 {
        device.upload(&random(DType::U16, &[5, 6, 7], &mut rng).0).unwrap();
    }
    check(name, "view of a view", &w, &host, &want.into_dyn());
}

#[test]
fn cat_stack_and_index_select_match_ndarray() {
    for (name, device) in devices() {
        let mut rng = StdRng::seed_from_u64(3);
        for (case, dtype) in DType::ALL.into_iter().enumerate() {
            let (host, idx) = random(dtype, &[3, 5, 4], &mut rng);
            let t = device.upload(&host).unwrap();
            let tt = t.permute(&[2, 0, 1]).unwrap(); // [4, 3, 5]
            let at = idx.clone().permuted_axes(IxDyn(&[2, 0, 1]));
            let parts = [tt.narrow(2, 0, 1).unwrap(), tt.narrow(2, 1, 3).unwrap(), tt.narrow(2, 4, 1).unwrap()];
            let cat = DeviceTensor::cat(&parts.iter().collect::<Vec<_>>(), 2).unwrap();
            check(name, &format!("{case} cat"), &cat, &host, &at);
            let cat0 = DeviceTensor::cat(&[&tt, &tt.slice(ndarray::s![..;-1, .., ..]).unwrap()], 0).unwrap();
            let want0 =
                ndarray::concatenate(ndarray::Axis(0), &[at.view(), at.slice(ndarray::s![..;-1, .., ..]).into_dyn()])
                    .unwrap();
            check(name, &format!("{case} cat dim 0"), &cat0, &host, &want0);
            let stack = DeviceTensor::stack(&[&tt, &tt], 3).unwrap();
            let want = ndarray::stack(ndarray::Axis(3), &[at.view(), at.view()]).unwrap();
            check(name, &format!("{case} stack"), &stack, &host, &want);
            for ids_dtype in [DType::U8, DType::I32, DType::I64, DType::U64] {
                let ids: Vec<usize> = (0..7).map(|_| rng.random_range(0..3)).collect();
                let ids_host = Array::from(ids.iter().map(|&i| i as i64).collect::<Vec<_>>()).cast(ids_dtype).unwrap();
                let ids_t = device.upload(&ids_host).unwrap();
                let sel = tt.index_select(1, &ids_t).unwrap();
                let want = at.select(ndarray::Axis(1), &ids);
                check(name, &format!("{case} index_select by {ids_dtype}"), &sel, &host, &want);
            }
        }
    }
}

#[test]
fn zeros_and_full() {
    for (name, device) in devices() {
        for dtype in DType::ALL {
            let z = device.zeros(dtype, [3, 5]).unwrap();
            assert!(z.download().unwrap().as_bytes().iter().all(|&b| b == 0), "[{name}] zeros {dtype}");
        }
        assert_eq!(device.full([2, 3], 7i64).unwrap().download().unwrap().to_vec::<i64>().unwrap(), [7; 6]);
        assert_eq!(device.full([5], -3i8).unwrap().download().unwrap().to_vec::<i8>().unwrap(), [-3; 5]);
        let h = half::bf16::from_f32(1.5);
        assert_eq!(device.full([3], h).unwrap().download().unwrap().to_vec::<half::bf16>().unwrap(), [h; 3]);
        assert_eq!(device.full([], true).unwrap().download().unwrap().to_vec::<bool>().unwrap(), [true]);
        assert_eq!(device.full([0, 4], 1u16).unwrap().len(), 0);
        device.synchronize().unwrap();
    }
}

#[test]
fn to_device_copies_between_devices() {
    let ds = devices();
    let mut rng = StdRng::seed_from_u64(5);
    let (host, idx) = random(DType::I8, &[4, 6], &mut rng);
    let t = ds[0].1.upload(&host).unwrap().transpose(0, 1).unwrap();
    for (name, device) in &ds {
        let moved = t.to_device(device).unwrap();
        assert!(moved.device().same_device(device));
        check(name, "to_device", &moved, &host, &idx.t().to_owned());
    }
}

#[test]
fn clones_are_used_from_many_threads() {
    let (name, device) = devices()[0];
    let mut rng = StdRng::seed_from_u64(9);
    let (host, idx) = random(DType::F16, &[64, 33], &mut rng);
    let t = device.upload(&host).unwrap();
    std::thread::scope(|s| {
        for k in 0..8 {
            let (t, host, idx) = (t.clone(), &host, &idx);
            s.spawn(move || {
                for i in 0..10 {
                    let v = t.narrow(1, (k + i) % 20, 13).unwrap().transpose(0, 1).unwrap();
                    let mut want = idx.slice(ndarray::s![.., (k + i) % 20..(k + i) % 20 + 13]).to_owned();
                    want.swap_axes(0, 1);
                    check(name, "thread", &v, host, &want.into_dyn());
                }
            });
        }
    });
}

#[test]
fn a_transposed_view_past_one_binding_copies_correctly() {
    // 12 000 x 12 000 u8 = 137 MiB: more than lavapipe's 128 MiB storage binding.
    let (_, device) = devices()[0];
    let n = 12_000usize;
    let bytes: Vec<u8> = (0..n * n).map(|i| (i % 251) as u8 ^ (i / n) as u8).collect();
    let host = Array::from_bytes(DType::U8, [n, n], &bytes).unwrap();
    let t = device.upload(&host).unwrap().transpose(0, 1).unwrap();
    let got = t.download().unwrap();
    let got = got.as_bytes();
    for i in (0..n).step_by(997).chain([n - 1]) {
        for j in (0..n).step_by(13).chain([n - 1]) {
            assert_eq!(got[i * n + j], bytes[j * n + i], "({i}, {j})");
        }
    }
}

#[test]
fn bad_views_are_errors_naming_the_op() {
    let (_, device) = devices()[0];
    let t = device.zeros(DType::F32, [2, 3]).unwrap();
    let other = devices()[1].1.zeros(DType::F32, [2, 3]).unwrap();
    assert!(matches!(t.permute(&[1, 1]), Err(Error::InvalidArgument { op: "permute", .. })));
    assert!(matches!(t.transpose(0, 2), Err(Error::InvalidArgument { op: "transpose", .. })));
    assert!(matches!(t.narrow(1, 2, 2), Err(Error::InvalidArgument { op: "narrow", .. })));
    assert!(matches!(t.slice(ndarray::s![.., 5..]), Err(Error::InvalidArgument { op: "slice", .. })));
    assert!(matches!(t.slice(ndarray::s![.., ..;0]), Err(Error::InvalidArgument { op: "slice", .. })));
    assert!(matches!(t.broadcast_to([3, 3]), Err(Error::Broadcast { .. })));
    assert!(matches!(t.squeeze(0), Err(Error::InvalidArgument { op: "squeeze", .. })));
    assert!(matches!(t.unsqueeze(3), Err(Error::InvalidArgument { op: "unsqueeze", .. })));
    assert!(matches!(t.reshape([7]), Err(Error::ReshapeMismatch { .. })));
    assert!(matches!(DeviceTensor::cat(&[], 0), Err(Error::InvalidArgument { op: "cat", .. })));
    assert!(matches!(DeviceTensor::cat(&[&t, &t], 2), Err(Error::InvalidArgument { op: "cat", .. })));
    let u = device.zeros(DType::U8, [2, 3]).unwrap();
    assert!(matches!(DeviceTensor::cat(&[&t, &u], 0), Err(Error::OpDTypeMismatch { op: "cat", .. })));
    assert!(matches!(DeviceTensor::cat(&[&t, &other], 0), Err(Error::DeviceMismatch { op: "cat" })));
    let wide = device.zeros(DType::F32, [2, 4]).unwrap();
    assert!(matches!(DeviceTensor::cat(&[&t, &wide], 0), Err(Error::InvalidArgument { op: "cat", .. })));
    assert!(matches!(DeviceTensor::stack(&[&t, &wide], 0), Err(Error::InvalidArgument { op: "stack", .. })));
    let float_ids = device.zeros(DType::F32, [2]).unwrap();
    assert!(matches!(t.index_select(0, &float_ids), Err(Error::UnsupportedDType { op: "index_select", .. })));
    let ids = device.upload(&Array::from(vec![0i32, 2, -1, 1])).unwrap();
    match t.index_select(0, &ids) {
        Err(Error::IndexOutOfRange { op: "index_select", dim: 0, len: 2, count: 2 }) => {}
        other => panic!("expected IndexOutOfRange with 2 bad indices, got {other:?}"),
    }
    assert!(matches!(
        t.index_select(0, &device.zeros(DType::I32, [2, 2]).unwrap()),
        Err(Error::InvalidArgument { .. })
    ));
    // The device stays usable after each error.
    assert_eq!(t.narrow(1, 1, 2).unwrap().download().unwrap().len(), 4);
}
