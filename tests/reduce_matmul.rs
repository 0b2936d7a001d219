//! The public reduction and matmul API against ndarray on the host: dims and keepdim, views as inputs, numpy's
//! matmul promotions and batch broadcasting, result dtypes, determinism, and the error paths. (The kernels' bit-exact
//! trees and every dtype are tested inside the crate: `cargo test --release --lib ops::`.)

use ndarray::{ArrayD, Axis, IxDyn};
use wgpu_tensor::{Array, DType, Device, DeviceTensor, Error};

fn device() -> &'static Device {
    static D: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
    D.get_or_init(|| Device::new().unwrap_or_else(|e| panic!("no adapter: {e}")))
}

fn nd_i32(dims: &[usize]) -> ArrayD<i32> {
    let n: usize = dims.iter().product();
    ArrayD::from_shape_vec(IxDyn(dims), (0..n as i32).map(|i| (i * 7919) % 201 - 100).collect()).unwrap()
}

fn upload(a: &ArrayD<i32>) -> DeviceTensor {
    device().upload(&Array::try_from(a).unwrap()).unwrap()
}

#[test]
fn integer_sums_match_ndarray_over_any_dims_and_views() {
    let a = nd_i32(&[3, 4, 5]);
    let t = upload(&a);
    let wide = a.mapv(i64::from);
    for dims in [vec![0], vec![1], vec![2], vec![0, 1], vec![1, 2], vec![0, 2], vec![0, 1, 2]] {
        for keepdim in [false, true] {
            let got = t.sum(&dims, keepdim).unwrap();
            let mut want = wide.clone();
            for &d in dims.iter().rev() {
                want = want.sum_axis(Axis(d));
                if keepdim {
                    want = want.insert_axis(Axis(d));
                }
            }
            assert_eq!(got.dtype(), DType::I64);
            assert_eq!(got.shape(), want.shape(), "{dims:?} keepdim {keepdim}");
            assert_eq!(got.download().unwrap().to_vec::<i64>().unwrap(), want.iter().copied().collect::<Vec<_>>());
        }
    }
    // A transposed, stepped view as input.
    let v = t.permute(&[2, 0, 1]).unwrap().slice(ndarray::s![..;2, .., ..;-1]).unwrap();
    let hv = wide.view().permuted_axes(IxDyn(&[2, 0, 1]));
    let hv = hv.slice(ndarray::s![..;2, .., ..;-1]);
    let got = v.sum(&[1], false).unwrap().download().unwrap().to_vec::<i64>().unwrap();
    assert_eq!(got, hv.sum_axis(Axis(1)).iter().copied().collect::<Vec<_>>());
    assert_eq!(t.sum_all().unwrap().download().unwrap().to_vec::<i64>().unwrap(), [wide.sum()]);
}

#[test]
fn max_min_argmax_any_all_and_mean() {
    let a = nd_i32(&[4, 6]);
    let t = upload(&a);
    let max = t.max(&[1], false).unwrap().download().unwrap().to_vec::<i32>().unwrap();
    assert_eq!(max, a.map_axis(Axis(1), |r| *r.iter().max().unwrap()).iter().copied().collect::<Vec<_>>());
    let min = t.min_all().unwrap().download().unwrap().to_vec::<i32>().unwrap();
    assert_eq!(min, [*a.iter().min().unwrap()]);
    let argmax = t.argmax(0, true).unwrap();
    assert_eq!((argmax.dtype(), argmax.shape()), (DType::I64, &[1, 6][..]));
    let want: Vec<i64> = (0..6)
        .map(|j| {
            let col: Vec<i32> = (0..4).map(|i| a[[i, j]]).collect();
            let m = *col.iter().max().unwrap();
            col.iter().position(|&x| x == m).unwrap() as i64
        })
        .collect();
    assert_eq!(argmax.download().unwrap().to_vec::<i64>().unwrap(), want);
    let b = device().upload(&Array::from_vec(vec![0u8, 0, 3, 0, 1, 1], [2, 3]).unwrap()).unwrap();
    assert_eq!(b.any(&[1], false).unwrap().download().unwrap().to_vec::<bool>().unwrap(), [true, true]);
    assert_eq!(b.all(&[1], false).unwrap().download().unwrap().to_vec::<bool>().unwrap(), [false, false]);
    let f = device().upload(&Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, f32::NAN, 6.0], [2, 3]).unwrap()).unwrap();
    let mean = f.mean(&[1], false).unwrap().download().unwrap().to_vec::<f32>().unwrap();
    assert_eq!(mean[0], 2.0);
    assert!(mean[1].is_nan());
    assert_eq!(f.argmax(1, false).unwrap().download().unwrap().to_vec::<i64>().unwrap(), [2, 1]); // NaN wins
    // Empty reductions: sum 0, prod 1; max of nothing is an error.
    let e = device().zeros(DType::F32, [3, 0]).unwrap();
    assert_eq!(e.sum(&[1], false).unwrap().download().unwrap().to_vec::<f32>().unwrap(), [0.0; 3]);
    assert_eq!(e.prod(&[1], false).unwrap().download().unwrap().to_vec::<f32>().unwrap(), [1.0; 3]);
    assert!(matches!(e.max(&[1], false), Err(Error::InvalidArgument { op: "max", .. })));
    // An empty dims reduces nothing (in the result dtype).
    assert_eq!(t.sum(&[], false).unwrap().dtype(), DType::I64);
}

#[test]
fn f32_sums_are_deterministic_and_within_the_tree_bound() {
    let n = 1 << 20;
    let xs: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.618).sin() * 1000.0).collect();
    let t = device().upload(&Array::from_vec(xs.clone(), [n]).unwrap()).unwrap();
    let first = t.sum_all().unwrap().download().unwrap().to_vec::<f32>().unwrap()[0];
    for _ in 0..3 {
        assert_eq!(t.sum_all().unwrap().download().unwrap().to_vec::<f32>().unwrap()[0].to_bits(), first.to_bits());
    }
    let exact: f64 = xs.iter().map(|&x| f64::from(x)).sum();
    let abs: f64 = xs.iter().map(|&x| f64::from(x).abs()).sum();
    let bound = 20.0 * 2f64.powi(-24) * abs;
    assert!((f64::from(first) - exact).abs() <= bound, "{first} vs {exact} (bound {bound})");
}

#[test]
fn matmul_follows_numpy() {
    let a = nd_i32(&[2, 3, 4]);
    let b = nd_i32(&[4, 5]);
    let (ta, tb) = (upload(&a), upload(&b));
    let c = ta.matmul(&tb).unwrap();
    assert_eq!(c.shape(), [2, 3, 5]);
    let got = c.download().unwrap().to_vec::<i32>().unwrap();
    let b2 = b.clone().into_dimensionality::<ndarray::Ix2>().unwrap();
    let mut want = Vec::new();
    for k in 0..2 {
        let ak = a.index_axis(Axis(0), k).into_dimensionality::<ndarray::Ix2>().unwrap().to_owned();
        want.extend(ak.dot(&b2).iter().copied());
    }
    assert_eq!(got, want);
    // The transpose read in place, and 1-d operands promoted then squeezed.
    let bt = upload(&b.t().to_owned().into_dyn()).transpose(0, 1).unwrap();
    assert_eq!(ta.matmul(&bt).unwrap().download().unwrap().to_vec::<i32>().unwrap(), want);
    let v = upload(&nd_i32(&[4]));
    assert_eq!(ta.matmul(&v).unwrap().shape(), [2, 3]);
    assert_eq!(v.matmul(&tb).unwrap().shape(), [5]);
    assert_eq!(v.matmul(&v).unwrap().shape(), [] as [usize; 0]);
    // Batch broadcasting: [2, 1, 3, 4] @ [5, 4, 2] -> [2, 5, 3, 2].
    let p = upload(&nd_i32(&[2, 1, 3, 4]));
    let q = upload(&nd_i32(&[5, 4, 2]));
    assert_eq!(p.matmul(&q).unwrap().shape(), [2, 5, 3, 2]);
    // f32 against ndarray within the accumulation bound.
    let x: Vec<f32> = (0..64 * 48).map(|i| ((i % 17) as f32 - 8.0) * 0.25).collect();
    let y: Vec<f32> = (0..48 * 40).map(|i| ((i % 13) as f32 - 6.0) * 0.5).collect();
    let tx = device().upload(&Array::from_vec(x.clone(), [64, 48]).unwrap()).unwrap();
    let ty = device().upload(&Array::from_vec(y.clone(), [48, 40]).unwrap()).unwrap();
    let got = tx.matmul(&ty).unwrap().download().unwrap().to_vec::<f32>().unwrap();
    let hx = ndarray::Array2::from_shape_vec((64, 48), x).unwrap();
    let hy = ndarray::Array2::from_shape_vec((48, 40), y).unwrap();
    assert_eq!(got, hx.dot(&hy).iter().copied().collect::<Vec<_>>()); // small exact values: exact
}

#[test]
fn errors_name_the_op() {
    let t = upload(&nd_i32(&[2, 3]));
    assert!(matches!(t.sum(&[2], false), Err(Error::InvalidArgument { op: "sum", .. })));
    assert!(matches!(t.sum(&[1, 1], false), Err(Error::InvalidArgument { op: "sum", .. })));
    assert!(matches!(t.mean(&[0], false), Err(Error::UnsupportedDType { op: "mean", .. })));
    assert!(matches!(t.matmul(&t), Err(Error::InvalidArgument { op: "matmul", .. })));
    let f = device().zeros(DType::F32, [3, 2]).unwrap();
    assert!(matches!(t.matmul(&f), Err(Error::OpDTypeMismatch { op: "matmul", .. })));
    let d = device().zeros(DType::F64, [2, 2]).unwrap();
    assert!(d.matmul(&d).is_err());
    let s = device().zeros(DType::I32, []).unwrap();
    assert!(matches!(s.matmul(&t), Err(Error::InvalidArgument { op: "matmul", .. })));
    let p = upload(&nd_i32(&[2, 3, 4]));
    let q = upload(&nd_i32(&[3, 4, 5]));
    assert!(matches!(p.matmul(&q), Err(Error::Broadcast { op: "matmul", .. })));
}
